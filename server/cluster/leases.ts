import type { SessionStarted } from '../engine/events.ts';

// The lease port as the pg branch defines it in server/store/store.ts (names fixed between the
// branches); kept here until that branch is merged, then imported from there.

/** An append refused because this writer's lease (owner + fencing number) is no longer current. */
export class LeaseLostError extends Error {
  readonly code = 'lease_lost';
}

export interface Lease {
  owner: string;
  fence: number;
}

/** Who owns which open session, in the shared store; only PostgreSQL has one. */
export interface LeaseStore {
  createSessionLeased(started: SessionStarted, owner: string, ttlMs: number): Promise<number>;
  acquireLease(sessionId: string, owner: string, ttlMs: number): Promise<number | null>;
  renewLease(sessionId: string, owner: string, fence: number, ttlMs: number): Promise<boolean>;
  releaseLease(sessionId: string, owner: string, fence: number): Promise<void>;
  leaseOf(sessionId: string): Promise<(Lease & { expiresAt: number }) | undefined>;
  orphanedSessions(): Promise<string[]>;
  openSessionByCode(code: string): Promise<string | undefined>;
  openSessionByHelperCode(helperCode: string): Promise<string | undefined>;
  sessionOfToken(tokenHash: string): Promise<string | undefined>;
}
