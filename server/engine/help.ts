import type { EventOf } from './events.ts';
import { none, type CommandOf, type Decision } from './commands.ts';
import { assertNever } from './never.ts';
import { staffer } from './staffer.ts';
import { learnerStep, type Actor, type HelpRequest, type LearnerState, type SessionState } from './state.ts';

/** The help queue's staff commands: claim, release, resolve a request. */
export type HelpCommand = CommandOf<'help:claim' | 'help:release' | 'help:resolve'>;
export type HelpEvent = EventOf<'help:requested' | 'help:withdrawn' | 'help:claimed' | 'help:released' | 'help:resolved'>;

export function decideHelp(state: SessionState, command: HelpCommand, actor: Actor, now: number): Decision {
  switch (command.type) {
    case 'help:claim':
    case 'help:release':
    case 'help:resolve': {
      const me = staffer(actor);
      if (!me) return { error: 'forbidden' };
      const request = state.helpRequests.get(command.requestId);
      if (!request) return { error: 'help_not_found' };
      if (request.status === 'resolved' || request.status === 'withdrawn') {
        return command.type === 'help:resolve' && request.status === 'resolved' ? none : { error: 'help_closed' };
      }
      const requestId = request.id;
      if (command.type === 'help:claim') {
        if (request.status === 'claimed') return request.claimedBy?.id === me.id ? none : { error: 'already_claimed' };
        return { events: [{ type: 'help:claimed', at: now, requestId, by: me }] };
      }
      if (command.type === 'help:release') {
        if (request.status !== 'claimed') return none;
        // A helper releases only their own claim; the instructor may release anyone's.
        if (request.claimedBy?.id !== me.id && actor.role !== 'instructor') return { error: 'already_claimed' };
        return { events: [{ type: 'help:released', at: now, requestId }] };
      }
      return { events: [{ type: 'help:resolved', at: now, requestId, by: request.claimedBy ?? me }] };
    }
    default:
      return assertNever(command);
  }
}

/**
 * The learner's own "Cần giúp": raise with an optional reason, or withdraw. Raising carries a
 * client-made request id: a retry of a raise is recognised by it and raises nothing new.
 */
export function decideLearnerHelp(state: SessionState, learner: LearnerState, command: CommandOf<'learner:help'>, now: number): Decision {
  if (command.active) {
    const earlier = state.helpRequests.get(command.requestId);
    if (earlier) {
      // Request ids are never reused: history and queue order depend on them.
      if (earlier.learnerId !== learner.id || earlier.reason !== (command.reason ?? null)) return { error: 'id_reused' };
      // The same raise again: still open, nothing to do; already closed, a stale retry raises nothing.
      return earlier.status === 'waiting' || earlier.status === 'claimed' ? none : { error: 'help_closed' };
    }
  }
  if ((learner.help !== null) === command.active) return none;
  if (!command.active) return { events: [{ type: 'help:withdrawn', at: now, learnerId: learner.id }] };
  return {
    events: [
      {
        type: 'help:requested',
        at: now,
        learnerId: learner.id,
        requestId: command.requestId,
        step: learnerStep(state, learner),
        reason: command.reason ?? null,
      },
    ],
  };
}

export function evolveHelp(state: SessionState, event: HelpEvent): void {
  switch (event.type) {
    case 'help:requested': {
      const request: HelpRequest = {
        id: event.requestId,
        learnerId: event.learnerId,
        step: event.step,
        reason: event.reason,
        at: event.at,
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
        closedAt: null,
      };
      state.helpRequests.set(request.id, request);
      const learner = state.learners.get(event.learnerId)!;
      learner.help = { id: request.id, since: event.at, step: event.step };
      learner.lastHelp = null;
      return;
    }
    case 'help:withdrawn':
      closeOpenRequest(state, event.learnerId, 'withdrawn', event.at);
      return;
    case 'help:claimed': {
      const r = state.helpRequests.get(event.requestId)!;
      r.status = 'claimed';
      r.claimedBy = event.by;
      r.claimedAt ??= event.at;
      return;
    }
    case 'help:released': {
      const r = state.helpRequests.get(event.requestId)!;
      r.status = 'waiting';
      r.claimedBy = null;
      return;
    }
    case 'help:resolved': {
      const r = state.helpRequests.get(event.requestId)!;
      r.claimedBy ??= event.by;
      closeOpenRequest(state, r.learnerId, 'resolved', event.at);
      state.learners.get(r.learnerId)!.lastHelp = { by: event.by.name, at: event.at };
      return;
    }
    default:
      return assertNever(event);
  }
}

/** Unclaimed withdrawn requests kept in full per learner; older ones are only counted. */
export const KEPT_WITHDRAWN = 5;

/** Close a learner's open request (withdrawn by them, resolved by staff, or because they left). */
export function closeOpenRequest(state: SessionState, learnerId: string, status: 'withdrawn' | 'resolved', at: number) {
  const learner = state.learners.get(learnerId);
  if (!learner?.help) return;
  const r = state.helpRequests.get(learner.help.id);
  if (r) {
    r.status = status;
    r.closedAt = at;
    // Nobody came for it: past a few, the oldest such record goes and only its count stays (bounded memory).
    if (status === 'withdrawn' && r.claimedAt === null) {
      learner.withdrawn.push(r.id);
      if (learner.withdrawn.length > KEPT_WITHDRAWN) {
        const old = state.helpRequests.get(learner.withdrawn.shift()!);
        if (old) {
          state.helpRequests.delete(old.id);
          state.withdrawnHelp.set(old.step, (state.withdrawnHelp.get(old.step) ?? 0) + 1);
        }
      }
    }
  }
  learner.help = null;
}

/** The open requests, oldest first. */
export function helpQueue(state: SessionState): HelpRequest[] {
  const out: HelpRequest[] = [];
  for (const r of state.helpRequests.values()) if (r.status === 'waiting' || r.status === 'claimed') out.push(r);
  return out;
}
