import { promises as fsp } from 'node:fs';
import { exec } from '../util/exec.js';
import { removeNetns } from '../network/netns.js';
import { unmountAll } from '../store/mounts.js';
import { userMounted } from '../store/user-mounts.js';
import type { StorageMount } from './protocol.js';

/**
 * Undoes what a container start set up: the rootfs mount and the network
 * namespace, when the container exits (the engine does the same for a
 * container whose monitor was killed). Idempotent: what is already gone is
 * fine. Every step is tried; then one Error names each step that failed.
 * Must run as (namespaced) root in the pause mount namespace.
 */
export async function teardownContainer(storage: StorageMount, netnsFile: string | undefined): Promise<void> {
  const failures: string[] = [];
  // A root file system `skiff mount` holds stays until `skiff umount`.
  if (storage.driver === 'overlay' && !(await userMounted(storage.mergedDir))) {
    await unmountAll(storage.mergedDir).catch((err: Error) => failures.push(`unmounting the root filesystem: ${err.message}`));
  }
  if (netnsFile) {
    await removeNetns(netnsFile).catch((err: Error) => failures.push(`removing the network namespace: ${err.message}`));
  }
  if (failures.length) throw new Error(failures.join('; '));
}

/**
 * Mounts (overlay) or prepares (vfs copy, see store/drivers/vfs.ts) the
 * container's root filesystem; returns its path. Runs in the monitor before
 * the container starts.
 */
export async function mountRootfs(storage: StorageMount): Promise<string> {
  if (storage.driver === 'overlay') {
    // overlay's / takes the upper dir's mode; set once, as the container may chmod / itself.
    const made = await fsp.mkdir(storage.upperDir, { recursive: true });
    if (made !== undefined && storage.rootMode !== undefined) await fsp.chmod(storage.upperDir, storage.rootMode);
    await fsp.mkdir(storage.workDir, { recursive: true });
    await fsp.mkdir(storage.mergedDir, { recursive: true });
    // Left mounted by a monitor killed with -9: mounting again would stack a second overlay on the same upper dir.
    await unmountAll(storage.mergedDir);
    // overlay wants the top-most lower dir first.
    const lower = [...storage.lowerDirs].reverse().join(':');
    // In a user namespace whiteouts are user.overlay.* xattrs (see layer/extract.ts).
    const userxattr = process.env.SKIFF_USERNS_PID ? ',userxattr' : '';
    const options = `lowerdir=${lower},upperdir=${storage.upperDir},workdir=${storage.workDir}${userxattr}`;
    const result = await exec('mount', ['-t', 'overlay', 'overlay', '-o', options, storage.mergedDir]);
    if (result.exitCode !== 0) {
      throw new Error(`mounting the overlay root filesystem failed: ${result.stderr.trim()}`);
    }
    return storage.mergedDir;
  }
  // Imported here: the engine loads this module for teardownContainer on its hot path.
  const { prepareVfsRootfs } = await import('../store/drivers/vfs.js');
  return prepareVfsRootfs(storage.lowerDirs, storage.rootfsDir, storage.rootMode);
}
