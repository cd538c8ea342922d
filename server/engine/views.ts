import type {
  ClassCounts,
  ClassView,
  DisplayView,
  MeView,
  RosterEntry,
  StaffView,
  StepView,
} from '../../shared/protocol/views.ts';
import { learnerStep, type LearnerState, type QuizRun, type SessionState } from './state.ts';
import { displayQuiz, publicQuiz, staffQuiz } from './quiz-views.ts';

const activeRun = (state: SessionState): QuizRun | undefined =>
  state.activeRun === null ? undefined : state.quizzes.get(state.activeRun);

/** Presence is not part of the event log: the realtime layer knows who is connected right now. */
export interface Presence {
  connected: boolean;
  lastSeen: number;
}
export type PresenceOf = (learnerId: string) => Presence | undefined;

/** The same for every learner of the class: the current step, or the self-paced range. */
export function classView(state: SessionState, steps: readonly StepView[]): ClassView {
  let visible: StepView[] = [];
  if (state.pacing.mode === 'self') visible = steps.slice(state.pacing.from, state.pacing.to + 1);
  else if (state.current !== null) visible = [steps[state.current]];
  return {
    seq: state.seq,
    sessionId: state.id,
    lessonTitle: state.lesson.title,
    stepCount: steps.length,
    current: state.current,
    pacing: state.pacing,
    steps: state.status === 'open' ? visible : [],
    status: state.status,
    quiz: mapOr(activeRun(state), publicQuiz),
  };
}

export function meView(state: SessionState, learner: LearnerState): MeView {
  const run = activeRun(state);
  const answer = run?.answers.get(learner.id);
  return {
    seq: state.seq,
    learnerId: learner.id,
    name: learner.name,
    seat: learner.seat,
    step: learnerStep(state, learner),
    done: [...learner.done].sort((a, b) => a - b),
    help: learner.help !== null,
    answer:
      run && answer
        ? { runId: run.runId, value: answer.value, score: run.status === 'revealed' ? answer.score : null }
        : null,
  };
}

function rosterEntry(state: SessionState, learner: LearnerState, presence: Presence | undefined): RosterEntry {
  const step = learnerStep(state, learner);
  return {
    id: learner.id,
    name: learner.name,
    seat: learner.seat,
    step,
    done: step !== null && learner.done.has(step),
    doneCount: learner.done.size,
    helpSince: learner.help?.since ?? null,
    connected: presence?.connected ?? false,
    lastSeen: presence?.lastSeen ?? learner.joinedAt,
  };
}

const byName = new Intl.Collator('vi', { sensitivity: 'base', numeric: true });

export function staffView(
  state: SessionState,
  steps: readonly StepView[],
  presenceOf: PresenceOf,
  joinUrl: string,
): StaffView {
  const roster: RosterEntry[] = [];
  const counts: ClassCounts = { total: 0, done: 0, help: 0, connected: 0, disconnected: 0 };
  for (const learner of state.learners.values()) {
    if (learner.left) continue;
    const entry = rosterEntry(state, learner, presenceOf(learner.id));
    roster.push(entry);
    counts.total += 1;
    if (entry.done) counts.done += 1;
    if (entry.helpSince !== null) counts.help += 1;
    if (entry.connected) counts.connected += 1;
    else counts.disconnected += 1;
  }
  roster.sort((a, b) => byName.compare(a.seat, b.seat) || byName.compare(a.name, b.name));
  return {
    seq: state.seq,
    sessionId: state.id,
    code: state.code,
    helperCode: state.helperCode,
    joinUrl,
    lessonTitle: state.lesson.title,
    outline: steps.map(({ index, id, title }) => ({ index, id, title })),
    current: state.current,
    pacing: state.pacing,
    status: state.status,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    roster,
    counts,
    step: state.current === null ? null : steps[state.current],
    quiz: mapOr(activeRun(state), (run) => staffQuiz(state, run)),
    stepQuestions: state.lesson.steps.flatMap((step, i) => (step.questions.length ? [{ step: i, questions: step.questions }] : [])),
    runs: [...state.quizzes.values()].map((run) => ({
      runId: run.runId,
      prompt: run.question.prompt,
      status: run.status,
      answered: run.answers.size,
    })),
  };
}

/** The projector: code, step and aggregates; no names. */
export function displayView(state: SessionState, steps: readonly StepView[], joinUrl: string): DisplayView {
  let joined = 0;
  let done = 0;
  for (const learner of state.learners.values()) {
    if (learner.left) continue;
    joined += 1;
    const step = learnerStep(state, learner);
    if (step !== null && learner.done.has(step)) done += 1;
  }
  return {
    seq: state.seq,
    code: state.code,
    joinUrl,
    lessonTitle: state.lesson.title,
    status: state.status,
    current: state.current,
    stepCount: steps.length,
    step: state.current === null || state.status === 'ended' ? null : steps[state.current],
    joined,
    done,
    quiz: state.status === 'ended' ? null : mapOr(activeRun(state), (run) => displayQuiz(state, run)),
  };
}

function mapOr<T, U>(value: T | undefined, f: (v: T) => U): U | null {
  return value === undefined ? null : f(value);
}
