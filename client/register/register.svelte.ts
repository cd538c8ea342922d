import type { Me } from '../../shared/protocol/views.ts';
import { api } from '../lib/http.ts';

export type Route =
  | { name: 'list' }
  | { name: 'person'; id: string }
  | { name: 'cards'; ids: string[] }
  | { name: 'certificate'; id: string }
  | { name: 'progress' };

/** `#/person/<id>`, `#/cards/<id,id…>`, `#/certificate/<id>`, `#/progress`; anything else is the list. */
function parseHash(): Route {
  const h = location.hash;
  if (h === '#/progress') return { name: 'progress' };
  const m = /^#\/(person|cards|certificate)\/([A-Za-z0-9_,-]{1,20000})$/.exec(h);
  if (!m) return { name: 'list' };
  if (m[1] === 'cards') return { name: 'cards', ids: m[2].split(',').filter(Boolean) };
  return { name: m[1] as 'person' | 'certificate', id: m[2] };
}

/** Who is signed in (the register is for instructors only) and which view is open. */
export class RegisterPage {
  #me = $state.raw<Me | null>(null);
  #checked = $state(false);
  #route = $state.raw<Route>(parseHash());

  constructor() {
    addEventListener('hashchange', () => (this.#route = parseHash()));
  }

  get me(): Me | null {
    return this.#me;
  }
  get checked(): boolean {
    return this.#checked;
  }
  get route(): Route {
    return this.#route;
  }

  async load(): Promise<void> {
    const res = await api<Me | null>('GET', '/api/auth/me');
    this.#me = res.ok ? res.data : null;
    this.#checked = true;
  }
}
