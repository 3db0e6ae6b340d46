import type { Descriptor, Image, Index, Manifest } from '../oci/image-spec.js';
import { SkiffError } from '../util/errors.js';

/**
 * Shape checks for the JSON documents an image is made of (index, manifest,
 * config, docker-archive manifest.json). JSON.parse accepts `null`, numbers
 * and arrays; everything after it reads fields, so a document of the wrong
 * shape must be refused here with an ECORRUPT naming it (`what`, e.g.
 * `"index.json" in the archive`), never reach code as a TypeError.
 * Only the fields skiff reads are checked; unknown fields pass.
 */

type Json = unknown;

function bad(what: string, why: string): SkiffError {
  return new SkiffError('ECORRUPT', `${what} is malformed: ${why}`);
}

function kind(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: Json, what: string, field: string): Record<string, Json> {
  if (!isObject(value)) throw bad(what, `${field} is ${kind(value)}, not an object`);
  return value;
}

function optionalObject(parent: Record<string, Json>, key: string, what: string, field: string): void {
  if (parent[key] !== undefined && parent[key] !== null) object(parent[key], what, field);
}

function string(value: Json, what: string, field: string): string {
  if (typeof value !== 'string') throw bad(what, `${field} is ${kind(value)}, not a string`);
  return value;
}

function optionalString(parent: Record<string, Json>, key: string, what: string, field: string): void {
  if (parent[key] !== undefined) string(parent[key], what, field);
}

function array(value: Json, what: string, field: string): Json[] {
  if (!Array.isArray(value)) throw bad(what, `${field} is ${kind(value)}, not an array`);
  return value;
}

/** Parses bytes as JSON; invalid JSON is an ECORRUPT naming `what`. */
export function parseJsonDocument(bytes: Buffer | string, what: string): Json {
  try {
    return JSON.parse(bytes.toString()) as Json;
  } catch {
    throw new SkiffError('ECORRUPT', `${what} is not valid JSON`);
  }
}

function checkDescriptor(value: Json, what: string, field: string): Descriptor {
  const d = object(value, what, field);
  string(d.digest, what, `${field}.digest`);
  optionalString(d, 'mediaType', what, `${field}.mediaType`);
  optionalObject(d, 'annotations', what, `${field}.annotations`);
  optionalObject(d, 'platform', what, `${field}.platform`);
  return d as unknown as Descriptor;
}

/** An image index or manifest list: an object whose `manifests` is an array of descriptors. */
export function checkIndex(value: Json, what: string): Index {
  const index = object(value, what, 'the document');
  array(index.manifests, what, 'manifests').forEach((m, i) => checkDescriptor(m, what, `manifests[${i}]`));
  return index as unknown as Index;
}

/** An image manifest: a config descriptor and an array of layer descriptors. */
export function checkManifest(value: Json, what: string): Manifest {
  const manifest = object(value, what, 'the document');
  checkDescriptor(manifest.config, what, 'config');
  array(manifest.layers, what, 'layers').forEach((l, i) => checkDescriptor(l, what, `layers[${i}]`));
  return manifest as unknown as Manifest;
}

/**
 * An image config: an object whose rootfs.diff_ids (when present) is an
 * array of strings, and whose container defaults (`config`) have the types
 * the image spec gives them.
 */
export function checkImageConfig(value: Json, what: string): Image {
  const config = object(value, what, 'the document');
  if (config.rootfs !== undefined) {
    const rootfs = object(config.rootfs, what, 'rootfs');
    if (rootfs.diff_ids !== undefined) array(rootfs.diff_ids, what, 'rootfs.diff_ids').forEach((d, i) => string(d, what, `rootfs.diff_ids[${i}]`));
  }
  if (config.config !== undefined && config.config !== null) {
    // The container defaults run and create read: lists of strings, strings, and maps.
    const defaults = object(config.config, what, 'config');
    for (const key of ['Env', 'Cmd', 'Entrypoint', 'Shell', 'OnBuild']) {
      if (defaults[key] !== undefined && defaults[key] !== null) array(defaults[key], what, `config.${key}`).forEach((v, i) => string(v, what, `config.${key}[${i}]`));
    }
    for (const key of ['User', 'WorkingDir', 'StopSignal']) optionalString(defaults, key, what, `config.${key}`);
    for (const key of ['Labels', 'ExposedPorts', 'Volumes', 'Healthcheck']) optionalObject(defaults, key, what, `config.${key}`);
  }
  for (const key of ['created', 'architecture', 'os', 'variant']) optionalString(config, key, what, key);
  if (config.history !== undefined) array(config.history, what, 'history').forEach((h, i) => object(h, what, `history[${i}]`));
  return config as unknown as Image;
}

/** One entry of a docker-archive's manifest.json. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** A docker-archive's manifest.json: an array of {Config, RepoTags?, Layers}. */
export function checkDockerArchiveManifest(value: Json, what: string): DockerArchiveEntry[] {
  return array(value, what, 'the document').map((v, i) => {
    const entry = object(v, what, `entry ${i}`);
    const Config = string(entry.Config, what, `entry ${i} Config`);
    const Layers = array(entry.Layers, what, `entry ${i} Layers`).map((l, j) => string(l, what, `entry ${i} Layers[${j}]`));
    const tags = entry.RepoTags === undefined || entry.RepoTags === null ? [] : array(entry.RepoTags, what, `entry ${i} RepoTags`);
    const RepoTags = tags.map((t, j) => string(t, what, `entry ${i} RepoTags[${j}]`));
    return { Config, RepoTags, Layers };
  });
}
