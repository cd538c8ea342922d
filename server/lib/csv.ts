import { exportHeadings, type ExportLang } from '../../shared/i18n/export.ts';
import type { SessionResults } from '../../shared/protocol/views.ts';
import type { QuestionKind } from '../../shared/lesson/question.ts';

/** One CSV cell: quoted; text that a spreadsheet would run as a formula is defused with a leading '. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** UTF-8 with a BOM and CRLF, so Excel opens Vietnamese intact. */
export function toCsv(rows: (string | number | null)[][]): string {
  return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** True/false answers read as words; every other answer as given. */
function answerText(kind: QuestionKind, label: string, lang: ExportLang): string {
  if (kind !== 'truefalse') return label;
  return label === 'true' ? exportHeadings[lang].true : exportHeadings[lang].false;
}

/** The JSON download: answers read as the page and the CSV read them ("Đúng", not "true"). */
export function exportResults(results: SessionResults, lang: ExportLang): SessionResults {
  const kindOf = new Map(results.questions.map((q) => [q.runId, q.kind]));
  return {
    ...results,
    questions: results.questions.map((q) =>
      q.mostChosenWrong ? { ...q, mostChosenWrong: { ...q.mostChosenWrong, label: answerText(q.kind, q.mostChosenWrong.label, lang) } } : q,
    ),
    learners: results.learners.map((l) => ({
      ...l,
      answers: Object.fromEntries(
        Object.entries(l.answers).map(([runId, a]) => [runId, { ...a, label: answerText(kindOf.get(runId) ?? 'single', a.label, lang) }]),
      ),
    })),
  };
}

/** One row per learner (each person of a pair too, the partners named), a column per question (the answer and its score). */
export function learnersCsv(results: SessionResults, lang: ExportLang): string {
  const h = exportHeadings[lang];
  const head: string[] = [h.name, h.seat, h.partners, h.answered, h.correct, h.score];
  results.questions.forEach((q, i) => head.push(`${h.q} ${i + 1}: ${q.prompt}`, `${h.q} ${i + 1}: ${h.score}`));
  results.tasks.forEach((t, i) =>
    head.push(
      `${h.task} ${i + 1}: ${t.title}: ${h.taskFinished}`,
      `${h.task} ${i + 1}: ${h.taskTraps}`,
      `${h.task} ${i + 1}: ${h.taskTime}`,
    ),
  );
  const rows = results.learners.map((l) => {
    const row: (string | number | null)[] = [l.name, l.seat, l.partners.join(', ') || null, l.answered, l.correct, l.score];
    for (const q of results.questions) {
      const a = l.answers[q.runId];
      row.push(a ? answerText(q.kind, a.label, lang) : null, a?.score ?? null);
    }
    for (const task of results.tasks) {
      const r = l.tasks[task.runId];
      row.push(r ? (r.finished ? h.yes : h.no) : null, r ? r.traps.join('; ') || null : null, r ? minutes(r.timeMs) : null);
    }
    return row;
  });
  return toCsv([head, ...rows]);
}

/** Item analysis: one row per question. */
export function questionsCsv(results: SessionResults, lang: ExportLang): string {
  const h = exportHeadings[lang];
  const head = [h.q, h.question, h.kind, h.answeredCount, h.total, h.correctPct, h.mostWrong, h.mostWrongCount];
  const rows = results.questions.map((q, i) => [
    i + 1,
    q.prompt,
    q.kind,
    q.answered,
    q.total,
    q.correctPct,
    q.mostChosenWrong ? answerText(q.kind, q.mostChosenWrong.label, lang) : null,
    q.mostChosenWrong?.count ?? null,
  ]);
  return toCsv([head, ...rows]);
}

const minutes = (ms: number | null) => (ms === null ? null : Math.round(ms / 6000) / 10);

/** The hardest steps first: help requests and times, in minutes. */
export function stepsCsv(results: SessionResults, lang: ExportLang): string {
  const h = exportHeadings[lang];
  const head = [h.step, h.stepTitle, h.helpRequests, h.taskStruggles, h.doneCount, h.medianDone, h.medianClaim, h.medianResolve];
  const rows = results.steps.map((s) => [
    s.index + 1,
    s.title,
    s.helpRequests,
    s.taskStruggles,
    s.done,
    minutes(s.medianTimeToDoneMs),
    minutes(s.medianToClaimMs),
    minutes(s.medianToResolveMs),
  ]);
  return toCsv([head, ...rows]);
}

/** One row per practice task run, then one row per trap of it: % finished, median time, where most were stuck. */
export function tasksCsv(results: SessionResults, lang: ExportLang): string {
  const h = exportHeadings[lang];
  const head = [
    h.task,
    h.taskTitle,
    h.step,
    h.taskLearners,
    h.finishedCount,
    h.finishedPct,
    h.medianFinish,
    h.stuckScreen,
    h.stuckCount,
    h.trap,
    h.trapPct,
  ];
  const rows: (string | number | null)[][] = [];
  results.tasks.forEach((t, i) => {
    rows.push([
      i + 1,
      t.title,
      t.step + 1,
      t.learners,
      t.finished,
      t.finishedPct,
      minutes(t.medianTimeToFinishMs),
      t.stuckScreen?.name ?? null,
      t.stuckScreen?.count ?? null,
      null,
      null,
    ]);
    for (const trap of t.traps) rows.push([i + 1, t.title, t.step + 1, null, null, null, null, null, null, trap.title, trap.pct]);
  });
  return toCsv([head, ...rows]);
}
