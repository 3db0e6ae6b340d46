import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Descriptor, Manifest } from '../../oci/image-spec.js';
import * as mediaTypes from '../../oci/media-types.js';
import { BlobStore } from '../../store/blobs.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';
import { LayerStore } from '../../store/layers.js';
import type { StoreLayout } from '../../store/layout.js';
import { tempName } from '../../store/temp.js';
import { DigestStream } from '../../util/digest-stream.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import { withLock } from '../../util/lock.js';
import { reportingNoSpace } from '../../util/no-space.js';
import { checkDockerArchiveManifest, checkImageConfig, checkIndex, checkManifest, parseJsonDocument } from '../json-shapes.js';
import { extractLayer } from '../layer/extract.js';
import { detectCompression, openDecompressed } from '../layer/compression.js';
import { resolveInRoot } from '../layer/secure-path.js';
import { choosePlatform, type PullOptions } from '../pull.js';
import { REF_NAME_ANNOTATION } from './save.js';
import type { ChownMode } from '../layer/extract.js';

/** An archive member whose path (or link target) leaves the archive. */
export class ArchiveEscapeError extends SkiffError {
  constructor(member: string, why: string) {
    super('EARCHIVEESCAPE', `refusing archive member "${member}": ${why}`);
  }
}

export type LoadProgress =
  | { kind: 'blob'; digest: string; state: 'exists' | 'done' }
  | { kind: 'config'; digest: string }
  | { kind: 'writing' };

export interface LoadOptions {
  /** chown files to the tar's owners (namespaced or real root). */
  chown: ChownMode;
  whiteouts: 'user' | 'trusted';
  /** The platform picked from an image index inside an OCI archive. */
  platform: PullOptions['platform'];
  /**
   * Turns a name from the archive into the stored name, or undefined to drop
   * it. `kind` says where it came from (docker RepoTags or OCI ref.name).
   */
  normalizeName: (name: string, kind: 'docker' | 'oci') => string | undefined;
  progress?: (event: LoadProgress) => void;
}

export type LoadSource = { path: string } | { stream: Readable };

/** One image found in an archive, before anything is stored. */
interface PlannedImage {
  configDigest: string;
  configBytes: Buffer;
  names: string[];
  /** The manifest as in the archive (OCI); undefined for docker-archive, which has none. */
  manifestBytes?: Buffer;
  layers: Array<{ path: string; digest?: string; mediaType?: string }>;
}

/**
 * Loads the images of a docker-archive, an oci-archive (either maybe
 * gzip/zstd-compressed) or an OCI layout directory into the store, as
 * `podman load` does. The archive is unpacked into a private temp dir under
 * the graph root (members whose path leaves it are refused); every blob is
 * verified against its digest and every layer against its diff id. Image
 * records are written only once all images are complete: on any error the
 * blobs and layers this load added are removed again and no image appears.
 * A full disk is reported as NoSpaceError, whatever step it stopped.
 *
 * @returns the image records, in archive order, with the names given to them.
 */
export async function loadArchive(layout: StoreLayout, source: LoadSource, options: LoadOptions): Promise<ImageRecord[]> {
  // A full disk fails writes deep inside unpacking and extraction, which would otherwise call the archive corrupt.
  return reportingNoSpace(`cannot load the archive: writing to ${layout.graphRoot}`, () => loadArchiveInto(layout, source, options));
}

async function loadArchiveInto(layout: StoreLayout, source: LoadSource, options: LoadOptions): Promise<ImageRecord[]> {
  await fsp.mkdir(layout.tmpDir, { recursive: true });
  const work = join(layout.tmpDir, tempName('load'));
  await fsp.mkdir(work, { mode: 0o700 });
  try {
    let tree: ArchiveTree;
    if ('path' in source && (await isDirectory(source.path))) {
      tree = new DirectoryTree(source.path);
    } else {
      const unpacked = new UnpackedTree(join(work, 'root'));
      await unpacked.unpack(await archiveFile(source, work));
      tree = unpacked;
    }
    const planned = await planImages(tree, options);
    return await storeImages(layout, planned, options);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/** The archive as a file on disk: stdin is copied once (compression is detected by its first bytes, then it is read again). */
async function archiveFile(source: LoadSource, work: string): Promise<string> {
  if ('path' in source) {
    try {
      await fsp.access(source.path);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new SkiffError('ENOENT', `cannot load "${source.path}": no such file or directory`);
      throw err;
    }
    return source.path;
  }
  const file = join(work, 'archive');
  await pipeline(source.stream, createWriteStream(file, { mode: 0o600 }));
  return file;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await fsp.stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Read access to an archive's members by path. */
interface ArchiveTree {
  /** The host path of a member; throws when it is missing or leaves the archive. */
  resolve(member: string): Promise<string>;
  has(member: string): Promise<boolean>;
}

class DirectoryTree implements ArchiveTree {
  constructor(private readonly root: string) {}

  async resolve(member: string): Promise<string> {
    const path = await resolveInRoot(this.root, cleanMember(member), true);
    if (!(await fsp.stat(path).catch(() => undefined))?.isFile()) throw missing(member);
    return path;
  }

  async has(member: string): Promise<boolean> {
    return this.resolve(member).then(() => true, () => false);
  }
}

/**
 * An archive unpacked into a private directory. Only regular files and
 * directories are written; symlinks and hardlinks are kept as a table and
 * followed by `resolve`, so nothing the archive says can point outside.
 */
class UnpackedTree implements ArchiveTree {
  private readonly links = new Map<string, string>();
  private readonly hardlinks = new Map<string, string>();
  private readonly files = new Set<string>();

  constructor(private readonly root: string) {}

  async unpack(file: string): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    let plain: Readable;
    try {
      plain = await openDecompressed(file);
    } catch (err) {
      throw corrupt(err);
    }
    const extract = tar.extract();
    const feeding = pipeline(plain, extract);
    feeding.catch(() => undefined);
    let entries = 0;
    try {
      for await (const entry of extract) {
        entries++;
        const { header } = entry;
        const rel = cleanMember(header.name);
        if (rel === '') {
          entry.resume();
          continue;
        }
        switch (header.type) {
          case 'directory':
            await fsp.mkdir(join(this.root, rel), { recursive: true });
            entry.resume();
            break;
          case 'file':
          case 'contiguous-file': {
            await fsp.mkdir(join(this.root, posix.dirname(rel)), { recursive: true });
            // A truncated input destroys the entry meanwhile; piping a destroyed entry never settles.
            if (entry.destroyed) {
              await feeding;
              throw new SkiffError('ECORRUPT', `the archive ends inside "${header.name}"`);
            }
            await fsp.rm(join(this.root, rel), { force: true });
            await pipeline(entry, createWriteStream(join(this.root, rel), { flags: 'wx', mode: 0o600 }));
            this.files.add(rel);
            this.links.delete(rel);
            this.hardlinks.delete(rel);
            break;
          }
          case 'symlink':
            this.links.set(rel, header.linkname ?? '');
            entry.resume();
            break;
          case 'link':
            this.hardlinks.set(rel, cleanMember(header.linkname ?? ''));
            entry.resume();
            break;
          default:
            entry.resume();
        }
      }
      await feeding;
    } catch (err) {
      throw corrupt(err);
    }
    if (entries === 0) throw new SkiffError('ECORRUPT', 'the archive is empty or not a tar archive');
  }

  async resolve(member: string, depth = 0): Promise<string> {
    if (depth > 40) throw new ArchiveEscapeError(member, 'too many levels of links');
    let pending = cleanMember(member).split('/').filter((c) => c !== '' && c !== '.');
    const resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const comp = pending.shift()!;
      if (comp === '..') {
        if (resolved.length === 0) throw new ArchiveEscapeError(member, 'a link leaves the archive');
        resolved.pop();
        continue;
      }
      const current = [...resolved, comp].join('/');
      const link = this.links.get(current);
      if (link !== undefined) {
        if (++hops > 40) throw new ArchiveEscapeError(member, 'too many levels of symbolic links');
        if (link.startsWith('/')) resolved.length = 0;
        pending = [...link.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
        continue;
      }
      const hard = this.hardlinks.get(current);
      if (hard !== undefined && pending.length === 0) return this.resolve(hard, depth + 1);
      resolved.push(comp);
    }
    const rel = resolved.join('/');
    if (!this.files.has(rel)) throw missing(member);
    return join(this.root, rel);
  }

  async has(member: string): Promise<boolean> {
    return this.resolve(member).then(() => true, () => false);
  }
}

/** A member name as a relative path; `../` anywhere that climbs out is refused. */
function cleanMember(name: string): string {
  const normalized = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) throw new ArchiveEscapeError(name, 'the path leaves the archive');
  return normalized === '.' ? '' : normalized;
}

function missing(member: string): SkiffError {
  return new SkiffError('ECORRUPT', `the archive is incomplete: "${member}" is missing`);
}

function corrupt(err: unknown): SkiffError {
  if (err instanceof SkiffError) return err;
  return new SkiffError('ECORRUPT', `the archive is corrupt or truncated: ${(err as Error).message}`, { cause: err });
}

async function readJson(tree: ArchiveTree, member: string): Promise<unknown> {
  return parseJsonDocument(await fsp.readFile(await tree.resolve(member)), `"${member}" in the archive`);
}

async function planImages(tree: ArchiveTree, options: LoadOptions): Promise<PlannedImage[]> {
  if ((await tree.has('oci-layout')) && (await tree.has('index.json'))) return planOci(tree, options);
  if (await tree.has('manifest.json')) return planDocker(tree, options);
  throw new SkiffError('EFORMAT', 'payload does not match any of the supported image formats (oci-archive, docker-archive, oci-dir)');
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function blobMember(digest: string): string {
  if (!DIGEST.test(digest)) throw new SkiffError('ECORRUPT', `invalid digest "${digest}" in the archive`);
  return `blobs/sha256/${digest.slice(7)}`;
}

async function readVerifiedBlob(tree: ArchiveTree, digest: string, what: string): Promise<Buffer> {
  const bytes = await fsp.readFile(await tree.resolve(blobMember(digest)));
  const actual = sha256(bytes);
  if (actual !== digest) throw new SkiffError('EDIGEST', `the ${what} ${digest} in the archive is corrupt: digest mismatch: got ${actual}`);
  return bytes;
}

async function planOci(tree: ArchiveTree, options: LoadOptions): Promise<PlannedImage[]> {
  const index = checkIndex(await readJson(tree, 'index.json'), '"index.json" in the archive');
  const byDigest = new Map<string, PlannedImage>();
  for (const entry of index.manifests) {
    let desc: Descriptor | undefined = entry;
    if (entry.mediaType === mediaTypes.OCI_INDEX || entry.mediaType === mediaTypes.DOCKER_MANIFEST_LIST) {
      const what = `the image index ${entry.digest} in the archive`;
      const nested = checkIndex(parseJsonDocument(await readVerifiedBlob(tree, entry.digest, 'image index'), what), what);
      desc = choosePlatform(nested.manifests, options.platform);
      if (!desc) throw new SkiffError('ENOPLATFORM', `no image in the archive's index ${entry.digest} is for ${options.platform.os}/${options.platform.architecture}`);
    }
    const names = [entry.annotations?.[REF_NAME_ANNOTATION], entry.annotations?.['io.containerd.image.name']]
      .filter((n): n is string => Boolean(n))
      .map((n) => options.normalizeName(n, 'oci'))
      .filter((n): n is string => n !== undefined);
    const known = byDigest.get(desc.digest);
    if (known) {
      known.names.push(...names.filter((n) => !known.names.includes(n)));
      continue;
    }
    const manifestBytes = await readVerifiedBlob(tree, desc.digest, 'manifest');
    const what = `the manifest ${desc.digest} in the archive`;
    const manifest = checkManifest(parseJsonDocument(manifestBytes, what), what);
    const configBytes = await readVerifiedBlob(tree, manifest.config.digest, 'config');
    const layers = [];
    for (const layer of manifest.layers) layers.push({ path: await tree.resolve(blobMember(layer.digest)), digest: layer.digest, mediaType: layer.mediaType });
    byDigest.set(desc.digest, { configDigest: manifest.config.digest, configBytes, names: [...new Set(names)], manifestBytes, layers });
  }
  if (byDigest.size === 0) throw new SkiffError('ECORRUPT', 'the archive holds no image');
  return [...byDigest.values()];
}

async function planDocker(tree: ArchiveTree, options: LoadOptions): Promise<PlannedImage[]> {
  const entries = checkDockerArchiveManifest(await readJson(tree, 'manifest.json'), '"manifest.json" in the archive');
  if (entries.length === 0) throw new SkiffError('ECORRUPT', 'manifest.json in the archive lists no image');
  const planned: PlannedImage[] = [];
  for (const entry of entries) {
    const configBytes = await fsp.readFile(await tree.resolve(entry.Config));
    const layers = [];
    for (const layer of entry.Layers) layers.push({ path: await tree.resolve(layer) });
    const names = entry.RepoTags.map((n) => options.normalizeName(n, 'docker')).filter((n): n is string => n !== undefined);
    planned.push({ configDigest: sha256(configBytes), configBytes, names: [...new Set(names)], layers });
  }
  return planned;
}

async function storeImages(layout: StoreLayout, planned: PlannedImage[], options: LoadOptions): Promise<ImageRecord[]> {
  const blobs = new BlobStore(layout);
  const layerStore = new LayerStore(layout);
  const images = new ImageStore(layout);
  const existing = await images.list();
  const addedBlobs = new Set<string>();
  const addedLayers: string[] = [];
  const records: ImageRecord[] = [];

  const putFile = async (path: string, expected?: string): Promise<{ digest: string; size: number }> => {
    const digest = expected ?? (await hashFile(path));
    if (await blobs.has(digest)) {
      options.progress?.({ kind: 'blob', digest, state: 'exists' });
      return { digest, size: (await fsp.stat(blobs.path(digest))).size };
    }
    let stored;
    try {
      stored = await blobs.putStream(createReadStream(path), digest);
    } catch (err) {
      if (err instanceof SkiffError) throw new SkiffError(err.code, `blob ${digest} in the archive is corrupt: ${err.message}`, { cause: err });
      throw err;
    }
    addedBlobs.add(digest);
    options.progress?.({ kind: 'blob', digest, state: 'done' });
    return stored;
  };

  try {
    for (const image of planned) {
      const id = image.configDigest.slice(7);
      const already = existing.find((r) => r.id === id);
      if (already) {
        // The same image is stored already: only its names are new.
        records.push({ ...already, names: image.names });
        continue;
      }
      const what = `the image config ${image.configDigest} in the archive`;
      const config = checkImageConfig(parseJsonDocument(image.configBytes, what), what);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== image.layers.length) {
        throw new SkiffError('ECORRUPT', `the image config ${image.configDigest.slice(7, 19)} lists ${diffIds.length} layers but the archive ${image.layers.length}`);
      }
      const layerDescs: Descriptor[] = [];
      for (const layer of image.layers) {
        const stored = await putFile(layer.path, layer.digest);
        const compression = await detectCompression(blobs.path(stored.digest));
        layerDescs.push({
          mediaType: layer.mediaType ?? { gzip: mediaTypes.OCI_LAYER_GZIP, zstd: mediaTypes.OCI_LAYER_ZSTD, none: mediaTypes.OCI_LAYER }[compression],
          digest: stored.digest,
          size: stored.size,
        });
      }
      if (!(await blobs.has(image.configDigest))) {
        await blobs.putBytes(image.configBytes);
        addedBlobs.add(image.configDigest);
      }
      options.progress?.({ kind: 'config', digest: image.configDigest });

      // Layers stack by chain id, as pull stores them.
      const layerIds: string[] = [];
      let size = 0;
      let parent: string | undefined;
      for (const [i, desc] of layerDescs.entries()) {
        const chainId = parent ? createHash('sha256').update(`sha256:${parent} ${diffIds[i]}`).digest('hex') : diffIds[i].replace(/^sha256:/, '');
        if (!/^[a-f0-9]{64}$/.test(chainId)) throw new SkiffError('ECORRUPT', `invalid diff id "${diffIds[i]}" in the image config`);
        const isNew = !(await layerStore.get(chainId));
        const record = await layerStore.create(chainId, async (dir) => {
          const counter = new DigestStream();
          const plain = await openDecompressed(blobs.path(desc.digest));
          plain.on('error', (err) => counter.destroy(new SkiffError('ECORRUPT', `layer ${desc.digest} is corrupt: ${err.message}`, { cause: err })));
          try {
            await extractLayer(plain.pipe(counter), dir, { chown: options.chown, whiteouts: i === 0 ? 'none' : options.whiteouts });
          } catch (err) {
            throw corrupt(err);
          }
          const diffId = counter.digest();
          if (diffId !== diffIds[i]) throw new SkiffError('EDIGEST', `layer ${desc.digest} has content ${diffId}, but the image config says ${diffIds[i]}`);
          return { diffId, size: counter.size(), parent };
        });
        if (isNew) addedLayers.push(record.id);
        layerIds.push(record.id);
        size += record.size;
        parent = record.id;
      }

      const manifestBytes = image.manifestBytes ?? Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.OCI_MANIFEST,
        config: { mediaType: mediaTypes.OCI_CONFIG, digest: image.configDigest, size: image.configBytes.length },
        layers: layerDescs,
      } satisfies Manifest));
      const manifestDigest = sha256(manifestBytes);
      if (!(await blobs.has(manifestDigest))) {
        await blobs.putBytes(manifestBytes);
        addedBlobs.add(manifestDigest);
      }
      records.push({
        id,
        names: image.names,
        manifestDigest,
        configDigest: image.configDigest,
        layers: layerIds,
        size,
        created: config.created ?? new Date().toISOString(),
      });
    }
  } catch (err) {
    await withLock(layout.layersLock, async () => {
      for (const id of addedLayers) await fsp.rm(layout.layerDir(id), { recursive: true, force: true });
    }).catch(() => undefined);
    for (const digest of addedBlobs) await blobs.remove(digest).catch(() => undefined);
    throw err;
  }

  options.progress?.({ kind: 'writing' });
  const out: ImageRecord[] = [];
  for (const record of records) {
    const stored = await images.add(record);
    out.push({ ...stored, names: record.names });
  }
  return out;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return 'sha256:' + hash.digest('hex');
}

function sha256(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}
