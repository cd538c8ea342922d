import type { AnswerValue } from '../../shared/lesson/question.ts';
import type { HelpReason, LearnerHelp, QuizAnswer, TaskMove } from '../../shared/protocol/commands.ts';
import type { TaskAction } from '../../shared/lesson/task-graph.ts';
import type { LearnerClientEvents, LearnerServerEvents } from '../../shared/protocol/events.ts';
import type { ClassView, LearnerSnapshot, MeView, QuizPublicView, StepView, TaskPublicView } from '../../shared/protocol/views.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { Channel } from '../lib/channel.svelte.ts';
import { sioWire } from '../lib/wire-sio.ts';
import { effectiveStep } from '../../shared/lesson/pacing.ts';
import type { Key } from '../lib/i18n/i18n.svelte.ts';
import { newToken, saveSeat, saveToken, storedSeat, storedToken } from '../lib/token.ts';
import { store } from '../lib/storage.ts';
import type { ConnState } from '../lib/channel.svelte.ts';
import { wipeLearner, type Bye } from '../lib/tablet.ts';

export type Screen = 'join' | 'resuming' | 'class';

/** The last class and own views, so that a reload with the link down shows the last step (wiped with the learner). */
const LAST_KEY = 'cunghoc.learner.last';

/** A server that refused the connection (busy, restarting) is asked again after about this long: no one is there to tap "retry". */
const REFUSED_RETRY_MS = 5000;

/** The learner's side of the class: join, resume on every reconnect, done/help/navigate, leave. */
export class Learner {
  #token = $state.raw<string | null>(storedToken());
  // The token rides in every handshake, so a reconnected socket is this learner's before anything it buffered runs.
  readonly channel = new Channel<LearnerServerEvents, LearnerClientEvents>(
    sioWire('/learner', (): Record<string, string> => (this.#token ? { token: this.#token } : {}), {
      retryRefusedMs: REFUSED_RETRY_MS,
      pollingFirst: true,
    }),
  );
  #class = $state.raw<ClassView | null>(null);
  #me = $state.raw<MeView | null>(null);
  /** A done/help change tapped but not yet acknowledged; re-sent after a reconnect. */
  #pendingDone = $state.raw<{ step: number; done: boolean } | null>(null);
  #pendingHelp = $state.raw<LearnerHelp | null>(null);
  /** Who just solved this learner's request: shown for a few seconds. */
  #solvedBy = $state<string | null>(null);
  #solvedTimer: ReturnType<typeof setTimeout> | undefined;
  /** Last class and own stream numbers received: a jump means a message was missed. */
  #streams = [0, 0];
  /** Round-trip time of the last ping, reported with the next one. */
  #rtt: number | null = null;
  #navigating = $state(false);
  /** An answer not yet acknowledged; sent again with the same answerId after a reconnect. */
  #answer = $state.raw<QuizAnswer | null>(null);
  #quizError = $state.raw<ClientError | null>(null);
  /** Practice-task moves not yet acknowledged, oldest first: kept while offline, sent once the link is back. */
  #taskQueue = $state.raw<TaskMove[]>([]);
  #taskFlushing = false;
  #taskError = $state.raw<ClientError | null>(null);
  /** The socket is bound to this learner (joined or resumed since it connected). */
  #bound = false;
  #error = $state.raw<ClientError | null>(null);
  #notice = $state<Key | null>(null);
  #prefillCode: string;
  #seat = $state(storedSeat());
  /** The session whose pictures were prefetched, and their addresses. */
  #prefetched = '';
  #images: string[] = [];
  /** The token a joining learner will own; fresh for each new learner on this device. */
  #joinToken = newToken();

  constructor() {
    const params = new URLSearchParams(location.search);
    this.#prefillCode = /^\d{6}$/.test(params.get('code') ?? '') ? params.get('code')! : '';
    // Set by wipeLearner() for the clean join screen it reloads to.
    const bye = params.get('bye');
    if (bye === 'left' || bye === 'ended' || bye === 'taken' || bye === 'removed') this.#notice = `join.${bye}`;
    // A seat label is given to a tablet once, e.g. /?seat=Bàn 1 – Máy 1, and kept across learners.
    const seat = params.get('seat');
    if (seat !== null) saveSeat((this.#seat = seat.trim().slice(0, 40)));

    if (this.#token) this.#restoreLast();
    // A service worker that just took this page keeps the pictures only if they are fetched again through it.
    navigator.serviceWorker?.addEventListener('controllerchange', () => this.#prefetch());
    const channel = this.channel;
    channel.on('connect', () => {
      this.#bound = false;
      void this.#resume();
    });
    channel.on('class', (view) => {
      this.#gap(0, view.stream);
      this.#applyClass(view);
    });
    channel.on('me', (view) => {
      this.#gap(1, view.stream);
      this.#applyMe(view);
    });
    setInterval(() => void this.#ping(), 15_000);
    channel.on('session:ended', ({ reason }) => {
      if (this.#token) this.#forget(reason);
    });
    // Another tablet resumed with this learner's token: that one is the learner now.
    channel.on('learner:taken-over', () => {
      if (this.#token) this.#forget('taken');
    });
  }

  /** The link as the learner sees it: a page reopened on its last step is reconnecting, not connecting anew. */
  get connState(): ConnState {
    const state = this.channel.state;
    return state === 'connecting' && this.#class ? 'reconnecting' : state;
  }

  get screen(): Screen {
    if (this.#class && this.#me) return 'class';
    return this.#token ? 'resuming' : 'join';
  }
  get classView(): ClassView | null {
    return this.#class;
  }
  get me(): MeView | null {
    return this.#me;
  }
  get seat(): string {
    return this.#seat;
  }
  get prefillCode(): string {
    return this.#prefillCode;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  get notice(): Key | null {
    return this.#notice;
  }

  /** The step on screen: the pushed one, or the learner's own within a self-paced range. */
  get step(): StepView | null {
    const view = this.#class;
    if (!view) return null;
    // A push reaches the class room only, so MeView.step may lag: the class view leads
    // unless the learners move on their own (the engine's rule, shared/lesson/pacing.ts).
    const index = effectiveStep(view.pacing, view.current, this.#me?.step);
    return view.steps.find((s) => s.index === index) ?? null;
  }

  /** The self-paced range, or null when the instructor leads. */
  get range(): { from: number; to: number } | null {
    const pacing = this.#class?.pacing;
    return pacing?.mode === 'self' ? { from: pacing.from, to: pacing.to } : null;
  }

  get done(): boolean {
    const step = this.step;
    return !!step && !!this.#me?.done.includes(step.index);
  }
  get help(): boolean {
    return !!this.#me?.help;
  }
  get solvedBy(): string | null {
    return this.#solvedBy;
  }
  get donePending(): boolean {
    return this.#pendingDone !== null;
  }
  /** The step of a done tap still waiting to be sent. */
  get doneQueued(): number | undefined {
    return this.#pendingDone?.step;
  }
  get helpPending(): boolean {
    return this.#pendingHelp !== null;
  }
  get navigating(): boolean {
    return this.#navigating;
  }

  /** The question on screen, if any. */
  get quiz(): QuizPublicView | null {
    return this.#class?.quiz ?? null;
  }
  /** This learner's answer to it: the one being sent, else the one the server holds. */
  get answer(): AnswerValue | null {
    const runId = this.quiz?.runId;
    if (this.#answer?.runId === runId) return this.#answer!.value;
    const held = this.#me?.answer;
    return held?.runId === runId ? held!.value : null;
  }
  get answerPending(): boolean {
    return !!this.#answer && this.#answer.runId === this.quiz?.runId;
  }
  /** The server holds this learner's answer to the question on screen. */
  get answerSent(): boolean {
    return !this.answerPending && this.#me?.answer?.runId === this.quiz?.runId;
  }
  get quizError(): ClientError | null {
    return this.#quizError;
  }
  /** The learner's own result once revealed: a dictionary key, or null before it is known. */
  get result(): Key | null {
    const quiz = this.quiz;
    if (quiz?.status !== 'revealed') return null;
    if (!this.answerSent) return this.answerPending ? null : 'quiz.noAnswer';
    if (quiz.kind === 'poll') return 'quiz.thanks';
    const result = this.#me!.answer!.result;
    return result === null ? null : `quiz.${result}`;
  }

  /** The practice task on screen, if any. */
  get task(): TaskPublicView | null {
    return this.#class?.task ?? null;
  }
  /** Moves made on the task and not yet acknowledged: the screen shows them already. */
  get taskQueue(): readonly TaskMove[] {
    return this.#taskQueue;
  }
  get taskError(): ClientError | null {
    return this.#taskError;
  }

  /** A move on the task: shown at once, queued, sent in order with a client-made id (a resend counts once). */
  taskMove(from: string, action: TaskAction): void {
    const task = this.task;
    if (!task || task.status !== 'open') return;
    this.#taskError = null;
    this.#taskQueue = [...this.#taskQueue, { runId: task.runId, moveId: newToken(), from, action }];
    void this.#flushTask();
  }

  async #flushTask(): Promise<void> {
    if (this.#taskFlushing) return;
    this.#taskFlushing = true;
    try {
      while (this.#taskQueue.length && this.#bound && this.channel.connected) {
        const move = this.#taskQueue[0];
        const res = await this.channel.send('task:move', move);
        if (!res.ok && (res.error.code === 'timeout' || res.error.code === 'unauthorized')) {
          if (this.#bound && this.channel.connected && res.error.code === 'timeout') continue; // same id again
          return; // sent again after the resume
        }
        if (res.ok) {
          // One update: the server's progress now holds the move the queue drops.
          this.#applyMe(res.data);
          this.#taskQueue = this.#taskQueue.filter((m) => m !== move);
        } else if (res.error.code === 'invalid_move' || res.error.code === 'task_closed' || res.error.code === 'task_not_found') {
          // The tablet and the server disagree: the server's progress wins, this run's queue goes.
          this.#taskQueue = this.#taskQueue.filter((m) => m.runId !== move.runId);
          this.#taskError = res.error;
        } else {
          this.#taskQueue = this.#taskQueue.filter((m) => m !== move);
          this.#settle(res);
        }
      }
    } finally {
      this.#taskFlushing = false;
    }
  }

  /** Answer (or change the answer) with a fresh answerId; waits for the network if need be. */
  answerQuiz(value: AnswerValue): void {
    const quiz = this.quiz;
    if (quiz?.status !== 'open') return;
    this.#quizError = null;
    this.#answer = { runId: quiz.runId, answerId: newToken(), value };
    void this.#flushAnswer();
  }

  /** Join with a typed name, or with a learner card (`card`: the register gives the name). */
  async join(code: string, name: string, partners: string[], card?: string): Promise<Result<LearnerSnapshot>> {
    this.#notice = null;
    const token = this.#joinToken;
    const res = await this.channel.send('learner:join', {
      code,
      ...(card ? { card } : { name }),
      token,
      ...(partners.length ? { partners } : {}),
      ...(this.#seat ? { seat: this.#seat } : {}),
    });
    if (res.ok) {
      this.#bound = true;
      void this.#ping();
      saveToken(token);
      this.#token = token;
      this.#prefillCode = '';
      this.#setSnapshot(res.data);
      // A reload after this class should not offer its code (or a notice) again; the seat is stored.
      history.replaceState(history.state, '', location.pathname);
    }
    return res;
  }

  toggleDone(): void {
    const step = this.step;
    if (!step || this.#pendingDone) return;
    this.#pendingDone = { step: step.index, done: !this.done };
    void this.#flushDone();
  }

  /** Ask for help (with an optional reason), or withdraw the request. */
  toggleHelp(reason?: HelpReason): void {
    if (this.#pendingHelp || !this.#me) return;
    // The request's id is made here, once: a resend after a reconnect raises it once.
    this.#pendingHelp = this.#me.help ? { active: false } : { active: true, reason, requestId: newToken() };
    void this.#flushHelp();
  }

  async navigate(delta: -1 | 1): Promise<void> {
    const range = this.range;
    const current = this.step?.index;
    if (!range || current === undefined || this.#navigating) return;
    const target = current + delta;
    if (target < range.from || target > range.to) return;
    this.#navigating = true;
    const res = await this.channel.send('learner:navigate', { step: target });
    this.#navigating = false;
    this.#settle(res);
  }

  /**
   * "Đổi người học": end this learner's presence, then wipe them from the tablet. Offline, the
   * wipe happens all the same; the server then shows them disconnected until the session ends.
   */
  async leave(): Promise<void> {
    if (this.#token && this.channel.connected) {
      await Promise.race([this.channel.send('learner:leave', {}), new Promise((r) => setTimeout(r, 3000))]);
    }
    if (this.#token) this.#forget('left'); // else the server's "left" already did
  }

  clearError(): void {
    this.#error = null;
  }

  async #resume(): Promise<void> {
    const token = this.#token;
    if (!token) return;
    const res = await this.channel.send('learner:resume', { token });
    if (token !== this.#token) return; // the learner left or changed meanwhile
    if (res.ok) {
      this.#bound = true;
      this.#setSnapshot(res.data);
      void this.#ping();
      void this.#flushDone();
      void this.#flushHelp();
      void this.#flushAnswer();
      void this.#flushTask();
    } else if (res.error.code === 'unknown_token' || res.error.code === 'session_ended' || res.error.code === 'learner_left') {
      this.#forget(res.error.code === 'session_ended' ? 'ended' : '');
    } else if (res.error.code === 'timeout' && this.channel.connected) {
      void this.#resume();
    } else if (res.error.code === 'owner_unavailable' && this.channel.connected) {
      // The class is moving to another server process: ask again shortly.
      setTimeout(() => void this.#resume(), 1000);
    }
  }

  async #flushDone(): Promise<void> {
    const pending = this.#pendingDone;
    if (!pending || !this.channel.connected) return;
    const res = await this.channel.send('learner:done', pending);
    if (this.#pendingDone !== pending) return;
    if (!res.ok && res.error.code === 'timeout' && !this.channel.connected) return; // resent after resume
    this.#pendingDone = null;
    this.#settle(res);
  }

  async #flushHelp(): Promise<void> {
    const active = this.#pendingHelp;
    if (!active || !this.channel.connected) return;
    const res = await this.channel.send('learner:help', active);
    if (this.#pendingHelp !== active) return;
    if (!res.ok && res.error.code === 'timeout' && !this.channel.connected) return;
    this.#pendingHelp = null;
    this.#settle(res);
  }

  async #flushAnswer(): Promise<void> {
    const pending = this.#answer;
    if (!pending || !this.#bound || !this.channel.connected) return;
    const res = await this.channel.send('quiz:answer', pending);
    if (this.#answer !== pending) return; // changed meanwhile: the newer answer is on its way
    if (!res.ok && (res.error.code === 'timeout' || res.error.code === 'unauthorized')) {
      // Not taken: the same answerId goes again once the link is back (counted once either way).
      if (res.error.code === 'timeout' && this.#bound && this.channel.connected) void this.#flushAnswer();
      return;
    }
    this.#answer = null;
    if (res.ok || res.error.code === 'session_ended' || res.error.code === 'learner_left') this.#settle(res);
    else if (pending.runId === this.quiz?.runId) this.#quizError = res.error; // not for a question gone meanwhile
  }

  #settle(res: Result<MeView>): void {
    if (res.ok) {
      this.#error = null;
      this.#applyMe(res.data);
    } else if (res.error.code === 'session_ended' || res.error.code === 'unknown_token' || res.error.code === 'learner_left') {
      this.#forget(res.error.code === 'session_ended' ? 'ended' : '');
    } else {
      this.#error = res.error;
    }
  }

  /** Heartbeat: report the previous round trip, measure this one. */
  async #ping(): Promise<void> {
    if (!this.#bound || !this.channel.connected) return;
    const sent = performance.now();
    const res = await this.channel.send('learner:ping', { rttMs: this.#rtt });
    if (res.ok) this.#rtt = Math.round(performance.now() - sent);
  }

  /** A stream number that is not the last + 1: something was missed, ask for a fresh snapshot. */
  #gap(i: 0 | 1, n: number): void {
    if (this.#bound && n > this.#streams[i] + 1) void this.#resume();
    this.#streams[i] = n;
  }

  #setSnapshot(snapshot: LearnerSnapshot): void {
    this.#streams = [snapshot.class.stream, snapshot.me.stream];
    // A different session or learner: start over rather than compare sequence numbers across them.
    if (this.#class && this.#class.sessionId !== snapshot.class.sessionId) this.#class = null;
    if (this.#me && this.#me.learnerId !== snapshot.me.learnerId) this.#me = null;
    this.#applyClass(snapshot.class);
    this.#applyMe(snapshot.me);
    if (this.#prefetched !== snapshot.class.sessionId) {
      this.#prefetched = snapshot.class.sessionId;
      this.#images = snapshot.images;
      this.#prefetch();
    }
  }

  /** The lesson's pictures into the HTTP cache (and the service worker's), three at a time, so later steps show at once. */
  #prefetch(): void {
    const queue = [...this.#images];
    const next = (): void =>
      void (
        queue.length &&
        fetch(queue.shift()!)
          .catch(() => 0)
          .then(next)
      );
    next();
    next();
    next();
  }

  #applyClass(view: ClassView): void {
    if (!this.#token) return;
    const have = this.#class;
    if (have && (have.sessionId !== view.sessionId || view.seq < have.seq)) return;
    if (have?.quiz?.runId !== view.quiz?.runId) this.#quizError = null;
    if (have?.task?.runId !== view.task?.runId) {
      // Another task (or none): what was queued for a closed one would only be refused.
      this.#taskError = null;
      this.#taskQueue = this.#taskQueue.filter((m) => m.runId === view.task?.runId);
    }
    this.#class = view;
    this.#saveLast();
  }

  #applyMe(view: MeView): void {
    if (!this.#token) return;
    const have = this.#me;
    if (have && (have.learnerId !== view.learnerId || view.seq < have.seq)) return;
    this.#me = view;
    this.#saveLast();
    // The seat label staff gave this tablet ("Đặt tên máy") stays on it, across learners. An empty
    // one (a learner who joined before the tablet had a label) never erases the tablet's.
    if (view.seat && view.seat !== this.#seat) saveSeat((this.#seat = view.seat));
    // Solved while we watched (not an old one found on joining): say so for ten seconds.
    const solved = view.helpResolved;
    if (have && solved && solved.at !== have.helpResolved?.at) {
      this.#solvedBy = solved.by;
      clearTimeout(this.#solvedTimer);
      this.#solvedTimer = setTimeout(() => (this.#solvedBy = null), 10_000);
    }
    if (view.help) this.#solvedBy = null;
  }

  #saveLast(): void {
    if (this.#class && this.#me) store.set(LAST_KEY, JSON.stringify({ token: this.#token, class: this.#class, me: this.#me }));
  }

  /** The views kept by #saveLast for this token, shown until the server's snapshot replaces them. */
  #restoreLast(): void {
    try {
      const last = JSON.parse(store.get(LAST_KEY) ?? 'null') as { token?: string; class?: ClassView; me?: MeView } | null;
      if (last?.token !== this.#token || !last.class?.sessionId || !last.me?.learnerId) return;
      this.#class = last.class;
      this.#me = last.me;
      this.#streams = [last.class.stream, last.me.stream];
    } catch {
      // Unreadable: the page waits for the server's snapshot instead.
    }
  }

  /** This learner is gone (left, or the session ended): wipe them and reload a clean join screen. */
  #forget(bye: Bye): void {
    this.#token = this.#class = this.#me = null;
    void wipeLearner(bye);
  }
}
