/**
 * A client for the OCI distribution-spec API (/v2/) as podman's
 * containers/image speaks it: https with a plain-http fallback for insecure
 * registries, bearer-token and basic auth, manifest size and digest checks,
 * blob redirects, and retries of transient failures.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import http, { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mediaTypes from '../../oci/media-types.js';
import { isDigest, sha256Digest } from '../../oci/digest.js';
import { SkiffError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import type { RegistryCredentials } from './auth-file.js';
import { type Challenge, parseChallenges } from './challenge.js';
import { systemTrustRoots } from './trust.js';
import {
  BlobUnknownError,
  DigestMismatchError,
  ManifestTooLargeError,
  ManifestUnknownError,
  RegistryHttpError,
  RegistryTlsError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  UnsupportedMediaTypeError,
  isTlsError,
} from './errors.js';

/** The largest manifest accepted or pushed, as containers/image (`maxManifestBodySize`). */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

/** The manifest types skiff understands, in order of preference. */
export const DEFAULT_MANIFEST_ACCEPT: readonly string[] = [
  mediaTypes.OCI_MANIFEST,
  mediaTypes.OCI_INDEX,
  mediaTypes.DOCKER_MANIFEST,
  mediaTypes.DOCKER_MANIFEST_LIST,
];

const MAX_RETRIES = 3;
/** Blobs larger than this are uploaded in chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 16 << 20;
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_TOKEN_BODY = 1024 * 1024;
const TRANSIENT_NET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);

export interface RegistryClientOptions {
  /** Registry `host[:port]` as users write it; `docker.io` is served from registry-1.docker.io. */
  host: string;
  /** Verify the registry's certificate. When false, a failing https attempt falls back to http. */
  tlsVerify: boolean;
  /** The registry may be plain http (registries.conf `insecure = true`): fall back to http like `tlsVerify: false`, but keep verifying https. */
  insecureHttp?: boolean;
  /** Extra trusted CA certificates (PEM), added to the system trust store: `--cert-dir`'s `*.crt`. */
  caCerts?: Buffer[];
  /** A client certificate and key (PEM) for registries that require one: `--cert-dir`'s `*.cert`/`*.key`. */
  clientCert?: { cert: Buffer; key: Buffer };
  credentials?: RegistryCredentials;
  userAgent?: string;
  /** Connect and idle timeout of every request, in ms (default 30 000). */
  timeoutMs?: number;
  /** First retry delay in ms, doubled per retry (default 200). */
  retryDelayMs?: number;
}

/** A manifest as fetched: the exact bytes, their media type, and their sha256 digest. */
export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

/** What a HEAD of a manifest tells: the registry's digest, media type and size, when it sends them. */
export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  size?: number;
}

/** A blob being fetched. The caller must consume or destroy `stream`, and verify its digest. */
export interface FetchedBlob {
  stream: Readable;
  size?: number;
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

interface Op {
  method: Method;
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  target: string;
  /** Token scopes the request needs, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Prefix for network and ping failures ("initializing source docker://…"). */
  outer?: string;
  /** Prefix for failures of this request ("reading manifest latest in …"). */
  context: string;
}

interface CachedToken {
  value: string;
  expires: number;
}

/**
 * One registry's /v2/ API for one skiff operation. Auth tokens are cached per
 * scope for the client's lifetime (renewed when they expire or are refused);
 * connections are kept alive between requests. Call {@link RegistryClient.close}
 * when done so idle sockets are freed at once.
 */
export class RegistryClient {
  readonly host: string;
  private readonly endpoint: string;
  private readonly opts: RegistryClientOptions;
  private httpsAgentMade?: https.Agent;
  private readonly httpAgent: http.Agent;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;
  private base?: URL;
  private pinging?: Promise<void>;
  private challenges: Challenge[] = [];
  private readonly tokens = new Map<string, CachedToken>();

  constructor(opts: RegistryClientOptions) {
    this.opts = opts;
    this.host = opts.host;
    // containers/image does the same mapping (docker/docker_client.go, dockerHostname → registry-1).
    this.endpoint = opts.host === 'docker.io' ? 'registry-1.docker.io' : opts.host;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
    this.httpAgent = new http.Agent({ keepAlive: true });
  }

  /**
   * The https agent, made on first use. Its TLS context holds the trusted
   * CAs: the system trust store plus --cert-dir's, as podman trusts them;
   * none at all when verification is off, since nothing is checked against
   * them (parsing the store costs ~50 ms).
   */
  private httpsAgent(): https.Agent {
    const opts = this.opts;
    this.httpsAgentMade ??= new https.Agent({
      keepAlive: true,
      rejectUnauthorized: opts.tlsVerify,
      secureContext: tls.createSecureContext({
        ca: opts.tlsVerify ? [...systemTrustRoots(), ...(opts.caCerts ?? []).map((c) => c.toString('utf8'))] : [],
        cert: opts.clientCert?.cert,
        key: opts.clientCert?.key,
      }),
    });
    return this.httpsAgentMade;
  }

  /** Frees the client's kept-alive connections. The client must not be used afterwards. */
  close(): void {
    this.httpsAgentMade?.destroy();
    this.httpAgent.destroy();
  }

  /**
   * Checks that a registry answers at `/v2/` (200, or 401 meaning "alive, log in").
   *
   * Picks the scheme for the rest of the client's life: https, or http when
   * https fails at the TLS or connection level and `tlsVerify` is false or
   * `insecureHttp` is set. Remembers the auth challenges of a 401. Other calls
   * ping on their own first; a failed ping is tried again by the next call.
   *
   * @throws RegistryUnreachableError, RegistryTlsError, RegistryHttpError (any other status).
   */
  async ping(): Promise<void> {
    await this.ensurePinged(undefined);
  }

  /**
   * Verifies the client's credentials, as `podman login` does.
   *
   * Bearer registries: a token is requested with the credentials and no scope.
   * Basic registries: `/v2/` is fetched with the credentials. Succeeds without
   * a request when the registry asks for no auth.
   *
   * @throws RegistryUnauthorizedError when the credentials are refused.
   */
  async checkAuth(): Promise<void> {
    await this.ensurePinged(undefined);
    const context = `authenticating to ${this.host}`;
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      await this.fetchToken(bearer, [], context);
      return;
    }
    if (!this.challenges.some((c) => c.scheme === 'basic')) return;
    const res = await this.request({ method: 'GET', target: '/v2/', scopes: [], context });
    if (res.statusCode !== 200) throw await this.failure(res, context);
    res.resume();
  }

  /**
   * Fetches a manifest by tag or digest.
   *
   * Sends `accept` as the Accept header (default {@link DEFAULT_MANIFEST_ACCEPT}).
   * The returned digest is the sha256 of the exact bytes; it is checked against
   * `reference` when that is a digest, and against a sha256 `Docker-Content-Digest`
   * header when the registry sends one. The media type is the Content-Type,
   * or the body's `mediaType` when the registry sends a generic type.
   *
   * @throws ManifestUnknownError (404), ManifestTooLargeError (> 4 MiB), DigestMismatchError (EDIGEST),
   *   UnsupportedMediaTypeError (a type not in `accept`), RegistryUnauthorizedError, and the ping errors.
   */
  async getManifest(repo: string, reference: string, accept: readonly string[] = DEFAULT_MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const outer = `initializing source ${this.transportName(repo, reference)}`;
    const context = `${outer}: reading manifest ${reference} in ${this.host}/${repo}`;
    const res = await this.request({
      method: 'GET',
      target: `/v2/${repo}/manifests/${reference}`,
      scopes: [pullScope(repo)],
      headers: { accept: accept.join(', ') },
      outer,
      context,
    });
    if (res.statusCode === 404) throw await this.notFound(res, context, reference, 'manifest');
    if (res.statusCode !== 200) throw await this.failure(res, context);
    const body = await readLimited(res, MAX_MANIFEST_SIZE, () => new ManifestTooLargeError(context, MAX_MANIFEST_SIZE));
    const digest = sha256Digest(body);
    if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(context, reference, digest);
    const announced = header(res.headers, 'docker-content-digest');
    if (announced && isDigest(announced) && announced !== digest) throw new DigestMismatchError(context, announced, digest);
    return { body, mediaType: manifestMediaType(res.headers['content-type'], body, accept, context), digest };
  }

  /**
   * Asks whether a manifest exists, without fetching it (HEAD).
   *
   * @returns undefined on 404; otherwise what the registry's headers say.
   * @throws RegistryUnauthorizedError, RegistryHttpError, and the ping errors.
   */
  async headManifest(repo: string, reference: string, accept: readonly string[] = DEFAULT_MANIFEST_ACCEPT): Promise<ManifestHead | undefined> {
    const context = `checking manifest ${reference} in ${this.host}/${repo}`;
    const res = await this.request({
      method: 'HEAD',
      target: `/v2/${repo}/manifests/${reference}`,
      scopes: [pullScope(repo)],
      headers: { accept: accept.join(', ') },
      context,
    });
    if (res.statusCode !== 200 && res.statusCode !== 404) throw await this.failure(res, context);
    res.resume();
    if (res.statusCode === 404) return undefined;
    const digest = header(res.headers, 'docker-content-digest');
    const type = header(res.headers, 'content-type');
    return {
      digest: digest && isDigest(digest) ? digest : undefined,
      mediaType: type ? stripParams(type) : undefined,
      size: contentLength(res.headers),
    };
  }

  /**
   * Asks whether a blob exists in a repository (HEAD).
   *
   * @returns its size from Content-Length (undefined when absent), or undefined on 404.
   * @throws RegistryUnauthorizedError, RegistryHttpError, and the ping errors.
   */
  async headBlob(repo: string, digest: string): Promise<number | undefined> {
    const context = `checking blob ${digest} in ${this.host}/${repo}`;
    const res = await this.request({ method: 'HEAD', target: `/v2/${repo}/blobs/${digest}`, scopes: [pullScope(repo)], context });
    if (res.statusCode !== 200 && res.statusCode !== 404) throw await this.failure(res, context);
    res.resume();
    if (res.statusCode === 404) return undefined;
    return contentLength(res.headers);
  }

  /**
   * Starts fetching a blob; follows up to 5 redirects (to blob storage),
   * sending the Authorization header only to the registry's own host.
   *
   * Retries happen only until the response starts; a failure while reading
   * `stream` is the caller's to handle. The content is not verified here: the
   * caller hashes it as it stores it.
   *
   * @throws BlobUnknownError (404), RegistryUnauthorizedError, RegistryHttpError, and the ping errors.
   */
  async getBlob(repo: string, digest: string): Promise<FetchedBlob> {
    const context = `reading blob ${digest} in ${this.host}/${repo}`;
    const res = await this.request({ method: 'GET', target: `/v2/${repo}/blobs/${digest}`, scopes: [pullScope(repo)], context });
    if (res.statusCode === 404) throw await this.notFound(res, context, digest, 'blob');
    if (res.statusCode !== 200) throw await this.failure(res, context);
    return { stream: res, size: contentLength(res.headers) };
  }

  /**
   * Opens a blob upload session in `repo` (POST /v2/REPO/blobs/uploads/).
   *
   * @returns the absolute upload URL to PUT or PATCH to.
   * @throws RegistryUnauthorizedError (no push access), RegistryHttpError, and the ping errors.
   */
  async startUpload(repo: string): Promise<string> {
    const context = `initiating layer upload to ${this.host}/${repo}`;
    const res = await this.request({
      method: 'POST',
      target: `/v2/${repo}/blobs/uploads/`,
      scopes: [pushScope(repo)],
      headers: { 'content-length': '0' },
      context,
    });
    if (res.statusCode !== 202) throw await this.failure(res, context);
    res.resume();
    return this.uploadLocation(res, context);
  }

  /**
   * Uploads a whole blob in one PUT (a new upload session, then PUT with `?digest=`).
   *
   * `body` is sent as is: `size` must be its exact length, and a stream is
   * read once, so this call is not retried. The registry verifies the digest.
   *
   * @throws RegistryUnauthorizedError, RegistryHttpError (including the registry's DIGEST_INVALID), and the ping errors.
   */
  async putBlobMonolithic(repo: string, digest: string, body: Buffer | Readable, size: number): Promise<void> {
    const location = new URL(await this.startUpload(repo));
    location.searchParams.set('digest', digest);
    const context = `uploading blob ${digest} to ${this.host}/${repo}`;
    const res = await this.request({
      method: 'PUT',
      target: location.href,
      scopes: [pushScope(repo)],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      context,
    });
    if (res.statusCode !== 201) throw await this.failure(res, context);
    res.resume();
  }

  /**
   * Uploads a blob from a file: in one PUT when it fits in a chunk, else in
   * chunks ({@link putBlobChunked}), so a dropped connection costs one chunk
   * rather than the whole blob.
   */
  async putBlobFile(repo: string, digest: string, path: string, size: number, chunkSize = DEFAULT_CHUNK_SIZE): Promise<void> {
    if (size <= chunkSize) {
      await this.putBlobMonolithic(repo, digest, createReadStream(path), size);
      return;
    }
    await this.putBlobChunked(repo, digest, path, size, chunkSize);
  }

  /**
   * The distribution spec's chunked upload: POST opens a session, each chunk
   * is a PATCH with its Content-Range, and a PUT with `?digest=` closes it
   * (the registry verifies the digest). A chunk that fails on the network
   * or with a 5xx is resumed from the offset the registry confirms for the
   * session (GET on its location), or from the start in a new session when
   * the registry has dropped that one; up to MAX_RETRIES times in a row. A
   * registry that refuses chunks (a 4xx to the first PATCH) gets the blob in
   * one PUT instead. Chunks are at least the registry's
   * `OCI-Chunk-Min-Length`.
   *
   * @throws RegistryUnauthorizedError, RegistryHttpError (including DIGEST_INVALID), RegistryUnreachableError.
   */
  async putBlobChunked(repo: string, digest: string, path: string, size: number, chunkSize: number): Promise<void> {
    const context = `uploading blob ${digest} to ${this.host}/${repo}`;
    const session = await this.openUploadSession(repo);
    let location = session.location;
    const chunk = Math.max(chunkSize, session.minChunk);
    const file = await fsp.open(path, 'r');
    try {
      let offset = 0;
      let failures = 0;
      while (offset < size) {
        const end = Math.min(offset + chunk, size);
        const body = Buffer.allocUnsafe(end - offset);
        const { bytesRead } = await file.read(body, 0, body.length, offset);
        if (bytesRead !== body.length) throw new SkiffError('ECORRUPT', `blob ${digest} in the store is shorter than ${size} bytes`);
        let res: IncomingMessage | undefined;
        try {
          res = await this.request({
            method: 'PATCH',
            target: location,
            scopes: [pushScope(repo)],
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end - 1}`, 'content-length': String(body.length) },
            body,
            context,
          });
        } catch (err) {
          if (!(err instanceof RegistryUnreachableError) || ++failures > MAX_RETRIES) throw err;
        }
        if (res && res.statusCode === 202) {
          res.resume();
          location = this.uploadLocation(res, context);
          offset = uploadedBytes(res.headers.range) ?? end;
          failures = 0;
          continue;
        }
        if (res && (res.statusCode ?? 0) < 500) {
          // A registry that does not take chunks says so at the first one.
          if (offset === 0 && res.statusCode !== 401 && res.statusCode !== 403) {
            res.resume();
            await this.putBlobMonolithic(repo, digest, createReadStream(path), size);
            return;
          }
          throw await this.failure(res, context);
        }
        if (res) {
          if (++failures > MAX_RETRIES) throw await this.failure(res, context);
          res.resume();
        }
        await sleep(this.retryDelayMs * 2 ** (failures - 1));
        const status = await this.uploadStatus(repo, location, context);
        // A session the registry no longer takes (distribution drops one whose
        // file and state disagree after a half-written chunk): start over.
        ({ location, offset } = status ?? { location: (await this.openUploadSession(repo)).location, offset: 0 });
      }
    } finally {
      await file.close();
    }
    const close = new URL(location);
    close.searchParams.set('digest', digest);
    const res = await this.request({ method: 'PUT', target: close.href, scopes: [pushScope(repo)], headers: { 'content-length': '0' }, context });
    if (res.statusCode !== 201) throw await this.failure(res, context);
    res.resume();
  }

  /** POST for a new upload session: its location and the least chunk size the registry takes. */
  private async openUploadSession(repo: string): Promise<{ location: string; minChunk: number }> {
    const context = `initiating layer upload to ${this.host}/${repo}`;
    const res = await this.request({ method: 'POST', target: `/v2/${repo}/blobs/uploads/`, scopes: [pushScope(repo)], headers: { 'content-length': '0' }, context });
    if (res.statusCode !== 202) throw await this.failure(res, context);
    res.resume();
    const minChunk = Number(res.headers['oci-chunk-min-length']);
    return { location: this.uploadLocation(res, context), minChunk: Number.isSafeInteger(minChunk) && minChunk > 0 ? minChunk : 0 };
  }

  /**
   * How much of an upload session the registry holds (GET on its location:
   * 204 with a Range); undefined when the session is gone or invalid (404).
   */
  private async uploadStatus(repo: string, location: string, context: string): Promise<{ location: string; offset: number } | undefined> {
    const res = await this.request({ method: 'GET', target: location, scopes: [pushScope(repo)], context });
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    if (res.statusCode !== 204) throw await this.failure(res, context);
    res.resume();
    return { location: res.headers.location ? this.uploadLocation(res, context) : location, offset: uploadedBytes(res.headers.range) ?? 0 };
  }

  /**
   * Mounts a blob from another repository of the same registry, without uploading it.
   *
   * @returns true when mounted; false when the registry declined (it may then have
   *   opened an upload session, which is left to expire) and the blob must be uploaded.
   * @throws RegistryUnauthorizedError, RegistryHttpError, and the ping errors.
   */
  async mount(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const context = `mounting blob ${digest} from ${fromRepo} to ${this.host}/${repo}`;
    const query = new URLSearchParams({ mount: digest, from: fromRepo });
    const res = await this.request({
      method: 'POST',
      target: `/v2/${repo}/blobs/uploads/?${query}`,
      scopes: [pushScope(repo), pullScope(fromRepo)],
      headers: { 'content-length': '0' },
      context,
    });
    if (res.statusCode === 201) {
      res.resume();
      return true;
    }
    if (res.statusCode === 202) {
      res.resume();
      return false;
    }
    throw await this.failure(res, context);
  }

  /**
   * Stores a manifest under a tag or digest.
   *
   * @returns the sha256 digest of `body`.
   * @throws ManifestTooLargeError (> 4 MiB), DigestMismatchError when `reference` is a digest of other bytes,
   *   RegistryUnauthorizedError, RegistryHttpError (e.g. MANIFEST_BLOB_UNKNOWN), and the ping errors.
   */
  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const context = `writing manifest ${reference} to ${this.host}/${repo}`;
    if (body.length > MAX_MANIFEST_SIZE) throw new ManifestTooLargeError(context, MAX_MANIFEST_SIZE);
    const digest = sha256Digest(body);
    if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(context, reference, digest);
    const res = await this.request({
      method: 'PUT',
      target: `/v2/${repo}/manifests/${reference}`,
      scopes: [pushScope(repo)],
      headers: { 'content-type': mediaType, 'content-length': String(body.length) },
      body,
      context,
    });
    if (res.statusCode !== 201) throw await this.failure(res, context);
    res.resume();
    return digest;
  }

  // --- request machinery -------------------------------------------------

  private transportName(repo: string, reference: string): string {
    return `docker://${this.host}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  private ensurePinged(outer: string | undefined): Promise<void> {
    if (this.base) return Promise.resolve();
    if (!this.pinging) {
      this.pinging = this.doPing(outer).catch((err: unknown) => {
        this.pinging = undefined;
        throw err;
      });
    }
    return this.pinging;
  }

  private async doPing(outer: string | undefined): Promise<void> {
    const schemes = ['https:'];
    if (!this.opts.tlsVerify || this.opts.insecureHttp) schemes.push('http:');
    let lastErr: unknown;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}//${this.endpoint}/v2/`);
      let res: IncomingMessage;
      try {
        res = await this.sendRetrying('GET', url, this.baseHeaders(), undefined);
      } catch (err) {
        lastErr = this.networkError(err, 'GET', url, outer, true);
        continue;
      }
      res.resume();
      if (res.statusCode === 200 || res.statusCode === 401) {
        this.base = new URL(`${scheme}//${this.endpoint}`);
        if (res.statusCode === 401) this.challenges = challengesOf(res.headers);
        return;
      }
      const context = outer ? `${outer}: pinging container registry ${this.host}` : `pinging container registry ${this.host}`;
      throw new RegistryHttpError(context, unexpectedStatus(res.statusCode ?? 0), res.statusCode);
    }
    throw lastErr;
  }

  private baseHeaders(): Record<string, string> {
    return { 'user-agent': this.opts.userAgent ?? 'skiff' };
  }

  /** Sends an API request with auth, retries and redirects; resolves with any final status. */
  private async request(op: Op): Promise<IncomingMessage> {
    await this.ensurePinged(op.outer);
    const url = new URL(op.target, this.base);
    const canRetry = (op.method === 'GET' || op.method === 'HEAD') && !(op.body instanceof Readable);
    let reauthed = false;
    for (;;) {
      const headers = { ...this.baseHeaders(), ...op.headers };
      const authorization = await this.authorization(op.scopes, op.context);
      if (authorization && url.host === this.base!.host) headers.authorization = authorization;
      let res: IncomingMessage;
      try {
        res = await this.sendRetrying(op.method, url, headers, op.body, canRetry);
      } catch (err) {
        throw this.networkError(err, op.method, url, op.outer, false);
      }
      // A 401 means no auth was known yet (ping said 200), or the token expired or lacks
      // the scope: learn the challenge, drop the token and try once more.
      if (res.statusCode === 401 && !reauthed && !(op.body instanceof Readable)) {
        const fresh = challengesOf(res.headers);
        if (fresh.length > 0) this.challenges = fresh;
        if (this.challenges.length > 0 && (this.challenges.some((c) => c.scheme === 'bearer') || this.opts.credentials)) {
          res.resume();
          this.tokens.delete(op.scopes.join(' '));
          reauthed = true;
          continue;
        }
      }
      return res;
    }
  }

  /** The Authorization header value for the scopes, fetching a bearer token when needed. */
  private async authorization(scopes: string[], context: string): Promise<string | undefined> {
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const key = scopes.join(' ');
      const cached = this.tokens.get(key);
      if (cached && cached.expires > Date.now()) return `Bearer ${cached.value}`;
      const token = await this.fetchToken(bearer, scopes, context);
      this.tokens.set(key, token);
      return `Bearer ${token.value}`;
    }
    const creds = this.opts.credentials;
    if (this.challenges.some((c) => c.scheme === 'basic') && creds && 'username' in creds) return basicAuth(creds.username, creds.password);
    return undefined;
  }

  /**
   * Gets a bearer token (distribution "token" auth): GET realm?service&scope with
   * basic credentials, or the OAuth2 refresh-token POST for an identity token.
   */
  private async fetchToken(challenge: Challenge, scopes: string[], context: string): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryHttpError(context, 'the registry sent a bearer challenge without a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryHttpError(context, `the registry sent an invalid bearer realm ${JSON.stringify(realm)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryHttpError(context, `the registry sent an invalid bearer realm ${JSON.stringify(realm)}`);
    }
    const creds = this.opts.credentials;
    const headers = this.baseHeaders();
    let method: Method = 'GET';
    let body: Buffer | undefined;
    if (creds && 'identityToken' in creds) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'skiff' });
      if (challenge.params.service) form.set('service', challenge.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(body.length);
    } else {
      if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (creds) headers.authorization = basicAuth(creds.username, creds.password);
    }
    let res: IncomingMessage;
    try {
      res = await this.sendRetrying(method, url, headers, body, method === 'GET');
    } catch (err) {
      throw this.networkError(err, method, url, context, false);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      const detail = await errorDetail(res);
      throw new RegistryUnauthorizedError({
        host: this.host,
        badCredentials: creds !== undefined,
        context,
        detail: detail.text,
        tokenFetch: true,
      });
    }
    if (res.statusCode !== 200) {
      const detail = await errorDetail(res);
      throw new RegistryHttpError(`${context}: unable to retrieve auth token`, detail.text, res.statusCode);
    }
    const raw = await readLimited(res, MAX_TOKEN_BODY, () => new RegistryHttpError(context, 'auth token response too large'));
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(raw.toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryHttpError(`${context}: unable to retrieve auth token`, 'the token server sent invalid JSON');
    }
    const value = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!value) throw new RegistryHttpError(`${context}: unable to retrieve auth token`, 'the token server sent no token');
    // docker/distribution's token spec: a missing expires_in means 60 s. Renew a little early.
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    return { value, expires: Date.now() + Math.max(lifetime - 10, 1) * 1000 };
  }

  /**
   * Sends with retries of transient failures (connection resets; 5xx for
   * idempotent requests), never of 4xx. Follows redirects for GET/HEAD.
   */
  private async sendRetrying(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | Readable | undefined,
    canRetry = method === 'GET' || method === 'HEAD',
  ): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      const last = !canRetry || attempt >= MAX_RETRIES;
      let res: IncomingMessage;
      try {
        res = await this.sendFollowing(method, url, headers, body);
      } catch (err) {
        if (last || !TRANSIENT_NET.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        await sleep(this.retryDelayMs * 2 ** attempt);
        continue;
      }
      if ((res.statusCode ?? 0) >= 500 && !last) {
        res.resume();
        await sleep(this.retryDelayMs * 2 ** attempt);
        continue;
      }
      return res;
    }
  }

  private async sendFollowing(method: Method, url: URL, headers: Record<string, string>, body: Buffer | Readable | undefined): Promise<IncomingMessage> {
    const origin = url.host;
    let current = url;
    let hdrs = headers;
    for (let hops = 0; ; hops++) {
      const res = await this.send(method, current, hdrs, body);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (!(method === 'GET' || method === 'HEAD') || ![301, 302, 303, 307, 308].includes(status) || !location) return res;
      res.resume();
      if (hops >= MAX_REDIRECTS) {
        throw new RegistryHttpError(`${method} ${JSON.stringify(url.href)}`, `stopped after ${MAX_REDIRECTS} redirects`, status);
      }
      current = new URL(location, current);
      // Blob storage (S3, CDNs) must not see the registry's token; some refuse a request carrying it.
      if (current.host !== origin && hdrs.authorization) {
        hdrs = { ...hdrs };
        delete hdrs.authorization;
      }
    }
  }

  private send(method: Method, url: URL, headers: Record<string, string>, body: Buffer | Readable | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      const mod = isHttps ? https : http;
      const req = mod.request(url, {
        method,
        headers,
        agent: isHttps ? this.httpsAgent() : this.httpAgent,
        timeout: this.timeoutMs,
      });
      req.on('timeout', () => {
        req.destroy(Object.assign(new Error(`i/o timeout after ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (err) => {
        log.debug(`${method} ${url.href}: ${err.message}`);
        reject(err);
      });
      req.on('response', (res) => {
        log.debug(`${method} ${url.href}: ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
        resolve(res);
      });
      if (body instanceof Readable) {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }

  private networkError(err: unknown, method: string, url: URL, context: string | undefined, pinging: boolean): unknown {
    if (!(err instanceof Error) || err instanceof RegistryHttpError) return err;
    const cause = err as NodeJS.ErrnoException;
    if (isTlsError(cause)) return new RegistryTlsError({ host: this.host, method, url, cause, pinging, context });
    if (typeof cause.code === 'string' && /^E[A-Z]+$/.test(cause.code)) return new RegistryUnreachableError({ host: this.host, method, url, cause, pinging, context });
    return err;
  }

  private async notFound(res: IncomingMessage, context: string, ref: string, kind: 'manifest' | 'blob'): Promise<Error> {
    const detail = await errorDetail(res);
    if (kind === 'manifest') {
      return new ManifestUnknownError(context, ref, detail.codes.length ? detail.text : 'manifest unknown');
    }
    return new BlobUnknownError(context, ref, detail.codes.length ? detail.text : 'blob unknown to registry');
  }

  private async failure(res: IncomingMessage, context: string): Promise<Error> {
    const status = res.statusCode ?? 0;
    const detail = await errorDetail(res);
    if (status === 401 || status === 403) {
      const creds = this.opts.credentials;
      const basic = !this.challenges.some((c) => c.scheme === 'bearer');
      return new RegistryUnauthorizedError({
        host: this.host,
        badCredentials: status === 401 && basic && creds !== undefined,
        context,
        detail: detail.codes.length ? detail.text : status === 401 ? 'unauthorized: authentication required' : 'denied: requested access to the resource is denied',
      });
    }
    return new RegistryHttpError(context, detail.text, status);
  }

  private uploadLocation(res: IncomingMessage, context: string): string {
    const location = res.headers.location;
    if (!location) throw new RegistryHttpError(context, 'the registry sent no upload location');
    return new URL(location, this.base).href;
  }
}

/**
 * The bytes a registry holds of an upload, from its `Range: 0-<last>` header.
 * A registry answers `0-0` for an empty session too (distribution does), so
 * that reads as nothing: a byte is never skipped (if the registry did hold
 * one, it refuses the resent range and the push fails cleanly).
 */
export function uploadedBytes(range: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? '');
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? 0 : last + 1;
}

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function stripParams(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function challengesOf(headers: IncomingHttpHeaders): Challenge[] {
  const v = headers['www-authenticate'];
  if (!v) return [];
  return (Array.isArray(v) ? v : [v]).flatMap(parseChallenges);
}

function unexpectedStatus(status: number): string {
  return `received unexpected HTTP status: ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

const GENERIC_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream', 'binary/octet-stream']);

/** The manifest's media type: the Content-Type, or for a generic one what the body says it is. */
function manifestMediaType(contentType: string | undefined, body: Buffer, accept: readonly string[], context: string): string {
  let type = stripParams(contentType ?? '');
  if (GENERIC_TYPES.has(type)) {
    let doc: { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown; schemaVersion?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new UnsupportedMediaTypeError(context, type || '(none)');
    }
    if (typeof doc.mediaType === 'string') type = doc.mediaType;
    else if (doc.schemaVersion === 1) type = 'application/vnd.docker.distribution.manifest.v1+json';
    else if (Array.isArray(doc.manifests)) type = mediaTypes.OCI_INDEX;
    else if (doc.config !== undefined && Array.isArray(doc.layers)) type = mediaTypes.OCI_MANIFEST;
  }
  if (!accept.includes(type)) throw new UnsupportedMediaTypeError(context, type || '(none)');
  return type;
}

/** Reads a whole response, refusing more than `limit` bytes (by Content-Length up front, or as it arrives). */
function readLimited(res: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = contentLength(res.headers);
    if (declared !== undefined && declared > limit) {
      res.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        res.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/**
 * The Go-style text of a registry error body (`unauthorized: authentication required`,
 * docker/distribution errcode) and its codes; for a body without errors, the status line.
 */
async function errorDetail(res: IncomingMessage): Promise<{ text: string; codes: string[] }> {
  const status = res.statusCode ?? 0;
  let raw: Buffer;
  try {
    raw = await readLimited(res, MAX_ERROR_BODY, () => new Error('too large'));
  } catch {
    return { text: unexpectedStatus(status), codes: [] };
  }
  try {
    const doc = JSON.parse(raw.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const errors = Array.isArray(doc.errors) ? doc.errors.filter((e) => e && typeof e.code === 'string') : [];
    if (errors.length > 0) {
      const codes = errors.map((e) => e.code as string);
      const text = errors
        .map((e) => {
          const code = (e.code as string).toLowerCase().replace(/_/g, ' ');
          const message = typeof e.message === 'string' ? e.message : '';
          return message && message.toLowerCase() !== code ? `${code}: ${message}` : code;
        })
        .join('; ');
      return { text, codes };
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return { text: unexpectedStatus(status), codes: [] };
}
