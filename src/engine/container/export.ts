import { readFileSync } from 'node:fs';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { nonEnding, writeFileAtomically } from '../../util/atomic-output.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
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

/**
 * Runs `use` on a directory that shows the container's root filesystem,
 * read-only, through its storage driver's view (store/drivers/); undoes
 * any mount or copy made for it. Runs as root of the user namespace.
 */
export async function withRootfs(ctx: EngineContext, storage: MonitorConfig['storage'], use: (root: string) => Promise<void>): Promise<void> {
  // Never started, or its image pulled again: a container with an id map may lack its layers' copies.
  if (storage.idMappings) await (await import('../../store/id-shift.js')).ensureMappedLayers(storage.lowerDirs, storage.idMappings);
  const { rootfsDriver } = await import('../../store/drivers/driver.js');
  // The scratch dir is the run root: an overlay mount point there is never under the graph root's tmp/, which others clean.
  const view = await (await rootfsDriver(storage)).readOnlyView(storage, storage.driver === 'vfs' ? ctx.layout.tmpDir : ctx.global.runroot);
  try {
    await use(view.path);
  } finally {
    await view.release();
  }
}
