import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { Store } from '../store/store.ts';

/**
 * What a server does to its store besides serving classes: load the starter lessons when it starts,
 * erase old learner names now and then. Called by server/main.ts (and by tests and the bench through
 * `startApp`), never by createApp, which only wires.
 */

/**
 * Load lessons/*.json into the store; an invalid file is refused loudly, never half-loaded.
 * Their order in the lesson list is the curriculum's: the ids listed in lessons/curriculum.txt (one
 * per line, `#` comments), then any other starter lesson by file name.
 */
export async function seedLessons(store: Store, dir: string, now: number, log: Logger): Promise<void> {
  if (!existsSync(dir)) return;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const lessons: Lesson[] = [];
  for (const file of files) {
    const parsed = Lesson.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
    if (!parsed.success) {
      log.error({ file, issues: parsed.error.issues.slice(0, 5) }, 'starter lesson is invalid; skipped');
      continue;
    }
    lessons.push(parsed.data);
  }
  const curriculum = await readCurriculum(join(dir, 'curriculum.txt'));
  const rank = (id: string) => {
    const i = curriculum.indexOf(id);
    return i === -1 ? curriculum.length : i;
  };
  const unknown = curriculum.filter((id) => !lessons.some((l) => l.id === id));
  if (unknown.length > 0) log.warn({ unknown }, 'lessons/curriculum.txt names lessons that are not there');
  // Stable sort: unlisted lessons keep their file-name order after the listed ones.
  const ordered = [...lessons].sort((a, b) => rank(a.id) - rank(b.id));
  for (const [position, lesson] of ordered.entries()) {
    if (await store.seedLesson(lesson, now, position)) log.info({ lesson: lesson.id }, 'lesson seeded');
  }
}

async function readCurriculum(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}

export const RETENTION_EVERY_MS = 6 * 3600_000;

/**
 * Privacy: erase the learner names of sessions that ended more than `days` ago (the aggregates stay),
 * once now and then every six hours; `days` 0 keeps them. Returns the stop function.
 */
export async function startRetention(opts: { store: Store; log: Logger; now: () => number; days: number }): Promise<() => void> {
  const { store, log, now, days } = opts;
  if (days <= 0) return () => undefined;
  const erase = async () => {
    const erased = await store.eraseLearnerNames(now() - days * 86_400_000);
    if (erased > 0) log.info({ erased, days }, 'learner names erased from old sessions');
  };
  await erase();
  const timer = setInterval(() => void erase().catch((err: unknown) => log.error({ err }, 'retention')), RETENTION_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
