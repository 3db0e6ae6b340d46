import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { isErrno } from '../util/errors.js';
import { withLock } from '../util/lock.js';
import { mountsOn } from './mounts.js';

/**
 * How many `skiff mount` calls hold a container's root file system mounted
 * (podman's mount counter), kept beside its merged dir. A count whose mount
 * is gone (a reboot, a lazy unmount by `rm`) counts nothing. While it is
 * above 0 the monitor leaves the mount in place when the container exits.
 */
function countFile(mergedDir: string): string {
  return `${mergedDir}.user-mounts`;
}

async function readCount(mergedDir: string): Promise<number> {
  try {
    const n = Number((await fsp.readFile(countFile(mergedDir), 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}

/** True when `skiff mount` holds the overlay on `mergedDir` (and it is still mounted here). Must run in the pause mount namespace. */
export async function userMounted(mergedDir: string): Promise<boolean> {
  if ((await readCount(mergedDir)) === 0) return false;
  return mountsOn(mergedDir, await fsp.readFile('/proc/self/mountinfo', 'utf8')) > 0;
}

/**
 * Changes the user mount count of `mergedDir` by `delta` (down to 0; `null`
 * sets it to 0) under its own lock, calling `apply(before, after)` while the
 * lock is held so that mounting or unmounting agrees with the count.
 * Returns the new count.
 */
export async function changeUserMounts(mergedDir: string, delta: number | null, apply: (before: number, after: number) => Promise<void>): Promise<number> {
  await fsp.mkdir(dirname(mergedDir), { recursive: true });
  return withLock(`${countFile(mergedDir)}.lock`, async () => {
    const mounted = mountsOn(mergedDir, await fsp.readFile('/proc/self/mountinfo', 'utf8')) > 0;
    const before = mounted ? await readCount(mergedDir) : 0;
    const after = delta === null ? 0 : Math.max(0, before + delta);
    await apply(before, after);
    if (after === 0) await fsp.rm(countFile(mergedDir), { force: true });
    else await fsp.writeFile(countFile(mergedDir), `${after}\n`);
    return after;
  });
}
