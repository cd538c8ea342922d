import type { Task } from '../../../shared/lesson/task.ts';
import { moveOutcome } from '../../../shared/lesson/task-graph.ts';
import type { TaskMove } from '../../../shared/protocol/commands.ts';
import type { LearnerTaskView } from '../../../shared/protocol/views.ts';

export interface LocalProgress {
  screen: string;
  status: 'working' | 'finished' | 'trapped';
  trap: string | null;
}

/**
 * What the tablet shows: the server's progress (after every acknowledged move) with the moves not yet
 * acknowledged played on top, by the same graph the server judges with. Offline, the task goes on.
 */
export function replay(task: Task, runId: string, server: LearnerTaskView | null, queue: readonly TaskMove[]): LocalProgress {
  const p: LocalProgress =
    server && server.runId === runId
      ? { screen: server.screen, status: server.status, trap: server.trap }
      : { screen: task.start, status: 'working', trap: null };
  for (const move of queue) {
    if (move.runId !== runId) continue;
    if (move.action.kind === 'retry') {
      Object.assign(p, { screen: task.start, status: 'working', trap: null });
      continue;
    }
    if (p.status !== 'working' || move.from !== p.screen) continue;
    const judged = moveOutcome(task, p.screen, move.action);
    const o = judged?.outcome;
    if (o?.kind === 'screen') p.screen = o.screen;
    else if (o?.kind === 'goal') p.status = 'finished';
    else if (o?.kind === 'trap') Object.assign(p, { status: 'trapped', trap: o.trap });
  }
  return p;
}
