import { isDeepStrictEqual } from 'node:util';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { Question } from '../../shared/lesson/question.ts';
import { defaultStuckConfig } from '../../shared/protocol/commands.ts';
import { answerFits, scoreAnswer } from './scoring.ts';
import { none, type Command, type CommandOf, type Decision } from './commands.ts';
import type { SessionEvent, SessionStarted } from './events.ts';
import { closeOpenRequest, decideHelp, decideLearnerHelp, evolveHelp } from './help.ts';
import { assertNever } from './never.ts';
import { decideSeatMap, evolveSeatMap } from './seatmap.ts';
import { decideStuck, evolveStuck } from './stuck.ts';
import { decideTask, evolveTask, putAwayTask, tasksWithStep } from './tasks.ts';
import { learnerStep, nameKey, type Ctx, type LearnerState, type QuizRun, type SessionState } from './state.ts';

export type { Command, CommandOf, Decision } from './commands.ts';
export { assertNever } from './never.ts';

/** The first event of every session. */
export function startSession(input: {
  sessionId: string;
  code: string;
  helperCode: string;
  instructorId: string;
  lesson: Lesson;
  now: number;
}): SessionStarted {
  return {
    type: 'session:started',
    at: input.now,
    sessionId: input.sessionId,
    code: input.code,
    helperCode: input.helperCode,
    instructorId: input.instructorId,
    lesson: input.lesson,
  };
}

/** The learner a command comes from, or why it is refused: not a learner, not in this session, or gone. */
function actingLearner(state: SessionState, { actor }: Ctx): LearnerState | { error: 'forbidden' | 'unknown_token' | 'learner_left' } {
  if (actor.role !== 'learner') return { error: 'forbidden' };
  const learner = state.learners.get(actor.learnerId);
  if (!learner) return { error: 'unknown_token' };
  if (learner.left) return { error: 'learner_left' };
  return learner;
}

/** Decide what a command does to a session. Pure: reads state, never changes it. */
export function decide(state: SessionState, command: Command, ctx: Ctx): Decision {
  const { actor, now } = ctx;
  if (state.status === 'ended') {
    // Ending twice is a harmless repeat; anything else is too late.
    return command.type === 'session:end' && actor.role === 'instructor' ? none : { error: 'session_ended' };
  }
  const stepCount = state.lesson.steps.length;
  const validStep = (step: number) => Number.isInteger(step) && step >= 0 && step < stepCount;

  switch (command.type) {
    case 'learner:join': {
      if (actor.role !== 'guest') return { error: 'forbidden' };
      const existing = state.byToken.get(command.tokenHash);
      if (existing !== undefined) {
        // A retried join (same client token) is the same learner.
        return state.learners.get(existing)?.left ? { error: 'learner_left' } : none;
      }
      const { learnerId, name, seat, tokenHash } = command;
      const partners = command.partners ?? [];
      if (partners.length > 2) return { error: 'bad_request' };
      if ([name, ...partners].some((n) => state.blockedNames.has(nameKey(n)))) return { error: 'name_blocked' };
      if (command.capacity !== undefined && activeLearners(state) >= command.capacity) return { error: 'class_full' };
      return {
        events: [{ type: 'learner:joined', at: now, learnerId, name, seat, tokenHash, ...(partners.length ? { partners } : {}) }],
      };
    }
    case 'seat:label': {
      // Instructor or helper: whoever walks the room labels the tablets.
      if (actor.role !== 'instructor' && actor.role !== 'helper') return { error: 'forbidden' };
      const learner = state.learners.get(command.learnerId);
      if (!learner || learner.left) return { error: 'not_found' };
      if (learner.seat === command.seat) return none;
      return { events: [{ type: 'seat:labeled', at: now, learnerId: learner.id, seat: command.seat }] };
    }
    case 'learner:remove': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const learner = state.learners.get(command.learnerId);
      if (!learner) return { error: 'not_found' };
      const blocked = state.blockedNames.has(nameKey(learner.name));
      if (learner.left && (!command.block || blocked)) return none;
      return { events: [{ type: 'learner:removed', at: now, learnerId: learner.id, block: command.block }] };
    }
    case 'step:push': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      if (!validStep(command.step)) return { error: 'step_out_of_range' };
      if (state.current === command.step && state.pacing.mode === 'instructor' && state.activeRun === null) return none;
      // Moving on takes the question and the task off the screens; a task that comes with the step opens.
      const again = state.current === command.step && state.activeTask !== null;
      return {
        events: [
          ...putAwayQuiz(state, now),
          ...(again ? [] : putAwayTask(state, now)),
          { type: 'step:pushed', at: now, step: command.step },
          ...(again ? [] : tasksWithStep(state, command.step, now)),
        ],
      };
    }
    case 'pacing:set': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const { pacing } = command;
      if (pacing.mode === 'instructor') {
        if (state.pacing.mode === 'instructor') return none;
        return { events: [{ type: 'pacing:changed', at: now, pacing }] };
      }
      if (!validStep(pacing.from) || !validStep(pacing.to) || pacing.from > pacing.to) {
        return { error: 'step_out_of_range' };
      }
      if (state.pacing.mode === 'self' && state.pacing.from === pacing.from && state.pacing.to === pacing.to) {
        return none;
      }
      return { events: [{ type: 'pacing:changed', at: now, pacing }] };
    }
    case 'session:end': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      return { events: [...putAwayQuiz(state, now), ...putAwayTask(state, now), { type: 'session:ended', at: now }] };
    }
    case 'quiz:open': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const existing = state.quizzes.get(command.runId);
      // A retry (same client-made run id) opens nothing new; the id of another question is refused.
      if (existing) return sameQuizOpen(existing, command) ? none : { error: 'id_reused' };
      let question: Question;
      let source: { step: number; questionId: string } | null = null;
      if ('question' in command.source) {
        question = command.source.question;
      } else {
        const { step, questionId } = command.source;
        const found = state.lesson.steps[step]?.questions.find((q) => q.id === questionId);
        if (!found) return { error: 'question_not_found' };
        question = found;
        source = { step, questionId };
      }
      const deadline = command.timeLimit === null ? null : now + command.timeLimit * 1000;
      // One thing on the screen at a time: a question takes the task away.
      return {
        events: [
          ...putAwayQuiz(state, now),
          ...putAwayTask(state, now),
          {
            type: 'quiz:opened',
            at: now,
            runId: command.runId,
            question,
            source,
            deadline,
            ...(command.shuffleSeed ? { shuffleSeed: command.shuffleSeed } : {}),
          },
        ],
      };
    }
    case 'quiz:answer': {
      const learner = actingLearner(state, ctx);
      if ('error' in learner) return learner;
      const run = state.quizzes.get(command.runId);
      if (!run) return { error: 'question_not_found' };
      // A resend of an answer already taken is acknowledged again, never counted twice.
      if (run.answerIds.has(command.answerId)) return none;
      if (run.status !== 'open' || (run.deadline !== null && now > run.deadline)) return { error: 'quiz_closed' };
      if (!answerFits(run.question, command.value)) return { error: 'invalid_answer' };
      return {
        events: [
          {
            type: 'quiz:answered',
            at: now,
            runId: run.runId,
            learnerId: learner.id,
            answerId: command.answerId,
            value: command.value,
            score: scoreAnswer(run.question, command.value),
          },
        ],
      };
    }
    case 'quiz:close': {
      if (actor.role !== 'instructor' && actor.role !== 'system') return { error: 'forbidden' };
      const run = state.quizzes.get(command.runId);
      if (!run) return { error: 'question_not_found' };
      return run.status === 'open' ? { events: [{ type: 'quiz:closed', at: now, runId: run.runId }] } : none;
    }
    case 'quiz:reveal': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const run = state.quizzes.get(command.runId);
      if (!run) return { error: 'question_not_found' };
      if (run.status === 'revealed') return none;
      const events: SessionEvent[] = [];
      if (run.status === 'open') events.push({ type: 'quiz:closed', at: now, runId: run.runId });
      events.push({ type: 'quiz:revealed', at: now, runId: run.runId });
      return { events };
    }
    case 'quiz:show-results': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const run = state.quizzes.get(command.runId);
      if (!run) return { error: 'question_not_found' };
      if (run.showResults === command.show) return none;
      return { events: [{ type: 'quiz:results-shown', at: now, runId: run.runId, show: command.show }] };
    }
    case 'quiz:dismiss': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      if (!state.quizzes.has(command.runId)) return { error: 'question_not_found' };
      if (state.activeRun !== command.runId) return none;
      return { events: putAwayQuiz(state, now) };
    }
    case 'task:open':
    case 'task:close': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const decision = decideTask(state, command, null, now);
      // A task takes the question off the screens.
      if (command.type === 'task:open' && 'events' in decision && decision.events.length) {
        return { events: [...putAwayQuiz(state, now), ...decision.events] };
      }
      return decision;
    }
    case 'task:move': {
      const learner = actingLearner(state, ctx);
      if ('error' in learner) return learner;
      return decideTask(state, command, learner, now);
    }
    case 'help:claim':
    case 'help:release':
    case 'help:resolve':
      return decideHelp(state, command, actor, now);
    case 'stuck:dismiss':
    case 'stuck:configure':
      return decideStuck(state, command, actor, now);
    case 'seatmap:set':
    case 'seat:place':
      return decideSeatMap(state, command, actor, now);
    case 'learner:navigate':
    case 'learner:done':
    case 'learner:help':
    case 'learner:leave': {
      const learner = actingLearner(state, ctx);
      if ('error' in learner) return learner;
      return decideForLearner(state, learner, command, now);
    }
    default:
      return assertNever(command);
  }
}

/** Is a `quiz:open` with a run id already taken the same command again (a retry)? */
function sameQuizOpen(run: QuizRun, command: CommandOf<'quiz:open'>): boolean {
  const timeLimit = run.deadline === null ? null : (run.deadline - run.openedAt) / 1000;
  if (timeLimit !== command.timeLimit) return false;
  if ('question' in command.source) return run.source === null && isDeepStrictEqual(run.question, command.source.question);
  return run.source?.step === command.source.step && run.source.questionId === command.source.questionId;
}

/** Learners in the class now (those who left or were removed do not count). */
function activeLearners(state: SessionState): number {
  let n = 0;
  for (const l of state.learners.values()) if (!l.left) n++;
  return n;
}

/** Close the question on screen if still open, and take it off the screens. */
function putAwayQuiz(state: SessionState, now: number): SessionEvent[] {
  const run = state.activeRun === null ? undefined : state.quizzes.get(state.activeRun);
  if (!run) return [];
  const events: SessionEvent[] = [];
  if (run.status === 'open') events.push({ type: 'quiz:closed', at: now, runId: run.runId });
  events.push({ type: 'quiz:dismissed', at: now, runId: run.runId });
  return events;
}

function decideForLearner(
  state: SessionState,
  learner: LearnerState,
  command: CommandOf<'learner:navigate' | 'learner:done' | 'learner:help' | 'learner:leave'>,
  now: number,
): Decision {
  const learnerId = learner.id;
  switch (command.type) {
    case 'learner:navigate': {
      if (state.pacing.mode !== 'self') return { error: 'not_self_paced' };
      if (!Number.isInteger(command.step) || command.step < state.pacing.from || command.step > state.pacing.to) {
        return { error: 'step_out_of_range' };
      }
      if (learnerStep(state, learner) === command.step) return none;
      return { events: [{ type: 'learner:moved', at: now, learnerId, step: command.step }] };
    }
    case 'learner:done': {
      if (state.current === null) return { error: 'not_started' };
      if (!Number.isInteger(command.step) || command.step < 0 || command.step >= state.lesson.steps.length) {
        return { error: 'step_out_of_range' };
      }
      if (learner.done.has(command.step) === command.done) return none;
      return { events: [{ type: 'learner:marked-done', at: now, learnerId, step: command.step, done: command.done }] };
    }
    case 'learner:help':
      return decideLearnerHelp(state, learner, command, now);
    case 'learner:leave':
      return { events: [{ type: 'learner:left', at: now, learnerId }] };
    default:
      return assertNever(command);
  }
}

/** The state of a session right after it started. */
export function initialState(started: SessionStarted): SessionState {
  return {
    id: started.sessionId,
    code: started.code,
    helperCode: started.helperCode,
    instructorId: started.instructorId,
    lesson: started.lesson,
    status: 'open',
    startedAt: started.at,
    endedAt: null,
    current: null,
    pacing: { mode: 'instructor' },
    seq: 1,
    learners: new Map(),
    byToken: new Map(),
    quizzes: new Map(),
    activeRun: null,
    tasks: new Map(),
    activeTask: null,
    taskDismissed: new Map(),
    helpRequests: new Map(),
    withdrawnHelp: new Map(),
    blockedNames: new Set(),
    stuckConfig: defaultStuckConfig,
    stuckDismissed: new Map(),
    seatMap: { rows: 4, cols: 6 },
  };
}

/**
 * Apply one event. The room owns exactly one state per session and folds events into it in place:
 * copying the roster on every event would make each answer O(class size). Only evolve mutates.
 */
export function evolve(state: SessionState, event: SessionEvent): SessionState {
  state.seq += 1;
  switch (event.type) {
    case 'session:started':
      throw new Error('session:started only starts a fold (initialState)');
    case 'step:pushed':
    case 'pacing:changed': {
      // Time on a step restarts only for learners whose step actually changes.
      const before = new Map<string, number | null>();
      for (const l of state.learners.values()) before.set(l.id, learnerStep(state, l));
      if (event.type === 'step:pushed') {
        state.current = event.step;
        state.pacing = { mode: 'instructor' };
      } else {
        state.pacing = event.pacing;
        for (const l of state.learners.values()) l.ownStep = null;
        if (event.pacing.mode === 'self') {
          const { from, to } = event.pacing;
          if (state.current === null || state.current < from || state.current > to) state.current = from;
        }
      }
      for (const l of state.learners.values()) if (learnerStep(state, l) !== before.get(l.id)) l.since = event.at;
      return state;
    }
    case 'learner:joined': {
      const learner: LearnerState = {
        id: event.learnerId,
        name: event.name,
        partners: event.partners ?? [],
        seat: event.seat,
        tokenHash: event.tokenHash,
        joinedAt: event.at,
        ownStep: null,
        done: new Set(),
        doneIn: new Map(),
        since: event.at,
        wrong: new Map(),
        help: null,
        lastHelp: null,
        withdrawn: [],
        place: null,
        left: false,
      };
      state.learners.set(learner.id, learner);
      state.byToken.set(learner.tokenHash, learner.id);
      return state;
    }
    case 'learner:moved':
      withLearner(state, event.learnerId, (l) => {
        l.ownStep = event.step;
        l.since = event.at;
      });
      return state;
    case 'learner:marked-done':
      withLearner(state, event.learnerId, (l) => {
        if (!event.done) {
          l.done.delete(event.step);
          return;
        }
        l.done.add(event.step);
        // Time-to-done counts when the learner marks the step they are on (not a late tap on an old one).
        if (learnerStep(state, l) === event.step && !l.doneIn.has(event.step)) {
          l.doneIn.set(event.step, Math.max(0, event.at - l.since));
        }
      });
      return state;
    case 'help:requested':
    case 'help:withdrawn':
    case 'help:claimed':
    case 'help:released':
    case 'help:resolved':
      return evolvePart(state, event, evolveHelp);
    case 'stuck:dismissed':
    case 'stuck:configured':
      return evolvePart(state, event, evolveStuck);
    case 'seatmap:changed':
    case 'seat:placed':
      return evolvePart(state, event, evolveSeatMap);
    case 'seat:labeled':
      withLearner(state, event.learnerId, (l) => (l.seat = event.seat));
      return state;
    case 'learner:left':
      closeOpenRequest(state, event.learnerId, 'withdrawn', event.at);
      withLearner(state, event.learnerId, (l) => (l.left = true));
      return state;
    case 'learner:removed':
      closeOpenRequest(state, event.learnerId, 'withdrawn', event.at);
      withLearner(state, event.learnerId, (l) => {
        l.left = true;
        if (event.block) state.blockedNames.add(nameKey(l.name));
      });
      return state;
    case 'session:ended':
      state.status = 'ended';
      state.endedAt = event.at;
      return state;
    case 'quiz:opened':
      state.quizzes.set(event.runId, {
        runId: event.runId,
        question: event.question,
        source: event.source,
        openedAt: event.at,
        deadline: event.deadline,
        shuffleSeed: event.shuffleSeed ?? event.runId,
        status: 'open',
        showResults: false,
        answers: new Map(),
        answerIds: new Set(),
      });
      state.activeRun = event.runId;
      return state;
    case 'quiz:answered':
      withRun(state, event.runId, (run) => {
        run.answers.set(event.learnerId, { answerId: event.answerId, value: event.value, score: event.score, at: event.at });
        run.answerIds.add(event.answerId);
        // Wrong answers to a step's own question feed stuck detection.
        const learner = state.learners.get(event.learnerId);
        if (run.source && learner && event.score !== null && event.score < 1) {
          learner.wrong.set(run.source.step, (learner.wrong.get(run.source.step) ?? 0) + 1);
        }
      });
      return state;
    case 'quiz:closed':
      withRun(state, event.runId, (run) => (run.status = 'closed'));
      return state;
    case 'quiz:revealed':
      withRun(state, event.runId, (run) => (run.status = 'revealed'));
      return state;
    case 'quiz:results-shown':
      withRun(state, event.runId, (run) => (run.showResults = event.show));
      return state;
    case 'quiz:dismissed':
      if (state.activeRun === event.runId) state.activeRun = null;
      return state;
    case 'task:opened':
    case 'task:moved':
    case 'task:finished':
    case 'task:closed':
      evolveTask(state, event);
      return state;
    default:
      return assertNever(event);
  }
}

/** Rebuild a session from its stored events. */
export function fold(events: readonly SessionEvent[]): SessionState {
  const [first, ...rest] = events;
  if (first?.type !== 'session:started') throw new Error('a session begins with session:started');
  const state = initialState(first);
  for (const event of rest) evolve(state, event);
  return state;
}

function knownLearner(state: SessionState, learnerId: string): void {
  if (!state.learners.has(learnerId)) throw new Error(`event for unknown learner ${learnerId}`);
}

/** An event folded by its part of the engine (help, stuck, seat map), once the learner it names (if any) is known. */
function evolvePart<E extends SessionEvent>(state: SessionState, event: E, fold: (state: SessionState, event: E) => void): SessionState {
  if ('learnerId' in event) knownLearner(state, event.learnerId);
  fold(state, event);
  return state;
}

function withLearner(state: SessionState, learnerId: string, apply: (l: LearnerState) => void): void {
  const learner = state.learners.get(learnerId);
  if (!learner) throw new Error(`event for unknown learner ${learnerId}`);
  apply(learner);
}

function withRun(state: SessionState, runId: string, apply: (run: QuizRun) => void): void {
  const run = state.quizzes.get(runId);
  if (!run) throw new Error(`event for unknown question run ${runId}`);
  apply(run);
}
