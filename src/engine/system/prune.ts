import type { EngineContext } from '../context.js';
import { listContainers } from '../container/record.js';

export interface SystemPruneOptions {
  /** Remove every image no container uses, not only dangling ones. */
  all: boolean;
}

export interface SystemPruneReport {
  containers: string[];
  images: string[];
  /** Temp data of killed commands that was removed (paths). */
  temp: string[];
  /** Bytes freed: the removed images' sizes (shared layers counted once per image) and the temp data. */
  reclaimedBytes: number;
}

/**
 * `skiff system prune`: removes stopped (and never started) containers, the
 * temp data killed commands left in the store (never that of a live
 * command), then dangling images (with `all`, every image no container
 * uses). A container that starts meanwhile is skipped. Runs in the user
 * namespace: layers and half-made layers hold files of sub-ids.
 */
export async function systemPrune(ctx: EngineContext, options: SystemPruneOptions): Promise<SystemPruneReport> {
  const [{ removeContainer }, { pruneImages }, { removeOrphanedTemp }, { ImageStore }, { ContainerStateError }] = await Promise.all([
    import('../container/lifecycle.js'), import('../image/manage.js'), import('../../store/temp.js'), import('../../store/images.js'), import('../errors.js'),
  ]);
  const containers: string[] = [];
  for (const c of await listContainers(ctx)) {
    if (c.state.status === 'running') continue;
    try {
      await removeContainer(ctx, c.record.id, { force: false });
      containers.push(c.record.id);
    } catch (err) {
      if (!(err instanceof ContainerStateError)) throw err;
    }
  }
  // Before pruneImages, which removes orphaned temp data too: this call reports it.
  const temp = await removeOrphanedTemp(ctx.layout);
  const sizes = new Map((await new ImageStore(ctx.layout).list()).map((i) => [i.id, i.size]));
  const images = await pruneImages(ctx, { all: options.all });
  const reclaimedBytes = images.reduce((n, id) => n + (sizes.get(id) ?? 0), 0) + temp.bytes;
  return { containers, images, temp: temp.removed, reclaimedBytes };
}
