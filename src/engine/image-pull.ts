import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseReference, type ImageReference } from '../image/reference.js';
import type { PullProgress } from '../image/pull.js';
import type { ImageRecord } from '../store/images.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { EngineContext } from './context.js';
import { goArch } from './images.js';

export interface ImagePullOptions {
  reference: string;
  /** undefined: verify, except for registries named insecure. */
  tlsVerify?: boolean;
  /** USER[:PASSWORD] from --creds. */
  creds?: string;
  /** A directory of *.crt CA certificates (--cert-dir). */
  certDir?: string;
  /** os/arch[/variant] from --platform, or parts from --os/--arch/--variant. */
  os?: string;
  arch?: string;
  variant?: string;
  progress?: (event: PullProgress) => void;
}

/**
 * Normalises a reference for a registry: a one-part docker.io path gets
 * library/, the tag defaults to latest, and a short name (no registry) is
 * refused as podman refuses it without unqualified-search registries.
 */
export function normalizeReference(input: string): ImageReference {
  const ref = parseReference(input);
  if (!ref.domain) {
    // Without registries.conf search registries a short name resolves
    // nowhere; podman refuses it rather than guessing a registry.
    throw new InvalidArgumentError(`short-name "${input}" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"`, {
      hint: 'use a fully qualified name such as docker.io/library/alpine, or import the image',
    });
  }
  const domain = ref.domain;
  const path = domain === 'docker.io' && !ref.path.includes('/') ? `library/${ref.path}` : ref.path;
  return { domain, path, tag: ref.tag ?? (ref.digest ? undefined : 'latest'), digest: ref.digest };
}

/** Parses --platform os/arch[/variant] together with --os/--arch/--variant. */
export function pullPlatform(options: Pick<ImagePullOptions, 'os' | 'arch' | 'variant'> & { platform?: string }): { os: string; architecture: string; variant?: string } {
  let { os, arch, variant } = options;
  if (options.platform) {
    const parts = options.platform.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
      throw new InvalidArgumentError(`invalid platform "${options.platform}": expected OS/ARCH[/VARIANT]`);
    }
    [os, arch, variant] = [parts[0], parts[1], parts[2] ?? variant];
  }
  return { os: os ?? 'linux', architecture: arch ?? goArch(), variant };
}

/**
 * Pulls an image into the local store (`skiff pull`). Runs inside the
 * user namespace, as root of it, so layer files get their owners.
 */
export async function pullImageFromRegistry(ctx: EngineContext, options: ImagePullOptions & { platform?: string }): Promise<ImageRecord> {
  const ref = normalizeReference(options.reference);
  const { RegistryClient } = await import('../image/registry/client.js');
  const { lookupCredentials } = await import('../image/registry/auth-file.js');
  const { pullImage } = await import('../image/pull.js');
  const host = ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain!;
  const client = new RegistryClient({
    host,
    tlsVerify: options.tlsVerify ?? true,
    caCerts: await readCertDir(options.certDir ?? defaultCertDir(ref.domain!)),
    credentials: options.creds ? parseCreds(options.creds) : lookupCredentials(ref.domain!),
  });
  return pullImage(ctx.layout, client, ref, {
    platform: pullPlatform(options),
    chown: process.getuid?.() === 0,
    whiteouts: ctx.rootless ? 'user' : 'trusted',
    progress: options.progress,
  });
}

/** --creds USER[:PASSWORD]; podman prompts for a missing password, we refuse it. */
export function parseCreds(creds: string): { username: string; password: string } {
  const at = creds.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError('--creds must be USERNAME:PASSWORD');
  return { username: creds.slice(0, at), password: creds.slice(at + 1) };
}

/** Where podman looks for a registry's CA certificates. */
export function defaultCertDir(host: string): string | undefined {
  return process.getuid?.() === 0 && !process.env.SKIFF_USERNS_PID
    ? join('/etc/containers/certs.d', host)
    : join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'containers', 'certs.d', host);
}

export async function readCertDir(dir: string | undefined): Promise<Buffer[] | undefined> {
  if (!dir) return undefined;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return undefined;
  }
  const certs = await Promise.all(names.filter((n) => n.endsWith('.crt')).map((n) => fsp.readFile(join(dir, n))));
  return certs.length ? certs : undefined;
}
