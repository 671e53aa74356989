/**
 * How many terminal columns a text takes, so tables line up when a name is Japanese or has an
 * emoji in it: East Asian wide and fullwidth characters and emoji take two columns, marks and
 * other invisible code points none, everything else one. Counted per grapheme (what a person
 * sees as one character), so a flag or a family emoji made of several code points is one wide
 * character, not four.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` padded with spaces to `width` columns (as String.padEnd, but in columns, not code units). */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

const invisible = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;
// Emoji drawn as pictures: those shown so by default, any emoji asked to be (U+FE0F, e.g. a
// keycap or ❤️), and flags (pairs of regional indicators).
const pictographic = /\p{Emoji_Presentation}|\p{Emoji}\uFE0F|\p{Regional_Indicator}/u;

// East_Asian_Width W and F outside the emoji above (Unicode's EastAsianWidth.txt, by block).
const wideRanges: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo leading consonants
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, enclosed CJK
  [0x3400, 0x4dbf], // CJK extension A
  [0x4dc0, 0x4dff], // Yijing hexagrams
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18aff], // Tangut
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extensions G and later
];

function graphemeWidth(grapheme: string): number {
  if (invisible.test(grapheme)) return 0;
  if (pictographic.test(grapheme)) return 2;
  const first = grapheme.codePointAt(0)!;
  return wideRanges.some(([from, to]) => first >= from && first <= to) ? 2 : 1;
}
