import { describe, expect, it } from 'vitest';
import { displayWidth, padToWidth } from './display-width.js';
import { formatTable } from './output.js';

describe('displayWidth', () => {
  it('counts East Asian wide and fullwidth characters as two columns', () => {
    expect(displayWidth('shop')).toBe(4);
    expect(displayWidth('注文')).toBe(4);
    expect(displayWidth('ショップ')).toBe(8);
    expect(displayWidth('주문')).toBe(4);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('𠀋')).toBe(2); // outside the Basic Multilingual Plane: two UTF-16 units, two columns
  });

  it('counts an emoji as two columns, however many code points make it', () => {
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('👩‍👩‍👧')).toBe(2); // a family joined by zero-width joiners
    expect(displayWidth('🇩🇪')).toBe(2); // a flag: two regional indicators
    expect(displayWidth('❤️')).toBe(2); // text heart asked to be drawn as an emoji
    expect(displayWidth('1️⃣')).toBe(2);
    expect(displayWidth('©')).toBe(1); // an emoji by default drawn as text
  });

  it('counts combining marks and invisible characters as nothing', () => {
    expect(displayWidth('cafe\u0301')).toBe(4);
    expect(displayWidth('a\u200bb')).toBe(2);
    expect(displayWidth('')).toBe(0);
  });

  it('pads to a width in columns', () => {
    expect(padToWidth('注文', 6)).toBe('注文  ');
    expect(padToWidth('too long', 3)).toBe('too long');
  });
});

describe('formatTable', () => {
  it('lines up columns after wide characters and emoji', () => {
    const lines = formatTable(
      ['NAME', 'STATUS'],
      [
        ['shop', 'ok'],
        ['注文データ', 'ok'],
        ['🚀 launch', 'failed'],
      ],
    );
    expect(lines).toEqual(['NAME        STATUS', 'shop        ok', '注文データ  ok', '🚀 launch   failed']);
    // Every STATUS value starts in the same terminal column.
    const statusColumns = lines.map((line) => displayWidth(line.slice(0, line.search(/(STATUS|ok|failed)$/))));
    expect(new Set(statusColumns).size).toBe(1);
  });

  it('shows a missing value as a dash and trims trailing spaces', () => {
    expect(formatTable(['ID', 'FAILURE'], [['bkp_1', null], ['bkp_2', undefined]])).toEqual(['ID     FAILURE', 'bkp_1  -', 'bkp_2  -']);
  });
});
