// `skiff import URL`: the tarball is downloaded from a node:http server on
// 127.0.0.1 (redirects followed), imported and run; a failed download is a
// clean error that leaves neither an image nor a temp file.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { buildBusyboxTar } from '../../fixtures/busybox.js';
import { newTestEnv, poll, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let server: Server;
let base: string;
/** Responses of /stalls.tar, held open half-sent until the test cuts them. */
const stalled: import('node:http').ServerResponse[] = [];

test.before(async () => {
  env = await newTestEnv();
  const tarball = await buildBusyboxTar();
  const size = (await stat(tarball)).size;
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/busybox.tar') {
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': size });
      createReadStream(tarball).pipe(res);
    } else if (path === '/stalls.tar') {
      // Half the tarball, then nothing: the download stays in progress.
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': size });
      createReadStream(tarball, { end: Math.floor(size / 2) }).pipe(res, { end: false });
      stalled.push(res);
    } else if (path.startsWith('/redirect/')) {
      // /redirect/N → N more hops, then the tarball.
      const n = Number(path.slice('/redirect/'.length));
      res.writeHead(302, { location: n > 1 ? `/redirect/${n - 1}` : '/busybox.tar' });
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after.always(async () => {
  await env?.cleanup();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** Files left in the graph root's tmp dir (none when it does not exist). */
const tmpFiles = () => readdir(join(env.root, 'tmp')).catch(() => [] as string[]);

test.serial('import URL downloads the tarball, imports it and the image runs', async (t) => {
  const r = await env.skiff(['import', `${base}/busybox.tar`, 'localhost/fromurl']);
  t.regex(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const run = await env.skiff(['run', '--rm', '--network', 'none', 'localhost/fromurl', 'cat', '/home/user/owned-by-1000']);
  t.regex(run.stdout, /belongs to uid 1000/);
  t.deepEqual(await tmpFiles(), []);
});

test.serial('redirects are followed, up to 5', async (t) => {
  const r = await env.skiff(['import', `${base}/redirect/5`, 'localhost/redirected']);
  t.regex(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const many = await env.skiff(['import', `${base}/redirect/6`, 'localhost/toomany'], { exit: 125 });
  t.regex(many.stderr, /Error: importing from URL: GET http:\/\/127\.0\.0\.1:\d+\/redirect\/1: stopped after 5 redirects/);
  t.deepEqual(await tmpFiles(), []);
});

test.serial('a 404 fails with exit 125 and leaves no image and no temp file', async (t) => {
  const before = (await env.skiff(['images', '-q', '--no-trunc'])).lines;
  const r = await env.skiff(['import', `${base}/missing.tar`, 'localhost/missing'], { exit: 125 });
  t.is(r.stderr.trim(), `Error: importing from URL: GET ${base}/missing.tar: 404 Not Found`);
  t.is(r.stdout, '');
  t.deepEqual((await env.skiff(['images', '-q', '--no-trunc'])).lines, before);
  await env.skiff(['image', 'exists', 'localhost/missing'], { exit: 1 });
  t.deepEqual(await tmpFiles(), []);
});

test.serial('a refused connection is a clean error too', async (t) => {
  const r = await env.skiff(['import', 'http://127.0.0.1:1/x.tar'], { exit: 125 });
  t.regex(r.stderr, /Error: importing from URL: GET http:\/\/127\.0\.0\.1:1\/x\.tar: .*ECONNREFUSED/);
  t.deepEqual(await tmpFiles(), []);
});

// Also the control for the checks above: while a download runs its temp file
// is where tmpFiles() looks, so their "no temp file" cannot pass vacuously.
test.serial('a download cut off half-way: the temp file is in tmp/ while it runs, and gone after the error', async (t) => {
  const running = env.skiff(['import', `${base}/stalls.tar`, 'localhost/stalled'], { exit: 125 });
  const during = await poll(async () => (await tmpFiles()).length > 0 && (await tmpFiles()), 15_000);
  t.truthy(during, 'a temp file appears under the graph root\'s tmp/ during the download');
  for (const res of stalled) res.socket?.destroy();
  const r = await running;
  t.regex(r.stderr, /^Error: importing from URL: /m);
  t.deepEqual(await tmpFiles(), []);
  await env.skiff(['image', 'exists', 'localhost/stalled'], { exit: 1 });
});

