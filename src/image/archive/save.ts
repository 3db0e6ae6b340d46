import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import type { Descriptor, Image, Index, Manifest } from '../../oci/image-spec.js';
import * as mediaTypes from '../../oci/media-types.js';
import { BlobStore } from '../../store/blobs.js';
import type { ImageRecord } from '../../store/images.js';
import { LayerStore } from '../../store/layers.js';
import type { StoreLayout } from '../../store/layout.js';
import { DigestStream } from '../../util/digest-stream.js';
import { SkiffError } from '../../util/errors.js';
import { openDecompressed } from '../layer/compression.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive' | 'oci-dir';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** One image to save and the names it is saved under (RepoTags / ref.name). */
export interface SaveItem {
  image: ImageRecord;
  names: string[];
}

export type SaveProgress =
  | { kind: 'blob'; digest: string }
  | { kind: 'config'; digest: string }
  | { kind: 'writing' };

export interface SaveOptions {
  format: ArchiveFormat;
  progress?: (event: SaveProgress) => void;
}

/**
 * Writes images as a docker-archive or an oci-archive tar stream into `out`
 * (which is ended on success). Blobs are read from the store and verified
 * while they stream: a corrupt local blob fails the save with EDIGEST
 * instead of producing an archive that loads wrongly. The caller makes the
 * result atomic (a temp file renamed on success).
 */
export async function saveArchive(layout: StoreLayout, items: SaveItem[], out: Writable, options: SaveOptions): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, out);
  writing.catch(() => undefined);
  try {
    const sink: ArchiveSink = {
      file: (name, data) => addBuffer(pack, name, data),
      stream: (name, size, source) => addStream(pack, name, size, source),
      dir: (name) => new Promise<void>((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, mtime: EPOCH }, (err) => (err ? reject(err) : resolve()))),
    };
    if (options.format === 'docker-archive') await writeDockerArchive(layout, items, sink, options);
    else await writeOciLayout(layout, items, sink, options);
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
}

/** Writes images as an OCI image layout directory `dir` (which must not exist yet or be empty). */
export async function saveOciDir(layout: StoreLayout, items: SaveItem[], dir: string, options: Omit<SaveOptions, 'format'>): Promise<void> {
  const sink: ArchiveSink = {
    file: (name, data) => fsp.writeFile(join(dir, name), data, { mode: 0o644 }),
    stream: (name, _size, source) => pipeline(source, createWriteStream(join(dir, name), { mode: 0o644 })),
    dir: (name) => fsp.mkdir(join(dir, name), { recursive: true }).then(() => undefined),
  };
  await writeOciLayout(layout, items, sink, { ...options, format: 'oci-dir' });
}

interface ArchiveSink {
  file(name: string, data: Buffer): Promise<void>;
  stream(name: string, size: number, source: Readable): Promise<void>;
  dir(name: string): Promise<void>;
}

// A fixed mtime keeps archives of the same images byte-identical.
const EPOCH = new Date(0);

async function writeOciLayout(layout: StoreLayout, items: SaveItem[], sink: ArchiveSink, options: SaveOptions): Promise<void> {
  const blobs = new BlobStore(layout);
  const written = new Set<string>();
  const index: Index = { schemaVersion: 2, mediaType: mediaTypes.OCI_INDEX, manifests: [] };
  await sink.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await sink.dir('blobs');
  await sink.dir('blobs/sha256');
  const copyBlob = async (desc: Pick<Descriptor, 'digest' | 'size'>) => {
    if (written.has(desc.digest)) return;
    written.add(desc.digest);
    await sink.stream(`blobs/sha256/${hex(desc.digest)}`, desc.size, verifiedBlob(blobs, desc.digest));
  };
  for (const { image, names } of items) {
    const { manifest, manifestBytes } = await storedManifest(blobs, image);
    for (const layer of manifest.layers) {
      await copyBlob(layer);
      options.progress?.({ kind: 'blob', digest: layer.digest });
    }
    await copyBlob(manifest.config);
    options.progress?.({ kind: 'config', digest: manifest.config.digest });
    if (!written.has(image.manifestDigest)) {
      written.add(image.manifestDigest);
      await sink.file(`blobs/sha256/${hex(image.manifestDigest)}`, manifestBytes);
    }
    const entry: Descriptor = { mediaType: manifest.mediaType ?? mediaTypes.OCI_MANIFEST, digest: image.manifestDigest, size: manifestBytes.length };
    if (names.length === 0) index.manifests.push(entry);
    for (const name of names) index.manifests.push({ ...entry, annotations: { [REF_NAME_ANNOTATION]: name } });
  }
  options.progress?.({ kind: 'writing' });
  await sink.file('index.json', Buffer.from(JSON.stringify(index)));
}

/**
 * docker save's layout: manifest.json [{Config, RepoTags, Layers}], the
 * config as <hex>.json, each layer uncompressed as <diffid hex>.tar (as
 * containers/image writes it), and the legacy `repositories` file.
 */
async function writeDockerArchive(layout: StoreLayout, items: SaveItem[], sink: ArchiveSink, options: SaveOptions): Promise<void> {
  const blobs = new BlobStore(layout);
  const layers = new LayerStore(layout);
  const written = new Set<string>();
  const entries: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of items) {
    const { manifest } = await storedManifest(blobs, image);
    const configBytes = await blobs.get(manifest.config.digest);
    verifyBytes(configBytes, manifest.config.digest, 'config');
    const config = JSON.parse(configBytes.toString('utf8')) as Image;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new SkiffError('ECORRUPT', `image ${image.id.slice(0, 12)}: the config lists ${diffIds.length} layers but the manifest ${manifest.layers.length}`);
    }
    const layerFiles: string[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const name = `${hex(diffIds[i])}.tar`;
      layerFiles.push(name);
      if (!written.has(name)) {
        written.add(name);
        const size = (await layers.get(image.layers[i] ?? ''))?.size ?? (await uncompressedSize(blobs.path(layer.digest)));
        await sink.stream(name, size, await uncompressedLayer(blobs, layer.digest, diffIds[i]));
      }
      options.progress?.({ kind: 'blob', digest: layer.digest });
    }
    const configName = `${hex(manifest.config.digest)}.json`;
    if (!written.has(configName)) {
      written.add(configName);
      await sink.file(configName, configBytes);
    }
    options.progress?.({ kind: 'config', digest: manifest.config.digest });
    entries.push({ Config: configName, RepoTags: names, Layers: layerFiles });
    const top = diffIds.length ? hex(diffIds[diffIds.length - 1]) : hex(manifest.config.digest);
    for (const name of names) {
      const colon = name.lastIndexOf(':');
      (repositories[name.slice(0, colon)] ??= {})[name.slice(colon + 1)] = top;
    }
  }
  options.progress?.({ kind: 'writing' });
  await sink.file('manifest.json', Buffer.from(JSON.stringify(entries)));
  if (Object.keys(repositories).length) await sink.file('repositories', Buffer.from(JSON.stringify(repositories)));
}

async function storedManifest(blobs: BlobStore, image: ImageRecord): Promise<{ manifest: Manifest; manifestBytes: Buffer }> {
  if (!(await blobs.has(image.manifestDigest))) {
    throw new SkiffError('ENOMANIFEST', `the manifest ${image.manifestDigest} of image ${image.id.slice(0, 12)} is missing from the store`, {
      hint: 'pull or import the image again',
    });
  }
  const manifestBytes = await blobs.get(image.manifestDigest);
  verifyBytes(manifestBytes, image.manifestDigest, 'manifest');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  } catch {
    throw new SkiffError('ECORRUPT', `the stored manifest of image ${image.id.slice(0, 12)} is not valid JSON`);
  }
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new SkiffError('ECORRUPT', 'the stored manifest has no config or no layers');
  return { manifest, manifestBytes };
}

/** A stored blob as a stream that fails with EDIGEST at its end when the bytes do not match. */
function verifiedBlob(blobs: BlobStore, digest: string): Readable {
  const counter = new VerifyingStream(digest, `blob ${digest} in the store is corrupt`);
  const raw = createReadStream(blobs.path(digest));
  raw.on('error', (err) => counter.destroy(new SkiffError('EBLOBUNKNOWN', `blob ${digest} cannot be read from the store: ${err.message}`, { cause: err })));
  return raw.pipe(counter);
}

async function uncompressedLayer(blobs: BlobStore, digest: string, diffId: string): Promise<Readable> {
  const counter = new VerifyingStream(diffId, `layer ${digest} in the store is corrupt`);
  let plain: Readable;
  try {
    plain = await openDecompressed(blobs.path(digest));
  } catch (err) {
    throw new SkiffError('EBLOBUNKNOWN', `layer ${digest} cannot be read from the store: ${(err as Error).message}`, { cause: err });
  }
  plain.on('error', (err) => counter.destroy(new SkiffError('ECORRUPT', `layer ${digest} in the store is corrupt: ${err.message}`, { cause: err })));
  return plain.pipe(counter);
}

/** A DigestStream that fails instead of finishing when what passed does not hash to `expected`. */
class VerifyingStream extends DigestStream {
  constructor(private readonly expected: string, private readonly what: string) {
    super();
  }

  override _flush(callback: (err?: Error | null) => void): void {
    const actual = this.digest();
    if (actual !== this.expected) callback(new SkiffError('EDIGEST', `${this.what}: digest mismatch: got ${actual}, expected ${this.expected}`));
    else callback();
  }
}

async function uncompressedSize(path: string): Promise<number> {
  let size = 0;
  for await (const chunk of await openDecompressed(path)) size += (chunk as Buffer).length;
  return size;
}

function addBuffer(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: EPOCH }, data, (err) => (err ? reject(err) : resolve()));
  });
}

function addStream(pack: tar.Pack, name: string, size: number, source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: EPOCH }, (err) => (err ? reject(err) : resolve()));
    pipeline(source, entry).catch(reject);
  });
}

function verifyBytes(bytes: Buffer, digest: string, what: string): void {
  const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  if (actual !== digest) throw new SkiffError('EDIGEST', `the ${what} ${digest} in the store is corrupt: digest mismatch: got ${actual}`);
}

function hex(digest: string): string {
  return digest.replace(/^sha256:/, '');
}
