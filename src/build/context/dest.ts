import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import { resolveInRootSync } from '../../image/layer/secure-path.js';
import { isErrno } from '../../util/errors.js';

/**
 * For CopyLayerOptions.resolveDest: a function that resolves an absolute
 * path as it is in the root file system `rootfs` (the stage's mounted
 * rootfs), following symlinks in its parent components beneath `rootfs`
 * (never outside it), as buildah puts a COPY to `/var/run/x` into `/run/x`
 * when `/var/run` is a link to `/run`. The last component is followed
 * only when it is a link to a directory (COPY into it). Only lstat and
 * readlink are used.
 */
export function destResolverIn(rootfs: string): (absPath: string) => string {
  return (absPath) => {
    const parents = resolveInRootSync(rootfs, absPath, false);
    const followed = resolveInRootSync(rootfs, absPath, true);
    const target = lstatSync(followed, { throwIfNoEntry: false });
    const chosen = followed !== parents && target?.isDirectory() ? followed : parents;
    return '/' + posix.relative(rootfs, chosen);
  };
}

/**
 * For CopyLayerOptions.destExists: what an absolute path (one resolveDest
 * gave) is in `rootfs`: 'dir', 'file' (anything else), or undefined.
 */
export function destExistsIn(rootfs: string): (absPath: string) => 'dir' | 'file' | undefined {
  return (absPath) => {
    let st;
    try {
      st = lstatSync(posix.join(rootfs, absPath), { throwIfNoEntry: false });
    } catch (err) {
      if (isErrno(err, 'ENOTDIR')) return 'file';
      throw err;
    }
    if (!st) return undefined;
    return st.isDirectory() ? 'dir' : 'file';
  };
}
