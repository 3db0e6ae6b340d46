import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const MAX_LINKS = 40;

/**
 * Reads a small file of an image (its /etc/passwd, say) as a container of
 * that image would see it, from the image's extracted layers (bottom first),
 * without ever resolving a path on the host: symlinks are followed inside
 * the image, a whiteout hides what lies below it, and the file is opened
 * with O_NOFOLLOW and read only when it is a regular file. Returns
 * undefined when the file is missing, is not a regular file, or is larger
 * than `maxBytes`. (Opaque directories are not consulted: reading their
 * xattrs needs a program, and lower copies of such files are rare.)
 */
export function readImageFile(layerDirs: readonly string[], path: string, maxBytes = 4 << 20): Buffer | undefined {
  const found = resolveImagePath(layerDirs, path);
  return found?.stat.isFile() ? readRegularFile(found.hostPath, maxBytes) : undefined;
}

/**
 * What a path of an image is, as a container of that image would see it
 * (links followed inside the image, as readImageFile): undefined when it
 * does not exist.
 */
export function imagePathType(layerDirs: readonly string[], path: string): 'directory' | 'file' | 'other' | undefined {
  const found = resolveImagePath(layerDirs, path);
  if (!found) return undefined;
  return found.stat.isDirectory() ? 'directory' : found.stat.isFile() ? 'file' : 'other';
}

/** The topmost entry `path` names in the merged layers, symlinks followed inside the image. */
function resolveImagePath(layerDirs: readonly string[], path: string): { hostPath: string; stat: Stats } | undefined {
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  if (pending.length === 0) return { hostPath: layerDirs[layerDirs.length - 1] ?? '/', stat: lstatSync(layerDirs[layerDirs.length - 1] ?? '/') };
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === '..') {
      resolved.pop();
      continue;
    }
    const found = topmostEntry(layerDirs, [...resolved, comp]);
    if (!found) return undefined;
    if (found.stat.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = readlinkSync(found.hostPath);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
      continue;
    }
    if (pending.length === 0) return found;
    if (!found.stat.isDirectory()) return undefined;
    resolved.push(comp);
  }
  return undefined;
}

/**
 * The topmost layer's entry for `components` (whose parents are directories
 * in the merged view): undefined when no layer has it or a whiteout (a 0/0
 * character device) deletes it. A lower layer is consulted only while every
 * parent in it is a real directory, as overlayfs merges only directories.
 */
function topmostEntry(layerDirs: readonly string[], components: string[]): { hostPath: string; stat: Stats } | undefined {
  for (let i = layerDirs.length - 1; i >= 0; i--) {
    if (!parentsAreDirectories(layerDirs[i], components)) continue;
    const hostPath = join(layerDirs[i], ...components);
    const stat = lstatSync(hostPath, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isCharacterDevice() && stat.rdev === 0) return undefined;
    return { hostPath, stat };
  }
  return undefined;
}

function parentsAreDirectories(layerDir: string, components: string[]): boolean {
  for (let n = 1; n < components.length; n++) {
    const stat = lstatSync(join(layerDir, ...components.slice(0, n)), { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return false;
  }
  return true;
}

/** O_NOFOLLOW: the last component cannot be swapped for a link; O_NONBLOCK: a FIFO cannot hang us. */
function readRegularFile(hostPath: string, maxBytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
