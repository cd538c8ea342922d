import { z } from 'zod';
import { Slug } from '../lesson/schema.ts';
import { CardCode } from './commands.ts';

/** The register of learners ("Sổ học viên"): people, the skills standard and the movement's figures. */

/** Groups of the movement's reports, in the order the console lists them. */
export const PersonGroup = z.enum(['can-bo', 'hoc-sinh', 'nong-dan', 'tieu-thuong', 'nguoi-cao-tuoi', 'nguoi-khuyet-tat', 'khac']);
export type PersonGroup = z.infer<typeof PersonGroup>;
export const personGroups = PersonGroup.options;

/** Vietnamese labels of the groups: the CSV's "Nhóm" column uses them (the console has its own dictionary). */
export const groupLabels: Record<PersonGroup, string> = {
  'can-bo': 'Cán bộ – công chức',
  'hoc-sinh': 'Học sinh',
  'nong-dan': 'Nông dân',
  'tieu-thuong': 'Tiểu thương',
  'nguoi-cao-tuoi': 'Người cao tuổi',
  'nguoi-khuyet-tat': 'Người khuyết tật',
  khac: 'Khác',
};

/**
 * A learner card code: 9 digits from 2–9, so there is no 0/O or 1/I to confuse and a numeric keypad
 * types it. Printed and accepted with spaces ("234 567 892"); 8⁹ ≈ 134 million codes.
 */
export const CARD_DIGITS = '23456789';
export const CARD_LENGTH = 9;
export { CardCode };
export const formatCard = (card: string): string => card.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3');

const plain = /^[^\p{Cc}\p{Cf}\p{Cs}<>]+$/u;
const cleanText = (max: number) =>
  z
    .string()
    .max(400)
    .transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(1).max(max).regex(plain, 'must be plain text'));

/** A calendar day, YYYY-MM-DD (the consent's date). */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a real date');

/** What an instructor types for a person (add, edit, one CSV row). Consent is required: no consent, no record. */
export const PersonInput = z.strictObject({
  name: cleanText(80),
  birthYear: z.number().int().min(1900).max(2100),
  hamlet: cleanText(60),
  group: PersonGroup,
  phone: z
    .string()
    .max(40)
    .transform((s) => s.replace(/[\s.()-]/g, ''))
    .pipe(z.string().regex(/^(\+?\d{8,15})?$/, 'must be a phone number'))
    .optional()
    .transform((s) => (s ? s : null)),
  consentDate: Day,
});
export type PersonInput = z.input<typeof PersonInput>;
export type PersonData = z.output<typeof PersonInput>;

/** A person as the console sees them. Erased people keep hamlet, group and their classes' aggregates only. */
export interface Person {
  id: string;
  card: string | null;
  name: string | null;
  birthYear: number | null;
  hamlet: string;
  group: PersonGroup;
  phone: string | null;
  consentDate: string | null;
  createdAt: number;
  updatedAt: number;
  erasedAt: number | null;
}

/** One change to a person: who and when (the values are not copied, so an erasure leaves none behind). */
export interface PersonAuditEntry {
  at: number;
  userId: string;
  userName: string;
  action: 'created' | 'updated' | 'imported' | 'linked' | 'unlinked' | 'exported' | 'erased';
  /** The fields changed, or for a link the session. */
  detail: string;
}

export const PersonSearch = z.strictObject({
  q: z.string().max(80).optional(),
  hamlet: z.string().max(60).optional(),
  group: PersonGroup.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type PersonSearch = z.infer<typeof PersonSearch>;

export interface PersonPage {
  total: number;
  people: Person[];
}

/** Link a session's learner (a results row id: "learnerId" or "learnerId.1" for a pair's partner) to a person. */
export const LinkBody = z
  .strictObject({
    sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/),
    rowId: z.string().regex(/^[A-Za-z0-9_-]{4,40}(\.[12])?$/),
    /** An existing person, or a new one to add from this learner. */
    personId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,40}$/)
      .optional(),
    person: PersonInput.optional(),
  })
  .refine((b) => (b.personId === undefined) !== (b.person === undefined), 'give personId or person, not both');

export const UnlinkBody = z.strictObject({
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/),
  rowId: z.string().regex(/^[A-Za-z0-9_-]{4,40}(\.[12])?$/),
});

/** The skills standard and the movement's targets, as the official edits them. */
export const StandardBody = z.strictObject({
  required: z.array(Slug).min(1).max(200),
  /** % of a hamlet's adults to reach the standard (80 by default); pupils are always 100. */
  targetPct: z.number().int().min(1).max(100),
  /** Adults living in each hamlet, as the official enters them. */
  populations: z.record(cleanText(60), z.number().int().min(0).max(1_000_000)),
});
export type StandardBody = z.infer<typeof StandardBody>;

/** Domains of the national digital competence framework for learners. */
export const SkillDomain = z.enum(['thong-tin', 'giao-tiep', 'sang-tao', 'an-toan', 'giai-quyet', 'tri-tue-nhan-tao', 'khac']);
export type SkillDomain = z.infer<typeof SkillDomain>;
/** The framework's Vietnamese names of the domains (for exports; the console has its own dictionary). */
export const domainLabels: Record<SkillDomain, string> = {
  'thong-tin': 'Khai thác dữ liệu và thông tin',
  'giao-tiep': 'Giao tiếp và hợp tác',
  'sang-tao': 'Sáng tạo nội dung số',
  'an-toan': 'An toàn',
  'giai-quyet': 'Giải quyết vấn đề',
  'tri-tue-nhan-tao': 'Ứng dụng trí tuệ nhân tạo',
  khac: 'Khác',
};

export interface SkillInfo {
  id: string;
  name: string;
  domain: SkillDomain;
  required: boolean;
  /** The lesson (and its title) that teaches it with practice questions, if any. */
  lesson: { id: string; title: string } | null;
}

export interface Standard {
  name: string;
  targetPct: number;
  pupilTargetPct: number;
  populations: Record<string, number>;
  skills: SkillInfo[];
}

/** A person's journey: classes, skills demonstrated (when, where), what is missing. */
export interface PersonJourney {
  person: Person;
  classes: { sessionId: string; startedAt: number; lessonTitle: string; instructor: string; rowId: string }[];
  skills: { id: string; name: string; domain: SkillDomain; at: number; sessionId: string; lessonTitle: string }[];
  missing: { id: string; name: string; domain: SkillDomain; lesson: { id: string; title: string } | null }[];
  reached: boolean;
  reachedAt: number | null;
  audit: PersonAuditEntry[];
}

export interface ProgressRow {
  key: string;
  registered: number;
  attended: number;
  reached: number;
  /** Adults of the hamlet entered by the official (hamlets only), null when unknown. */
  population: number | null;
  /** reached / population (hamlets) or reached / registered (groups), %; null when there is no base. */
  sharePct: number | null;
  targetPct: number;
  met: boolean;
}

/** "Tiến độ phong trào": the movement's figures, computed from stored events and the register. */
export interface Progress {
  at: number;
  totals: { registered: number; attended: number; reached: number };
  targetPct: number;
  pupilTargetPct: number;
  hamlets: ProgressRow[];
  groups: ProgressRow[];
  skills: { id: string; name: string; domain: SkillDomain; required: boolean; demonstrated: number; sharePct: number | null }[];
  /** People reaching the standard each month (YYYY-MM), with the running total. */
  months: { month: string; reached: number; cumulative: number }[];
}

/** The festival board: every open class, aggregates only. */
export interface FestivalClass {
  sessionId: string;
  code: string;
  lessonTitle: string;
  startedAt: number;
  joined: number;
  step: number | null;
  stepCount: number;
  stepTitle: string | null;
  donePct: number | null;
  helpWaiting: number;
  oldestHelpSince: number | null;
  activity: { kind: 'question'; prompt: string; answered: number } | null;
}
export interface FestivalBoard {
  at: number;
  classes: FestivalClass[];
}
