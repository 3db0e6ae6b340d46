import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import { unmountAll } from '../mounts.js';
import type { RootfsDriver } from './driver.js';
import { isMountPoint, overlayReadOnlyView, overlayStorage, prepareOverlayDirs, topFirst } from './overlay.js';

/**
 * The overlay driver with a mount program (overlay.mount_program, in
 * practice fuse-overlayfs): the same directories and whiteouts as the
 * kernel's overlay, for kernels and filesystems that refuse overlay in a
 * user namespace. The program runs in the pause namespaces (it needs the
 * mount namespace the container's rootfs lives in), daemonizes once the
 * mount is up, and exits when it is unmounted: whoever mounts (the monitor,
 * or a command for its duration) unmounts, and the repair after a killed
 * monitor unmounts what it left, which ends its fuse-overlayfs too.
 */
export const fuseOverlayDriver: RootfsDriver = {
  name: 'fuse-overlayfs',
  async mount(storage) {
    const s = overlayStorage(storage);
    await prepareOverlayDirs(s);
    await runMountProgram(s.mountProgram!, [`lowerdir=${topFirst(s.lowerDirs).join(':')}`, `upperdir=${s.upperDir}`, `workdir=${s.workDir}`], s.mountOpt, s.mergedDir);
    return s.mergedDir;
  },
  unmount: (storage) => unmountAll(overlayStorage(storage).mergedDir),
  isMounted: (storage) => isMountPoint(overlayStorage(storage).mergedDir),
  readOnlyView: (storage, scratchDir) => {
    const s = overlayStorage(storage);
    // With no upperdir fuse-overlayfs mounts read-only.
    return overlayReadOnlyView(s, scratchDir, (dirs, target) => runMountProgram(s.mountProgram!, [`lowerdir=${dirs.join(':')}`], s.mountOpt, target));
  },
};

async function runMountProgram(program: string, options: string[], mountOpt: string | undefined, target: string): Promise<void> {
  const all = [...options, ...(mountOpt ? [mountOpt] : [])].join(',');
  const result = await exec(program, ['-o', all, target], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    throw new SkiffError('EMOUNT', `mounting the root filesystem with ${program} failed: ${(result.stderr || result.stdout).trim() || `exit code ${result.exitCode}`}`);
  }
}

/** fuse-overlayfs on PATH (as containers/storage looks for it), or undefined. */
export function findFuseOverlayfs(path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const candidate = join(dir, 'fuse-overlayfs');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
