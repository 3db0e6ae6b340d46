import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ArchiveFormat, SaveItem, SaveProgress } from '../../image/archive/save.js';
import { formatReference, localImageName, parseReference } from '../../image/reference.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';
import { nonEnding, writeFileAtomically } from '../../util/atomic-output.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { NoSuchImageError } from '../errors.js';
import { matchImage } from './images.js';

export interface ImageSaveOptions {
  /** Images to save; without multiImageArchive (docker-archive) the rest are extra names of the first, as podman reads them. */
  images: string[];
  format: ArchiveFormat;
  multiImageArchive: boolean;
  /** A file (archives) or directory (oci-dir); stdout when undefined. */
  output?: string;
  stdout?: NodeJS.WritableStream;
  progress?: (event: SaveProgress) => void;
}

/**
 * Saves images to an archive (`skiff save`): a docker-archive, an
 * oci-archive or an oci-dir. A file or directory appears only complete
 * (temp + rename); to stdout the tar streams as it is made.
 */
export async function saveImages(ctx: EngineContext, options: ImageSaveOptions): Promise<void> {
  const { saveArchive, saveOciDir } = await import('../../image/archive/save.js');
  const items = await saveItems(ctx, options);
  const { format, output, progress } = options;
  if (format === 'oci-dir') {
    if (!output) throw new InvalidArgumentError('oci-dir needs an output directory: use -o');
    await writeDirAtomically(output, (dir) => saveOciDir(ctx.layout, items, dir, { progress }));
    return;
  }
  if (output) {
    await writeFileAtomically(output, (out) => saveArchive(ctx.layout, items, out, { format, progress }));
  } else {
    if (!options.stdout) throw new InvalidArgumentError('no output for save');
    await saveArchive(ctx.layout, items, nonEnding(options.stdout), { format, progress });
  }
}

async function saveItems(ctx: EngineContext, options: ImageSaveOptions): Promise<SaveItem[]> {
  const images = await new ImageStore(ctx.layout).list();
  const find = (input: string) => {
    const record = matchImage(images, input);
    if (!record) throw new NoSuchImageError(input);
    return record;
  };
  if (options.format === 'docker-archive' && !options.multiImageArchive) {
    // podman: without -m, additional names are tags for the first image.
    const image = find(options.images[0]);
    const names = [...savedNames(image, options.images[0]), ...options.images.slice(1).map((n) => localImageName(n))];
    return [{ image, names: [...new Set(names)] }];
  }
  const byId = new Map<string, SaveItem>();
  for (const input of options.images) {
    const image = find(input);
    const item = byId.get(image.id) ?? { image, names: [] };
    item.names = [...new Set([...item.names, ...savedNames(image, input)])];
    byId.set(image.id, item);
  }
  return [...byId.values()];
}

/** The name the user gave, as stored; all names when they gave an id. */
function savedNames(image: ImageRecord, input: string): string[] {
  let full: string | undefined;
  try {
    full = formatReference(parseReference(input));
  } catch {
    return image.names;
  }
  const named = image.names.find((n) => n === full || n.endsWith(`/${full}`) || n.endsWith(`/library/${full}`));
  return named ? [named] : image.names;
}

/** Builds a directory beside `path` and renames it into place when complete; an existing non-empty directory is refused. */
async function writeDirAtomically(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const existing = await fsp.readdir(path).catch((err: unknown) => (isErrno(err, 'ENOENT') ? undefined : Promise.reject(err)));
  if (existing && existing.length > 0) throw new SkiffError('EEXIST', `"${path}" exists and is not empty`, { hint: 'choose a new directory for oci-dir' });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  await fsp.mkdir(tmp, { mode: 0o755 });
  try {
    await fill(tmp);
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
