import { closeSync, lstatSync, readSync, readlinkSync, type Stats } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
export async function packDirectory(root: string, out: Writable, owners?: OwnerMap): Promise<void> {
  const top = DirHandle.open(root);
  try {
    await packTree(out, (packer) => packer.walk(top, ''), owners);
  } finally {
    top.close();
  }
}

/** One entry of a layer diff: a path relative to the root (`etc/hosts`), and how it changed. */
export interface LayerChange {
  kind: 'A' | 'C' | 'D';
  path: string;
  /** A directory that hides what lower layers put in it. */
  opaque?: boolean;
}

/**
 * Writes a layer diff as an OCI layer tar into `out` (ended on success): the
 * entries added or changed, as packDirectory reads them from `root` (a
 * directory is one entry, its contents come as their own changes), a
 * deleted path as a `.wh.NAME` whiteout and an opaque directory followed by
 * `.wh..wh..opq` (the reverse of extract.ts). `changes` must list a
 * directory before what is in it. The same confinement as packDirectory:
 * `root` is entered through directory fds, component by component, never
 * following a symlink; a path that vanished meanwhile is left out.
 */
export async function packChanges(root: string, changes: LayerChange[], out: Writable, owners?: OwnerMap): Promise<void> {
  await packTree(out, async (packer) => {
    const top = DirHandle.open(root);
    try {
      for (const change of changes) {
        const rel = change.path.replace(/^\/+/, '');
        const parts = rel.split('/');
        const name = parts.pop()!;
        const prefix = parts.length ? parts.join('/') + '/' : '';
        if (change.kind === 'D') {
          await packer.add({ name: `${prefix}.wh.${name}`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
          continue;
        }
        const dir = openPath(top, parts);
        if (!dir) continue;
        try {
          await packer.entry(dir, name, rel, false);
        } finally {
          if (dir !== top) dir.close();
        }
        if (change.opaque) await packer.add({ name: `${rel}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
      }
    } finally {
      top.close();
    }
  }, owners);
}

/** Opens directory `parts` below `top` one component at a time; undefined when one is gone or not a directory. */
function openPath(top: DirHandle, parts: string[]): DirHandle | undefined {
  let dir = top;
  for (const part of parts) {
    const next = dir.openDir(part);
    if (dir !== top) dir.close();
    if (!next) return undefined;
    dir = next;
  }
  return dir;
}

/** What packTree's `fill` adds entries with; names are the tar names to give them. */
export interface TreePacker {
  /** Archives entry `name` of `dir` as `rel`: a whole tree when it is a directory, unless `descend` is false. */
  entry(dir: DirHandle, name: string, rel: string, descend?: boolean): Promise<void>;
  /** Adds an entry with no content of its own (a directory, a link, an empty file such as a whiteout). */
  add(header: EntryHeader): Promise<void>;
  /** Archives what `dir` holds, each entry named `prefix` + its name. */
  walk(dir: DirHandle, prefix: string): Promise<void>;
}

/**
 * The owner an entry gets in the archive, from the one the walk sees: for
 * a container in a user namespace of its own, the ids it sees (the walk
 * sees skiff's). Absent: as seen.
 */
export type OwnerMap = (uid: number, gid: number) => { uid: number; gid: number };

/** A tar header as packTree's walk fills it in. */
export type EntryHeader = Partial<tar.Header> & { name: string };

/**
 * Where the walk puts what it reads: a tar stream (packTree), or, for a
 * copy within one process, the destination tree itself (cp's copyTree into
 * unpack-beneath.ts's writer), with no tar encoded and parsed between.
 */
export interface EntrySink {
  /** An entry with no content (a directory, a link, an empty file) or with all of it in `content`. */
  entry(header: EntryHeader, content?: Buffer): Promise<void> | void;
  /** A file entry whose `size` bytes come as `chunks` (which the sink must drain). */
  streamEntry(header: EntryHeader, chunks: AsyncIterable<Buffer>): Promise<void>;
}

/**
 * Writes a tar stream into `out` (ended on success) of what `fill` adds,
 * with packDirectory's walk: through directory fds, never following a
 * symlink. `fill` may add several entries; the caller keeps the handles it
 * passes and closes them.
 */
export async function packTree(out: Writable, fill: (packer: TreePacker) => Promise<void>, owners?: OwnerMap): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, out);
  writing.catch(() => undefined);
  const sink: EntrySink = {
    entry: (header, content) =>
      new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        // A file entry without a buffer waits for its data: an empty one (a whiteout) gets an empty buffer.
        if (content || header.type === 'file') pack.entry(header, content ?? Buffer.alloc(0), done);
        else pack.entry(header, done);
      }),
    streamEntry: (header, chunks) =>
      new Promise<void>((resolve, reject) => {
        const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        pipeline(Readable.from(chunks), entry).catch(reject);
      }),
  };
  try {
    await walkInto(sink, fill, owners);
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
}

/**
 * Runs packTree's walk with what `fill` adds going straight into `sink`,
 * one entry at a time (each awaited), in the order a tar would hold them.
 * The same confinement as packTree; the caller keeps the handles it passes.
 */
export async function copyTree(sink: EntrySink, fill: (packer: TreePacker) => Promise<void>, owners?: OwnerMap): Promise<void> {
  await walkInto(sink, fill, owners);
}

async function walkInto(sink: EntrySink, fill: (packer: TreePacker) => Promise<void>, owners?: OwnerMap): Promise<void> {
  const seen = new Map<string, string>();
  const add = async (header: EntryHeader, content?: Buffer): Promise<void> => {
    await sink.entry(header, content);
  };
  const header = (name: string, st: Stats) => ({ name, mode: st.mode & 0o7777, ...(owners ? owners(st.uid, st.gid) : { uid: st.uid, gid: st.gid }), mtime: st.mtime });

  /** Archives entry `name` of `dir`; false when it changed type between the lstat and the open (try again). */
  const addEntry = async (dir: DirHandle, name: string, rel: string, descend: boolean): Promise<boolean> => {
    const st = lstatSync(dir.entryPath(name), { throwIfNoEntry: false });
    if (!st) return true; // removed by the running container meanwhile
    if (st.isDirectory()) {
      const sub = dir.openDir(name);
      if (!sub) return false;
      try {
        await add({ ...header(rel + '/', sub.stat()), type: 'directory' });
        if (descend) await walk(sub, rel + '/');
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
        // Once streamEntry settles nothing reads the chunks any more (a sink drains them or fails), so the fd is closed here.
        await sink.streamEntry({ ...header(rel, fst), type: 'file', size: fst.size }, readExactly(file.fd, fst.size));
      } finally {
        closeSync(file.fd);
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
      for (let tries = 0; tries < 3; tries++) if (await addEntry(dir, name, prefix + name, true)) break;
    }
  };

  const entry = async (dir: DirHandle, name: string, rel: string, descend = true): Promise<void> => {
    for (let tries = 0; tries < 3; tries++) if (await addEntry(dir, name, rel, descend)) break;
  };

  await fill({ entry, walk, add: (h) => add(h) });
}

// Large files go in 1 MiB reads: each read is one round trip through the walk and the sink.
const CHUNK = 1 << 20;
const SMALL_FILE = 1 << 20;

/** Reads `size` bytes of a small file at once; zeros stand in for bytes it lost while being read (as readExactly). */
function readSmall(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buffer, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  if (done < size) buffer.fill(0, done);
  return buffer;
}

/** Reads `size` bytes from `fd` (which the caller closes); zeros stand in for bytes a file lost while being read. */
async function* readExactly(fd: number, size: number): AsyncGenerator<Buffer> {
  let done = 0;
  while (done < size) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
    // Synchronous, as readSmall: the walk is synchronous per entry already, and a thread-pool hop per chunk cost more than the read.
    const bytesRead = readSync(fd, buffer, 0, buffer.length, done);
    if (bytesRead === 0) {
      yield Buffer.alloc(size - done);
      return;
    }
    done += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

// glibc's gnu_dev_major/minor for the 32 low bits (larger numbers do not occur in container trees).
function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
