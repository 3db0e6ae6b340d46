import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { History, Image, Manifest } from '../../oci/image-spec.js';
import * as mediaTypes from '../../oci/media-types.js';
import { reportingNoSpace } from '../../util/no-space.js';
import type { EngineContext } from '../context.js';
import { ContainerStateError, NoSuchContainerError } from '../errors.js';
import { containerStorage, containerTop, RUNTIME_MOUNT_POINTS } from './diff.js';
import { resolveContainer, type ContainerInfo, type ContainerRecord } from './record.js';

export interface ContainerCommitOptions {
  container: string;
  /** The new image's name; none leaves it dangling. */
  reference?: string;
  /** Containerfile instructions applied to the config (CMD, ENV, LABEL...). */
  changes: string[];
  message?: string;
  author?: string;
  /** podman's -p (its default): pause a running container while its files are read. */
  pause: boolean;
  format: 'oci' | 'docker';
  /** One layer holding the whole root filesystem instead of a layer on top of the image's. */
  squash: boolean;
  progress?: (event: { kind: 'blob' | 'config'; digest: string } | { kind: 'writing' }) => void;
}

export interface ContainerCommitReport {
  /** The new image's id (hex, no sha256:). */
  id: string;
}

/**
 * `skiff commit`: a new image of the container's image plus its changes as
 * one more layer (diff.ts's changes, packed as an OCI layer with whiteouts),
 * or with --squash a single layer of its whole root filesystem. Runs as
 * root of the user namespace.
 *
 * The new layer is stored uncompressed, as podman stores a committed layer
 * (its manifest says `application/vnd.oci.image.layer.v1.tar`): compressing
 * is left to push, which gzips uncompressed layers as podman push does.
 * gzip alone, single-threaded, took longer than podman's whole commit.
 *
 * Atomicity: the layer blob is written under an owned temp name and renamed
 * when its digest is known (store/blobs.ts), the layer is extracted into an
 * owned staging directory and renamed when complete (store/layers.ts), and
 * the image index, with the name, is written last. A commit killed at any
 * point leaves no image and no name; what it staged is removed by the next
 * command that cleans temp data.
 *
 * Pausing: with `pause`, a running container is paused for the whole
 * commit with pause.ts's `pauseContainer` (recorded as paused, so `ps`
 * shows it and a commit killed mid-way leaves a container that `unpause`
 * resumes) and resumed at the end, whatever happened. A paused container
 * stays paused; without `pause` the files are read as they are. Either
 * way each file is read without following links. The container's lock is
 * taken only to pause and to resume, not held during the commit.
 */
export async function commitContainer(ctx: EngineContext, options: ContainerCommitOptions): Promise<ContainerCommitReport> {
  const { removeOrphanedTemp } = await import('../../store/temp.js');
  await removeOrphanedTemp(ctx.layout).catch(() => undefined);
  const info = await resolveContainer(ctx, options.container);
  const paused = options.pause && info.state.status === 'running' && (await pauseForCommit(ctx, info.record.id));
  try {
    return await commitResolved(ctx, options, info);
  } finally {
    if (paused) await resumeAfterCommit(ctx, info.record.id);
  }
}

/** Pauses the container; false when it stopped or was paused by someone else meanwhile (nothing to resume then). */
async function pauseForCommit(ctx: EngineContext, id: string): Promise<boolean> {
  const { pauseContainer } = await import('./pause.js');
  try {
    await pauseContainer(ctx, id);
    return true;
  } catch (err) {
    if (err instanceof ContainerStateError && (await resolveContainer(ctx, id)).state.status !== 'running') return false;
    throw err;
  }
}

/** Resumes the container paused for the commit, unless it was unpaused or stopped meanwhile. */
async function resumeAfterCommit(ctx: EngineContext, id: string): Promise<void> {
  const { unpauseContainer } = await import('./pause.js');
  try {
    await unpauseContainer(ctx, id);
  } catch (err) {
    if (!(err instanceof ContainerStateError || err instanceof NoSuchContainerError)) throw err;
  }
}

async function commitResolved(ctx: EngineContext, options: ContainerCommitOptions, info: ContainerInfo): Promise<ContainerCommitReport> {
  const storage = await containerStorage(ctx, options.container);
  if (!storage) throw new NoSuchContainerError(options.container);
  const { resolveImage, applyChanges, goArch } = await import('../image/images.js');
  const { localImageName } = await import('../../image/reference.js');
  const names = options.reference ? [localImageName(options.reference)] : [];
  const base = await resolveImage(ctx, info.record.image.id);
  const config = applyChanges(containerImageConfig(base.config.config ?? {}, info.record), options.changes);
  const { BlobStore } = await import('../../store/blobs.js');
  const blobs = new BlobStore(ctx.layout);
  const baseManifest = JSON.parse((await blobs.get(base.record.manifestDigest)).toString()) as Manifest;

  const layer = await reportingNoSpace(`cannot commit ${options.container}: writing to ${ctx.layout.graphRoot}`, () =>
    storeLayer(ctx, storage, options.squash ? undefined : base.record.layers.at(-1)));
  options.progress?.({ kind: 'blob', digest: layer.blob.digest });

  const created = new Date().toISOString();
  const docker = options.format === 'docker';
  const entry: History = {
    created,
    created_by: [...info.record.entrypoint, ...info.record.cmd].join(' '),
    ...(options.author ? { author: options.author } : {}),
    ...(options.message ? { comment: options.message } : {}),
  };
  const image: Image = {
    ...base.config,
    created,
    architecture: base.config.architecture ?? goArch(),
    os: base.config.os ?? 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: options.squash ? [layer.diffId] : [...base.config.rootfs.diff_ids, layer.diffId] },
    history: options.squash ? [entry] : [...(base.config.history ?? []), entry],
  };
  if (options.author) image.author = options.author;
  else delete image.author;
  const configBlob = await blobs.putBytes(JSON.stringify(image));
  options.progress?.({ kind: 'config', digest: configBlob.digest });
  const layerType = (mediaType: string) => (docker ? DOCKER_LAYER_TYPES[mediaType] ?? mediaType : OCI_LAYER_TYPES[mediaType] ?? mediaType);
  const newLayer = { mediaType: docker ? DOCKER_LAYER : mediaTypes.OCI_LAYER, digest: layer.blob.digest, size: layer.blob.size };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: docker ? mediaTypes.DOCKER_MANIFEST : mediaTypes.OCI_MANIFEST,
    config: { mediaType: docker ? mediaTypes.DOCKER_CONFIG : mediaTypes.OCI_CONFIG, digest: configBlob.digest, size: configBlob.size },
    layers: options.squash ? [newLayer] : [...baseManifest.layers.map((l) => ({ ...l, mediaType: layerType(l.mediaType) })), newLayer],
  };
  options.progress?.({ kind: 'writing' });
  const manifestBlob = await blobs.putBytes(JSON.stringify(manifest));
  const { ImageStore } = await import('../../store/images.js');
  const layers = options.squash ? [layer.id] : [...base.record.layers, layer.id];
  const record = await new ImageStore(ctx.layout).add({
    id: configBlob.digest.slice('sha256:'.length),
    names,
    manifestDigest: manifestBlob.digest,
    configDigest: configBlob.digest,
    layers,
    size: (options.squash ? 0 : base.record.size) + layer.size,
    created,
  });
  return { id: record.id };
}

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
const DOCKER_LAYER_TYPES: Record<string, string> = {
  [mediaTypes.OCI_LAYER_GZIP]: mediaTypes.DOCKER_LAYER_GZIP,
  [mediaTypes.OCI_LAYER]: DOCKER_LAYER,
};
const OCI_LAYER_TYPES: Record<string, string> = {
  [mediaTypes.DOCKER_LAYER_GZIP]: mediaTypes.OCI_LAYER_GZIP,
  [DOCKER_LAYER]: mediaTypes.OCI_LAYER,
};

/**
 * Packs the container's changes on top of layer `parent` (or, without a
 * parent, its whole root filesystem) and stores them as a layer (see
 * storeTarLayer). Returns the layer's id, diff id, size and blob.
 */
export async function storeLayer(ctx: EngineContext, storage: Awaited<ReturnType<typeof containerStorage>> & object, parent: string | undefined) {
  return storeTarLayer(ctx, parent, async (tarStream) => {
    const { packChanges, packDirectory } = await import('../../image/layer/pack.js');
    // A container with an id map of its own: the layer has the owners it sees.
    const owners = storage.idMappings ? (await import('../../store/id-shift.js')).ownersInside(storage.idMappings) : undefined;
    if (parent) {
      const { containerChanges } = await import('../../store/changes.js');
      const top = await containerTop(storage);
      const changes = top ? (await containerChanges(storage.lowerDirs, top)).filter((c) => !RUNTIME_MOUNT_POINTS.has(c.path)) : [];
      return top ? packChanges(top.dir, changes, tarStream, owners) : packChanges('/', [], tarStream);
    }
    const { withRootfs } = await import('./export.js');
    return withRootfs(ctx, storage, (root) => packDirectory(root, tarStream, owners));
  });
}

/** A layer as stored by storeTarLayer: its id (chain id hex), diff id, size and uncompressed blob. */
export interface StoredLayer {
  id: string;
  diffId: string;
  size: number;
  blob: { digest: string; size: number };
}

/**
 * Stores the uncompressed layer tar that `pack` writes (and ends) on top of
 * layer `parent`, in one pass: the blob is hashed on its way to the file (its
 * digest is the diff id) while the tar is extracted into a staged layer,
 * named by its chain id once that digest is known. Runs as root of the user
 * namespace; nothing is left behind when `pack` or a consumer fails. Also
 * used by `build` for COPY/ADD layers and for a RUN step's changes.
 */
export async function storeTarLayer(ctx: EngineContext, parent: string | undefined, pack: (tar: PassThrough) => Promise<void>): Promise<StoredLayer> {
  const { BlobStore } = await import('../../store/blobs.js');
  const { LayerStore } = await import('../../store/layers.js');
  const { extractLayer } = await import('../../image/layer/extract.js');
  const blobs = new BlobStore(ctx.layout);
  let blob: { digest: string; size: number } | undefined;
  const record = await new LayerStore(ctx.layout).createStaged(async (dir) => {
    // Deep buffers: the packer runs ahead while the blob is written and the layer extracted.
    const tarStream = new PassThrough({ highWaterMark: 4 << 20 });
    const packed = pack(tarStream);
    const toStore = new PassThrough({ highWaterMark: 4 << 20 });
    const toExtract = new PassThrough({ highWaterMark: 4 << 20 });
    packed.catch((err: Error) => tarStream.destroy(err));
    tarStream.on('error', (err) => {
      toStore.destroy(err);
      toExtract.destroy(err);
    });
    tarStream.pipe(toStore);
    tarStream.pipe(toExtract);
    // Either consumer failing stops the tar, so the other one ends too.
    const stopping = (err: Error) => {
      tarStream.destroy(err);
      throw err;
    };
    const [stored] = await Promise.all([
      blobs.putStream(toStore).catch(stopping),
      extractLayer(toExtract, dir, { chown: process.getuid?.() === 0, whiteouts: !parent ? 'none' : ctx.rootless ? 'user' : 'trusted' }).catch(stopping),
      packed,
    ]);
    blob = stored;
    const diffId = stored.digest;
    const id = parent ? createHash('sha256').update(`sha256:${parent} ${diffId}`).digest('hex') : diffId.slice('sha256:'.length);
    return { id, diffId, size: stored.size, parent };
  });
  return { id: record.id, diffId: record.diffId, size: record.size, blob: blob! };
}

/**
 * The image config a commit starts from, as podman's commit builds it: the
 * base image's, overlaid with what the container ran with — its entrypoint
 * and command, every variable of its environment (defaults included, as
 * podman does), its labels and working directory. --change applies on top.
 * (The -u given at create is not kept as typed, so User stays the image's.)
 */
export function containerImageConfig(base: NonNullable<Image['config']>, record: ContainerRecord): NonNullable<Image['config']> {
  const config = { ...base };
  if (record.entrypoint.length) config.Entrypoint = [...record.entrypoint];
  else delete config.Entrypoint;
  if (record.cmd.length) config.Cmd = [...record.cmd];
  else delete config.Cmd;
  const env = new Map<string, string>();
  for (const entry of [...(base.Env ?? []), ...record.spec.env]) {
    const eq = entry.indexOf('=');
    env.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  if (env.size) config.Env = [...env.values()];
  if (Object.keys(record.spec.labels).length) config.Labels = { ...(base.Labels ?? {}), ...record.spec.labels };
  if (record.spec.workingDir) config.WorkingDir = record.spec.workingDir;
  return config;
}
