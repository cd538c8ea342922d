/**
 * A number as people type it in Vietnam: "50.000" is fifty thousand, "2,5" is two and a half; also
 * "1.250.000,5", "50 000", "50.000đ" and "2.5". NaN when it is not a number.
 */
export function parseNumber(input: string): number {
  // Spaces go, and a unit typed after the number ("50.000 đồng").
  let s = input.replace(/\s/g, '').replace(/(\d)[^\d.,]+$/, '$1');
  // With a comma (the decimal mark), dots group thousands; without one, only dots before groups of three do.
  if (s.includes(',') || /^-?\d{1,3}(\.\d{3})+$/.test(s)) s = s.replace(/\./g, '').replace(',', '.');
  return /^-?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : NaN;
}

/** A share (0.8) as the page's language writes a percentage: "80%", "66,7%" with `digits` 1. */
export const formatPercent = (ratio: number, locale: string, digits = 0): string =>
  new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: digits }).format(ratio);

/** A number written the way the page's language does (50.000 and 2,5 in Vietnamese). */
export const formatNumber = (n: number, locale: string): string => n.toLocaleString(locale, { maximumFractionDigits: 6 });
