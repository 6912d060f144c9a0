/**
 * The table reader the code-vs-docs tests rely on: it finds a section's table,
 * and a code mentioned in prose or in a malformed row does not count as a row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cells, codeCell, sectionTable } from './markdown-table.js';

const doc = [
  '# Title',
  '',
  '## Error codes',
  '',
  'Prose that mentions `GHOST` is not a row.',
  '',
  '| code | meaning |',
  '| ---- | ------- |',
  '| `ONE` | the first \\| with a pipe |',
  '| `TWO` | the second |',
  '',
  'More prose, `AFTER`.',
  '',
  '| code | meaning |',
  '| ---- | ------- |',
  '| `LATER` | a second table is not read |',
  '',
  '## Close codes',
  '',
  '| code | meaning |',
  '| ---- | ------- |',
  '| 4001 | final |',
].join('\n');

describe('markdown tables', () => {
  it('reads the first table of the named section, and only its rows', () => {
    const table = sectionTable(doc, 'Error codes');
    assert.deepEqual(table.header, ['code', 'meaning']);
    assert.deepEqual(
      table.rows.map((row) => codeCell(row[0]!)),
      ['ONE', 'TWO'],
    );
    assert.equal(table.rows[0]![1], 'the first | with a pipe');
    assert.deepEqual(sectionTable(doc, 'Close codes').rows, [['4001', 'final']]);
  });

  it('fails on a missing section, a section without a table, and a ragged row', () => {
    assert.throws(() => sectionTable(doc, 'Missing'), /no section "Missing"/);
    assert.throws(() => sectionTable('## Empty\n\nno table here\n', 'Empty'), /has no table/);
    assert.throws(() => sectionTable('## T\n| a | b |\n| - | - |\n| x |\n', 'T'), /row has 1 cells/);
    assert.throws(() => sectionTable('## T\n| a | b |\n| x | y |\n', 'T'), /not a delimiter row/);
  });

  it('takes a code cell only when it is exactly one code', () => {
    assert.equal(codeCell('`BAD_FRAME`'), 'BAD_FRAME');
    assert.equal(codeCell('4002'), '4002');
    for (const bad of ['', '`A` or `B`', 'see `A`', '`A', 'lower'])
      assert.throws(() => codeCell(bad), /not a code cell/, bad);
    assert.deepEqual(cells('| a | `b` |'), ['a', '`b`']);
  });
});
