import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { DirHandle } from '../util/dir-handle.js';
import { opaqueDirs } from './drivers/vfs.js';
import { isWhiteout } from './layer-whiteouts.js';

/** podman's change kinds: Added, Changed, Deleted. */
export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  /** Absolute in the container: `/etc/hosts`. */
  path: string;
  /** A directory that hides everything lower layers put in it (rm -rf, then mkdir again). */
  opaque?: boolean;
}

/** What is compared with the lower layers: an overlay upper dir (whiteouts in overlay form), or a full copy (vfs). */
export type ChangesTop = {
  kind: 'overlay';
  dir: string;
  /** Written by fuse-overlayfs, which marks an opaque directory with a `.wh..wh..opq` file and a `.wh..opq` whiteout beside its xattr. */
  fuse?: boolean;
} | { kind: 'full'; dir: string };

/**
 * The changes of `top` against stored layers `lowerDirs` (bottom first), in
 * podman's order: depth first, names sorted, a directory before what
 * changed in it. An overlay upper dir is read as podman's overlay differ
 * reads it (a 0/0 char device is D; a directory is C when it exists below
 * and its mode, size or mtime differ, and its parent is C whenever
 * something in it is added or deleted); a full copy is compared entry by
 * entry with the layers merged as overlay shows them (type, mode, owner,
 * device, symlink target; size and mtime for non-directories).
 *
 * Confinement: `top` may belong to a running container, so it is walked
 * through directory fds with lstat and readdir only (util/dir-handle.ts);
 * nothing in it is opened or followed. The stored layers are immutable and
 * are entered only through components that are real directories.
 */
export async function containerChanges(lowerDirs: string[], top: ChangesTop): Promise<Change[]> {
  const lower = await LowerView.of(lowerDirs);
  const root = DirHandle.open(top.dir);
  try {
    if (top.kind === 'overlay') {
      const opaque = new Set((await opaqueDirs(top.dir)).keys());
      return overlayChanges(root, lower, opaque, top.fuse ?? false);
    }
    return fullChanges(root, lower);
  } finally {
    root.close();
  }
}

/**
 * The size of a container's writable layer, as containers/storage's
 * DiffSize counts it: the apparent (lstat) sizes of the files, symlinks and
 * devices the container added or changed, directories not counted, a file
 * with several hard links once. For an overlay upper dir that is everything
 * in it; for a full copy (vfs), the added and changed entries of
 * `containerChanges`. File contents are never read.
 *
 * Confinement: as `containerChanges` (directory fds, lstat and readdir only).
 * Run as root of the user namespace: the files belong to sub-ids.
 */
export async function containerRwSize(lowerDirs: string[], top: ChangesTop): Promise<number> {
  const seen = new Set<string>();
  let size = 0;
  const count = (st: Stats): void => {
    if (st.isDirectory()) return;
    if (st.nlink > 1) {
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) return;
      seen.add(inode);
    }
    size += st.size;
  };
  const root = DirHandle.open(top.dir);
  try {
    if (top.kind === 'overlay') walkAll(root, count);
    else fullChanges(root, await LowerView.of(lowerDirs), count);
  } finally {
    root.close();
  }
  return size;
}

/** Calls `visit` with the lstat of every entry below `dir`, never following a link. */
function walkAll(dir: DirHandle, visit: (st: Stats) => void): void {
  for (const name of dir.names()) {
    const st = lstatSync(dir.entryPath(name), { throwIfNoEntry: false });
    if (!st) continue; // removed by the running container meanwhile
    visit(st);
    if (!st.isDirectory()) continue;
    const sub = dir.openDir(name);
    if (!sub) continue;
    try {
      walkAll(sub, visit);
    } finally {
      sub.close();
    }
  }
}

interface LowerEntry {
  st: Stats;
  /** Where the entry is, in the layer that shows it. */
  hostPath: string;
  /** For a directory: the layers (top first) whose directory at this path shows through. */
  layers: string[];
}

/** The stored layers merged as overlay shows them, looked up without following links. */
class LowerView {
  private constructor(private readonly top: string[], private readonly opaque: Map<string, Set<string>>) {}

  static async of(lowerDirs: string[]): Promise<LowerView> {
    const top = [...lowerDirs].reverse();
    const opaque = new Map<string, Set<string>>();
    // The bottom layer has nothing below it to hide.
    for (const dir of top.slice(0, -1)) opaque.set(dir, new Set((await opaqueDirs(dir)).keys()));
    return new LowerView(top, opaque);
  }

  /** The merged root directory; undefined when there are no layers. */
  root(): LowerEntry | undefined {
    return this.entry(this.top, '');
  }

  /** The entry `rel` (relative path) in directory `parent` of the merged view; undefined when absent or deleted. */
  child(parent: LowerEntry, rel: string): LowerEntry | undefined {
    return this.entry(parent.layers, rel);
  }

  private entry(layers: string[], rel: string): LowerEntry | undefined {
    for (let i = 0; i < layers.length; i++) {
      // Safe: `layers` holds only layers where rel's parent is a real directory.
      const st = lstatSync(join(layers[i], rel), { throwIfNoEntry: false });
      if (!st) continue;
      if (isWhiteout(st)) return undefined;
      if (!st.isDirectory()) return { st, hostPath: join(layers[i], rel), layers: [] };
      const through: string[] = [];
      for (let k = i; k < layers.length; k++) {
        const below = k === i ? st : lstatSync(join(layers[k], rel), { throwIfNoEntry: false });
        if (!below) continue;
        if (!below.isDirectory()) break;
        through.push(layers[k]);
        if (this.opaque.get(layers[k])?.has(rel)) break;
      }
      return { st, hostPath: join(layers[i], rel), layers: through };
    }
    return undefined;
  }

  /** The names in a merged directory. */
  names(dir: LowerEntry, rel: string): string[] {
    const seen = new Set<string>();
    const deleted = new Set<string>();
    for (const layer of dir.layers) {
      for (const entry of readdirSync(join(layer, rel), { withFileTypes: true })) {
        if (seen.has(entry.name)) continue;
        seen.add(entry.name);
        if (entry.isCharacterDevice() && isWhiteout(lstatSync(join(layer, rel, entry.name)))) deleted.add(entry.name);
      }
    }
    return [...seen].filter((n) => !deleted.has(n));
  }
}

function overlayChanges(root: DirHandle, lower: LowerView, opaque: Set<string>, fuse: boolean): Change[] {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const walk = (dir: DirHandle, rel: string, below: LowerEntry | undefined): void => {
    for (const name of dir.names().sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = `/${childRel}`;
      const st = lstatSync(dir.entryPath(name), { throwIfNoEntry: false });
      if (!st) continue; // removed by the running container meanwhile
      // fuse-overlayfs's own opaque markers (its xattr on the directory says the same): no names the container sees.
      if (fuse && ((name === FUSE_OPAQUE_FILE && st.isFile()) || (name === FUSE_OPAQUE_WHITEOUT && isWhiteout(st)))) continue;
      const lowerEntry = below && lower.child(below, childRel);
      let change: Change | undefined;
      if (isWhiteout(st)) {
        change = { kind: 'D', path };
      } else if (!lowerEntry) {
        change = { kind: 'A', path };
      } else if (st.isDirectory() && lowerEntry.st.isDirectory() && !opaque.has(childRel) && sameDir(st, lowerEntry.st)) {
        change = undefined; // copied up unchanged, only to hold a changed child
      } else {
        change = { kind: 'C', path };
      }
      if (change && st.isDirectory() && opaque.has(childRel)) change.opaque = true;
      if (change && st.isDirectory()) changedDirs.add(path);
      if (change && change.kind !== 'C') {
        const parent = rel === '' ? '/' : `/${rel}`;
        if (parent !== '/' && !changedDirs.has(parent)) {
          changes.push({ kind: 'C', path: parent });
          changedDirs.add(parent);
        }
      }
      if (change) changes.push(change);
      if (st.isDirectory()) {
        const sub = dir.openDir(name);
        if (!sub) continue;
        try {
          const next = opaque.has(childRel) || !lowerEntry?.st.isDirectory() ? undefined : lowerEntry;
          walk(sub, childRel, next);
        } finally {
          sub.close();
        }
      }
    }
  };
  walk(root, '', opaque.has('') ? undefined : lower.root());
  return changes;
}

const FUSE_OPAQUE_FILE = '.wh..wh..opq';
const FUSE_OPAQUE_WHITEOUT = '.wh..opq';

/** `added` (optional) sees the lstat of each entry found added or changed. */
function fullChanges(root: DirHandle, lower: LowerView, added?: (st: Stats) => void): Change[] {
  const changes: Change[] = [];
  /** Adds the changes under directory `rel`; `below` is the merged lower directory there (undefined: all is new). */
  const walk = (dir: DirHandle, rel: string, below: LowerEntry | undefined): void => {
    const names = new Set(dir.names());
    if (below) for (const n of lower.names(below, rel)) names.add(n);
    for (const name of [...names].sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = `/${childRel}`;
      const st = lstatSync(dir.entryPath(name), { throwIfNoEntry: false });
      const lowerEntry = below && lower.child(below, childRel);
      if (!st) {
        if (lowerEntry) changes.push({ kind: 'D', path });
        continue;
      }
      const at = changes.length;
      let recorded = true;
      if (!lowerEntry) changes.push({ kind: 'A', path });
      else if (differs(st, lowerEntry, () => readlinkSync(dir.entryPath(name)))) changes.push({ kind: 'C', path });
      else recorded = false;
      if (recorded) added?.(st);
      if (!st.isDirectory()) continue;
      const sub = dir.openDir(name);
      if (!sub) continue;
      try {
        walk(sub, childRel, lowerEntry?.st.isDirectory() ? lowerEntry : undefined);
      } finally {
        sub.close();
      }
      // A directory whose contents changed is changed too (containers/storage's ChangesDirs).
      if (!recorded && changes.length > at) changes.splice(at, 0, { kind: 'C', path });
    }
  };
  walk(root, '', lower.root());
  return changes;
}

/** podman's overlay differ: a directory is unchanged when mode, size and mtime match. */
function sameDir(a: Stats, b: Stats): boolean {
  return a.mode === b.mode && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function differs(st: Stats, lower: LowerEntry, linkTarget: () => string): boolean {
  const l = lower.st;
  if (st.mode !== l.mode || st.uid !== l.uid || st.gid !== l.gid || st.rdev !== l.rdev) return true;
  if (!st.isDirectory() && (st.size !== l.size || st.mtimeMs !== l.mtimeMs)) return true;
  if (st.isSymbolicLink()) {
    try {
      return linkTarget() !== readlinkSync(lower.hostPath);
    } catch {
      return true; // replaced meanwhile
    }
  }
  return false;
}
