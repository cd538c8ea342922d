import type { Question } from '../../shared/lesson/question.ts';
import type { StuckConfig } from '../../shared/protocol/commands.ts';
import type { StaffClientEvents, StaffServerEvents } from '../../shared/protocol/events.ts';
import type { StaffView } from '../../shared/protocol/views.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { Channel } from '../lib/channel.svelte.ts';
import type { HelpQueueCommand } from '../lib/help-queue-command.ts';
import { ViewClock } from '../lib/view-clock.svelte.ts';
import { newToken } from '../lib/token.ts';
import { Watched, watchOnConnect } from '../lib/watched.svelte.ts';
import { sioWire } from '../lib/wire-sio.ts';
import { HelpAlert } from './alert.svelte.ts';

/** One session's console: watches the staff view (again on every reconnect) and sends commands. */
export class Console {
  readonly sessionId: string;
  readonly channel = new Channel<StaffServerEvents, StaffClientEvents>(sioWire('/staff'));
  readonly #view = new Watched<StaffView>((view) => view.sessionId === this.sessionId);
  #error = $state.raw<ClientError | null>(null);
  #busy = $state(false);
  #unauthorized = $state(false);
  /** Server time, for waiting times and time on step. */
  readonly clock = new ViewClock();
  readonly alert = new HelpAlert();

  constructor(sessionId: string) {
    this.sessionId = sessionId;
    watchOnConnect(
      this.channel,
      () => this.channel.send('staff:watch', { sessionId }),
      (res) => this.#watched(res),
    );
    this.channel.on('staff:view', (view) => this.#apply(view));
  }

  get view(): StaffView | null {
    return this.#view.current;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  /** A command is waiting for its ack. */
  get busy(): boolean {
    return this.#busy;
  }
  /** The server does not accept us as staff: sign in again. */
  get unauthorized(): boolean {
    return this.#unauthorized || this.channel.refused !== null;
  }

  push(step: number): Promise<boolean> {
    return this.#command(() => this.channel.send('step:push', { sessionId: this.sessionId, step }));
  }

  selfPaced(from: number, to: number): Promise<boolean> {
    return this.#command(() => this.channel.send('pacing:set', { sessionId: this.sessionId, pacing: { mode: 'self', from, to } }));
  }

  /** Put a question on the screens: one of the lesson's, or a quick one typed now. Seconds, or null: no limit. */
  openQuiz(source: { step: number; questionId: string } | { question: Question }, timeLimit: number | null): Promise<boolean> {
    // The run's id is made here, once: a resend opens the question once.
    const runId = newToken();
    return this.#command(() => this.channel.send('quiz:open', { sessionId: this.sessionId, runId, source, timeLimit }));
  }

  quiz(command: 'quiz:close' | 'quiz:reveal' | 'quiz:dismiss', runId: string): Promise<boolean> {
    return this.#command(() => this.channel.send(command, { sessionId: this.sessionId, runId }));
  }

  /** Open one of the lesson's practice tasks for everyone (it takes a question off the screens). */
  openTask(step: number, taskId: string): Promise<boolean> {
    const runId = newToken();
    return this.#command(() => this.channel.send('task:open', { sessionId: this.sessionId, runId, source: { step, taskId } }));
  }

  closeTask(runId: string): Promise<boolean> {
    return this.#command(() => this.channel.send('task:close', { sessionId: this.sessionId, runId }));
  }

  /** Show or hide the answers' histogram on the projector. */
  showResults(runId: string, show: boolean): Promise<boolean> {
    return this.#command(() => this.channel.send('quiz:show-results', { sessionId: this.sessionId, runId, show }));
  }

  /** Work the help queue as the instructor; the card shows the outcome (e.g. already_claimed). */
  help = (command: HelpQueueCommand, requestId: string): Promise<Result<null>> =>
    this.channel.send(command, { sessionId: this.sessionId, requestId });

  dismissStuck(learnerId: string): Promise<boolean> {
    return this.#command(() => this.channel.send('stuck:dismiss', { sessionId: this.sessionId, learnerId }));
  }

  configureStuck(config: StuckConfig): Promise<boolean> {
    return this.#command(() => this.channel.send('stuck:configure', { sessionId: this.sessionId, config }));
  }

  setSeatMap(rows: number, cols: number): Promise<boolean> {
    return this.#command(() => this.channel.send('seatmap:set', { sessionId: this.sessionId, rows, cols }));
  }

  place(learnerId: string, row: number, col: number): Promise<boolean> {
    return this.#command(() => this.channel.send('seat:place', { sessionId: this.sessionId, learnerId, row, col }));
  }

  /** "Đặt tên máy": the learner's tablet stores this seat label and keeps it across learners. */
  labelSeat(learnerId: string, seat: string): Promise<boolean> {
    return this.#command(() => this.channel.send('seat:label', { sessionId: this.sessionId, learnerId, seat }));
  }

  /** "Cho rời lớp": the learner's tablet goes back to the join screen; `block` keeps the name out of this class. */
  removeLearner(learnerId: string, block: boolean): Promise<boolean> {
    return this.#command(() => this.channel.send('learner:remove', { sessionId: this.sessionId, learnerId, block }));
  }

  end(): Promise<boolean> {
    return this.#command(() => this.channel.send('session:end', { sessionId: this.sessionId }));
  }

  clearError(): void {
    this.#error = null;
  }

  close(): void {
    this.channel.close();
    this.clock.stop();
  }

  #watched(res: Result<StaffView>): void {
    if (res.ok) {
      this.#error = null;
      this.#apply(res.data);
    } else if (res.error.code === 'unauthorized' || res.error.code === 'forbidden') {
      this.#unauthorized = true;
    } else {
      this.#error = res.error;
    }
  }

  async #command(run: () => Promise<Result<unknown>>): Promise<boolean> {
    this.#busy = true;
    const res = await run();
    this.#busy = false;
    this.#error = res.ok ? null : res.error;
    if (!res.ok && res.error.code === 'unauthorized') this.#unauthorized = true;
    return res.ok;
  }

  #apply(view: StaffView): void {
    if (!this.#view.offer(view)) return;
    this.clock.sync(view.now);
    this.alert.update(view.helpQueue);
  }
}
