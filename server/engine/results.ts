import type { SessionResults } from '../../shared/protocol/views.ts';
import { histogram } from './quiz-views.ts';
import type { QuizRun, SessionState, TaskRun } from './state.ts';
import { progressOf } from './tasks.ts';
import { screenOf } from '../../shared/lesson/task-graph.ts';
import { median } from './median.ts';
import { medianTimeToDone } from './stuck.ts';
import { people } from './people.ts';
import { answerResult } from './scoring.ts';
import { compareNames } from '../../shared/i18n/names.ts';

/** A readable label for an answer: option texts rather than ids. */
function answerLabel(run: QuizRun, learnerId: string): string {
  const record = run.answers.get(learnerId)!;
  const q = run.question;
  const text = (id: string) => ('options' in q ? q.options : q.kind === 'ordering' ? q.items : []).find((c) => c.id === id)?.text ?? id;
  const v = record.value;
  switch (v.kind) {
    case 'single':
    case 'poll':
      return text(v.option);
    case 'multiple':
      return v.options.map(text).join('; ');
    case 'ordering':
      return v.order.map(text).join(' → ');
    case 'truefalse':
      return String(v.value);
    case 'text':
      return v.text.replace(/\s+/g, ' ').trim();
    case 'number':
      return String(v.value);
  }
}

/** Results as a projection of the session's events: the same during class and after. */
export function sessionResults(state: SessionState): SessionResults {
  const runs = [...state.quizzes.values()];
  const learners = [...state.learners.values()];
  const present = learners.filter(
    (l) => !l.left || runs.some((r) => r.answers.has(l.id)) || [...state.tasks.values()].some((t) => t.progress.has(l.id)),
  );
  // Pair mode: a tablet's answer is credited to each person on it (people.ts).
  const peopleOn = (id: string) => {
    const l = state.learners.get(id);
    return l ? people(l) : 1;
  };
  const headcount = present.reduce((n, l) => n + people(l), 0);

  const taskRuns = [...state.tasks.values()];
  const tasks = taskRuns.map((run) => taskResult(state, run, present, peopleOn));
  // Per learner: finished or not, traps fallen into, time to finish, for each task run.
  const taskTally = (l: (typeof present)[number]) => {
    const out: Record<string, { finished: boolean; traps: string[]; timeMs: number | null }> = {};
    for (const run of taskRuns) {
      const p = run.progress.get(l.id);
      const title = (id: string) => run.task.traps.find((t) => t.id === id)?.title ?? id;
      out[run.runId] = p
        ? { finished: p.finishMs !== null, traps: p.traps.map(title), timeMs: p.finishMs }
        : { finished: false, traps: [], timeMs: null };
    }
    return out;
  };
  // A task's step is harder for each learner who fell into a trap or did not finish it.
  const struggles = new Map<number, number>();
  for (const run of taskRuns) {
    for (const l of present) {
      const p = run.progress.get(l.id);
      if (!p || p.finishMs === null || p.traps.length > 0) {
        struggles.set(run.source.step, (struggles.get(run.source.step) ?? 0) + peopleOn(l.id));
      }
    }
  }

  const questions = runs.map((run) => {
    let answered = 0;
    let right = 0;
    for (const [id, a] of run.answers) {
      answered += peopleOn(id);
      if (a.score === 1) right += peopleOn(id);
    }
    const scored = run.question.kind !== 'poll' && answered > 0;
    const wrong = histogram(run, true, peopleOn)
      .filter((b) => b.correct === false && b.count > 0)
      .sort((a, b) => b.count - a.count)[0];
    return {
      runId: run.runId,
      prompt: run.question.prompt,
      kind: run.question.kind,
      openedAt: run.openedAt,
      answered,
      total: headcount,
      correctPct: scored ? Math.round((right / answered) * 1000) / 10 : null,
      mostChosenWrong: wrong ? { label: wrong.label, count: wrong.count } : null,
    };
  });

  const byLearner = present.flatMap((l) => {
    let answered = 0;
    let correct = 0;
    let score = 0;
    const answers: SessionResults['learners'][number]['answers'] = {};
    for (const run of runs) {
      const a = run.answers.get(l.id);
      if (!a) continue;
      answered += 1;
      if (a.score === 1) correct += 1;
      score += a.score ?? 0;
      answers[run.runId] = { label: answerLabel(run, l.id), score: a.score, result: answerResult(a.score) };
    }
    const tally = { seat: l.seat, answered, correct, score: Math.round(score * 100) / 100, answers, tasks: taskTally(l) };
    const names = [l.name, ...l.partners];
    return names.map((name, i) => ({
      id: i === 0 ? l.id : `${l.id}.${i}`,
      name,
      partners: names.filter((_, j) => j !== i),
      ...tally,
    }));
  });

  const requests = [...state.helpRequests.values()];
  const steps = state.lesson.steps
    .map((step, index) => {
      const onStep = requests.filter((r) => r.step === index);
      const toClaim = onStep.flatMap((r) => (r.claimedAt !== null ? [r.claimedAt - r.at] : []));
      const toResolve = onStep.flatMap((r) => (r.status === 'resolved' && r.closedAt !== null ? [r.closedAt - r.at] : []));
      const done = medianTimeToDone(state, index);
      return {
        index,
        title: step.title,
        helpRequests: onStep.length + (state.withdrawnHelp.get(index) ?? 0),
        taskStruggles: struggles.get(index) ?? 0,
        done: done.count,
        medianTimeToDoneMs: done.median,
        medianToClaimMs: median(toClaim),
        medianToResolveMs: median(toResolve),
      };
    })
    // Hardest first: most help requests and task struggles, then slowest to get done.
    .sort(
      (a, b) =>
        b.helpRequests + b.taskStruggles - (a.helpRequests + a.taskStruggles) ||
        (b.medianTimeToDoneMs ?? 0) - (a.medianTimeToDoneMs ?? 0) ||
        a.index - b.index,
    );

  return {
    sessionId: state.id,
    code: state.code,
    lessonTitle: state.lesson.title,
    status: state.status,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    participation: {
      learners: headcount,
      answeredAny: byLearner.filter((l) => l.answered > 0).length,
      questions: runs.length,
    },
    questions,
    tasks,
    steps,
    learners: byLearner.sort((a, b) => compareNames(a.name, b.name)),
  };
}

/**
 * One task run's results: % finished, median time to finish, the screen where most of those still
 * working stopped (the one they were stuck on), and each trap with the share who fell into it.
 */
function taskResult(
  state: SessionState,
  run: TaskRun,
  present: SessionState['learners'] extends Map<string, infer L> ? L[] : never,
  peopleOn: (id: string) => number,
): SessionResults['tasks'][number] {
  let learners = 0;
  let finished = 0;
  const times: number[] = [];
  const stuckAt = new Map<string, number>();
  const fell = new Map<string, number>();
  for (const l of present) {
    const n = peopleOn(l.id);
    learners += n;
    const p = progressOf(run, l);
    if (p.finishMs !== null) {
      finished += n;
      for (let i = 0; i < n; i++) times.push(p.finishMs);
    } else if (p.status === 'working') stuckAt.set(p.screen, (stuckAt.get(p.screen) ?? 0) + n);
    for (const trap of new Set(p.traps)) fell.set(trap, (fell.get(trap) ?? 0) + n);
  }
  let stuck: { id: string; count: number } | null = null;
  for (const [id, count] of stuckAt) if (!stuck || count > stuck.count) stuck = { id, count };
  const pct = (n: number) => (learners > 0 ? Math.round((n / learners) * 1000) / 10 : 0);
  return {
    runId: run.runId,
    taskId: run.task.id,
    title: run.task.title,
    step: run.source.step,
    openedAt: run.openedAt,
    learners,
    finished,
    finishedPct: learners > 0 ? pct(finished) : null,
    medianTimeToFinishMs: median(times),
    stuckScreen: stuck && { name: screenOf(run.task, stuck.id)?.name ?? stuck.id, count: stuck.count },
    traps: run.task.traps.map((t) => ({ id: t.id, title: t.title, count: fell.get(t.id) ?? 0, pct: pct(fell.get(t.id) ?? 0) })),
  };
}

/** Results to share beyond the class: names become "#1", "#2"…, partners named by those numbers; seats and numbers stay. */
export function anonymousResults(results: SessionResults): SessionResults {
  const alias = new Map(results.learners.map((l, i) => [l.id, `#${i + 1}`]));
  // A pair's rows share the tablet's learner id before the dot ("b", "b.1").
  const tablet = (id: string) => id.split('.')[0];
  return {
    ...results,
    learners: results.learners.map((l) => ({
      ...l,
      name: alias.get(l.id)!,
      partners: results.learners.filter((o) => o.id !== l.id && tablet(o.id) === tablet(l.id)).map((o) => alias.get(o.id)!),
    })),
  };
}
