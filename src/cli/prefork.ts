import type { GlobalOptions } from '../config/global-options.js';
import type { MonitorFork } from '../engine/container/start.js';

/**
 * `skiff run` spends most of its time booting two Node processes, the CLI
 * and the container's monitor. main() starts the monitor here as soon as it
 * knows the command is run, before the command table and the engine load,
 * so the two boots overlap. The monitor is generic until it is told which
 * container to run; `run` takes it only when it was made for the same run
 * root (and so the same user namespace), else it is dropped.
 */
let pending: { runroot: string; fork: Promise<MonitorFork | undefined> } | undefined;

export function preforkMonitor(global: GlobalOptions): void {
  pending = {
    runroot: global.runroot,
    fork: (async () => {
      const [{ EngineContext }, { forkMonitor }] = await Promise.all([import('../engine/context.js'), import('../engine/container/start.js')]);
      return forkMonitor(new EngineContext(global));
    })().catch(() => undefined), // run forks again and reports the error itself
  };
}

/** The pre-forked monitor for this run root, if there is one; a mismatched one is closed. */
export async function takePreforkedMonitor(runroot: string): Promise<MonitorFork | undefined> {
  const taken = pending;
  pending = undefined;
  if (!taken) return undefined;
  const fork = await taken.fork;
  if (taken.runroot === runroot) return fork;
  fork?.abort();
  return undefined;
}
