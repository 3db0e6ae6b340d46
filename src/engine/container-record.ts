import type { ContainerSpec } from '../runtime/spec/container-spec.js';
import type { RuntimeName } from '../runtime/driver.js';
import { ContainerStore, type ContainerState } from '../store/containers.js';
import { processAlive } from '../util/fs.js';
import type { EngineContext } from './context.js';
import { NoSuchContainerError } from './errors.js';

/** The immutable half of a container: containers/<id>/config.json. */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  image: { id: string; name: string };
  /** Entrypoint and Cmd as resolved at create time (inspect's Path/Args). */
  entrypoint: string[];
  cmd: string[];
  spec: ContainerSpec;
  autoRemove: boolean;
  interactive: boolean;
  runtime: { name: RuntimeName; path: string };
  storageDriver: 'overlay' | 'vfs';
  stopSignal: string;
  stopTimeout: number;
  /** The --network value as given (none, host, slirp4netns[:opts]). */
  networkMode: string;
}

/** A container's record with its observed state. */
export interface ContainerInfo {
  record: ContainerRecord;
  state: ContainerState;
  /** True when the monitor is gone but state.json still says running. */
  monitorLost: boolean;
}

/**
 * Reads a container's state and corrects it by looking at the processes: a
 * monitor killed with -9 cannot record an exit, so `running` is trusted only
 * while the monitor or the container's own process lives. Read-only: the
 * repair itself is `repairContainer`, done by stop and rm.
 */
export function observedState(stored: ContainerState): { state: ContainerState; monitorLost: boolean } {
  if (stored.status !== 'running') return { state: stored, monitorLost: false };
  if (processAlive(stored.monitorPid, stored.monitorStartTime)) return { state: stored, monitorLost: false };
  if (processAlive(stored.pid, stored.pidStartTime)) return { state: stored, monitorLost: true };
  // Exit code unknown: nobody was there to collect it (podman reports -1 too).
  return { state: { ...stored, status: 'exited', exitCode: stored.exitCode ?? -1, pid: undefined }, monitorLost: true };
}

export async function loadContainer(ctx: EngineContext, id: string): Promise<ContainerInfo | undefined> {
  const store = new ContainerStore(ctx.layout);
  const record = await store.readConfig<ContainerRecord>(id);
  const stored = await store.readState(id);
  if (!record || !stored) return undefined;
  const { state, monitorLost } = observedState(stored);
  return { record, state, monitorLost };
}

/**
 * Finds a container by full id, exact name, or unique id prefix, in
 * podman's order of precedence.
 */
export async function resolveContainer(ctx: EngineContext, nameOrId: string): Promise<ContainerInfo> {
  const store = new ContainerStore(ctx.layout);
  const ids = await store.ids();
  let id = ids.find((i) => i === nameOrId);
  if (!id) {
    const byName = await store.idForName(nameOrId);
    if (byName && ids.includes(byName)) id = byName;
  }
  if (!id && /^[0-9a-f]+$/.test(nameOrId)) {
    const matches = ids.filter((i) => i.startsWith(nameOrId));
    if (matches.length === 1) id = matches[0];
  }
  const info = id ? await loadContainer(ctx, id) : undefined;
  if (!info) throw new NoSuchContainerError(nameOrId);
  return info;
}

export async function listContainers(ctx: EngineContext): Promise<ContainerInfo[]> {
  const ids = await new ContainerStore(ctx.layout).ids();
  const infos = await Promise.all(ids.map((id) => loadContainer(ctx, id)));
  return infos.filter((i): i is ContainerInfo => i !== undefined).sort((a, b) => b.record.created.localeCompare(a.record.created));
}
