import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { teardownContainer } from '../monitor/cleanup.js';
import type { MonitorConfig } from '../monitor/protocol.js';
import { deleteContainer, killContainer } from '../runtime/driver.js';
import { ContainerStore } from '../store/containers.js';
import { InvalidArgumentError } from '../util/errors.js';
import { processAlive, sleep } from '../util/fs.js';
import { parseSignal as parseSignalName } from '../util/signals.js';
import type { EngineContext } from './context.js';
import { loadContainer, resolveContainer, type ContainerInfo } from './container-record.js';
import { ContainerStateError } from './errors.js';

/** Normalises SIGTERM / TERM / term / 15 / RTMIN+3 to its name (TERM) as podman's kill -s accepts them. */
export function parseSignal(input: string): string {
  const signal = parseSignalName(input);
  if (!signal) throw new InvalidArgumentError(`invalid signal: ${input}`);
  return signal.name;
}

/**
 * These operations run as root in the user namespace: the CLI re-executes
 * itself there for them (runtime kill/delete, unmounts, removing files owned
 * by sub-ids all need it).
 */

/** Sends a signal to a running container (`skiff kill`). */
export async function killContainerBySignal(ctx: EngineContext, nameOrId: string, signal: string): Promise<ContainerInfo> {
  const info = await resolveContainer(ctx, nameOrId);
  if (info.state.status !== 'running') {
    throw new ContainerStateError(`can only kill running containers. ${info.record.id} is in state ${info.state.status}: container state improper`);
  }
  await killContainer(info.record.runtime, ctx.layout.runtimeRoot, info.record.id, parseSignal(signal));
  return info;
}

/**
 * Stops a container: its stop signal, then SIGKILL after `timeout` seconds.
 * Resolves once the container is down and cleaned up (by its monitor, or by
 * us when the monitor is gone). Stopping a stopped container is a no-op.
 */
export async function stopContainer(ctx: EngineContext, nameOrId: string, timeout?: number): Promise<ContainerInfo> {
  const info = await resolveContainer(ctx, nameOrId);
  const { record } = info;
  if (info.state.status === 'running') {
    const seconds = timeout ?? record.stopTimeout;
    if (seconds > 0) {
      await killContainer(record.runtime, ctx.layout.runtimeRoot, record.id, parseSignal(record.stopSignal));
      if (await waitUntilDown(ctx, record.id, seconds * 1000)) return finishStop(ctx, record.id);
    }
    await killContainer(record.runtime, ctx.layout.runtimeRoot, record.id, 'KILL');
    if (!(await waitUntilDown(ctx, record.id, 10_000))) {
      throw new ContainerStateError(`container ${record.name} did not exit after SIGKILL`);
    }
  }
  return finishStop(ctx, record.id);
}

async function finishStop(ctx: EngineContext, id: string): Promise<ContainerInfo> {
  await repairContainer(ctx, id);
  return (await loadContainer(ctx, id)) ?? (await Promise.reject(new Error(`container ${id} vanished while stopping`)));
}

/**
 * True once neither the container's process nor its monitor is alive (the
 * monitor writes the exit code and tears down before it exits), or the
 * container was removed (--rm).
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
 * the runtime's record, and write the state as exited. Idempotent; a no-op
 * for containers whose monitor did its job.
 */
export async function repairContainer(ctx: EngineContext, id: string): Promise<void> {
  const store = new ContainerStore(ctx.layout);
  const stored = await store.readState(id);
  if (!stored || stored.status !== 'running') return;
  if (processAlive(stored.monitorPid, stored.monitorStartTime) || processAlive(stored.pid, stored.pidStartTime)) return;
  const monitor = JSON.parse(readFileSync(join(ctx.layout.containerDir(id), 'monitor.json'), 'utf8')) as MonitorConfig;
  await teardownContainer(monitor.storage, monitor.netnsFile);
  await deleteContainer(monitor.runtime, ctx.layout.runtimeRoot, id);
  await store.writeState(id, {
    status: 'exited',
    exitCode: stored.exitCode ?? -1,
    startedAt: stored.startedAt,
    finishedAt: new Date().toISOString(),
    error: 'the container monitor was killed; the exit code is unknown',
  });
  if (monitor.autoRemove) await removeContainerFiles(ctx, id, monitor.name);
}

export interface ContainerRemoveOptions {
  force: boolean;
  /** Seconds to wait for a graceful stop before SIGKILL, with --force. */
  timeout?: number;
}

/**
 * Removes a container. A running one is refused unless `force`, which
 * kills it first. Removing files owned by sub-ids needs the namespace.
 */
export async function removeContainer(ctx: EngineContext, nameOrId: string, options: ContainerRemoveOptions): Promise<ContainerInfo> {
  const info = await resolveContainer(ctx, nameOrId);
  if (info.state.status === 'running') {
    if (!options.force) {
      throw new ContainerStateError(
        `cannot remove container ${info.record.id} as it is running - running or paused containers cannot be removed without force: container state improper`,
        'stop it first, or use `skiff rm -f`',
      );
    }
    await stopContainer(ctx, info.record.id, options.timeout ?? 0);
  }
  await repairContainer(ctx, info.record.id);
  await deleteContainer(info.record.runtime, ctx.layout.runtimeRoot, info.record.id);
  await removeContainerFiles(ctx, info.record.id, info.record.name);
  return info;
}

async function removeContainerFiles(ctx: EngineContext, id: string, name: string): Promise<void> {
  const dir = ctx.layout.containerDir(id);
  // Remove state.json first: the container stops being listed before its files go.
  await fsp.rm(ctx.layout.containerState(id), { force: true });
  await fsp.rm(dir, { recursive: true, force: true });
  await new ContainerStore(ctx.layout).releaseName(name, id);
  await fsp.rm(ctx.layout.attachSocket(id), { force: true });
}

/**
 * Waits until the container is no longer running and returns its exit code
 * (`skiff wait`). A container removed meanwhile (--rm) yields undefined.
 */
export async function waitContainer(ctx: EngineContext, nameOrId: string): Promise<number | undefined> {
  const info = await resolveContainer(ctx, nameOrId);
  let delay = 10;
  for (;;) {
    const current = await loadContainer(ctx, info.record.id);
    if (!current) return undefined;
    // As podman: a created container is waited for until it has run and exited.
    if (current.state.status === 'exited' || current.state.status === 'stopped') return current.state.exitCode ?? 0;
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}
