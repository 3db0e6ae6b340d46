/**
 * A container's mounts at create: the parsed -v/--mount/--tmpfs requests,
 * --volumes-from and the image's VOLUMEs become runtime mounts, the
 * record's volumes and inspect entries, and the work its monitor does at
 * each start (MountPreparation). Planning checks everything and writes
 * nothing; applying creates the volumes it needs, and undoing removes them
 * again when the create fails later.
 */
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { MountPreparation } from '../../../monitor/protocol.js';
import type { ContainerSpec } from '../../../runtime/spec/container-spec.js';
import { VOLUME_NAME_PATTERN, VolumeStore, type VolumeRecord } from '../../../store/volumes.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { newId } from '../../../util/ids.js';
import type { EngineContext } from '../../context.js';
import type { ContainerRecord, MountInfo } from '../record.js';
import { parseMountFlags, runtimeMountOptions, type MountRequest } from './parse.js';

type SpecMount = NonNullable<ContainerSpec['mounts']>[number];

export interface MountPlanInput {
  volume: string[];
  mount: string[];
  tmpfs: string[];
  /** --volumes-from values, CTR[:ro|rw]. */
  volumesFrom: string[];
  /** The image's VOLUME paths (config.Volumes' keys). */
  imageVolumes: string[];
  /** The container's user, resolved: owner of new volumes and target of U. */
  user: { uid: number; gid: number };
  storageDriver: 'overlay' | 'vfs';
  /** Where a relative host path is relative to: the caller's directory. */
  cwd?: string;
  /** --read-only with --read-only-tmpfs (podman's default): writable tmpfs on /run, /tmp and /var/tmp unless mounted otherwise. */
  readOnlyTmpfs?: boolean;
  /** --image-volume: the image's VOLUMEs as anonymous volumes (bind, the default), tmpfs, or not at all (ignore). */
  imageVolumeMode?: string;
  /**
   * The container's own id maps (--userns=keep-id, --uidmap), container id
   * → id of skiff's namespace: U and a new volume's owner go through them,
   * as podman chowns to the host side of the container's user.
   */
  idMappings?: { uidMap: IdRange[]; gidMap: IdRange[] };
}

/** One line of an id map: `size` ids from `containerID` are `hostID`... outside. */
export interface IdRange { containerID: number; hostID: number; size: number }

/**
 * `id` of the container as skiff's namespace sees it, through `map` (none:
 * the same). An id the map leaves out cannot own anything: refused.
 */
export function idThroughMap(id: number, map: IdRange[] | undefined, what: string): number {
  if (!map?.length) return id;
  const range = map.find((r) => id >= r.containerID && id < r.containerID + r.size);
  if (!range) throw new InvalidArgumentError(`the container's ${what} ${id} is not mapped in its user namespace: U and volume ownership need a mapped user`);
  return range.hostID + (id - range.containerID);
}

/** One planned mount; `volume` ones get their name (and maybe creation) when applied. */
type Planned =
  | { kind: 'bind'; source: string; destination: string; options: string[]; flags: string[] }
  | { kind: 'volume'; name?: string; destination: string; options: string[]; flags: string[]; fromImage?: boolean }
  | { kind: 'tmpfs' | 'devpts'; destination: string; options: string[] }
  | { kind: 'overlay'; source: string; destination: string; flags: string[] }
  | { kind: 'image'; image: string; lowerDirs: string[]; destination: string; readWrite: boolean };

export interface MountPlan {
  planned: Planned[];
  user: { uid: number; gid: number };
  /** Volumes `apply` created (named on first use, anonymous): removed by `undo`. */
  created: string[];
}

export interface AppliedMounts {
  spec: SpecMount[];
  record: MountInfo[];
  volumes: NonNullable<ContainerRecord['volumes']>;
  prep?: MountPreparation;
}

/** Words of -v/--mount that steer skiff, not mount(2). */
const SKIFF_WORDS = ['z', 'Z', 'U', 'copy', 'nocopy', 'O'];
const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'];

/**
 * Checks every mount flag and what it names, writing nothing: malformed
 * values, bind sources that do not exist (podman's `statfs PATH: no such
 * file or directory`), invalid volume names, --volumes-from containers and
 * --mount type=image images that do not exist.
 * @throws InvalidArgumentError (exit 125) with podman's message.
 */
export async function planMounts(ctx: EngineContext, input: MountPlanInput): Promise<MountPlan> {
  const requests = parseMountFlags({ volume: input.volume, mount: input.mount, tmpfs: input.tmpfs });
  const planned: Planned[] = [];
  for (const request of requests) planned.push(await planOne(ctx, request, input));
  const taken = new Set(planned.map((p) => p.destination));
  if (input.readOnlyTmpfs) {
    for (const destination of ['/tmp', '/var/tmp', '/run']) {
      if (taken.has(destination)) continue;
      taken.add(destination);
      planned.push({ kind: 'tmpfs', destination, options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    }
  }
  for (const value of input.volumesFrom) {
    for (const p of await volumesFrom(ctx, value)) {
      if (taken.has(p.destination)) continue;
      taken.add(p.destination);
      planned.push(p);
    }
  }
  const mode = input.imageVolumeMode ?? 'bind';
  if (!['bind', 'tmpfs', 'ignore'].includes(mode)) throw new InvalidArgumentError(`invalid image volume mode "${mode}" required value: bind, tmpfs, ignore`);
  // Each VOLUME not mounted otherwise: an anonymous volume (bind), or a tmpfs gone with the container.
  for (const raw of mode === 'ignore' ? [] : input.imageVolumes) {
    const destination = resolvePath('/', raw);
    if (taken.has(destination)) continue;
    taken.add(destination);
    if (mode === 'tmpfs') planned.push({ kind: 'tmpfs', destination, options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    else planned.push({ kind: 'volume', destination, options: runtimeMountOptions([], 'bind', ['nosuid', 'nodev']), flags: [], fromImage: true });
  }
  const user = {
    uid: idThroughMap(input.user.uid, input.idMappings?.uidMap, 'uid'),
    gid: idThroughMap(input.user.gid, input.idMappings?.gidMap, 'gid'),
  };
  return { planned, user, created: [] };
}

async function planOne(ctx: EngineContext, request: MountRequest, input: MountPlanInput): Promise<Planned> {
  switch (request.type) {
    case 'bind': {
      const source = hostSource(request.source, input.cwd);
      return { kind: 'bind', source, destination: request.destination, options: runtimeMountOptions(request.options, 'bind', inheritedFlags(source)), flags: request.options.filter((o) => SKIFF_WORDS.includes(o)) };
    }
    case 'overlay': {
      const source = hostSource(request.source, input.cwd);
      if (input.storageDriver !== 'overlay') throw new InvalidArgumentError(`overlay volume ${request.source}:${request.destination}:O needs the overlay storage driver`);
      return { kind: 'overlay', source, destination: request.destination, flags: request.options };
    }
    case 'volume': {
      if (request.name !== undefined && !VOLUME_NAME_PATTERN.test(request.name)) {
        throw new InvalidArgumentError(`creating named volume "${request.name}": running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`);
      }
      return { kind: 'volume', ...(request.name ? { name: request.name } : {}), destination: request.destination, options: runtimeMountOptions(request.options, 'bind', ['nosuid', 'nodev']), flags: request.options.filter((o) => SKIFF_WORDS.includes(o)) };
    }
    case 'tmpfs':
      return { kind: 'tmpfs', destination: request.destination, options: runtimeMountOptions(request.options, 'tmpfs', ['nosuid', 'nodev']) };
    case 'devpts':
      return { kind: 'devpts', destination: request.destination, options: request.options };
    case 'image': {
      if (input.storageDriver !== 'overlay') throw new InvalidArgumentError('--mount type=image needs the overlay storage driver');
      const { resolveImage } = await import('../../image/images.js');
      const image = await resolveImage(ctx, request.source);
      return { kind: 'image', image: request.source, lowerDirs: image.record.layers.map((l) => ctx.layout.layerDiff(l)), destination: request.destination, readWrite: request.readWrite };
    }
  }
}

/**
 * A bind source as podman takes it: `./x` with its links resolved, other
 * relative paths made absolute; it must exist for the calling user.
 */
function hostSource(source: string, cwd = process.cwd()): string {
  let path = source;
  if (source.startsWith('./')) {
    try {
      path = realpathSync(resolvePath(cwd, source));
    } catch (err) {
      throw new InvalidArgumentError(`lstat ${source.slice(2)}: ${errnoText(err)}`);
    }
  }
  path = resolvePath(cwd, path);
  try {
    statfsSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`statfs ${path}: ${errnoText(err)}`);
  }
  return path;
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  return (err as Error).message;
}

/**
 * The nosuid/nodev/noexec flags of the mount that holds `path`: a user
 * namespace may not clear them on a bind mount, so podman passes them on.
 */
export function inheritedFlags(path: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // checked by the caller; a race leaves the path as given
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  let best: { point: string; options: string[] } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6) continue;
    const point = unescape(fields[4]!);
    const inside = point === '/' || real === point || real.startsWith(point + '/');
    // The last of equal mount points is the one on top.
    if (inside && (!best || point.length >= best.point.length)) best = { point, options: fields[5]!.split(',') };
  }
  return (best?.options ?? []).filter((o) => o === 'nosuid' || o === 'nodev' || o === 'noexec');
}

/** The bind and volume mounts of CTR, for `--volumes-from CTR[:ro|rw]`. */
async function volumesFrom(ctx: EngineContext, value: string): Promise<Planned[]> {
  const [nameOrId, mode, ...rest] = value.split(':');
  if (rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new InvalidArgumentError(`invalid options ${mode ?? ''} for --volumes-from ${value}: only ro or rw`);
  }
  const { resolveContainer } = await import('../record.js');
  let record: ContainerRecord;
  try {
    record = (await resolveContainer(ctx, nameOrId!)).record;
  } catch (err) {
    throw new InvalidArgumentError(`looking up container "${nameOrId}" for volumes-from: ${(err as Error).message}`);
  }
  const out: Planned[] = [];
  for (const m of record.mounts ?? []) {
    if (m.type !== 'bind' && m.type !== 'volume') continue;
    const rw = mode === undefined ? m.rw : mode === 'rw';
    const options = [rw ? 'rw' : 'ro', m.propagation, ...m.options];
    const flags = (m.flags ?? []).filter((f) => f !== 'U');
    if (m.type === 'volume') out.push({ kind: 'volume', name: m.name, destination: m.destination, options, flags: [...flags.filter((f) => f !== 'copy'), 'nocopy'] });
    else out.push({ kind: 'bind', source: m.source, destination: m.destination, options, flags });
  }
  return out;
}

/**
 * Creates the volumes the plan needs (a named one on first use, each
 * anonymous one) and returns the runtime mounts, the record's entries and
 * the monitor's work. `containerDir` holds the per-container overlay and
 * image mount points. Records what it created in `plan.created`.
 */
export async function applyMounts(ctx: EngineContext, plan: MountPlan, containerDir: string): Promise<AppliedMounts> {
  const store = new VolumeStore(ctx.layout.volumesDir);
  const out: AppliedMounts = { spec: [], record: [], volumes: [] };
  const prep: MountPreparation = { user: plan.user, volumes: [], chown: [], overlays: [], images: [] };
  let n = 0;
  for (const p of plan.planned) {
    n++;
    switch (p.kind) {
      case 'bind':
        out.spec.push({ destination: p.destination, type: 'bind', source: p.source, options: p.options });
        out.record.push(info('bind', p.source, p.destination, p.options, p.flags));
        if (p.flags.includes('U')) prep.chown.push(p.source);
        break;
      case 'volume': {
        const volume = await ensureVolume(store, p.name, plan);
        const source = store.dataDir(volume.name);
        out.spec.push({ destination: p.destination, type: 'bind', source, options: p.options });
        out.record.push({ ...info('volume', source, p.destination, p.options, p.flags), name: volume.name });
        out.volumes.push({ name: volume.name, destination: p.destination, anonymous: volume.anonymous });
        const mount = volumeMount(volume);
        prep.volumes.push({
          name: volume.name, destination: p.destination, copyUp: !p.flags.includes('nocopy'), ...(volume.anonymous ? { anonymous: true } : {}),
          ...(mount ? { mount } : {}),
        });
        if (p.flags.includes('U')) prep.chown.push(source);
        break;
      }
      case 'tmpfs':
      case 'devpts':
        out.spec.push({ destination: p.destination, type: p.kind, source: p.kind, options: p.options });
        out.record.push(info(p.kind, p.kind, p.destination, p.options, []));
        break;
      case 'overlay': {
        const dir = join(containerDir, 'overlay', String(n));
        const merged = join(dir, 'merged');
        prep.overlays.push({ lower: p.source, upper: join(dir, 'upper'), work: join(dir, 'work'), merged });
        const options = ['rbind', 'rprivate', 'rw'];
        out.spec.push({ destination: p.destination, type: 'bind', source: merged, options });
        out.record.push(info('bind', p.source, p.destination, options, p.flags));
        if (p.flags.includes('U')) prep.chown.push(merged);
        break;
      }
      case 'image': {
        const dir = join(containerDir, 'image-mounts', String(n));
        const merged = join(dir, 'merged');
        prep.images.push({ lowerDirs: p.lowerDirs, merged, ...(p.readWrite ? { upper: join(dir, 'upper'), work: join(dir, 'work') } : {}) });
        const options = ['rbind', 'rprivate', p.readWrite ? 'rw' : 'ro'];
        out.spec.push({ destination: p.destination, type: 'bind', source: merged, options });
        out.record.push({ ...info('image', merged, p.destination, options, []), name: p.image });
        break;
      }
    }
  }
  if (prep.volumes.some((v) => v.mount)) prep.heldFile = join(containerDir, 'volumes-held');
  if (prep.volumes.length || prep.chown.length || prep.overlays.length || prep.images.length) out.prep = prep;
  return out;
}

/**
 * What mount(8) puts on a volume's _data for `volume create -o type=,device=,o=`,
 * as podman's local driver: type=bind is a bind of the device directory
 * (`-t none -o bind`); no type or device is a plain directory.
 */
function volumeMount(volume: VolumeRecord): { type: string; device: string; options: string } | undefined {
  const { type, device, o } = volume.options;
  if (!type && !device) return undefined;
  if (type === 'bind' || ((type === undefined || type === 'none') && (o ?? '').split(',').some((x) => x === 'bind' || x === 'rbind'))) {
    const rest = (o ?? '').split(',').filter((x) => x && x !== 'bind' && x !== 'rbind');
    return { type: 'none', device: device ?? '', options: ['rbind', ...rest].join(',') };
  }
  return { type: type ?? 'none', device: device ?? type ?? 'none', options: o ?? '' };
}

function info(type: MountInfo['type'], source: string, destination: string, options: string[], flags: string[]): MountInfo {
  return {
    type, source, destination,
    options: options.filter((o) => o !== 'rw' && o !== 'ro' && !PROPAGATIONS.includes(o)),
    rw: !options.includes('ro'),
    propagation: options.find((o) => PROPAGATIONS.includes(o)) ?? '',
    ...(flags.length ? { flags } : {}),
  };
}

/**
 * The named volume `name`, created empty when missing (podman makes it on
 * first use), or a new anonymous volume when `name` is undefined. A new
 * volume needs copy-up and chown, done by the container's monitor.
 */
async function ensureVolume(store: VolumeStore, name: string | undefined, plan: MountPlan): Promise<VolumeRecord> {
  return store.withLock(async () => {
    if (name !== undefined && (await store.exists(name))) return store.get(name);
    const record: VolumeRecord = {
      name: name ?? newId(), driver: 'local', createdAt: new Date().toISOString(), labels: {}, options: {},
      anonymous: name === undefined, needsCopyUp: true, needsChown: true,
    };
    await store.addLocked(record);
    plan.created.push(record.name);
    return record;
  });
}

/** Removes the volumes `applyMounts` created, for a create that failed after it. Never throws. */
export async function undoMounts(ctx: EngineContext, plan: MountPlan): Promise<void> {
  const store = new VolumeStore(ctx.layout.volumesDir);
  await store.withLock(async () => {
    for (const name of plan.created) await store.removeLocked(name);
  }).catch(() => undefined);
}

