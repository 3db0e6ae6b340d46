import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadRegistriesConf, pullEndpoints, repositoryHost, type PullEndpoint, type RegistriesConf } from '../../config/registries-conf.js';
import { formatReference, parseReference, repositoryName, type ImageReference } from '../../image/reference.js';
import type { PullProgress, RegistrySource } from '../../image/pull.js';
import type { ImageRecord } from '../../store/images.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { NoSpaceError } from '../../util/no-space.js';
import type { EngineContext } from '../context.js';
import { goArch } from './images.js';
import { layerChown } from '../storage-driver.js';

export interface ImagePullOptions {
  reference: string;
  /** undefined: verify, except for registries named insecure. */
  tlsVerify?: boolean;
  /** USER[:PASSWORD] from --creds. */
  creds?: string;
  /** A directory of *.crt CA certificates and NAME.cert/NAME.key client certificates (--cert-dir). */
  certDir?: string;
  /** os/arch[/variant] from --platform, or parts from --os/--arch/--variant. */
  os?: string;
  arch?: string;
  variant?: string;
  progress?: (event: PullProgress) => void;
  /**
   * Called with each fully qualified reference before it is tried (short
   * names may have several): the CLI prints podman's "Trying to pull NAME...".
   */
  onTrying?: (reference: string) => void;
}

/**
 * Normalises a reference for a registry: a one-part docker.io path gets
 * library/, the tag defaults to latest. A short name (no registry) becomes
 * its first candidate in the unqualified-search registries of
 * registries.conf (read only for short names), and is refused, as podman
 * refuses it, when there are none.
 */
export function normalizeReference(input: string, conf?: RegistriesConf): ImageReference {
  const ref = parseReference(input);
  if (!ref.domain) return shortNameCandidates(input, conf ?? loadRegistriesConf())[0];
  return qualify(ref, ref.domain);
}

/**
 * The fully qualified references a short name may mean, in the order of
 * registries.conf's `unqualified-search-registries` (podman without aliases
 * and without a prompt). A qualified name is its own single candidate.
 */
export function shortNameCandidates(input: string, conf: Pick<RegistriesConf, 'unqualifiedSearchRegistries' | 'mainFile'>): ImageReference[] {
  const ref = parseReference(input);
  if (ref.domain) return [qualify(ref, ref.domain)];
  if (conf.unqualifiedSearchRegistries.length === 0) {
    throw new InvalidArgumentError(`short-name "${input}" did not resolve to an alias and no unqualified-search registries are defined in "${conf.mainFile}"`, {
      hint: 'use a fully qualified name such as docker.io/library/alpine, set unqualified-search-registries in registries.conf, or import the image',
    });
  }
  return conf.unqualifiedSearchRegistries.map((registry) => qualify(ref, registry));
}

function qualify(ref: ImageReference, domain: string): ImageReference {
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
 *
 * registries.conf decides where from: a short name is tried against each
 * unqualified-search registry in turn (the first that works wins); for each
 * candidate the registry's mirrors come first, then the registry itself
 * (its `location`); a `blocked` registry is refused; an `insecure` one is
 * contacted without TLS verification (plain http allowed) unless
 * --tls-verify was given. The image is named after the requested (or
 * candidate) reference, never after a mirror. Temp data that killed
 * commands left behind is removed first.
 */
export async function pullImageFromRegistry(ctx: EngineContext, options: ImagePullOptions & { platform?: string }): Promise<ImageRecord> {
  const { removeOrphanedTemp } = await import('../../store/temp.js');
  await removeOrphanedTemp(ctx.layout).catch(() => undefined);
  const conf = loadRegistriesConf();
  const candidates = shortNameCandidates(options.reference, conf);
  const failures: Array<{ name: string; error: unknown }> = [];
  for (const ref of candidates) {
    const name = formatReference(ref);
    options.onTrying?.(name);
    try {
      return await pullCandidate(ctx, conf, ref, options);
    } catch (error) {
      // A full disk is ours, not the registry's: another candidate would fail the same way.
      if (error instanceof NoSpaceError) throw error;
      failures.push({ name, error });
    }
  }
  if (failures.length === 1) throw failures[0].error;
  throw new SkiffError('EPULL', `${failures.length} errors occurred while pulling:\n` +
    failures.map((f) => ` * ${f.name}: ${(f.error as Error).message}`).join('\n'));
}

/** One fully qualified reference: its mirrors in order, then the registry; the first success wins. */
async function pullCandidate(ctx: EngineContext, conf: RegistriesConf, ref: ImageReference, options: ImagePullOptions & { platform?: string }): Promise<ImageRecord> {
  const { RegistryClient } = await import('../../image/registry/client.js');
  const { lookupCredentials } = await import('../../image/registry/auth-file.js');
  const { pullImage } = await import('../../image/pull.js');
  const { readCertDir } = await import('../../image/registry/trust.js');
  const endpoints = pullEndpoints(conf, repositoryName(ref), ref.digest !== undefined);
  const failures: Array<{ endpoint: PullEndpoint; error: unknown }> = [];
  for (const endpoint of endpoints) {
    const host = repositoryHost(endpoint.repository);
    const path = endpoint.repository.slice(host.length + 1);
    const client = new RegistryClient({
      host,
      tlsVerify: options.tlsVerify ?? !endpoint.insecure,
      ...(await readCertDir(options.certDir ?? defaultCertDir(host))),
      credentials: options.creds ? parseCreds(options.creds) : lookupCredentials(host),
    });
    // pullImage reads the repository of `ref`; the endpoint may be another one (a mirror, a location).
    const source: RegistrySource = {
      getManifest: (_repo, reference, accept) => client.getManifest(path, reference, accept),
      getBlob: (_repo, digest) => client.getBlob(path, digest),
    };
    try {
      return await pullImage(ctx.layout, source, ref, {
        platform: pullPlatform(options),
        chown: layerChown(ctx),
        whiteouts: ctx.rootless ? 'user' : 'trusted',
        progress: options.progress,
      });
    } catch (error) {
      if (error instanceof NoSpaceError) throw error;
      failures.push({ endpoint, error });
    } finally {
      client.close();
    }
  }
  // As containers/image: the registry's own error, with the mirrors' after it.
  const last = failures[failures.length - 1];
  if (failures.length === 1) throw last.error;
  const mirrors = failures.slice(0, -1).map((f) => `${f.endpoint.repository}: ${(f.error as Error).message}`);
  const err = last.error as Error;
  if (err instanceof SkiffError) {
    throw new SkiffError(err.code, `${err.message} (mirrors also failed: [${mirrors.join('; ')}])`, { hint: err.hint, cause: err });
  }
  throw err;
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
