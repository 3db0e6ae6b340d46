import { closeSync, constants, fstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import { isErrno } from './errors.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

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
