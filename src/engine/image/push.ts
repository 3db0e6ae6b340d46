import { promises as fsp } from 'node:fs';
import { formatReference, parseReference } from '../../image/reference.js';
import type { PushProgress } from '../../image/push.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { defaultCertDir, normalizeReference, parseCreds } from './pull.js';
import { matchImage } from './images.js';
import { NoSuchImageError } from '../errors.js';
import { registryAccess } from '../system/login.js';
import { ImageStore, type ImageRecord } from '../../store/images.js';

export interface ImagePushOptions {
  /** Local image name or id. */
  image: string;
  /** Registry reference, optionally `docker://`-prefixed; default: the image's name. */
  destination?: string;
  /** undefined: verify, except for registries named insecure in registries.conf. */
  tlsVerify?: boolean;
  /** USER:PASSWORD from --creds; otherwise the auth files are searched. */
  creds?: string;
  certDir?: string;
  compressionFormat?: 'gzip' | 'zstd';
  /** Write the pushed manifest's digest to this file. */
  digestFile?: string;
  progress?: (event: PushProgress) => void;
}

export interface ImagePushReport {
  /** The fully qualified destination, e.g. 127.0.0.1:5000/bb:latest. */
  destination: string;
  manifestDigest: string;
}

/** Pushes a local image to a registry (`skiff push`). Only reads the store: no user namespace needed. */
export async function pushImageToRegistry(ctx: EngineContext, options: ImagePushOptions): Promise<ImagePushReport> {
  if (options.compressionFormat && !['gzip', 'zstd'].includes(options.compressionFormat)) {
    throw new InvalidArgumentError(`unsupported compression format "${options.compressionFormat}": expected gzip or zstd`);
  }
  const images = await new ImageStore(ctx.layout).list();
  const record = matchImage(images, options.image);
  if (!record) throw new NoSuchImageError(options.image);
  const ref = normalizeReference(destinationOf(options, record));

  const { RegistryClient } = await import('../../image/registry/client.js');
  const { readCertDir } = await import('../../image/registry/trust.js');
  const { lookupCredentials } = await import('../../image/registry/auth-file.js');
  const { pushImage } = await import('../../image/push.js');
  const domain = ref.domain!;
  const { tlsVerify } = await registryAccess(`${domain}/${ref.path}`, options.tlsVerify, 'push to');
  const client = new RegistryClient({
    host: domain,
    tlsVerify,
    ...(await readCertDir(options.certDir ?? defaultCertDir(domain))),
    credentials: options.creds ? parseCreds(options.creds) : lookupCredentials(`${domain}/${ref.path}`),
  });
  // Blobs of an image pulled from this registry can be mounted instead of uploaded.
  const mountFrom = record.names.flatMap((n) => {
    try {
      const r = parseReference(n);
      return r.domain === domain ? [r.path] : [];
    } catch {
      return [];
    }
  });
  try {
    const manifestDigest = await pushImage(ctx.layout, client, ref, record, {
      compressionFormat: options.compressionFormat,
      mountFrom,
      progress: options.progress,
    });
    if (options.digestFile) await fsp.writeFile(options.digestFile, manifestDigest);
    return { destination: formatReference(ref), manifestDigest };
  } finally {
    client.close();
  }
}

/** DESTINATION without its `docker://`, or else the name the image was given by. */
function destinationOf(options: ImagePushOptions, record: ImageRecord): string {
  const names = record.names;
  let dest = options.destination;
  if (dest !== undefined) {
    const transport = /^([a-z][a-z0-9-]*):\/\//.exec(dest);
    if (transport && transport[1] !== 'docker') {
      throw new InvalidArgumentError(`unsupported transport "${transport[1]}" in "${dest}": only docker:// (a registry) is supported`);
    }
    dest = dest.replace(/^docker:\/\//, '');
    if (dest === '') throw new InvalidArgumentError('the destination is empty');
    return dest;
  }
  const given = options.image.replace(/^docker:\/\//, '');
  try {
    if (parseReference(given).domain) return given;
  } catch {
    // an id: fall through to the image's names
  }
  // A short name or an id: the full name it matched.
  const name = names.find((n) => matchImage([{ ...record, names: [n] }], given)) ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new SkiffError('EINVALIDARG', `no destination given and image "${options.image}" has ${names.length ? 'several names' : 'no name'}`, {
    hint: 'give the destination: skiff push IMAGE REGISTRY/REPOSITORY[:TAG]',
  });
  return name;
}
