/**
 * Types for the OCI image-spec (descriptor.md, manifest.md, image-index.md,
 * config.md), written by hand from https://github.com/opencontainers/image-spec.
 * Docker's schema 2 manifest and manifest list have the same shape, so the
 * same types serve both; `mediaType` tells them apart.
 */
import type { Digest } from './digest.js';

/** Where a manifest or image runs. */
export interface Platform {
  /** GOARCH values: `amd64`, `arm64`, ... */
  architecture: string;
  /** GOOS values: `linux`, ... */
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  /** CPU variant, e.g. `v8` for arm64 or `v7` for arm. */
  variant?: string;
}

/** A typed, sized, content-addressed reference to a blob. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  /** Size of the blob in bytes. */
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the blob itself, when embedded. */
  data?: string;
  artifactType?: string;
  /** Only meaningful on the entries of an index. */
  platform?: Platform;
}

/** An image manifest: one config blob plus ordered layers (base first). */
export interface Manifest {
  schemaVersion: 2;
  /** Optional for OCI, always present for Docker schema 2. */
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index (Docker: manifest list): one manifest per platform. */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/**
 * The execution defaults of an image (the `config` object inside the image
 * config blob). Field names are Go-style, as on the wire. Set-like fields are
 * objects whose values are always `{}`.
 */
export interface ImageConfig {
  /** `user`, `uid`, `user:group`, `uid:gid`, ... */
  User?: string;
  /** Keys like `80/tcp`. */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** KEY=VALUE entries. */
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

/** One step of the image's build history. */
export interface History {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  /** True when the step produced no layer (ENV, CMD, ...). */
  empty_layer?: boolean;
}

/** The image config blob. */
export interface Image {
  /** RFC 3339 timestamp. */
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ImageConfig;
  rootfs: {
    type: 'layers';
    /** Digests of the uncompressed layer tars, base first. */
    diff_ids: Digest[];
  };
  history?: History[];
}
