import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { exec, execOrThrow } from '../util/exec.js';
import { removeNetns } from '../network/netns.js';
import { unmountAll } from '../store/mounts.js';
import type { StorageMount } from './protocol.js';

/**
 * Undoes what a container start set up: the rootfs mount and the network
 * namespace, when the container exits (the engine does the same for a
 * container whose monitor was killed). Idempotent.
 * Must run as (namespaced) root in the pause mount namespace.
 */
export async function teardownContainer(storage: StorageMount, netnsFile: string | undefined): Promise<void> {
  if (storage.driver === 'overlay') await unmountAll(storage.mergedDir);
  if (netnsFile) await removeNetns(netnsFile);
}

/** Mounts (overlay) or prepares (vfs copy) the container's root filesystem; returns its path. */
export async function mountRootfs(storage: StorageMount): Promise<string> {
  if (storage.driver === 'overlay') {
    await fsp.mkdir(storage.upperDir, { recursive: true });
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
  // The marker sits beside the copy so the container never sees it.
  const marker = `${storage.rootfsDir}.complete`;
  try {
    await fsp.access(marker);
  } catch {
    await fsp.rm(storage.rootfsDir, { recursive: true, force: true });
    await fsp.mkdir(storage.rootfsDir, { recursive: true });
    for (const dir of storage.lowerDirs) await applyLayerCopy(dir, storage.rootfsDir);
    await fsp.writeFile(marker, '');
  }
  return storage.rootfsDir;
}

/**
 * Copies one layer onto a vfs root filesystem, doing what overlayfs does
 * with the layer's whiteouts (see image/layer/extract.ts): an opaque
 * directory hides what lower layers put in it, and a 0/0 character device
 * deletes the path it stands for.
 */
async function applyLayerCopy(layerDir: string, rootfs: string): Promise<void> {
  for (const rel of await opaqueDirs(layerDir)) {
    const target = join(rootfs, rel);
    for (const name of await fsp.readdir(target).catch(() => [] as string[])) {
      await fsp.rm(join(target, name), { recursive: true, force: true });
    }
  }
  await execOrThrow('cp', ['-a', '--', `${layerDir}/.`, rootfs]);
  for (const entry of await fsp.readdir(layerDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isCharacterDevice()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if ((await fsp.lstat(path)).rdev === 0) await fsp.rm(join(rootfs, relative(layerDir, path)), { force: true });
  }
}

/** Directories of a layer marked opaque (user.overlay.opaque or trusted.overlay.opaque), relative to it. */
async function opaqueDirs(layerDir: string): Promise<string[]> {
  const result = await exec('getfattr', ['-R', '-P', '--absolute-names', '-m', '^(user|trusted)\\.overlay\\.opaque$', layerDir]);
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('# file: '))
    .map((line) => relative(layerDir, line.slice('# file: '.length)));
}
