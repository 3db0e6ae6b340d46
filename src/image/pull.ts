import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import type { Descriptor, Manifest, Platform } from '../oci/image-spec.js';
import * as mediaTypes from '../oci/media-types.js';
import { BlobStore } from '../store/blobs.js';
import { ImageStore, type ImageRecord } from '../store/images.js';
import { LayerStore, type LayerRecord } from '../store/layers.js';
import type { StoreLayout } from '../store/layout.js';
import { SkiffError } from '../util/errors.js';
import { reportingNoSpace } from '../util/no-space.js';
import { checkImageConfig, checkIndex, checkManifest, parseJsonDocument } from './json-shapes.js';
import { extractBlob, type ExtractBlobOptions } from './layer/extract-blob.js';
import { formatReference, type ImageReference } from './reference.js';
import type { ChownMode } from './layer/extract.js';

/** What pull needs from a registry (RegistryClient provides it). */
export interface RegistrySource {
  getManifest(repo: string, reference: string, accept: string[]): Promise<{ body: Buffer; mediaType: string; digest: string }>;
  getBlob(repo: string, digest: string): Promise<{ stream: Readable; size?: number }>;
}

/** Progress events for the CLI to render (the image layer never prints). */
export type PullProgress =
  | { kind: 'resolved'; manifestDigest: string }
  | { kind: 'blob'; digest: string; size: number; state: 'copying' | 'exists' | 'done' }
  /** Bytes of a layer downloaded so far, at most every PROGRESS_INTERVAL_MS per blob. */
  | { kind: 'blob'; digest: string; size: number; state: 'progress'; done: number }
  | { kind: 'config'; digest: string }
  | { kind: 'writing' };

export interface PullOptions {
  platform: Required<Pick<Platform, 'os' | 'architecture'>> & { variant?: string };
  /** chown files to the tar's owners (namespaced or real root). */
  chown: ChownMode;
  whiteouts: 'user' | 'trusted';
  progress?: (event: PullProgress) => void;
  /** Layers downloaded at once. */
  parallel?: number;
}

/** The least time between two byte-progress events of one blob. */
export const PROGRESS_INTERVAL_MS = 100;

const ACCEPT = [mediaTypes.OCI_MANIFEST, mediaTypes.OCI_INDEX, mediaTypes.DOCKER_MANIFEST, mediaTypes.DOCKER_MANIFEST_LIST];
const LAYER_TYPES = new Set([
  mediaTypes.OCI_LAYER, mediaTypes.OCI_LAYER_GZIP, mediaTypes.OCI_LAYER_ZSTD, mediaTypes.DOCKER_LAYER_GZIP,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

/**
 * Copies an image from a registry into the local store: manifest (through
 * an index by platform), config, and layers, each blob verified against its
 * digest before it is stored and each layer's content against its diff id.
 * Blobs and layers already present are reused, so an interrupted pull is
 * finished by the next one, and the image record is written last: a
 * failed pull never leaves a half image. A full disk is reported as
 * NoSpaceError.
 */
export async function pullImage(layout: StoreLayout, source: RegistrySource, ref: ImageReference, options: PullOptions): Promise<ImageRecord> {
  // A full disk fails writes deep inside extraction, which would otherwise call the layer corrupt.
  return reportingNoSpace(`cannot pull ${formatReference(ref)}: writing to ${layout.graphRoot}`, () => pullInto(layout, source, ref, options));
}

async function pullInto(layout: StoreLayout, source: RegistrySource, ref: ImageReference, options: PullOptions): Promise<ImageRecord> {
  const repo = ref.path;
  const blobs = new BlobStore(layout);
  const { manifest, manifestDigest, manifestBytes } = await resolveManifest(source, repo, ref.digest ?? ref.tag ?? 'latest', options.platform);
  options.progress?.({ kind: 'resolved', manifestDigest });

  for (const layer of manifest.layers) {
    if (!LAYER_TYPES.has(layer.mediaType)) {
      throw new SkiffError('EMEDIATYPE', `unsupported layer media type "${layer.mediaType}" in ${formatReference(ref)}`);
    }
  }
  // Config first: it holds the diff ids the layers are checked against.
  const configBytes = await fetchBlob(source, blobs, repo, manifest.config);
  options.progress?.({ kind: 'config', digest: manifest.config.digest });
  const config = checkImageConfig(parseJsonDocument(configBytes, 'the image config'), 'the image config');
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new SkiffError('ECORRUPT', `the image config lists ${diffIds.length} layers but the manifest ${manifest.layers.length}`);
  }

  const records = await copyLayers(blobs, new LayerStore(layout), source, repo, manifest.layers, diffIds, options);
  const layerIds = records.map((r) => r.id);
  const size = records.reduce((n, r) => n + r.size, 0);

  options.progress?.({ kind: 'writing' });
  // The exact bytes, so push sends the same manifest and the digest stays.
  await blobs.putBytes(manifestBytes);
  const configDigest = manifest.config.digest;
  return new ImageStore(layout).add({
    id: configDigest.replace(/^sha256:/, ''),
    // Pulled by digest only: named REPOSITORY@DIGEST, as containers/storage names it.
    names: [formatReference(ref.digest && !ref.tag ? ref : { ...ref, digest: undefined })],
    manifestDigest,
    configDigest,
    layers: layerIds,
    size,
    created: config.created ?? new Date().toISOString(),
  });
}

/**
 * Downloads and extracts every layer, and records them in the layer store
 * bottom first; returns their records (ids are chain ids). Each layer is extracted into
 * its own staging directory as soon as its blob is stored and verified
 * (while later blobs still download), and is checked against its diff id
 * there. No layer is
 * recorded until every one of them has been extracted and checked: a bad
 * layer leaves no layer of this pull recorded, and no staging directory
 * either, since the error is raised only once every task has settled.
 */
async function copyLayers(
  blobs: BlobStore, layers: LayerStore, source: RegistrySource, repo: string,
  descs: Descriptor[], diffIds: string[], options: PullOptions,
): Promise<LayerRecord[]> {
  // Layers stack: each is identified by its chain id, which names its parents too.
  const chainIds: string[] = [];
  for (const [i, diffId] of diffIds.entries()) chainIds.push(i === 0 ? diffId.replace(/^sha256:/, '') : sha256Hex(`sha256:${chainIds[i - 1]} ${diffId}`));
  const downloads = new Semaphore(options.parallel ?? 3);
  // One layer extracts at a time, on this thread, while later blobs download: extraction is mostly
  // file creation in the kernel, and two at once (in worker threads) measured no faster on 2 CPUs.
  const extractions = new Semaphore(1);
  const abort = new AbortController();
  const ready = descs.map(() => deferred());
  // A rejection here is seen by the waiting tasks; these catches only keep Node from calling it unhandled.
  for (const r of ready) r.promise.catch(() => undefined);
  const allReady = Promise.all(ready.map((r) => r.promise));
  allReady.catch(() => undefined);
  let firstError: unknown;
  const fail = (err: unknown) => {
    if (!abort.signal.aborted) {
      firstError = err;
      abort.abort(err);
    }
    for (const r of ready) r.reject(err);
  };

  const tasks: Array<Promise<LayerRecord>> = [];
  for (const [i, layer] of descs.entries()) {
    const previous = tasks[i - 1];
    tasks.push((async () => {
      try {
        await downloads.run(async () => {
          abort.signal.throwIfAborted();
          if (await blobs.has(layer.digest)) {
            options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'exists' });
            return;
          }
          options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'copying' });
          const progress = options.progress;
          await fetchBlobToStore(source, blobs, repo, layer, progress && ((done) => progress({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'progress', done })));
          options.progress?.({ kind: 'blob', digest: layer.digest, size: layer.size, state: 'done' });
        });
        const record = await layers.create(chainIds[i], async (dir) => {
          const { diffId, size } = await extractions.run(() => {
            abort.signal.throwIfAborted();
            // A bottom layer has nothing below it to hide.
            const whiteouts = i === 0 ? 'none' : options.whiteouts;
            const extractOptions: ExtractBlobOptions = { chown: options.chown, whiteouts, label: layer.digest };
            return extractBlob(blobs.path(layer.digest), dir, extractOptions);
          });
          if (diffId !== diffIds[i]) {
            throw new SkiffError('EDIGEST', `layer ${layer.digest} has content ${diffId}, but the image config says ${diffIds[i]}`);
          }
          ready[i].resolve();
          await allReady;
          // Recorded bottom first: a layer is never in the store without its parent.
          await previous;
          return { diffId, size, parent: i === 0 ? undefined : chainIds[i - 1] };
        });
        ready[i].resolve();
        return record;
      } catch (err) {
        fail(err);
        throw err;
      }
    })());
  }
  const results = await Promise.allSettled(tasks);
  if (firstError !== undefined) throw firstError;
  return results.map((r) => (r as PromiseFulfilledResult<LayerRecord>).value);
}

/** Fetches the manifest; through an index or manifest list, the one for `platform`. */
async function resolveManifest(source: RegistrySource, repo: string, reference: string, platform: PullOptions['platform']): Promise<{ manifest: Manifest; manifestDigest: string; manifestBytes: Buffer }> {
  const first = await source.getManifest(repo, reference, ACCEPT);
  const sniffed = first.mediaType ? undefined : parseJsonDocument(first.body, 'the manifest');
  const mediaType = first.mediaType || (typeof sniffed === 'object' && sniffed !== null && 'mediaType' in sniffed && typeof sniffed.mediaType === 'string' ? sniffed.mediaType : '');
  if (mediaType === mediaTypes.OCI_INDEX || mediaType === mediaTypes.DOCKER_MANIFEST_LIST) {
    const index = checkIndex(parseJsonDocument(first.body, 'the image index'), 'the image index');
    const chosen = choosePlatform(index.manifests, platform);
    if (!chosen) {
      const available = index.manifests.map((m) => platformName(m.platform)).join(', ');
      throw new SkiffError('ENOPLATFORM', `no image found in manifest list for architecture "${platformName(platform)}": the image is for ${available || 'no platform'}`, {
        hint: 'choose one with --platform, --arch or --variant',
      });
    }
    const next = await source.getManifest(repo, chosen.digest, ACCEPT);
    return { manifest: checkManifest(parseJsonDocument(next.body, 'the manifest'), 'the manifest'), manifestDigest: next.digest, manifestBytes: next.body };
  }
  if (mediaType !== mediaTypes.OCI_MANIFEST && mediaType !== mediaTypes.DOCKER_MANIFEST) {
    throw new SkiffError('EMEDIATYPE', `unsupported manifest media type "${mediaType}"`);
  }
  return { manifest: checkManifest(parseJsonDocument(first.body, 'the manifest'), 'the manifest'), manifestDigest: first.digest, manifestBytes: first.body };
}

/** The index entry for os/arch(/variant), as containers/image matches it: an exact variant first, then none. */
export function choosePlatform(manifests: Descriptor[], want: PullOptions['platform']): Descriptor | undefined {
  const candidates = manifests.filter((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  if (want.variant) return candidates.find((m) => m.platform?.variant === want.variant);
  return candidates.find((m) => !m.platform?.variant || m.platform.variant === defaultVariant(want.architecture)) ?? candidates[0];
}

function defaultVariant(arch: string): string | undefined {
  return ({ arm64: 'v8', arm: 'v7' } as Record<string, string>)[arch];
}

function platformName(p?: Partial<Platform>): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

async function fetchBlob(source: RegistrySource, blobs: BlobStore, repo: string, desc: Descriptor): Promise<Buffer> {
  if (!(await blobs.has(desc.digest))) await fetchBlobToStore(source, blobs, repo, desc);
  return blobs.get(desc.digest);
}

async function fetchBlobToStore(source: RegistrySource, blobs: BlobStore, repo: string, desc: Descriptor, onBytes?: (done: number) => void): Promise<void> {
  const { stream } = await source.getBlob(repo, desc.digest);
  // putStream verifies the digest and stores nothing on a mismatch.
  // pipeline ties the two: an error of either destroys the other with it.
  const counted = onBytes ? pipeline(stream, countingStream(onBytes), () => undefined) : stream;
  await blobs.putStream(counted, desc.digest);
}

/**
 * A pass-through that reports the bytes seen so far, throttled to one call
 * per PROGRESS_INTERVAL_MS (the first chunk is reported at once).
 */
function countingStream(onBytes: (done: number) => void): Transform {
  let done = 0;
  let last = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        onBytes(done);
      }
      callback(null, chunk);
    },
  });
  return counter;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** At most `limit` calls of run() at a time; the others wait their turn, first come first served. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
