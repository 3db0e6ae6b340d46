// ADD: a local tar archive (plain, gzip, bzip2, xz, zstd, told by its
// bytes) is extracted into dest keeping the archive's owners, modes and
// times, and never writes outside dest however its names are crafted;
// other local files are copied as COPY; an http(s) URL is downloaded (from
// a server the test starts on 127.0.0.1) as a 0600 file with Last-Modified
// as its mtime, as docker and podman 4.3.1 do.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { AddDownloadError, downloadAddSource, hashAddSources, isAddUrl, writeAddLayer, type AddSource } from '../../../src/build/context/add-layer.js';
import type { CopyLayerOptions } from '../../../src/build/context/copy-layer.js';
import { resolveCopySources } from '../../../src/build/context/sources.js';
import { T0, readLayer, sandbox, shape, withTree, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

type Item = { name: string; content?: string; link?: string; hard?: string; dir?: boolean; uid?: number; gid?: number; mode?: number };

async function tarOf(items: Item[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const i of items) {
    const common = { name: i.name, uid: i.uid ?? 0, gid: i.gid ?? 0, mtime: T0 };
    if (i.dir) pack.entry({ ...common, type: 'directory', mode: i.mode ?? 0o755 });
    else if (i.link !== undefined) pack.entry({ ...common, type: 'symlink', mode: 0o777, linkname: i.link });
    else if (i.hard !== undefined) pack.entry({ ...common, type: 'link', mode: i.mode ?? 0o644, linkname: i.hard });
    else pack.entry({ ...common, type: 'file', mode: i.mode ?? 0o644 }, i.content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const ARCHIVE: Item[] = [
  { name: 't/', dir: true, mode: 0o750, uid: 7, gid: 8 },
  { name: 't/a', content: 'a\n', mode: 0o4755, uid: 7, gid: 8 },
  { name: 't/l', link: 'a' },
  { name: 't/h', hard: 't/a', uid: 7, gid: 8, mode: 0o4755 },
  { name: 'implied/deep/f', content: 'f' },
];

async function addLayer(root: string, sources: string[], dest: string, options: Partial<CopyLayerOptions> = {}, extra: AddSource[] = []) {
  const found = [...(await resolveCopySources(root, sources)), ...extra];
  return readLayer((out) => writeAddLayer(found, dest, out, { workdir: '/', timestamp: T0, ...options }));
}

test('a local tar archive in any compression is extracted into dest with its owners, modes and times', async (t) => {
  const root = await sandbox();
  const plain = await tarOf(ARCHIVE);
  await fsp.writeFile(join(root, 'a.tar'), plain);
  await fsp.writeFile(join(root, 'a.tgz'), gzipSync(plain));
  for (const [program, file] of [['bzip2', 'a.tbz'], ['xz', 'a.txz'], ['zstd', 'a.tzst']]) await fsp.writeFile(join(root, file), execFileSync(program, ['-c', '-q'], { input: plain }));
  for (const file of ['a.tar', 'a.tgz', 'a.tbz', 'a.txz', 'a.tzst']) {
    const entries = await addLayer(root, [file], '/x', { chown: { uid: 5, gid: 6 }, chmod: 0o600 });
    t.deepEqual(shape(entries), [
      'x/ directory 755', 'x/t/ directory 750', 'x/t/a file 4755', 'x/t/l symlink 777 -> a', 'x/t/h link 4755 -> x/t/a',
      'x/implied/ directory 755', 'x/implied/deep/ directory 755', 'x/implied/deep/f file 644',
    ], file);
    const byName = new Map(entries.map((e) => [e.name, e]));
    t.is(byName.get('x/t/a')?.uid, 7, 'the archive\'s owner, not --chown');
    t.is(byName.get('x/t/a')?.content, 'a\n');
    t.is(byName.get('x/t/a')?.mtime?.getTime(), T0.getTime());
    t.is(byName.get('x/')?.uid, 5, '--chown gives the directories the copy makes');
    t.is(byName.get('x/implied/')?.uid, 5);
  }
});

test('a crafted archive never reaches outside dest: .. clamped, / dropped, no entry below a link, hardlinks only to its own files, .wh. names left out', async (t) => {
  const root = await sandbox();
  await fsp.writeFile(join(root, 'clamp.tar'), await tarOf([{ name: '../../escape', content: 'e' }, { name: '/abs/file', content: 'a' }, { name: 'd/.wh.gone', content: '' }, { name: '.wh..wh..opq', content: '' }]));
  t.deepEqual(shape(await addLayer(root, ['clamp.tar'], '/dest/')), ['dest/ directory 755', 'dest/escape file 644', 'dest/abs/ directory 755', 'dest/abs/file file 644']);
  await fsp.writeFile(join(root, 'link.tar'), await tarOf([{ name: 'esc', link: '/etc' }, { name: 'esc/passwd', content: 'x' }]));
  await t.throwsAsync(addLayer(root, ['link.tar'], '/dest/'), { message: /refusing archive entry "esc\/passwd": "dest\/esc" is not a directory in the archive/ });
  await fsp.writeFile(join(root, 'hard.tar'), await tarOf([{ name: 'h', hard: '../../etc/passwd' }]));
  await t.throwsAsync(addLayer(root, ['hard.tar'], '/dest/'), { message: /the hardlink target "..\/..\/etc\/passwd" is not a file of the archive/ });
});

test('other local files are copied as COPY does; a gzip file that holds no tar is copied, not extracted', async (t) => {
  const root = await withTree(await sandbox(), { 'notes.txt': 'n', 'd/x': 'x' });
  await fsp.writeFile(join(root, 'data.gz'), gzipSync('just text, no tar'));
  t.deepEqual(shape(await addLayer(root, ['notes.txt'], '/n')), ['n file 644']);
  t.deepEqual(shape(await addLayer(root, ['data.gz', 'd'], '/o/')), ['o/ directory 755', 'o/data.gz file 644', 'o/x file 644']);
});

let server: Server;
let base: string;
const BODY = 'downloaded\n';
const LAST_MODIFIED = new Date('2019-05-06T07:08:09Z');
let served = BODY;
test.before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/file.txt' || req.url === '/') {
      res.writeHead(200, { 'last-modified': LAST_MODIFIED.toUTCString(), 'content-length': Buffer.byteLength(served) });
      res.end(served);
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/file.txt' });
      res.end();
    } else if (req.url === '/archive.tar.gz') {
      void tarOf(ARCHIVE).then((plain) => res.end(gzipSync(plain)));
    } else {
      res.writeHead(404);
      res.end('nope');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => server?.close());

test('isAddUrl: http and https only', (t) => {
  t.true(isAddUrl('http://x/y'));
  t.true(isAddUrl('HTTPS://x/y'));
  t.false(isAddUrl('ftp://x/y'));
  t.false(isAddUrl('git@github.com:x/y'));
  t.false(isAddUrl('http.txt'));
});

test.serial('a URL is downloaded as a 0600 file with Last-Modified as mtime, named by the URL in a directory; --chmod and --chown honoured; an archive is not extracted', async (t) => {
  const tmp = await sandbox();
  const file = await downloadAddSource(`${base}/file.txt`, { tmpDir: tmp });
  const archive = await downloadAddSource(`${base}/archive.tar.gz`, { tmpDir: tmp });
  const root = await sandbox();
  let entries = await addLayer(root, [], '/dl/', {}, [file, archive]);
  t.deepEqual(shape(entries), ['dl/ directory 755', 'dl/file.txt file 600', 'dl/archive.tar.gz file 600']);
  t.is(entries[1].content, BODY);
  t.is(entries[1].mtime?.getTime(), LAST_MODIFIED.getTime());
  entries = await addLayer(root, [], '/etc/conf', { chmod: 0o640, chown: { uid: 3, gid: 4 } }, [file]);
  t.deepEqual(shape(entries), ['etc/ directory 755', 'etc/conf file 640']);
  t.is(entries[1].uid, 3);
  await file.close();
  await archive.close();
  const bare = await downloadAddSource(`${base}/`, { tmpDir: tmp });
  await t.throwsAsync(addLayer(root, [], '/dl/', {}, [bare]), { instanceOf: AddDownloadError, message: `cannot determine filename from url: ${base}/` });
  t.deepEqual(shape(await addLayer(root, [], '/named', {}, [bare])), ['named file 600'], 'a file dest needs no name');
  await bare.close();
  t.deepEqual(await fsp.readdir(tmp), [], 'closed downloads leave nothing');
});

test.serial('redirects are followed; a 404 is an error that leaves nothing behind; the digest follows the downloaded content', async (t) => {
  const tmp = await sandbox();
  const moved = await downloadAddSource(`${base}/moved`, { tmpDir: tmp });
  t.is(moved.name, 'file.txt');
  t.is(await fsp.readFile(moved.path, 'utf8'), BODY);
  const first = await hashAddSources([moved]);
  served = 'changed on the server\n';
  const again = await downloadAddSource(`${base}/moved`, { tmpDir: tmp });
  t.not(await hashAddSources([again]), first);
  served = BODY;
  await moved.close();
  await again.close();
  await t.throwsAsync(downloadAddSource(`${base}/missing`, { tmpDir: tmp }), { instanceOf: AddDownloadError, message: `getting "${base}/missing": invalid response status 404` });
  await t.throwsAsync(downloadAddSource('http://127.0.0.1:1/x', { tmpDir: tmp }), { instanceOf: AddDownloadError, message: /ECONNREFUSED/ });
  t.deepEqual(await fsp.readdir(tmp), []);
});
