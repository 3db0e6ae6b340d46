import type { ContainerSpec } from '../../runtime/spec/container-spec.js';
import type { RuntimeRef } from '../../runtime/driver.js';
import type { PortMapping } from '../../network/ports.js';
import { ContainerStore, type ContainerState, type ContainerStatus } from '../../store/containers.js';
import { pathExists, processAlive } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';

export type { PortMapping };
import type { ContainerLogConfig } from './log-config.js';

/** The immutable half of a container: containers/<id>/config.json. */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** `name`: the image's name the container was created from (the one the user gave, podman's ImageName); `digest`: its manifest's. */
  image: { id: string; name: string; digest?: string };
  /** Entrypoint and Cmd as resolved at create time (inspect's Path/Args). */
  entrypoint: string[];
  cmd: string[];
  spec: ContainerSpec;
  autoRemove: boolean;
  interactive: boolean;
  /** With the --runtime-flag flags given at create, used for every runtime command on the container. */
  runtime: RuntimeRef;
  /** The runtime as the user named it (--runtime NAME or PATH), else its name: inspect's OCIRuntime. */
  ociRuntime?: string;
  storageDriver: 'overlay' | 'vfs';
  stopSignal: string;
  stopTimeout: number;
  /** The --network value as given (none, host, slirp4netns[:opts]). */
  networkMode: string;
  /** --userns as given (inspect's UsernsMode); absent for the default. */
  userns?: string;
  /** Published ports (-p, -P), as podman's PortMapping, random host ports already chosen; absent when none. */
  ports?: PortMapping[];
  /** Exposed ports (image EXPOSE and --expose) as `PORT/PROTO`, for inspect. */
  exposedPorts?: string[];
  /** --log-driver and --log-opt; absent in records older than them (k8s-file at the default place). */
  log?: ContainerLogConfig;
  /** --conmon-pidfile as given (absolute); inspect's ConmonPidFile. */
  monitorPidFile?: string;
  /** --timeout in seconds: the monitor kills the container after it; undefined for no limit. */
  timeout?: number;
  /** --dns, --dns-search, --dns-option and --add-host as given (inspect's HostConfig); absent when none was. */
  dnsConfig?: { servers: string[]; searches: string[]; options: string[]; extraHosts: string[] };
  /**
   * The volumes the container mounts (named, anonymous, and those of
   * --volumes-from), by name: `volume rm` refuses a volume in use, and
   * `rm -v` removes the anonymous ones. Absent when it mounts none.
   */
  volumes?: { name: string; destination: string; anonymous: boolean }[];
  /** Every -v/--mount/--tmpfs/--volumes-from/image VOLUME mount, as inspect's Mounts shows them; absent when none. */
  mounts?: MountInfo[];
}

/** One user mount of a container (podman's InspectMount, less what derives from it). */
export interface MountInfo {
  type: 'bind' | 'volume' | 'tmpfs' | 'devpts' | 'image';
  /** The volume's name (type volume), or the image's (type image). */
  name?: string;
  /** Host path (bind, volume: its _data), or tmpfs/devpts. */
  source: string;
  destination: string;
  /** Mount options as the runtime gets them, less rw/ro and the propagation. */
  options: string[];
  rw: boolean;
  propagation: string;
  /** The -v/--mount words that are not mount options (z, U, nocopy, O), kept for --volumes-from and Binds. */
  flags?: string[];
}

/** A container's record with its observed state. */
export interface ContainerInfo {
  record: ContainerRecord;
  state: ContainerState;
  /** True when the monitor is gone but state.json still says running. */
  monitorLost: boolean;
}

/** Running or paused: the container's processes exist (stopped or not) and its monitor serves it. */
export function isRunningOrPaused(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused';
}

/**
 * Reads a container's state and corrects it by looking at the processes: a
 * monitor killed with -9 cannot record an exit, so `running` (or `paused`)
 * is trusted only while the monitor or the container's own process lives. Read-only: the
 * repair itself is `repairContainer`, done by start, stop and rm.
 */
export function observedState(stored: ContainerState): { state: ContainerState; monitorLost: boolean } {
  if (!isRunningOrPaused(stored.status)) return { state: stored, monitorLost: false };
  if (processAlive(stored.monitorPid, stored.monitorStartTime)) return { state: stored, monitorLost: false };
  if (processAlive(stored.pid, stored.pidStartTime)) return { state: stored, monitorLost: true };
  // Exit code unknown: nobody was there to collect it (podman reports -1 too).
  return { state: { ...stored, status: 'exited', exitCode: stored.exitCode ?? -1, pid: undefined, pause: undefined }, monitorLost: true };
}

/**
 * True while a `stop` waits for this run of a running container to exit
 * (podman's "stopping" state): the stop recorded itself and still lives.
 */
export function stopInProgress(state: ContainerState): boolean {
  const by = state.stoppingBy;
  return state.status === 'running' && by !== undefined && by.startedAt === state.startedAt && processAlive(by.pid, by.pidStartTime);
}

/** A listed container (config.json and state.json both there) with its observed state; undefined otherwise. */
export async function loadContainer(ctx: EngineContext, id: string): Promise<ContainerInfo | undefined> {
  const store = new ContainerStore(ctx.layout);
  const record = await store.readConfig<ContainerRecord>(id);
  const stored = await store.readState(id);
  if (!record || !stored) return undefined;
  const { state, monitorLost } = observedState(stored);
  return { record, state, monitorLost };
}

/**
 * Finds a container's id by full id, exact name, or unique id prefix, in
 * podman's order of precedence. Only listed containers count, unless
 * `includeRemoving` (for `rm`): then also those whose removal was interrupted.
 */
export async function resolveContainerId(ctx: EngineContext, nameOrId: string, options: { includeRemoving?: boolean } = {}): Promise<string> {
  const store = new ContainerStore(ctx.layout);
  const ids = await containerIds(ctx, options);
  let id = ids.find((i) => i === nameOrId);
  if (!id) {
    const byName = await store.idForName(nameOrId);
    if (byName && ids.includes(byName)) id = byName;
  }
  if (!id && /^[0-9a-f]+$/.test(nameOrId)) {
    const matches = ids.filter((i) => i.startsWith(nameOrId));
    if (matches.length === 1) id = matches[0];
  }
  if (!id) throw new NoSuchContainerError(nameOrId);
  return id;
}

/** Finds a listed container by full id, exact name, or unique id prefix (see resolveContainerId). */
export async function resolveContainer(ctx: EngineContext, nameOrId: string): Promise<ContainerInfo> {
  const id = await resolveContainerId(ctx, nameOrId);
  const info = await loadContainer(ctx, id);
  if (!info) throw new NoSuchContainerError(nameOrId);
  return info;
}

/**
 * Ids of the listed containers, plus with `includeRemoving` those whose
 * removal was interrupted (`rm -a` finishes them; `ps` never shows them).
 */
export async function containerIds(ctx: EngineContext, options: { includeRemoving?: boolean } = {}): Promise<string[]> {
  const store = new ContainerStore(ctx.layout);
  const ids = await store.ids();
  const keep = await Promise.all(ids.map(async (id) => {
    if (await pathExists(ctx.layout.containerState(id))) return pathExists(ctx.layout.containerConfig(id));
    return Boolean(options.includeRemoving) && store.isRemoving(id);
  }));
  return ids.filter((_, i) => keep[i]);
}

export interface ContainerListOptions {
  /** Containers in every state; only running ones otherwise (`ps` without -a). */
  all?: boolean;
  /** Only the most recently created one, whatever its state (`ps -l`). */
  latest?: boolean;
}

/**
 * The containers, newest first; every one unless `options` narrows it (ps's
 * -a and -l). As podman, -l implies -a: the latest created container is
 * shown even when an older one is the latest running.
 */
export async function listContainers(ctx: EngineContext, options: ContainerListOptions = { all: true }): Promise<ContainerInfo[]> {
  const ids = await new ContainerStore(ctx.layout).ids();
  const infos = await Promise.all(ids.map((id) => loadContainer(ctx, id)));
  let list = infos.filter((i): i is ContainerInfo => i !== undefined).sort((a, b) => b.record.created.localeCompare(a.record.created));
  if (options.latest) return list.slice(0, 1);
  if (!options.all) list = list.filter((c) => c.state.status === 'running');
  return list;
}
