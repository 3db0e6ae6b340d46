import type { Readable } from 'node:stream';
import type { LoadProgress } from '../../image/archive/load.js';
import { formatReference, localImageName, parseReference } from '../../image/reference.js';
import type { ImageRecord } from '../../store/images.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { pullPlatform } from './pull.js';
import { layerChown } from '../storage-driver.js';

export interface ImageLoadOptions {
  /** An archive file or OCI layout directory; `stdin` when undefined. */
  input?: string;
  stdin?: Readable;
  progress?: (event: LoadProgress) => void;
}

/**
 * Loads images from an archive (`skiff load`). Runs inside the user
 * namespace, as root of it, so layer files get their owners. Temp data
 * that killed commands left behind is removed first.
 *
 * @returns the loaded images with the names the archive gave them.
 */
export async function loadImages(ctx: EngineContext, options: ImageLoadOptions): Promise<ImageRecord[]> {
  const { removeOrphanedTemp } = await import('../../store/temp.js');
  await removeOrphanedTemp(ctx.layout).catch(() => undefined);
  const { loadArchive } = await import('../../image/archive/load.js');
  const source = options.input !== undefined ? { path: options.input } : options.stdin ? { stream: options.stdin } : undefined;
  if (!source) throw new InvalidArgumentError('no input for load');
  return loadArchive(ctx.layout, source, {
    chown: layerChown(ctx),
    whiteouts: ctx.rootless ? 'user' : 'trusted',
    platform: pullPlatform({}),
    normalizeName: archiveImageName,
    progress: options.progress,
  });
}

/**
 * The stored name for a name in an archive (docker RepoTags or an OCI
 * ref.name): one that is not fully qualified goes under localhost/, as
 * podman 4 stores `shorty:v1` from either kind of archive. Invalid names
 * and digest-only references are dropped.
 */
export function archiveImageName(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.digest && !ref.tag) return undefined;
    return localImageName(formatReference({ ...ref, digest: undefined }));
  } catch {
    return undefined;
  }
}
