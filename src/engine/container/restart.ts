import type { EngineContext } from '../context.js';
import { filterContainers, type ContainerFilter } from './filters.js';
import { removeContainer, stopContainer } from './lifecycle.js';
import { readCidFiles } from './select.js';
import { listContainers, resolveContainer } from './record.js';
import { startContainer, type MonitorFork } from './start.js';

export interface ContainerRestartTargetsOptions {
  /** Every container (`-a`). */
  all?: boolean;
  /** Only the running ones among the targets, named or selected. */
  running?: boolean;
  latest?: boolean;
  filters?: ContainerFilter[];
  /** Files holding a container id each (`--cidfile`). */
  cidFiles?: string[];
}

/**
 * The containers a `restart` acts on, as podman picks them: the named ones
 * plus those in --cidfile files, or with --all / --running / --filter /
 * --latest the matching containers (full ids, newest first); with
 * --running only those that run. A name that does not resolve is kept, so
 * the restart reports it.
 */
export async function restartTargets(ctx: EngineContext, names: string[], options: ContainerRestartTargetsOptions): Promise<string[]> {
  const targets = [...names, ...(await readCidFiles(options.cidFiles ?? []))];
  const selecting = options.all || options.latest || (options.filters?.length ?? 0) > 0;
  if (!selecting) {
    if (!options.running) return targets;
    const running = await Promise.all(targets.map((t) => resolveContainer(ctx, t).then((c) => c.state.status === 'running', () => true)));
    return targets.filter((_, i) => running[i]);
  }
  let list = await listContainers(ctx, { all: true });
  if (options.running) list = list.filter((c) => c.state.status === 'running');
  list = filterContainers(list, options.filters ?? []);
  if (options.latest) list = list.slice(0, 1);
  return list.map((c) => c.record.id);
}

/**
 * Restarts a container as podman does: a running one is stopped (its stop
 * signal, then SIGKILL after `timeout` seconds, default its stop timeout)
 * and started again; one that is not running is just started. A --rm
 * container is restarted in place, not removed by that stop, and stays
 * --rm. Runs in the user namespace (stop needs it); takes the container's
 * lock through stop and start, never across both, so the monitor can
 * record the exit between. A --rm container whose start fails is removed,
 * as its exit would have done. `options.monitor`, forked while the stop
 * ran, is the start's monitor (dropped if the stop fails).
 */
export async function restartContainer(ctx: EngineContext, nameOrId: string, timeout?: number, options: { monitor?: MonitorFork } = {}): Promise<void> {
  const stopped = await stopContainer(ctx, nameOrId, timeout, { restarting: true }).catch((err: unknown) => {
    options.monitor?.abort();
    throw err;
  });
  try {
    await startContainer(ctx, stopped.record.id, { monitor: options.monitor });
  } catch (err) {
    if (stopped.record.autoRemove) await removeContainer(ctx, stopped.record.id, { force: true }).catch(() => undefined);
    throw err;
  }
}
