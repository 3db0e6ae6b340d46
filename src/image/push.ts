import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { Descriptor, Manifest } from '../oci/image-spec.js';
import * as mediaTypes from '../oci/media-types.js';
import { BlobStore } from '../store/blobs.js';
import type { ImageRecord } from '../store/images.js';
import type { StoreLayout } from '../store/layout.js';
import { SkiffError } from '../util/errors.js';
import { compressor, detectCompression, openDecompressed, type Compression } from './layer/compression.js';
import type { ImageReference } from './reference.js';

/** What push needs from a registry (RegistryClient provides it). */
export interface RegistryDestination {
  headBlob(repo: string, digest: string): Promise<number | undefined>;
  /** Uploads a stored blob file (in chunks when it is large). */
  putBlobFile(repo: string, digest: string, path: string, size: number): Promise<void>;
  mount(repo: string, digest: string, fromRepo: string): Promise<boolean>;
  putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string>;
}

/** Progress events for the CLI to render (the image layer never prints). */
export type PushProgress =
  | { kind: 'blob'; digest: string; size: number; state: 'copying' | 'exists' | 'done' }
  | { kind: 'config'; digest: string }
  | { kind: 'writing' };

export interface PushOptions {
  /** Recompress layers stored in another compression to this one; uncompressed layers are compressed to it (gzip without it). */
  compressionFormat?: 'gzip' | 'zstd';
  /** Repositories of the same registry the image came from: blobs are mounted from them instead of uploaded. */
  mountFrom?: string[];
  progress?: (event: PushProgress) => void;
  /** Layers uploaded at once. */
  parallel?: number;
}

/**
 * Pushes a stored image to `ref` in a registry: each layer and then the
 * config unless the repository has it already (HEAD), mounted from a
 * repository the image came from when the registry allows, else uploaded in
 * one PUT after its local bytes are verified; then the manifest bytes exactly
 * as stored, so the digest is the one pulled. Uncompressed layers are
 * compressed (gzip, or `compressionFormat`) and with `compressionFormat`
 * layers in another compression are recompressed, into the blob store (see
 * `compressLayers`); a new manifest (same config) is then pushed instead.
 *
 * @returns the digest of the manifest pushed.
 * @throws SkiffError `ENOMANIFEST` when the image's manifest is not in the store
 *   (images pulled by older skiff versions), `EDIGEST` for a corrupt local blob,
 *   and the registry client's errors.
 */
export async function pushImage(
  layout: StoreLayout,
  dest: RegistryDestination,
  ref: ImageReference,
  image: ImageRecord,
  options: PushOptions = {},
): Promise<string> {
  const blobs = new BlobStore(layout);
  if (!(await blobs.has(image.manifestDigest))) {
    throw new SkiffError('ENOMANIFEST', `the manifest ${image.manifestDigest} of image ${image.id.slice(0, 12)} is missing from the store`, {
      hint: 'pull or import the image again',
    });
  }
  let manifestBytes = await blobs.get(image.manifestDigest);
  await verifyBytes(manifestBytes, image.manifestDigest, 'manifest');
  let manifest = parseManifest(manifestBytes);
  // Uncompressed layers (committed, imported) go out gzipped unless told otherwise, as podman pushes them.
  const converted = await compressLayers(blobs, manifest, options.compressionFormat ?? 'gzip', Boolean(options.compressionFormat));
  if (converted) {
    manifest = converted;
    manifestBytes = Buffer.from(JSON.stringify(converted));
    await blobs.putBytes(manifestBytes);
  }

  const repo = ref.path;
  const mountFrom = (options.mountFrom ?? []).filter((r) => r !== repo);
  await inParallel(manifest.layers, options.parallel ?? 3, async (layer) => {
    if (await pushBlob(dest, blobs, repo, layer, mountFrom, () => options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'copying' }))) {
      options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'exists' });
    } else {
      options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'done' });
    }
  });
  await pushBlob(dest, blobs, repo, manifest.config, mountFrom, () => undefined);
  options.progress?.({ kind: 'config', digest: manifest.config.digest });

  options.progress?.({ kind: 'writing' });
  const mediaType = manifest.mediaType ?? mediaTypes.OCI_MANIFEST;
  return dest.putManifest(repo, ref.digest ?? ref.tag ?? 'latest', manifestBytes, mediaType);
}

/** Puts one blob into `repo`; returns true when nothing was uploaded (the registry had it, or mounted it from `mountFrom`). */
async function pushBlob(
  dest: RegistryDestination,
  blobs: BlobStore,
  repo: string,
  desc: Descriptor,
  mountFrom: string[],
  copying: () => void,
): Promise<boolean> {
  if ((await dest.headBlob(repo, desc.digest)) !== undefined) return true;
  for (const from of mountFrom) {
    try {
      // A mounted blob is reused, not copied: containers/image reports it as "skipped: already exists" too.
      if (await dest.mount(repo, desc.digest, from)) return true;
    } catch (err) {
      // No pull access to the source repository: upload instead.
      if (!(err instanceof SkiffError)) throw err;
    }
  }
  copying();
  const path = blobs.path(desc.digest);
  let size: number;
  try {
    size = (await fsp.stat(path)).size;
  } catch {
    throw new SkiffError('EBLOBUNKNOWN', `blob ${desc.digest} is missing from the store`, { hint: 'pull or import the image again' });
  }
  if (size !== desc.size) {
    throw new SkiffError('ECORRUPT', `blob ${desc.digest} in the store has ${size} bytes, the manifest says ${desc.size}`);
  }
  // Hashed before the upload: a corrupt local blob must not reach the registry.
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = 'sha256:' + hash.digest('hex');
  if (actual !== desc.digest) {
    throw new SkiffError('EDIGEST', `blob ${desc.digest} in the store is corrupt: digest mismatch: got ${actual}`);
  }
  await dest.putBlobFile(repo, desc.digest, path, size);
  return false;
}

/**
 * The manifest to push when some layers must change compression: as
 * containers/image does for a registry, uncompressed layers are always
 * compressed (to `format`); with `recompressOthers` (an explicit
 * --compression-format) layers in another compression are recompressed
 * too, and the others are kept as stored. A Docker manifest with zstd
 * layers becomes an OCI one (Docker's schema has no zstd type), as
 * containers/image converts it. Each new blob goes into the blob store and
 * is noted as the layer's copy in `format`, so the next push reuses it.
 *
 * @returns undefined when no layer changes.
 */
async function compressLayers(blobs: BlobStore, manifest: Manifest, format: 'gzip' | 'zstd', recompressOthers: boolean): Promise<Manifest | undefined> {
  const current = await Promise.all(manifest.layers.map((l) => detectCompression(blobs.path(l.digest))));
  const converts = (c: Compression) => c !== format && (c === 'none' || recompressOthers);
  if (!current.some(converts)) return undefined;
  const toOci = manifest.mediaType === mediaTypes.DOCKER_MANIFEST && format === 'zstd';
  const docker = manifest.mediaType === mediaTypes.DOCKER_MANIFEST && !toOci;
  const layerType = docker ? mediaTypes.DOCKER_LAYER_GZIP : format === 'zstd' ? mediaTypes.OCI_LAYER_ZSTD : mediaTypes.OCI_LAYER_GZIP;
  const layers: Descriptor[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    if (!converts(current[i])) {
      layers.push(current[i] === format && toOci ? { ...layer, mediaType: layerType } : layer);
      continue;
    }
    const copy = await compressedCopy(blobs, layer.digest, format);
    layers.push({ ...layer, mediaType: layerType, digest: copy.digest, size: copy.size });
  }
  const config = toOci ? { ...manifest.config, mediaType: mediaTypes.OCI_CONFIG } : manifest.config;
  return { ...manifest, mediaType: toOci ? mediaTypes.OCI_MANIFEST : manifest.mediaType, config, layers };
}

/** Layer blob `digest` as a stored blob in `format`: the copy noted by an earlier push, or a new one. */
async function compressedCopy(blobs: BlobStore, digest: string, format: 'gzip' | 'zstd'): Promise<{ digest: string; size: number }> {
  const noted = await blobs.compressedCopy(digest, format);
  if (noted) return { digest: noted, size: (await fsp.stat(blobs.path(noted))).size };
  const plain = await openDecompressed(blobs.path(digest));
  const packer = await compressor(format);
  plain.on('error', (err) => packer.destroy(new SkiffError('ECORRUPT', `layer ${digest} is corrupt: ${err.message}`, { cause: err })));
  const stored = await blobs.putStream(plain.pipe(packer));
  await blobs.recordCompressedCopy(digest, format, stored.digest);
  return stored;
}

async function verifyBytes(bytes: Buffer, digest: string, what: string): Promise<void> {
  const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  if (actual !== digest) throw new SkiffError('EDIGEST', `the ${what} ${digest} in the store is corrupt: digest mismatch: got ${actual}`);
}

function parseManifest(bytes: Buffer): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Manifest;
  } catch {
    throw new SkiffError('ECORRUPT', 'the stored manifest is not valid JSON');
  }
  if (!m.config?.digest || !Array.isArray(m.layers)) throw new SkiffError('ECORRUPT', 'the stored manifest has no config or no layers');
  return m;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
