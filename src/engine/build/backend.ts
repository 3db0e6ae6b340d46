/**
 * The engine's side of `build`: the BuildBackend the executor runs its
 * steps through. Every step's result is an image in the local store (podman
 * keeps the same dangling intermediate images with --layers), so a RUN is a
 * container made from the previous step's image by the code `run` uses,
 * and its changes become a layer as `commit` makes one.
 */
import type { Writable } from 'node:stream';
import type { BuildBackend, BuildImage, LayerRef, PullPolicy, RunCommand, WriteImageOptions } from '../../build/executor/backend.js';
import type { Image, Manifest } from '../../oci/image-spec.js';
import * as mediaTypes from '../../oci/media-types.js';
import { BlobStore } from '../../store/blobs.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';
import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { NoSuchImageError } from '../errors.js';

/** Name prefix of the containers that RUN steps use: `skiff-build-<builder pid>-<random>`. */
export const BUILD_CONTAINER_PREFIX = 'skiff-build-';

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';

/**
 * The BuildBackend on the local store. Runs as root of the user namespace
 * (build is a namespaced command). `live` holds the ids of the containers
 * RUN steps are using, for the CLI's SIGINT handler (removeLiveContainers).
 */
export class EngineBuildBackend implements BuildBackend {
  private readonly live = new Set<string>();
  private readonly blobs: BlobStore;
  private readonly images: ImageStore;

  /** `runtimeFlags`: the global --runtime-flag values, for the containers of RUN steps. */
  constructor(private readonly ctx: EngineContext, private readonly runtimeFlags: string[] = []) {
    this.blobs = new BlobStore(ctx.layout);
    this.images = new ImageStore(ctx.layout);
  }

  async baseImage(reference: string, pull: PullPolicy): Promise<Required<BuildImage>> {
    const { resolveImage } = await import('../image/images.js');
    if (pull !== 'always') {
      try {
        const found = await resolveImage(this.ctx, reference);
        return { id: found.record.id, config: found.config };
      } catch (err) {
        if (!(err instanceof NoSuchImageError) || pull === 'never') throw err;
      }
    }
    const { pullImageFromRegistry } = await import('../image/pull.js');
    const record = await pullImageFromRegistry(this.ctx, { reference });
    return { id: record.id, config: await this.config(record) };
  }

  async image(id: string): Promise<Required<BuildImage>> {
    const record = await this.record(id);
    return { id: record.id, config: await this.config(record) };
  }

  async findCached(parent: string | undefined, cacheKey: string): Promise<Required<BuildImage> | undefined> {
    const { LayerStore } = await import('../../store/layers.js');
    const layers = new LayerStore(this.ctx.layout);
    const found = (await this.images.list()).filter((i) => i.buildCache?.parent === (parent ?? '') && i.buildCache.key === cacheKey);
    for (const record of found.reverse()) {
      // An image whose layer went missing is no cache hit.
      if ((await Promise.all(record.layers.map((l) => layers.get(l)))).every(Boolean)) return { id: record.id, config: await this.config(record) };
    }
    return undefined;
  }

  async run(parent: string, command: RunCommand): Promise<{ exitCode: number; layer?: LayerRef }> {
    const { createContainer } = await import('../container/create.js');
    const { startContainer } = await import('../container/start.js');
    const { randomBytes } = await import('node:crypto');
    const name = `${BUILD_CONTAINER_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
    const created = await createContainer(this.ctx, {
      image: parent,
      command: command.argv,
      entrypoint: '',
      name,
      env: command.env,
      envFiles: [],
      network: command.network,
      interactive: false,
      tty: false,
      autoRemove: false,
      readOnly: false,
      capAdd: [],
      capDrop: [],
      labels: {},
      logDriver: 'none',
      logOpts: [],
      runtimeFlags: this.runtimeFlags,
    });
    this.live.add(created.id);
    try {
      const { ContainerStartError } = await import('../errors.js');
      let exitCode: number;
      try {
        exitCode = (await startContainer(this.ctx, created.id, { attach: { stdout: command.stdout, stderr: command.stderr } })).exitCode ?? 0;
      } catch (err) {
        if (!(err instanceof ContainerStartError)) throw err;
        // As buildah: the runtime's complaint, then the step fails with status 1.
        command.stderr.write(`error running container: ${err.message}\n`);
        exitCode = 1;
      }
      if (exitCode !== 0) return { exitCode };
      const { containerStorage } = await import('../container/diff.js');
      const { storeLayer } = await import('../container/commit.js');
      const storage = await containerStorage(this.ctx, created.id);
      if (!storage) throw new SkiffError('EBUILD', `the container of the RUN step disappeared`);
      const base = await this.record(parent);
      return { exitCode, layer: await storeLayer(this.ctx, storage, base.layers.at(-1)) };
    } finally {
      await this.removeContainer(created.id);
    }
  }

  async addLayer(parent: string | undefined, write: (out: Writable) => Promise<void>): Promise<LayerRef> {
    const { storeTarLayer } = await import('../container/commit.js');
    const top = parent ? (await this.record(parent)).layers.at(-1) : undefined;
    return storeTarLayer(this.ctx, top, write);
  }

  async writeImage(parent: string | undefined, layer: LayerRef | undefined, config: Image, options: WriteImageOptions): Promise<string> {
    const docker = options.format === 'docker';
    const base = parent ? await this.record(parent) : undefined;
    const baseLayers = base ? (JSON.parse((await this.blobs.get(base.manifestDigest)).toString()) as Manifest).layers : [];
    const layerType = (mediaType: string) => (docker ? DOCKER_LAYER_TYPES[mediaType] ?? mediaType : OCI_LAYER_TYPES[mediaType] ?? mediaType);
    const configBlob = await this.blobs.putBytes(JSON.stringify(config));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: docker ? mediaTypes.DOCKER_MANIFEST : mediaTypes.OCI_MANIFEST,
      config: { mediaType: docker ? mediaTypes.DOCKER_CONFIG : mediaTypes.OCI_CONFIG, digest: configBlob.digest, size: configBlob.size },
      layers: [
        ...baseLayers.map((l) => ({ ...l, mediaType: layerType(l.mediaType) })),
        ...(layer ? [{ mediaType: docker ? DOCKER_LAYER : mediaTypes.OCI_LAYER, digest: layer.blob.digest, size: layer.blob.size }] : []),
      ],
    };
    const manifestBlob = await this.blobs.putBytes(JSON.stringify(manifest));
    const record: ImageRecord = {
      id: configBlob.digest.slice('sha256:'.length),
      names: [],
      manifestDigest: manifestBlob.digest,
      configDigest: configBlob.digest,
      layers: [...(base?.layers ?? []), ...(layer ? [layer.id] : [])],
      size: (base?.size ?? 0) + (layer?.size ?? 0),
      created: config.created ?? new Date().toISOString(),
      ...(options.cacheKey ? { buildCache: { parent: parent ?? '', key: options.cacheKey } } : {}),
    };
    return (await this.images.add(record)).id;
  }

  async tag(id: string, names: string[]): Promise<void> {
    if (names.length) await this.images.add({ ...(await this.record(id)), names });
  }

  async removeImages(ids: string[]): Promise<void> {
    const { removeImage } = await import('../image/manage.js');
    for (const id of ids) {
      await removeImage(this.ctx, id, { force: false }).catch((err: unknown) => {
        if (!(err instanceof NoSuchImageError)) throw err;
      });
    }
  }

  async withImageRoot<T>(id: string, use: (root: string) => Promise<T>): Promise<T> {
    const { withRootfs } = await import('../container/export.js');
    const record = await this.record(id);
    const lowerDirs = record.layers.map((l) => this.ctx.layout.layerDiff(l));
    const driver = await this.ctx.storageDriver();
    const none = '/nonexistent';
    const storage = driver === 'vfs' ? { driver, lowerDirs, rootfsDir: none } : { driver, lowerDirs, upperDir: none, workDir: none, mergedDir: none };
    let result: T | undefined;
    await withRootfs(this.ctx, storage, async (root) => {
      result = await use(root);
    });
    return result as T;
  }

  async readImageFile(id: string, path: string): Promise<Buffer | undefined> {
    const { readImageFile } = await import('../../image/layer/read-file.js');
    return readImageFile((await this.record(id)).layers.map((l) => this.ctx.layout.layerDiff(l)), path);
  }

  async pathType(id: string, path: string): Promise<'directory' | 'file' | 'other' | undefined> {
    const { imagePathType } = await import('../../image/layer/read-file.js');
    return imagePathType((await this.record(id)).layers.map((l) => this.ctx.layout.layerDiff(l)), path);
  }

  /** Removes the containers of RUN steps still running or not yet removed (SIGINT). */
  async removeLiveContainers(): Promise<void> {
    await Promise.all([...this.live].map((id) => this.removeContainer(id)));
  }

  private async removeContainer(id: string): Promise<void> {
    const { removeContainer } = await import('../container/lifecycle.js');
    await removeContainer(this.ctx, id, { force: true, timeout: 0 }).catch(() => undefined);
    this.live.delete(id);
  }

  private async record(id: string): Promise<ImageRecord> {
    const found = (await this.images.list()).find((i) => i.id === id);
    if (!found) throw new NoSuchImageError(id);
    return found;
  }

  private async config(record: ImageRecord): Promise<Image> {
    return JSON.parse((await this.blobs.get(record.configDigest)).toString()) as Image;
  }
}

const DOCKER_LAYER_TYPES: Record<string, string> = {
  [mediaTypes.OCI_LAYER_GZIP]: mediaTypes.DOCKER_LAYER_GZIP,
  [mediaTypes.OCI_LAYER]: DOCKER_LAYER,
};
const OCI_LAYER_TYPES: Record<string, string> = {
  [mediaTypes.DOCKER_LAYER_GZIP]: mediaTypes.OCI_LAYER_GZIP,
  [DOCKER_LAYER]: mediaTypes.OCI_LAYER,
};

/**
 * Removes the containers of RUN steps whose build is gone (killed with -9):
 * the name carries the builder's pid. Runs as root of the user namespace.
 */
export async function removeAbandonedBuildContainers(ctx: EngineContext): Promise<void> {
  const { ContainerStore } = await import('../../store/containers.js');
  const { readFileSync } = await import('node:fs');
  const { removeContainer } = await import('../container/lifecycle.js');
  const store = new ContainerStore(ctx.layout);
  for (const id of await store.ids()) {
    const name = (await store.readConfig<{ name?: string }>(id))?.name ?? '';
    const pid = name.startsWith(BUILD_CONTAINER_PREFIX) ? Number(name.slice(BUILD_CONTAINER_PREFIX.length).split('-')[0]) : NaN;
    if (!Number.isInteger(pid)) continue;
    let alive = false;
    try {
      alive = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('build');
    } catch {
      alive = false;
    }
    if (!alive) await removeContainer(ctx, id, { force: true, timeout: 0 }).catch(() => undefined);
  }
}
