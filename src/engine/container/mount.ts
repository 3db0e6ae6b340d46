import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { containerStorage } from './diff.js';
import { isRunningOrPaused, listContainers, resolveContainer } from './record.js';

export interface ContainerMountReport {
  id: string;
  /** The merged (overlay) or copied (vfs) root file system on the host. */
  path: string;
}

/** podman's rule: a rootless mount is only visible inside the namespace, so it is refused outside. */
function requireNamespace(ctx: EngineContext, command: string): void {
  if (ctx.needsNsenter) {
    throw new SkiffError('EROOTLESSMOUNT', `cannot run command "skiff ${command}" in rootless mode, must execute \`skiff unshare\` first`);
  }
}

/**
 * Mounts a container's root file system (`skiff mount`) and returns where:
 * overlay is mounted on its merged dir (or the running container's mount
 * is shared), vfs prepared in its rootfs dir. Every call adds one to the
 * container's mount count; the mount stays, across the container's exits,
 * until `unmountContainer` takes the count to 0. Must run as root of the
 * user namespace in its mount namespace (inside `skiff unshare`, or as
 * root); throws otherwise, with podman's message.
 */
export async function mountContainer(ctx: EngineContext, nameOrId: string): Promise<ContainerMountReport> {
  requireNamespace(ctx, 'mount');
  const { record } = await resolveContainer(ctx, nameOrId);
  const storage = await containerStorage(ctx, record.id);
  if (!storage) throw new NoSuchContainerError(nameOrId);
  const { mountRootfs } = await import('../../monitor/cleanup.js');
  if (storage.driver === 'vfs') return { id: record.id, path: await mountRootfs(storage) };
  const { changeUserMounts } = await import('../../store/user-mounts.js');
  const { mountsOn } = await import('../../store/mounts.js');
  const { promises: fsp } = await import('node:fs');
  await changeUserMounts(storage.mergedDir, +1, async (before) => {
    if (before > 0) return;
    // A running container's overlay is already there: share it.
    if (mountsOn(storage.mergedDir, await fsp.readFile('/proc/self/mountinfo', 'utf8')) > 0) return;
    await mountRootfs(storage);
  });
  return { id: record.id, path: storage.mergedDir };
}

/**
 * Takes one from a container's mount count (`skiff umount`; `force`: to 0)
 * and unmounts its root file system when the count reaches 0, unless the
 * container runs (its monitor unmounts it when it exits). Unmounting a
 * container that is not mounted is no error. Must run in the pause mount
 * namespace (`umount` is a namespaced command). Returns the container's id.
 */
export async function unmountContainer(ctx: EngineContext, nameOrId: string, options: { force: boolean }): Promise<string> {
  const info = await resolveContainer(ctx, nameOrId);
  const storage = await containerStorage(ctx, info.record.id);
  if (!storage || storage.driver !== 'overlay') return info.record.id;
  const { changeUserMounts } = await import('../../store/user-mounts.js');
  const { unmountAll } = await import('../../store/mounts.js');
  await changeUserMounts(storage.mergedDir, options.force ? null : -1, async (before, after) => {
    if (after > 0 || isRunningOrPaused(info.state.status)) return;
    if (before > 0 || options.force) await unmountAll(storage.mergedDir);
  });
  return info.record.id;
}

/** The containers `skiff mount` holds mounted, with their paths (`skiff mount` without arguments); rootless only inside the namespace. */
export async function mountedContainers(ctx: EngineContext): Promise<ContainerMountReport[]> {
  requireNamespace(ctx, 'mount');
  return listMountedContainers(ctx);
}

/** The containers `skiff mount` holds mounted (`umount -a`). Must run in the pause mount namespace. */
export async function listMountedContainers(ctx: EngineContext): Promise<ContainerMountReport[]> {
  const { userMounted } = await import('../../store/user-mounts.js');
  const out: ContainerMountReport[] = [];
  for (const { record } of await listContainers(ctx)) {
    const storage = await containerStorage(ctx, record.id);
    if (storage?.driver === 'overlay' && (await userMounted(storage.mergedDir))) out.push({ id: record.id, path: storage.mergedDir });
  }
  return out;
}
