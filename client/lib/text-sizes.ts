/** The three text sizes (percent of the page's base) and their visible labels. */
export const textSizes = ['100', '150', '200'] as const;
export type TextSize = (typeof textSizes)[number];
// The default is the plain "A": a pressed "A-" read as "smaller than normal".
export const textLabels: Record<TextSize, string> = { '100': 'A', '150': 'A+', '200': 'A++' };
