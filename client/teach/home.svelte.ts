import type { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonSummary, Me, SessionSummary } from '../../shared/protocol/views.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { api } from '../lib/http.ts';
import { checkLesson, serverIssues, type FieldIssue } from './editor.svelte.ts';

/** A lesson in the list; archived ones come only when asked for. */
export type LessonItem = LessonSummary & { archived?: boolean; updatedAt?: number };

/** What an import brought: the lesson (maybe under a new id), or the file's problems. */
export type ImportOutcome = { ok: true; lesson: Lesson; renamed: boolean } | { ok: false; error: ClientError; issues: FieldIssue[] };

/** The lessons an instructor can start and the sessions already held. */
export class Home {
  #lessons = $state.raw<LessonItem[] | null>(null);
  #showArchived = $state(false);
  #busy = $state<string | null>(null);
  #sessions = $state.raw<SessionSummary[] | null>(null);
  #error = $state.raw<ClientError | null>(null);
  #starting = $state<string | null>(null);

  get lessons(): LessonItem[] | null {
    return this.#lessons;
  }
  get showArchived(): boolean {
    return this.#showArchived;
  }
  /** The lesson being duplicated, archived or imported ("import"). */
  get busy(): string | null {
    return this.#busy;
  }
  get sessions(): SessionSummary[] | null {
    return this.#sessions;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  /** The lesson whose session is being started. */
  get starting(): string | null {
    return this.#starting;
  }

  async load(): Promise<ClientError | null> {
    const [lessons, sessions] = await Promise.all([
      api<LessonItem[]>('GET', this.#showArchived ? '/api/lessons?archived=1' : '/api/lessons'),
      api<SessionSummary[]>('GET', '/api/sessions'),
    ]);
    if (lessons.ok) this.#lessons = lessons.data;
    if (sessions.ok) this.#sessions = sessions.data;
    this.#error = !lessons.ok ? lessons.error : !sessions.ok ? sessions.error : null;
    return this.#error;
  }

  async start(lessonId: string): Promise<Result<SessionSummary>> {
    this.#starting = lessonId;
    const res = await api<SessionSummary>('POST', '/api/sessions', { lessonId });
    this.#starting = null;
    this.#error = res.ok ? null : res.error;
    return res;
  }

  async setShowArchived(on: boolean): Promise<void> {
    this.#showArchived = on;
    await this.load();
  }

  /** Copy a lesson (new id, title marked as a copy); the list shows it. */
  async duplicate(id: string): Promise<Result<{ lesson: Lesson }>> {
    return this.#act(id, () => api<{ lesson: Lesson }>('POST', `/api/lessons/${encodeURIComponent(id)}/duplicate`));
  }

  async archive(id: string, archived: boolean): Promise<Result<{ archived: boolean }>> {
    return this.#act(id, () => api<{ archived: boolean }>('POST', `/api/lessons/${encodeURIComponent(id)}/archive`, { archived }));
  }

  /** Import a lesson file; a refused file changes nothing and comes back with its problems. */
  async importFile(file: File): Promise<ImportOutcome> {
    let body: unknown;
    try {
      body = JSON.parse(await file.text());
    } catch {
      return { ok: false, error: { code: 'bad_request', message: 'not JSON' }, issues: [] };
    }
    const res = await this.#act('import', () => api<{ lesson: Lesson; renamed: boolean }>('POST', '/api/lessons/import', body));
    if (res.ok) return { ok: true, ...res.data };
    this.#error = null; // shown with the import form, with the file's problems
    // The same schema here gives the problems in our words; the server's list when ours finds none.
    const own = res.error.code === 'invalid_lesson' ? checkLesson((body as { lesson?: unknown } | null)?.lesson) : [];
    return { ok: false, error: res.error, issues: own.length ? own : serverIssues((res.error as { issues?: unknown }).issues) };
  }

  exportUrl(id: string): string {
    return `/api/lessons/${encodeURIComponent(id)}/export`;
  }

  async #act<T>(what: string, call: () => Promise<Result<T>>): Promise<Result<T>> {
    this.#busy = what;
    const res = await call();
    this.#busy = null;
    this.#error = res.ok ? null : res.error;
    if (res.ok) await this.load();
    return res;
  }

  addUser(body: { username: string; displayName: string; password: string }): Promise<Result<Me>> {
    return api<Me>('POST', '/api/users', body);
  }
}
