import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../../util/errors.js';

/**
 * Bytes of the regular files and symlinks under `dir` (each hard-linked
 * inode once; directories count nothing), as podman sizes a volume for
 * `system df`. Never follows links. A directory that is gone, or one not
 * readable from here (written by a container's sub-ids without the user's
 * read bit), counts what could be read.
 */
export async function directorySize(dir: string, seen = new Set<string>()): Promise<number> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'EACCES') || isErrno(err, 'ENOTDIR')) return 0;
    throw err;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      total += await directorySize(path, seen);
      continue;
    }
    try {
      const st = await fsp.lstat(path, { bigint: false });
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  return total;
}
