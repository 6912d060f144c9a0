import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { skeleton } from '../../../src/room/confusables.js';
import { cleanName, NameGuard } from '../../../src/room/name-guard.js';
import { TermFilter } from '../../../src/room/text.js';

const filter = new TermFilter(['bad', 'bad word']);

describe('blocked terms on normalised text', () => {
  const invisible: Array<[string, string]> = [
    ['zero-width space', 'b\u200Bad'],
    ['zero-width non-joiner', 'ba\u200Cd'],
    ['zero-width joiner', 'b\u200Dad'],
    ['word joiner', 'ba\u2060d'],
    ['soft hyphen', 'b\u00ADad'],
    ['byte-order mark', '\uFEFFb\uFEFFad'],
  ];
  for (const [trick, text] of invisible)
    it(`finds a term hidden with a ${trick}`, () => assert.equal(filter.find(`so ${text} here`) !== null, true));

  const lookalikes: Array<[string, string]> = [
    ['Cyrillic а', 'bаd'],
    ['Greek ο in "word"', 'bad wοrd'],
    ['full-width letters', 'ｂａｄ'],
    ['mathematical bold', '𝐛𝐚𝐝'],
    ['mathematical script', '𝒷𝒶𝒹'],
    ['circled letters', 'ⓑⓐⓓ'],
    ['combining accents', 'b\u0301a\u0300d\u0308'],
    ['precomposed accents', 'bád'],
    ['small capitals', 'ʙᴀᴅ'],
    ['spaced letters', 'b a d'],
    ['dotted letters', 'b.a.d'],
    ['upper case with a Cyrillic letter and dashes', 'B-А-D'],
  ];
  for (const [trick, text] of lookalikes)
    it(`finds a term disguised with ${trick}`, () => assert.equal(filter.find(`it is ${text}!`) !== null, true));

  it('still leaves words that merely contain a term, and ordinary spaced words, alone', () => {
    assert.equal(filter.find('a badge of honour'), null);
    assert.equal(filter.find('a b c'), null);
    assert.equal(filter.find('I am a bard'), null);
  });
});

describe('guest names', () => {
  const guard = new NameGuard(['admin', 'host', 'mod']);
  guard.hold({ id: 'u1', name: 'Ann', role: 'host' });
  guard.hold({ id: 'u2', name: 'Bob', role: 'viewer' });

  it('cleans control, bidi-override and zero-width characters out', () => {
    assert.equal(cleanName('Alice\u202Eevil'), 'Aliceevil');
    assert.equal(cleanName(' Ca\u200Brl\u0007 '), 'Carl');
  });

  it('refuses a name with nothing visible left', () => {
    for (const name of ['\u200B', '\u202E\u200D', '   '])
      assert.equal((guard.check(name) as { code?: string }).code, 'NAME_INVALID', JSON.stringify(name));
  });

  it('refuses names a signed-in user of the room holds, however they are disguised', () => {
    for (const name of ['Ann', 'ann', 'ANN', 'Аnn', 'A\u200Bnn', 'A.n.n', 'Ａｎｎ', 'bob', 'Bοb'])
      assert.equal((guard.check(name) as { code?: string }).code, 'NAME_TAKEN', name);
  });

  it('refuses reserved words, alone or in a name', () => {
    for (const name of ['admin', 'Ann (host)', 'the MOD', 'Аdmin'])
      assert.equal((guard.check(name) as { code?: string }).code, 'NAME_RESERVED', name);
  });

  it('lets other names through, cleaned', () => {
    assert.deepEqual(guard.check('Annabel'), { ok: true, name: 'Annabel' });
    assert.deepEqual(guard.check('Zoë'), { ok: true, name: 'Zoë' });
  });

  it('folds look-alikes to one skeleton', () => {
    assert.equal(skeleton('Раураl'), skeleton('paypal'));
  });
});
