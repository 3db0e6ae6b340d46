import { ContainerStore, type ExecSession } from '../../store/containers.js';
import { processAlive } from '../../util/fs.js';
import type { EngineContext } from '../context.js';

/**
 * The exec sessions of a container whose process still runs (inspect's
 * ExecIDs). A session left behind by a CLI killed with -9 is ignored here
 * and removed by the next exec (`pruneExecSessions`).
 */
export async function liveExecSessions(ctx: EngineContext, id: string): Promise<ExecSession[]> {
  const sessions = await new ContainerStore(ctx.layout).execSessions(id);
  return sessions.filter((s) => processAlive(s.pid, s.pidStartTime));
}

/** Removes the recorded sessions of a container whose process has gone. */
export async function pruneExecSessions(ctx: EngineContext, id: string): Promise<void> {
  const store = new ContainerStore(ctx.layout);
  for (const session of await store.execSessions(id)) {
    if (!processAlive(session.pid, session.pidStartTime)) await store.removeExecSession(id, session.id);
  }
}
