import { closeSync, lstatSync, read as fsRead, readSync, readlinkSync, type Stats } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { DirHandle } from '../../util/dir-handle.js';
import { SkiffError, isErrno } from '../../util/errors.js';

/**
 * Writes the tree under `root` as a tar stream into `out` (ended on
 * success), as `podman export` does: paths relative to `root`, owners and
 * modes as the walk sees them (inside the user namespace: the container's
 * ids), symlinks not followed, hardlinked files stored once and linked
 * after. Entries are sorted, so the same tree gives the same tar.
 *
 * `root` may belong to a running container that changes it meanwhile: the
 * walk goes through directory fds and never follows a symlink (see
 * util/dir-handle.ts), so an entry swapped for a symlink to a host file is
 * archived as what it is when opened, never as the host file. An entry that
 * changes type under the walk is looked at again; one that vanishes is left
 * out; a file that shrinks while read is padded with zeros (as GNU tar does).
 */
export async function packDirectory(root: string, out: Writable): Promise<void> {
  const top = DirHandle.open(root);
  try {
    await packTree(out, (packer) => packer.walk(top, ''));
  } finally {
    top.close();
  }
}

/** What packTree's `fill` adds entries with; names are the tar names to give them. */
export interface TreePacker {
  /** Archives entry `name` of `dir` (a whole tree when it is a directory) as `rel`. */
  entry(dir: DirHandle, name: string, rel: string): Promise<void>;
  /** Archives what `dir` holds, each entry named `prefix` + its name. */
  walk(dir: DirHandle, prefix: string): Promise<void>;
}

/**
 * Writes a tar stream into `out` (ended on success) of what `fill` adds,
 * with packDirectory's walk: through directory fds, never following a
 * symlink. `fill` may add several entries; the caller keeps the handles it
 * passes and closes them.
 */
export async function packTree(out: Writable, fill: (packer: TreePacker) => Promise<void>): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, out);
  writing.catch(() => undefined);
  const seen = new Map<string, string>();
  const add = (header: Partial<tar.Header> & { name: string }, content?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content) pack.entry(header, content, done);
      else pack.entry(header, done);
    });
  const header = (name: string, st: Stats) => ({ name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime });

  /** Archives entry `name` of `dir`; false when it changed type between the lstat and the open (try again). */
  const addEntry = async (dir: DirHandle, name: string, rel: string): Promise<boolean> => {
    const st = lstatSync(dir.entryPath(name), { throwIfNoEntry: false });
    if (!st) return true; // removed by the running container meanwhile
    if (st.isDirectory()) {
      const sub = dir.openDir(name);
      if (!sub) return false;
      try {
        await add({ ...header(rel + '/', sub.stat()), type: 'directory' });
        await walk(sub, rel + '/');
      } finally {
        sub.close();
      }
    } else if (st.isSymbolicLink()) {
      let linkname: string;
      try {
        linkname = readlinkSync(dir.entryPath(name));
      } catch (err) {
        if (isErrno(err, 'EINVAL') || isErrno(err, 'ENOENT')) return false;
        throw err;
      }
      await add({ ...header(rel, st), type: 'symlink', linkname });
    } else if (st.isFile()) {
      const file = dir.openFile(name);
      if (!file) return false;
      let handedOver = false;
      try {
        const fst = file.stats;
        const key = `${fst.dev}:${fst.ino}`;
        const first = fst.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          await add({ ...header(rel, fst), type: 'link', linkname: first });
          return true;
        }
        if (fst.nlink > 1) seen.set(key, rel);
        if (fst.size <= SMALL_FILE) {
          // One read and one entry: a stream pipeline per small file cost more than the copy itself.
          await add({ ...header(rel, fst), type: 'file', size: fst.size }, readSmall(file.fd, fst.size));
          return true;
        }
        handedOver = true; // readExactly closes it from here
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...header(rel, fst), type: 'file', size: fst.size }, (err) => (err ? reject(err) : resolve()));
          pipeline(Readable.from(readExactly(file.fd, fst.size)), entry).catch(reject);
        });
      } finally {
        if (!handedOver) closeSync(file.fd);
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await add({ ...header(rel, st), type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) });
    } else if (st.isFIFO()) {
      await add({ ...header(rel, st), type: 'fifo' });
    }
    // Sockets have no tar form (tar skips them too).
    return true;
  };

  const walk = async (dir: DirHandle, prefix: string): Promise<void> => {
    let names: string[];
    try {
      names = dir.names().sort();
    } catch (err) {
      throw new SkiffError('EEXPORT', `cannot read "/${prefix}": ${(err as Error).message}`, { cause: err });
    }
    for (const name of names) {
      for (let tries = 0; tries < 3; tries++) if (await addEntry(dir, name, prefix + name)) break;
    }
  };

  const entry = async (dir: DirHandle, name: string, rel: string): Promise<void> => {
    for (let tries = 0; tries < 3; tries++) if (await addEntry(dir, name, rel)) break;
  };

  try {
    await fill({ entry, walk });
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
}

const CHUNK = 1 << 16;
const SMALL_FILE = 1 << 20;

/** Reads `size` bytes of a small file at once; zeros stand in for bytes it lost while being read (as readExactly). */
function readSmall(fd: number, size: number): Buffer {
  const buffer = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buffer, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return buffer;
}
const read = promisify(fsRead);

/** Reads `size` bytes from `fd` and closes it; zeros stand in for bytes a file lost while being read. */
async function* readExactly(fd: number, size: number): AsyncGenerator<Buffer> {
  try {
    let done = 0;
    while (done < size) {
      const buffer = Buffer.alloc(Math.min(CHUNK, size - done));
      const { bytesRead } = await read(fd, buffer, 0, buffer.length, done);
      if (bytesRead === 0) {
        yield Buffer.alloc(size - done);
        return;
      }
      done += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

// glibc's gnu_dev_major/minor for the 32 low bits (larger numbers do not occur in container trees).
function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
