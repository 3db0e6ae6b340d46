// Chunked blob uploads against the real registry: a blob larger than a
// chunk goes up as PATCHes with Content-Range; a chunk cut off on the way is
// resumed from the offset the registry confirms, or sent again in a new
// session when the registry has dropped the old one. A small HTTP proxy in
// front of the registry (test/helpers/http-proxy.ts) logs the requests and
// cuts the connections.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { startProxy as startProxyTo, type DropPatch } from '../../helpers/http-proxy.js';
import { registryRequest, startRegistry, type TestRegistry } from '../../helpers/registry.js';

let reg: TestRegistry;
let dir: string;
let blobPath: string;
let blob: Buffer;
let digest: string;

const CHUNK = 64 * 1024;

test.before(async () => {
  reg = await startRegistry();
  dir = await mkdtemp(join(tmpdir(), 'skchunk-'));
  blob = randomBytes(5 * CHUNK + 1234);
  digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  blobPath = join(dir, 'blob');
  await writeFile(blobPath, blob);
});

test.after.always(async () => {
  await reg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const startProxy = (drop: DropPatch) => startProxyTo(reg, drop);

async function storedBlob(repo: string): Promise<Buffer> {
  const res = await registryRequest(reg, `/v2/${repo}/blobs/${digest}`);
  return res.body;
}

test.serial('a blob larger than a chunk is uploaded as PATCHes with Content-Range, then a PUT', async (t) => {
  const proxy = await startProxy(() => undefined);
  const client = new RegistryClient({ host: proxy.host, tlsVerify: false });
  try {
    await client.putBlobFile('chunked/one', digest, blobPath, blob.length, CHUNK);
  } finally {
    client.close();
    await proxy.close();
  }
  const patches = proxy.log.filter((l) => l.startsWith('PATCH'));
  t.deepEqual(patches, [0, 1, 2, 3, 4, 5].map((i) => `PATCH ${i * CHUNK}-${Math.min((i + 1) * CHUNK, blob.length) - 1}`));
  t.is(proxy.log.filter((l) => l === 'PUT').length, 1);
  t.deepEqual(await storedBlob('chunked/one'), blob);
});

test.serial('a blob that fits in a chunk goes up in one PUT', async (t) => {
  const proxy = await startProxy(() => undefined);
  const client = new RegistryClient({ host: proxy.host, tlsVerify: false });
  try {
    await client.putBlobFile('chunked/small', digest, blobPath, blob.length, blob.length);
  } finally {
    client.close();
    await proxy.close();
  }
  t.false(proxy.log.some((l) => l.startsWith('PATCH')));
  t.deepEqual(await storedBlob('chunked/small'), blob);
});

test.serial('a chunk cut off before it reaches the registry is resumed from the offset the registry holds', async (t) => {
  const proxy = await startProxy((n) => (n === 3 ? 'before' : undefined));
  const client = new RegistryClient({ host: proxy.host, tlsVerify: false, retryDelayMs: 10 });
  try {
    await client.putBlobFile('chunked/resumed', digest, blobPath, blob.length, CHUNK);
  } finally {
    client.close();
    await proxy.close();
  }
  // The third PATCH was cut; the client asked the registry where to go on
  // (a GET of the session) and sent that chunk again, not the whole blob.
  const third = `PATCH ${2 * CHUNK}-${3 * CHUNK - 1}`;
  const cut = proxy.log.indexOf(third);
  t.deepEqual(proxy.log.slice(cut, cut + 3), [third, 'GET', third], proxy.log.join(', '));
  t.is(proxy.log.filter((l) => l.startsWith('PATCH 0-')).length, 1);
  t.is(proxy.log.filter((l) => l === 'PUT').length, 1);
  t.deepEqual(await storedBlob('chunked/resumed'), blob);
});

test.serial('a chunk cut off half-way (the registry drops the session) is sent again in a new session', async (t) => {
  const proxy = await startProxy((n) => (n === 3 ? 'inside' : undefined));
  const client = new RegistryClient({ host: proxy.host, tlsVerify: false, retryDelayMs: 10 });
  try {
    await client.putBlobFile('chunked/restarted', digest, blobPath, blob.length, CHUNK);
  } finally {
    client.close();
    await proxy.close();
  }
  const cut = proxy.log.indexOf(`PATCH ${2 * CHUNK}-${3 * CHUNK - 1}`);
  // Status query, then a new session (POST) from the first byte.
  t.deepEqual(proxy.log.slice(cut + 1, cut + 4), ['GET', 'POST', `PATCH 0-${CHUNK - 1}`], proxy.log.join(', '));
  t.deepEqual(await storedBlob('chunked/restarted'), blob);
});

test.serial('a chunked upload of the wrong bytes is refused by the registry at the PUT', async (t) => {
  const client = new RegistryClient({ host: reg.host, tlsVerify: false });
  const wrong = 'sha256:' + createHash('sha256').update('something else').digest('hex');
  try {
    const err = await t.throwsAsync(client.putBlobFile('chunked/bad', wrong, blobPath, blob.length, CHUNK));
    t.regex(err?.message ?? '', /digest/i);
  } finally {
    client.close();
  }
  t.is((await registryRequest(reg, `/v2/chunked/bad/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
});
