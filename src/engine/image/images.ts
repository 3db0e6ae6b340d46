import { createWriteStream, promises as fsp } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { arch } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Image } from '../../oci/image-spec.js';
import type { ImportProgress } from '../../image/import-tarball.js';
import { localImageName, parseReference, formatReference, repositoryName, type ImageReference } from '../../image/reference.js';
import { BlobStore } from '../../store/blobs.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';
import { removeOrphanedTemp, tempName } from '../../store/temp.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { reportingNoSpace } from '../../util/no-space.js';
import type { EngineContext } from '../context.js';
import { NoSuchImageError } from '../errors.js';
import { layerChown } from '../storage-driver.js';

export interface ImageImportOptions {
  source: string;
  reference?: string;
  changes: string[];
  message?: string;
  progress?: (event: ImportProgress) => void;
}

export interface ImageSummary {
  record: ImageRecord;
  config: Image;
}

/** GOARCH names, as image configs use them. */
export function goArch(): string {
  const a = arch();
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[a] ?? a;
}

/**
 * Imports a rootfs tarball as an image (`skiff import`). Runs inside the
 * user namespace (the CLI re-executes there) so file owners map correctly.
 * An http(s) URL is downloaded to the store's tmp dir first, as podman does,
 * and the temp file removed whatever happens. Temp data that killed
 * commands left behind is removed first.
 */
export async function importImage(ctx: EngineContext, options: ImageImportOptions): Promise<ImageRecord> {
  await removeOrphanedTemp(ctx.layout).catch(() => undefined);
  const names = options.reference ? [localImageName(options.reference)] : [];
  const config = applyChanges({}, options.changes);
  // tar-stream and the extractor load only for imports, not on every run.
  const { importTarball } = await import('../../image/import-tarball.js');
  const isUrl = /^https?:\/\//i.test(options.source);
  const file = isUrl
    ? await reportingNoSpace(`cannot import "${options.source}": writing to ${ctx.layout.graphRoot}`, () => downloadToTemp(options.source, ctx.layout.tmpDir))
    : options.source;
  try {
    return await importTarball(ctx.layout, {
      source: file,
      sourceName: options.source,
      names,
      config,
      chown: layerChown(ctx),
      architecture: goArch(),
      message: options.message,
      progress: options.progress,
    });
  } finally {
    if (isUrl) await fsp.rm(file, { force: true });
  }
}

const URL_MAX_REDIRECTS = 5;
/** No bytes for this long (connecting or downloading) fails the download. */
const URL_IDLE_TIMEOUT_MS = 60_000;

/** Streams `url` (following up to 5 redirects) into a new file under `dir`; nothing is left on failure. */
async function downloadToTemp(url: string, dir: string): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  const path = join(dir, tempName('import'));
  let current = url;
  try {
    for (let redirects = 0; ; redirects++) {
      const res = await httpGet(current);
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location) {
        res.resume();
        if (redirects >= URL_MAX_REDIRECTS) throw new Error(`stopped after ${URL_MAX_REDIRECTS} redirects`);
        current = new URL(location, current).toString();
        continue;
      }
      if (res.statusCode !== 200) {
        res.resume();
        throw new Error(`${res.statusCode} ${res.statusMessage ?? ''}`.trim());
      }
      await pipeline(res, createWriteStream(path, { mode: 0o600 }));
      return path;
    }
  } catch (err) {
    await fsp.rm(path, { force: true });
    throw new SkiffError('EIMPORTURL', `importing from URL: GET ${current}: ${(err as Error).message}`, { cause: err });
  }
}

/** One GET with node:http(s), resolving with the response (body unread). */
async function httpGet(url: string): Promise<IncomingMessage> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`unsupported URL scheme "${parsed.protocol}"`);
  const client = parsed.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = client.get(parsed, { headers: { 'user-agent': 'skiff' } }, (res) => {
      // The socket timeout stays armed while the body streams: a stalled download fails too.
      res.once('error', reject);
      resolve(res);
    });
    req.setTimeout(URL_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`timed out after ${URL_IDLE_TIMEOUT_MS / 1000}s without data`)));
    req.on('error', reject);
  });
}

/** Applies Dockerfile-style --change instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE) to an image config. */
export function applyChanges(config: NonNullable<Image['config']>, changes: string[]): NonNullable<Image['config']> {
  const out = { ...config };
  for (const change of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
    if (!m) throw new InvalidArgumentError(`invalid change "${change}": expected INSTRUCTION ARGUMENTS`);
    const [, instr, rest] = m;
    const list = () => {
      const trimmed = rest.trim();
      if (trimmed.startsWith('[')) {
        try {
          return JSON.parse(trimmed) as string[];
        } catch {
          throw new InvalidArgumentError(`invalid change "${change}": malformed JSON array`);
        }
      }
      return ['/bin/sh', '-c', trimmed];
    };
    switch (instr.toUpperCase()) {
      case 'CMD': out.Cmd = list(); break;
      case 'ENTRYPOINT': out.Entrypoint = list(); break;
      case 'WORKDIR': out.WorkingDir = rest.trim(); break;
      case 'USER': out.User = rest.trim(); break;
      case 'ENV': {
        const kv = rest.includes('=') ? rest.trim() : rest.trim().replace(/\s+/, '=');
        out.Env = [...(out.Env ?? []).filter((e) => !e.startsWith(kv.split('=')[0] + '=')), kv];
        break;
      }
      case 'LABEL': {
        const [k, ...v] = rest.trim().split('=');
        out.Labels = { ...(out.Labels ?? {}), [k]: v.join('=').replace(/^"|"$/g, '') };
        break;
      }
      case 'EXPOSE': out.ExposedPorts = { ...(out.ExposedPorts ?? {}), [rest.trim().includes('/') ? rest.trim() : `${rest.trim()}/tcp`]: {} }; break;
      default: throw new InvalidArgumentError(`invalid change "${change}": ${instr} is not supported by import`);
    }
  }
  return out;
}

/**
 * podman's RepoDigests: REPOSITORY@sha256:MANIFEST for each repository the
 * image is named in (the tag dropped, each repository once).
 */
export function imageRepoDigests(record: ImageRecord): string[] {
  const out = new Set<string>();
  for (const name of record.names) {
    let ref;
    try {
      ref = parseReference(name);
    } catch {
      continue;
    }
    out.add(`${repositoryName(ref)}@${ref.digest ?? record.manifestDigest}`);
  }
  return [...out];
}

export async function listImages(ctx: EngineContext): Promise<ImageSummary[]> {
  const records = await new ImageStore(ctx.layout).list();
  const blobs = new BlobStore(ctx.layout);
  return Promise.all(records.map(async (record) => ({ record, config: JSON.parse((await blobs.get(record.configDigest)).toString()) as Image })));
}

/**
 * Finds a local image by full or short name, id or id prefix, as podman
 * does: `bb` matches `localhost/bb:latest`, `bb:1` matches `*\/bb:1`.
 */
export async function resolveImage(ctx: EngineContext, nameOrId: string): Promise<ImageSummary> {
  const images = await new ImageStore(ctx.layout).list();
  const found = matchImage(images, nameOrId);
  if (!found) throw new NoSuchImageError(nameOrId);
  const config = JSON.parse((await new BlobStore(ctx.layout).get(found.configDigest)).toString()) as Image;
  return { record: found, config };
}

/** True when a local image matches the name or id (no error when none does). */
export async function imageExists(ctx: EngineContext, nameOrId: string): Promise<boolean> {
  return matchImage(await new ImageStore(ctx.layout).list(), nameOrId) !== undefined;
}

/**
 * Finds an image record by id or id prefix (3 or more hex digits), by full
 * or short name, or by a digest reference: REPOSITORY@DIGEST matches an
 * image named in that repository whose manifest (or the digest it was pulled
 * by) is DIGEST, as podman matches repo digests.
 */
export function matchImage(images: ImageRecord[], nameOrId: string): ImageRecord | undefined {
  const id = nameOrId.replace(/^sha256:/, '');
  if (/^[0-9a-f]{3,64}$/.test(id)) {
    const byId = images.filter((i) => i.id.startsWith(id));
    if (byId.length === 1) return byId[0];
  }
  let ref;
  try {
    ref = parseReference(nameOrId);
  } catch {
    return undefined;
  }
  const full = formatReference(ref);
  const exact = images.find((i) => i.names.includes(full));
  if (exact) return exact;
  if (ref.digest) {
    const digest = ref.digest;
    return images.find((i) => (i.manifestDigest === digest || i.names.some((n) => n.endsWith(`@${digest}`)))
      && i.names.some((n) => repositoryMatches(n, ref)));
  }
  if (!ref.domain) {
    // Short name: any registry, and docker.io's library/ namespace.
    const suffix = '/' + formatReference(ref);
    return images.find((i) => i.names.some((n) => n.endsWith(suffix) || n.endsWith('/library' + suffix)));
  }
  return undefined;
}

/** True when stored name `name` is in the repository of `ref` (a short `ref` matches any registry, and docker.io's library/). */
function repositoryMatches(name: string, ref: ImageReference): boolean {
  let stored;
  try {
    stored = parseReference(name);
  } catch {
    return false;
  }
  const repo = repositoryName(stored);
  if (ref.domain) return repo === repositoryName(ref);
  return repo.endsWith(`/${ref.path}`) || repo.endsWith(`/library/${ref.path}`);
}
