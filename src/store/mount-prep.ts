/**
 * The host-side work behind a container's volumes and mounts, done by its
 * monitor in the user namespace once the root file system is mounted and
 * before the runtime starts: volume copy-up and ownership (podman's
 * mountNamedVolume and fixVolumePermissions), the U option, overlay
 * volumes (-v DIR:DST:O) and image mounts. Everything here must run as
 * (namespaced) root in the pause mount namespace.
 */
import { promises as fsp, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { isErrno } from '../util/errors.js';
import { ContainerStore } from './containers.js';
import type { StoreLayout } from './layout.js';
import { mountsOn, unmountAll } from './mounts.js';
import { VolumeStore } from './volumes.js';

/** What create asks the monitor to do for a container's mounts at each start. */
export interface MountPreparation {
  /** The container's user: a new volume's owner (podman's NeedsChown) and U's target. */
  user: { uid: number; gid: number };
  /** Named and anonymous volumes: copied up (unless nocopy) and chowned on first use; `mount` for `-o type=` volumes. */
  volumes: { name: string; destination: string; copyUp: boolean; anonymous?: boolean; mount?: { type: string; device: string; options: string } }[];
  /** Sources to chown recursively to `user` at each start (the U option). */
  chown: string[];
  /** -v DIR:DST:O: an overlay with DIR as its lower layer on `merged`, its writes in `upper` (removed at exit). */
  overlays: { lower: string; upper: string; work: string; merged: string }[];
  /** --mount type=image: the image's layers on `merged`, read-only unless `upper` is given. */
  images: { lowerDirs: string[]; merged: string; upper?: string; work?: string }[];
  /** Lists the `-o type=` volumes this container's run holds mounted (and counted), so that releasing them is done once. */
  heldFile?: string;
}

/**
 * Does `prep` for a container whose root file system is mounted at
 * `rootfs`. Takes the volumes lock for copy-up and chown, so two containers
 * starting on one new volume copy it once.
 */
export async function prepareMounts(prep: MountPreparation, rootfs: string, volumesDir: string): Promise<void> {
  const store = new VolumeStore(volumesDir);
  if (prep.volumes.length) {
    await store.withLock(async () => {
      await holdVolumes(store, prep);
      for (const v of prep.volumes) await firstUse(store, v, rootfs, prep.user);
    });
  }
  for (const o of prep.overlays) {
    await Promise.all([o.upper, o.work, o.merged].map((d) => fsp.mkdir(d, { recursive: true })));
    await overlayMount([o.lower], o.merged, { upper: o.upper, work: o.work });
  }
  for (const i of prep.images) {
    await fsp.mkdir(i.merged, { recursive: true });
    if (i.upper) await Promise.all([i.upper, i.work!].map((d) => fsp.mkdir(d, { recursive: true })));
    // Without an upper layer overlay wants two lower ones: an empty one at the bottom.
    const empty = join(i.merged, '..', 'empty');
    await fsp.mkdir(empty, { recursive: true });
    await overlayMount([empty, ...i.lowerDirs], i.merged, i.upper ? { upper: i.upper, work: i.work! } : undefined);
  }
  for (const path of prep.chown) {
    // As podman: a source whose top is already the user's is left alone, files inside included (160-volumes "user test").
    const top = await fsp.stat(path);
    if (top.uid === prep.user.uid && top.gid === prep.user.gid) continue;
    // -h: links are chowned themselves, never what they point to.
    const result = await exec('chown', ['-R', '-h', `${prep.user.uid}:${prep.user.gid}`, path]);
    if (result.exitCode !== 0) throw new Error(`chown of ${path} (U) failed: ${result.stderr.trim()}`);
  }
}

/** Undoes prepareMounts' mounts, and discards the overlay volumes' writes. Idempotent. */
export async function teardownMounts(prep: MountPreparation, volumesDir: string): Promise<void> {
  for (const m of [...prep.overlays, ...prep.images]) await unmountAll(m.merged);
  for (const o of prep.overlays) await Promise.all([o.upper, o.work].map((d) => fsp.rm(d, { recursive: true, force: true })));
  await releaseVolumes(new VolumeStore(volumesDir), prep);
}

/**
 * Mounts the `-o type=` volumes on their _data when they have no user yet
 * and counts this container as one (podman's MountCount): the mount lasts
 * while some container or `volume mount` holds it. The caller holds the
 * volumes lock.
 */
async function holdVolumes(store: VolumeStore, prep: MountPreparation): Promise<void> {
  const typed = prep.volumes.filter((v) => v.mount);
  if (!typed.length || !prep.heldFile) return;
  // Held already (a start that failed after this): not counted twice.
  if (await fsp.readFile(prep.heldFile, 'utf8').then(() => true, () => false)) return;
  const mountinfo = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const held: string[] = [];
  for (const v of typed) {
    const record = await store.get(v.name);
    const data = store.dataDir(v.name);
    if (mountsOn(data, mountinfo) === 0) {
      const m = v.mount!;
      const result = await exec('mount', ['-t', m.type, ...(m.options ? ['-o', m.options] : []), m.device, data]);
      if (result.exitCode !== 0) throw new Error(`mounting volume ${v.name}: ${result.stderr.trim()}`);
    }
    await store.updateLocked({ ...record, mountCount: (record.mountCount ?? 0) + 1 });
    held.push(v.name);
    await fsp.writeFile(prep.heldFile, held.join('\n'));
  }
}

/** Drops this container's hold on its `-o type=` volumes; the last user unmounts. Once per hold (heldFile). */
async function releaseVolumes(store: VolumeStore, prep: MountPreparation): Promise<void> {
  if (!prep.heldFile) return;
  const text = await fsp.readFile(prep.heldFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  await store.withLock(async () => {
    for (const name of text.split('\n').filter(Boolean)) {
      if (!(await store.exists(name))) continue;
      const record = await store.get(name);
      const count = Math.max(0, (record.mountCount ?? 1) - 1);
      if (count === 0) await unmountAll(store.dataDir(name));
      await store.updateLocked({ ...record, mountCount: count });
    }
    await fsp.rm(prep.heldFile!, { force: true });
  });
}

async function overlayMount(lowerBottomFirst: string[], merged: string, rw?: { upper: string; work: string }): Promise<void> {
  await unmountAll(merged);
  const userxattr = process.env.SKIFF_USERNS_PID ? ',userxattr' : '';
  const lower = [...lowerBottomFirst].reverse().join(':');
  const options = `lowerdir=${lower}${rw ? `,upperdir=${rw.upper},workdir=${rw.work}` : ''}${userxattr}`;
  const result = await exec('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
  if (result.exitCode !== 0) throw new Error(`mounting the overlay on ${merged} failed: ${result.stderr.trim()}`);
}

/**
 * A volume's first use, as podman: a new volume gets the container user's
 * ownership, or the mount point's owner and mode when the image has that
 * directory; an empty one needing copy-up gets the image's content there.
 * The caller holds the volumes lock.
 */
async function firstUse(store: VolumeStore, v: MountPreparation['volumes'][number], rootfs: string, user: { uid: number; gid: number }): Promise<void> {
  const record = await store.get(v.name);
  if (!record.needsChown && !(record.needsCopyUp && v.copyUp)) return;
  const data = store.dataDir(v.name);
  const source = resolveInRoot(rootfs, v.destination);
  const sourceStat = source === undefined ? undefined : lstatSync(source);
  if (record.needsCopyUp && v.copyUp && source !== undefined && sourceStat!.isDirectory()) {
    const [inImage, inVolume] = await Promise.all([fsp.readdir(source), fsp.readdir(data)]);
    // A volume with content was filled by someone else: never copied over (CVE-2020-1726).
    if (inImage.length > 0 && inVolume.length === 0) {
      record.needsCopyUp = false;
      await store.updateLocked(record);
      // -a copies links as links and keeps owners and modes; the source is a real directory inside the rootfs.
      const result = await exec('cp', ['-a', '--', `${source}/.`, `${data}/`]);
      if (result.exitCode !== 0) throw new Error(`copying up to volume ${v.name}: ${result.stderr.trim()}`);
    }
  }
  if (record.needsChown) {
    record.needsChown = false;
    await store.updateLocked(record);
    await fsp.lchown(data, user.uid, user.gid);
    if (sourceStat) {
      await fsp.lchown(data, sourceStat.uid, sourceStat.gid);
      await fsp.chmod(data, sourceStat.mode & 0o7777);
    }
  }
}

/**
 * `path` inside the directory tree `root`, with symlinks resolved as if
 * `root` were `/` (what securejoin does): an absolute link or `..` never
 * leaves it. Undefined when a component does not exist.
 */
export function resolveInRoot(root: string, path: string): string | undefined {
  let pending = path.split('/').filter(Boolean);
  let resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const full = join(root, ...resolved, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(full).isSymbolicLink();
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > 40) return undefined;
    const target = readlinkSync(full);
    if (target.startsWith('/')) resolved = [];
    pending = [...target.split('/').filter(Boolean), ...pending];
  }
  return join(root, ...resolved);
}

/**
 * Removes the anonymous volumes `names` of a container that is gone (rm -v,
 * run --rm), except those another container still mounts (--volumes-from),
 * as podman does. Takes the volumes lock; runs in the user namespace (the
 * data may hold files of sub-ids).
 */
export async function removeAnonymousVolumes(layout: StoreLayout, names: string[]): Promise<void> {
  if (!names.length) return;
  const containers = new ContainerStore(layout);
  const store = new VolumeStore(layout.volumesDir);
  await store.withLock(async () => {
    const inUse = new Set<string>();
    for (const id of await containers.ids()) {
      const config = await containers.readConfig<{ volumes?: { name: string }[] }>(id).catch(() => undefined);
      for (const v of config?.volumes ?? []) inUse.add(v.name);
    }
    for (const name of names) {
      if (inUse.has(name) || !(await store.exists(name))) continue;
      if ((await store.get(name)).anonymous) await store.removeLocked(name);
    }
  });
}
