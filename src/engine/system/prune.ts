import { InvalidArgumentError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';

export interface SystemPruneOptions {
  /** Remove every image no container uses, not only dangling ones. */
  all: boolean;
  /** Also remove every volume no container uses. */
  volumes: boolean;
  /** --filter values: label=, label!=, until= (containers, networks, volumes: label only). */
  filters: string[];
}

export interface SystemPruneReport {
  containers: string[];
  networks: string[];
  volumes: string[];
  images: string[];
  /** Temp data of killed commands that was removed (paths). */
  temp: string[];
  /** Bytes freed: the removed images' sizes (shared layers counted once per image), the volumes' data and the temp data. */
  reclaimedBytes: number;
}

const FILTER_KEYS = ['label', 'label!', 'until'];

/**
 * `skiff system prune`: removes stopped (and never started) containers,
 * the networks no container is on, the temp data killed commands left in
 * the store (never that of a live command), dangling images (with `all`,
 * every image no container uses) and, with `volumes`, every volume no
 * container mounts, in podman's order. Filters narrow containers and
 * networks (label, until), and volumes (label); images are pruned as
 * without filters. A container that starts meanwhile is skipped. Runs in
 * the user namespace: layers and volumes hold files of sub-ids.
 */
export async function systemPrune(ctx: EngineContext, options: SystemPruneOptions): Promise<SystemPruneReport> {
  for (const spec of options.filters) {
    const key = spec.includes('=') ? spec.slice(0, spec.indexOf('=')) : spec;
    if (!FILTER_KEYS.includes(key)) throw new InvalidArgumentError(`invalid filter "${key}"`, { hint: 'system prune filters: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION' });
  }
  const [{ pruneContainers }, { parseContainerFilters }, { pruneNetworks, parseNetworkFilters }, { pruneImages }, { removeOrphanedTemp }, { ImageStore }, { pruneVolumes, parseVolumeFilters }] = await Promise.all([
    import('../container/prune.js'), import('../container/filters.js'), import('../network/networks.js'), import('../image/manage.js'), import('../../store/temp.js'), import('../../store/images.js'), import('../volume/volumes.js'),
  ]);
  const containerFilters = parseContainerFilters(options.filters, ['label', 'label!', 'until']);
  const networkFilters = parseNetworkFilters(options.filters, true);
  const volumeFilters = parseVolumeFilters(options.filters.filter((f) => !f.startsWith('until=')), true);

  const containers = (await pruneContainers(ctx, containerFilters)).removed;
  const networks = await pruneNetworks(ctx, networkFilters);
  // Before pruneImages, which removes orphaned temp data too: this call reports it.
  const temp = await removeOrphanedTemp(ctx.layout);
  const sizes = new Map((await new ImageStore(ctx.layout).list()).map((i) => [i.id, i.size]));
  const images = await pruneImages(ctx, { all: options.all });
  const volumes = options.volumes ? await pruneVolumes(ctx, volumeFilters) : [];
  const reclaimedBytes = images.reduce((n, id) => n + (sizes.get(id) ?? 0), 0) + temp.bytes + volumes.reduce((n, v) => n + v.size, 0);
  return { containers, networks, volumes: volumes.map((v) => v.name), images, temp: temp.removed, reclaimedBytes };
}
