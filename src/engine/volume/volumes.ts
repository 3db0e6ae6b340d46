import { randomBytes } from 'node:crypto';
import { NoSuchVolumeError, VOLUME_NAME_PATTERN, VolumeStore, type VolumeRecord } from '../../store/volumes.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { parseUntil } from '../container/filters.js';
import { listContainers, type ContainerInfo } from '../container/record.js';

export { NoSuchVolumeError, type VolumeRecord };

/** The volume store of this engine context. */
export function volumeStore(ctx: EngineContext): VolumeStore {
  return new VolumeStore(ctx.layout.volumesDir);
}

export class VolumeExistsError extends SkiffError {
  constructor(name: string) {
    super('EVOLUMEEXISTS', `volume with name ${name} already exists: volume already exists`);
  }
}

export class VolumeInUseError extends SkiffError {
  constructor(name: string, ids: string[]) {
    super('EVOLUMEINUSE', `volume ${name} is being used by the following container(s): ${ids.join(', ')}: volume is being used`);
  }
}

export interface VolumeCreateOptions {
  /** Absent: a random 64-hex name, as podman's anonymous volumes. */
  name?: string;
  driver: string;
  labels: Record<string, string>;
  /** `-o` options: type, device, o, uid, gid, size, inodes, nocopy. */
  options: Record<string, string>;
  anonymous: boolean;
  /** An existing volume of that name is returned instead of an error (`--ignore`). */
  ignore: boolean;
}

/** The `-o` keys of podman's local driver. */
const LOCAL_OPTIONS = new Set(['type', 'device', 'o', 'uid', 'gid', 'size', 'inodes', 'nocopy', 'noquota']);

function parseId(options: Record<string, string>, key: 'uid' | 'gid'): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`cannot convert ${key.toUpperCase()} ${value} to integer: invalid argument`);
  return Number(value);
}

/**
 * Creates a volume (`volume create`, and named or anonymous `-v` volumes):
 * the name checked with podman's rule and reserved under the volumes lock,
 * then `_data` made and, with `-o uid=/gid=`, chowned to those ids of the
 * user namespace. With `ignore`, an existing volume of that name is returned
 * untouched. Takes the volumes lock itself; throws InvalidArgumentError for
 * a bad name or option and VolumeExistsError for a name in use.
 */
export async function createVolume(ctx: EngineContext, input: VolumeCreateOptions): Promise<VolumeRecord> {
  const name = input.name ?? randomBytes(32).toString('hex');
  if (!VOLUME_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError('running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument');
  }
  if (input.driver !== 'local') {
    throw new SkiffError('ENOPLUGIN', `volume ${name} uses volume plugin ${input.driver} but it could not be retrieved: no volume plugin with name ${input.driver} available: required plugin missing`);
  }
  for (const key of Object.keys(input.options)) {
    if (!LOCAL_OPTIONS.has(key)) throw new InvalidArgumentError(`invalid mount option ${key} for driver 'local': invalid argument`);
  }
  const type = input.options.type;
  if (input.options.device !== undefined && type === undefined) {
    throw new InvalidArgumentError(`must provide mount type when providing device: invalid argument`);
  }
  if (type === 'bind' || (type === 'none' && /(^|,)r?bind(,|$)/.test(input.options.o ?? ''))) {
    const device = input.options.device ?? '';
    const { promises: fsp } = await import('node:fs');
    await fsp.stat(device).catch((err: NodeJS.ErrnoException) => {
      throw new InvalidArgumentError(`invalid volume option device for driver 'local': stat ${device}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
    });
  }
  const uid = parseId(input.options, 'uid');
  const gid = parseId(input.options, 'gid');
  const store = volumeStore(ctx);
  const record: VolumeRecord = {
    name,
    driver: 'local',
    createdAt: new Date().toISOString(),
    labels: { ...input.labels },
    options: { ...input.options },
    anonymous: input.anonymous,
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
    needsCopyUp: input.options.nocopy === undefined,
    needsChown: true,
  };
  const made = await store.withLock(async () => {
    if (await store.exists(name)) {
      if (input.ignore) return false;
      throw new VolumeExistsError(name);
    }
    await store.addLocked(record);
    return true;
  });
  if (!made) return store.get(name);
  if (uid !== undefined || gid !== undefined) {
    const owner = `${uid ?? 0}:${gid ?? 0}`;
    const chown = await ctx.execInNamespace(['chown', owner, store.dataDir(name)]);
    if (chown.exitCode !== 0) {
      await store.withLock(() => store.removeLocked(name));
      throw new SkiffError('ECHOWN', `cannot chown volume ${name} to ${owner}: ${chown.stderr.trim()}`);
    }
  }
  return record;
}

/** A volume by its exact name; NoSuchVolumeError otherwise. No lock needed. */
export async function getVolume(ctx: EngineContext, name: string): Promise<VolumeRecord> {
  return volumeStore(ctx).get(name);
}

/** `volume exists`: true when a volume has exactly that name. */
export async function volumeExists(ctx: EngineContext, name: string): Promise<boolean> {
  return volumeStore(ctx).exists(name);
}

/** The containers (any state) that mount the volume, newest first. */
export function containersUsing(containers: ContainerInfo[], name: string): ContainerInfo[] {
  return containers.filter((c) => (c.record.volumes ?? []).some((v) => v.name === name));
}

/** Names of every volume some container (any state) mounts. */
export function volumesInUse(containers: ContainerInfo[]): Set<string> {
  return new Set(containers.flatMap((c) => (c.record.volumes ?? []).map((v) => v.name)));
}

export interface VolumeRemoveOptions {
  /** Remove the containers that use the volume first (running ones stopped). */
  force: boolean;
  /** Seconds to wait for each container to stop, with force. */
  timeout?: number;
}

/**
 * Removes a volume (`volume rm`). A volume a container mounts (in any
 * state) is refused with VolumeInUseError unless `force`, which removes
 * those containers first, as podman does. Takes the volumes lock; run in
 * the user namespace (data written by containers belongs to sub-ids, and a
 * tmpfs volume is mounted there). Returns the name.
 */
export async function removeVolume(ctx: EngineContext, name: string, options: VolumeRemoveOptions): Promise<string> {
  const store = volumeStore(ctx);
  await store.get(name);
  const users = containersUsing(await listContainers(ctx), name);
  if (users.length && !options.force) throw new VolumeInUseError(name, users.map((c) => c.record.id));
  if (users.length) {
    const { removeContainer } = await import('../container/lifecycle.js');
    for (const c of users) await removeContainer(ctx, c.record.id, { force: true, timeout: options.timeout });
  }
  await store.withLock(async () => {
    const record = await store.get(name);
    // A container created with it meanwhile would mount a missing volume.
    const now = containersUsing(await listContainers(ctx), name);
    if (now.length) throw new VolumeInUseError(name, now.map((c) => c.record.id));
    if ((record.mountCount ?? 0) > 0) await ctx.execInNamespace(['umount', '-l', store.dataDir(name)]);
    await store.removeLocked(name);
  });
  return name;
}

export interface VolumeFilter {
  key: 'name' | 'driver' | 'scope' | 'label' | 'label!' | 'opt' | 'until' | 'dangling';
  value: string;
}

const LIST_KEYS = ['name', 'driver', 'scope', 'label', 'label!', 'opt', 'until', 'dangling'] as const;
const PRUNE_KEYS = ['label', 'label!', 'until'] as const;

/** Parses `volume ls|prune --filter` values; podman's message for an unknown key. */
export function parseVolumeFilters(specs: string[], prune = false): VolumeFilter[] {
  const keys: readonly string[] = prune ? PRUNE_KEYS : LIST_KEYS;
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? '' : spec.slice(eq + 1);
    if (!keys.includes(key)) throw new InvalidArgumentError(`"${key}" is an invalid volume filter`);
    if (eq < 0) throw new InvalidArgumentError(`invalid filter "${spec}": expected KEY=VALUE`);
    if (key === 'dangling' && !['true', 'false', '1', '0'].includes(value)) throw new InvalidArgumentError(`${value} is not a valid value for the "dangling" filter - must be true or false`);
    if (key === 'name') {
      try {
        new RegExp(value);
      } catch {
        throw new InvalidArgumentError(`invalid name filter "${value}": not a regular expression`);
      }
    }
    if (key === 'until') parseUntil(value);
    return { key: key as VolumeFilter['key'], value };
  });
}

function keyValueMatches(map: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  return map[key] !== undefined && (eq < 0 || map[key] === spec.slice(eq + 1));
}

/**
 * The volumes that pass every filter (values of one key: any matches;
 * label: all must; label!: none may). `inUse` names the volumes some
 * container mounts (for dangling=).
 */
export function filterVolumes(volumes: VolumeRecord[], filters: VolumeFilter[], inUse: Set<string>): VolumeRecord[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f.value]);
  return volumes.filter((v) => [...byKey].every(([key, values]) => {
    switch (key) {
      case 'name': return values.some((p) => new RegExp(p).test(v.name));
      case 'driver': return values.includes(v.driver);
      case 'scope': return values.includes('local');
      case 'label': return values.every((p) => keyValueMatches(v.labels, p));
      case 'label!': return !values.some((p) => keyValueMatches(v.labels, p));
      case 'opt': return values.some((p) => keyValueMatches(v.options, p));
      case 'until': return values.some((p) => Date.parse(v.createdAt) < parseUntil(p));
      case 'dangling': return values.some((p) => (p === 'true' || p === '1') === !inUse.has(v.name));
      default: return true;
    }
  }));
}

/** Volumes for `volume ls`, filtered, by name. No lock needed. */
export async function listVolumes(ctx: EngineContext, filters: VolumeFilter[] = []): Promise<VolumeRecord[]> {
  const volumes = await volumeStore(ctx).list();
  const inUse = filters.some((f) => f.key === 'dangling') ? volumesInUse(await listContainers(ctx)) : new Set<string>();
  return filterVolumes(volumes, filters, inUse);
}

export interface VolumePruneReport {
  name: string;
  /** Bytes its data held. */
  size: number;
}

/**
 * `volume prune`: removes every volume no container mounts (that passes
 * the filters); a volume taken into use meanwhile stays. Run in the user
 * namespace, as removeVolume. Returns what was removed, with sizes.
 */
export async function pruneVolumes(ctx: EngineContext, filters: VolumeFilter[]): Promise<VolumePruneReport[]> {
  const inUse = volumesInUse(await listContainers(ctx));
  const candidates = filterVolumes(await volumeStore(ctx).list(), filters, inUse).filter((v) => !inUse.has(v.name));
  const { directorySize } = await import('./size.js');
  const removed: VolumePruneReport[] = [];
  for (const v of candidates) {
    const size = await directorySize(volumeStore(ctx).dataDir(v.name));
    try {
      removed.push({ name: await removeVolume(ctx, v.name, { force: false }), size });
    } catch (err) {
      if (!(err instanceof SkiffError && (err.code === 'EVOLUMEINUSE' || err.code === 'ENOVOLUME'))) throw err;
    }
  }
  return removed;
}
