import { readFileSync } from 'node:fs';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { removeNetns } from '../../network/netns.js';
import { StoreLayout } from '../../store/layout.js';
import { deleteContainer, killContainer, runtimeHasContainer } from '../../runtime/driver.js';
import { ContainerGoneError, ContainerStore } from '../../store/containers.js';
import { removeAnonymousVolumes, teardownMounts } from '../../store/mount-prep.js';
import { rootfsDriver } from '../../store/drivers/driver.js';
import { InvalidArgumentError, isErrno } from '../../util/errors.js';
import { processAlive, processStartTime, sleep } from '../../util/fs.js';
import { SIGRTMAX, parseSignal as parseSignalName } from '../../util/signals.js';
import type { EngineContext } from '../context.js';
import { thaw } from './freeze.js';
import { checkNoNetworkDependents, removeJoinedHostsEntry } from './network-deps.js';
import { isRunningOrPaused, loadContainer, observedState, resolveContainer, resolveContainerId, type ContainerInfo, type ContainerRecord } from './record.js';
import { ContainerStateError, NoSuchContainerError } from '../errors.js';

/**
 * Normalises SIGTERM / TERM / term / 15 / RTMIN+3 to its name (TERM) as
 * podman's kill -s accepts them, a leading dash (`-HUP`, as kill(1) takes
 * it) included; podman's messages for a bad one.
 */
export function parseSignal(input: string): string {
  const text = input.startsWith('-') ? input.slice(1) : input;
  if (/^\d+$/.test(text) && Number(text) > SIGRTMAX) throw new InvalidArgumentError(`valid signals are 1 through ${SIGRTMAX}`);
  const signal = parseSignalName(text);
  if (!signal) throw new InvalidArgumentError(`invalid signal: ${text}`);
  return signal.name;
}

/**
 * These operations run as root in the user namespace: the CLI re-executes
 * itself there for them (runtime kill/delete, unmounts, removing files owned
 * by sub-ids all need it).
 *
 * Each takes the container's lock (ContainerStore.withContainerLock) to look
 * at the state and act on it, and never holds it while waiting for a
 * container to exit: the monitor takes the same lock to record the exit.
 */

/**
 * Sends a signal to a running or paused container (`skiff kill`). As with
 * podman, a paused container stays paused and the signal stays pending
 * until unpause; SIGKILL ends a SIGSTOPped container at once (and runc
 * thaws a frozen one for it).
 */
export async function killContainerBySignal(ctx: EngineContext, nameOrId: string, signal: string): Promise<ContainerInfo> {
  const { record } = await resolveContainer(ctx, nameOrId);
  const runtimeSignal = parseSignal(signal);
  return lockContainer(ctx, record.id, nameOrId, async () => {
    const info = await mustLoad(ctx, record.id, nameOrId);
    if (!isRunningOrPaused(info.state.status)) {
      throw new ContainerStateError(`can only kill running containers. ${record.id} is in state ${info.state.status}: container state improper`);
    }
    await killContainer(record.runtime, ctx.layout.runtimeRoot, record.id, runtimeSignal);
    return info;
  });
}

/**
 * Stops a container: its stop signal, then SIGKILL after `timeout` seconds
 * (with podman's warning added to `ctx.warnings` when it comes to that).
 * Resolves once the container is down and cleaned up (by its monitor, or by
 * us when the monitor is gone). Stopping a stopped container is a no-op; a
 * --rm container that its monitor removed on exit counts as stopped. With
 * `restarting` (restart's stop) the state is marked first, under the lock,
 * so that a --rm container is kept, as exited, for the start that follows.
 * A paused container is resumed right after each signal, which a stopped or
 * frozen process would otherwise leave pending (podman thaws it too).
 */
export async function stopContainer(ctx: EngineContext, nameOrId: string, timeout?: number, options: { restarting?: boolean } = {}): Promise<ContainerInfo> {
  const found = await resolveContainer(ctx, nameOrId);
  const { record } = found;
  const seconds = timeout ?? record.stopTimeout;
  // The run we signal: a later start of the same container must not get our SIGKILL.
  const signalled = await lockContainer(ctx, record.id, nameOrId, async () => {
    const info = await mustLoad(ctx, record.id, nameOrId);
    if (!isRunningOrPaused(info.state.status)) return undefined;
    if (options.restarting) {
      const store = new ContainerStore(ctx.layout);
      const stored = await store.readState(record.id);
      if (stored) await store.writeState(record.id, { ...stored, restarting: true });
    }
    await signalAndResume(ctx, info, seconds > 0 ? parseSignal(record.stopSignal) : 'KILL');
    if (seconds > 0) await markStopping(ctx, record.id);
    return info.state.startedAt ?? '';
  }).catch((err: unknown) => vanished(err, found, undefined));
  if (signalled === undefined) return finishStop(ctx, found, nameOrId);
  let killed = seconds <= 0; // with no grace time the first signal was SIGKILL
  if (!killed && !(await waitUntilDown(ctx, record.id, seconds * 1000))) {
    ctx.warnings.push(`StopSignal SIG${parseSignal(record.stopSignal)} failed to stop container ${record.name} in ${seconds} seconds, resorting to SIGKILL`);
    killed = await lockContainer(ctx, record.id, nameOrId, async () => {
      const info = await mustLoad(ctx, record.id, nameOrId);
      if (isRunningOrPaused(info.state.status) && (info.state.startedAt ?? '') === signalled) {
        await signalAndResume(ctx, info, 'KILL');
      }
    }).then(() => true, (err: unknown) => vanished(err, found, false));
  }
  if (killed && !(await waitUntilDown(ctx, record.id, 10_000))) {
    throw new ContainerStateError(`container ${record.name} did not exit after SIGKILL`);
  }
  return finishStop(ctx, found, nameOrId);
}

/**
 * Sends `signal` to the container and, if it is paused, resumes it and
 * records it as running: the signal acts once the processes run again.
 * The caller holds the container's lock.
 */
async function signalAndResume(ctx: EngineContext, info: ContainerInfo, signal: string): Promise<void> {
  const { record } = info;
  await killContainer(record.runtime, ctx.layout.runtimeRoot, record.id, signal);
  if (info.state.status !== 'paused') return;
  const store = new ContainerStore(ctx.layout);
  const stored = await store.readState(record.id);
  await thaw(ctx, record, stored?.pause).catch((err: unknown) => {
    if (processAlive(stored?.pid, stored?.pidStartTime)) throw err; // a container that died meanwhile has nothing to resume
  });
  if (stored?.status === 'paused') await store.writeState(record.id, { ...stored, status: 'running', pause: undefined });
}

/**
 * Records in state.json that this process waits for the running container
 * to exit (inspect then says "stopping", as podman). The caller holds the
 * container's lock; the monitor's exit record ends it, and so does our own end.
 */
async function markStopping(ctx: EngineContext, id: string): Promise<void> {
  const store = new ContainerStore(ctx.layout);
  const stored = await store.readState(id);
  if (stored?.status !== 'running' || !stored.startedAt) return;
  await store.writeState(id, { ...stored, stoppingBy: { pid: process.pid, pidStartTime: processStartTime(process.pid), startedAt: stored.startedAt } });
}

/** Repairs what a dead monitor left; returns the container as it is now, or as it was if --rm removed it. */
async function finishStop(ctx: EngineContext, found: ContainerInfo, nameOrId: string): Promise<ContainerInfo> {
  const id = found.record.id;
  // The usual case, read without the lock: the monitor recorded the exit, or removed a --rm container.
  const current = await loadContainer(ctx, id);
  if (current && !isRunningOrPaused(current.state.status) && !current.monitorLost) return current;
  if (!current && found.record.autoRemove) return found;
  try {
    return await lockContainer(ctx, id, nameOrId, async () => {
      await repairContainer(ctx, id);
      return (await loadContainer(ctx, id)) ?? found;
    });
  } catch (err) {
    return vanished(err, found, found);
  }
}

/**
 * As podman: stopping a --rm container that its monitor removed on exit
 * succeeds, so for those "no such container" yields `value`; anything else is rethrown.
 */
function vanished<T>(err: unknown, found: ContainerInfo, value: T): T {
  if (err instanceof NoSuchContainerError && found.record.autoRemove) return value;
  throw err;
}

/**
 * True once neither the container's process nor its monitor is alive (the
 * monitor writes the exit code and tears down before it exits), or the
 * container was removed (--rm). Reads without the lock: the monitor needs
 * it to record the exit.
 */
async function waitUntilDown(ctx: EngineContext, id: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = await new ContainerStore(ctx.layout).readState(id);
    if (!state) return true;
    const monitorUp = processAlive(state.monitorPid, state.monitorStartTime);
    const containerUp = processAlive(state.pid, state.pidStartTime);
    if (!containerUp && !monitorUp) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

/**
 * Brings a container whose monitor died back to a consistent state: with
 * the container's process gone, unmount, drop the network namespace and
 * the runtime's record, and write the state as exited (or remove it, for
 * --rm). Idempotent; a no-op for containers whose monitor did its job.
 * The caller holds the container's lock and runs in the user namespace.
 */
export async function repairContainer(ctx: EngineContext, id: string): Promise<void> {
  const store = new ContainerStore(ctx.layout);
  const stored = await store.readState(id);
  if (!stored || !isRunningOrPaused(stored.status)) return;
  if (processAlive(stored.monitorPid, stored.monitorStartTime) || processAlive(stored.pid, stored.pidStartTime)) return;
  const monitor = readMonitorConfig(ctx, id);
  if (monitor) {
    await teardown(monitor);
    await deleteContainer(monitor.runtime, ctx.layout.runtimeRoot, id);
  }
  if (monitor?.autoRemove && !stored.restarting) {
    await store.remove(id, monitor.name);
    await removeAnonymousVolumes(ctx.layout, monitor.mounts?.volumes.filter((v) => v.anonymous).map((v) => v.name) ?? []);
    return;
  }
  await store.writeState(id, {
    status: 'exited',
    exitCode: stored.exitCode ?? -1,
    startedAt: stored.startedAt,
    finishedAt: new Date().toISOString(),
    error: 'the container monitor was killed; the exit code is unknown',
  });
}

export interface ContainerRemoveOptions {
  force: boolean;
  /** rm -v: also remove the container's anonymous volumes (not those another container mounts). */
  volumes?: boolean;
  /** Seconds to wait for a graceful stop before SIGKILL, with --force; by default the container's stop timeout, as podman. */
  timeout?: number;
}

export interface ContainerRemoveReport {
  id: string;
  name: string;
}

/**
 * Removes a container. A running one is refused unless `force`, which
 * stops it first (a --rm container its monitor removes meanwhile counts as
 * removed). Also finishes a removal that was interrupted (kill -9 of an
 * earlier `rm`). Removing files owned by sub-ids needs the namespace.
 */
export async function removeContainer(ctx: EngineContext, nameOrId: string, options: ContainerRemoveOptions): Promise<ContainerRemoveReport> {
  const id = await resolveContainerId(ctx, nameOrId, { includeRemoving: true });
  const store = new ContainerStore(ctx.layout);
  const record = await store.readConfig<ContainerRecord>(id);
  if (!record) throw new NoSuchContainerError(nameOrId);
  let stops = 0;
  // Stopping takes the lock itself: a container seen running now is stopped before we lock.
  const before = await store.readState(id);
  const runningBefore = before !== undefined && isRunningOrPaused(observedState(before).state.status);
  // podman: running without --force is that error (exit 2); else, with --force too, the containers joining its network namespace.
  if (options.force || !runningBefore) await checkNoNetworkDependents(ctx, id);
  if (options.force && runningBefore) {
    await stopContainer(ctx, id, options.timeout);
    stops++;
  }
  for (;;) {
    const outcome = await lockContainer(ctx, id, nameOrId, async () => {
      const stored = await store.readState(id);
      if (stored && isRunningOrPaused(observedState(stored).state.status)) {
        if (!options.force) {
          throw new ContainerStateError(
            `cannot remove container ${id} as it is running - running or paused containers cannot be removed without force: container state improper`,
            'stop it first, or use `skiff rm -f`',
          );
        }
        return 'stop' as const;
      }
      if (stored) await repairContainer(ctx, id);
      const monitor = readMonitorConfig(ctx, id);
      // An interrupted removal may have left the root file system mounted.
      if (monitor) await teardown(monitor);
      // Usually the monitor deleted it on exit: no runtime process to start then.
      if (await runtimeHasContainer(record.runtime, ctx.layout.runtimeRoot, id)) await deleteContainer(record.runtime, ctx.layout.runtimeRoot, id);
      await store.remove(id, record.name);
      return 'removed' as const;
    }).catch((err: unknown) => {
      if (stops > 0 && err instanceof NoSuchContainerError) return 'removed' as const;
      throw err;
    });
    if (outcome === 'removed') {
      await removeJoinedHostsEntry(ctx, record);
      if (options.volumes) await removeAnonymousVolumes(ctx.layout, (record.volumes ?? []).filter((v) => v.anonymous).map((v) => v.name));
      return { id, name: record.name };
    }
    // Started again by someone else between our stop and our lock.
    if (stops >= 3) throw new ContainerStateError(`container ${record.name} keeps being started again; not removed`);
    await stopContainer(ctx, id, options.timeout);
    stops++;
  }
}

/** Undoes what a dead monitor left set up: the rootfs mount(s) and the network namespace. Idempotent. */
async function teardown(monitor: MonitorConfig): Promise<void> {
  await (await rootfsDriver(monitor.storage)).unmount(monitor.storage);
  if (monitor.mounts) await teardownMounts(monitor.mounts, new StoreLayout(monitor.graphRoot, monitor.runRoot).volumesDir);
  if (monitor.network.mode === 'bridge') await teardownUserNetworks(monitor);
  if (monitor.netnsFile) await removeNetns(monitor.netnsFile);
}

/** netavark teardown and the leases given back, for a container whose monitor could not (killed). */
async function teardownUserNetworks(monitor: MonitorConfig): Promise<void> {
  const { ContainerNetworks } = await import('../../network/container-networks.js');
  const layout = new StoreLayout(monitor.graphRoot, monitor.runRoot);
  await new ContainerNetworks({ configDir: layout.networksDir, runDir: layout.networksRunDir }).teardown(monitor.id);
}

/** The monitor's config (monitor.json), gone once a removal got past it. */
function readMonitorConfig(ctx: EngineContext, id: string): MonitorConfig | undefined {
  try {
    return JSON.parse(readFileSync(ctx.layout.containerMonitorConfig(id), 'utf8')) as MonitorConfig;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * withContainerLock, with a container removed meanwhile reported as podman
 * does (NoSuchContainerError naming `nameOrId`). Not re-entrant: the caller
 * must not hold the lock already.
 */
export async function lockContainer<T>(ctx: EngineContext, id: string, nameOrId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await new ContainerStore(ctx.layout).withContainerLock(id, fn);
  } catch (err) {
    if (err instanceof ContainerGoneError) throw new NoSuchContainerError(nameOrId);
    throw err;
  }
}

/** The container with its observed state; NoSuchContainerError when it is gone. Needs no lock. */
export async function mustLoad(ctx: EngineContext, id: string, nameOrId: string): Promise<ContainerInfo> {
  const info = await loadContainer(ctx, id);
  if (!info) throw new NoSuchContainerError(nameOrId);
  return info;
}

/** podman's `wait --condition` states; `configured` and `initialized` are what skiff calls created. */
export const WAIT_CONDITIONS = ['unknown', 'configured', 'created', 'initialized', 'running', 'stopped', 'paused', 'exited', 'removing'] as const;
export type WaitCondition = (typeof WAIT_CONDITIONS)[number];

export interface ContainerWaitOptions {
  /** Return when any holds (default: stopped, i.e. when the container is not running). */
  conditions?: WaitCondition[];
  /** How often to look, in ms (default 250). */
  intervalMs?: number;
}

/**
 * Waits for a container as podman 4's `wait` does. For `stopped`/`exited`
 * (the default) it returns the exit code once the container is not running
 * (at once for one that never ran: 0, as podman); for a state condition it
 * returns -1 once the container is in that state. A container removed
 * meanwhile (--rm) yields undefined. Reads without the lock.
 */
export async function waitContainer(ctx: EngineContext, nameOrId: string, options: ContainerWaitOptions = {}): Promise<number | undefined> {
  const info = await resolveContainer(ctx, nameOrId);
  const conditions = options.conditions?.length ? options.conditions : ['stopped'];
  const forExit = conditions.some((c) => c === 'stopped' || c === 'exited');
  const states = new Set(conditions.map((c) => (c === 'configured' || c === 'initialized' ? 'created' : c)));
  const interval = Math.max(options.intervalMs ?? 250, 5);
  // Exits are seen quickly (the first looks are close together); state conditions at the interval.
  let delay = Math.min(10, interval);
  for (;;) {
    const current = await loadContainer(ctx, info.record.id);
    if (!current) return undefined;
    const status = current.state.status;
    // A paused container has not exited either (podman's WaitForExit waits while running or paused).
    if (forExit && !(['running', 'paused'] as string[]).includes(status)) return current.state.exitCode ?? 0;
    if (states.has(status)) return -1;
    await sleep(delay);
    delay = Math.min(delay * 2, interval);
  }
}
