import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BlobStore } from '../store/blobs.js';
import { ImageStore, type ImageRecord } from '../store/images.js';
import { LayerStore } from '../store/layers.js';
import type { StoreLayout } from '../store/layout.js';
import { SkiffError, isErrno } from '../util/errors.js';
import * as mediaTypes from '../oci/media-types.js';
import type { Image, Manifest } from '../oci/image-spec.js';
import { extractLayer } from './layer/extract.js';
import { detectCompression } from './layer/compression.js';

export interface ImportTarballOptions {
  /** A file path, or '-' for stdin. */
  source: string;
  /** Fully qualified names to give the image (may be empty: a dangling image). */
  names: string[];
  /** Image config fields set by --change (Cmd, Env, ...). */
  config: Image['config'];
  /** chown files to the owners in the tar (true as root or inside the user namespace). */
  chown: boolean;
  architecture: string;
  message?: string;
}

/**
 * Imports a root filesystem tarball (plain or gzip) as a single-layer image,
 * as `podman import` does: the layer blob is stored as given, extracted
 * inside the (namespaced) root, and described by a new config and manifest.
 */
export async function importTarball(layout: StoreLayout, options: ImportTarballOptions): Promise<ImageRecord> {
  const blobs = new BlobStore(layout);
  let input: Readable;
  try {
    input = options.source === '-' ? process.stdin : createReadStream(options.source);
    if (options.source !== '-') await new Promise<void>((resolve, reject) => {
      (input as ReturnType<typeof createReadStream>).once('open', () => resolve());
      input.once('error', reject);
    });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new SkiffError('ENOENT', `cannot import "${options.source}": no such file`);
    throw err;
  }

  // Store the blob first; then extract from the stored copy (stdin can be read once only).
  const layerBlob = await blobs.putStream(input);
  const compression = await detectCompression(blobs.path(layerBlob.digest));
  if (compression === 'zstd') throw new SkiffError('EUNSUPPORTED', 'zstd-compressed tarballs cannot be imported yet; decompress it first');

  let diffId = '';
  let size = 0;
  const layers = new LayerStore(layout);
  // The chain id of a bottom layer is its diff id, which we only know after
  // reading; hash first, then create the layer under that id.
  diffId = await hashUncompressed(createReadStream(blobs.path(layerBlob.digest)), compression);
  const layer = await layers.create(diffId.slice('sha256:'.length), async (dir) => {
    const hash = createHash('sha256');
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const raw = createReadStream(blobs.path(layerBlob.digest));
    const plain = compression === 'gzip' ? raw.pipe(createGunzip()) : raw.pipe(new PassThrough());
    plain.on('error', (err) => counter.destroy(err));
    await extractLayer(plain.pipe(counter), dir, { chown: options.chown, whiteouts: 'none' });
    return { diffId, size };
  });

  const created = new Date().toISOString();
  const image: Image = {
    created,
    architecture: options.architecture,
    os: 'linux',
    config: options.config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'skiff import', comment: options.message }],
  };
  const configBlob = await blobs.putBytes(JSON.stringify(image));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.OCI_MANIFEST,
    config: { mediaType: mediaTypes.OCI_CONFIG, digest: configBlob.digest, size: configBlob.size },
    layers: [{
      mediaType: compression === 'gzip' ? mediaTypes.OCI_LAYER_GZIP : mediaTypes.OCI_LAYER,
      digest: layerBlob.digest,
      size: layerBlob.size,
    }],
  };
  const manifestBlob = await blobs.putBytes(JSON.stringify(manifest));
  return new ImageStore(layout).add({
    id: configBlob.digest.slice('sha256:'.length),
    names: options.names,
    manifestDigest: manifestBlob.digest,
    configDigest: configBlob.digest,
    layers: [layer.id],
    size: layer.size,
    created,
  });
}

async function hashUncompressed(raw: Readable, compression: 'gzip' | 'none'): Promise<string> {
  const hash = createHash('sha256');
  const plain = compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of plain) hash.update(chunk as Buffer);
  } catch (err) {
    throw new SkiffError('ECORRUPT', `the tarball is corrupt: ${(err as Error).message}`, { cause: err });
  }
  return 'sha256:' + hash.digest('hex');
}
