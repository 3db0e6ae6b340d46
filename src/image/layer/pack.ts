import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import tar from 'tar-stream';
import { SkiffError, isErrno } from '../../util/errors.js';

/**
 * Writes the tree under `root` as a tar stream into `out` (ended on
 * success), as `podman export` does: paths relative to `root`, owners and
 * modes as lstat sees them (inside the user namespace: the container's
 * ids), symlinks not followed, hardlinked files stored once and linked
 * after. Entries are sorted, so the same tree gives the same tar.
 */
export async function packDirectory(root: string, out: Writable): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, out);
  writing.catch(() => undefined);
  const seen = new Map<string, string>();
  const add = (header: Partial<tar.Header> & { name: string }, data?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data) pack.entry(header, data, done);
      else pack.entry(header, done);
    });

  const walk = async (dir: string, prefix: string): Promise<void> => {
    let names: string[];
    try {
      names = (await fsp.readdir(dir)).sort();
    } catch (err) {
      throw new SkiffError('EEXPORT', `cannot read "/${prefix}": ${(err as Error).message}`, { cause: err });
    }
    for (const name of names) {
      const path = join(dir, name);
      const rel = prefix + name;
      let st: Stats;
      try {
        st = await fsp.lstat(path);
      } catch (err) {
        // Removed by the running container meanwhile.
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        await add({ ...base, name: rel + '/', type: 'directory' });
        await walk(path, rel + '/');
      } else if (st.isSymbolicLink()) {
        await add({ ...base, type: 'symlink', linkname: await fsp.readlink(path) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          await add({ ...base, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) seen.set(key, rel);
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          pipeline(createReadStream(path), entry).catch(reject);
        });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        await add({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) });
      } else if (st.isFIFO()) {
        await add({ ...base, type: 'fifo' });
      }
      // Sockets have no tar form (tar skips them too).
    }
  };

  try {
    await walk(root, '');
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
}

// glibc's gnu_dev_major/minor for the 32 low bits (larger numbers do not occur in container trees).
function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
