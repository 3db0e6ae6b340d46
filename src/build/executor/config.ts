/**
 * The pure half of the executor: how each metadata instruction changes the
 * image config, and the history entries (created_by) as buildah writes
 * them, so that `skiff history` of a built image reads as podman's.
 */
import type { Image, ImageConfig } from '../../oci/image-spec.js';

/** The config fields the docker format adds to the OCI ones (buildah keeps them only with --format docker). */
export interface DockerConfigExtras {
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[];
  Shell?: string[];
}

export type BuildConfig = ImageConfig & DockerConfigExtras;

/** The image config a build step works on. */
export type BuildImageConfig = Omit<Image, 'config'> & { config?: BuildConfig; author?: string };

/** The default shell of RUN, CMD and ENTRYPOINT in shell form (the parser's). */
export { DEFAULT_SHELL } from '../containerfile/command.js';

/** KEY of a KEY=VALUE entry. */
export function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Sets (or replaces, in place) KEY=VALUE in an Env list. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const at = out.findIndex((e) => envKey(e) === key);
  if (at >= 0) out[at] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** The variables of an Env list as a record. */
export function envRecord(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    out[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? '' : entry.slice(eq + 1);
  }
  return out;
}

/** EXPOSE's port as the config keys it: `80` is `80/tcp`, the protocol lower-cased. */
export function exposedPortKey(port: string): string {
  const [num, proto] = port.split('/', 2);
  return `${num}/${(proto || 'tcp').toLowerCase()}`;
}

/**
 * The history's created_by for a metadata step, as buildah writes it:
 * `/bin/sh -c #(nop) ` and the instruction as written.
 */
export function nopCreatedBy(original: string): string {
  return `/bin/sh -c #(nop) ${original}`;
}

/**
 * A RUN step's created_by, as buildah writes it: the build args in effect
 * (`|N K=V ...`, sorted) before the argv joined with spaces.
 */
export function runCreatedBy(argv: readonly string[], buildArgs: Readonly<Record<string, string>>): string {
  const keys = Object.keys(buildArgs).sort();
  const prefix = keys.length ? `|${keys.length} ${keys.map((k) => `${k}=${buildArgs[k]}`).join(' ')} ` : '';
  return prefix + argv.join(' ');
}

/** A copy of `image` with one more history entry (and, for a layer, its diff id), created now. */
export function withStep(image: BuildImageConfig, entry: { createdBy: string; comment: string; diffId?: string }, created: string): BuildImageConfig {
  return {
    ...image,
    created,
    rootfs: { type: 'layers', diff_ids: entry.diffId ? [...image.rootfs.diff_ids, entry.diffId as `sha256:${string}`] : [...image.rootfs.diff_ids] },
    history: [
      ...(image.history ?? []),
      { created, created_by: entry.createdBy, comment: entry.comment, ...(entry.diffId ? {} : { empty_layer: true }) },
    ],
  };
}

/**
 * What `--format oci` keeps of the config: the docker-only fields go (buildah
 * warns about HEALTHCHECK, ONBUILD and SHELL then), and the list of the
 * dropped ones is returned for the warnings.
 */
export function forFormat(image: BuildImageConfig, format: 'oci' | 'docker'): { image: BuildImageConfig; dropped: string[] } {
  if (format === 'docker' || !image.config) return { image, dropped: [] };
  const { Healthcheck, OnBuild, Shell, ...rest } = image.config;
  const dropped = [Healthcheck && 'HEALTHCHECK', OnBuild?.length && 'ONBUILD', Shell && 'SHELL'].filter((x): x is string => typeof x === 'string');
  return { image: { ...image, config: rest }, dropped };
}
