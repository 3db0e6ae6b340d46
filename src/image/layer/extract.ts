import {
  chmodSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync,
  symlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { SkiffError, isErrno } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import { OPAQUE_XATTR } from '../../store/layer-whiteouts.js';
import { PaxXattrCollector, type Xattrs } from './pax-xattrs.js';
import { LayerEscapeError, cleanEntryName, resolveInRootSync } from './secure-path.js';

export type ChownMode = boolean | 'ignore-errors';

export interface ExtractOptions {
  /**
   * chown entries to their tar uid/gid; only possible as (namespaced) root.
   * 'ignore-errors' (storage.conf ignore_chown_errors): an owner the user
   * namespace does not map leaves the entry owned by root, as containers/storage does.
   */
  chown: ChownMode;
  /**
   * How to record OCI whiteouts for the overlay driver: 'user' xattrs inside
   * a user namespace (mounted with userxattr), 'trusted' as real root. A
   * bottom layer has nothing to hide, so 'none' drops them.
   */
  whiteouts: 'user' | 'trusted' | 'none';
}

export interface ExtractReport {
  entries: number;
  /** Device nodes that could not be created (user namespaces forbid mknod). */
  skippedDevices: string[];
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Extracts an uncompressed layer tar stream into `root`. Nothing is ever
 * written outside `root`: names are cleaned, parent symlinks are resolved
 * inside `root`, the final component is replaced rather than followed, and
 * hardlink targets must resolve inside `root`. Directory modes and times are
 * applied at the end so read-only directories can still be filled.
 */
export async function extractLayer(source: Readable, root: string, options: ExtractOptions): Promise<ExtractReport> {
  const report: ExtractReport = { entries: 0, skippedDevices: [] };
  const dirTimes: Array<{ path: string; mode: number; mtime: Date }> = [];
  const extract = tar.extract();
  const xattrs = new PaxXattrCollector();
  const feeding = pipeline(source, xattrs, extract);
  const parents = new ParentDirs(root);
  let entryIndex = -1;
  // The layer's own "./" entry sets the mode of / (Fedora's is 0555), as containers/storage applies it.
  let rootMode = 0o755;
  // A pipeline error (corrupt gzip, truncated tar) must not be unhandled
  // while the loop below is still awaiting entries.
  feeding.catch(() => undefined);

  for await (const entry of extract) {
    const header = entry.header;
    const rel = cleanEntryName(header.name);
    report.entries++;
    entryIndex++;
    if (rel === '') {
      if (header.type === 'directory' && header.mode !== undefined) rootMode = header.mode & 0o7777;
      entry.resume();
      continue;
    }
    const base = posix.basename(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      entry.resume();
      if (options.whiteouts === 'none') continue;
      const dir = parents.get(posix.dirname(rel));
      if (base === OPAQUE_MARKER) await markOpaque(dir, options.whiteouts);
      else await overlayWhiteout(posix.join(dir, base.slice(WHITEOUT_PREFIX.length)), header.name, parents);
      continue;
    }
    // Synchronous fs calls on purpose: awaiting a thread-pool round trip for
    // each of the ~8 calls per entry made extraction 10x slower than tar -x.
    const parent = parents.get(posix.dirname(rel));
    const dest = posix.join(parent, base);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date(0);

    switch (header.type) {
      case 'directory': {
        makeDirectory(dest, parents);
        parents.add(rel, dest);
        chown(dest, header, options, header.name);
        await applyXattrs(dest, xattrs.forEntry(entryIndex, header.name));
        dirTimes.push({ path: dest, mode, mtime });
        entry.resume();
        break;
      }
      case 'file':
      case 'contiguous-file': {
        // Truncated/failed input destroys the entry, and reading a destroyed streamx entry never settles (hang).
        if (entry.destroyed) {
          await feeding;
          throw new SkiffError('ELAYERTRUNCATED', `the layer stream ended inside "${header.name}"`);
        }
        const fd = createExclusive(dest, parents);
        try {
          for await (const chunk of entry) writeAll(fd, chunk as Buffer);
          // fd-based calls: no path lookup, and nothing can swap the file under us.
          chown(fd, header, options, header.name);
          // chmod after chown: chown clears the setuid/setgid bits.
          fchmodSync(fd, mode);
          // xattrs after chown: chown drops security.capability, as it drops setuid.
          await applyXattrs(dest, xattrs.forEntry(entryIndex, header.name));
          futimesSync(fd, mtime, mtime);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink': {
        replace(dest, parents);
        symlinkSync(header.linkname ?? '', dest);
        chown(dest, header, options, header.name);
        try {
          lutimesSync(dest, mtime, mtime);
        } catch {
          // not every filesystem keeps symlink times
        }
        entry.resume();
        break;
      }
      case 'link': {
        const targetRel = cleanEntryName(header.linkname ?? '');
        const target = resolveInRootSync(root, targetRel, false);
        if (target !== root && !target.startsWith(root + '/')) {
          throw new LayerEscapeError(header.name, 'the hardlink target leaves the layer directory');
        }
        const st = lstatSync(target, { throwIfNoEntry: false });
        if (!st) throw new LayerEscapeError(header.name, `the hardlink target "${header.linkname}" does not exist in the layer`);
        if (st.isDirectory()) throw new LayerEscapeError(header.name, 'a hardlink may not point at a directory');
        replace(dest, parents);
        linkSync(target, dest);
        entry.resume();
        break;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        // Node has no mknod(2), and a user namespace forbids device nodes anyway.
        report.skippedDevices.push(rel);
        entry.resume();
        break;
      }
      default:
        entry.resume();
    }
  }
  await feeding;

  // Deepest first, so setting a parent's times is not undone by its children.
  dirTimes.sort((a, b) => b.path.length - a.path.length);
  for (const d of dirTimes) {
    // A later entry may have replaced this directory or a parent with a symlink; chmod/utimes would follow it out of root.
    // Only possible if something was removed on the way (the usual layer removes nothing).
    if (parents.removedAny && resolveInRootSync(root, posix.relative(root, d.path), false) !== d.path) continue;
    if (!lstatSync(d.path, { throwIfNoEntry: false })?.isDirectory()) continue;
    chmodSync(d.path, d.mode);
    utimesSync(d.path, d.mtime, d.mtime);
  }
  chmodSync(root, rootMode);
  return report;
}

/**
 * The overlay form of an OCI whiteout (store/layer-whiteouts.ts): a 0/0 character device. Node has no
 * mknod(2); coreutils' mknod is allowed this one device even in a user
 * namespace (Linux 5.8+).
 */
async function overlayWhiteout(path: string, entry: string, parents: ParentDirs): Promise<void> {
  if (posix.basename(path).startsWith(WHITEOUT_PREFIX) || posix.basename(path) === '') {
    throw new LayerEscapeError(entry, 'malformed whiteout');
  }
  replace(path, parents);
  const result = await exec('mknod', ['-m', '0', path, 'c', '0', '0']);
  if (result.exitCode !== 0) throw new SkiffError('EWHITEOUT', `cannot create the whiteout for "${entry}": ${result.stderr.trim()}`);
}

/** The overlay form of an opaque directory: an xattr that hides all lower content. */
async function markOpaque(dir: string, namespace: 'user' | 'trusted'): Promise<void> {
  const result = await exec('setfattr', ['-n', OPAQUE_XATTR[namespace], '-v', 'y', dir]);
  if (result.exitCode !== 0) throw new SkiffError('EWHITEOUT', `cannot mark "${dir}" opaque: ${result.stderr.trim()}`, { hint: 'install the attr package (setfattr)' });
}

/** Namespaces a layer may set: user data and file capabilities (namespaced since Linux 4.14). */
const ALLOWED_XATTR = /^(user\.|security\.capability$)/;

/**
 * Sets an entry's extended attributes where allowed: user.* and file
 * capabilities. Others (trusted.*, security.selinux, ...) are for the host
 * to decide and are skipped, as are attributes the filesystem refuses.
 * Node has no xattr API; setfattr takes the raw bytes base64-encoded.
 */
async function applyXattrs(path: string, attrs: Xattrs | undefined): Promise<void> {
  if (!attrs) return;
  for (const [name, value] of attrs) {
    if (!ALLOWED_XATTR.test(name)) continue;
    await exec('setfattr', ['-h', '-n', name, '-v', `0s${value.toString('base64')}`, path]);
  }
}

/**
 * The host directory of each parent path seen so far. Most entries share
 * their parent with the one before, and resolving it afresh (an lstat per
 * component, then mkdir -p) was half of extraction's time. An entry is only
 * cached once it is a real directory; anything that removes a directory or
 * a symlink may change how cached paths resolve, so it empties the cache.
 */
class ParentDirs {
  private readonly known = new Map<string, string>();
  /** Whether forget() was ever called: a directory or symlink was removed. */
  removedAny = false;

  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
  }

  /** The host path of relative directory `rel`, created (as 0755 directories) where missing. */
  get(rel: string): string {
    if (rel === '.' || rel === '') return this.root;
    let dir = this.known.get(rel);
    if (dir === undefined) {
      dir = resolveInRootSync(this.root, rel, true);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      this.known.set(rel, dir);
    }
    return dir;
  }

  /** Records a directory entry the extractor has just made real. */
  add(rel: string, dir: string): void {
    this.known.set(rel, dir);
  }

  /** Called before anything that may be a directory or symlink is removed. */
  forget(): void {
    this.known.clear();
    this.removedAny = true;
  }
}

/** Removes whatever is at `dest` (file, symlink, or a directory tree) so a new entry replaces it. */
function replace(dest: string, parents: ParentDirs): void {
  const st = lstatSync(dest, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory() || st.isSymbolicLink()) parents.forget();
  rmSync(dest, { recursive: st.isDirectory(), force: true });
}

/** Creates a new regular file at `dest` (O_EXCL: never through a symlink), replacing what was there. */
function createExclusive(dest: string, parents: ParentDirs): number {
  try {
    return openSync(dest, 'wx', 0o600);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  replace(dest, parents);
  return openSync(dest, 'wx', 0o600);
}

/** Makes `dest` a directory: an existing one is kept (a layer may re-list it), anything else is replaced. */
function makeDirectory(dest: string, parents: ParentDirs): void {
  try {
    mkdirSync(dest, { mode: 0o700 });
    return;
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  if (lstatSync(dest).isDirectory()) return;
  replace(dest, parents);
  mkdirSync(dest, { mode: 0o700 });
}

/** writeSync may write less than asked (large buffers): loop until all is written. */
function writeAll(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

/** Gives an entry its tar owner: by fd for an open file, else by path without following a symlink. */
function chown(target: string | number, header: tar.Header, options: ExtractOptions, name: string): void {
  if (!options.chown) return;
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;
  try {
    if (typeof target === 'number') fchownSync(target, uid, gid);
    else lchownSync(target, uid, gid);
  } catch (err) {
    if (isErrno(err, 'EINVAL') && options.chown === 'ignore-errors') return;
    if (isErrno(err, 'EINVAL')) {
      throw new SkiffError('ECHOWN', `cannot give "${name}" the owner ${uid}:${gid}: that id is not mapped in the user namespace`, {
        hint: 'add a range for your user to /etc/subuid and /etc/subgid, or set ignore_chown_errors in storage.conf',
        cause: err,
      });
    }
    throw err;
  }
}
