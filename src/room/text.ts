/**
 * Message text: cleaning (trim, control characters out) and the word filter.
 */
import { skeleton } from './confusables.js';

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

/** Single letters with separators between them ("b a d", "b.a.d", "b-a-d"): read as one word. */
const SPACED_LETTERS = /(?<![\p{L}\p{N}])\p{L}(?:[^\p{L}\p{N}]{1,3}\p{L}(?![\p{L}\p{N}]))+/gu;

/**
 * The text a filter matches on, never the text shown: the confusable skeleton
 * (NFKC, invisible characters out, accents off, look-alike letters folded, lower
 * case), with separators between single letters dropped.
 */
export function filterText(text: string): string {
  return skeleton(text).replace(SPACED_LETTERS, (run) => run.replace(/[^\p{L}]/gu, ''));
}

/**
 * Finds blocked terms on whole words of the filter text (filterText): "ass"
 * blocks "ASS!", "аss" (Cyrillic а) and "a s s" but not "class". A term may be
 * several words ("bad word"). Built once per term list.
 */
export class TermFilter {
  private readonly pattern: RegExp | null;

  constructor(terms: readonly string[]) {
    const cleaned = [...new Set(terms.map((t) => skeleton(t.trim())).filter(Boolean))];
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
    const match = this.pattern.exec(filterText(text));
    return match ? match[0] : null;
  }
}
