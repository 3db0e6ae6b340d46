import { ContainerStore } from '../../store/containers.js';
import type { EngineContext } from '../context.js';
import { ContainerStateError } from '../errors.js';
import { filterContainers, type ContainerFilter } from './filters.js';
import { freeze, signalPauseReason, thaw } from './freeze.js';
import { lockContainer, mustLoad } from './lifecycle.js';
import { readCidFiles } from './select.js';
import { listContainers, observedState, resolveContainerId } from './record.js';

export interface ContainerPauseTargetsOptions {
  /** Every container in the state the verb acts on: running for pause, paused for unpause (`-a`). */
  all?: boolean;
  /** The most recently created container (`-l`). */
  latest?: boolean;
  filters?: ContainerFilter[];
  /** Files holding a container id each (`--cidfile`). */
  cidFiles?: string[];
}

/**
 * The containers `pause` or `unpause` acts on, as podman picks them: the
 * named ones and those in --cidfile files, each looked up first (one that
 * does not resolve fails the whole command before anything is paused);
 * or with --all / --filter / --latest the matching containers as full ids,
 * newest first. --all takes only the containers in the state the verb
 * needs, so it never fails on the others (podman skips them silently).
 */
export async function pauseTargets(ctx: EngineContext, verb: 'pause' | 'unpause', names: string[], options: ContainerPauseTargetsOptions): Promise<string[]> {
  const targets = [...names, ...(await readCidFiles(options.cidFiles ?? []))];
  if (!options.all && !options.latest && !options.filters?.length) {
    for (const target of targets) await resolveContainerId(ctx, target);
    return targets;
  }
  let list = await listContainers(ctx, { all: true });
  if (options.all) list = list.filter((c) => c.state.status === (verb === 'pause' ? 'running' : 'paused'));
  list = filterContainers(list, options.filters ?? []);
  if (options.latest) list = list.slice(0, 1);
  return list.map((c) => c.record.id);
}

export interface ContainerPauseReport {
  id: string;
  /** Why the processes were stopped with SIGSTOP rather than frozen; unset when the runtime froze them. */
  note?: string;
}

/**
 * Pauses a running container (`skiff pause`): the runtime freezes its
 * cgroup, or where it has none to freeze (rootless) every process gets
 * SIGSTOP (`freeze`). Records status `paused` with how it was done. Holds
 * the container's lock throughout; runs in the user namespace. A failed
 * pause leaves the container running and its state untouched.
 */
export async function pauseContainer(ctx: EngineContext, nameOrId: string): Promise<ContainerPauseReport> {
  const id = await resolveContainerId(ctx, nameOrId);
  return lockContainer(ctx, id, nameOrId, async () => {
    const { record } = await mustLoad(ctx, id, nameOrId);
    const store = new ContainerStore(ctx.layout);
    const stored = (await store.readState(id))!;
    const { state } = observedState(stored);
    // podman's messages, its quoting of the id and of the state included.
    if (state.status === 'paused') throw new ContainerStateError(`"${id}" is already paused: container state improper`);
    if (state.status !== 'running' || !state.pid) throw new ContainerStateError(`"${state.status}" is not running, can't pause: container state improper`);
    const pause = await freeze(ctx, record, state);
    try {
      await store.writeState(id, { ...stored, status: 'paused', pause });
    } catch (err) {
      await thaw(ctx, record, pause);
      throw err;
    }
    return { id, note: signalPauseReason(record) };
  });
}

/**
 * Resumes a paused container (`skiff unpause`) the way it was paused and
 * records it as running. Holds the container's lock; runs in the user
 * namespace.
 */
export async function unpauseContainer(ctx: EngineContext, nameOrId: string): Promise<{ id: string }> {
  const id = await resolveContainerId(ctx, nameOrId);
  return lockContainer(ctx, id, nameOrId, async () => {
    const { record, state } = await mustLoad(ctx, id, nameOrId);
    if (state.status !== 'paused') throw new ContainerStateError(`"${id}" is not paused, can't unpause: container state improper`);
    const store = new ContainerStore(ctx.layout);
    const stored = (await store.readState(id))!;
    await thaw(ctx, record, stored.pause);
    await store.writeState(id, { ...stored, status: 'running', pause: undefined });
    return { id };
  });
}
