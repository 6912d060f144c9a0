/**
 * The master↔room reply error codes (src/protocol/room-messages.ts) are described
 * in the doc comment right above `replyErrorCodes`: each code is named there, and
 * every code-like word there is a real code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replyErrorCodes } from '../../src/protocol/room-messages.js';

const SOURCE = fileURLToPath(new URL('../../../src/protocol/room-messages.ts', import.meta.url));

/** The `/** … *\/` comment that directly precedes `export const <name>`. */
function docCommentAbove(source: string, name: string): string {
  const at = source.indexOf(`export const ${name} `);
  assert.ok(at >= 0, `no export const ${name}`);
  const before = source.slice(0, at).trimEnd();
  assert.ok(before.endsWith('*/'), `${name} has no doc comment directly above it`);
  return before.slice(before.lastIndexOf('/**'));
}

describe('replyErrorCodes', () => {
  it('names every code in its doc comment', () => {
    const comment = docCommentAbove(readFileSync(SOURCE, 'utf8'), 'replyErrorCodes');
    assert.ok(replyErrorCodes.length > 0);
    for (const code of replyErrorCodes)
      assert.match(
        comment,
        new RegExp(`\\b${code}\\b`),
        `replyErrorCodes has ${code} but the doc comment above it does not describe it`,
      );
  });

  it('names no code in its doc comment that replyErrorCodes lacks', () => {
    const comment = docCommentAbove(readFileSync(SOURCE, 'utf8'), 'replyErrorCodes');
    for (const [word] of comment.matchAll(/\b[A-Z][A-Z_]{3,}\b/g))
      assert.ok(
        (replyErrorCodes as readonly string[]).includes(word),
        `the doc comment above replyErrorCodes names ${word}, which replyErrorCodes lacks`,
      );
  });
});
