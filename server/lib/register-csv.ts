import { parse } from 'csv-parse/sync';
import { foldText } from '../../shared/i18n/names.ts';
import type { CsvRowIssue } from '../../shared/protocol/errors.ts';
import {
  CardCode,
  domainLabels,
  formatCard,
  groupLabels,
  PersonGroup,
  PersonInput,
  type Person,
  type PersonData,
  type Progress,
} from '../../shared/protocol/register.ts';
import { toCsv } from './csv.ts';

/** The register's columns, in the file's order: the export writes them, the import reads them (either language). */
export const registerColumns = {
  vi: {
    name: 'Họ và tên',
    birthYear: 'Năm sinh',
    hamlet: 'Thôn/Tổ dân phố',
    group: 'Nhóm',
    phone: 'Số điện thoại',
    consentDate: 'Ngày đồng ý lưu thông tin',
    card: 'Mã thẻ',
  },
  en: {
    name: 'Full name',
    birthYear: 'Birth year',
    hamlet: 'Hamlet',
    group: 'Group',
    phone: 'Phone',
    consentDate: 'Consent date',
    card: 'Card code',
  },
} as const;
type Column = keyof (typeof registerColumns)['vi'];
const columnOrder: Column[] = ['name', 'birthYear', 'hamlet', 'group', 'phone', 'consentDate', 'card'];

/** Phone numbers grouped with spaces so a spreadsheet keeps them as text (and their leading 0). */
const phoneText = (phone: string | null) => (phone ? phone.replace(/^(\+?\d{4})(\d{3})(\d+)$/, '$1 $2 $3') : null);

export function peopleCsv(people: Person[], lang: 'vi' | 'en' = 'vi'): string {
  const h = registerColumns[lang];
  const rows = people.map((p) => [
    p.name,
    p.birthYear,
    p.hamlet,
    groupLabels[p.group],
    phoneText(p.phone),
    p.consentDate,
    p.card && formatCard(p.card),
  ]);
  return toCsv([columnOrder.map((c) => h[c]), ...rows]);
}

/** One row of an import: a new person, or (with a card code) an update of that card's holder. */
export interface ImportRow {
  row: number;
  data: PersonData;
  card: string | null;
}

const MAX_ROWS = 50_000;

/** "dd/mm/yyyy" (as Vietnamese spreadsheets write it) or "yyyy-mm-dd" → yyyy-mm-dd. */
function dayOf(text: string): string {
  const vn = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (vn) return `${vn[3]}-${vn[2].padStart(2, '0')}-${vn[1].padStart(2, '0')}`;
  return text;
}

const groupByText = new Map<string, PersonGroup>([
  ...PersonGroup.options.map((g) => [g, g] as const),
  ...Object.entries(groupLabels).map(([g, label]) => [foldText(label), g as PersonGroup] as const),
  ...Object.entries(groupLabels).map(([g, label]) => [foldText(label.replace(/\s*–\s*/g, '-')), g as PersonGroup] as const),
]);

/**
 * Parse a register CSV: every row checked, every problem listed with its row number (the heading is
 * row 1) and column. Nothing is returned to import unless every row is right.
 */
export function parsePeopleCsv(text: string): { rows: ImportRow[] } | { issues: CsvRowIssue[] } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? null;
    return { issues: [{ row: line ?? 1, column: null, message: 'not a CSV file: ' + String((err as Error).message).slice(0, 200) }] };
  }
  if (records.length === 0) return { issues: [{ row: 1, column: null, message: 'the file is empty' }] };
  if (records.length - 1 > MAX_ROWS)
    return { issues: [{ row: MAX_ROWS + 2, column: null, message: `at most ${MAX_ROWS} people per file` }] };
  const heading = records[0].map((h) => foldText(h.replace(/^'/, '')));
  const index = {} as Record<Column, number>;
  const issues: CsvRowIssue[] = [];
  for (const c of columnOrder) {
    const at = heading.findIndex((h) => h === foldText(registerColumns.vi[c]) || h === foldText(registerColumns.en[c]));
    index[c] = at;
    if (at === -1 && c !== 'phone' && c !== 'card') issues.push({ row: 1, column: registerColumns.vi[c], message: 'missing column' });
  }
  if (issues.length > 0) return { issues };

  const rows: ImportRow[] = [];
  const cardsSeen = new Map<string, number>();
  records.slice(1).forEach((record, i) => {
    const row = i + 2;
    // The export defuses formulas with a leading ' : take it off again.
    const cell = (c: Column) => (index[c] === -1 ? '' : (record[index[c]] ?? '').replace(/^'/, '').trim());
    const groupText = cell('group');
    const group = groupByText.get(foldText(groupText)) ?? groupByText.get(foldText(groupText).replace(/\s+/g, '-'));
    const year = cell('birthYear');
    const input = {
      name: cell('name'),
      birthYear: /^\d{4}$/.test(year) ? Number(year) : Number.NaN,
      hamlet: cell('hamlet'),
      group: group ?? groupText,
      phone: cell('phone') || undefined,
      consentDate: dayOf(cell('consentDate')),
    };
    const parsed = PersonInput.safeParse(input);
    if (!parsed.success) {
      // One message per column: a piped schema may report the same field twice.
      const columns = new Set<Column>();
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as Column;
        if (columns.has(key)) continue;
        columns.add(key);
        issues.push({ row, column: registerColumns.vi[key] ?? null, message: messageFor(key, issue.message) });
      }
    }
    let card: string | null = null;
    const cardText = cell('card');
    if (cardText) {
      const c = CardCode.safeParse(cardText);
      if (!c.success) issues.push({ row, column: registerColumns.vi.card, message: 'a card code is 9 digits from 2 to 9' });
      else if (cardsSeen.has(c.data))
        issues.push({ row, column: registerColumns.vi.card, message: `the same card as row ${cardsSeen.get(c.data)}` });
      else {
        cardsSeen.set(c.data, row);
        card = c.data;
      }
    }
    if (parsed.success) rows.push({ row, data: parsed.data, card });
  });
  return issues.length > 0 ? { issues } : { rows };
}

function messageFor(column: Column, fallback: string): string {
  switch (column) {
    case 'name':
      return 'a name is needed (at most 80 characters, plain text)';
    case 'birthYear':
      return 'a year of birth, 4 digits';
    case 'hamlet':
      return 'a hamlet is needed (at most 60 characters)';
    case 'group':
      return `one of: ${Object.values(groupLabels).join(', ')}`;
    case 'phone':
      return 'a phone number, 8 to 15 digits';
    case 'consentDate':
      return 'the date consent was given, dd/mm/yyyy or yyyy-mm-dd (no consent, no record)';
    default:
      return fallback;
  }
}

/** "Tiến độ phong trào" for reporting upward: one table per hamlet, group and skill, and the months. */
export function progressCsv(progress: Progress): string {
  const rows: (string | number | null)[][] = [];
  rows.push([
    'Bảng',
    'Tên',
    'Đã đăng ký',
    'Đã học ít nhất 1 lớp',
    'Đạt kỹ năng số cơ bản',
    'Số người lớn (dân số)',
    'Tỉ lệ đạt (%)',
    'Chỉ tiêu (%)',
    'Đạt chỉ tiêu',
  ]);
  for (const h of progress.hamlets)
    rows.push([
      'Thôn/Tổ dân phố',
      h.key,
      h.registered,
      h.attended,
      h.reached,
      h.population,
      h.sharePct,
      h.targetPct,
      h.met ? 'Có' : 'Chưa',
    ]);
  for (const g of progress.groups)
    rows.push([
      'Nhóm',
      groupLabels[g.key as PersonGroup] ?? g.key,
      g.registered,
      g.attended,
      g.reached,
      null,
      g.sharePct,
      g.targetPct,
      g.met ? 'Có' : 'Chưa',
    ]);
  rows.push([
    'Tổng',
    'Toàn xã',
    progress.totals.registered,
    progress.totals.attended,
    progress.totals.reached,
    null,
    null,
    progress.targetPct,
    null,
  ]);
  rows.push([]);
  rows.push(['Bảng', 'Kỹ năng', 'Lĩnh vực', 'Bắt buộc', 'Số người đã thể hiện', 'Tỉ lệ (%)']);
  for (const s of progress.skills)
    rows.push(['Kỹ năng', s.name, domainLabels[s.domain], s.required ? 'Có' : 'Không', s.demonstrated, s.sharePct]);
  rows.push([]);
  rows.push(['Bảng', 'Tháng', 'Số người đạt trong tháng', 'Luỹ kế']);
  for (const m of progress.months) rows.push(['Tháng', m.month, m.reached, m.cumulative]);
  return toCsv(rows);
}
