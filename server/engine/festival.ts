import type { FestivalClass } from '../../shared/protocol/register.ts';
import { helpQueue } from './help.ts';
import { learnerStep, type SessionState } from './state.ts';

/**
 * One class on the festival board ("Ngày hội toàn dân học tập số"): aggregates only, never a name.
 * Done % counts the learners present who marked their current step done (pairs count as one tablet).
 */
export function festivalClass(state: SessionState): FestivalClass {
  const present = [...state.learners.values()].filter((l) => !l.left);
  let onStep = 0;
  let done = 0;
  for (const l of present) {
    const step = learnerStep(state, l);
    if (step === null) continue;
    onStep += 1;
    if (l.done.has(step)) done += 1;
  }
  const waiting = helpQueue(state).filter((r) => r.status === 'waiting');
  const run = state.activeRun === null ? undefined : state.quizzes.get(state.activeRun);
  const step = state.pacing.mode === 'self' ? null : state.current;
  // EXTENSION POINT (practice tasks, issue 13): a task running on the current step shows here as { kind: 'task', … }.
  return {
    sessionId: state.id,
    code: state.code,
    lessonTitle: state.lesson.title,
    startedAt: state.startedAt,
    joined: present.reduce((n, l) => n + 1 + l.partners.length, 0),
    step,
    stepCount: state.lesson.steps.length,
    stepTitle: step === null ? null : (state.lesson.steps[step]?.title ?? null),
    donePct: onStep > 0 ? Math.round((done / onStep) * 100) : null,
    helpWaiting: waiting.length,
    oldestHelpSince: waiting.length > 0 ? Math.min(...waiting.map((r) => r.at)) : null,
    activity: run && run.status === 'open' ? { kind: 'question', prompt: run.question.prompt, answered: run.answers.size } : null,
  };
}
