import type { Lesson } from '../../shared/lesson/schema.ts';
import type { PersonJourney, Progress, Standard } from '../../shared/protocol/register.ts';
import { fold } from '../engine/engine.ts';
import {
  DEFAULT_TARGET_PCT,
  EVIDENCE_VERSION,
  personSkills,
  progressFigures,
  PUPIL_TARGET_PCT,
  sessionEvidence,
  skillDef,
  STANDARD_NAME,
  standardReached,
  starterSkills,
  teachingLessons,
  type Evidence,
  type Shown,
} from '../engine/skills.ts';
import type { LinkRecord } from '../store/register-port.ts';
import type { Store } from '../store/store.ts';
import type { Rooms } from './registry.ts';

/**
 * The register's figures, derived from stored events and the register on every call: a live class
 * from its room's state, an ended one from its events (cached by rule version, rebuilt when missing).
 */
export class RegisterFigures {
  readonly #store: Store;
  readonly #rooms: Rooms;
  readonly #now: () => number;

  constructor(deps: { store: Store; rooms: Rooms; now: () => number }) {
    this.#store = deps.store;
    this.#rooms = deps.rooms;
    this.#now = deps.now;
  }

  /** Skill evidence of each session, per person row. */
  async evidence(sessionIds: string[]): Promise<Map<string, Evidence[]>> {
    const out = new Map<string, Evidence[]>();
    if (sessionIds.length === 0) return out;
    const ended: string[] = [];
    for (const id of new Set(sessionIds)) {
      const room = this.#rooms.get(id);
      if (room?.isOpen) out.set(id, room.evidence());
      else ended.push(id);
    }
    const { evidence, missing } = await this.#store.cachedEvidence(ended, EVIDENCE_VERSION);
    for (const [id, list] of evidence) out.set(id, list);
    for (const id of missing) {
      const events = await this.#store.loadEvents(id);
      if (events.length === 0) continue;
      const state = fold(events);
      const list = sessionEvidence(state);
      // Only an ended session's evidence is final; a session still open elsewhere is derived each time.
      if (state.status === 'ended') await this.#store.cacheEvidence(id, EVIDENCE_VERSION, list);
      out.set(id, list);
      // A history never derived (after an upgrade) is thousands of folds: let the classes' events through between them.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  /** Each linked person's skills, and who attended any class. */
  async skillsByPerson(links: LinkRecord[]): Promise<Map<string, Map<string, Shown>>> {
    const evidence = await this.evidence(links.map((l) => l.sessionId));
    const perPerson = new Map<string, { sessionId: string; evidence: Evidence[] }[]>();
    const byRow = new Map<string, Evidence[]>();
    for (const [sessionId, list] of evidence) {
      for (const e of list) {
        const key = `${sessionId}\u0000${e.rowId}`;
        const rows = byRow.get(key);
        if (rows) rows.push(e);
        else byRow.set(key, [e]);
      }
    }
    for (const l of links) {
      const rows = byRow.get(`${l.sessionId}\u0000${l.rowId}`) ?? [];
      const list = perPerson.get(l.personId) ?? [];
      list.push({ sessionId: l.sessionId, evidence: rows });
      perPerson.set(l.personId, list);
    }
    return new Map([...perPerson].map(([id, list]) => [id, personSkills(list)]));
  }

  async lessons(): Promise<Lesson[]> {
    const summaries = await this.#store.listLessons();
    const lessons: Lesson[] = [];
    for (const s of summaries) {
      const lesson = await this.#store.getLesson(s.id);
      if (lesson) lessons.push(lesson);
    }
    return lessons;
  }

  /** The standard: required skills (the starter skills by default), every skill the lessons teach, the targets. */
  async standard(): Promise<Standard & { required: string[] }> {
    const settings = await this.#store.getRegisterSettings();
    const teaching = teachingLessons(await this.lessons());
    const required = settings.required ?? Object.keys(starterSkills);
    const ids = [...new Set([...required, ...Object.keys(starterSkills), ...teaching.keys()])];
    const requiredSet = new Set(required);
    return {
      name: STANDARD_NAME,
      targetPct: settings.targetPct ?? DEFAULT_TARGET_PCT,
      pupilTargetPct: PUPIL_TARGET_PCT,
      populations: settings.populations,
      required,
      skills: ids.map((id) => ({ id, ...skillDef(id), required: requiredSet.has(id), lesson: teaching.get(id) ?? null })),
    };
  }

  /**
   * Every person's skills, for the dashboard: one grouped query over the cached evidence of ended
   * sessions, plus the sessions not cached (live ones from their rooms; ended ones derived and cached now).
   */
  async allPersonSkills(): Promise<Map<string, Map<string, Shown>>> {
    // Derive first, so the grouped query below covers every ended session.
    const uncached = await this.#store.linkedSessionsWithoutEvidence(EVIDENCE_VERSION);
    const fresh = await this.evidence(uncached);
    // Open sessions are derived on every call (never cached); ended ones just derived are counted twice, harmlessly (first time wins).
    const live = uncached.filter((id) => fresh.has(id));
    const add = (out: Map<string, Map<string, Shown>>, personId: string, skill: string, at: number, sessionId: string) => {
      let skills = out.get(personId);
      if (!skills) out.set(personId, (skills = new Map<string, Shown>()));
      const seen = skills.get(skill);
      if (!seen || at < seen.at) skills.set(skill, { at, sessionId });
    };
    const memo = await this.#cachedSkills();
    if (live.length === 0) return memo;
    // Sessions still open (never cached): their evidence, row by row, over a copy of the memo.
    const out = new Map([...memo].map(([id, m]) => [id, new Map(m)]));
    for (const l of await this.#store.linksOfSessions(live)) {
      for (const e of fresh.get(l.sessionId) ?? []) if (e.rowId === l.rowId) add(out, l.personId, e.skill, e.at, l.sessionId);
    }
    return out;
  }
  #memo: { generation: number; skills: Map<string, Map<string, Shown>> } | null = null;

  /** The ended sessions' part, memoised until a link or cached evidence changes (it is a function of them only). */
  async #cachedSkills(): Promise<Map<string, Map<string, Shown>>> {
    const generation = this.#store.evidenceGeneration();
    if (this.#memo?.generation === generation) return this.#memo.skills;
    const skills = new Map<string, Map<string, Shown>>();
    for (const r of await this.#store.cachedPersonSkills(EVIDENCE_VERSION)) {
      let m = skills.get(r.personId);
      if (!m) skills.set(r.personId, (m = new Map<string, Shown>()));
      m.set(r.skill, { at: r.at, sessionId: '' });
    }
    this.#memo = { generation, skills };
    return skills;
  }

  /** After a start: fill the memo from what is cached, so the first dashboard answers as fast as the next. */
  async warm(): Promise<void> {
    await this.#cachedSkills();
  }

  async progress(): Promise<Progress> {
    const [people, attended, standard] = await Promise.all([this.#store.listPeopleLite(), this.#store.attendedPeople(), this.standard()]);
    const skills = await this.allPersonSkills();
    return progressFigures({
      people,
      attended,
      skills,
      required: standard.required,
      skillIds: standard.skills.map((s) => s.id),
      targetPct: standard.targetPct,
      populations: standard.populations,
      at: this.#now(),
    });
  }

  async journey(personId: string): Promise<PersonJourney | undefined> {
    const person = await this.#store.getPerson(personId);
    if (!person) return undefined;
    const links = await this.#store.linksOfPerson(personId);
    const [shown, standard, info, audit] = await Promise.all([
      this.skillsByPerson(links).then((m) => m.get(personId) ?? new Map<string, Shown>()),
      this.standard(),
      this.#store.sessionInfo(links.map((l) => l.sessionId)),
      this.#store.personAudit(personId),
    ]);
    const reached = standardReached(standard.required, shown);
    const byId = new Map(standard.skills.map((s) => [s.id, s]));
    return {
      person,
      classes: links
        .map((l) => {
          const s = info.get(l.sessionId);
          return {
            sessionId: l.sessionId,
            rowId: l.rowId,
            startedAt: s?.startedAt ?? 0,
            lessonTitle: s?.lessonTitle ?? '',
            instructor: s?.instructor ?? '',
          };
        })
        .sort((a, b) => a.startedAt - b.startedAt),
      skills: [...shown]
        .map(([id, s]) => ({
          id,
          name: skillDef(id).name,
          domain: skillDef(id).domain,
          at: s.at,
          sessionId: s.sessionId,
          lessonTitle: info.get(s.sessionId)?.lessonTitle ?? '',
        }))
        .sort((a, b) => a.at - b.at),
      missing: standard.required
        .filter((id) => !shown.has(id))
        .map((id) => ({ id, name: skillDef(id).name, domain: skillDef(id).domain, lesson: byId.get(id)?.lesson ?? null })),
      reached: reached.reached,
      reachedAt: reached.at,
      audit: audit.map(({ at, userId, userName, action, detail }) => ({ at, userId, userName, action, detail })),
    };
  }
}
