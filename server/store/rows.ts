import type { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonSummary, SessionSummary } from '../../shared/protocol/views.ts';
import type { Person, PersonGroup } from '../../shared/protocol/register.ts';
import { compareText, foldText } from '../../shared/i18n/names.ts';
import type { AuditRecord, LinkRecord } from './register-port.ts';
import type { UserRecord } from './store.ts';

/**
 * Row mapping shared by the SQLite and PostgreSQL stores: both keep the same columns, so a row reads
 * the same way whichever database gave it (only how a boolean comes back differs, see LessonRow).
 */

export interface SessionRow {
  id: string;
  code: string;
  lesson_id: string;
  lesson_title: string;
  status: 'open' | 'ended';
  started_at: number;
  ended_at: number | null;
  learner_count: number;
}

export const toSummary = (r: SessionRow): SessionSummary => ({
  id: r.id,
  code: r.code,
  lessonId: r.lesson_id,
  lessonTitle: r.lesson_title,
  status: r.status,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  learnerCount: r.learner_count,
});

/** A lesson row; `archived` is an INTEGER 0/1 in SQLite and a boolean in PostgreSQL. */
export interface LessonRow {
  doc: string;
  archived: number | boolean;
  updated_at: number;
  position: number | null;
}

/**
 * Lesson rows (ordered by position, NULLs last) as the lesson list: starter lessons by position, the
 * others by title as a Vietnamese reader expects (in JS: the database's collation may differ).
 */
export function lessonSummaries(rows: LessonRow[]): LessonSummary[] {
  const summaries = rows.map((row): LessonSummary & { position: number | null } => {
    const lesson = JSON.parse(row.doc) as Lesson; // validated before it was written
    return {
      id: lesson.id,
      title: lesson.title,
      summary: lesson.summary,
      stepCount: lesson.steps.length,
      archived: row.archived === true || row.archived === 1,
      updatedAt: row.updated_at,
      position: row.position,
    };
  });
  const starters = summaries.filter((s) => s.position !== null);
  const others = summaries.filter((s) => s.position === null).sort((a, b) => compareText(a.title, b.title) || (a.id < b.id ? -1 : 1));
  return [...starters, ...others].map(({ position: _position, ...summary }) => summary);
}

export interface PersonRow {
  id: string;
  card: string | null;
  name: string | null;
  birth_year: number | null;
  hamlet: string;
  grp: PersonGroup;
  phone: string | null;
  consent_date: string | null;
  created_at: number;
  updated_at: number;
  erased_at: number | null;
}

export const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  card: r.card,
  name: r.name,
  birthYear: r.birth_year,
  hamlet: r.hamlet,
  group: r.grp,
  phone: r.phone,
  consentDate: r.consent_date,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  erasedAt: r.erased_at,
});

/** The sort keys of a person's name: the whole name folded, and the given name (the last word) folded. */
export const nameKeys = (name: string) => ({ nameKey: foldText(name), givenKey: foldText(name.trim().split(/\s+/).pop() ?? '') });

/** What an erased person's name becomes in the session events that named them. */
export const ERASED_NAME = '—';

/** An audit entry of the register with the name of the user who made it (the user's id once the user is gone). */
export interface AuditRow {
  person_id: string;
  at: number;
  user_id: string;
  action: AuditRecord['action'];
  detail: string;
  user_name: string | null;
}

export const toAudit = (r: AuditRow): AuditRecord & { userName: string } => ({
  personId: r.person_id,
  at: r.at,
  userId: r.user_id,
  userName: r.user_name ?? r.user_id,
  action: r.action,
  detail: r.detail,
});

export type LinkRow = { session_id: string; row_id: string; person_id: string; at: number };
export const toLink = (r: LinkRow): LinkRecord => ({ sessionId: r.session_id, rowId: r.row_id, personId: r.person_id, at: r.at });

export const toUser = (r: Record<string, unknown> | undefined): UserRecord | undefined =>
  r && {
    id: r.id as string,
    username: r.username as string,
    displayName: r.display_name as string,
    passwordHash: r.password_hash as string,
    createdAt: r.created_at as number,
  };
