/**
 * Test sockets, as the pages open them: one per namespace, each recording the last payload of every
 * event (so a wait never misses one that came early), all closed by closeSockets() in teardown.
 */
import { io as connect, type Socket } from 'socket.io-client';
import type { Question } from '../../shared/lesson/question.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type {
  DisplayClientEvents,
  DisplayServerEvents,
  LearnerClientEvents,
  LearnerServerEvents,
  StaffClientEvents,
  StaffServerEvents,
} from '../../shared/protocol/events.ts';

export type LearnerSocket = Socket<LearnerServerEvents, LearnerClientEvents>;
export type StaffSocket = Socket<StaffServerEvents, StaffClientEvents>;
export type DisplaySocket = Socket<DisplayServerEvents, DisplayClientEvents>;

const opened: Socket[] = [];
/** The last payload of each event each socket received, so a wait never misses one that came early. */
const latest = new WeakMap<Socket, Map<string, unknown>>();

function open<S extends Socket>(url: string, ns: string, extraHeaders?: Record<string, string>, auth?: Record<string, string>): S {
  const socket = connect(url + ns, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    extraHeaders,
    auth,
    // A test server on https has a certificate from a throwaway CA (test/e2e/offline.test.ts).
    rejectUnauthorized: !url.startsWith('https:'),
  }) as unknown as S;
  opened.push(socket);
  const last = new Map<string, unknown>();
  latest.set(socket, last);
  (socket as unknown as Socket).onAny((event: string, payload: unknown) => last.set(event, payload));
  return socket;
}

export const learnerSocket = (url: string) => open<LearnerSocket>(url, '/learner');
export const staffSocket = (url: string, cookie: string) => open<StaffSocket>(url, '/staff', { cookie });
export const displaySocket = (url: string) => open<DisplaySocket>(url, '/display');
/** A helper's phone: the session's helper code, a name and its own token. */
export function helperSocket(url: string, helperCode: string, name: string, helperToken: string): StaffSocket {
  return open<StaffSocket>(url, '/staff', undefined, { helperCode, name, token: helperToken });
}

/** Close every socket a test opened. */
export function closeSockets(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

/** Send a command and wait for its ack. */
export function call<T>(socket: Socket, event: string, payload: unknown): Promise<Ack<T>> {
  return socket.timeout(15_000).emitWithAck(event, payload) as Promise<Ack<T>>;
}

export function unwrap<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/** What a console opens: a question of the lesson (by step and id) or a quick one typed in class. */
export type QuizSource = { step: number; questionId: string } | { question: Question };

/** The console opens a question in the class of `sessionId` (no time limit unless told); resolves with its run id. */
export async function openQuiz(
  staff: StaffSocket,
  sessionId: string,
  source: QuizSource,
  timeLimit: number | null = null,
): Promise<string> {
  return unwrap(await call<{ runId: string }>(staff, 'quiz:open', { sessionId, source, timeLimit })).runId;
}

/** Resolve when `predicate` holds for the last value received on `event`, or for the next ones. */
export function waitFor<T>(socket: Socket, event: string, predicate: (v: T) => boolean, ms = 5000): Promise<T> {
  const last = latest.get(socket)?.get(event) as T | undefined;
  if (last !== undefined && predicate(last)) return Promise.resolve(last);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    const handler = (v: T) => {
      if (!predicate(v)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(v);
    };
    socket.on(event, handler);
  });
}

/** A learner's resume token, the same for the same n. */
export const token = (n: number): string => `tok-${String(n).padStart(4, '0')}-${'x'.repeat(20)}`;
