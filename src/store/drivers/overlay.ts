import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import { mountsOn, unmountAll } from '../mounts.js';
import { tempName } from '../temp.js';
import type { ContainerStorage, RootfsDriver, RootfsView } from './driver.js';

type OverlayStorage = Extract<ContainerStorage, { driver: 'overlay' }>;

/** The overlay driver with the kernel's overlayfs (mounted in the pause mount namespace). */
export const overlayDriver: RootfsDriver = {
  name: 'overlay',
  async mount(storage) {
    const s = overlayStorage(storage);
    await prepareOverlayDirs(s);
    const options = `lowerdir=${topFirst(s.lowerDirs).join(':')},upperdir=${s.upperDir},workdir=${s.workDir}${kernelOptions(s)}`;
    await mountOverlay(options, s.mergedDir);
    return s.mergedDir;
  },
  unmount: (storage) => unmountAll(overlayStorage(storage).mergedDir),
  isMounted: (storage) => isMountPoint(overlayStorage(storage).mergedDir),
  readOnlyView: (storage, scratchDir) => overlayReadOnlyView(overlayStorage(storage), scratchDir, async (dirs, target) => {
    // Read-only with no upper dir: nothing is written, and the container's own upper stays free for a start meanwhile.
    await mountOverlay(`ro,lowerdir=${dirs.join(':')}${kernelOptions(storage)}`, target);
  }),
};

/** The overlay half of a storage, or an Error (a bug: the wrong driver was picked). */
export function overlayStorage(storage: ContainerStorage): OverlayStorage {
  if (storage.driver !== 'overlay') throw new Error(`not an overlay storage: ${storage.driver}`);
  return storage;
}

/** overlay wants the top-most lower dir first; layers are stored bottom first. */
export function topFirst(lowerDirs: string[]): string[] {
  return [...lowerDirs].reverse();
}

/**
 * Makes the upper, work and merged dirs, and unmounts what a holder killed
 * with -9 left on the merged dir: mounting again would stack a second
 * overlay on the same upper dir.
 */
export async function prepareOverlayDirs(s: OverlayStorage): Promise<void> {
  // overlay's / takes the upper dir's mode; set once, as the container may chmod / itself.
  const made = await fsp.mkdir(s.upperDir, { recursive: true });
  if (made !== undefined && s.rootMode !== undefined) await fsp.chmod(s.upperDir, s.rootMode);
  await fsp.mkdir(s.workDir, { recursive: true });
  await fsp.mkdir(s.mergedDir, { recursive: true });
  await unmountAll(s.mergedDir);
}

/**
 * The read-only view shared by both overlay drivers: the mounted rootfs
 * when it is up, the one directory when there is one, else `mountAt`
 * (dirs top first) on a new directory under `scratchDir`.
 */
export async function overlayReadOnlyView(
  s: OverlayStorage, scratchDir: string, mountAt: (dirs: string[], target: string) => Promise<void>,
): Promise<RootfsView> {
  const none = async () => undefined;
  if (isMountPoint(s.mergedDir)) return { path: s.mergedDir, release: none };
  const dirs = topFirst(s.lowerDirs);
  if (await fsp.access(s.upperDir).then(() => true, () => false)) dirs.unshift(s.upperDir);
  if (dirs.length === 1) return { path: dirs[0], release: none };
  const target = join(scratchDir, tempName('rootfs'));
  await fsp.mkdir(target, { recursive: true });
  try {
    await mountAt(dirs, target);
  } catch (err) {
    await fsp.rmdir(target).catch(() => undefined);
    throw err;
  }
  let released = false;
  return {
    path: target,
    release: async () => {
      if (released) return;
      released = true;
      await unmountAll(target);
      await fsp.rmdir(target).catch(() => undefined);
    },
  };
}

/** Options the kernel's overlay needs here: in a user namespace whiteouts are user.overlay.* xattrs (see layer/extract.ts); then overlay.mountopt. */
function kernelOptions(s: ContainerStorage): string {
  const userxattr = process.env.SKIFF_USERNS_PID ? ',userxattr' : '';
  const extra = s.driver === 'overlay' && s.mountOpt ? `,${s.mountOpt}` : '';
  return `${userxattr}${extra}`;
}

async function mountOverlay(options: string, target: string): Promise<void> {
  const result = await exec('mount', ['-t', 'overlay', 'overlay', '-o', options, target]);
  if (result.exitCode !== 0) throw new SkiffError('EMOUNT', `mounting the overlay root filesystem failed: ${result.stderr.trim()}`);
}

/** True when `path` is a mount point in this mount namespace. */
export function isMountPoint(path: string): boolean {
  return mountsOn(path, readFileSync('/proc/self/mountinfo', 'utf8')) > 0;
}
