/**
 * Reads the tables of a markdown document, for the tests that tie codes to their
 * docs. A code counts as documented only when it is a row of the named section's
 * table, never because prose mentions it.
 */

export interface Table {
  header: string[];
  rows: string[][];
}

/** The first table under the `## <heading>` section (up to the next heading of any level). */
export function sectionTable(markdown: string, heading: string): Table {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => /^#{1,6}\s/.test(line) && line.replace(/^#+\s+/, '').trim() === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  let end = lines.findIndex((line, i) => i > start && /^#{1,6}\s/.test(line));
  if (end < 0) end = lines.length;
  const section = lines.slice(start + 1, end);
  const first = section.findIndex((line) => line.trimStart().startsWith('|'));
  if (first < 0) throw new Error(`section "${heading}" has no table`);
  let last = first;
  while (last + 1 < section.length && section[last + 1]!.trimStart().startsWith('|')) last += 1;
  const [headerLine, delimiterLine, ...body] = section.slice(first, last + 1);
  const header = cells(headerLine!);
  const delimiter = delimiterLine === undefined ? [] : cells(delimiterLine);
  if (delimiter.length !== header.length || !delimiter.every((cell) => /^:?-+:?$/.test(cell)))
    throw new Error(`section "${heading}": the table's second line is not a delimiter row`);
  const rows = body.map((line) => {
    const row = cells(line);
    if (row.length !== header.length)
      throw new Error(`section "${heading}": row has ${row.length} cells, header ${header.length}: ${line}`);
    return row;
  });
  return { header, rows };
}

/** The cells of one table line: split on unescaped pipes (as GFM does), trimmed. */
export function cells(line: string): string[] {
  let text = line.trim();
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  return text.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * The code a row's first cell names: `` `CODE` `` or a bare `4001`. Anything else
 * (prose, two codes, an empty cell) is an error, so a row cannot document a code by
 * mentioning it.
 */
export function codeCell(cell: string): string {
  const match = /^(`?)([A-Z0-9_]+)\1$/.exec(cell);
  if (match === null) throw new Error(`not a code cell: "${cell}"`);
  return match[2]!;
}
