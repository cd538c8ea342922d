import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Lesson } from '../../shared/lesson/schema.ts';
import { Task } from '../../shared/lesson/task.ts';
import { entryMatches, taskProblems, type TaskAction } from '../../shared/lesson/task-graph.ts';
import { defaultStuckConfig } from '../../shared/protocol/commands.ts';
import { fold, type Command } from '../../server/engine/engine.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import type { Actor } from '../../server/engine/state.ts';
import { classView, displayView, meView } from '../../server/engine/views.ts';
import { sessionResults } from '../../server/engine/results.ts';
import { snapshot } from '../support/state.ts';
import { Classroom } from '../support/classroom.ts';
import { qrTask, quizAndTaskLesson } from '../support/lessons.ts';

const [intro, practice, review] = quizAndTaskLesson.steps;
/** `quizAndTaskLesson` without its question, and with the first task opening with its step. */
const lesson = Lesson.parse({
  ...quizAndTaskLesson,
  steps: [{ ...intro, questions: [] }, { ...practice, tasks: [qrTask] }, review],
});
const steps = lesson.steps.map((s, index) => ({ index, id: s.id, title: s.title, html: s.body, image: null }));

const T0 = Date.UTC(2026, 9, 10, 1, 0);
const SECOND = 1000;
const instructor: Actor = { role: 'instructor', userId: 'u1', name: 'Cô Lan' };
const learner = (learnerId: string): Actor => ({ role: 'learner', learnerId });
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(learner);

/** A class of this file's lesson (test/support/classroom.ts). */
const newClassroom = (): Classroom =>
  new Classroom({
    lesson,
    steps,
    start: T0,
    stepMs: 0,
    sessionId: 'sess-0001',
    instructorId: 'u1',
    joinUrl: 'http://x/',
    presence: (c) => () => ({ connected: true, lastSeen: c.now }),
  });

let moveN = 0;
const move = (from: string, action: TaskAction, runId = 'run-none0', moveId = `move-${String(++moveN).padStart(4, '0')}`): Command => ({
  type: 'task:move',
  runId,
  moveId,
  from,
  action,
});
const tap = (element: string): TaskAction => ({ kind: 'tap', element });

/** Class of four, step 1 pushed: the QR task comes with it. Returns the run id. */
function classInTask(): { c: Classroom; run: string } {
  const c = newClassroom();
  for (const id of ['a', 'b', 'c', 'd']) {
    c.run({ role: 'guest' }, { type: 'learner:join', learnerId: id, name: id.toUpperCase(), seat: id, tokenHash: `h-${id}` });
  }
  const events = c.run(instructor, { type: 'step:push', step: 1 });
  const opened = events.find((e) => e.type === 'task:opened');
  if (opened?.type !== 'task:opened') throw new Error('the task did not come with the step');
  return { c, run: opened.runId };
}

/** The right path through the QR task, as [from, action]. */
const rightPath: [string, TaskAction][] = [
  ['trang-chu', tap('quet')],
  ['camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }],
  ['xac-nhan', { kind: 'enter', element: 'so-tien', entry: '50.000 đ' }],
  ['nhap-pin', { kind: 'enter', element: 'pin', entry: '246810' }],
  ['bien-lai', tap('xong')],
];

describe('task schema and graph', () => {
  it('the QR fixture is a valid task with no problems', () => {
    expect(taskProblems(Task.parse(qrTask))).toEqual([]);
  });

  const screen = (id: string, elements: unknown[]) => ({ id, name: id, elements });
  /** A button; without `on` it leads nowhere. */
  const button = (id: string, on?: unknown) => ({ id, kind: 'button', label: id.toUpperCase(), ...(on ? { on } : {}) });
  /** A task "t" starting on screen "a". */
  const task = (screens: unknown[], more: Record<string, unknown> = {}) => ({
    id: 't',
    title: 'T',
    instruction: 'I',
    start: 'a',
    screens,
    ...more,
  });
  const toGoal = button('x', { to: 'goal' });
  const cases: { name: string; task: unknown; code: string; path: (string | number)[] }[] = [
    {
      name: 'a screen no path reaches',
      task: task([screen('a', [toGoal]), screen('b', [])]),
      code: 'unreachable_screen',
      path: ['screens', 1],
    },
    {
      name: 'no reachable goal',
      task: task([screen('a', [button('x', { to: 'screen', screen: 'a' })])]),
      code: 'no_goal',
      path: ['screens'],
    },
    {
      name: 'a tap leading nowhere',
      task: task([screen('a', [toGoal, button('y')])]),
      code: 'leads_nowhere',
      path: ['screens', 0, 'elements', 1, 'on'],
    },
    {
      name: 'a trap without explanation',
      task: task([screen('a', [toGoal, button('y', { to: 'trap', trap: 'z' })])], { traps: [{ id: 'z', title: 'Z', explanation: '' }] }),
      code: 'trap_no_explanation',
      path: ['traps', 0, 'explanation'],
    },
    {
      name: 'a tap to a screen that does not exist',
      task: task([screen('a', [toGoal, button('y', { to: 'screen', screen: 'q' })])]),
      code: 'unknown_screen',
      path: ['screens', 0, 'elements', 1, 'on', 'screen'],
    },
  ];
  it.each(cases)('$name: found at its field, and the schema refuses it', ({ task, code, path }) => {
    const problems = taskProblems(task as never);
    expect(problems.map((p) => ({ code: p.code, path: p.path }))).toContainEqual({ code, path });
    const parsed = Task.safeParse(task);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path)).toContainEqual(path);
  });

  it.each([
    [{ kind: 'digits', length: 6 } as never, '123456', true],
    [{ kind: 'digits', length: 6 } as never, '12345', false],
    [{ kind: 'digits', length: 6 } as never, '12a456', false],
    [{ kind: 'number', value: 50000 } as never, '50.000 đ', true],
    [{ kind: 'number', value: 50000 } as never, '50000', true],
    [{ kind: 'number', value: 50000 } as never, '5000', false],
    [{ kind: 'text', accepted: ['Hộ tịch'] } as never, '  ho TICH ', true],
    [{ kind: 'text', accepted: ['Hộ tịch'] } as never, 'hộ khẩu', false],
    [{ kind: 'any' } as never, '  ', false],
    [{ kind: 'any' } as never, 'x', true],
  ] as [never, string, boolean][])('entry %j / %s → %s', (expectation, entry, result) => {
    expect(entryMatches(expectation, entry)).toBe(result);
  });

  it('a lesson refuses two tasks with the same id', () => {
    const bad = Lesson.safeParse({ ...lesson, steps: [{ ...lesson.steps[1], tasks: [qrTask, qrTask] }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['steps', 0, 'tasks', 1, 'id']);
  });
});

describe('opening and closing', () => {
  it('a task that comes with its step opens when the step is pushed, and leaves with the next push', () => {
    const { c, run } = classInTask();
    expect(c.state.activeTask).toBe(run);
    expect(classView(c.state, steps).task?.task.id).toBe('tra-tien-qr');
    const events = c.run(instructor, { type: 'step:push', step: 2 });
    expect(events.map((e) => e.type)).toEqual(['task:closed', 'step:pushed']);
    expect(classView(c.state, steps).task).toBeNull();
  });

  it('the instructor opens a step task and closes it for everyone; a repeat changes nothing', () => {
    const { c, run } = classInTask();
    const opened = c.run(instructor, { type: 'task:open', runId: 'run-second', source: { step: 2, taskId: 'tra-tien-qr-2' } });
    expect(opened.map((e) => e.type)).toEqual(['task:closed', 'task:opened']);
    expect(c.state.tasks.get(run)?.status).toBe('closed');
    expect(c.run(instructor, { type: 'task:open', runId: 'run-second', source: { step: 2, taskId: 'tra-tien-qr-2' } })).toEqual([]);
    expect(c.run(instructor, { type: 'task:close', runId: 'run-second' })).toEqual([
      { type: 'task:closed', at: c.now, runId: 'run-second' },
    ]);
    expect(c.run(instructor, { type: 'task:close', runId: 'run-second' })).toEqual([]);
    expect(c.state.activeTask).toBeNull();
  });

  it.each<[string, Actor, Command, string]>([
    ['unknown task', instructor, { type: 'task:open', runId: 'run-x', source: { step: 0, taskId: 'nope' } }, 'task_not_found'],
    ['a learner opens', A, { type: 'task:open', runId: 'run-x', source: { step: 1, taskId: 'tra-tien-qr' } }, 'forbidden'],
    ['a helper closes', { role: 'helper', helperId: 'h', name: 'H' }, { type: 'task:close', runId: 'x' }, 'forbidden'],
    ['close an unknown run', instructor, { type: 'task:close', runId: 'run-none' }, 'task_not_found'],
    ['the instructor moves', instructor, move('trang-chu', tap('quet')), 'forbidden'],
  ])('%s → %s', (_name, actor, command, error) => {
    const { c } = classInTask();
    expect(c.decide(actor, command)).toEqual({ error });
  });

  it('a question takes the task off the screens, and a task takes the question', () => {
    const { c, run } = classInTask();
    const q = { id: 'q', kind: 'truefalse' as const, prompt: 'Đúng không?', correct: true };
    const events = c.run(instructor, { type: 'quiz:open', runId: 'quiz-0001', source: { question: q }, timeLimit: null });
    expect(events.map((e) => e.type)).toEqual(['task:closed', 'quiz:opened']);
    expect(c.state.tasks.get(run)?.status).toBe('closed');
    const back = c.run(instructor, { type: 'task:open', runId: 'run-third', source: { step: 1, taskId: 'tra-tien-qr' } });
    expect(back.map((e) => e.type)).toEqual(['quiz:closed', 'quiz:dismissed', 'task:opened']);
  });
});

describe('moves', () => {
  it('the right path reaches the goal; task:finished carries learner, task and skills', () => {
    const { c, run } = classInTask();
    let last: SessionEvent[] = [];
    for (const [from, action] of rightPath) last = c.tick(10 * SECOND).run(A, move(from, action, run));
    expect(last.map((e) => e.type)).toEqual(['task:moved', 'task:finished']);
    expect(last[1]).toEqual({
      type: 'task:finished',
      at: c.now,
      runId: run,
      taskId: 'tra-tien-qr',
      learnerId: 'a',
      skills: ['thanh-toan-qr'],
    });
    expect(meView(c.state, c.state.learners.get('a')!).task).toMatchObject({ status: 'finished', finishedOnce: true });
    expect(c.roster('a').task).toMatchObject({ status: 'finished', screenName: 'Biên lai' });
  });

  const cases: { name: string; before: [string, TaskAction][]; move: [string, TaskAction]; error: string }[] = [
    {
      name: 'a tap from a screen the learner is not on',
      before: [],
      move: ['camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }],
      error: 'invalid_move',
    },
    { name: 'an element of another screen', before: [], move: ['trang-chu', tap('xong')], error: 'invalid_move' },
    {
      name: 'a tap on a field (it takes an entry)',
      before: rightPath.slice(0, 2),
      move: ['xac-nhan', tap('so-tien')],
      error: 'invalid_move',
    },
    {
      name: 'a code the camera does not show',
      before: rightPath.slice(0, 1),
      move: ['camera', { kind: 'scan', element: 'may-quet', code: 'ma-khac' }],
      error: 'invalid_move',
    },
    { name: 'straight to the goal from the start', before: [], move: ['bien-lai', tap('xong')], error: 'invalid_move' },
    { name: 'a move after the goal', before: rightPath, move: ['bien-lai', tap('xong')], error: 'invalid_move' },
  ];
  it.each(cases)('$name → $error, and changes nothing', ({ before, move: [from, action], error }) => {
    const { c, run } = classInTask();
    for (const [f, a] of before) c.run(A, move(f, a, run));
    const was = snapshot(c.state);
    expect(c.decide(A, move(from, action, run))).toEqual({ error });
    expect(snapshot(c.state)).toEqual(was);
  });

  it('a closed task refuses moves; an unknown run is task_not_found', () => {
    const { c, run } = classInTask();
    c.run(instructor, { type: 'task:close', runId: run });
    expect(c.decide(A, move('trang-chu', tap('quet'), run))).toEqual({ error: 'task_closed' });
    expect(c.decide(A, move('trang-chu', tap('quet'), 'run-unknown'))).toEqual({ error: 'task_not_found' });
  });

  it('a resent move (same moveId) counts once, even after later moves', () => {
    const { c, run } = classInTask();
    const first = move('trang-chu', tap('quet'), run, 'move-resent-1');
    expect(c.run(A, first)).toHaveLength(1);
    c.run(A, move('camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }, run));
    expect(c.run(A, first)).toEqual([]);
    expect(c.roster('a').task?.screen).toBe('xac-nhan');
  });

  it('a field entry: only matched true/false is in the event, never the text', () => {
    const { c, run } = classInTask();
    for (const [f, a] of rightPath.slice(0, 2)) c.run(A, move(f, a, run));
    const wrong = c.run(A, move('xac-nhan', { kind: 'enter', element: 'so-tien', entry: '987654321' }, run));
    expect(wrong).toEqual([expect.objectContaining({ type: 'task:moved', element: 'so-tien', matched: false, outcome: { kind: 'miss' } })]);
    const right = c.run(A, move('xac-nhan', { kind: 'enter', element: 'so-tien', entry: '50000' }, run));
    expect(right[0]).toMatchObject({ matched: true, outcome: { kind: 'screen', screen: 'nhap-pin' } });
    const everything = JSON.stringify([c.log, c.staff(), meView(c.state, c.state.learners.get('a')!), sessionResults(c.state)]);
    expect(everything).not.toContain('987654321');
    expect(everything).not.toMatch(/"entry"/);
  });

  it('a trap stops the task; retry starts over; the trap stays in the record', () => {
    const { c, run } = classInTask();
    c.run(B, move('trang-chu', tap('quet'), run));
    c.run(B, move('camera', { kind: 'scan', element: 'may-quet', code: 'ma-dan-de' }, run));
    expect(c.run(B, move('xac-nhan-la', tap('chuyen-la'), run))[0]).toMatchObject({ outcome: { kind: 'trap', trap: 'sai-nguoi-nhan' } });
    expect(c.roster('b').task).toMatchObject({ status: 'trapped', trap: 'Trả tiền cho người nhận lạ' });
    expect(c.decide(B, move('xac-nhan-la', tap('quet-lai'), run))).toEqual({ error: 'invalid_move' });
    c.run(B, move('xac-nhan-la', { kind: 'retry' }, run));
    expect(meView(c.state, c.state.learners.get('b')!).task).toMatchObject({
      screen: 'trang-chu',
      status: 'working',
      trap: null,
      attempts: 2,
    });
    expect(c.state.tasks.get(run)!.progress.get('b')!.traps).toEqual(['sai-nguoi-nhan']);
  });

  it('a restart (fold of the log) gives the same task state', () => {
    const { c, run } = classInTask();
    for (const [f, a] of rightPath.slice(0, 3)) c.tick(5 * SECOND).run(A, move(f, a, run));
    c.run(B, move('trang-chu', { kind: 'miss' }, run));
    expect(snapshot(fold(c.log))).toEqual(snapshot(c.state));
  });
});

describe('progress on the console, stuck rules and the projector', () => {
  it('time on screen and taps that hit nothing, per learner', () => {
    const { c, run } = classInTask();
    c.tick(20 * SECOND).run(C, move('trang-chu', tap('quet'), run));
    c.tick(7 * SECOND).run(C, move('camera', { kind: 'miss' }, run));
    expect(c.roster('c').task).toEqual({
      screen: 'camera',
      screenName: 'Quét mã QR',
      status: 'working',
      trap: null,
      onScreenMs: 7 * SECOND,
      misses: 1,
      missStreak: 1,
    });
    expect(c.roster('d').task).toMatchObject({ screen: 'trang-chu', onScreenMs: 27 * SECOND, misses: 0 });
  });

  it('three taps in a row that hit nothing → task_misses; a real move clears the streak', () => {
    const { c, run } = classInTask();
    for (const [f, a] of rightPath.slice(0, 3)) c.run(C, move(f, a, run));
    c.run(C, move('nhap-pin', { kind: 'enter', element: 'pin', entry: '12' }, run));
    c.run(C, move('nhap-pin', { kind: 'miss' }, run));
    expect(c.roster('c').stuck).toBeNull();
    c.run(C, move('nhap-pin', { kind: 'enter', element: 'pin', entry: '1' }, run));
    expect(c.roster('c').stuck).toBe('task_misses');
    expect(c.staff().counts.stuck).toBe(1);
    c.run(C, move('nhap-pin', { kind: 'enter', element: 'pin', entry: '123456' }, run));
    expect(c.roster('c').stuck).toBeNull();
  });

  it('far longer on a screen than the class median visit → task_slow; dismissed for that screen only', () => {
    const { c, run } = classInTask();
    // A, B, D each spend 10 s on the start screen: the median visit is 10 s (minDone 3).
    c.tick(10 * SECOND);
    for (const l of [A, B, D]) c.run(l, move('trang-chu', tap('quet'), run));
    c.tick(9 * SECOND); // C: 19 s, not yet twice the median
    expect(c.roster('c').stuck).toBeNull();
    c.tick(2 * SECOND); // 21 s > 2 × 10 s
    expect(c.roster('c').stuck).toBe('task_slow');
    c.run(instructor, { type: 'stuck:dismiss', learnerId: 'c' });
    expect(c.roster('c').stuck).toBeNull();
    // On the next screen the flag may come again.
    c.run(C, move('trang-chu', tap('quet'), run));
    for (const l of [A, B, D]) c.tick(SECOND).run(l, move('camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }, run));
    c.tick(60 * SECOND);
    expect(c.roster('c').stuck).toBe('task_slow');
  });

  it('stuck rules off: no flag, whatever the misses', () => {
    const { c, run } = classInTask();
    c.run(instructor, { type: 'stuck:configure', config: { ...defaultStuckConfig, taskMisses: 0 } });
    for (let i = 0; i < 5; i++) c.run(C, move('trang-chu', { kind: 'miss' }, run));
    expect(c.roster('c').stuck).toBeNull();
  });

  it('staff and projector counts: per screen, finished, trapped, most common trap; the projector has no names', () => {
    const { c, run } = classInTask();
    for (const [f, a] of rightPath) c.run(A, move(f, a, run));
    c.run(B, move('trang-chu', tap('quet'), run));
    c.run(B, move('camera', { kind: 'scan', element: 'may-quet', code: 'ma-dan-de' }, run));
    c.run(B, move('xac-nhan-la', tap('chuyen-la'), run));
    c.run(C, move('trang-chu', tap('quet'), run));
    const task = c.staff().task!;
    expect(task).toMatchObject({
      finished: 1,
      trapped: 1,
      working: 2,
      total: 4,
      commonTrap: { title: 'Trả tiền cho người nhận lạ', count: 1 },
    });
    expect(task.screens.filter((s) => s.count > 0)).toEqual([
      { id: 'trang-chu', name: 'Trang chủ ứng dụng', count: 1 },
      { id: 'camera', name: 'Quét mã QR', count: 1 },
    ]);
    const display = displayView(c.state, steps, 'http://x/');
    expect(display.task).toMatchObject({ finished: 1, trapped: 1, working: 2 });
    expect(JSON.stringify(display)).not.toMatch(/"(A|B|C|D)"/);
  });
});

describe('results', () => {
  it('per task: % finished, median time to finish, the screen most were stuck on, each trap with its %; per learner; hardest steps', () => {
    const { c, run } = classInTask();
    for (const [f, a] of rightPath) c.tick(10 * SECOND).run(A, move(f, a, run)); // A: 50 s
    for (const [f, a] of rightPath) c.tick(20 * SECOND).run(D, move(f, a, run)); // D: 50 + 100 s
    c.run(B, move('trang-chu', tap('quet'), run));
    c.run(B, move('camera', { kind: 'scan', element: 'may-quet', code: 'ma-dan-de' }, run));
    c.run(B, move('xac-nhan-la', tap('chuyen-la'), run));
    for (const [f, a] of rightPath.slice(0, 3)) c.run(C, move(f, a, run));
    c.tick(5 * 60 * SECOND); // C sits on the PIN screen
    const results = sessionResults(c.state);
    expect(results.tasks).toHaveLength(1);
    const t = results.tasks[0];
    expect(t).toMatchObject({
      runId: run,
      taskId: 'tra-tien-qr',
      step: 1,
      learners: 4,
      finished: 2,
      finishedPct: 50,
      medianTimeToFinishMs: 100 * SECOND,
    });
    expect(t.stuckScreen).toEqual({ name: 'Nhập mã PIN', count: 1 });
    expect(t.traps).toEqual([{ id: 'sai-nguoi-nhan', title: 'Trả tiền cho người nhận lạ', count: 1, pct: 25 }]);
    const b = results.learners.find((l) => l.id === 'b')!;
    expect(b.tasks[run]).toEqual({ finished: false, traps: ['Trả tiền cho người nhận lạ'], timeMs: null });
    expect(results.learners.find((l) => l.id === 'a')!.tasks[run]).toEqual({ finished: true, traps: [], timeMs: 50 * SECOND });
    // The task's step counts two learners who did not finish: it ranks above the others.
    expect(results.steps[0]).toMatchObject({ index: 1, taskStruggles: 2 });
  });
});

describe('starter tasks', () => {
  const dir = new URL('../../lessons/', import.meta.url);
  const ids = [
    'lam-quen-dien-thoai',
    'cai-dat-vneid',
    'thanh-toan-qr',
    'mua-ban-truc-tuyen',
    'dich-vu-cong-truc-tuyen',
    'bao-ve-thong-tin-ca-nhan',
  ];
  const lessons = ids.map((id) => Lesson.parse(JSON.parse(readFileSync(new URL(`${id}.json`, dir), 'utf8'))));
  const all = lessons.flatMap((l) => l.steps.flatMap((s) => s.tasks.map((task) => ({ lesson: l, task }))));

  it('each starter lesson has at least one task, ten or more in all, with the ones the classes need', () => {
    for (const l of lessons)
      expect(
        l.steps.some((s) => s.tasks.length > 0),
        l.id,
      ).toBe(true);
    expect(all.length).toBeGreaterThanOrEqual(10);
    const taskIds = all.map((x) => x.task.id);
    for (const id of [
      'tra-tien-qr',
      'tin-nhan-khoa-tai-khoan',
      'cuoc-goi-xin-otp',
      'mua-hang-an-toan',
      'mo-the-dinh-danh',
      'nop-ho-so-truc-tuyen',
      'tang-co-chu',
      'ket-noi-wifi',
      'goi-nguoi-than',
    ]) {
      expect(taskIds).toContain(id);
    }
  });

  it.each(all.map((x) => [x.task.id, x] as const))(
    '%s: no problems, explained traps, skills of its lesson, generic look-alike',
    (_id, { lesson, task }) => {
      expect(taskProblems(task)).toEqual([]);
      for (const trap of task.traps) expect(trap.explanation.length).toBeGreaterThan(40);
      for (const skill of task.skills) expect(lesson.skills).toContain(skill);
      const text = JSON.stringify(task);
      // No real brands, no phone numbers, no real web addresses.
      expect(text).not.toMatch(/vneid|zalo|momo|vietcombank|agribank|bidv|shopee|lazada|tiki|facebook|viettel|vnpay/i);
      expect(text).not.toMatch(/\d[\d .]{8,}\d/);
      expect(text).not.toMatch(/https?:|www\.|\.(com|vn)\b/i);
    },
  );
});
