/**
 * What the executor needs from the engine, as an interface the engine
 * implements (src/engine/build/backend.ts) and passes in: the executor
 * itself never touches containers, the runtime or the stores' internals.
 */
import type { Writable } from 'node:stream';
import type { Image } from '../../oci/image-spec.js';

/** An image the build starts from or made: its id (hex) and config. `id` undefined for `scratch`. */
export interface BuildImage {
  id?: string;
  config: Image;
}

/** podman build's --pull: missing (default), always, never. */
export type PullPolicy = 'missing' | 'always' | 'never';

/** A RUN step's process, already resolved from the instruction and the stage's state. */
export interface RunCommand {
  /** The full argv (the shell and `-c` included for the shell form). */
  argv: string[];
  /** Build args as KEY=VALUE, set in the step's environment on top of the image's. */
  env: string[];
  /** --network of the build or of the RUN (`default` is the engine's rootless default). */
  network: string;
  /** Where the process' output goes. */
  stdout: Writable;
  stderr: Writable;
}

/** A layer written by the backend, not yet part of any image. */
export interface LayerRef {
  /** Chain id hex in the layer store. */
  id: string;
  diffId: string;
  size: number;
  blob: { digest: string; size: number };
}

/** How a step's image is written. */
export interface WriteImageOptions {
  /** The step's cache key; the backend finds the image again by (parent, key). */
  cacheKey?: string;
  format: 'oci' | 'docker';
}

export interface BuildBackend {
  /** Resolves FROM's image in the local store, pulling it as `pull` says. Throws when missing. */
  baseImage(reference: string, pull: PullPolicy): Promise<Required<BuildImage>>;
  /** Image `id` (hex) of the local store. */
  image(id: string): Promise<Required<BuildImage>>;
  /** An image an earlier build wrote as the step with `cacheKey` on top of `parent` (undefined for scratch), if it is still there. */
  findCached(parent: string | undefined, cacheKey: string): Promise<Required<BuildImage> | undefined>;
  /**
   * Runs `command` in a container made from image `parent` and stores the
   * container's changes as a layer; the container is removed whatever
   * happens. Resolves with the process' exit code and, for 0, the layer.
   */
  run(parent: string, command: RunCommand): Promise<{ exitCode: number; layer?: LayerRef }>;
  /** Stores the layer tar that `write` writes (and ends) on top of image `parent`'s layers. */
  addLayer(parent: string | undefined, write: (out: Writable) => Promise<void>): Promise<LayerRef>;
  /**
   * Writes an image: `parent`'s layers plus `layer` (when given) with
   * `config` (whose rootfs and history the caller has already extended).
   * Returns its id (hex).
   */
  writeImage(parent: string | undefined, layer: LayerRef | undefined, config: Image, options: WriteImageOptions): Promise<string>;
  /** Gives image `id` the names (already fully qualified), taking them from any other image. */
  tag(id: string, names: string[]): Promise<void>;
  /** Removes images the build made and no longer needs (--layers=false intermediates); missing ones are skipped. */
  removeImages(ids: string[]): Promise<void>;
  /** Runs `use` with a directory holding image `id`'s root filesystem (read-only use), e.g. for COPY --from. */
  withImageRoot<T>(id: string, use: (root: string) => Promise<T>): Promise<T>;
  /** The files of image `id` that USER/--chown name lookups read: `etc/passwd` or `etc/group`, or undefined. */
  readImageFile(id: string, path: string): Promise<Buffer | undefined>;
  /** What absolute `path` is in image `id` (links followed inside the image), or undefined when missing. */
  pathType(id: string, path: string): Promise<'directory' | 'file' | 'other' | undefined>;
}
