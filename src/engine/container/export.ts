import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { mountsOn } from '../../store/mounts.js';
import { tempName } from '../../store/temp.js';
import { nonEnding, writeFileAtomically } from '../../util/atomic-output.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import type { EngineContext } from '../context.js';
import { resolveContainer } from './record.js';

export interface ContainerExportOptions {
  container: string;
  /** A file; stdout when undefined. */
  output?: string;
  stdout?: NodeJS.WritableStream;
}

/**
 * Writes a container's root filesystem as a tar (`skiff export`): the merged
 * view, with the container's changes and deletions. A running container is
 * read through its mounted rootfs; otherwise its layers are mounted
 * read-only for the duration. Runs as root of the user namespace, so every
 * file is readable and owners appear as the container sees them.
 */
export async function exportContainer(ctx: EngineContext, options: ContainerExportOptions): Promise<void> {
  const { packDirectory } = await import('../../image/layer/pack.js');
  const info = await resolveContainer(ctx, options.container);
  const id = info.record.id;
  let monitor: MonitorConfig;
  try {
    monitor = JSON.parse(readFileSync(ctx.layout.containerMonitorConfig(id), 'utf8')) as MonitorConfig;
  } catch (err) {
    throw new SkiffError('ECORRUPT', `container ${id.slice(0, 12)} has no storage configuration: ${(err as Error).message}`, { cause: err });
  }
  // A container with an id map of its own: the archive has the owners it sees.
  const owners = monitor.storage.idMappings ? (await import('../../store/id-shift.js')).ownersInside(monitor.storage.idMappings) : undefined;
  await withRootfs(ctx, monitor.storage, async (root) => {
    if (options.output) {
      await writeFileAtomically(options.output, (out) => packDirectory(root, out, owners));
    } else {
      if (!options.stdout) throw new InvalidArgumentError('no output for export');
      await packDirectory(root, nonEnding(options.stdout), owners);
    }
  });
}

/** Runs `use` on a directory that shows the container's root filesystem; undoes any mount or copy it made. Runs as root of the user namespace. */
export async function withRootfs(ctx: EngineContext, storage: MonitorConfig['storage'], use: (root: string) => Promise<void>): Promise<void> {
  // Never started, or its image pulled again: a container with an id map may lack its layers' copies.
  if (storage.idMappings) await (await import('../../store/id-shift.js')).ensureMappedLayers(storage.lowerDirs, storage.idMappings);
  if (storage.driver === 'vfs') {
    if (await fsp.access(`${storage.rootfsDir}.complete`).then(() => true, () => false)) return use(storage.rootfsDir);
    if (storage.lowerDirs.length === 1) return use(storage.lowerDirs[0]);
    // Never started: no copy yet. Make one as start would, whiteouts applied.
    const { applyLayers } = await import('../../store/drivers/vfs.js');
    const tmp = join(ctx.layout.tmpDir, tempName('export'));
    await fsp.mkdir(tmp, { recursive: true });
    try {
      await applyLayers(storage.lowerDirs, tmp);
      return await use(tmp);
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }
  if (isMountPoint(storage.mergedDir)) return use(storage.mergedDir);
  // overlay wants the top-most first; the container's upper dir is the top.
  const dirs = [...storage.lowerDirs].reverse();
  const hasUpper = await fsp.access(storage.upperDir).then(() => true, () => false);
  if (hasUpper) dirs.unshift(storage.upperDir);
  if (dirs.length === 1) return use(dirs[0]);
  const target = join(ctx.global.runroot, tempName('export'));
  await fsp.mkdir(target, { recursive: true });
  try {
    // Read-only with no upper dir: nothing is written, and the container's own upper stays free for a start meanwhile.
    const userxattr = process.env.SKIFF_USERNS_PID ? ',userxattr' : '';
    const mounted = await exec('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dirs.join(':')}${userxattr}`, target]);
    if (mounted.exitCode !== 0) throw new SkiffError('EMOUNT', `cannot mount the container's root filesystem: ${mounted.stderr.trim()}`);
    try {
      await use(target);
    } finally {
      await exec('umount', [target]).then((r) => (r.exitCode === 0 ? r : exec('umount', ['-l', target])));
    }
  } finally {
    await fsp.rmdir(target).catch(() => undefined);
  }
}

/** True when `path` is a mount point in this mount namespace. */
function isMountPoint(path: string): boolean {
  return mountsOn(path, readFileSync('/proc/self/mountinfo', 'utf8')) > 0;
}
