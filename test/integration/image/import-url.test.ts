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
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let server: Server;
let base: string;

test.before(async () => {
  env = await newTestEnv();
  const tarball = await buildBusyboxTar();
  const size = (await stat(tarball)).size;
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/busybox.tar') {
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': size });
      createReadStream(tarball).pipe(res);
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
