import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArchiveFormat, SaveItem, SaveProgress } from '../image/archive/save.js';
import type { LoadProgress } from '../image/archive/load.js';
import { formatReference, localImageName, parseReference } from '../image/reference.js';
import type { MonitorConfig } from '../monitor/protocol.js';
import { ImageStore, type ImageRecord } from '../store/images.js';
import { nonEnding, writeFileAtomically } from '../util/atomic-output.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../util/errors.js';
import { exec } from '../util/exec.js';
import type { EngineContext } from './context.js';
import { resolveContainer } from './container-record.js';
import { NoSuchImageError } from './errors.js';
import { pullPlatform } from './image-pull.js';
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
  const { saveArchive, saveOciDir } = await import('../image/archive/save.js');
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
  const { removeOrphanedTemp } = await import('../store/temp.js');
  await removeOrphanedTemp(ctx.layout).catch(() => undefined);
  const { loadArchive } = await import('../image/archive/load.js');
  const source = options.input !== undefined ? { path: options.input } : options.stdin ? { stream: options.stdin } : undefined;
  if (!source) throw new InvalidArgumentError('no input for load');
  return loadArchive(ctx.layout, source, {
    chown: process.getuid?.() === 0,
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
  const { packDirectory } = await import('../image/layer/pack.js');
  const info = await resolveContainer(ctx, options.container);
  const id = info.record.id;
  let monitor: MonitorConfig;
  try {
    monitor = JSON.parse(readFileSync(join(ctx.layout.containerDir(id), 'monitor.json'), 'utf8')) as MonitorConfig;
  } catch (err) {
    throw new SkiffError('ECORRUPT', `container ${id.slice(0, 12)} has no storage configuration: ${(err as Error).message}`, { cause: err });
  }
  await withRootfs(ctx, monitor.storage, async (root) => {
    if (options.output) {
      await writeFileAtomically(options.output, (out) => packDirectory(root, out));
    } else {
      if (!options.stdout) throw new InvalidArgumentError('no output for export');
      await packDirectory(root, nonEnding(options.stdout));
    }
  });
}

/** Runs `use` on a directory that shows the container's root filesystem; undoes any mount or copy it made. */
async function withRootfs(ctx: EngineContext, storage: MonitorConfig['storage'], use: (root: string) => Promise<void>): Promise<void> {
  if (storage.driver === 'vfs') {
    if (await fsp.access(`${storage.rootfsDir}.complete`).then(() => true, () => false)) return use(storage.rootfsDir);
    if (storage.lowerDirs.length === 1) return use(storage.lowerDirs[0]);
    // Never started: no copy yet. Make one as start would, whiteouts applied.
    const { applyLayers } = await import('../store/drivers/vfs.js');
    const tmp = join(ctx.layout.tmpDir, `export-${randomBytes(4).toString('hex')}`);
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
  const target = join(ctx.global.runroot, `export-${randomBytes(4).toString('hex')}`);
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
  try {
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => unescape(line.split(' ')[4] ?? '') === path);
  } catch {
    return false;
  }
}
