import express, { type Request } from 'express';
import QRCode from 'qrcode';
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { fail } from '../../shared/protocol/errors.ts';
import {
  CARD_DIGITS,
  CARD_LENGTH,
  LinkBody,
  PersonInput,
  PersonSearch,
  StandardBody,
  UnlinkBody,
  type FestivalBoard,
  type Person,
} from '../../shared/protocol/register.ts';
import type { Me } from '../../shared/protocol/views.ts';
import { randomId } from '../lib/ids.ts';
import { parsePeopleCsv, peopleCsv, progressCsv } from '../lib/register-csv.ts';
import type { RegisterFigures } from '../rooms/register.ts';
import type { Rooms } from '../rooms/registry.ts';
import type { Directory } from '../cluster/directory.ts';
import type { AuditRecord, NewPerson } from '../store/register-port.ts';
import type { Store } from '../store/store.ts';
import { signedInOnly, signedInUser, type Auth } from './auth.ts';
import { badRequest, jsonBody, send } from './respond.ts';

export interface RegisterRoutesDeps {
  store: Store;
  rooms: Rooms;
  /** Open sessions wherever they are owned (a cluster). */
  directory?: Directory;
  auth: Auth;
  figures: RegisterFigures;
  now: () => number;
  /** The server's base URL for tablets: a card's QR code opens `<base>/?card=<code>`. */
  baseUrl: () => string;
}

/** A register import may be large (20,000 people is about 2 MB of CSV); it comes as JSON `{ csv }`. */
export const IMPORT_LIMIT = 8 * 1024 * 1024;

const ImportBody = z.strictObject({ csv: z.string().max(IMPORT_LIMIT) });
const PersonId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/);

/** Card codes nobody holds: random digits from 2–9, checked against the register and each other. */
async function freshCards(store: Store, n: number): Promise<string[]> {
  const out = new Set<string>();
  while (out.size < n) {
    const batch: string[] = [];
    for (let i = out.size; i < n; i++) {
      let card = '';
      for (let j = 0; j < CARD_LENGTH; j++) card += CARD_DIGITS[randomInt(0, CARD_DIGITS.length)];
      if (!out.has(card)) batch.push(card);
    }
    const taken = await store.takenCards(batch);
    for (const c of batch) if (!taken.has(c)) out.add(c);
  }
  return [...out];
}

/** The register's API (docs/register.md): signed-in instructors only, every change audited. */
export function registerRoutes({ store, rooms, directory, auth, figures, now, baseUrl }: RegisterRoutesDeps): express.Router {
  const api = express.Router();
  // Instructors only: never helpers, tablets or the projector (their requests carry no instructor cookie).
  const signedIn = signedInOnly(auth);
  const json = jsonBody();
  const audit = (user: Me, personId: string, action: AuditRecord['action'], detail = ''): AuditRecord => ({
    personId,
    at: now(),
    userId: user.id,
    action,
    detail,
  });
  const personOf = async (req: Request): Promise<Person | undefined> => {
    const id = PersonId.safeParse(req.params.id);
    return id.success ? store.getPerson(id.data) : undefined;
  };

  api.get('/people', signedIn, async (req, res) => {
    const search = PersonSearch.safeParse(req.query);
    if (!search.success) return send(res, badRequest(search.error));
    send(res, { ok: true, data: await store.searchPeople(search.data) });
  });

  api.get('/people.csv', signedIn, async (req, res) => {
    res.attachment(`so-hoc-vien-${new Date(now()).toISOString().slice(0, 10)}.csv`);
    res.type('text/csv; charset=utf-8');
    res.send(peopleCsv(await store.listPeople(), req.query.lang === 'en' ? 'en' : 'vi'));
  });

  api.get('/people/hamlets', signedIn, async (_req, res) => {
    const settings = await store.getRegisterSettings();
    const all = new Set([...(await store.hamlets()), ...Object.keys(settings.populations)]);
    send(res, { ok: true, data: [...all].sort((a, b) => a.localeCompare(b, 'vi', { numeric: true })) });
  });

  // The people of a card sheet, in the order asked.
  api.get('/people/cards', signedIn, async (req, res) => {
    // ?ids=a,b or ?ids=a&ids=b (Express 5's simple query parser: a string or a list of strings).
    const raw = req.query.ids;
    const given = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((id) => typeof id === 'string') : [];
    const ids = given
      .join(',')
      .split(',')
      .filter((id) => PersonId.safeParse(id).success)
      .slice(0, 500);
    const people: Person[] = [];
    for (const id of ids) {
      const p = await store.getPerson(id);
      if (p?.card) people.push(p);
    }
    send(res, { ok: true, data: people });
  });

  api.post('/people', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const body = PersonInput.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const [card] = await freshCards(store, 1);
    const person: NewPerson = { ...body.data, id: randomId(9), card };
    if (!(await store.savePeople([person], [], [audit(user, person.id, 'created')]))) return send(res, fail('internal'));
    send(res, { ok: true, data: (await store.getPerson(person.id))! }, 201);
  });

  api.post('/people/import', express.json({ limit: IMPORT_LIMIT, strict: true }), signedIn, async (req, res) => {
    const user = signedInUser(res);
    const body = ImportBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const parsed = parsePeopleCsv(body.data.csv);
    if ('issues' in parsed) return send(res, csvFail(parsed.issues));
    // Rows with a card update its holder; a card nobody holds is a mistake in the file.
    const updates: { id: string; data: NewPerson }[] = [];
    const issues = [];
    for (const row of parsed.rows.filter((r) => r.card !== null)) {
      const holder = await store.findPersonByCard(row.card!);
      if (!holder) issues.push({ row: row.row, column: 'Mã thẻ', message: 'no person in the register has this card' });
      else updates.push({ id: holder.id, data: { ...row.data, id: holder.id, card: row.card! } });
    }
    if (issues.length > 0) return send(res, csvFail(issues));
    const fresh = parsed.rows.filter((r) => r.card === null);
    const cards = await freshCards(store, fresh.length);
    const creates: NewPerson[] = fresh.map((r, i) => ({ ...r.data, id: randomId(9), card: cards[i] }));
    const entries = [
      ...creates.map((p) => audit(user, p.id, 'imported', 'created')),
      ...updates.map((u) => audit(user, u.id, 'imported', 'updated')),
    ];
    const saved = await store.savePeople(
      creates,
      updates.map(({ id, data }) => ({ id, data })),
      entries,
    );
    if (!saved) return send(res, fail('internal'));
    send(res, { ok: true, data: { created: creates.length, updated: updates.length } });
  });

  api.post('/people/link', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const body = LinkBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const { sessionId, rowId, personId, person } = body.data;
    const results = await rooms.results(sessionId);
    if (!results?.learners.some((l) => l.id === rowId)) return send(res, fail('not_found', 'No such learner in this session.'));
    let id = personId;
    if (person) {
      const [card] = await freshCards(store, 1);
      id = randomId(9);
      await store.savePeople([{ ...person, id, card }], [], [audit(user, id, 'created', `from session ${sessionId}`)]);
    } else {
      const found = await store.getPerson(id!);
      if (!found) return send(res, fail('not_found', 'No such person.'));
      if (found.erasedAt !== null) return send(res, fail('person_erased'));
    }
    const previous = await store.unlinkLearner(sessionId, rowId, { at: now(), userId: user.id, action: 'unlinked', detail: sessionId });
    await store.linkLearner({ sessionId, rowId, personId: id!, at: now() }, audit(user, id!, 'linked', sessionId));
    send(res, { ok: true, data: { personId: id!, previous: previous ?? null } });
  });

  api.post('/people/unlink', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const body = UnlinkBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const was = await store.unlinkLearner(body.data.sessionId, body.data.rowId, {
      at: now(),
      userId: user.id,
      action: 'unlinked',
      detail: body.data.sessionId,
    });
    if (!was) return send(res, fail('not_found'));
    send(res, { ok: true, data: { personId: was } });
  });

  // The learners of a session tied to people, for its results page ("Gắn vào học viên").
  api.get('/people/links/:sessionId', signedIn, async (req, res) => {
    const links = await store.linksOfSession(String(req.params.sessionId));
    const out = [];
    for (const l of links) {
      const p = await store.getPerson(l.personId);
      out.push({ rowId: l.rowId, personId: l.personId, name: p?.name ?? null, card: p?.card ?? null });
    }
    send(res, { ok: true, data: out });
  });

  api.get('/people/:id', signedIn, async (req, res) => {
    const person = await personOf(req);
    if (!person) return send(res, fail('not_found'));
    send(res, { ok: true, data: (await figures.journey(person.id))! });
  });

  api.put('/people/:id', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const person = await personOf(req);
    if (!person) return send(res, fail('not_found'));
    if (person.erasedAt !== null) return send(res, fail('person_erased'));
    const body = PersonInput.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const before = person as unknown as Record<string, unknown>;
    const changed = Object.entries(body.data)
      .filter(([k, v]) => before[k] !== v)
      .map(([k]) => k);
    await store.savePeople([], [{ id: person.id, data: body.data }], [audit(user, person.id, 'updated', changed.join(','))]);
    send(res, { ok: true, data: (await store.getPerson(person.id))! });
  });

  // The person's own data, as the law lets them ask for it: everything the register holds on them.
  api.get('/people/:id/export', signedIn, async (req, res) => {
    const user = signedInUser(res);
    const person = await personOf(req);
    if (!person) return send(res, fail('not_found'));
    await store.addAudit(audit(user, person.id, 'exported'));
    const journey = (await figures.journey(person.id))!;
    res.attachment(`hoc-vien-${person.id}.json`);
    send(res, { ok: true, data: { kind: 'cunghoc-person', exportedAt: now(), ...journey } });
  });

  api.post('/people/:id/erase', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const person = await personOf(req);
    if (!person) return send(res, fail('not_found'));
    if (person.erasedAt !== null) return send(res, fail('person_erased'));
    await store.erasePerson(person.id, audit(user, person.id, 'erased', 'name,birthYear,phone,card'));
    send(res, { ok: true, data: (await store.getPerson(person.id))! });
  });

  // The QR code printed on a learner card: the join-with-card link of this server.
  api.get('/people/:id/card.svg', signedIn, async (req, res) => {
    const person = await personOf(req);
    if (!person?.card) return send(res, fail('not_found'));
    const svg = await QRCode.toString(`${baseUrl()}/?card=${person.card}`, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    res.type('image/svg+xml').setHeader('Cache-Control', 'no-store');
    res.send(svg);
  });

  api.get('/register/standard', signedIn, async (_req, res) => {
    send(res, { ok: true, data: await figures.standard() });
  });

  api.put('/register/standard', json, signedIn, async (req, res) => {
    const body = StandardBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    await store.setRegisterSettings(body.data);
    send(res, { ok: true, data: await figures.standard() });
  });

  api.get('/register/progress', signedIn, async (_req, res) => {
    send(res, { ok: true, data: await figures.progress() });
  });

  api.get('/register/progress.csv', signedIn, async (_req, res) => {
    res.attachment(`tien-do-phong-trao-${new Date(now()).toISOString().slice(0, 10)}.csv`);
    res.type('text/csv; charset=utf-8');
    res.send(progressCsv(await figures.progress()));
  });

  // The festival board: every open class of this server, aggregates only.
  api.get('/festival', signedIn, async (_req, res) => {
    const board: FestivalBoard = {
      at: now(),
      // Every process's classes when there are several (server/cluster/directory.ts).
      classes: (directory ? await directory.festival() : rooms.open().map((r) => r.festivalView())).sort(
        (a, b) => a.startedAt - b.startedAt,
      ),
    };
    send(res, { ok: true, data: board });
  });

  return api;
}

function csvFail(issues: { row: number; column: string | null; message: string }[]) {
  const ack = fail('invalid_csv');
  return { ok: false as const, error: { ...ack.error, rows: issues.slice(0, 200) } };
}
