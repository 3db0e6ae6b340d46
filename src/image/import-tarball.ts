import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { BlobStore } from '../store/blobs.js';
import { ImageStore, type ImageRecord } from '../store/images.js';
import { LayerStore } from '../store/layers.js';
import type { StoreLayout } from '../store/layout.js';
import { DigestStream } from '../util/digest-stream.js';
import { SkiffError, isErrno } from '../util/errors.js';
import { reportingNoSpace } from '../util/no-space.js';
import * as mediaTypes from '../oci/media-types.js';
import type { Image, Manifest } from '../oci/image-spec.js';
import { extractLayer } from './layer/extract.js';
import { detectCompression, openDecompressed } from './layer/compression.js';
import type { ChownMode } from './layer/extract.js';

/** What an import reports as it goes, in this order (podman prints them as copy progress). */
export type ImportProgress =
  | { kind: 'blob'; digest: string }
  | { kind: 'config'; digest: string }
  | { kind: 'writing' };

export interface ImportTarballOptions {
  /** A file path, or '-' for stdin. */
  source: string;
  /** How messages name the source (a URL downloaded to `source`); default `source`. */
  sourceName?: string;
  /** Fully qualified names to give the image (may be empty: a dangling image). */
  names: string[];
  /** Image config fields set by --change (Cmd, Env, ...). */
  config: Image['config'];
  /** chown files to the owners in the tar (true as root or inside the user namespace). */
  chown: ChownMode;
  architecture: string;
  message?: string;
  progress?: (event: ImportProgress) => void;
}

/**
 * Imports a root filesystem tarball (plain, gzip or zstd) as a single-layer image,
 * as `podman import` does: the layer blob is stored as given, extracted
 * inside the (namespaced) root, and described by a new config and manifest.
 * A full disk is reported as NoSpaceError.
 */
export async function importTarball(layout: StoreLayout, options: ImportTarballOptions): Promise<ImageRecord> {
  // A full disk fails writes deep inside extraction, which would otherwise call the tarball invalid.
  return reportingNoSpace(`cannot import ${sourceLabel(options)}: writing to ${layout.graphRoot}`, () => importInto(layout, options));
}

async function importInto(layout: StoreLayout, options: ImportTarballOptions): Promise<ImageRecord> {
  const blobs = new BlobStore(layout);
  let input: Readable;
  try {
    input = options.source === '-' ? process.stdin : createReadStream(options.source);
    if (options.source !== '-') await new Promise<void>((resolve, reject) => {
      (input as ReturnType<typeof createReadStream>).once('open', () => resolve());
      input.once('error', reject);
    });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new SkiffError('ENOENT', `cannot import "${options.sourceName ?? options.source}": no such file`);
    throw err;
  }

  // Store the blob first; then extract from the stored copy (stdin can be read once only).
  const layerBlob = await blobs.putStream(input);
  if (layerBlob.size === 0) {
    // podman imports it as an image with an empty layer; an empty file is a mistake, not a root filesystem.
    if (!(await blobReferenced(layout, layerBlob.digest))) await blobs.remove(layerBlob.digest);
    throw new SkiffError('EEMPTY', `cannot import ${sourceLabel(options)}: it is empty, not a tar archive`);
  }
  const compression = await detectCompression(blobs.path(layerBlob.digest));
  let layer;
  try {
    // A bottom layer is named by its diff id, known once it has been read:
    // extract into a staging directory and name it afterwards (one pass).
    layer = await new LayerStore(layout).createStaged(async (dir) => {
      const counter = new DigestStream();
      const plain = await openDecompressed(blobs.path(layerBlob.digest));
      plain.on('error', (err) => counter.destroy(err));
      await extractLayer(plain.pipe(counter), dir, { chown: options.chown, whiteouts: 'none' });
      const diffId = counter.digest();
      return { id: diffId.slice('sha256:'.length), diffId, size: counter.size() };
    });
  } catch (err) {
    // A tarball that did not import must not stay behind as a stray blob.
    if (!(await blobReferenced(layout, layerBlob.digest))) await blobs.remove(layerBlob.digest);
    if (err instanceof SkiffError) throw err;
    throw new SkiffError('ECORRUPT', `"${options.sourceName ?? options.source}" is not a valid tar archive: ${(err as Error).message}`, { cause: err });
  }

  options.progress?.({ kind: 'blob', digest: layerBlob.digest });

  const created = new Date().toISOString();
  const image: Image = {
    created,
    architecture: options.architecture,
    os: 'linux',
    config: options.config,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: 'skiff import', comment: options.message }],
  };
  const configBlob = await blobs.putBytes(JSON.stringify(image));
  options.progress?.({ kind: 'config', digest: configBlob.digest });
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.OCI_MANIFEST,
    config: { mediaType: mediaTypes.OCI_CONFIG, digest: configBlob.digest, size: configBlob.size },
    layers: [{
      mediaType: { gzip: mediaTypes.OCI_LAYER_GZIP, zstd: mediaTypes.OCI_LAYER_ZSTD, none: mediaTypes.OCI_LAYER }[compression],
      digest: layerBlob.digest,
      size: layerBlob.size,
    }],
  };
  options.progress?.({ kind: 'writing' });
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

function sourceLabel(options: ImportTarballOptions): string {
  return options.source === '-' ? 'stdin' : `"${options.sourceName ?? options.source}"`;
}

/** True when an image's manifest lists the blob (an earlier import of the same tarball). */
async function blobReferenced(layout: StoreLayout, digest: string): Promise<boolean> {
  const blobs = new BlobStore(layout);
  for (const image of await new ImageStore(layout).list()) {
    const manifest = JSON.parse((await blobs.get(image.manifestDigest).catch(() => Buffer.from('{}'))).toString()) as Partial<Manifest>;
    if (manifest.layers?.some((l) => l.digest === digest)) return true;
  }
  return false;
}

