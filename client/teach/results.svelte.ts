import type { SessionResults } from '../../shared/protocol/views.ts';
import type { ClientError } from '../lib/api.ts';
import { api } from '../lib/http.ts';

/** One session's results (during class or after it), as the server projects them from its events. */
export class Results {
  readonly sessionId: string;
  #data = $state.raw<SessionResults | null>(null);
  #error = $state.raw<ClientError | null>(null);
  #loading = $state(false);

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  get data(): SessionResults | null {
    return this.#data;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  get loading(): boolean {
    return this.#loading;
  }

  /** A download link: the learners' CSV, the questions' CSV, or the JSON; headings in the page's language. */
  url(kind: 'learners' | 'questions' | 'tasks' | 'json', lang: string): string {
    const base = `/api/sessions/${encodeURIComponent(this.sessionId)}`;
    if (kind === 'json') return `${base}.json?download${lang === 'en' ? '&lang=en' : ''}`;
    const params = new URLSearchParams();
    if (kind === 'questions' || kind === 'tasks') params.set('table', kind);
    if (lang === 'en') params.set('lang', 'en');
    const query = params.toString();
    return `${base}.csv${query ? `?${query}` : ''}`;
  }

  async load(): Promise<ClientError | null> {
    this.#loading = true;
    const res = await api<SessionResults>('GET', `/api/sessions/${encodeURIComponent(this.sessionId)}.json`);
    this.#loading = false;
    if (res.ok) this.#data = res.data;
    this.#error = res.ok ? null : res.error;
    return this.#error;
  }
}
