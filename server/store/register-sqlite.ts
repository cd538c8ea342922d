import type Database from 'better-sqlite3';
import type { PersonGroup } from '../../shared/protocol/register.ts';
import { foldText } from '../../shared/i18n/names.ts';
import { ERASED_NAME, nameKeys, toAudit, toLink, toPerson, type AuditRow, type LinkRow, type PersonRow } from './rows.ts';
import type { Evidence } from '../engine/skills.ts';
import type { AuditRecord, LinkRecord, RegisterSettings, RegisterStore } from './register-port.ts';

/** Migration 4: the register (IF NOT EXISTS: a database whose version was set back re-runs it safely). `name_key` and `given_key` are folded (no diacritics, lower case) for search and order. */
export const registerMigration = `
  CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    card TEXT UNIQUE,
    name TEXT,
    name_key TEXT NOT NULL DEFAULT '',
    given_key TEXT NOT NULL DEFAULT '',
    birth_year INTEGER,
    hamlet TEXT NOT NULL,
    grp TEXT NOT NULL,
    phone TEXT,
    consent_date TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    erased_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS people_hamlet ON people(hamlet);
  CREATE INDEX IF NOT EXISTS people_order ON people(given_key, name_key);
  CREATE TABLE IF NOT EXISTS person_audit (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    at INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS person_audit_person ON person_audit(person_id, at);
  CREATE TABLE IF NOT EXISTS person_links (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    row_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, row_id)
  );
  CREATE INDEX IF NOT EXISTS person_links_person ON person_links(person_id);
  CREATE TABLE IF NOT EXISTS register_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS skill_evidence (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    row_id TEXT NOT NULL,
    skill TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, row_id, skill)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS evidence_sessions (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    version INTEGER NOT NULL
  );
`;

/** The register on the same SQLite database as sessions (one file, one backup). */
export function registerStore(db: Database.Database): RegisterStore {
  const q = {
    insert: db.prepare(
      `INSERT INTO people (id, card, name, name_key, given_key, birth_year, hamlet, grp, phone, consent_date, created_at, updated_at)
       VALUES (@id, @card, @name, @nameKey, @givenKey, @birthYear, @hamlet, @group, @phone, @consentDate, @at, @at)`,
    ),
    update: db.prepare(
      `UPDATE people SET name = @name, name_key = @nameKey, given_key = @givenKey, birth_year = @birthYear, hamlet = @hamlet,
       grp = @group, phone = @phone, consent_date = @consentDate, updated_at = @at WHERE id = @id AND erased_at IS NULL`,
    ),
    get: db.prepare<[string], PersonRow>('SELECT * FROM people WHERE id = ?'),
    byCard: db.prepare<[string], PersonRow>('SELECT * FROM people WHERE card = ?'),
    audit: db.prepare('INSERT INTO person_audit (person_id, at, user_id, action, detail) VALUES (?, ?, ?, ?, ?)'),
    auditOf: db.prepare<[string], AuditRow>(
      `SELECT a.*, u.display_name AS user_name FROM person_audit a LEFT JOIN users u ON u.id = a.user_id
       WHERE a.person_id = ? ORDER BY a.at, a.id`,
    ),
    lite: db.prepare<[], { id: string; hamlet: string; grp: PersonGroup }>('SELECT id, hamlet, grp FROM people'),
    living: db.prepare<[], PersonRow>('SELECT * FROM people WHERE erased_at IS NULL ORDER BY given_key, name_key, id'),
    hamlets: db.prepare<[], { hamlet: string }>('SELECT DISTINCT hamlet FROM people'),
    erase: db.prepare(
      `UPDATE people SET name = NULL, name_key = '', given_key = '', birth_year = NULL, phone = NULL, card = NULL,
       consent_date = NULL, erased_at = ?, updated_at = ? WHERE id = ? AND erased_at IS NULL`,
    ),
    joinEvent: db.prepare<[string, string], { seq: number; data: string }>(
      `SELECT seq, data FROM session_events WHERE session_id = ? AND type = 'learner:joined' AND json_extract(data, '$.learnerId') = ?`,
    ),
    rewriteEvent: db.prepare('UPDATE session_events SET data = ? WHERE session_id = ? AND seq = ?'),
    link: db.prepare(
      `INSERT INTO person_links (session_id, row_id, person_id, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_id, row_id) DO UPDATE SET person_id = excluded.person_id, at = excluded.at`,
    ),
    linkOf: db.prepare<[string, string], { person_id: string }>('SELECT person_id FROM person_links WHERE session_id = ? AND row_id = ?'),
    unlink: db.prepare('DELETE FROM person_links WHERE session_id = ? AND row_id = ?'),
    linksOfSession: db.prepare<[string], LinkRow>('SELECT * FROM person_links WHERE session_id = ?'),
    linksOfPerson: db.prepare<[string], LinkRow>('SELECT * FROM person_links WHERE person_id = ?'),
    allLinks: db.prepare<[], LinkRow>('SELECT * FROM person_links'),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM register_settings WHERE key = ?'),
    setSetting: db.prepare(
      'INSERT INTO register_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    evidenceVersion: db.prepare<[string], { version: number }>('SELECT version FROM evidence_sessions WHERE session_id = ?'),
    evidenceOf: db.prepare<[string], { row_id: string; skill: string; at: number }>(
      'SELECT row_id, skill, at FROM skill_evidence WHERE session_id = ?',
    ),
    clearEvidence: db.prepare('DELETE FROM skill_evidence WHERE session_id = ?'),
    putEvidence: db.prepare('INSERT INTO skill_evidence (session_id, row_id, skill, at) VALUES (?, ?, ?, ?)'),
    markEvidence: db.prepare(
      'INSERT INTO evidence_sessions (session_id, version) VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET version = excluded.version',
    ),
    withoutEvidence: db.prepare<[number], { session_id: string }>(
      `SELECT DISTINCT l.session_id FROM person_links l
       LEFT JOIN evidence_sessions v ON v.session_id = l.session_id AND v.version = ? WHERE v.session_id IS NULL`,
    ),
    attended: db.prepare<[], { person_id: string }>('SELECT DISTINCT person_id FROM person_links'),
    cachedSkills: db.prepare<[number], { person_id: string; skill: string; at: number }>(
      `SELECT l.person_id, e.skill, min(e.at) AS at FROM person_links l
       JOIN evidence_sessions v ON v.session_id = l.session_id AND v.version = ?
       JOIN skill_evidence e ON e.session_id = l.session_id AND e.row_id = l.row_id
       GROUP BY l.person_id, e.skill`,
    ),
    sessionInfo: db.prepare<
      [],
      { id: string; started_at: number; lesson_title: string; display_name: string | null; status: 'open' | 'ended' }
    >(`SELECT s.id, s.started_at, s.lesson_title, s.status, u.display_name FROM sessions s LEFT JOIN users u ON u.id = s.instructor_id`),
  };

  // Links and cached evidence change only through this store: a counter tells memos when to refresh.
  let generation = 0;
  const writeAudit = (a: AuditRecord) => q.audit.run(a.personId, a.at, a.userId, a.action, a.detail);

  const savePeople = db.transaction(
    (creates: Parameters<RegisterStore['savePeople']>[0], updates: Parameters<RegisterStore['savePeople']>[1], audit: AuditRecord[]) => {
      const at = audit[0]?.at ?? Date.now();
      for (const p of creates) q.insert.run({ ...p, ...nameKeys(p.name), at });
      for (const u of updates) {
        if (q.update.run({ id: u.id, ...u.data, ...nameKeys(u.data.name), at }).changes !== 1)
          throw new Error(`person ${u.id} cannot be updated`);
      }
      for (const a of audit) writeAudit(a);
    },
  );

  // An erased person's name also leaves the stored join events of their classes (slot 0: the tablet's name; n: a partner).
  const erase = db.transaction((id: string, audit: AuditRecord) => {
    if (q.erase.run(audit.at, audit.at, id).changes !== 1) return false;
    for (const link of q.linksOfPerson.all(id)) {
      const [learnerId, slot] = link.row_id.split('.');
      const row = q.joinEvent.get(link.session_id, learnerId);
      if (!row) continue;
      const event = JSON.parse(row.data) as { name: string; partners?: string[] };
      if (slot === undefined) event.name = ERASED_NAME;
      else if (event.partners && event.partners[Number(slot) - 1] !== undefined) event.partners[Number(slot) - 1] = ERASED_NAME;
      q.rewriteEvent.run(JSON.stringify(event), link.session_id, row.seq);
    }
    writeAudit(audit);
    return true;
  });

  const link = db.transaction((l: LinkRecord, audit: AuditRecord) => {
    generation += 1;
    q.link.run(l.sessionId, l.rowId, l.personId, l.at);
    writeAudit(audit);
  });
  const unlink = db.transaction((sessionId: string, rowId: string, audit: Omit<AuditRecord, 'personId'>) => {
    const found = q.linkOf.get(sessionId, rowId);
    if (!found) return undefined;
    generation += 1;
    q.unlink.run(sessionId, rowId);
    writeAudit({ ...audit, personId: found.person_id });
    return found.person_id;
  });
  const cacheEvidence = db.transaction((sessionId: string, version: number, evidence: Evidence[]) => {
    generation += 1;
    q.clearEvidence.run(sessionId);
    for (const e of evidence) q.putEvidence.run(sessionId, e.rowId, e.skill, e.at);
    q.markEvidence.run(sessionId, version);
  });

  return {
    savePeople: async (creates, updates, audit) => {
      try {
        savePeople(creates, updates, audit);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw err;
      }
    },
    getPerson: async (id) => {
      const row = q.get.get(id);
      return row && toPerson(row);
    },
    findPersonByCard: async (card) => {
      const row = q.byCard.get(card);
      return row && toPerson(row);
    },
    takenCards: async (cards) => new Set(cards.filter((c) => q.byCard.get(c) !== undefined)),
    searchPeople: async ({ q: text, hamlet, group, limit, offset }) => {
      const where: string[] = ['erased_at IS NULL'];
      const params: unknown[] = [];
      const folded = foldText(text ?? '');
      if (folded) {
        const digits = folded.replace(/[\s.-]/g, '');
        if (/^\+?\d+$/.test(digits)) {
          // A card code by its first digits (the unique index's range); a phone by any 4+ digits of it.
          where.push(digits.length >= 4 ? '((card >= ? AND card < ?) OR phone LIKE ?)' : '(card >= ? AND card < ?)');
          params.push(digits, `${digits}~`, ...(digits.length >= 4 ? [`%${digits}%`] : []));
        } else {
          where.push("name_key LIKE ? ESCAPE '\\'");
          params.push(`%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        }
      }
      if (hamlet) {
        where.push('hamlet = ?');
        params.push(hamlet);
      }
      if (group) {
        where.push('grp = ?');
        params.push(group);
      }
      const clause = where.join(' AND ');
      const rows = db
        .prepare(`SELECT * FROM people WHERE ${clause} ORDER BY given_key, name_key, id LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as PersonRow[];
      // A first page that is not full is the whole answer: no second pass to count.
      const total =
        offset === 0 && rows.length < limit
          ? rows.length
          : (db.prepare(`SELECT count(*) AS n FROM people WHERE ${clause}`).get(...params) as { n: number }).n;
      return { total, people: rows.map(toPerson) };
    },
    listPeopleLite: async () => q.lite.all().map((r) => ({ id: r.id, hamlet: r.hamlet, group: r.grp })),
    listPeople: async () => q.living.all().map(toPerson),
    hamlets: async () => q.hamlets.all().map((r) => r.hamlet),
    erasePerson: async (id, audit) => erase(id, audit),
    addAudit: async (a) => {
      writeAudit(a);
    },
    personAudit: async (personId) => q.auditOf.all(personId).map(toAudit),
    linkLearner: async (l, audit) => {
      link(l, audit);
    },
    unlinkLearner: async (sessionId, rowId, audit) => unlink(sessionId, rowId, audit),
    linksOfSession: async (sessionId) => q.linksOfSession.all(sessionId).map(toLink),
    linksOfPerson: async (personId) => q.linksOfPerson.all(personId).map(toLink),
    allLinks: async () => q.allLinks.all().map(toLink),
    getRegisterSettings: async () => {
      const row = q.getSetting.get('standard');
      const parsed = row ? (JSON.parse(row.value) as Partial<RegisterSettings>) : {};
      return { required: parsed.required ?? null, targetPct: parsed.targetPct ?? 80, populations: parsed.populations ?? {} };
    },
    setRegisterSettings: async (settings) => {
      q.setSetting.run('standard', JSON.stringify(settings));
    },
    cachedEvidence: async (sessionIds, version) => {
      // Session by session through the primary keys: a person's page asks for a handful, never all.
      const evidence = new Map<string, Evidence[]>();
      const missing: string[] = [];
      for (const id of sessionIds) {
        if (q.evidenceVersion.get(id)?.version !== version) {
          missing.push(id);
          continue;
        }
        evidence.set(
          id,
          q.evidenceOf.all(id).map((r) => ({ rowId: r.row_id, skill: r.skill, at: r.at })),
        );
      }
      return { evidence, missing };
    },
    cacheEvidence: async (sessionId, version, evidence) => {
      cacheEvidence(sessionId, version, evidence);
    },
    linkedSessionsWithoutEvidence: async (version) => q.withoutEvidence.all(version).map((r) => r.session_id),
    evidenceGeneration: () => generation,
    cachedPersonSkills: async (version) => q.cachedSkills.all(version).map((r) => ({ personId: r.person_id, skill: r.skill, at: r.at })),
    linksOfSessions: async (sessionIds) => sessionIds.flatMap((id) => q.linksOfSession.all(id).map(toLink)),
    attendedPeople: async () => new Set(q.attended.all().map((r) => r.person_id)),
    sessionInfo: async (sessionIds) => {
      const wanted = new Set(sessionIds);
      const out = new Map<string, { startedAt: number; lessonTitle: string; instructor: string; status: 'open' | 'ended' }>();
      for (const r of q.sessionInfo.all()) {
        if (wanted.has(r.id))
          out.set(r.id, { startedAt: r.started_at, lessonTitle: r.lesson_title, instructor: r.display_name ?? '', status: r.status });
      }
      return out;
    },
  };
}
