import {
  closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync,
  type Stats,
} from 'node:fs';
import { isErrno } from './errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/**
 * An open directory whose entries are reached openat(2)-style, for walking a
 * tree that someone else (a running container) may change meanwhile. Node
 * has no openat, so entries are named `/proc/self/fd/<fd>/<name>`: the
 * kernel resolves the fd link to this very directory, whatever has been
 * renamed or replaced by a symlink above it since, and looks up only
 * `name` in it. With O_NOFOLLOW that last component is never followed
 * either, so nothing reached through a DirHandle lies outside the tree.
 * The caller closes what it opens.
 */
export class DirHandle {
  private constructor(readonly fd: number) {}

  /** Opens a trusted directory path (one the caller chose, not one inside the tree). */
  static open(path: string): DirHandle {
    return new DirHandle(openSync(path, O_RDONLY | O_DIRECTORY));
  }

  /** The path naming entry `name` (a plain name from names()) of this directory; only lstat/readlink-style calls may use it. */
  entryPath(name: string): string {
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** The names in this directory, without `.` and `..`. */
  names(): string[] {
    return readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /** Opens subdirectory `name`; undefined when it is gone or no longer a directory (a symlink is never followed). */
  openDir(name: string): DirHandle | undefined {
    const fd = openOrUndefined(this.entryPath(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    return fd === undefined ? undefined : new DirHandle(fd);
  }

  /**
   * Opens regular file `name` for reading; undefined when it is gone or is
   * not a regular file any more (a symlink is never followed; a FIFO or
   * device swapped in is closed again unread). Returns the fd and its fstat.
   */
  openFile(name: string): { fd: number; stats: Stats } | undefined {
    const fd = openOrUndefined(this.entryPath(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd === undefined) return undefined;
    const stats = fstatSync(fd);
    if (stats.isFile()) return { fd, stats };
    closeSync(fd);
    return undefined;
  }

  stat(): Stats {
    return fstatSync(this.fd);
  }

  /** lstat of entry `name`; undefined when there is none. */
  lstat(name: string): Stats | undefined {
    return lstatSync(this.entryPath(name), { throwIfNoEntry: false });
  }

  /** A second handle on this same directory, closed separately. */
  dup(): DirHandle {
    return new DirHandle(openSync(`/proc/self/fd/${this.fd}`, O_RDONLY | O_DIRECTORY));
  }

  /** Creates subdirectory `name` (EEXIST when anything, even a symlink, is there). */
  mkdir(name: string, mode: number): void {
    mkdirSync(this.entryPath(name), { mode });
  }

  /** Creates regular file `name` for writing; O_EXCL|O_NOFOLLOW, so never through a symlink and never over anything. */
  createFile(name: string, mode: number): number {
    return openSync(this.entryPath(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  }

  /** Creates symlink `name` holding `target` (not resolved). */
  symlink(target: string, name: string): void {
    symlinkSync(target, this.entryPath(name));
  }

  /** Hardlinks entry `fromName` of `from` as `name` here (link(2) never follows a symlink). */
  link(from: DirHandle, fromName: string, name: string): void {
    linkSync(from.entryPath(fromName), this.entryPath(name));
  }

  /**
   * Removes entry `name`, a whole tree when it is a directory: each level is
   * opened with O_NOFOLLOW, so a symlink swapped in meanwhile is removed as
   * a link and nothing it points to is touched. No-op when it is gone.
   */
  remove(name: string): void {
    const sub = this.openDir(name);
    if (sub) {
      try {
        for (const child of sub.names()) sub.remove(child);
      } finally {
        sub.close();
      }
      try {
        rmdirSync(this.entryPath(name));
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      return;
    }
    try {
      unlinkSync(this.entryPath(name));
    } catch (err) {
      if (isErrno(err, 'EISDIR')) return this.remove(name); // a directory took its place meanwhile
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** open(2), with undefined for what a concurrent change explains: gone, a symlink (ELOOP), not a directory. */
function openOrUndefined(path: string, flags: number): number | undefined {
  try {
    return openSync(path, flags);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ELOOP') || isErrno(err, 'ENOTDIR') || isErrno(err, 'ENXIO')) return undefined;
    throw err;
  }
}

const MAX_LINKS = 40;

/** Where resolveBeneath ended: the directory holding the last component, and that component (undefined for the root itself). */
export interface ResolvedEntry {
  /** Owned by the caller, who closes it. */
  parent: DirHandle;
  name: string | undefined;
}

/**
 * Resolves `path` inside the tree of `root` as a process chrooted there
 * would: `..` stops at the root, and symlinks (absolute ones from the root)
 * are followed by reading them and walking on from the right directory
 * handle, so no component is ever looked up outside the tree, even when
 * the tree changes meanwhile. The last component is followed only when
 * `followLast` is set; it need not exist. Throws ENOENT/ENOTDIR (as
 * errno errors) when a parent is missing or not a directory, ELOOP after
 * 40 links.
 */
export function resolveBeneath(root: DirHandle, path: string, followLast: boolean): ResolvedEntry {
  const stack: DirHandle[] = [root.dup()];
  const fail = (code: string, message: string): never => {
    throw Object.assign(new Error(`${message}: ${path}`), { code });
  };
  try {
    let pending = path.split('/').filter((c) => c !== '' && c !== '.');
    let links = 0;
    let last: string | undefined;
    while (pending.length > 0) {
      const comp = pending.shift()!;
      if (comp === '..') {
        if (stack.length > 1) stack.pop()!.close();
        continue;
      }
      const top = stack[stack.length - 1];
      const isLast = pending.length === 0;
      const st = top.lstat(comp);
      if (st?.isSymbolicLink() && (!isLast || followLast)) {
        if (++links > MAX_LINKS) fail('ELOOP', 'too many levels of symbolic links');
        let target: string;
        try {
          target = readlinkSync(top.entryPath(comp));
        } catch (err) {
          if (isErrno(err, 'EINVAL') || isErrno(err, 'ENOENT')) { pending.unshift(comp); continue; } // changed under us: look again
          throw err;
        }
        if (target.startsWith('/')) while (stack.length > 1) stack.pop()!.close();
        pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
        continue;
      }
      if (isLast) {
        last = comp;
        break;
      }
      if (!st) fail('ENOENT', 'no such file or directory');
      const sub = top.openDir(comp);
      if (!sub) {
        const now = top.lstat(comp);
        if (now?.isSymbolicLink()) { pending.unshift(comp); continue; } // swapped for a link: follow it
        fail(now ? 'ENOTDIR' : 'ENOENT', now ? 'not a directory' : 'no such file or directory');
      }
      stack.push(sub!);
    }
    if (last === undefined) {
      // The path named a directory (the root, or one reached by `..` or a link to a directory).
      const dir = stack.pop()!;
      return { parent: dir, name: undefined };
    }
    return { parent: stack.pop()!, name: last };
  } finally {
    for (const dir of stack) dir.close();
  }
}
