import { createHash } from 'node:crypto';
import type { Choice, Question } from '../../shared/lesson/question.ts';
import type {
  CorrectAnswer,
  DisplayQuizView,
  HistogramBar,
  QuizChoiceView,
  QuizPublicView,
  StaffQuizView,
} from '../../shared/protocol/views.ts';
import { answerKeys, normalizeText } from './scoring.ts';
import { people } from './people.ts';
import { displayName, type LearnerState, type QuizRun, type SessionState } from './state.ts';

const choiceView = (c: Choice): QuizChoiceView => ({
  id: c.id,
  text: c.text,
  image: c.image ? { url: `/media/${c.image.src}`, alt: c.image.alt } : null,
});

/**
 * The order learners see: the same for everyone and on every reload, drawn from the run's secret
 * seed (kept on the server, never sent), so it cannot be computed from what a tablet receives.
 * Three items or more never show the right order; two show either order, or the view would give
 * the key away.
 */
export function shuffledItems<T>(items: readonly T[], seed: string): T[] {
  const bytes = createHash('sha256').update(seed).digest();
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = bytes.readUInt32BE((i % 8) * 4) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  if (out.length > 2 && out.every((item, i) => item === items[i])) out.push(out.shift()!);
  return out;
}

export function correctAnswer(q: Question): CorrectAnswer {
  switch (q.kind) {
    case 'single':
      return { kind: 'options', options: [q.correct] };
    case 'multiple':
      return { kind: 'options', options: q.correct };
    case 'truefalse':
      return { kind: 'truefalse', value: q.correct };
    case 'text':
      return { kind: 'text', accepted: q.accepted };
    case 'number':
      return { kind: 'number', value: q.correct, tolerance: q.tolerance };
    case 'ordering':
      return { kind: 'ordering', order: q.items.map((i) => i.id) };
    case 'poll':
      return null;
  }
}

/** What learners and the projector may see of a run: the key and explanation only once revealed. */
export function publicQuiz(run: QuizRun): QuizPublicView {
  const q = run.question;
  const choices = q.kind === 'ordering' ? shuffledItems(q.items, run.shuffleSeed) : 'options' in q ? q.options : ([] as Choice[]);
  return {
    runId: run.runId,
    kind: q.kind,
    prompt: q.prompt,
    choices: choices.map(choiceView),
    unit: q.kind === 'number' ? (q.unit ?? null) : null,
    status: run.status,
    deadline: run.deadline,
    reveal: run.status === 'revealed' ? { explanation: q.explanation ?? null, correct: correctAnswer(q) } : null,
  };
}

/**
 * Answers grouped for a histogram, in people (people.ts); `withKey` marks the right ones; `weight`
 * says how many people each tablet's answer stands for (0: not counted, as live views do for
 * learners who left). Options keep their order.
 */
export function histogram(run: QuizRun, withKey: boolean, weight: (learnerId: string) => number): HistogramBar[] {
  const q = run.question;
  const counts = new Map<string, number>();
  const scoreOf = new Map<string, number | null>();
  for (const [learnerId, answer] of run.answers) {
    const n = weight(learnerId);
    if (n === 0) continue;
    for (const key of answerKeys(q, answer.value)) {
      counts.set(key, (counts.get(key) ?? 0) + n);
      scoreOf.set(key, answer.score);
    }
  }
  const isRight = (key: string): boolean | null => {
    if (!withKey || q.kind === 'poll') return null;
    switch (q.kind) {
      case 'single':
        return key === q.correct;
      case 'multiple':
        return q.correct.includes(key);
      case 'truefalse':
        return key === String(q.correct);
      case 'text':
        return q.accepted.some((a) => normalizeText(a, q.ignoreDiacritics) === key);
      case 'number':
      case 'ordering':
        return scoreOf.get(key) === 1;
    }
  };
  let bars: Omit<HistogramBar, 'correct'>[];
  if ('options' in q) {
    bars = q.options.map((o) => ({ key: o.id, label: o.text, count: counts.get(o.id) ?? 0 }));
  } else if (q.kind === 'truefalse') {
    bars = ['true', 'false'].map((key) => ({ key, label: key, count: counts.get(key) ?? 0 }));
  } else {
    const label = (key: string) =>
      q.kind === 'ordering'
        ? key
            .split('>')
            .map((id) => q.items.find((i) => i.id === id)?.text ?? id)
            .join(' → ')
        : key;
    bars = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 8)
      .map(([key, count]) => ({ key, label: label(key), count }));
  }
  return bars.map((b) => ({ ...b, correct: isRight(b.key) }));
}

function activeLearners(state: SessionState) {
  return [...state.learners.values()].filter((l) => !l.left);
}

/** People on the tablet of a learner still in class; 0 for one who left. */
const activePeople = (state: SessionState) => (learnerId: string) => {
  const l = state.learners.get(learnerId);
  return l && !l.left ? people(l) : 0;
};

/** Answered, total and right, in people. */
function tally(learners: LearnerState[], run: QuizRun): { answered: number; total: number; correct: number } {
  let answered = 0;
  let total = 0;
  let correct = 0;
  for (const l of learners) {
    const n = people(l);
    total += n;
    const a = run.answers.get(l.id);
    if (!a) continue;
    answered += n;
    if (a.score === 1) correct += n;
  }
  return { answered, total, correct };
}

export function staffQuiz(state: SessionState, run: QuizRun): StaffQuizView {
  const learners = activeLearners(state);
  const { answered, total, correct } = tally(learners, run);
  return {
    runId: run.runId,
    question: run.question,
    source: run.source,
    status: run.status,
    deadline: run.deadline,
    showResults: run.showResults,
    answered,
    total,
    missing: learners.filter((l) => !run.answers.has(l.id)).map((l) => ({ id: l.id, name: displayName(l), seat: l.seat })),
    histogram: histogram(run, true, activePeople(state)),
    correct: run.question.kind === 'poll' ? null : correct,
  };
}

export function displayQuiz(state: SessionState, run: QuizRun): DisplayQuizView {
  const { answered, total } = tally(activeLearners(state), run);
  return {
    ...publicQuiz(run),
    answered,
    total,
    histogram: run.showResults ? histogram(run, run.status === 'revealed', activePeople(state)) : null,
  };
}
