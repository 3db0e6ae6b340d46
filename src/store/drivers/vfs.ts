import { chmodSync, lstatSync, lutimesSync, mkdirSync, promises as fsp, readdirSync, rmSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import { OPAQUE_XATTR_PATTERN, isWhiteout } from '../layer-whiteouts.js';
import { tempName } from '../temp.js';
import type { ContainerStorage, RootfsDriver } from './driver.js';

type VfsStorage = Extract<ContainerStorage, { driver: 'vfs' }>;

/** The vfs driver: a full copy of the layers per container, nothing mounted. */
export const vfsDriver: RootfsDriver = {
  name: 'vfs',
  mount: (storage) => prepareVfsRootfs(vfsStorage(storage).lowerDirs, vfsStorage(storage).rootfsDir, storage.rootMode),
  unmount: async () => undefined,
  isMounted: (storage) => lstatSync(`${vfsStorage(storage).rootfsDir}.complete`, { throwIfNoEntry: false }) !== undefined,
  async readOnlyView(storage, scratchDir) {
    const s = vfsStorage(storage);
    const none = async () => undefined;
    if (vfsDriver.isMounted(s)) return { path: s.rootfsDir, release: none };
    if (s.lowerDirs.length === 1) return { path: s.lowerDirs[0], release: none };
    // Never started: no copy yet. Make one as start would, whiteouts applied.
    const tmp = join(scratchDir, tempName('rootfs'));
    await fsp.mkdir(tmp, { recursive: true });
    const release = () => fsp.rm(tmp, { recursive: true, force: true });
    try {
      await applyLayers(s.lowerDirs, tmp);
    } catch (err) {
      await release();
      throw err;
    }
    return { path: tmp, release };
  },
};

function vfsStorage(storage: ContainerStorage): VfsStorage {
  if (storage.driver !== 'vfs') throw new Error(`not a vfs storage: ${storage.driver}`);
  return storage;
}

/**
 * Builds a vfs container's root filesystem at `rootfsDir` from its layers
 * (bottom first) unless an earlier start completed it, and returns its path.
 * `rootMode`, when given, is the mode of its / (else the top layer's).
 * The completion marker sits beside the copy, where the container never sees
 * it; a copy without it (an interrupted start) is thrown away and redone.
 * Must run as (namespaced) root, before the container runs, by the one
 * process that holds the container.
 */
export async function prepareVfsRootfs(lowerDirs: string[], rootfsDir: string, rootMode?: number): Promise<string> {
  const marker = `${rootfsDir}.complete`;
  if (lstatSync(marker, { throwIfNoEntry: false })) return rootfsDir;
  rmSync(rootfsDir, { recursive: true, force: true });
  mkdirSync(rootfsDir, { recursive: true });
  await applyLayers(lowerDirs, rootfsDir);
  if (rootMode !== undefined) chmodSync(rootfsDir, rootMode);
  writeFileSync(marker, '');
  return rootfsDir;
}

/**
 * Applies stored layers (bottom first) onto `rootfs`, an empty directory or
 * one holding lower layers already applied. See applyLayer.
 */
export async function applyLayers(lowerDirs: string[], rootfs: string): Promise<void> {
  for (const dir of lowerDirs) await applyLayer(dir, rootfs);
}

/**
 * Applies one stored layer (layers/<id>/diff, whiteouts in overlay form, see
 * layer-whiteouts.ts) onto `rootfs` with overlayfs's semantics: an entry
 * replaces a lower entry of another type entirely (a directory is never
 * merged with a file or a symlink), a directory over a directory merges and
 * takes the upper one's owner, mode, times and xattrs, a whiteout deletes
 * its path, an opaque directory hides what lower layers put in it. Owners,
 * modes, times, xattrs and hard links within the layer are kept (cp -a).
 *
 * Confinement: lower layers are image content, so `rootfs` may hold
 * symlinks pointing anywhere. No destination path is ever resolved through
 * one: a first pass walks the layer and the rootfs side by side, without
 * following links, and removes every rootfs entry the layer replaces or
 * deletes, so that afterwards each path of the layer is missing from the
 * rootfs or is a real directory there on both sides; only then does cp -a
 * copy the layer, and all it meets are real directories and free names.
 * That holds only while nothing else writes the rootfs: call it before the
 * container starts, or on a private copy.
 */
export async function applyLayer(layerDir: string, rootfs: string): Promise<void> {
  const opaque = await opaqueDirs(layerDir);
  const whiteouts: string[] = [];
  clearForLayer(layerDir, rootfs, '', opaque, whiteouts, false);
  const copied = await exec('cp', ['-a', '--', `${layerDir}/.`, rootfs]);
  if (copied.exitCode !== 0) throw new SkiffError('EVFSCOPY', `cannot copy layer ${layerDir} into the root filesystem: ${copied.stderr.trim()}`);
  // cp -a copied the whiteout devices and opaque xattrs too; the container must see neither.
  for (const rel of whiteouts) {
    unlinkSync(join(rootfs, rel));
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const times = lstatSync(join(layerDir, parent));
    lutimesSync(join(rootfs, parent), times.atime, times.mtime);
  }
  for (const [rel, names] of opaque) {
    for (const name of names) {
      const removed = await exec('setfattr', ['-h', '-x', name, join(rootfs, rel)]);
      if (removed.exitCode !== 0) throw new SkiffError('EVFSCOPY', `cannot clear ${name} of /${rel}: ${removed.stderr.trim()}`);
    }
  }
}

/**
 * The first pass of applyLayer, for the layer directory `rel`: removes from
 * `rootfs` what the layer's entries replace, deletes or hide, and collects
 * the layer's whiteouts. `fresh` says the rootfs has nothing at `rel` (or an
 * emptied directory), so there is nothing to compare below it.
 */
function clearForLayer(layerDir: string, rootfs: string, rel: string, opaque: Map<string, string[]>, whiteouts: string[], fresh: boolean): void {
  if (!fresh && opaque.has(rel)) {
    const dir = join(rootfs, rel);
    for (const name of readdirSync(dir)) removeEntry(join(dir, name));
    fresh = true;
  }
  for (const entry of readdirSync(join(layerDir, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isCharacterDevice() && isWhiteout(lstatSync(join(layerDir, child)))) {
      whiteouts.push(child);
      if (!fresh) removeEntry(join(rootfs, child));
      continue;
    }
    if (entry.isDirectory()) {
      let childFresh = fresh;
      if (!fresh) {
        const st = lstatSync(join(rootfs, child), { throwIfNoEntry: false });
        if (!st?.isDirectory()) {
          if (st) removeEntry(join(rootfs, child), st);
          childFresh = true;
        }
      }
      clearForLayer(layerDir, rootfs, child, opaque, whiteouts, childFresh);
    } else if (!fresh) {
      // Even a file over a file: cp would write into the existing inode, through a symlink or into the other names of a hard link.
      removeEntry(join(rootfs, child));
    }
  }
}

/** Removes whatever is at `path`, never following a symlink: a directory with all it holds. */
function removeEntry(path: string, st: Stats | undefined = lstatSync(path, { throwIfNoEntry: false })): void {
  if (!st) return;
  if (st.isDirectory()) rmSync(path, { recursive: true, force: true });
  else unlinkSync(path);
}

/**
 * The opaque directories under `layerDir` (relative, '' for the top) with the
 * opaque xattr names each carries. getfattr walks physically (-P) and never
 * follows a symlink.
 */
export async function opaqueDirs(layerDir: string): Promise<Map<string, string[]>> {
  const result = await exec('getfattr', ['-R', '-P', '-h', '--absolute-names', '-m', OPAQUE_XATTR_PATTERN, '--', layerDir]);
  if (result.exitCode !== 0 && !/not supported/i.test(result.stderr)) {
    throw new SkiffError('EVFSCOPY', `cannot read the opaque directories of layer ${layerDir}: ${result.stderr.trim() || `getfattr exited ${result.exitCode}`}`, {
      hint: 'install the attr package (getfattr)',
    });
  }
  const dirs = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      const path = unescapeGetfattr(line.slice('# file: '.length));
      current = path === layerDir ? '' : path.startsWith(`${layerDir}/`) ? path.slice(layerDir.length + 1) : undefined;
      if (current !== undefined) dirs.set(current, []);
    } else if (current !== undefined && line !== '') {
      dirs.get(current)!.push(line);
    }
  }
  return dirs;
}

/** getfattr writes a backslash and unusual bytes (newline, tab, ...) as `\ooo` octal escapes. */
function unescapeGetfattr(name: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(name, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const octal = raw[i] === 0x5c ? raw.subarray(i + 1, i + 4).toString('latin1') : '';
    if (/^[0-7]{3}$/.test(octal)) {
      bytes.push(parseInt(octal, 8));
      i += 3;
    } else {
      bytes.push(raw[i]);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
