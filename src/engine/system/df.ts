import { promises as fsp } from 'node:fs';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { ImageStore } from '../../store/images.js';
import { LayerStore } from '../../store/layers.js';
import { isErrno } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { listContainers, type ContainerInfo } from '../container/record.js';
import { volumeStore } from '../volume/volumes.js';

/** One image of `system df -v` (podman's SystemDfImageReport). */
export interface DfImage {
  repository: string;
  tag: string;
  id: string;
  created: string;
  size: number;
  /** Bytes of its layers that other images use too. */
  sharedSize: number;
  uniqueSize: number;
  /** Containers made from it, in any state. */
  containers: number;
}

/** One container of `system df -v` (podman's SystemDfContainerReport). */
export interface DfContainer {
  id: string;
  imageId: string;
  command: string[];
  localVolumes: number;
  /** Bytes its writable layer holds. */
  rwSize: number;
  created: string;
  status: string;
  name: string;
}

/** One volume of `system df -v` (podman's SystemDfVolumeReport). */
export interface DfVolume {
  name: string;
  /** Containers that mount it. */
  links: number;
  size: number;
  /** Its size when no container mounts it, else 0. */
  reclaimableSize: number;
}

export interface SystemDfReport {
  images: DfImage[];
  containers: DfContainer[];
  volumes: DfVolume[];
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping their order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A container's writable layer in bytes (0 before its first start, or once removed). */
async function rwSize(ctx: EngineContext, id: string): Promise<number> {
  let storage: MonitorConfig['storage'];
  try {
    storage = (JSON.parse(await fsp.readFile(ctx.layout.containerMonitorConfig(id), 'utf8')) as MonitorConfig).storage;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
  const { containerTop } = await import('../container/diff.js');
  const top = await containerTop(storage);
  if (!top) return 0;
  const { containerRwSize } = await import('../../store/changes.js');
  return containerRwSize(storage.lowerDirs, top).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  });
}

/**
 * What the store holds and what could be freed (`system df`): every image
 * with its shared and unique layer bytes and its containers, every
 * container with its writable layer's size, every volume with its size and
 * how many containers mount it; sizes as podman computes them (lstat sizes,
 * hard links once). Takes no lock: a running container is measured as it
 * is. Run as root of the user namespace (containers' files belong to
 * sub-ids).
 */
export async function systemDf(ctx: EngineContext): Promise<SystemDfReport> {
  const [images, containers, volumes] = await Promise.all([new ImageStore(ctx.layout).list(), listContainers(ctx), volumeStore(ctx).list()]);

  const layers = new LayerStore(ctx.layout);
  const layerIds = [...new Set(images.flatMap((i) => i.layers))];
  const layerSizes = new Map(await mapLimited(layerIds, 16, async (id) => [id, (await layers.get(id))?.size ?? 0] as const));
  const usersOfLayer = new Map<string, number>();
  for (const image of images) for (const id of new Set(image.layers)) usersOfLayer.set(id, (usersOfLayer.get(id) ?? 0) + 1);
  const containersOfImage = new Map<string, number>();
  for (const c of containers) containersOfImage.set(c.record.image.id, (containersOfImage.get(c.record.image.id) ?? 0) + 1);

  const dfImages: DfImage[] = images.map((image) => {
    const shared = [...new Set(image.layers)].filter((id) => (usersOfLayer.get(id) ?? 0) > 1).reduce((sum, id) => sum + (layerSizes.get(id) ?? 0), 0);
    const [name] = image.names;
    const colon = name ? name.lastIndexOf(':') : -1;
    const repository = name && colon > name.lastIndexOf('/') ? name.slice(0, colon) : name ?? '<none>';
    const tag = name && colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '<none>';
    return { repository, tag, id: image.id, created: image.created, size: image.size, sharedSize: shared, uniqueSize: image.size - shared, containers: containersOfImage.get(image.id) ?? 0 };
  });

  const dfContainers = await mapLimited(containers, 8, async (c: ContainerInfo): Promise<DfContainer> => ({
    id: c.record.id,
    imageId: c.record.image.id,
    command: [...c.record.entrypoint, ...c.record.cmd],
    localVolumes: c.record.volumes?.length ?? 0,
    rwSize: await rwSize(ctx, c.record.id),
    created: c.record.created,
    status: c.state.status,
    name: c.record.name,
  }));

  const links = new Map<string, number>();
  for (const c of containers) for (const name of new Set((c.record.volumes ?? []).map((v) => v.name))) links.set(name, (links.get(name) ?? 0) + 1);
  const { directorySize } = await import('../volume/size.js');
  const store = volumeStore(ctx);
  const dfVolumes = await mapLimited(volumes, 8, async (v): Promise<DfVolume> => {
    const size = await directorySize(store.dataDir(v.name));
    const n = links.get(v.name) ?? 0;
    return { name: v.name, links: n, size, reclaimableSize: n === 0 ? size : 0 };
  });
  return { images: dfImages, containers: dfContainers, volumes: dfVolumes };
}
