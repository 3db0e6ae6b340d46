/**
 * Errors of the registry client. Messages follow podman's (containers/image)
 * one-line shape, `context: what failed: why`, so scripts that grep podman's
 * stderr keep working; codes are stable for `cli/exit-codes.ts`.
 */
import { SkiffError } from '../../util/errors.js';

function join(context: string | undefined, detail: string): string {
  return context ? `${context}: ${detail}` : detail;
}

/** 401/403 from a registry or its token server; `badCredentials` when the credentials given were refused. */
export class RegistryUnauthorizedError extends SkiffError {
  readonly host: string;
  readonly badCredentials: boolean;

  /**
   * @param detail the registry's own reason, Go-style (`unauthorized: authentication required`).
   * @param tokenFetch the refusal came from the bearer token server rather than the registry.
   */
  constructor(args: { host: string; badCredentials: boolean; context?: string; detail?: string; tokenFetch?: boolean; cause?: unknown }) {
    const detail = args.detail ?? 'unauthorized: authentication required';
    let why = args.badCredentials ? `invalid username/password: ${detail}` : detail;
    if (args.tokenFetch) why = `unable to retrieve auth token: ${why}`;
    super('EREGAUTH', join(args.context, why), {
      hint: args.badCredentials
        ? `check the credentials for ${args.host}, then log in again with: skiff login ${args.host}`
        : `log in with: skiff login ${args.host}`,
      cause: args.cause,
    });
    this.name = 'RegistryUnauthorizedError';
    this.host = args.host;
    this.badCredentials = args.badCredentials;
  }
}

/** The registry has no manifest (or no repository) for the reference. */
export class ManifestUnknownError extends SkiffError {
  readonly reference: string;

  /** @param detail the registry's reason; defaults to `manifest unknown`. */
  constructor(context: string, reference: string, detail = 'manifest unknown') {
    super('EMANIFESTUNKNOWN', join(context, detail), { hint: 'check the image name and tag; `skiff search` lists what a registry has' });
    this.name = 'ManifestUnknownError';
    this.reference = reference;
  }
}

/** The registry has no blob with the digest. */
export class BlobUnknownError extends SkiffError {
  readonly digest: string;

  constructor(context: string, digest: string, detail = 'blob unknown to registry') {
    super('EBLOBUNKNOWN', join(context, detail));
    this.name = 'BlobUnknownError';
    this.digest = digest;
  }
}

/** Go's wording of a dial/read failure, which podman users see in its messages. */
function describeNetError(cause: NodeJS.ErrnoException, url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hostPort = `${url.hostname}:${port}`;
  switch (cause.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: temporary failure in name resolution`;
    case 'ETIMEDOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: connection reset by peer`;
    default:
      return cause.message;
  }
}

/** The registry could not be reached at all (refused, no such host, timeout, reset). */
export class RegistryUnreachableError extends SkiffError {
  readonly host: string;

  /** @param pinging the failure happened on the initial `GET /v2/`, which podman reports as "pinging container registry". */
  constructor(args: { host: string; method: string; url: URL; cause: NodeJS.ErrnoException; pinging: boolean; context?: string }) {
    let why = `${capitalize(args.method)} "${args.url.href}": ${describeNetError(args.cause, args.url)}`;
    if (args.pinging) why = `pinging container registry ${args.host}: ${why}`;
    super('EREGUNREACHABLE', join(args.context, why), {
      hint: `check that the registry ${args.host} is running and reachable (and any proxy settings)`,
      cause: args.cause,
    });
    this.name = 'RegistryUnreachableError';
    this.host = args.host;
  }
}

const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** True for Node/OpenSSL errors raised by TLS: certificate checks or a handshake with a non-TLS peer. */
export function isTlsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return false;
  return (
    UNKNOWN_AUTHORITY.has(code) ||
    code.startsWith('CERT_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code === 'EPROTO'
  );
}

function describeTlsError(cause: NodeJS.ErrnoException, url: URL): string {
  const code = cause.code ?? '';
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: certificate is not valid for ${url.hostname}`;
  if (/wrong version number|packet length too long|http request/i.test(cause.message)) return 'http: server gave HTTP response to HTTPS client';
  return `tls: ${cause.message}`;
}

/** A TLS failure talking to a registry: untrusted or invalid certificate, or a plain-http registry. */
export class RegistryTlsError extends SkiffError {
  readonly host: string;

  constructor(args: { host: string; method: string; url: URL; cause: NodeJS.ErrnoException; pinging: boolean; context?: string }) {
    let why = `${capitalize(args.method)} "${args.url.href}": ${describeTlsError(args.cause, args.url)}`;
    if (args.pinging) why = `pinging container registry ${args.host}: ${why}`;
    super('EREGTLS', join(args.context, why), {
      hint: `use --tls-verify=false for ${args.host}, or --cert-dir with the registry's CA certificate`,
      cause: args.cause,
    });
    this.name = 'RegistryTlsError';
    this.host = args.host;
  }
}

/** A manifest larger than the client accepts (4 MiB, as containers/image). */
export class ManifestTooLargeError extends SkiffError {
  readonly limit: number;

  constructor(context: string, limit: number) {
    super('EMANIFESTTOOLARGE', join(context, `manifest exceeds the maximum size of ${limit} bytes`));
    this.name = 'ManifestTooLargeError';
    this.limit = limit;
  }
}

/** The registry answered with a manifest type skiff did not ask for or cannot use (e.g. Docker schema 1). */
export class UnsupportedMediaTypeError extends SkiffError {
  readonly mediaType: string;

  constructor(context: string, mediaType: string) {
    const schema1 = mediaType.startsWith('application/vnd.docker.distribution.manifest.v1');
    super('EUNSUPPORTEDMEDIATYPE', join(context, `unsupported manifest media type ${JSON.stringify(mediaType)}`), {
      hint: schema1 ? 'Docker schema 1 images are not supported; push the image again with a current tool' : undefined,
    });
    this.name = 'UnsupportedMediaTypeError';
    this.mediaType = mediaType;
  }
}

/** Content whose sha256 is not the digest it was fetched or announced by. */
export class DigestMismatchError extends SkiffError {
  readonly expected: string;
  readonly actual: string;

  constructor(context: string, expected: string, actual: string) {
    super('EDIGEST', join(context, `digest mismatch: expected ${expected}, got ${actual}`), {
      hint: 'the registry or a proxy altered the content; try again, and report it to the registry operator if it persists',
    });
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** Any other unexpected registry answer (status, protocol violation), after retries. */
export class RegistryHttpError extends SkiffError {
  readonly status?: number;

  constructor(context: string, detail: string, status?: number) {
    super('EREGISTRY', join(context, detail));
    this.name = 'RegistryHttpError';
    this.status = status;
  }
}

function capitalize(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}
