// Hostile build contexts: however a source path or a link in the context
// (or in a tar context) is crafted, COPY never reads outside the context
// and a tar context never writes outside its temp dir. A decoy file inside
// the context shows where a path really led: the decoy's content is
// copied, never the host's file.
import test from 'ava';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import tar from 'tar-stream';
import { openBuildContext } from '../../../src/build/context/build-context.js';
import { hashCopySources, writeCopyLayer } from '../../../src/build/context/copy-layer.js';
import { CopySourceError, resolveCopySources } from '../../../src/build/context/sources.js';
import { readLayer, sandbox, shape, withTree, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

const HOST_PASSWD = readFileSync('/etc/passwd', 'utf8');

async function copy(root: string, sources: string[], dest = '/out/') {
  const found = await resolveCopySources(root, sources);
  return readLayer((out) => writeCopyLayer(found, dest, out, { workdir: '/' }));
}

test('a source that is a link to /etc/passwd resolves beneath the context: the decoy, or missing', async (t) => {
  const root = await withTree(await sandbox(), { passlink: { link: '/etc/passwd' } });
  await t.throwsAsync(resolveCopySources(root, ['passlink']), { instanceOf: CopySourceError, message: /"\/passlink": no such file or directory/ });
  await withTree(root, { 'etc/passwd': 'decoy\n' });
  const entries = await copy(root, ['passlink']);
  t.deepEqual(shape(entries), ['out/ directory 755', 'out/passlink file 644']);
  t.is(entries[1].content, 'decoy\n');
});

test('a link to ../../.. is the context root, and a path through it stays inside', async (t) => {
  const root = await withTree(await sandbox(), { 'd/up': { link: '../../..' }, 'etc/passwd': 'decoy\n' });
  const entries = await copy(root, ['d/up/etc/passwd']);
  t.is(entries.find((e) => e.name === 'out/passwd')?.content, 'decoy\n');
  const found = await resolveCopySources(root, ['d/up']);
  t.deepEqual(found.map((s) => [s.rel, s.type]), [['', 'directory']]);
});

test('a link inside a copied directory is copied as a link, never followed', async (t) => {
  const root = await withTree(await sandbox(), { 'd/pw': { link: '/etc/passwd' }, 'd/up': { link: '../../../../..' } });
  const entries = await copy(root, ['d']);
  t.deepEqual(shape(entries), ['out/ directory 755', 'out/pw symlink 777 -> /etc/passwd', 'out/up symlink 777 -> ../../../../..']);
  t.false(entries.some((e) => e.content === HOST_PASSWD));
});

test('source paths ../../etc/passwd and /etc/passwd name the context\'s etc/passwd', async (t) => {
  const root = await sandbox();
  await t.throwsAsync(resolveCopySources(root, ['../../etc/passwd']), { message: `checking on sources under "${root}": possible escaping context directory error: copier: stat: "/etc/passwd": no such file or directory` });
  await t.throwsAsync(resolveCopySources(root, ['/etc/passwd']), { message: `checking on sources under "${root}": copier: stat: "/etc/passwd": no such file or directory` });
  await withTree(root, { 'etc/passwd': 'decoy\n' });
  for (const source of ['../../etc/passwd', '/etc/passwd', '/../etc/../../etc/passwd']) {
    const entries = await copy(root, [source]);
    t.is(entries.find((e) => e.name === 'out/passwd')?.content, 'decoy\n', source);
  }
});

test('a glob matching a link to outside follows it beneath the context', async (t) => {
  const root = await withTree(await sandbox(), { 'a-link': { link: '/etc/passwd' }, 'b-link': { link: '../../../etc/hostname' } });
  await t.throwsAsync(resolveCopySources(root, ['*-link']), { instanceOf: CopySourceError });
  await withTree(root, { 'etc/passwd': 'decoy\n' });
  const entries = await copy(root, ['*-link']);
  t.deepEqual(shape(entries), ['out/ directory 755', 'out/a-link file 644']);
  t.is(entries[1].content, 'decoy\n');
});

test('symlink loops: a named loop is an error, a loop inside a copied directory is a link', async (t) => {
  const root = await withTree(await sandbox(), { self: { link: 'self' }, a: { link: 'b' }, b: { link: 'a' }, 'd/dot': { link: '.' }, 'd/parent': { link: '..' } });
  await t.throwsAsync(resolveCopySources(root, ['self']), { instanceOf: CopySourceError, message: /too many levels of symbolic links/ });
  await t.throwsAsync(resolveCopySources(root, ['a/x']), { instanceOf: CopySourceError, message: /too many levels of symbolic links/ });
  t.deepEqual(shape(await copy(root, ['d'])), ['out/ directory 755', 'out/dot symlink 777 -> .', 'out/parent symlink 777 -> ..']);
  const found = await resolveCopySources(root, ['d/dot/dot/dot/parent/d']);
  t.deepEqual(found.map((s) => s.rel), ['d']);
});

test('a source swapped for a link to / after it was resolved is refused, never read through the link', async (t) => {
  const root = await withTree(await sandbox(), { 'etc/passwd': 'decoy\n' });
  const found = await resolveCopySources(root, ['etc/passwd']);
  await fsp.rm(join(root, 'etc'), { recursive: true });
  await fsp.symlink('/etc', join(root, 'etc'));
  await t.throwsAsync(readLayer((out) => writeCopyLayer(found, '/x', out, { workdir: '/' })), { instanceOf: CopySourceError, message: /changed while it was being copied/ });
  await t.throwsAsync(hashCopySources(found), { instanceOf: CopySourceError });
});

test('a FIFO in the context is copied as a FIFO (as podman does) and never opened', async (t) => {
  const root = await withTree(await sandbox(), { 'd/f': 'f' });
  execFileSync('mkfifo', [join(root, 'd/fifo'), join(root, 'top-fifo')]);
  t.deepEqual(shape(await copy(root, ['d'])), ['out/ directory 755', 'out/f file 644', 'out/fifo fifo 644']);
  const found = await resolveCopySources(root, ['top-fifo']);
  t.is(found[0].type, 'other');
  t.deepEqual(shape(await readLayer((out) => writeCopyLayer(found, '/p', out, { workdir: '/' }))), ['p fifo 644']);
});

/** A tar archive of `entries` (name, and content or a symlink target). */
async function craftedTar(entries: Array<{ name: string; content?: string; link?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.link !== undefined) pack.entry({ name: e.name, type: 'symlink', linkname: e.link });
    else pack.entry({ name: e.name, type: 'file', mode: 0o644 }, e.content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('a tar context with ../ entries is refused and leaves nothing behind, outside or in tmpDir', async (t) => {
  const base = await sandbox();
  const tmp = join(base, 'tmp');
  await fsp.mkdir(tmp);
  const archive = await craftedTar([{ name: 'ok', content: 'ok' }, { name: '../../escaped', content: 'x' }]);
  await t.throwsAsync(openBuildContext({ tar: Readable.from([archive]) }, { tmpDir: tmp }), { message: /leaves the layer directory/ });
  t.deepEqual(await fsp.readdir(tmp), []);
  t.deepEqual(await fsp.readdir(base), ['tmp']);
});

test('a tar context with absolute names lands beneath its root; a link entry is never written through', async (t) => {
  const base = await sandbox();
  const outside = join(base, 'outside');
  await fsp.mkdir(outside);
  const ok = await openBuildContext({ tar: Readable.from([await craftedTar([{ name: '/abs/file', content: 'a' }, { name: '/etc/passwd', content: 'decoy\n' }])]) }, { tmpDir: base });
  t.is(await fsp.readFile(join(ok.root, 'abs/file'), 'utf8'), 'a');
  t.is(await fsp.readFile(join(ok.root, 'etc/passwd'), 'utf8'), 'decoy\n');
  await ok.close();
  const evil = await craftedTar([{ name: 'esc', link: outside }, { name: 'esc/planted', content: 'x' }]);
  await t.throwsAsync(openBuildContext({ tar: Readable.from([evil]) }, { tmpDir: base }), { message: /is not a directory/ });
  t.deepEqual(await fsp.readdir(outside), []);
  t.deepEqual((await fsp.readdir(base)).sort(), ['outside']);
});

test.serial('a huge file is streamed: a 1 GiB sparse file goes through the layer and the digest without the heap growing', async (t) => {
  t.timeout(120_000);
  const root = await sandbox();
  const big = join(root, 'big');
  const size = 1024 ** 3 + 123;
  await fsp.writeFile(big, 'start');
  await fsp.truncate(big, size);
  const found = await resolveCopySources(root, ['big']);
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const before = process.memoryUsage().rss;
  let bytes = 0;
  const counter = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  try {
    await writeCopyLayer(found, '/big', counter, { workdir: '/' });
    await hashCopySources(found);
  } finally {
    clearInterval(sample);
  }
  t.true(bytes > size, `the layer holds the whole file (${bytes} bytes)`);
  t.true(peak - before < 256 * 1024 ** 2, `RSS grew by ${Math.round((peak - before) / 1024 ** 2)} MiB`);
});

test('an unreadable file or directory in the context is a one-line CopySourceError', async (t) => {
  if (process.getuid?.() === 0) return t.pass('root reads everything');
  const root = await withTree(await sandbox(), { 'd/secret': 's', 'e/x/y': 'y' });
  await fsp.chmod(join(root, 'd/secret'), 0);
  await fsp.chmod(join(root, 'e/x'), 0);
  for (const source of ['d', 'e']) {
    const found = await resolveCopySources(root, [source]);
    await t.throwsAsync(readLayer((out) => writeCopyLayer(found, '/x/', out, { workdir: '/' })), { instanceOf: CopySourceError, message: `copier: get: "/${source}": permission denied` });
  }
  await fsp.chmod(join(root, 'e/x'), 0o755);
});
