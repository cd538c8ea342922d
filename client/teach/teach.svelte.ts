import type { Me, ServerInfo } from '../../shared/protocol/views.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { api } from '../lib/http.ts';

export type Route =
  | { name: 'home' }
  | { name: 'session'; id: string }
  | { name: 'results'; id: string }
  | { name: 'edit'; id: string }
  | { name: 'new' }
  | { name: 'settings' };
export type Screen = 'loading' | 'offline' | 'setup' | 'login' | 'signed-in';

/**
 * `#/session/<id>` opens a session's console, `#/results/<id>` its results, `#/lessons/<id>/edit`
 * the lesson editor, `#/lessons/new` a new lesson and `#/settings` the settings (backups), so a reload keeps them; anything else is home.
 */
function parseHash(): Route {
  if (location.hash === '#/lessons/new') return { name: 'new' };
  if (location.hash === '#/settings') return { name: 'settings' };
  const edit = /^#\/lessons\/([a-z0-9-]{1,64})\/edit$/.exec(location.hash);
  if (edit) return { name: 'edit', id: edit[1] };
  const match = /^#\/(session|results)\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  return match ? { name: match[1] as 'session' | 'results', id: match[2] } : { name: 'home' };
}

/** Who is signed in, whether the server still needs its first account, and where we are. */
export class Teach {
  #info = $state.raw<ServerInfo | null>(null);
  #me = $state.raw<Me | null>(null);
  #loading = $state(true);
  #loadError = $state.raw<ClientError | null>(null);
  #route = $state.raw<Route>(parseHash());
  #hash = location.hash;
  /** Asked before the route changes (unsaved changes in the editor); false keeps the page. */
  #mayLeave: (() => boolean) | null = null;

  constructor() {
    addEventListener('hashchange', () => {
      if (location.hash === this.#hash) return;
      if (this.#mayLeave && !this.#mayLeave()) {
        history.replaceState(null, '', this.#hash || location.pathname);
        return;
      }
      this.#hash = location.hash;
      this.#route = parseHash();
    });
  }

  /** Install (or remove, with null) the question asked before leaving the current view. */
  guardLeaving(mayLeave: (() => boolean) | null): void {
    this.#mayLeave = mayLeave;
  }

  /** Change the address without changing the view (a new lesson, once saved, has its own address). */
  replaceHash(hash: string): void {
    history.replaceState(null, '', hash);
    this.#hash = hash;
  }

  get info(): ServerInfo | null {
    return this.#info;
  }
  get me(): Me | null {
    return this.#me;
  }
  get route(): Route {
    return this.#route;
  }
  get loadError(): ClientError | null {
    return this.#loadError;
  }

  get screen(): Screen {
    if (this.#loading) return 'loading';
    if (!this.#info) return 'offline';
    if (this.#info.setupNeeded) return 'setup';
    return this.#me ? 'signed-in' : 'login';
  }

  async load(): Promise<void> {
    this.#loading = true;
    const [info, me] = await Promise.all([api<ServerInfo>('GET', '/api/info'), api<Me>('GET', '/api/auth/me')]);
    this.#info = info.ok ? info.data : null;
    this.#loadError = info.ok ? null : info.error;
    this.#me = me.ok ? me.data : null;
    this.#loading = false;
  }

  async setup(body: { username: string; displayName: string; password: string; setupCode?: string }): Promise<Result<Me>> {
    const res = await api<Me>('POST', '/api/setup', body);
    if (res.ok) this.#signedIn(res.data);
    else if (res.error.code === 'setup_done') await this.load();
    return res;
  }

  async login(body: { username: string; password: string }): Promise<Result<Me>> {
    const res = await api<Me>('POST', '/api/auth/login', body);
    if (res.ok) this.#signedIn(res.data);
    return res;
  }

  async logout(): Promise<void> {
    if (this.#mayLeave && !this.#mayLeave()) return;
    await api<null>('POST', '/api/auth/logout');
    this.signedOut();
  }

  /** The server no longer knows us (cookie expired, server reset): back to the sign-in form. */
  signedOut(): void {
    this.#me = null;
  }

  openSession(id: string): void {
    location.hash = `#/session/${id}`;
  }

  goHome(): void {
    location.hash = '#/';
  }

  #signedIn(me: Me): void {
    this.#me = me;
    if (this.#info) this.#info = { ...this.#info, setupNeeded: false };
  }
}
