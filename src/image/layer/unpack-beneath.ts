import { closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, lutimesSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DirHandle } from '../../util/dir-handle.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import type { EntryHeader, EntrySink, OwnerMap } from './pack.js';
import { LayerEscapeError, cleanEntryName } from './secure-path.js';

export interface UnpackOptions {
  /** Owner to give every entry: the tar's own ids ('keep'), fixed ids, or none (left as created). */
  owner: 'keep' | { uid: number; gid: number } | 'none';
  /** Replace a directory by a non-directory and the reverse; otherwise that is an error. */
  overwrite: boolean;
  /** `dest` as the user names it (`/tmp` in a container), for messages; entries are shown beneath it. */
  shownAs?: string;
  /** Into a container with an id map of its own: its ids (as `owner` names them) to the ones stored. */
  storedOwner?: OwnerMap;
}

/** A directory cannot become a file (or the reverse) without --overwrite. */
export class OverwriteError extends SkiffError {
  constructor(message: string) {
    super('EOVERWRITE', message);
  }
}

/**
 * Unpacks a tar stream (`podman cp`'s archives, not layers: no whiteouts)
 * into the directory `dest` is open on, for trees a running container may
 * change meanwhile. Every entry is reached from `dest` one component at a
 * time through directory fds, and each component is opened with
 * O_NOFOLLOW: a symlink already there or swapped in is never followed, so
 * nothing outside `dest`'s tree is written, whatever its links say. A parent
 * that is not a directory is an error, never a detour. Files are created
 * O_EXCL after removing what was there; owners, modes and times are set
 * through fds (or lchown/lutimes for symlinks). Devices and FIFOs are
 * skipped (a user namespace forbids mknod). The caller keeps `dest` open
 * and closes it.
 */
export async function unpackBeneath(source: Readable, dest: DirHandle, options: UnpackOptions): Promise<{ entries: number }> {
  const extract = tar.extract();
  const feeding = pipeline(source, extract);
  feeding.catch(() => undefined);
  const writer = openBeneathWriter(dest, options);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        if (entry.destroyed) {
          await feeding;
          throw new SkiffError('ETARTRUNCATED', `the archive ended inside "${header.name}"`);
        }
        await writer.streamEntry(header, entry as AsyncIterable<Buffer>);
      } else {
        entry.resume();
        writer.entry(header);
      }
    }
    await feeding;
    writer.finish();
    return { entries: writer.entries };
  } catch (err) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw err;
  } finally {
    writer.close();
  }
}

/** unpackBeneath's writing side, fed entries one at a time: by a tar stream, or by pack.ts's walk (copyTree) with no tar between. */
export interface BeneathWriter extends EntrySink {
  /** Entries written so far (the root and skipped ones included). */
  readonly entries: number;
  /** A file entry with no content or with all of it in `content`; every other kind of entry. Synchronous. */
  entry(header: EntryHeader, content?: Buffer): void;
  /** Sets the directories' times once everything is written; call it after the last entry. */
  finish(): void;
  /** Closes the handles it keeps (not `dest`). */
  close(): void;
}

/**
 * Opens unpackBeneath's writer on `dest`: the same confinement (every entry
 * reached through directory fds with O_NOFOLLOW from `dest`), the same
 * owners, modes, times and overwrite rules, for entries given one at a time
 * in tar order (a directory before what is in it). The caller keeps `dest`
 * open until close().
 */
export function openBeneathWriter(dest: DirHandle, options: UnpackOptions): BeneathWriter {
  const dirTimes: Array<{ rel: string; mtime: Date }> = [];
  let cachedRel: string | undefined;
  let cached: DirHandle | undefined;
  let entries = 0;

  /** The handle of the directory `rel` under dest, made (0755) where missing. */
  const parentOf = (rel: string, entryName: string): DirHandle => {
    if (rel === cachedRel && cached) return cached;
    cached?.close();
    cached = undefined;
    cachedRel = undefined;
    let dir = dest.dup();
    for (const comp of rel === '' ? [] : rel.split('/')) {
      let sub = dir.openDir(comp);
      if (!sub && !dir.lstat(comp)) {
        try {
          dir.mkdir(comp, 0o755);
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err;
        }
        sub = dir.openDir(comp);
      }
      dir.close();
      if (!sub) throw new LayerEscapeError(entryName, `"${rel}" is not a directory`);
      dir = sub;
    }
    cachedRel = rel;
    cached = dir;
    return dir;
  };

  const setOwner = (target: number | string, header: EntryHeader, name: string) => {
    const given = options.owner === 'keep' ? { uid: header.uid ?? 0, gid: header.gid ?? 0 } : options.owner;
    if (given === 'none') return;
    const ids = options.storedOwner ? options.storedOwner(given.uid, given.gid) : given;
    try {
      if (typeof target === 'number') fchownSync(target, ids.uid, ids.gid);
      else lchownSync(target, ids.uid, ids.gid);
    } catch (err) {
      if (isErrno(err, 'EINVAL')) throw new SkiffError('ECHOWN', `cannot give "${name}" the owner ${ids.uid}:${ids.gid}: that id is not mapped in the user namespace`, { cause: err });
      throw err;
    }
  };

  // podman's (buildah copier's) wording: error creating "/tmp/foo": mkdir /tmp/foo: file exists.
  const overwriteError = (op: 'open' | 'mkdir', rel: string) => {
    const shown = `${(options.shownAs ?? '').replace(/\/+$/, '')}/${rel}`;
    return new OverwriteError(`error creating "${shown}": ${op} ${shown}: file exists`);
  };

  /** Clears the way for a new non-directory entry `base` in `dir`. */
  const clear = (dir: DirHandle, base: string, rel: string) => {
    const st = dir.lstat(base);
    if (!st) return;
    if (st.isDirectory() && !options.overwrite) throw overwriteError('open', rel);
    dir.remove(base);
    if (st.isDirectory() && cachedRel !== undefined && (cachedRel === rel || cachedRel.startsWith(`${rel}/`))) {
      // The cached handle is inside the removed tree.
      cached?.close();
      cached = undefined;
      cachedRel = undefined;
    }
  };

  /** Where an entry goes: undefined for the root itself, which is never written. */
  const place = (header: EntryHeader) => {
    entries++;
    const rel = cleanEntryName(header.name);
    if (rel === '') return undefined;
    const slash = rel.lastIndexOf('/');
    const parentRel = slash < 0 ? '' : rel.slice(0, slash);
    return { rel, parentRel, base: rel.slice(slash + 1), dir: parentOf(parentRel, header.name) };
  };

  /** Creates file entry `base` of `dir` for writing (what was there removed first); the caller writes, then calls finishFile. */
  const createFile = (dir: DirHandle, base: string, rel: string): number => {
    clear(dir, base, rel);
    return dir.createFile(base, 0o600);
  };

  const finishFile = (fd: number, header: EntryHeader, rel: string) => {
    const mtime = header.mtime ?? new Date(0);
    setOwner(fd, header, rel);
    // chmod after chown: chown clears the setuid/setgid bits.
    fchmodSync(fd, (header.mode ?? 0o644) & 0o7777);
    futimesSync(fd, mtime, mtime);
  };

  const entry = (header: EntryHeader, content?: Buffer): void => {
    const at = place(header);
    if (!at) return;
    const { rel, parentRel, base, dir } = at;
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date(0);
    switch (header.type) {
      case 'directory': {
        const st = dir.lstat(base);
        if (st && !st.isDirectory()) {
          if (!options.overwrite) throw overwriteError('mkdir', rel);
          dir.remove(base);
        }
        if (!st || !st.isDirectory()) {
          try {
            dir.mkdir(base, 0o700);
          } catch (err) {
            if (!isErrno(err, 'EEXIST')) throw err;
          }
        }
        const sub = dir.openDir(base);
        if (!sub) throw new LayerEscapeError(header.name, 'it was replaced while being written');
        try {
          setOwner(sub.fd, header, rel);
          fchmodSync(sub.fd, mode);
        } finally {
          sub.close();
        }
        dirTimes.push({ rel, mtime });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        const fd = createFile(dir, base, rel);
        try {
          if (content) writeAll(fd, content);
          finishFile(fd, header, rel);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink': {
        clear(dir, base, rel);
        dir.symlink(header.linkname ?? '', base);
        setOwner(dir.entryPath(base), header, rel);
        try {
          lutimesSync(dir.entryPath(base), mtime, mtime);
        } catch {
          // not every filesystem keeps symlink times
        }
        break;
      }
      case 'link': {
        const target = cleanEntryName(header.linkname ?? '');
        const cut = target.lastIndexOf('/');
        // Resolved from dest without following anything, as every other entry.
        const from = parentOf(cut < 0 ? '' : target.slice(0, cut), header.name).dup();
        try {
          const targetBase = target.slice(cut + 1);
          const st = from.lstat(targetBase);
          if (!st || st.isDirectory()) throw new LayerEscapeError(header.name, `the hardlink target "${header.linkname}" is not a file of the archive`);
          const again = parentOf(parentRel, header.name);
          clear(again, base, rel);
          again.link(from, targetBase, base);
        } finally {
          from.close();
        }
        break;
      }
      default:
        // Devices, FIFOs: no mknod in a user namespace; pax/GNU extensions are read by tar-stream itself.
    }
  };

  const streamEntry = async (header: EntryHeader, chunks: AsyncIterable<Buffer>): Promise<void> => {
    const at = header.type === 'file' || header.type === 'contiguous-file' ? place(header) : undefined;
    if (!at) {
      if (header.type !== 'file' && header.type !== 'contiguous-file') entry(header);
      for await (const chunk of chunks) void chunk; // drained: the source must go on to its next entry
      return;
    }
    const fd = createFile(at.dir, at.base, at.rel);
    try {
      for await (const chunk of chunks) writeAll(fd, chunk);
      finishFile(fd, header, at.rel);
    } finally {
      closeSync(fd);
    }
  };

  const finish = () => {
    // Deepest first, so setting a parent's times is not undone by writing its children.
    dirTimes.sort((a, b) => b.rel.length - a.rel.length);
    for (const d of dirTimes) {
      const slash = d.rel.lastIndexOf('/');
      const parent = parentOf(slash < 0 ? '' : d.rel.slice(0, slash), d.rel);
      const sub = parent.openDir(d.rel.slice(slash + 1));
      if (!sub) continue;
      try {
        futimesSync(sub.fd, d.mtime, d.mtime);
      } finally {
        sub.close();
      }
    }
  };

  return {
    get entries() {
      return entries;
    },
    entry,
    streamEntry,
    finish,
    close: () => {
      cached?.close();
      cached = undefined;
      cachedRel = undefined;
    },
  };
}

/** writeSync may write less than asked: loop until all is written. */
function writeAll(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}
