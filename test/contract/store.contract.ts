import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent, SessionStarted } from '../../server/engine/events.ts';
import { MediaFiles, type MediaUploads } from '../../server/store/media.ts';
import type { AuditRecord, NewPerson } from '../../server/store/register-port.ts';
import type { Store } from '../../server/store/store.ts';
import { Lesson } from '../../shared/lesson/schema.ts';

/**
 * The storage contract: what every Store must do, run against SQLite and PostgreSQL alike
 * (test/integration/store-*.test.ts). Each case makes its own sessions, people and lessons, so the
 * cases share one store per file and stay independent.
 */
export interface ContractTarget {
  store: Store;
  /** Where this store keeps uploaded pictures. */
  uploads: MediaUploads;
  close(): Promise<void>;
}

const lessonsDir = resolve(import.meta.dirname, '../../lessons');
export const starterLesson = (id = 'thanh-toan-qr'): Lesson =>
  Lesson.parse(JSON.parse(readFileSync(resolve(lessonsDir, `${id}.json`), 'utf8')));
const qr = starterLesson();
const T0 = Date.UTC(2026, 9, 10, 1, 0);

let counter = 0;
/** A fresh id for this run (cases never meet each other's rows). */
export const fresh = (prefix: string): string => `${prefix}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export const started = (sessionId = fresh('s'), over: Partial<SessionStarted> = {}): SessionStarted => ({
  type: 'session:started',
  at: T0,
  sessionId,
  code: String(100000 + Math.floor(Math.random() * 900000)),
  helperCode: fresh('H').toUpperCase(),
  instructorId: 'u-contract',
  lesson: qr,
  ...over,
});
export const joined = (learnerId: string, at = T0 + 1, partners: string[] = []): SessionEvent => ({
  type: 'learner:joined',
  at,
  learnerId,
  name: `Nguyễn Văn ${learnerId}`,
  seat: '',
  tokenHash: `hash-${learnerId}-${Math.random().toString(36).slice(2)}`,
  ...(partners.length ? { partners } : {}),
});
export const pushed = (step: number, at = T0 + 2): SessionEvent => ({ type: 'step:pushed', at, step });
export const ended = (at: number): SessionEvent => ({ type: 'session:ended', at });
/** An event that cannot be stored by any store: JSON has no BigInt. */
export const unstorable = (): SessionEvent => ({ type: 'step:pushed', at: T0, step: 10n as unknown as number });

const person = (over: Partial<NewPerson> = {}): NewPerson => ({
  id: fresh('p'),
  card: String(Math.floor(1e11 + Math.random() * 8e11)),
  name: 'Trần Thị Lành',
  birthYear: 1960,
  hamlet: fresh('Thôn '),
  group: 'nong-dan',
  phone: null,
  consentDate: '2026-10-01',
  ...over,
});
const audit = (personId: string, action: AuditRecord['action'] = 'created', at = T0): AuditRecord => ({
  personId,
  at,
  userId: 'u-contract',
  action,
  detail: '',
});

export function storeContract(name: string, open: () => Promise<ContractTarget>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip === true)(`store contract: ${name}`, () => {
    let target: ContractTarget;
    let store: Store;
    beforeAll(async () => {
      target = await open();
      store = target.store;
      await store.createUser({
        id: 'u-contract',
        username: `contract-${fresh('')}`,
        displayName: 'Cô Hoa',
        passwordHash: 'x',
        createdAt: T0,
      });
    });
    afterAll(async () => {
      await target?.close();
    });

    describe('events', () => {
      it('appends in order and reads them back, with the summary kept', async () => {
        const s = started();
        await store.createSession(s);
        await store.appendEvents(s.sessionId, 1, [joined('a'), joined('b', T0 + 2, ['Lan'])]);
        await store.appendEvents(s.sessionId, 3, [pushed(0), pushed(1)]);
        const events = await store.loadEvents(s.sessionId);
        expect(events.map((e) => e.type)).toEqual(['session:started', 'learner:joined', 'learner:joined', 'step:pushed', 'step:pushed']);
        expect(events[0]).toEqual(s);
        expect((events[2] as { partners?: string[] }).partners).toEqual(['Lan']);
        expect(events.slice(3).map((e) => (e as { step: number }).step)).toEqual([0, 1]);
        const summary = await store.getSessionSummary(s.sessionId);
        expect(summary).toEqual({
          id: s.sessionId,
          code: s.code,
          lessonId: qr.id,
          lessonTitle: qr.title,
          status: 'open',
          startedAt: T0,
          endedAt: null,
          learnerCount: 2,
        });
        expect(await store.listOpenSessionIds()).toContain(s.sessionId);
        expect((await store.listSessions()).map((x) => x.id)).toContain(s.sessionId);
        expect(await store.getSessionSummary('no-such-session')).toBeUndefined();
        expect(await store.loadEvents('no-such-session')).toEqual([]);
      });

      it('refuses a stale sequence and writes nothing of it', async () => {
        const s = started();
        await store.createSession(s);
        await store.appendEvents(s.sessionId, 1, [pushed(0)]);
        await expect(store.appendEvents(s.sessionId, 1, [pushed(5)])).rejects.toThrow();
        await expect(store.appendEvents(s.sessionId, 7, [pushed(5)])).rejects.toThrow(/not at seq 7/);
        await expect(store.appendEvents('no-such-session', 1, [pushed(5)])).rejects.toThrow();
        const events = await store.loadEvents(s.sessionId);
        expect(events).toHaveLength(2);
        expect((events[1] as { step: number }).step).toBe(0);
        await store.appendEvents(s.sessionId, 2, [pushed(1)]);
        expect(await store.loadEvents(s.sessionId)).toHaveLength(3);
      });

      it('a failed append in a group commit leaves nothing of itself, and the others in the same batch are stored', async () => {
        const [a, b, c] = [started(), started(), started()];
        for (const s of [a, b, c]) await store.createSession(s);
        // One turn of the event loop: the three share a commit.
        const results = await Promise.allSettled([
          store.appendEvents(a.sessionId, 1, [joined('a1')]),
          store.appendEvents(b.sessionId, 1, [joined('b1'), unstorable(), joined('b2')]),
          store.appendEvents(c.sessionId, 1, [pushed(0)]),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(await store.loadEvents(a.sessionId)).toHaveLength(2);
        expect(await store.loadEvents(b.sessionId)).toHaveLength(1);
        expect((await store.getSessionSummary(b.sessionId))?.learnerCount).toBe(0);
        expect(await store.loadEvents(c.sessionId)).toHaveLength(2);
        // The failed session is still at seq 1.
        await store.appendEvents(b.sessionId, 1, [joined('b3')]);
        expect((await store.getSessionSummary(b.sessionId))?.learnerCount).toBe(1);
      });

      it('applies concurrent appends in call order; an empty append resolves after every earlier one is durable', async () => {
        const s = started();
        await store.createSession(s);
        const order: string[] = [];
        const calls: Promise<void>[] = [];
        for (let i = 0; i < 30; i++) {
          calls.push(store.appendEvents(s.sessionId, 1 + i, [pushed(i)]).then(() => void order.push(`a${i}`)));
          if (i === 14 || i === 29) calls.push(store.appendEvents(s.sessionId, 2 + i, []).then(() => void order.push(`empty${i}`)));
        }
        await Promise.all(calls);
        const steps = (await store.loadEvents(s.sessionId)).slice(1).map((e) => (e as { step: number }).step);
        expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i));
        for (const [empty, upTo] of [
          ['empty14', 14],
          ['empty29', 29],
        ] as const) {
          const at = order.indexOf(empty);
          for (let i = 0; i <= upTo; i++) expect(order.indexOf(`a${i}`)).toBeLessThan(at);
        }
      });

      it('a session:ended event ends the session', async () => {
        const s = started();
        await store.createSession(s);
        await store.appendEvents(s.sessionId, 1, [joined('x'), ended(T0 + 99)]);
        const summary = await store.getSessionSummary(s.sessionId);
        expect(summary?.status).toBe('ended');
        expect(summary?.endedAt).toBe(T0 + 99);
        expect(await store.listOpenSessionIds()).not.toContain(s.sessionId);
      });

      it('retention erases learner names (partners too) from sessions ended before the cutoff, once', async () => {
        const old = started();
        const recent = started();
        const open = started();
        for (const s of [old, recent, open]) await store.createSession(s);
        await store.appendEvents(old.sessionId, 1, [joined('a'), joined('b', T0 + 1, ['Lan', 'Huệ']), pushed(0), ended(T0 + 10)]);
        await store.appendEvents(recent.sessionId, 1, [joined('c'), ended(T0 + 5_000)]);
        await store.appendEvents(open.sessionId, 1, [joined('d')]);
        const cutoff = T0 + 1_000;
        expect(await store.eraseLearnerNames(cutoff)).toBeGreaterThanOrEqual(1);
        const events = await store.loadEvents(old.sessionId);
        const joins = events.filter((e): e is Extract<SessionEvent, { type: 'learner:joined' }> => e.type === 'learner:joined');
        expect(joins.map((j) => j.name)).toEqual(['#1', '#2']);
        expect(joins[1].partners).toEqual(['#2.1', '#2.2']);
        expect(joins.map((j) => j.learnerId)).toEqual(['a', 'b']);
        expect(events).toHaveLength(5);
        expect((await store.loadEvents(recent.sessionId)).find((e) => e.type === 'learner:joined')).toMatchObject({ name: 'Nguyễn Văn c' });
        expect((await store.loadEvents(open.sessionId)).find((e) => e.type === 'learner:joined')).toMatchObject({ name: 'Nguyễn Văn d' });
        expect(await store.eraseLearnerNames(cutoff)).toBe(0);
      });
    });

    describe('lessons', () => {
      it('seeds, creates, updates, archives; lists starters by position, then the others by Vietnamese title', async () => {
        const tag = fresh('l');
        const mk = (id: string, title: string): Lesson => ({ ...qr, id: `${tag}-${id}`, title });
        expect(await store.seedLesson(mk('s2', 'Zed'), T0, 1001)).toBe(true);
        expect(await store.seedLesson(mk('s1', 'Yên'), T0, 1000)).toBe(true);
        // Seeding again keeps the text and takes the new position.
        expect(await store.seedLesson({ ...mk('s1', 'changed'), summary: 'x' }, T0 + 1, 1002)).toBe(false);
        for (const [id, title] of [
          ['d', 'Đọc báo'],
          ['dd', 'Dạy con'],
          ['a', 'Ăn uống'],
          ['a2', 'An toàn'],
          ['b10', 'Bàn 10'],
          ['b2', 'Bàn 2'],
        ]) {
          expect(await store.createLesson(mk(id, title), T0)).toBe(true);
        }
        expect(await store.createLesson(mk('d', 'again'), T0)).toBe(false);
        const mine = (await store.listLessons()).filter((l) => l.id.startsWith(tag));
        expect(mine.map((l) => l.title)).toEqual(['Zed', 'Yên', 'An toàn', 'Ăn uống', 'Bàn 2', 'Bàn 10', 'Dạy con', 'Đọc báo']);
        expect(mine[0]).toEqual({
          id: `${tag}-s2`,
          title: 'Zed',
          summary: qr.summary,
          stepCount: qr.steps.length,
          archived: false,
          updatedAt: T0,
        });

        expect(await store.updateLesson({ ...mk('d', 'Đọc báo mới'), summary: 'mới' }, T0 + 5)).toBe(true);
        expect(await store.updateLesson(mk('nope', 'x'), T0)).toBe(false);
        expect(await store.getLessonRecord(`${tag}-d`)).toEqual({
          lesson: { ...mk('d', 'Đọc báo mới'), summary: 'mới' },
          archived: false,
          updatedAt: T0 + 5,
        });
        expect((await store.getLesson(`${tag}-s1`))?.title).toBe('Yên');

        expect(await store.setLessonArchived(`${tag}-a`, true, T0 + 6)).toBe(true);
        expect(await store.setLessonArchived(`${tag}-nope`, true, T0 + 6)).toBe(false);
        expect((await store.listLessons()).some((l) => l.id === `${tag}-a`)).toBe(false);
        const all = await store.listLessons({ archived: true });
        expect(all.find((l) => l.id === `${tag}-a`)).toMatchObject({ archived: true, updatedAt: T0 + 6 });
        expect(await store.getLesson(`${tag}-nope`)).toBeUndefined();
      });
    });

    describe('accounts and sign-ins', () => {
      it('users by name (case ignored) and id; a taken name is refused', async () => {
        const before = await store.countUsers();
        const id = fresh('u');
        const username = `Hoa${id}`;
        await store.createUser({ id, username, displayName: 'Cô Hoa', passwordHash: 'scrypt$x', createdAt: T0 });
        expect(await store.countUsers()).toBe(before + 1);
        const user = { id, username, displayName: 'Cô Hoa', passwordHash: 'scrypt$x', createdAt: T0 };
        expect(await store.findUserByUsername(username.toLowerCase())).toEqual(user);
        expect(await store.findUserById(id)).toEqual(user);
        expect(await store.findUserById('nobody')).toBeUndefined();
        await expect(store.createUser({ ...user, id: fresh('u'), username: username.toUpperCase() })).rejects.toThrow();
        expect(await store.countUsers()).toBe(before + 1);
      });

      it('sign-in sessions until they expire, and deleted', async () => {
        const hash = fresh('t');
        await store.createAuthSession(hash, 'u-contract', T0 + 1000);
        expect(await store.findAuthSession(hash, T0)).toEqual({ userId: 'u-contract' });
        expect(await store.findAuthSession(hash, T0 + 1000)).toBeUndefined();
        await store.deleteAuthSession(hash);
        expect(await store.findAuthSession(hash, T0)).toBeUndefined();
      });
    });

    describe('register', () => {
      it('saves people all or nothing, with audit; a taken card writes nothing', async () => {
        const hamlet = fresh('Thôn ');
        const a = person({ hamlet, name: 'Nguyễn Văn Ân' });
        const b = person({ hamlet, name: 'Lê Thị Bích', phone: '0912345678' });
        expect(await store.savePeople([a, b], [], [audit(a.id), audit(b.id)])).toBe(true);
        expect(await store.getPerson(a.id)).toMatchObject({
          id: a.id,
          card: a.card,
          name: 'Nguyễn Văn Ân',
          birthYear: 1960,
          hamlet,
          erasedAt: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await store.findPersonByCard(b.card)).toMatchObject({ id: b.id, phone: '0912345678' });
        const c = person({ hamlet, card: a.card });
        const d = person({ hamlet });
        expect(await store.savePeople([d, c], [], [audit(c.id), audit(d.id)])).toBe(false);
        expect(await store.getPerson(d.id)).toBeUndefined();
        expect(await store.personAudit(d.id)).toEqual([]);
        expect([...(await store.takenCards([a.card, b.card, 'x']))].sort()).toEqual([a.card, b.card].sort());
        expect(await store.hamlets()).toContain(hamlet);

        const data = { name: 'Nguyễn Văn Ấn', birthYear: 1961, hamlet, group: 'khac' as const, phone: null, consentDate: '2026-10-02' };
        expect(await store.savePeople([], [{ id: a.id, data }], [audit(a.id, 'updated', T0 + 5)])).toBe(true);
        expect(await store.getPerson(a.id)).toMatchObject({
          name: 'Nguyễn Văn Ấn',
          birthYear: 1961,
          group: 'khac',
          updatedAt: T0 + 5,
          createdAt: T0,
        });
        await expect(store.savePeople([], [{ id: 'nobody', data }], [])).rejects.toThrow();
        const trail = await store.personAudit(a.id);
        expect(trail.map((t) => [t.action, t.userName])).toEqual([
          ['created', 'Cô Hoa'],
          ['updated', 'Cô Hoa'],
        ]);
        await store.addAudit({ personId: a.id, at: T0 + 6, userId: 'gone', action: 'exported', detail: 'csv' });
        expect((await store.personAudit(a.id)).at(-1)).toMatchObject({ action: 'exported', userName: 'gone', detail: 'csv' });
      });

      it('searches by folded name, card prefix and phone; filters; orders by given name; pages with a total', async () => {
        const hamlet = fresh('Xóm ');
        const names = ['Trần Thị Bích', 'Nguyễn Văn Dũng', 'Lê Ân', 'Phạm Văn Ân', 'Hoàng Thị Đào'];
        const people = names.map((name, i) =>
          person({
            hamlet,
            name,
            card: `9${fresh('').replace(/\D/g, '').padEnd(5, '0').slice(0, 5)}${i}${String(Date.now()).slice(-4)}`,
            phone: i === 1 ? '0987654321' : null,
            group: i % 2 ? 'khac' : 'nong-dan',
          }),
        );
        expect(
          await store.savePeople(
            people,
            [],
            people.map((p) => audit(p.id)),
          ),
        ).toBe(true);
        const all = await store.searchPeople({ hamlet, limit: 50, offset: 0 });
        expect(all.total).toBe(5);
        expect(all.people.map((p) => p.name)).toEqual(['Lê Ân', 'Phạm Văn Ân', 'Trần Thị Bích', 'Hoàng Thị Đào', 'Nguyễn Văn Dũng']);
        expect((await store.searchPeople({ q: 'nguyen van dung', hamlet, limit: 50, offset: 0 })).people.map((p) => p.id)).toEqual([
          people[1].id,
        ]);
        expect((await store.searchPeople({ q: 'THỊ', hamlet, limit: 50, offset: 0 })).total).toBe(2);
        expect((await store.searchPeople({ q: '100%', hamlet, limit: 50, offset: 0 })).total).toBe(0);
        expect((await store.searchPeople({ q: people[3].card.slice(0, 9), limit: 50, offset: 0 })).people.map((p) => p.id)).toContain(
          people[3].id,
        );
        expect((await store.searchPeople({ q: '87654', hamlet, limit: 50, offset: 0 })).people.map((p) => p.id)).toEqual([people[1].id]);
        expect((await store.searchPeople({ hamlet, group: 'khac', limit: 50, offset: 0 })).total).toBe(2);
        const page = await store.searchPeople({ hamlet, limit: 2, offset: 2 });
        expect(page.total).toBe(5);
        expect(page.people.map((p) => p.name)).toEqual(['Trần Thị Bích', 'Hoàng Thị Đào']);
        expect((await store.listPeople()).filter((p) => p.hamlet === hamlet).map((p) => p.name)).toEqual(all.people.map((p) => p.name));
        expect((await store.listPeopleLite()).filter((p) => p.hamlet === hamlet)).toHaveLength(5);
      });

      it('erases a person: their details and their names in stored join events go, hamlet, group and links stay', async () => {
        const s = started();
        await store.createSession(s);
        await store.appendEvents(s.sessionId, 1, [joined('L1'), joined('L2', T0 + 1, ['Lan', 'Huệ'])]);
        const p = person();
        const q = person();
        await store.savePeople([p, q], [], [audit(p.id), audit(q.id)]);
        await store.linkLearner({ sessionId: s.sessionId, rowId: 'L1', personId: p.id, at: T0 + 3 }, audit(p.id, 'linked'));
        await store.linkLearner({ sessionId: s.sessionId, rowId: 'L2.2', personId: p.id, at: T0 + 3 }, audit(p.id, 'linked'));
        await store.linkLearner({ sessionId: s.sessionId, rowId: 'L2', personId: q.id, at: T0 + 3 }, audit(q.id, 'linked'));
        expect(await store.erasePerson(p.id, audit(p.id, 'erased', T0 + 9))).toBe(true);
        expect(await store.erasePerson(p.id, audit(p.id, 'erased', T0 + 9))).toBe(false);
        expect(await store.erasePerson('nobody', audit('nobody', 'erased'))).toBe(false);
        expect(await store.getPerson(p.id)).toMatchObject({
          name: null,
          card: null,
          birthYear: null,
          phone: null,
          consentDate: null,
          hamlet: p.hamlet,
          group: p.group,
          erasedAt: T0 + 9,
        });
        expect(await store.findPersonByCard(p.card)).toBeUndefined();
        const joins = (await store.loadEvents(s.sessionId)).filter(
          (e): e is Extract<SessionEvent, { type: 'learner:joined' }> => e.type === 'learner:joined',
        );
        expect(joins.map((j) => [j.name, j.partners])).toEqual([
          ['—', undefined],
          ['Nguyễn Văn L2', ['Lan', '—']],
        ]);
        expect((await store.linksOfPerson(p.id)).map((l) => l.rowId).sort()).toEqual(['L1', 'L2.2']);
        expect((await store.personAudit(p.id)).at(-1)?.action).toBe('erased');
        expect((await store.searchPeople({ hamlet: p.hamlet, limit: 50, offset: 0 })).total).toBe(0);
        expect((await store.listPeopleLite()).some((x) => x.id === p.id)).toBe(true);
        expect((await store.listPeople()).some((x) => x.id === p.id)).toBe(false);
      });

      it('links learners to people, with audit; unlinks; lists links by session, person and sessions', async () => {
        const [s1, s2] = [started(), started()];
        for (const s of [s1, s2]) await store.createSession(s);
        const [p, q] = [person(), person()];
        await store.savePeople([p, q], [], [audit(p.id), audit(q.id)]);
        const g0 = store.evidenceGeneration();
        await store.linkLearner({ sessionId: s1.sessionId, rowId: 'A', personId: p.id, at: T0 + 1 }, audit(p.id, 'linked'));
        expect(store.evidenceGeneration()).toBeGreaterThan(g0);
        // The same learner linked again: the new person replaces the old.
        await store.linkLearner({ sessionId: s1.sessionId, rowId: 'A', personId: q.id, at: T0 + 2 }, audit(q.id, 'linked'));
        await store.linkLearner({ sessionId: s1.sessionId, rowId: 'B', personId: p.id, at: T0 + 3 }, audit(p.id, 'linked'));
        await store.linkLearner({ sessionId: s2.sessionId, rowId: 'A', personId: p.id, at: T0 + 4 }, audit(p.id, 'linked'));
        expect(await store.linksOfSession(s1.sessionId)).toEqual([
          { sessionId: s1.sessionId, rowId: 'A', personId: q.id, at: T0 + 2 },
          { sessionId: s1.sessionId, rowId: 'B', personId: p.id, at: T0 + 3 },
        ]);
        expect((await store.linksOfPerson(p.id)).map((l) => `${l.sessionId}/${l.rowId}`).sort()).toEqual(
          [`${s1.sessionId}/B`, `${s2.sessionId}/A`].sort(),
        );
        expect((await store.linksOfSessions([s2.sessionId, s1.sessionId])).map((l) => `${l.sessionId}/${l.rowId}`)).toEqual([
          `${s2.sessionId}/A`,
          `${s1.sessionId}/A`,
          `${s1.sessionId}/B`,
        ]);
        expect((await store.allLinks()).filter((l) => l.sessionId === s1.sessionId || l.sessionId === s2.sessionId)).toHaveLength(3);
        const attended = await store.attendedPeople();
        expect(attended.has(p.id) && attended.has(q.id)).toBe(true);

        const g1 = store.evidenceGeneration();
        expect(
          await store.unlinkLearner(s1.sessionId, 'A', { at: T0 + 5, userId: 'u-contract', action: 'unlinked', detail: s1.sessionId }),
        ).toBe(q.id);
        expect(store.evidenceGeneration()).toBeGreaterThan(g1);
        expect(
          await store.unlinkLearner(s1.sessionId, 'A', { at: T0 + 5, userId: 'u-contract', action: 'unlinked', detail: '' }),
        ).toBeUndefined();
        expect((await store.personAudit(q.id)).map((a) => a.action)).toEqual(['created', 'linked', 'unlinked']);
        expect(await store.linksOfSession(s1.sessionId)).toHaveLength(1);

        const info = await store.sessionInfo([s1.sessionId, 'nope']);
        expect([...info.keys()]).toEqual([s1.sessionId]);
        expect(info.get(s1.sessionId)).toEqual({ startedAt: T0, lessonTitle: qr.title, instructor: 'Cô Hoa', status: 'open' });
      });

      it('caches evidence by rule version and reports what is missing', async () => {
        const [s1, s2] = [started(), started()];
        for (const s of [s1, s2]) await store.createSession(s);
        const p = person();
        await store.savePeople([p], [], [audit(p.id)]);
        await store.linkLearner({ sessionId: s1.sessionId, rowId: 'A', personId: p.id, at: T0 }, audit(p.id, 'linked'));
        await store.linkLearner({ sessionId: s2.sessionId, rowId: 'A', personId: p.id, at: T0 }, audit(p.id, 'linked'));
        expect(await store.linkedSessionsWithoutEvidence(7)).toEqual(expect.arrayContaining([s1.sessionId, s2.sessionId]));
        const g = store.evidenceGeneration();
        await store.cacheEvidence(s1.sessionId, 7, [
          { rowId: 'A', skill: 'thanh-toan-qr', at: T0 + 20 },
          { rowId: 'B', skill: 'thanh-toan-qr', at: T0 + 30 },
        ]);
        await store.cacheEvidence(s2.sessionId, 7, [
          { rowId: 'A', skill: 'thanh-toan-qr', at: T0 + 10 },
          { rowId: 'A', skill: 'an-toan', at: T0 + 40 },
        ]);
        expect(store.evidenceGeneration()).toBeGreaterThan(g);
        const cached = await store.cachedEvidence([s1.sessionId, s2.sessionId, 'nope'], 7);
        expect(cached.missing).toEqual(['nope']);
        expect(cached.evidence.get(s1.sessionId)).toEqual([
          { rowId: 'A', skill: 'thanh-toan-qr', at: T0 + 20 },
          { rowId: 'B', skill: 'thanh-toan-qr', at: T0 + 30 },
        ]);
        expect((await store.cachedEvidence([s1.sessionId], 8)).missing).toEqual([s1.sessionId]);
        const without = await store.linkedSessionsWithoutEvidence(7);
        expect(without).not.toContain(s1.sessionId);
        expect(without).not.toContain(s2.sessionId);
        expect((await store.cachedPersonSkills(7)).filter((r) => r.personId === p.id).sort((a, b) => (a.skill < b.skill ? -1 : 1))).toEqual(
          [
            { personId: p.id, skill: 'an-toan', at: T0 + 40 },
            { personId: p.id, skill: 'thanh-toan-qr', at: T0 + 10 },
          ],
        );
        // Re-derived: the old rows go.
        await store.cacheEvidence(s1.sessionId, 8, []);
        expect((await store.cachedEvidence([s1.sessionId], 8)).evidence.get(s1.sessionId)).toEqual([]);
        expect((await store.cachedEvidence([s1.sessionId], 7)).missing).toEqual([s1.sessionId]);
      });

      it('settings: defaults, then what was set', async () => {
        const before = await store.getRegisterSettings();
        expect(before).toMatchObject({ targetPct: expect.any(Number) as number });
        const settings = { required: ['thanh-toan-qr'], targetPct: 70, populations: { 'Thôn A': 120 } };
        await store.setRegisterSettings(settings);
        expect(await store.getRegisterSettings()).toEqual(settings);
        await store.setRegisterSettings(before);
        expect(await store.getRegisterSettings()).toEqual(before);
      });
    });

    describe('media', () => {
      it('keeps an uploaded picture by its content name, once, beside the starter images', async () => {
        const media = new MediaFiles(target.uploads, resolve(lessonsDir, 'images'));
        const bytes = Buffer.from(`\x89PNG fake ${fresh('')}`);
        const name = await media.save(bytes, 'image/png');
        expect(name).toMatch(/^[0-9a-f]{32}\.png$/);
        expect(await media.save(bytes, 'image/png')).toBe(name);
        expect(await media.exists(name)).toBe(true);
        expect(await media.readUpload(name)).toEqual({ bytes, type: 'image/png' });
        expect(await target.uploads.names()).toContain(name);
        expect(await media.exists('ban-hang-chup-anh.svg')).toBe(true);
        expect(await media.readUpload('ban-hang-chup-anh.svg')).toBeUndefined();
        expect(await media.exists('0123456789abcdef0123456789abcdef.png')).toBe(false);
        expect(await media.exists('../cunghoc.sqlite')).toBe(false);
        expect(await media.readUpload('../x.png')).toBeUndefined();
      });
    });
  });
}
