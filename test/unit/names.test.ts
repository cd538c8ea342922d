import { describe, expect, it } from 'vitest';
import { compareNames, compareText } from '../../shared/i18n/names.ts';

const sorted = (names: string[], by = compareNames): string[] => [...names].sort(by);

describe('Vietnamese name order', () => {
  it('puts the bare letter before its tones, and a, ă, â, d, đ as separate letters', () => {
    expect(sorted(['Ân', 'Ánh', 'Anh', 'Ăn', 'Dũng', 'Đức', 'Dung'])).toEqual(['Anh', 'Ánh', 'Ăn', 'Ân', 'Dung', 'Dũng', 'Đức']);
  });

  it('sorts full names by the given name (last word), then by the whole name', () => {
    expect(sorted(['Trần Thị Bích', 'Nguyễn Văn Ân', 'Lê Đức', 'Anh', 'Phạm Ánh', 'Đỗ Anh'])).toEqual([
      'Anh',
      'Đỗ Anh',
      'Phạm Ánh',
      'Nguyễn Văn Ân',
      'Trần Thị Bích',
      'Lê Đức',
    ]);
  });

  it('ignores case and extra spaces, and keeps Đ after every D', () => {
    expect(sorted(['đức', 'Dũng', ' dung ', 'Đào'])).toEqual([' dung ', 'Dũng', 'Đào', 'đức']);
    expect(compareNames('anh', 'Anh')).toBe(0);
  });

  it('orders seat labels with numbers by value', () => {
    expect(sorted(['Bàn 10', 'Bàn 2', 'Bàn 1 – Máy 2', 'Bàn 1 – Máy 1'], compareText)).toEqual([
      'Bàn 1 – Máy 1',
      'Bàn 1 – Máy 2',
      'Bàn 2',
      'Bàn 10',
    ]);
  });
});
