import type { LessonSummary, Me, SessionSummary } from '../../shared/protocol/views.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { api } from '../lib/http.ts';

/** The lessons an instructor can start and the sessions already held. */
export class Home {
  #lessons = $state.raw<LessonSummary[] | null>(null);
  #sessions = $state.raw<SessionSummary[] | null>(null);
  #error = $state.raw<ClientError | null>(null);
  #starting = $state<string | null>(null);

  get lessons(): LessonSummary[] | null {
    return this.#lessons;
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
      api<LessonSummary[]>('GET', '/api/lessons'),
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

  addUser(body: { username: string; displayName: string; password: string }): Promise<Result<Me>> {
    return api<Me>('POST', '/api/users', body);
  }
}
