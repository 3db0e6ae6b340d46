import { ImageStore } from '../../store/images.js';
import { isErrno } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { containerStorage, containerTop } from './diff.js';
import type { ContainerInfo } from './record.js';

/** podman's ContainerSize: `ps --size` and `inspect --size` (SizeRw, SizeRootFs). */
export interface ContainerSize {
  /** Bytes the container wrote: its writable layer (0 before its first start). */
  rwSize: number;
  /** Bytes of its image's layers, unpacked (the image's size); the writable layer is not part of it. */
  rootFsSize: number;
}

/**
 * Measures each container's writable layer (store/changes.ts
 * `containerRwSize`: lstat sizes of what it added or changed, hard links
 * once, never a file's contents) and its image's size. Keyed by container id.
 *
 * Runs as root of the user namespace (the files belong to sub-ids); takes no
 * lock: a running container's files are measured as they are at the moment.
 */
export async function containerSizes(ctx: EngineContext, containers: ContainerInfo[]): Promise<Map<string, ContainerSize>> {
  const { containerRwSize } = await import('../../store/changes.js');
  const images = new Map((await new ImageStore(ctx.layout).list()).map((image) => [image.id, image]));
  const sizes = new Map<string, ContainerSize>();
  for (const { record } of containers) {
    const storage = await containerStorage(ctx, record.id);
    const top = storage && (await containerTop(storage));
    // A container removed meanwhile has nothing left to measure.
    const rwSize = top ? await containerRwSize(storage.lowerDirs, top).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }) : 0;
    sizes.set(record.id, { rwSize, rootFsSize: images.get(record.image.id)?.size ?? 0 });
  }
  return sizes;
}
