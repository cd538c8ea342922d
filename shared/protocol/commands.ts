import { z } from 'zod';
import { AnswerValue, Question } from '../lesson/question.ts';
import { Lesson } from '../lesson/schema.ts';
import { CARD_CODE, CLASS_CODE, cleanText, HELPER_CODE, NAME_MAX } from './text.ts';

/** A client-generated secret: 128 bits or more, base64url. Doubles as the learner's resume token. */
export const Token = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'must be 22–64 base64url characters');
export const ClassCode = z.string().regex(CLASS_CODE, 'must be 6 digits');
export const SessionId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/);
export const StepIndex = z.number().int().min(0).max(999);

/**
 * Characters that render as nothing although Unicode calls them letters or symbols (Hangul fillers,
 * the blank Braille pattern, Khmer inherent vowels, …): a name made of them would be invisible.
 */
// Alternatives, not a character class: U+1160 and U+17B4/5 are combining marks, each wanted on its own.
const INVISIBLE = /\u115F|\u1160|\u17B4|\u17B5|\u180E|\u2800|\u3164|\uFFA0/u;

/** A first name: trimmed, inner spaces folded, NFC, 1–40 characters, no control characters, something visible. */
export const LearnerName = z
  .string()
  .max(200)
  .transform(cleanText)
  .pipe(
    z
      .string()
      .min(1)
      .max(NAME_MAX)
      .regex(/^[^\p{Cc}\p{Cf}\p{Cs}<>]+$/u, 'must be plain text')
      .refine((s) => !INVISIBLE.test(s), 'must not contain invisible characters')
      // At least one letter, digit or pictograph: marks alone (combining accents) show nothing.
      .refine((s) => /[\p{L}\p{N}\p{Extended_Pictographic}]/u.test(s), 'must contain a letter or digit'),
  );
export const SeatLabel = z
  .string()
  .max(200)
  .transform(cleanText)
  .pipe(
    z
      .string()
      .max(NAME_MAX)
      .regex(/^[^\p{Cc}\p{Cf}\p{Cs}<>]*$/u, 'must be plain text'),
  );

// ---- learner namespace (/learner) ----

/** A learner card code (the register, docs/register.md): 9 digits from 2 to 9, spaces allowed. */
export const CardCode = z
  .string()
  .max(40)
  .transform((s) => s.replace(/[\s.-]/g, ''))
  .pipe(z.string().regex(CARD_CODE, 'must be 9 digits from 2 to 9'));

export const LearnerJoin = z
  .strictObject({
    code: ClassCode,
    /** The typed first name; with a card, the register's name is used instead. */
    name: LearnerName.optional(),
    /** "Tôi có thẻ học viên": the learner's card code; the class greets them by their name in the register. */
    card: CardCode.optional(),
    /** Pair mode: the first names of the one or two others sharing this tablet. */
    partners: z.array(LearnerName).max(2).optional(),
    /** Pair mode: the cards of others sharing the tablet (after `partners`; at most two others in all). */
    partnerCards: z.array(CardCode).max(2).optional(),
    seat: SeatLabel.optional(),
    token: Token,
  })
  .refine((j) => j.name !== undefined || j.card !== undefined, { message: 'give a name or a card', path: ['name'] })
  .refine((j) => (j.partners?.length ?? 0) + (j.partnerCards?.length ?? 0) <= 2, { message: 'at most two others', path: ['partners'] });
export type LearnerJoin = z.infer<typeof LearnerJoin>;

export const LearnerResume = z.strictObject({ token: Token });
export type LearnerResume = z.infer<typeof LearnerResume>;
/** A learner's handshake auth on /learner: the resume token, if this device has a learner, binds the socket at once. */
export const LearnerAuth = z.object({ token: Token.optional() });
export type LearnerAuth = z.infer<typeof LearnerAuth>;

/** Mark a step done (or not). Carries the step so a late tap counts for the step it was made on. */
export const LearnerDone = z.strictObject({ step: StepIndex, done: z.boolean() });
export type LearnerDone = z.infer<typeof LearnerDone>;

/** Why a learner asks for help: one tap, optional. */
export const HelpReason = z.enum(['not_understood', 'device_problem', 'falling_behind']);
export type HelpReason = z.infer<typeof HelpReason>;

/** A client-made id of something a command creates (a quiz or task run, a help request): a retry reuses it. */
const RunId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/);
const HelpId = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/);

/**
 * Raise (with an optional reason) or withdraw the learner's help request. Raising carries the
 * request's client-made `requestId`, so a retry raises it once (without one, the server makes it).
 */
export const LearnerHelp = z.strictObject({ active: z.boolean(), reason: HelpReason.optional(), requestId: HelpId.optional() });
export type LearnerHelp = z.infer<typeof LearnerHelp>;

/** Move within the self-paced range. */
export const LearnerNavigate = z.strictObject({ step: StepIndex });
export type LearnerNavigate = z.infer<typeof LearnerNavigate>;

export const LearnerLeave = z.strictObject({});

/** "Máy này": label this tablet on its join screen; a live session's helper code proves staff. */
export const TabletSeat = z.strictObject({
  helperCode: z.string().trim().toUpperCase().regex(HELPER_CODE),
  seat: SeatLabel,
});
export type TabletSeat = z.infer<typeof TabletSeat>;

/** The tablet's heartbeat: the round-trip time it measured on the previous ping, for the console. */
export const LearnerPing = z.strictObject({ rttMs: z.number().min(0).max(120_000).nullable() });
export type LearnerPing = z.infer<typeof LearnerPing>;
export type LearnerLeave = z.infer<typeof LearnerLeave>;

/** Answer the question on screen; `answerId` is client-generated so a resend is counted once. */
export const QuizAnswer = z.strictObject({
  runId: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/),
  answerId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  value: AnswerValue,
});
export type QuizAnswer = z.infer<typeof QuizAnswer>;

const TaskLocalId = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
  .max(40);
/** What the learner did on a practice task's screen; `entry` is checked by the server and never kept. */
export const TaskActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tap'), element: TaskLocalId }),
  z.strictObject({ kind: z.literal('scan'), element: TaskLocalId, code: TaskLocalId }),
  z.strictObject({ kind: z.literal('enter'), element: TaskLocalId, entry: z.string().max(100) }),
  z.strictObject({ kind: z.literal('miss') }),
  z.strictObject({ kind: z.literal('hint') }),
  z.strictObject({ kind: z.literal('retry') }),
]);

/** A move on a practice task: from the screen the tablet was on; `moveId` is client-made, so a resend counts once. */
export const TaskMove = z.strictObject({
  runId: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/),
  moveId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  from: TaskLocalId,
  action: TaskActionSchema,
});
export type TaskMove = z.infer<typeof TaskMove>;

// ---- staff namespace (/staff) ----

export const StaffWatch = z.strictObject({ sessionId: SessionId });
export type StaffWatch = z.infer<typeof StaffWatch>;

export const StepPush = z.strictObject({ sessionId: SessionId, step: StepIndex });
export type StepPush = z.infer<typeof StepPush>;

export const Pacing = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('instructor') }),
  z.strictObject({ mode: z.literal('self'), from: StepIndex, to: StepIndex }),
]);
export type Pacing = z.infer<typeof Pacing>;

export const PacingSet = z.strictObject({ sessionId: SessionId, pacing: Pacing });
export type PacingSet = z.infer<typeof PacingSet>;

export const SessionEnd = z.strictObject({ sessionId: SessionId });
export type SessionEnd = z.infer<typeof SessionEnd>;

/** Open a question: one of the lesson's (by step and id) or a quick one typed during class. */
export const QuizOpen = z.strictObject({
  sessionId: SessionId,
  /** Client-made: a retry opens the run once (without one, the server makes it). */
  runId: RunId.optional(),
  source: z.union([z.strictObject({ step: StepIndex, questionId: z.string().max(64) }), z.strictObject({ question: Question })]),
  /** Seconds (the console offers 30, 60, 120), or null: no time limit. */
  timeLimit: z.number().int().min(10).max(1800).nullable().default(null),
});
export type QuizOpen = z.infer<typeof QuizOpen>;

export const QuizRunRef = z.strictObject({ sessionId: SessionId, runId: RunId });
export type QuizRunRef = z.infer<typeof QuizRunRef>;

export const QuizShowResults = z.strictObject({ sessionId: SessionId, runId: RunId, show: z.boolean() });
export type QuizShowResults = z.infer<typeof QuizShowResults>;

/** Open one of the lesson's practice tasks for the class. */
export const TaskOpen = z.strictObject({
  sessionId: SessionId,
  runId: RunId.optional(),
  source: z.strictObject({ step: StepIndex, taskId: z.string().max(64) }),
});
export type TaskOpen = z.infer<typeof TaskOpen>;
/** Close the task on the tablets, for everyone. */
export const TaskRunRef = z.strictObject({ sessionId: SessionId, runId: RunId });
export type TaskRunRef = z.infer<typeof TaskRunRef>;

const LearnerId = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/);

/** Helpers and the instructor work the help queue. */
export const HelpClaim = z.strictObject({ sessionId: SessionId, requestId: HelpId });
export type HelpClaim = z.infer<typeof HelpClaim>;

/** Stuck detection rules, per session (docs/help-and-stuck.md). */
export const StuckConfig = z.strictObject({
  enabled: z.boolean(),
  /** Flag when time on the step exceeds the step's expected minutes times this factor (0 = ignore). */
  expectedFactor: z.number().min(0).max(10),
  /** …or exceeds this many times the class's median time-to-done on the step (0 = ignore). */
  medianFactor: z.number().min(0).max(10),
  /** The median counts only once this many learners are done. */
  minDone: z.number().int().min(1).max(100),
  /** …or after this many wrong answers to the step's practice questions (0 = ignore). */
  wrongAnswers: z.number().int().min(0).max(10),
  /** …or after this many taps in a row that hit nothing on a practice task's screen (0 = ignore). */
  taskMisses: z.number().int().min(0).max(10).default(3),
  /** Suggest moving on when this share of the class is done (0–1). */
  paceThreshold: z.number().min(0.1).max(1),
});
export type StuckConfig = z.infer<typeof StuckConfig>;
export const defaultStuckConfig: StuckConfig = {
  enabled: true,
  expectedFactor: 1,
  medianFactor: 2,
  minDone: 3,
  wrongAnswers: 2,
  taskMisses: 3,
  paceThreshold: 0.8,
};

export const StuckConfigure = z.strictObject({ sessionId: SessionId, config: StuckConfig });
export type StuckConfigure = z.infer<typeof StuckConfigure>;

export const StuckDismiss = z.strictObject({ sessionId: SessionId, learnerId: LearnerId });
export type StuckDismiss = z.infer<typeof StuckDismiss>;

/** The seat map: the room's rows and columns, and where a learner's tile sits. */
export const SeatMapSet = z.strictObject({
  sessionId: SessionId,
  rows: z.number().int().min(1).max(20),
  cols: z.number().int().min(1).max(20),
});
export type SeatMapSet = z.infer<typeof SeatMapSet>;

export const SeatPlace = z.strictObject({
  sessionId: SessionId,
  learnerId: LearnerId,
  row: z.number().int().min(0).max(19),
  col: z.number().int().min(0).max(19),
});
export type SeatPlace = z.infer<typeof SeatPlace>;

/** "Cho rời lớp": the instructor removes a learner; `block` also refuses this name in this class from now on. */
export const LearnerRemove = z.strictObject({ sessionId: SessionId, learnerId: LearnerId, block: z.boolean() });
export type LearnerRemove = z.infer<typeof LearnerRemove>;

/** "Đặt tên máy": staff give the tablet of a learner in class its seat label. */
export const SeatLabelSet = z.strictObject({ sessionId: SessionId, learnerId: LearnerId, seat: SeatLabel });
export type SeatLabelSet = z.infer<typeof SeatLabelSet>;

/** A helper's handshake auth on /staff: the session's helper code, a name, and a client token. */
export const HelperAuth = z.strictObject({
  helperCode: z.string().trim().toUpperCase().regex(HELPER_CODE),
  name: LearnerName,
  token: Token,
});
export type HelperAuth = z.infer<typeof HelperAuth>;

// ---- display namespace (/display) ----

export const DisplayWatch = z.strictObject({ code: ClassCode });
export type DisplayWatch = z.infer<typeof DisplayWatch>;

// ---- HTTP bodies ----

export const Username = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, dot, dash, underscore');
export const Password = z.string().min(8).max(200);

export const SetupBody = z.strictObject({
  username: Username,
  displayName: LearnerName,
  password: Password,
  setupCode: z.string().max(20).optional(),
});
export const LoginBody = z.strictObject({ username: z.string().max(40), password: z.string().max(200) });
export const CreateUserBody = z.strictObject({ username: Username, displayName: LearnerName, password: Password });
export const StartSessionBody = z.strictObject({ lessonId: z.string().max(64) });

// ---- lesson editor (HTTP, docs/protocol.md) ----

/** POST /api/lessons and PUT /api/lessons/:id. Lesson problems come back as `invalid_lesson` issues. */
export const LessonBody = z.strictObject({ lesson: Lesson });
export type LessonBody = z.infer<typeof LessonBody>;

/** POST /api/lessons/:id/archive: archive (true) or restore (false). */
export const ArchiveBody = z.strictObject({ archived: z.boolean() });
export type ArchiveBody = z.infer<typeof ArchiveBody>;

/** POST /api/lessons/:id/duplicate: an empty JSON object. */
export const DuplicateBody = z.strictObject({});

/** A picture carried inside a lesson file: its type and its bytes in base64. */
export const LessonFileImage = z.strictObject({
  type: z.string().max(100),
  data: z
    .string()
    .max(12_000_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
});

/**
 * A lesson file (`<id>.cunghoc.json`), as GET /api/lessons/:id/export writes it and
 * POST /api/lessons/import reads it: the lesson and the uploaded pictures it uses.
 */
export const LessonFile = z.strictObject({
  kind: z.literal('cunghoc-lesson'),
  version: z.literal(1),
  lesson: Lesson,
  images: z.record(z.string().max(128), LessonFileImage).default({}),
});
export type LessonFile = z.infer<typeof LessonFile>;
