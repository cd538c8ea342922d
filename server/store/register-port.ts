import type { Person, PersonAuditEntry, PersonData, PersonSearch } from '../../shared/protocol/register.ts';
import type { Evidence } from '../engine/skills.ts';

/** Who made a change to a person, when, and what. */
export interface AuditRecord {
  personId: string;
  at: number;
  userId: string;
  action: PersonAuditEntry['action'];
  detail: string;
}

export interface NewPerson extends PersonData {
  id: string;
  card: string;
}

/** A session's learner (a results row: "learnerId", or "learnerId.1" for a pair's partner) tied to a person. */
export interface LinkRecord {
  sessionId: string;
  rowId: string;
  personId: string;
  at: number;
}

/** What the figures need of each person: never a name. */
export interface PersonLite {
  id: string;
  hamlet: string;
  group: Person['group'];
}

export interface RegisterSettings {
  required: string[] | null;
  targetPct: number;
  populations: Record<string, number>;
}

/** The register's part of the storage port (docs/register.md). Every write records its audit entry in the same transaction. */
export interface RegisterStore {
  /** Insert new people and update existing ones, all or nothing; false when a card code is taken (nothing written). */
  savePeople(creates: NewPerson[], updates: { id: string; data: PersonData }[], audit: AuditRecord[]): Promise<boolean>;
  getPerson(id: string): Promise<Person | undefined>;
  findPersonByCard(card: string): Promise<Person | undefined>;
  /** Which of these card codes are taken. */
  takenCards(cards: string[]): Promise<Set<string>>;
  /** By name (diacritics and case ignored), card code or phone; hamlet and group filters; sorted by given name. */
  searchPeople(search: PersonSearch): Promise<{ total: number; people: Person[] }>;
  /** Every person, erased ones included, for the figures. */
  listPeopleLite(): Promise<PersonLite[]>;
  /** Every living person in full (the CSV export). */
  listPeople(): Promise<Person[]>;
  hamlets(): Promise<string[]>;
  /**
   * Erase a person: name, birth year, phone and card gone, and their name in the stored join events of
   * their classes replaced; hamlet, group and links stay (aggregates are kept). False when not found.
   */
  erasePerson(id: string, audit: AuditRecord): Promise<boolean>;
  addAudit(audit: AuditRecord): Promise<void>;
  personAudit(personId: string): Promise<(AuditRecord & { userName: string })[]>;

  /** Tie a session learner to a person (replacing any earlier link of that learner). */
  linkLearner(link: LinkRecord, audit: AuditRecord): Promise<void>;
  /** Untie; the person it was tied to, if any. */
  unlinkLearner(sessionId: string, rowId: string, audit: Omit<AuditRecord, 'personId'>): Promise<string | undefined>;
  linksOfSession(sessionId: string): Promise<LinkRecord[]>;
  linksOfPerson(personId: string): Promise<LinkRecord[]>;
  allLinks(): Promise<LinkRecord[]>;
  /** Links of these sessions only. */
  linksOfSessions(sessionIds: string[]): Promise<LinkRecord[]>;
  /** People linked to at least one class. */
  attendedPeople(): Promise<Set<string>>;

  getRegisterSettings(): Promise<RegisterSettings>;
  setRegisterSettings(settings: RegisterSettings): Promise<void>;

  /** Cached skill evidence of ended sessions, derived by rule `version`; sessions missing are listed apart. */
  cachedEvidence(sessionIds: string[], version: number): Promise<{ evidence: Map<string, Evidence[]>; missing: string[] }>;
  cacheEvidence(sessionId: string, version: number, evidence: Evidence[]): Promise<void>;
  /** Linked sessions whose evidence is not cached at rule `version` (open ones, and ended ones not derived yet). */
  linkedSessionsWithoutEvidence(version: number): Promise<string[]>;
  /** Bumped by every write to links or cached evidence in this process: a memo of the two is valid while it stays. */
  evidenceGeneration(): number;
  /** Each person's skills from the cached sessions linked to them: the first time each was shown. */
  cachedPersonSkills(version: number): Promise<{ personId: string; skill: string; at: number }[]>;
  /** Summaries (start, lesson, instructor) of these sessions. */
  sessionInfo(
    sessionIds: string[],
  ): Promise<Map<string, { startedAt: number; lessonTitle: string; instructor: string; status: 'open' | 'ended' }>>;
}
