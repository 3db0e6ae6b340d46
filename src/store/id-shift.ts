import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IdMappings } from '../userns/id-map.js';
import { toInnerId, toOuterId } from '../userns/id-map.js';
import { SkiffError, isErrno } from '../util/errors.js';
import { exec } from '../util/exec.js';
import { uniqueSuffix } from '../util/fs.js';
import { withLock } from '../util/lock.js';

/**
 * A container in a user namespace of its own (--userns=keep-id,
 * --uidmap) sees the files of skiff's namespace through its id map: a file
 * of the image's root (0 here) would be the user's own in there. So such a
 * container's layers are copies whose owners went through the map, as
 * containers/storage makes them for podman when the kernel cannot idmap
 * the mount: made once per layer and map, kept beside the layer
 * (layers/<id>/mapped/<key>), removed with it.
 */

/** A short name for a map, the same for equal maps (FNV-1a of its ranges). */
export function mappingKey(mappings: IdMappings): string {
  const text = ['u', ...mappings.uidMap, 'g', ...mappings.gidMap].map((m) => (typeof m === 'string' ? m : `${m.containerID}:${m.hostID}:${m.size}`)).join(',');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** Where the mapped copy of a stored layer's diff (layers/<id>/diff) lives. */
export function mappedLayerDir(layerDiff: string, key: string): string {
  return join(dirname(layerDiff), 'mapped', key);
}

/** The stored layer diff that a mapped copy (mappedLayerDir) is made from. */
function sourceOfMapped(mappedDir: string): string {
  return join(dirname(dirname(mappedDir)), 'diff');
}

/**
 * Makes the mapped copies a container's layers are (`lowerDirs`, from
 * mappedLayerDir) where they are missing: after an image was pulled again,
 * or before a container's first start.
 */
export async function ensureMappedLayers(lowerDirs: string[], mappings: IdMappings): Promise<void> {
  for (const dir of lowerDirs) await ensureMappedLayer(dir, mappings);
}

/**
 * Makes the mapped copy `dest` (from mappedLayerDir) of a stored layer's
 * diff when missing (under a lock beside it, so concurrent starts make it
 * once; a copy is renamed into place only when whole). Must run as root of
 * skiff's user namespace: the copy keeps every owner, xattr and hard link
 * (cp -a), then each entry gets its owner through the map.
 */
export async function ensureMappedLayer(dest: string, mappings: IdMappings): Promise<string> {
  const layerDiff = sourceOfMapped(dest);
  if (await exists(dest)) return dest;
  await fsp.mkdir(dirname(dest), { recursive: true });
  return withLock(`${dest}.lock`, async () => {
    if (await exists(dest)) return dest;
    const tmp = `${dest}.tmp-${uniqueSuffix()}`;
    try {
      const copied = await exec('cp', ['-a', '--', layerDiff, tmp]);
      if (copied.exitCode !== 0) throw new SkiffError('EIDSHIFT', `cannot copy layer ${layerDiff} for the container's id map: ${copied.stderr.trim()}`);
      await shiftOwners(tmp, mappings);
      await fsp.rename(tmp, dest);
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return dest;
  });
}

/**
 * Gives every entry under `root` (itself included, links not followed) the
 * owner its current one is under `mappings`: uid u becomes the id that
 * container uid u is in skiff's namespace. The setuid and setgid bits,
 * which chown clears, are put back. A file with several hard links is
 * shifted once.
 */
export async function shiftOwners(root: string, mappings: IdMappings): Promise<void> {
  const linked = new Set<number>();
  const shift = async (path: string): Promise<void> => {
    const st = await fsp.lstat(path);
    if (!st.isDirectory() && st.nlink > 1) {
      if (linked.has(st.ino)) return;
      linked.add(st.ino);
    }
    await fsp.lchown(path, toOuterId(mappings.uidMap, st.uid), toOuterId(mappings.gidMap, st.gid));
    if (st.isFile() && (st.mode & 0o6000) !== 0) await fsp.chmod(path, st.mode & 0o7777);
    if (!st.isDirectory()) return;
    for (const name of await fsp.readdir(path)) await shift(join(path, name));
  };
  await shift(root);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** For archives of a container with an id map: the ids it sees, from the stored ones. */
export function ownersInside(mappings: IdMappings): (uid: number, gid: number) => { uid: number; gid: number } {
  return (uid, gid) => ({ uid: toInnerId(mappings.uidMap, uid), gid: toInnerId(mappings.gidMap, gid) });
}

/** For what is copied into a container with an id map: the ids stored, from the ones it sees. */
export function ownersStored(mappings: IdMappings): (uid: number, gid: number) => { uid: number; gid: number } {
  return (uid, gid) => ({ uid: toOuterId(mappings.uidMap, uid), gid: toOuterId(mappings.gidMap, gid) });
}
