import express, { type Response } from 'express';
import type { z } from 'zod';
import { prettifyError } from 'zod';
import { fail, type Ack, type ErrorCode, type LessonIssue } from '../../shared/protocol/errors.ts';

/**
 * A route's JSON body parser. 64 KB is plenty for any command; a route with larger bodies (lesson
 * saves, imports) names its own cap. Parsing is decided route by route, never by matching paths.
 */
export const jsonBody = (limit: number | string = '64kb') => express.json({ limit, strict: true });

/** A zod failure as a bad_request ack: the message says which field is wrong, briefly. */
export function badRequest(error: z.ZodError): Ack<never> {
  return fail('bad_request', prettifyError(error).slice(0, 500));
}

/** A lesson document that does not validate: every problem, with its path relative to the lesson. */
export function invalidLesson(issues: LessonIssue[]): Ack<never> {
  const ack = fail('invalid_lesson');
  return { ok: false, error: { ...ack.error, issues: issues.slice(0, 100) } };
}

/** zod issues as lesson issues; `under` strips the path to the lesson inside a body (e.g. ['lesson']). */
export function lessonIssues(error: z.ZodError, under: readonly (string | number)[] = []): LessonIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.slice(under.length).map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: issue.message,
  }));
}

const status: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  bad_credentials: 401,
  forbidden: 403,
  setup_code_required: 403,
  not_found: 404,
  unknown_code: 404,
  unknown_card: 404,
  person_erased: 409,
  setup_done: 409,
  username_taken: 409,
  lesson_exists: 409,
  lesson_archived: 409,
  backup_external: 409,
  too_large: 413,
  image_too_large: 413,
  image_type: 415,
  invalid_lesson: 422,
  import_format: 422,
  invalid_csv: 422,
  rate_limited: 429,
  internal: 500,
};

/** Answer with an Ack and the HTTP status its error code maps to. */
export function send<T>(res: Response, ack: Ack<T>, okStatus = 200): void {
  res.status(ack.ok ? okStatus : (status[ack.error.code] ?? 400)).json(ack);
}
