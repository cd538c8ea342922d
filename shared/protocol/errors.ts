/** Stable error codes: the only error strings that reach clients. */
export const ErrorCode = {
  bad_request: 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  unknown_code: 'unknown_code',
  unknown_token: 'unknown_token',
  session_ended: 'session_ended',
  step_out_of_range: 'step_out_of_range',
  not_self_paced: 'not_self_paced',
  not_started: 'not_started',
  learner_left: 'learner_left',
  question_not_found: 'question_not_found',
  quiz_closed: 'quiz_closed',
  invalid_answer: 'invalid_answer',
  help_not_found: 'help_not_found',
  help_closed: 'help_closed',
  already_claimed: 'already_claimed',
  setup_done: 'setup_done',
  setup_code_required: 'setup_code_required',
  username_taken: 'username_taken',
  bad_credentials: 'bad_credentials',
  rate_limited: 'rate_limited',
  too_large: 'too_large',
  invalid_lesson: 'invalid_lesson',
  lesson_exists: 'lesson_exists',
  lesson_archived: 'lesson_archived',
  image_type: 'image_type',
  image_too_large: 'image_too_large',
  import_format: 'import_format',
  class_full: 'class_full',
  name_blocked: 'name_blocked',
  unknown_card: 'unknown_card',
  invalid_csv: 'invalid_csv',
  person_erased: 'person_erased',
  task_not_found: 'task_not_found',
  task_closed: 'task_closed',
  invalid_move: 'invalid_move',
  owner_unavailable: 'owner_unavailable',
  backup_external: 'backup_external',
  seat_out_of_grid: 'seat_out_of_grid',
  id_reused: 'id_reused',
  internal: 'internal',
} as const;
export type ErrorCode = keyof typeof ErrorCode;

/** Where a lesson document is wrong: a zod path relative to the lesson, and an English message. */
export interface LessonIssue {
  path: (string | number)[];
  message: string;
}

/** A bad row of a register import: its number in the file and what is wrong, per column. */
export interface CsvRowIssue {
  row: number;
  column: string | null;
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** With `invalid_lesson`: every problem found, so the editor can mark each field. */
  issues?: LessonIssue[];
  /** With `invalid_csv`: every bad row of an import (row 1 is the heading), nothing imported. */
  rows?: CsvRowIssue[];
}

/** Every command's acknowledgement. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Default English messages; user-facing text comes from the client dictionaries by code. */
export const errorMessages: Record<ErrorCode, string> = {
  bad_request: 'The request is malformed.',
  unauthorized: 'Sign in first.',
  forbidden: 'This role may not do that.',
  not_found: 'Not found.',
  unknown_code: 'No open class has this code.',
  unknown_token: 'This learner is not in an open class.',
  session_ended: 'The class has ended.',
  step_out_of_range: 'No such step.',
  not_self_paced: 'Learners cannot move on their own now.',
  not_started: 'The class has not started a step yet.',
  learner_left: 'This learner has left the class.',
  question_not_found: 'No such question.',
  quiz_closed: 'The question is closed; answers are no longer taken.',
  invalid_answer: 'That answer does not fit the question.',
  help_not_found: 'No such help request.',
  help_closed: 'This help request is already closed.',
  already_claimed: 'Someone else is already on the way.',
  setup_done: 'The first account already exists.',
  setup_code_required: 'Setup from another machine needs the setup code printed on the server console.',
  username_taken: 'That username is taken.',
  bad_credentials: 'Wrong username or password.',
  rate_limited: 'Too many attempts; wait a moment.',
  too_large: 'The request body is too large.',
  invalid_lesson: 'The lesson is not valid.',
  lesson_exists: 'A lesson with this id already exists.',
  lesson_archived: 'This lesson is archived; restore it before starting a class with it.',
  image_type: 'Only PNG, JPEG or WebP images are accepted (and the bytes must match the type).',
  image_too_large: 'The image is too large (at most 8 MB and 40 megapixels).',
  import_format: 'This is not a Cùng Học lesson file (kind "cunghoc-lesson", version 1).',
  class_full: 'This class takes no more learners (ask the instructor).',
  name_blocked: 'The instructor has removed this name from the class.',
  unknown_card: 'No person in the register has this card code.',
  invalid_csv: 'Some rows of the file are wrong; nothing was imported.',
  person_erased: 'This person was erased from the register.',
  task_not_found: 'No such practice task.',
  task_closed: 'The practice task is closed.',
  invalid_move: 'That move is not part of the task from the screen the learner is on.',
  owner_unavailable:
    'The server running this class cannot be reached right now (it is moving to another server, or storage is down); nothing was changed. Try again in a moment.',
  backup_external: 'This server keeps its data in PostgreSQL: back it up with pg_dump (docs/deployment.md), not from the console.',
  seat_out_of_grid: 'That place is outside the seat map.',
  id_reused: 'This id was already used for something else; make a new one.',
  internal: 'Something went wrong on the server.',
};

export function fail(code: ErrorCode, message: string = errorMessages[code]): { ok: false; error: ErrorBody } {
  return { ok: false, error: { code, message } };
}
