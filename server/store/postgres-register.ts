import type pg from 'pg';
import type { PersonGroup } from '../../shared/protocol/register.ts';
import { foldText } from '../../shared/i18n/names.ts';
import { ERASED_NAME, nameKeys, toAudit, toLink, toPerson, type AuditRow, type LinkRow, type PersonRow } from './rows.ts';
import type { Evidence } from '../engine/skills.ts';
import type { AuditRecord, RegisterSettings, RegisterStore } from './register-port.ts';
import { inTransaction } from './postgres-pool.ts';

const PERSON_COLUMNS = 'id, card, name, birth_year, hamlet, grp, phone, consent_date, created_at, updated_at, erased_at';
/** Unique violation: a card code taken (by another process, or in the same batch). */
const UNIQUE_VIOLATION = '23505';

type Queryable = pg.Pool | pg.PoolClient;
const writeAudit = (db: Queryable, a: AuditRecord) =>
  db.query('INSERT INTO person_audit (person_id, at, user_id, action, detail) VALUES ($1, $2, $3, $4, $5)', [
    a.personId,
    a.at,
    a.userId,
    a.action,
    a.detail,
  ]);

/** The channel a write to links or cached evidence is announced on, so every process's memos refresh. */
export const EVIDENCE_CHANNEL = 'cunghoc_evidence';
const announce = (client: pg.PoolClient) => client.query('SELECT pg_notify($1, $2)', [EVIDENCE_CHANNEL, '']);

/**
 * The register in PostgreSQL: the same semantics as register-sqlite.ts, every write with its audit
 * entry in one transaction. `changed()` bumps the evidence generation from outside: another process
 * announced a write (postgres.ts listens), or the announcements may have been missed.
 */
export function pgRegisterStore(pool: pg.Pool): { register: RegisterStore; changed: () => void } {
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await pool.query<R>(text, values)).rows;
  // Links and cached evidence change through the stores on this database: a counter tells memos when to refresh.
  let generation = 0;
  const changed = () => void (generation += 1);

  const register: RegisterStore = {
    savePeople: async (creates, updates, audit) => {
      const at = audit[0]?.at ?? Date.now();
      try {
        await inTransaction(pool, async (client) => {
          for (const p of creates) {
            const k = nameKeys(p.name);
            await client.query(
              `INSERT INTO people (id, card, name, name_key, given_key, birth_year, hamlet, grp, phone, consent_date, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
              [p.id, p.card, p.name, k.nameKey, k.givenKey, p.birthYear, p.hamlet, p.group, p.phone, p.consentDate, at],
            );
          }
          for (const u of updates) {
            const k = nameKeys(u.data.name);
            const res = await client.query(
              `UPDATE people SET name = $2, name_key = $3, given_key = $4, birth_year = $5, hamlet = $6, grp = $7, phone = $8,
               consent_date = $9, updated_at = $10 WHERE id = $1 AND erased_at IS NULL`,
              [
                u.id,
                u.data.name,
                k.nameKey,
                k.givenKey,
                u.data.birthYear,
                u.data.hamlet,
                u.data.group,
                u.data.phone,
                u.data.consentDate,
                at,
              ],
            );
            if (res.rowCount !== 1) throw new Error(`person ${u.id} cannot be updated`);
          }
          for (const a of audit) await writeAudit(client, a);
        });
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return false;
        throw err;
      }
    },
    getPerson: async (id) => {
      const [row] = await q<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1`, [id]);
      return row && toPerson(row);
    },
    findPersonByCard: async (card) => {
      const [row] = await q<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE card = $1`, [card]);
      return row && toPerson(row);
    },
    takenCards: async (cards) =>
      new Set((await q<{ card: string }>('SELECT card FROM people WHERE card = ANY($1::text[])', [cards])).map((r) => r.card)),
    searchPeople: async ({ q: text, hamlet, group, limit, offset }) => {
      const where: string[] = ['erased_at IS NULL'];
      const params: unknown[] = [];
      const p = (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      };
      const folded = foldText(text ?? '');
      if (folded) {
        const digits = folded.replace(/[\s.-]/g, '');
        if (/^\+?\d+$/.test(digits)) {
          // A card code by its first digits (the unique index's range); a phone by any 4+ digits of it.
          const range = `(card >= ${p(digits)} AND card < ${p(`${digits}~`)})`;
          where.push(digits.length >= 4 ? `(${range} OR phone LIKE ${p(`%${digits}%`)})` : range);
        } else {
          where.push(`name_key LIKE ${p(`%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)} ESCAPE '\\'`);
        }
      }
      if (hamlet) where.push(`hamlet = ${p(hamlet)}`);
      if (group) where.push(`grp = ${p(group)}`);
      const clause = where.join(' AND ');
      const filters = [...params];
      const rows = await q<PersonRow>(
        `SELECT ${PERSON_COLUMNS} FROM people WHERE ${clause} ORDER BY given_key, name_key, id COLLATE "C" LIMIT ${p(limit)} OFFSET ${p(offset)}`,
        params,
      );
      // A first page that is not full is the whole answer: no second pass to count.
      const total =
        offset === 0 && rows.length < limit
          ? rows.length
          : (await q<{ n: number }>(`SELECT count(*) AS n FROM people WHERE ${clause}`, filters))[0].n;
      return { total, people: rows.map(toPerson) };
    },
    listPeopleLite: async () =>
      (await q<{ id: string; hamlet: string; grp: PersonGroup }>('SELECT id, hamlet, grp FROM people')).map((r) => ({
        id: r.id,
        hamlet: r.hamlet,
        group: r.grp,
      })),
    listPeople: async () =>
      (await q<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE erased_at IS NULL ORDER BY given_key, name_key, id COLLATE "C"`)).map(
        toPerson,
      ),
    hamlets: async () => (await q<{ hamlet: string }>('SELECT DISTINCT hamlet FROM people')).map((r) => r.hamlet),
    // An erased person's name also leaves the stored join events of their classes (slot 0: the tablet's name; n: a partner).
    erasePerson: (id, audit) =>
      inTransaction(pool, async (client) => {
        const erased = await client.query(
          `UPDATE people SET name = NULL, name_key = '', given_key = '', birth_year = NULL, phone = NULL, card = NULL,
           consent_date = NULL, erased_at = $1, updated_at = $1 WHERE id = $2 AND erased_at IS NULL`,
          [audit.at, id],
        );
        if (erased.rowCount !== 1) return false;
        const links = await client.query<LinkRow>(
          'SELECT session_id, row_id, person_id, at FROM person_links WHERE person_id = $1 ORDER BY at, session_id, row_id',
          [id],
        );
        for (const link of links.rows) {
          const [learnerId, slot] = link.row_id.split('.');
          const found = await client.query<{ seq: number; data: string }>(
            `SELECT seq, data FROM session_events WHERE session_id = $1 AND type = 'learner:joined' AND (data::jsonb ->> 'learnerId') = $2 LIMIT 1`,
            [link.session_id, learnerId],
          );
          const row = found.rows[0];
          if (!row) continue;
          const event = JSON.parse(row.data) as { name: string; partners?: string[] };
          if (slot === undefined) event.name = ERASED_NAME;
          else if (event.partners && event.partners[Number(slot) - 1] !== undefined) event.partners[Number(slot) - 1] = ERASED_NAME;
          await client.query('UPDATE session_events SET data = $1 WHERE session_id = $2 AND seq = $3', [
            JSON.stringify(event),
            link.session_id,
            row.seq,
          ]);
        }
        await writeAudit(client, audit);
        return true;
      }),
    addAudit: async (a) => {
      await writeAudit(pool, a);
    },
    personAudit: async (personId) =>
      (
        await q<AuditRow>(
          `SELECT a.person_id, a.at, a.user_id, a.action, a.detail, u.display_name AS user_name FROM person_audit a
           LEFT JOIN users u ON u.id = a.user_id WHERE a.person_id = $1 ORDER BY a.at, a.id`,
          [personId],
        )
      ).map(toAudit),
    linkLearner: async (l, audit) => {
      await inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO person_links (session_id, row_id, person_id, at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (session_id, row_id) DO UPDATE SET person_id = excluded.person_id, at = excluded.at`,
          [l.sessionId, l.rowId, l.personId, l.at],
        );
        await writeAudit(client, audit);
        await announce(client);
      });
      generation += 1;
    },
    unlinkLearner: async (sessionId, rowId, audit) => {
      const personId = await inTransaction(pool, async (client) => {
        const gone = await client.query<{ person_id: string }>(
          'DELETE FROM person_links WHERE session_id = $1 AND row_id = $2 RETURNING person_id',
          [sessionId, rowId],
        );
        const found = gone.rows[0]?.person_id;
        if (found !== undefined) {
          await writeAudit(client, { ...audit, personId: found });
          await announce(client);
        }
        return found;
      });
      if (personId !== undefined) generation += 1;
      return personId;
    },
    linksOfSession: async (sessionId) =>
      (
        await q<LinkRow>('SELECT session_id, row_id, person_id, at FROM person_links WHERE session_id = $1 ORDER BY row_id COLLATE "C"', [
          sessionId,
        ])
      ).map(toLink),
    linksOfPerson: async (personId) =>
      (
        await q<LinkRow>(
          'SELECT session_id, row_id, person_id, at FROM person_links WHERE person_id = $1 ORDER BY at, session_id, row_id',
          [personId],
        )
      ).map(toLink),
    allLinks: async () =>
      (await q<LinkRow>('SELECT session_id, row_id, person_id, at FROM person_links ORDER BY at, session_id, row_id')).map(toLink),
    linksOfSessions: async (sessionIds) => {
      const rows = await q<LinkRow>(
        'SELECT session_id, row_id, person_id, at FROM person_links WHERE session_id = ANY($1::text[]) ORDER BY row_id COLLATE "C"',
        [sessionIds],
      );
      // In the order asked for, as the SQLite store answers.
      const order = new Map(sessionIds.map((id, i) => [id, i]));
      return rows.sort((a, b) => order.get(a.session_id)! - order.get(b.session_id)!).map(toLink);
    },
    attendedPeople: async () =>
      new Set((await q<{ person_id: string }>('SELECT DISTINCT person_id FROM person_links')).map((r) => r.person_id)),
    getRegisterSettings: async () => {
      const [row] = await q<{ value: string }>('SELECT value FROM register_settings WHERE key = $1', ['standard']);
      const parsed = row ? (JSON.parse(row.value) as Partial<RegisterSettings>) : {};
      return { required: parsed.required ?? null, targetPct: parsed.targetPct ?? 80, populations: parsed.populations ?? {} };
    },
    setRegisterSettings: async (settings) => {
      await pool.query(
        'INSERT INTO register_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        ['standard', JSON.stringify(settings)],
      );
    },
    cachedEvidence: async (sessionIds, version) => {
      const cached = new Set(
        (
          await q<{ session_id: string }>('SELECT session_id FROM evidence_sessions WHERE session_id = ANY($1::text[]) AND version = $2', [
            sessionIds,
            version,
          ])
        ).map((r) => r.session_id),
      );
      const rows = await q<{ session_id: string; row_id: string; skill: string; at: number }>(
        'SELECT session_id, row_id, skill, at FROM skill_evidence WHERE session_id = ANY($1::text[]) ORDER BY session_id, row_id COLLATE "C", skill COLLATE "C"',
        [[...cached]],
      );
      const evidence = new Map<string, Evidence[]>();
      const missing: string[] = [];
      for (const id of sessionIds) {
        if (cached.has(id)) evidence.set(id, []);
        else missing.push(id);
      }
      for (const r of rows) evidence.get(r.session_id)!.push({ rowId: r.row_id, skill: r.skill, at: r.at });
      return { evidence, missing };
    },
    cacheEvidence: async (sessionId, version, evidence) => {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM skill_evidence WHERE session_id = $1', [sessionId]);
        if (evidence.length > 0) {
          await client.query(
            `INSERT INTO skill_evidence (session_id, row_id, skill, at) SELECT $1, r, s, a FROM unnest($2::text[], $3::text[], $4::bigint[]) AS e(r, s, a)
`,
            [sessionId, evidence.map((e) => e.rowId), evidence.map((e) => e.skill), evidence.map((e) => e.at)],
          );
        }
        await client.query(
          'INSERT INTO evidence_sessions (session_id, version) VALUES ($1, $2) ON CONFLICT (session_id) DO UPDATE SET version = excluded.version',
          [sessionId, version],
        );
        await announce(client);
      });
      generation += 1;
    },
    linkedSessionsWithoutEvidence: async (version) =>
      (
        await q<{ session_id: string }>(
          `SELECT DISTINCT l.session_id FROM person_links l
           LEFT JOIN evidence_sessions v ON v.session_id = l.session_id AND v.version = $1 WHERE v.session_id IS NULL`,
          [version],
        )
      ).map((r) => r.session_id),
    evidenceGeneration: () => generation,
    cachedPersonSkills: async (version) =>
      (
        await q<{ person_id: string; skill: string; at: number }>(
          `SELECT l.person_id, e.skill, min(e.at) AS at FROM person_links l
           JOIN evidence_sessions v ON v.session_id = l.session_id AND v.version = $1
           JOIN skill_evidence e ON e.session_id = l.session_id AND e.row_id = l.row_id
           GROUP BY l.person_id, e.skill`,
          [version],
        )
      ).map((r) => ({ personId: r.person_id, skill: r.skill, at: r.at })),
    sessionInfo: async (sessionIds) => {
      const rows = await q<{ id: string; started_at: number; lesson_title: string; display_name: string | null; status: 'open' | 'ended' }>(
        `SELECT s.id, s.started_at, s.lesson_title, s.status, u.display_name FROM sessions s LEFT JOIN users u ON u.id = s.instructor_id
         WHERE s.id = ANY($1::text[])`,
        [sessionIds],
      );
      const out = new Map<string, { startedAt: number; lessonTitle: string; instructor: string; status: 'open' | 'ended' }>();
      for (const r of rows)
        out.set(r.id, { startedAt: r.started_at, lessonTitle: r.lesson_title, instructor: r.display_name ?? '', status: r.status });
      return out;
    },
  };
  return { register, changed };
}
