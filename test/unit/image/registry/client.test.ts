import test from 'ava';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { RegistryClient, type RegistryClientOptions } from '../../../../src/image/registry/client.js';
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
} from '../../../../src/image/registry/errors.js';

// Pinned from the OCI image-spec and Docker's manifest v2 spec, not imported
// from src/, so a wrong constant there fails these tests.
const mediaTypes = {
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

// Everything here listens and connects on 127.0.0.1 only.
const LOOPBACK = '127.0.0.1';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.OCI_MANIFEST,
    config: { mediaType: mediaTypes.OCI_CONFIG, digest: sha('{}'), size: 2 },
    layers: [],
  }),
);
const MANIFEST_DIGEST = sha(MANIFEST);
const BLOB = Buffer.from('redirected blob content');
const BLOB_DIGEST = sha(BLOB);
const FLAKY = Buffer.from('flaky blob content');
const FLAKY_DIGEST = sha(FLAKY);
const BROKEN_DIGEST = sha('always 500');
const MISSING_DIGEST = sha('missing');

interface Server {
  url: string;
  port: number;
  log: string[];
  counts: Map<string, number>;
  storageAuthHeaders: (string | undefined)[];
  blobs: Map<string, Buffer>;
  manifests: Map<string, Buffer>;
  close(): Promise<void>;
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<http.Server> {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, LOOPBACK, () => resolve(server));
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function errorBody(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify({ errors: [{ code, message }] }));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A tiny distribution-spec registry. `auth: 'bearer'` issues tokens at /token
 * (anonymous ones for everything but private/*), `basic` checks alice:secret
 * on every request, `none` lets everyone in.
 */
async function startRegistry(auth: 'bearer' | 'basic' | 'none'): Promise<Server> {
  const log: string[] = [];
  const counts = new Map<string, number>();
  const storageAuthHeaders: (string | undefined)[] = [];
  const blobs = new Map<string, Buffer>([[FLAKY_DIGEST, FLAKY]]);
  const manifests = new Map<string, Buffer>();
  const goodBasic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

  const storage = await listen((req, res) => {
    storageAuthHeaders.push(req.headers.authorization);
    if (req.url?.startsWith(`/storage/${BLOB_DIGEST.slice(7)}`)) {
      res.writeHead(200, { 'content-length': String(BLOB.length), 'content-type': 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : BLOB);
    } else {
      res.writeHead(404).end();
    }
  });
  const storagePort = (storage.address() as AddressInfo).port;

  let port = 0;
  const challenge = () =>
    auth === 'bearer'
      ? `Bearer realm="http://${LOOPBACK}:${port}/token",service="test-registry"`
      : 'Basic realm="test registry"';

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const key = `${req.method} ${url.pathname}`;
    log.push(`${key}${url.search}`);
    counts.set(key, (counts.get(key) ?? 0) + 1);

    if (url.pathname === '/token') {
      const authz = req.headers.authorization;
      if (authz !== undefined && authz !== goodBasic) return errorBody(res, 401, 'UNAUTHORIZED', 'authentication required');
      const user = authz ? 'alice' : 'anonymous';
      const scopes = url.searchParams.getAll('scope').join(' ');
      res.writeHead(200, { 'content-type': 'application/json' });
      // access_token (OAuth2 spelling) only: the client must accept it as well as token.
      return res.end(JSON.stringify({ access_token: `tok|${user}|${scopes}`, expires_in: 300 }));
    }

    const repo = /^\/v2\/(.+?)\/(manifests|blobs)\//.exec(url.pathname)?.[1];
    if (auth !== 'none') {
      const authz = req.headers.authorization ?? '';
      let ok: boolean;
      if (auth === 'basic') ok = authz === goodBasic;
      else {
        const [, user, scopes] = authz.replace(/^Bearer /, '').split('|');
        const needPush = req.method === 'PUT' || req.method === 'POST';
        ok =
          authz.startsWith('Bearer tok|') &&
          (repo === undefined ||
            ((scopes ?? '').split(' ').includes(`repository:${repo}:${needPush ? 'pull,push' : 'pull'}`) &&
              (!repo.startsWith('private/') || user === 'alice')));
      }
      if (!ok) return errorBody(res, 401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': challenge() });
    }

    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }

    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [, , ref] = m;
      if (req.method === 'PUT') {
        const body = await readBody(req);
        manifests.set(`${m[1]}:${ref}`, body);
        res.writeHead(201, { 'docker-content-digest': sha(body), location: url.pathname });
        return res.end();
      }
      const send = (body: Buffer, type: string, digest = sha(body)) => {
        res.writeHead(200, { 'content-type': type, 'content-length': String(body.length), 'docker-content-digest': digest });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      switch (m[1] === 'nope' ? '' : ref) {
        case 'latest':
        case MANIFEST_DIGEST:
          return send(MANIFEST, mediaTypes.OCI_MANIFEST);
        case 'liar':
          return send(MANIFEST, mediaTypes.OCI_MANIFEST, sha('something else'));
        case 'generic':
          return send(MANIFEST, 'application/json; charset=utf-8');
        case 'schema1':
          return send(Buffer.from('{"schemaVersion":1}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
        case 'huge':
          return send(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), mediaTypes.OCI_MANIFEST);
        case 'huge-chunked': {
          res.writeHead(200, { 'content-type': mediaTypes.OCI_MANIFEST });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          for (let i = 0; i < 70; i++) res.write(chunk);
          return res.end();
        }
        case 'bad-request':
          return errorBody(res, 400, 'TAG_INVALID', 'manifest tag did not match URI');
        case 'hang':
          return; // never answers
        default:
          return errorBody(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      }
    }

    const b = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (b) {
      const digest = b[2]!;
      if (digest === BLOB_DIGEST) {
        res.writeHead(307, { location: `http://${LOOPBACK}:${storagePort}/storage/${digest.slice(7)}?sig=abc` });
        return res.end();
      }
      if (digest === FLAKY_DIGEST && counts.get(key) === 1) return errorBody(res, 500, 'UNKNOWN', 'try again');
      if (digest === BROKEN_DIGEST) return errorBody(res, 503, 'UNAVAILABLE', 'down');
      const data = blobs.get(digest);
      if (!data) return errorBody(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      res.writeHead(200, { 'content-length': String(data.length), 'docker-content-digest': digest });
      return res.end(req.method === 'HEAD' ? undefined : data);
    }

    const u = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(url.pathname);
    if (u) {
      if (req.method === 'POST') {
        const mount = url.searchParams.get('mount');
        if (mount && blobs.has(mount)) {
          res.writeHead(201, { location: `/v2/${u[1]}/blobs/${mount}` });
          return res.end();
        }
        res.writeHead(202, { location: `/v2/${u[1]}/blobs/uploads/${randomUUID()}?state=x` });
        return res.end();
      }
      if (req.method === 'PUT') {
        const body = await readBody(req);
        const digest = url.searchParams.get('digest');
        if (url.searchParams.get('state') !== 'x' || digest !== sha(body)) return errorBody(res, 400, 'DIGEST_INVALID', 'digest did not match');
        blobs.set(digest, body);
        res.writeHead(201, { location: `/v2/${u[1]}/blobs/${digest}` });
        return res.end();
      }
    }
    res.writeHead(404).end();
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    log,
    counts,
    storageAuthHeaders,
    blobs,
    manifests,
    close: async () => {
      await closeServer(server);
      await closeServer(storage);
    },
  };
}

function client(t: { teardown(fn: () => void): void }, port: number, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  const c = new RegistryClient({ host: `${LOOPBACK}:${port}`, tlsVerify: false, retryDelayMs: 1, ...extra });
  t.teardown(() => c.close());
  return c;
}

async function registry(t: { teardown(fn: () => Promise<void>): void }, auth: 'bearer' | 'basic' | 'none'): Promise<Server> {
  const s = await startRegistry(auth);
  t.teardown(() => s.close());
  return s;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('ping falls back to http when tlsVerify is false, and accepts a 401', async (t) => {
  const s = await registry(t, 'bearer');
  await t.notThrowsAsync(client(t, s.port).ping());
  t.deepEqual(s.log, ['GET /v2/']);
});

test('tlsVerify=true against a plain-http registry: RegistryTlsError with a hint', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port, { tlsVerify: true }).ping(), { instanceOf: RegistryTlsError });
  t.is(err?.code, 'EREGTLS');
  t.is(
    err?.message,
    `pinging container registry ${LOOPBACK}:${s.port}: Get "https://${LOOPBACK}:${s.port}/v2/": http: server gave HTTP response to HTTPS client`,
  );
  t.regex(err?.hint ?? '', /--tls-verify=false/);
});

test('insecureHttp allows the http fallback even with tlsVerify', async (t) => {
  const s = await registry(t, 'none');
  const got = await client(t, s.port, { tlsVerify: true, insecureHttp: true }).getManifest('library/bb', 'latest');
  t.is(got.digest, MANIFEST_DIGEST);
});

test('getManifest: anonymous bearer token, Accept header, digest and media type', async (t) => {
  const s = await registry(t, 'bearer');
  const c = client(t, s.port);
  const got = await c.getManifest('library/bb', 'latest');
  t.deepEqual(got, { body: MANIFEST, mediaType: mediaTypes.OCI_MANIFEST, digest: MANIFEST_DIGEST });
  t.true(s.log.includes(`GET /token?service=test-registry&scope=${encodeURIComponent('repository:library/bb:pull')}`));
  const byDigest = await c.getManifest('library/bb', MANIFEST_DIGEST);
  t.is(byDigest.digest, MANIFEST_DIGEST);
  // One token for the scope, reused for the second request.
  t.is(s.counts.get('GET /token'), 1);
  t.is(s.counts.get('GET /v2/'), 1);
});

test('getManifest sends the four manifest types in Accept', async (t) => {
  let accept: string | undefined;
  const server = await listen((req, res) => {
    if (req.url === '/v2/') return res.writeHead(200).end();
    accept = req.headers.accept;
    res.writeHead(200, { 'content-type': mediaTypes.OCI_MANIFEST }).end(MANIFEST);
  });
  t.teardown(() => closeServer(server));
  await client(t, (server.address() as AddressInfo).port).getManifest('a', 'latest');
  t.is(accept, [mediaTypes.OCI_MANIFEST, mediaTypes.OCI_INDEX, mediaTypes.DOCKER_MANIFEST, mediaTypes.DOCKER_MANIFEST_LIST].join(', '));
});

test('manifest unknown: podman-shaped message', async (t) => {
  const s = await registry(t, 'bearer');
  const err = await t.throwsAsync(client(t, s.port).getManifest('nope', 'latest'), { instanceOf: ManifestUnknownError });
  t.is(err?.code, 'EMANIFESTUNKNOWN');
  t.is(
    err?.message,
    `initializing source docker://${LOOPBACK}:${s.port}/nope:latest: reading manifest latest in ${LOOPBACK}:${s.port}/nope: manifest unknown`,
  );
});

test('Docker-Content-Digest that does not match the body: EDIGEST', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port).getManifest('library/bb', 'liar'), { instanceOf: DigestMismatchError });
  t.is(err?.code, 'EDIGEST');
});

test('digest reference that does not match the body: EDIGEST', async (t) => {
  // A registry that answers every manifest request with the same bytes.
  const server = await listen((req, res) => {
    if (req.url === '/v2/') return res.writeHead(200).end();
    res.writeHead(200, { 'content-type': mediaTypes.OCI_MANIFEST }).end(MANIFEST);
  });
  t.teardown(() => closeServer(server));
  const wrong = sha('not the manifest');
  const err = await t.throwsAsync(client(t, (server.address() as AddressInfo).port).getManifest('a', wrong), {
    instanceOf: DigestMismatchError,
  });
  t.is(err?.expected, wrong);
  t.is(err?.actual, MANIFEST_DIGEST);
});

test('manifests over 4 MiB are refused, by Content-Length and while streaming', async (t) => {
  const s = await registry(t, 'none');
  const c = client(t, s.port);
  await t.throwsAsync(c.getManifest('library/bb', 'huge'), { instanceOf: ManifestTooLargeError, code: 'EMANIFESTTOOLARGE' } as never);
  await t.throwsAsync(c.getManifest('library/bb', 'huge-chunked'), { instanceOf: ManifestTooLargeError });
});

test('generic Content-Type: media type taken from the body', async (t) => {
  const s = await registry(t, 'none');
  const got = await client(t, s.port).getManifest('library/bb', 'generic');
  t.is(got.mediaType, mediaTypes.OCI_MANIFEST);
});

test('schema 1 and types not asked for: UnsupportedMediaTypeError', async (t) => {
  const s = await registry(t, 'none');
  const c = client(t, s.port);
  const err = await t.throwsAsync(c.getManifest('library/bb', 'schema1'), { instanceOf: UnsupportedMediaTypeError });
  t.regex(err?.hint ?? '', /schema 1/);
  await t.throwsAsync(c.getManifest('library/bb', 'latest', [mediaTypes.DOCKER_MANIFEST]), { instanceOf: UnsupportedMediaTypeError });
});

test('4xx is never retried', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port).getManifest('library/bb', 'bad-request'), { instanceOf: RegistryHttpError });
  t.is(err?.status, 400);
  t.regex(err?.message ?? '', /tag invalid: manifest tag did not match URI$/);
  t.is(s.counts.get('GET /v2/library/bb/manifests/bad-request'), 1);
});

test('headManifest and headBlob', async (t) => {
  const s = await registry(t, 'bearer');
  const c = client(t, s.port);
  t.deepEqual(await c.headManifest('library/bb', 'latest'), {
    digest: MANIFEST_DIGEST,
    mediaType: mediaTypes.OCI_MANIFEST,
    size: MANIFEST.length,
  });
  t.is(await c.headManifest('library/bb', 'nope'), undefined);
  t.is(await c.headBlob('library/bb', FLAKY_DIGEST), FLAKY.length);
  t.is(await c.headBlob('library/bb', MISSING_DIGEST), undefined);
});

test('getBlob follows a redirect to storage on another port without the Authorization header', async (t) => {
  const s = await registry(t, 'bearer');
  const { stream, size } = await client(t, s.port).getBlob('library/bb', BLOB_DIGEST);
  t.is(size, BLOB.length);
  t.deepEqual(await collect(stream), BLOB);
  t.deepEqual(s.storageAuthHeaders, [undefined]);
});

test('getBlob retries a 500 and then succeeds', async (t) => {
  const s = await registry(t, 'none');
  const { stream } = await client(t, s.port).getBlob('library/bb', FLAKY_DIGEST);
  t.deepEqual(await collect(stream), FLAKY);
  t.is(s.counts.get(`GET /v2/library/bb/blobs/${FLAKY_DIGEST}`), 2);
});

test('persistent 5xx: three retries, then RegistryHttpError', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port).getBlob('library/bb', BROKEN_DIGEST), { instanceOf: RegistryHttpError });
  t.is(err?.status, 503);
  t.is(s.counts.get(`GET /v2/library/bb/blobs/${BROKEN_DIGEST}`), 4);
});

test('missing blob: BlobUnknownError', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port).getBlob('library/bb', MISSING_DIGEST), { instanceOf: BlobUnknownError });
  t.is(err?.code, 'EBLOBUNKNOWN');
});

test('private repository: anonymous is refused, credentials get in', async (t) => {
  const s = await registry(t, 'bearer');
  const anon = await t.throwsAsync(client(t, s.port).getManifest('private/app', 'latest'), { instanceOf: RegistryUnauthorizedError });
  t.is(anon?.code, 'EREGAUTH');
  t.false(anon?.badCredentials);
  t.regex(anon?.message ?? '', /: unauthorized: authentication required$/);
  const got = await client(t, s.port, { credentials: { username: 'alice', password: 'secret' } }).getManifest('private/app', 'latest');
  t.is(got.digest, MANIFEST_DIGEST);
});

test('wrong password at the token server: invalid username/password', async (t) => {
  const s = await registry(t, 'bearer');
  const c = client(t, s.port, { credentials: { username: 'alice', password: 'wrong' } });
  const err = await t.throwsAsync(c.getManifest('library/bb', 'latest'), { instanceOf: RegistryUnauthorizedError });
  t.true(err?.badCredentials);
  t.regex(err?.message ?? '', /invalid username\/password/);
  await t.throwsAsync(c.checkAuth(), { instanceOf: RegistryUnauthorizedError });
});

test('basic auth registry: credentials sent, wrong ones refused', async (t) => {
  const s = await registry(t, 'basic');
  const good = client(t, s.port, { credentials: { username: 'alice', password: 'secret' } });
  t.is((await good.getManifest('library/bb', 'latest')).digest, MANIFEST_DIGEST);
  await t.notThrowsAsync(good.checkAuth());
  const bad = client(t, s.port, { credentials: { username: 'alice', password: 'nope' } });
  const err = await t.throwsAsync(bad.getManifest('library/bb', 'latest'), { instanceOf: RegistryUnauthorizedError });
  t.true(err?.badCredentials);
  t.regex(err?.message ?? '', /invalid username\/password: unauthorized: authentication required$/);
  await t.throwsAsync(bad.checkAuth(), { instanceOf: RegistryUnauthorizedError });
});

test('connection refused: podman-shaped RegistryUnreachableError', async (t) => {
  const server = await listen(() => undefined);
  const port = (server.address() as AddressInfo).port;
  await closeServer(server);
  const err = await t.throwsAsync(client(t, port, { tlsVerify: true }).getManifest('x', 'latest'), { instanceOf: RegistryUnreachableError });
  t.is(err?.code, 'EREGUNREACHABLE');
  t.is(
    err?.message,
    `initializing source docker://${LOOPBACK}:${port}/x:latest: pinging container registry ${LOOPBACK}:${port}: ` +
      `Get "https://${LOOPBACK}:${port}/v2/": dial tcp ${LOOPBACK}:${port}: connect: connection refused`,
  );
  // With tlsVerify=false the http fallback is tried too, and its failure is reported.
  const err2 = await t.throwsAsync(client(t, port).ping(), { instanceOf: RegistryUnreachableError });
  t.regex(err2?.message ?? '', /Get "http:\/\/127\.0\.0\.1:\d+\/v2\/": dial tcp .*connection refused$/);
});

test('a request that hangs times out', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port, { timeoutMs: 300 }).getManifest('library/bb', 'hang'), {
    instanceOf: RegistryUnreachableError,
  });
  t.regex(err?.message ?? '', /i\/o timeout$/);
});

test('push: monolithic upload, mount, manifest', async (t) => {
  const s = await registry(t, 'bearer');
  const c = client(t, s.port);
  const data = Buffer.from('a new layer');
  await c.putBlobMonolithic('team/app', sha(data), data, data.length);
  t.deepEqual(s.blobs.get(sha(data)), data);
  const streamed = Buffer.from('streamed layer');
  await c.putBlobMonolithic('team/app', sha(streamed), Readable.from([streamed]), streamed.length);
  t.deepEqual(s.blobs.get(sha(streamed)), streamed);
  t.true(await c.mount('team/other', sha(data), 'team/app'));
  t.false(await c.mount('team/other', MISSING_DIGEST, 'team/app'));
  t.true(
    s.log.some((l) => l.startsWith('GET /token') && l.includes(encodeURIComponent('repository:team/other:pull,push')) && l.includes(encodeURIComponent('repository:team/app:pull'))),
  );
  const digest = await c.putManifest('team/app', 'v1', MANIFEST, mediaTypes.OCI_MANIFEST);
  t.is(digest, MANIFEST_DIGEST);
  t.deepEqual(s.manifests.get('team/app:v1'), MANIFEST);
  await t.throwsAsync(c.putManifest('team/app', sha('x'), MANIFEST, mediaTypes.OCI_MANIFEST), { instanceOf: DigestMismatchError });
});

test('a bad upload is reported, not retried', async (t) => {
  const s = await registry(t, 'none');
  const err = await t.throwsAsync(client(t, s.port).putBlobMonolithic('a/b', sha('other'), Buffer.from('x'), 1), { instanceOf: RegistryHttpError });
  t.regex(err?.message ?? '', /digest invalid: digest did not match$/);
  t.is([...s.counts.entries()].filter(([k]) => k.startsWith('PUT ')).reduce((n, [, v]) => n + v, 0), 1);
});
