import type { ClassCounts, ClassView, DisplayView, MeView, RosterEntry, StaffView, StepView } from '../../shared/protocol/views.ts';
import { displayName, learnerStep, type LearnerState, type QuizRun, type SessionState } from './state.ts';
import { displayQuiz, publicQuiz, staffQuiz } from './quiz-views.ts';
import { helpQueue } from './help.ts';
import { stuckReason } from './stuck.ts';
import { seatLayout, tileState } from './seatmap.ts';
import { answerResult } from './scoring.ts';
import { people } from './people.ts';
import { compareNameKeys, compareText, nameKey, type NameKey } from '../../shared/i18n/names.ts';
import { activeTask, displayTask, learnerTask, publicTask, rosterTask, staffTask } from './tasks.ts';

const activeRun = (state: SessionState): QuizRun | undefined => (state.activeRun === null ? undefined : state.quizzes.get(state.activeRun));

/** Presence is not part of the event log: the realtime layer knows who is connected right now. */
export interface Presence {
  connected: boolean;
  lastSeen: number;
  rttMs?: number | null;
}
export type PresenceOf = (learnerId: string) => Presence | undefined;

/** The same for every learner of the class: the current step, or the self-paced range. */
export function classView(state: SessionState, steps: readonly StepView[]): ClassView {
  let visible: StepView[] = [];
  if (state.pacing.mode === 'self') visible = steps.slice(state.pacing.from, state.pacing.to + 1);
  else if (state.current !== null) visible = [steps[state.current]];
  return {
    seq: state.seq,
    stream: 0, // numbered by the room as it sends
    sessionId: state.id,
    lessonTitle: state.lesson.title,
    stepCount: steps.length,
    current: state.current,
    pacing: state.pacing,
    steps: state.status === 'open' ? visible : [],
    status: state.status,
    quiz: mapOr(activeRun(state), publicQuiz),
    task: state.status === 'open' ? mapOr(activeTask(state), publicTask) : null,
  };
}

export function meView(state: SessionState, learner: LearnerState): MeView {
  const run = activeRun(state);
  const answer = run?.answers.get(learner.id);
  return {
    seq: state.seq,
    stream: 0, // numbered by the room as it sends
    learnerId: learner.id,
    name: displayName(learner),
    seat: learner.seat,
    step: learnerStep(state, learner),
    done: [...learner.done].sort((a, b) => a - b),
    help: learner.help !== null,
    helpRequest: helpRequestView(state, learner),
    helpResolved: learner.lastHelp,
    answer:
      run && answer
        ? run.status === 'revealed'
          ? { runId: run.runId, value: answer.value, score: answer.score, result: answerResult(answer.score) }
          : { runId: run.runId, value: answer.value, score: null, result: null }
        : null,
    task: learnerTask(activeTask(state), learner),
  };
}

function helpRequestView(state: SessionState, learner: LearnerState): MeView['helpRequest'] {
  if (!learner.help) return null;
  const request = state.helpRequests.get(learner.help.id);
  if (!request || (request.status !== 'waiting' && request.status !== 'claimed')) return null;
  let position = 1;
  if (request.status === 'waiting') {
    for (const r of state.helpRequests.values()) {
      if (r === request) break;
      if (r.status === 'waiting') position += 1;
    }
  }
  return { status: request.status, position, helperName: request.claimedBy?.name ?? null, reason: request.reason };
}

function rosterEntry(
  state: SessionState,
  learner: LearnerState,
  presence: Presence | undefined,
  now: number,
  medians: Map<number, number | null>,
  screenMedians: Map<string, number | null>,
): RosterEntry {
  const step = learnerStep(state, learner);
  const request = learner.help ? state.helpRequests.get(learner.help.id) : undefined;
  const stuck = stuckReason(state, learner, now, medians, screenMedians);
  const helpStatus = request?.status === 'waiting' || request?.status === 'claimed' ? request.status : null;
  const done = step !== null && learner.done.has(step);
  const connected = presence?.connected ?? false;
  // One object per learner per view, its fields in one literal (one hidden class, no copy): a big
  // class's staff view is rebuilt often while tablets join, and every copy made here outlived a
  // scavenge and left holes in the old space (bench idle: memory per learner).
  return {
    id: learner.id,
    name: displayName(learner),
    seat: learner.seat,
    step,
    done,
    doneCount: learner.done.size,
    helpSince: learner.help?.since ?? null,
    helpStatus,
    stuck,
    task: rosterTask(activeTask(state), learner, now),
    onStepMs: Math.max(0, now - learner.since),
    place: learner.place,
    connected,
    lastSeen: presence?.lastSeen ?? learner.joinedAt,
    rttMs: presence?.rttMs ?? null,
    // The rank is numbered once the roster is sorted (staffView).
    rank: 0,
    tile: tileState({ helpStatus, connected, stuck, done, step }),
    onStuckList: stuck !== null && helpStatus === null,
  };
}

/**
 * What a helper's phone gets: the staff view without any answer key (no question, no step
 * questions). Helpers walk the room; they do not need the keys, and a phone is easily looked at.
 */
export function helperView(view: StaffView): StaffView {
  return { ...view, quiz: null, stepQuestions: [] };
}

export function staffView(
  state: SessionState,
  steps: readonly StepView[],
  presenceOf: PresenceOf,
  joinUrl: string,
  now: number = state.startedAt,
): StaffView {
  // Sorted by seat, then by the learner's own name (a pair's display name "An & Bình" would sort by its last partner).
  const sortable: { name: NameKey; entry: RosterEntry }[] = [];
  const counts: ClassCounts = { total: 0, done: 0, help: 0, stuck: 0, connected: 0, disconnected: 0 };
  const medians = new Map<number, number | null>();
  const screenMedians = new Map<string, number | null>();
  let doneCurrent = 0;
  for (const learner of state.learners.values()) {
    if (learner.left) continue;
    const entry = rosterEntry(state, learner, presenceOf(learner.id), now, medians, screenMedians);
    sortable.push({ name: nameKey(learner.name), entry });
    // In people (people.ts): a pair's tablet counts both of them.
    const n = people(learner);
    counts.total += n;
    if (entry.done) counts.done += n;
    if (state.current !== null && learner.done.has(state.current)) doneCurrent += n;
    if (entry.stuck) counts.stuck += n;
    if (entry.helpSince !== null) counts.help += n;
    if (entry.connected) counts.connected += n;
    else counts.disconnected += n;
  }
  sortable.sort((a, b) => compareText(a.entry.seat, b.entry.seat) || compareNameKeys(a.name, b.name));
  const roster = sortable.map((s) => s.entry);
  // The console's roster: who needs help comes first, longest waiting on top; then by seat, as the
  // room is laid out; then by name, the Vietnamese way (given name first, shared/i18n/names.ts).
  // The roster is in seat and name order already, and sort is stable: only the wait needs comparing
  // (no second pass of name comparisons, the costly part for a hall of 500).
  [...roster].sort((a, b) => (a.helpSince ?? Infinity) - (b.helpSince ?? Infinity)).forEach((entry, rank) => (entry.rank = rank));
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
    helpQueue: helpQueue(state).map((r) => {
      const l = state.learners.get(r.learnerId)!;
      return {
        id: r.id,
        learnerId: r.learnerId,
        name: displayName(l),
        seat: l.seat,
        step: r.step,
        reason: r.reason,
        at: r.at,
        status: r.status as 'waiting' | 'claimed',
        claimedBy: r.claimedBy?.name ?? null,
        claimedAt: r.claimedAt,
      };
    }),
    pace: {
      done: doneCurrent,
      total: counts.total,
      suggestNext: counts.total > 0 && state.current !== null && doneCurrent / counts.total >= state.stuckConfig.paceThreshold,
    },
    stuckConfig: state.stuckConfig,
    seatMap: state.seatMap,
    seatLayout: seatLayout(roster, state.seatMap),
    now,
    step: state.current === null ? null : steps[state.current],
    quiz: mapOr(activeRun(state), (run) => staffQuiz(state, run)),
    stepQuestions: state.lesson.steps.flatMap((step, i) => (step.questions.length ? [{ step: i, questions: step.questions }] : [])),
    runs: [...state.quizzes.values()].map((run) => ({
      runId: run.runId,
      prompt: run.question.prompt,
      status: run.status,
      answered: [...run.answers.keys()].reduce((n, id) => n + people(state.learners.get(id) ?? { partners: [] }), 0),
    })),
    task: mapOr(activeTask(state), (run) => staffTask(state, run)),
    stepTasks: state.lesson.steps.flatMap((step, i) =>
      step.tasks.length ? [{ step: i, tasks: step.tasks.map((t) => ({ id: t.id, title: t.title, screens: t.screens.length })) }] : [],
    ),
  };
}

/** The projector: code, step and aggregates; no names. */
export function displayView(state: SessionState, steps: readonly StepView[], joinUrl: string): DisplayView {
  let joined = 0;
  let done = 0;
  for (const learner of state.learners.values()) {
    if (learner.left) continue;
    joined += people(learner);
    const step = learnerStep(state, learner);
    if (step !== null && learner.done.has(step)) done += people(learner);
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
    task: state.status === 'ended' ? null : mapOr(activeTask(state), (run) => displayTask(state, run)),
  };
}

function mapOr<T, U>(value: T | undefined, f: (v: T) => U): U | null {
  return value === undefined ? null : f(value);
}
