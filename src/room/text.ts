/**
 * Message text: cleaning (trim, control characters out) and the word filter.
 */

// C0 and C1 control characters, and the Unicode line/paragraph separators; tabs
// and newlines included, since a chat line is one line.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function cleanText(text: string): string {
  return text.replace(CONTROL, '').trim();
}

/** Length in Unicode code points, as the protocol counts. */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Finds blocked terms case-insensitively on whole words: "ass" blocks "ASS!" but
 * not "class". A term may be several words ("bad word"). Built once per term list.
 */
export class TermFilter {
  private readonly pattern: RegExp | null;

  constructor(terms: readonly string[]) {
    const cleaned = [...new Set(terms.map((t) => t.trim().toLowerCase()).filter(Boolean))];
    if (cleaned.length === 0) {
      this.pattern = null;
      return;
    }
    const escaped = cleaned
      .sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
    // Whole words: not preceded or followed by a letter, digit or underscore in any script.
    this.pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${escaped.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
  }

  /** The first blocked term found in text, or null. */
  find(text: string): string | null {
    if (this.pattern === null) return null;
    const match = this.pattern.exec(text);
    return match ? match[0] : null;
  }
}
