/**
 * docs/protocol.md against src/protocol/frames.ts, both ways: every frame error
 * code and every close code is a row of its table and every row is a real code, and
 * the close codes `isFinalClose` treats as final are exactly those the doc calls
 * final (in the table and in the reconnect rule below it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode, FINAL_CLOSE_CODES, frameErrorCodes, isFinalClose } from '../../src/protocol/frames.js';
import { codeCell, sectionTable } from './markdown-table.js';

const DOC = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));
const markdown = readFileSync(DOC, 'utf8');

/** The table's rows by code, failing on a code listed twice. */
function rowsByCode(heading: string): Map<string, string> {
  const byCode = new Map<string, string>();
  for (const [code, meaning] of sectionTable(markdown, heading).rows.map((row) => [codeCell(row[0]!), row[1]!])) {
    assert.ok(!byCode.has(code!), `docs/protocol.md "${heading}" lists ${code} twice`);
    byCode.set(code!, meaning!);
  }
  return byCode;
}

/** A close-code row is final when its meaning says so ("final: do not reconnect"). */
function saysFinal(meaning: string): boolean {
  assert.doesNotMatch(meaning, /\bnot final\b/, `ambiguous close-code row: ${meaning}`);
  return /\bfinal\b/.test(meaning);
}

const fourDigitCodes = (text: string) => [...text.matchAll(/\b\d{4}\b/g)].map((m) => Number(m[0]));
const closeCodes = Object.values(CloseCode) as number[];

describe('docs/protocol.md error codes', () => {
  const rows = rowsByCode('Error codes');

  it('has a row for every frame error code', () => {
    for (const code of frameErrorCodes)
      assert.ok(rows.has(code), `frameErrorCodes has ${code} but docs/protocol.md "Error codes" has no row for it`);
  });

  it('has no row for a code frameErrorCodes lacks', () => {
    for (const code of rows.keys())
      assert.ok(
        (frameErrorCodes as readonly string[]).includes(code),
        `docs/protocol.md "Error codes" has a row for ${code}, which frameErrorCodes lacks`,
      );
  });
});

describe('docs/protocol.md close codes', () => {
  const rows = rowsByCode('Close codes');

  it('has a row for every close code', () => {
    for (const [name, code] of Object.entries(CloseCode))
      assert.ok(rows.has(String(code)), `CloseCode.${name} (${code}) has no row in docs/protocol.md "Close codes"`);
  });

  it('has no row for a code CloseCode lacks', () => {
    for (const code of rows.keys())
      assert.ok(
        closeCodes.includes(Number(code)),
        `docs/protocol.md "Close codes" has a row for ${code}, which CloseCode lacks`,
      );
  });

  it('calls final exactly the codes isFinalClose treats as final', () => {
    for (const [code, meaning] of rows)
      assert.equal(
        saysFinal(meaning),
        isFinalClose(Number(code)),
        `close code ${code}: the doc says "${meaning}" but isFinalClose(${code}) is ${String(isFinalClose(Number(code)))}`,
      );
    assert.ok(FINAL_CLOSE_CODES.length > 0 && FINAL_CLOSE_CODES.every((code) => rows.has(String(code))));
  });

  it('names the same final and retryable codes in its reconnect rule', () => {
    const section = markdown.slice(markdown.indexOf('## Close codes'));
    const start = section.indexOf('\n**Reconnecting.**');
    assert.ok(start >= 0, 'docs/protocol.md "Close codes" has no **Reconnecting.** paragraph');
    const paragraph = section.slice(start + 1).split(/\n\s*\n/)[0]!;
    const sentences = paragraph.replace(/\s+/g, ' ').split(/(?<=\.) /);
    const stop = sentences.filter((s) => /\bstops\b/.test(s));
    const retry = sentences.filter((s) => /\bmay reconnect\b/.test(s));
    assert.equal(stop.length, 1, `one sentence says when a client stops: ${paragraph}`);
    assert.equal(retry.length, 1, `one sentence says when a client may reconnect: ${paragraph}`);
    const final = fourDigitCodes(stop[0]!);
    const retryable = fourDigitCodes(retry[0]!);
    assert.deepEqual([...final].sort(), [...FINAL_CLOSE_CODES].sort(), `final in the reconnect rule: ${stop[0]}`);
    for (const code of closeCodes.filter((c) => !isFinalClose(c)))
      assert.ok(retryable.includes(code), `the reconnect rule does not say ${code} may reconnect: ${retry[0]}`);
    for (const code of retryable) assert.ok(!isFinalClose(code), `the reconnect rule says final ${code} may reconnect`);
  });
});
