import { promises as fsp } from 'node:fs';
import type { Image, Manifest } from '../../oci/image-spec.js';
import { localImageName, parseReference } from '../../image/reference.js';
import { BlobStore } from '../../store/blobs.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';
import { removeOrphanedTemp } from '../../store/temp.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { withLock } from '../../util/lock.js';
import type { EngineContext } from '../context.js';
import { listContainers } from '../container/record.js';
import { removeContainer } from '../container/lifecycle.js';
import { NoSuchImageError } from '../errors.js';
import { matchImage, resolveImage } from './images.js';

/** An image a container uses cannot be removed without --force (podman's exit code 2). */
export class ImageInUseError extends SkiffError {
  constructor(image: string, container: string) {
    super('EIMAGEINUSE', `image used by ${container}: image is in use by a container: consider listing external containers and force-removing image`, {
      hint: `remove the container first, or use \`skiff rmi -f ${image}\``,
    });
  }
}

/**
 * Adds names to an image (`skiff tag`); short names go under localhost/, as
 * podman does. A name with a digest is refused: a digest names content, and
 * a local name cannot make the image have another one.
 */
export async function tagImage(ctx: EngineContext, source: string, targets: string[]): Promise<ImageRecord> {
  for (const target of targets) {
    if (parseReference(target).digest) throw new InvalidArgumentError(`${target}: tag by digest not supported`);
  }
  const { record } = await resolveImage(ctx, source);
  const names = targets.map((t) => localImageName(t));
  return new ImageStore(ctx.layout).add({ ...record, names });
}

/** Removes names from an image (`skiff untag`); with none given, all of them. */
export async function untagImage(ctx: EngineContext, image: string, names: string[]): Promise<void> {
  const { record } = await resolveImage(ctx, image);
  const drop = names.length ? names.map((n) => localImageName(n)) : record.names;
  for (const name of drop) {
    if (!record.names.includes(name)) throw new SkiffError('ENOTAG', `${name}: tag not known`);
  }
  await new ImageStore(ctx.layout).setNames(record.id, record.names.filter((n) => !drop.includes(n)));
}

export interface ImageRemoveReport {
  untagged: string[];
  deleted: string[];
}

/**
 * Removes an image as `podman rmi` does: by a name the image has besides
 * others, only that name goes (untag); otherwise the image goes, with the
 * blobs and layers no other image shares. An image a container uses is
 * refused unless `force`, which removes those containers first. Runs in the
 * user namespace: layer files belong to sub-ids.
 */
export async function removeImage(ctx: EngineContext, nameOrId: string, options: { force: boolean }): Promise<ImageRemoveReport> {
  const store = new ImageStore(ctx.layout);
  const images = await store.list();
  const record = matchImage(images, nameOrId);
  if (!record) throw new NoSuchImageError(nameOrId);
  const byName = record.names.find((n) => n === nameOrId || n === localImageName(nameOrId) || n.endsWith(`/${nameOrId}`) || n.endsWith(`/${nameOrId}:latest`));
  if (byName && record.names.length > 1) {
    await store.setNames(record.id, record.names.filter((n) => n !== byName));
    return { untagged: [byName], deleted: [] };
  }
  const users = (await listContainers(ctx)).filter((c) => c.record.image.id === record.id);
  if (users.length && !options.force) throw new ImageInUseError(nameOrId, users[0].record.id);
  for (const c of users) await removeContainer(ctx, c.record.id, { force: true });

  await store.remove(record.id);
  await collectGarbage(ctx, record);
  return { untagged: record.names, deleted: [record.id] };
}

/**
 * Deletes the blobs and layers of a removed image that no remaining image
 * references. Holds the layers lock so a concurrent pull does not lose a
 * layer it just found present.
 */
async function collectGarbage(ctx: EngineContext, removed: ImageRecord): Promise<void> {
  const blobs = new BlobStore(ctx.layout);
  const remaining = await new ImageStore(ctx.layout).list();
  const keepBlobs = new Set<string>();
  const keepLayers = new Set<string>();
  for (const image of remaining) {
    for (const digest of await imageBlobs(blobs, image)) keepBlobs.add(digest);
    for (const layer of image.layers) keepLayers.add(layer);
  }
  await withLock(ctx.layout.layersLock, async () => {
    for (const layer of removed.layers) {
      if (!keepLayers.has(layer)) await fsp.rm(ctx.layout.layerDir(layer), { recursive: true, force: true });
    }
  });
  for (const digest of await imageBlobs(blobs, removed)) {
    if (!keepBlobs.has(digest)) await fsp.rm(blobs.path(digest), { force: true });
  }
}

/** The manifest, config and layer blobs of an image. */
async function imageBlobs(blobs: BlobStore, image: ImageRecord): Promise<string[]> {
  const out = [image.manifestDigest, image.configDigest];
  try {
    const manifest = JSON.parse((await blobs.get(image.manifestDigest)).toString()) as Manifest;
    out.push(...manifest.layers.map((l) => l.digest));
  } catch {
    // A missing manifest blob: nothing more to keep or delete.
  }
  return out;
}

export interface ImageHistoryEntry {
  id: string;
  created?: string;
  createdBy: string;
  size: number;
  comment: string;
  emptyLayer: boolean;
}

/** `skiff history`: the config's history, newest first, with layer sizes matched to non-empty entries. */
export async function imageHistory(ctx: EngineContext, nameOrId: string): Promise<ImageHistoryEntry[]> {
  const { record, config } = await resolveImage(ctx, nameOrId);
  const sizes = await Promise.all(record.layers.map(async (id) => {
    const rec = JSON.parse(await fsp.readFile(ctx.layout.layerRecord(id), 'utf8').catch(() => '{}')) as { size?: number };
    return rec.size ?? 0;
  }));
  const history = (config as Image).history ?? [];
  let layer = 0;
  const entries = history.map((h) => {
    const empty = Boolean(h.empty_layer);
    const size = empty ? 0 : sizes[layer++] ?? 0;
    return { id: '<missing>', created: h.created, createdBy: h.created_by ?? '', size, comment: h.comment ?? '', emptyLayer: empty };
  }).reverse();
  if (entries.length) entries[0].id = record.id;
  return entries;
}

/**
 * `skiff image prune`: dangling images, or with `all` every image no
 * container uses; also the temp data of killed commands (removeOrphanedTemp).
 * Runs in the user namespace.
 */
export async function pruneImages(ctx: EngineContext, options: { all: boolean }): Promise<string[]> {
  await removeOrphanedTemp(ctx.layout);
  const used = new Set((await listContainers(ctx)).map((c) => c.record.image.id));
  const candidates = (await new ImageStore(ctx.layout).list()).filter((i) => !used.has(i.id) && (options.all || i.names.length === 0));
  const removed: string[] = [];
  for (const image of candidates) {
    await new ImageStore(ctx.layout).remove(image.id);
    await collectGarbage(ctx, image);
    removed.push(image.id);
  }
  return removed;
}
