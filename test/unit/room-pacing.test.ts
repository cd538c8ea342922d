/**
 * The room's staff views under load (server/rooms/room.ts with a ViewPacer): paced while learners'
 * commands change them, prompt after the staff's own command, whose console acts on the view it shows.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fold } from '../../server/engine/engine.ts';
import type { Actor } from '../../server/engine/state.ts';
import type { StaffView } from '../../shared/protocol/views.ts';
import { ViewPacer } from '../../server/rooms/pacer.ts';
import { Room, type Broadcaster } from '../../server/rooms/room.ts';
import type { Store } from '../../server/store/store.ts';
import { sessionStart } from '../support/classroom.ts';
import { join, push, guest } from '../support/commands.ts';
import { lessonOf } from '../support/lessons.ts';

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan' };

describe('Room: staff views paced under load, prompt after the staff’s own command', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => void vi.useRealTimers());

  function busyRoom() {
    const sent: StaffView[] = [];
    const noop = () => undefined;
    const broadcaster: Broadcaster = {
      toClass: noop,
      toLearner: noop,
      endLearner: noop,
      endClass: noop,
      toStaff: (_id, view) => void sent.push(view),
      toHelpers: noop,
      toDisplay: noop,
      watching: (_id, audience) => audience === 'staff',
    };
    const store = { appendEvents: () => Promise.resolve() } as unknown as Store;
    // The process's views have just taken far more than their tenth: the pacer stretches to its limit.
    const pacer = new ViewPacer();
    pacer.spent(60_000);
    const room = new Room(fold([sessionStart(lessonOf(['Một', 'Hai', 'Ba']))]), {
      store,
      broadcaster,
      pacer,
      now: () => 0,
      joinUrl: () => 'http://hall/?code=123456',
      coalesceMs: 20,
      refreshMs: 3_600_000,
      onStoreFailure: noop,
      onEnded: noop,
      log: { error: noop },
    });
    return { room, sent };
  }

  it("a learner's change waits the paced time (up to a second); the instructor's push brings the view forward", async () => {
    const { room, sent } = busyRoom();
    expect((await room.dispatch(join('a'), guest)).ok).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toHaveLength(0);
    expect((await room.dispatch(push(1), instructor)).ok).toBe(true);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent.map((v) => [v.current, v.roster.length])).toEqual([[1, 1]]);
    room.close();
  });

  it('without a staff command the view still comes, within the one-second limit', async () => {
    const { room, sent } = busyRoom();
    await room.dispatch(join('a'), guest);
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    room.close();
  });
});
