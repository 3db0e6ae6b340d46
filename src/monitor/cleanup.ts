import { promises as fsp } from 'node:fs';
import { removeNetns } from '../network/netns.js';
import { rootfsDriver } from '../store/drivers/driver.js';
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
  if (storage.driver === 'vfs' || !(await userMounted(storage.mergedDir))) {
    await (await rootfsDriver(storage)).unmount(storage).catch((err: Error) => failures.push(`unmounting the root filesystem: ${err.message}`));
  }
  if (netnsFile) {
    await removeNetns(netnsFile).catch((err: Error) => failures.push(`removing the network namespace: ${err.message}`));
  }
  if (failures.length) throw new Error(failures.join('; '));
}

/**
 * Mounts (overlay, with the kernel's overlayfs or fuse-overlayfs) or
 * prepares (vfs copy) the container's root filesystem through its storage
 * driver (store/drivers/); returns its path. Runs in the monitor before
 * the container starts.
 */
export async function mountRootfs(storage: StorageMount): Promise<string> {
  if (!storage.idMappings) return (await rootfsDriver(storage)).mount(storage);
  // A user namespace of its own: the layers' copies for its map first, and its / owned by its root.
  const { ensureMappedLayers } = await import('../store/id-shift.js');
  await ensureMappedLayers(storage.lowerDirs, storage.idMappings);
  const root = await (await rootfsDriver(storage)).mount(storage);
  const { toOuterId } = await import('../userns/id-map.js');
  const [uid, gid] = [toOuterId(storage.idMappings.uidMap, 0), toOuterId(storage.idMappings.gidMap, 0)];
  // Only a / as made (ours, 0:0): the container may have given its / to another owner since.
  const st = await fsp.stat(root);
  if (st.uid === 0 && st.gid === 0 && (uid !== 0 || gid !== 0)) await fsp.chown(root, uid, gid);
  return root;
}
