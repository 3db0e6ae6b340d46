// COPY's sources and the layer it writes, on temp dirs: docker's rules for
// dest (file, directory, several sources, parents made 0755 root), a
// directory's contents, symlinks followed beneath the root when named and
// kept as links inside a copied directory, globs, `..` clamped, podman's
// wording for a missing source, --chown/--chmod, mtimes kept, and the
// digest the build cache keys COPY on (content, modes, owners; not times).
import test from 'ava';
import { promises as fsp } from 'node:fs';
import { join, relative as relativePath } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { openBuildContext } from '../../../src/build/context/build-context.js';
import { hashCopySources, writeCopyLayer, type CopyLayerOptions } from '../../../src/build/context/copy-layer.js';
import { CopySourceError, resolveCopySources, type ResolveCopySourcesOptions } from '../../../src/build/context/sources.js';
import { T0, readLayer, sandbox, shape, withTree, type TreeSpec, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

async function layerOf(root: string, sources: string[], dest: string, options: Partial<CopyLayerOptions> & ResolveCopySourcesOptions = {}) {
  const found = await resolveCopySources(root, sources, options);
  return readLayer((out) => writeCopyLayer(found, dest, out, { workdir: '/', timestamp: T0, ...options }));
}

const CTX: TreeSpec = {
  f: 'f\n',
  'dir/a': { content: 'a\n', mode: 0o640 },
  'dir/sub': { dir: true, mode: 0o750 },
  'dir/sub/b': 'b\n',
  'dir/lnk': { link: 'a' },
  dirlink: { link: 'dir' },
  flink: { link: '/f' },
};

test('a file to a file name: parents made 0755 0:0, the file at dest with its mode and mtime, owner 0:0', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  const entries = await layerOf(root, ['f'], '/one/two/g');
  t.deepEqual(shape(entries), ['one/ directory 755', 'one/two/ directory 755', 'one/two/g file 644']);
  t.is(entries[2].content, 'f\n');
  t.is(entries[2].mtime?.getTime(), T0.getTime());
  t.true(entries.every((e) => e.uid === 0 && e.gid === 0));
});

test('dest ending in / or several sources is a directory; each file under its own name', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  t.deepEqual(shape(await layerOf(root, ['f'], '/x/')), ['x/ directory 755', 'x/f file 644']);
  t.deepEqual(shape(await layerOf(root, ['f', 'dir/a'], '/multi')), ['multi/ directory 755', 'multi/f file 644', 'multi/a file 640']);
});

test('a directory source copies its contents, not itself; links inside stay links; modes and mtimes kept', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  await fsp.utimes(join(root, 'dir/sub'), T0, T0);
  const entries = await layerOf(root, ['dir'], '/newdir');
  t.deepEqual(shape(entries), ['newdir/ directory 755', 'newdir/a file 640', 'newdir/lnk symlink 777 -> a', 'newdir/sub/ directory 750', 'newdir/sub/b file 644']);
  t.is(entries.find((e) => e.name === 'newdir/sub/')?.mtime?.getTime(), T0.getTime());
});

test('a source named through a symlink is followed: a link to a directory copies its contents, a link to a file its content', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  t.deepEqual(shape(await layerOf(root, ['dirlink'], '/dl')), ['dl/ directory 755', 'dl/a file 640', 'dl/lnk symlink 777 -> a', 'dl/sub/ directory 750', 'dl/sub/b file 644']);
  const entries = await layerOf(root, ['flink'], '/d/');
  t.deepEqual(shape(entries), ['d/ directory 755', 'd/flink file 644']);
  t.is(entries[1].content, 'f\n');
});

test('relative dest is beneath the workdir; "." is the workdir; existing directories are not written again', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  const exists = (p: string) => (p === '/app' || p === '/' ? ('dir' as const) : undefined);
  t.deepEqual(shape(await layerOf(root, ['f'], 'sub/g', { workdir: '/app', destExists: exists })), ['app/sub/ directory 755', 'app/sub/g file 644']);
  t.deepEqual(shape(await layerOf(root, ['f'], '.', { workdir: '/app', destExists: exists })), ['app/f file 644']);
  t.deepEqual(shape(await layerOf(root, ['f'], '/app', { destExists: exists })), ['app/f file 644']);
});

test('a file where a parent directory is needed is an error', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  await t.throwsAsync(layerOf(root, ['f'], '/etc/passwd/x', { destExists: (p) => (p === '/etc/passwd' ? 'file' : p === '/etc' ? 'dir' : undefined) }), { message: /not a directory/ });
});

test('--chown and --chmod apply to everything copied (not to symlink modes) and --chown to the directories made', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  const entries = await layerOf(root, ['dir'], '/d', { chown: { uid: 1000, gid: 1001 }, chmod: 0o711 });
  t.true(entries.every((e) => e.uid === 1000 && e.gid === 1001));
  t.deepEqual(shape(entries), ['d/ directory 755', 'd/a file 711', 'd/lnk symlink 777 -> a', 'd/sub/ directory 711', 'd/sub/b file 711']);
});

test('globs: *, ?, [...] per component, sorted; `..` clamped at the root; a leading / is the root', async (t) => {
  const root = await withTree(await sandbox(), { 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', 'd1/x': 'x', 'd2/y': 'y', 'e/f.txt': 'f' });
  const names = async (sources: string[]) => (await resolveCopySources(root, sources)).map((s) => `${s.rel}:${s.name}:${s.type}`);
  t.deepEqual(await names(['*.txt']), ['a.txt:a.txt:file', 'b.txt:b.txt:file']);
  t.deepEqual(await names(['d?/*']), ['d1/x:x:file', 'd2/y:y:file']);
  t.deepEqual(await names(['[ac].*']), ['a.txt:a.txt:file', 'c.md:c.md:file']);
  t.deepEqual(await names(['[^a]*.txt']), ['b.txt:b.txt:file']);
  t.deepEqual(await names(['*/f.txt']), ['e/f.txt:f.txt:file']);
  t.deepEqual(await names(['../../a.txt', '/b.txt', './e/../c.md']), ['a.txt:a.txt:file', 'b.txt:b.txt:file', 'c.md:c.md:file']);
  t.deepEqual(await names(['.']), [':' + ':directory']);
  const relative = await resolveCopySources(relativePath(process.cwd(), root) + '/', ['a.txt']);
  t.is(relative[0].root, root, 'a relative root is made absolute');
  await t.throwsAsync(resolveCopySources(root, ['[']), { message: /syntax error in pattern/ });
});

test('a missing source or a glob matching nothing is podman\'s error; allowMissingGlobs lets the glob go', async (t) => {
  const root = await withTree(await sandbox(), { f: 'f' });
  const err = await t.throwsAsync(resolveCopySources(root, ['nope']), { instanceOf: CopySourceError });
  t.is(err?.message, `checking on sources under "${root}": copier: stat: "/nope": no such file or directory`);
  await t.throwsAsync(resolveCopySources(root, ['no*pe']), { message: `checking on sources under "${root}": copier: stat: ["/no*pe"]: no such file or directory` });
  t.deepEqual(await resolveCopySources(root, ['no*pe'], { allowMissingGlobs: true }), []);
  await t.throwsAsync(resolveCopySources(root, ['nope'], { allowMissingGlobs: true }), { instanceOf: CopySourceError });
});

test('ignored sources are missing, and ignored entries inside a copied directory are left out', async (t) => {
  const root = await withTree(await sandbox(), { 'keep/a': 'a', 'keep/b.log': 'b', 'secret': 's' });
  const ignore = (rel: string) => rel === 'secret' || rel.endsWith('.log');
  await t.throwsAsync(resolveCopySources(root, ['secret'], { ignore }), { instanceOf: CopySourceError });
  t.deepEqual((await resolveCopySources(root, ['*'], { ignore })).map((s) => s.rel), ['keep']);
  t.deepEqual(shape(await layerOf(root, ['.'], '/x', { ignore })), ['x/ directory 755', 'x/keep/ directory 755', 'x/keep/a file 644']);
});

test('hard links inside a copied directory are stored once and linked', async (t) => {
  const root = await withTree(await sandbox(), { 'd/one': 'same' });
  await fsp.link(join(root, 'd/one'), join(root, 'd/two'));
  const entries = await layerOf(root, ['d'], '/x/');
  t.deepEqual(shape(entries), ['x/ directory 755', 'x/one file 644', 'x/two link 644 -> x/one']);
});

test('the digest changes with content, mode, names, link targets and --chown/--chmod, not with mtimes', async (t) => {
  const root = await withTree(await sandbox(), CTX);
  const digest = async (options = {}) => hashCopySources(await resolveCopySources(root, ['dir', 'f']), options);
  const first = await digest();
  t.regex(first, /^sha256:[0-9a-f]{64}$/);
  await fsp.utimes(join(root, 'dir/a'), new Date(), new Date());
  await fsp.utimes(join(root, 'dir/sub'), new Date(), new Date());
  t.is(await digest(), first, 'touched, unchanged');
  t.not(await digest({ chown: { uid: 1, gid: 1 } }), first);
  t.not(await digest({ chmod: 0o600 }), first);
  await fsp.chmod(join(root, 'dir/a'), 0o600);
  const chmodded = await digest();
  t.not(chmodded, first);
  await fsp.writeFile(join(root, 'dir/a'), 'A\n');
  const changed = await digest();
  t.not(changed, chmodded);
  await fsp.rm(join(root, 'dir/lnk'));
  await fsp.symlink('sub', join(root, 'dir/lnk'));
  t.not(await digest(), changed);
});

test('a directory context: its ignore file (.containerignore before .dockerignore) is read', async (t) => {
  const root = await withTree(await sandbox(), { '.dockerignore': 'b\n', '.containerignore': '# comment\na\n', a: 'a', b: 'b' });
  const ctx = await openBuildContext({ dir: root }, { tmpDir: root });
  t.is(ctx.root, root);
  t.true(ctx.isIgnored('a'));
  t.false(ctx.isIgnored('b'));
  await ctx.close();
  t.true((await fsp.stat(join(root, 'a'))).isFile(), 'a directory context is left alone');
  const other = await openBuildContext({ dir: root }, { tmpDir: root, ignoreFile: join(root, '.dockerignore') });
  t.true(other.isIgnored('b'));
  await t.throwsAsync(openBuildContext({ dir: join(root, 'nope') }, { tmpDir: root }), { message: /does not exist/ });
  await t.throwsAsync(openBuildContext({ dir: join(root, 'a') }, { tmpDir: root }), { message: /is not a directory/ });
});

test('a tar context (plain or gzip) is unpacked beneath tmpDir and removed by close', async (t) => {
  const src = await withTree(await sandbox(), { 'Containerfile': 'FROM scratch\n', 'd/f': 'f\n', 'ro': { dir: true } });
  await fsp.chmod(join(src, 'ro'), 0o555);
  const tmp = await sandbox();
  for (const flags of ['-c', '-cz']) {
    const archive = spawnSync('tar', [flags, '-C', src, '.'], { maxBuffer: 1 << 24 }).stdout;
    const ctx = await openBuildContext({ tar: Readable.from([archive]) }, { tmpDir: tmp });
    t.true(ctx.root.startsWith(tmp + '/'));
    t.is(await fsp.readFile(join(ctx.root, 'd/f'), 'utf8'), 'f\n');
    const found = await resolveCopySources(ctx.root, ['d/f']);
    t.is(found[0].rel, 'd/f');
    await ctx.close();
    t.deepEqual(await fsp.readdir(tmp), [], 'nothing left after close');
  }
  await t.throwsAsync(openBuildContext({ tar: Readable.from([Buffer.from('not a tar at all, really not')]) }, { tmpDir: tmp }), { message: /must be a directory or a \(compressed\) tar archive/ });
  t.deepEqual(await fsp.readdir(tmp), [], 'nothing left after a failed open');
});

test('from the context setuid and setgid bits are dropped (as podman 4.3.1); COPY --from (preserve) keeps them and the mapped owners', async (t) => {
  const root = await withTree(await sandbox(), { 'd/suid': { content: 's', mode: 0o4755 }, 'd/sgid': { content: 'g', mode: 0o2755 }, 'd/sticky': { dir: true, mode: 0o1777 } });
  await fsp.chmod(join(root, 'd/suid'), 0o4755);
  await fsp.chmod(join(root, 'd/sgid'), 0o2755);
  t.deepEqual(shape(await layerOf(root, ['d'], '/x')), ['x/ directory 755', 'x/sgid file 755', 'x/sticky/ directory 1777', 'x/suid file 755']);
  const me = process.getuid!();
  const preserve = { owners: (uid: number, gid: number) => ({ uid: uid === me ? 0 : uid + 100000, gid: gid + 7 }) };
  const kept = await layerOf(root, ['d'], '/x', { preserve });
  t.deepEqual(shape(kept), ['x/ directory 755', 'x/sgid file 2755', 'x/sticky/ directory 1777', 'x/suid file 4755']);
  t.is(kept[0].uid, 0, 'the directories the copy makes are 0:0');
  t.is(kept[3].uid, 0, 'the walk\'s uid mapped');
  t.is(kept[3].gid, process.getgid!() + 7);
  t.is((await layerOf(root, ['d'], '/x', { preserve, chown: { uid: 9, gid: 9 } }))[3].uid, 9, '--chown wins');
  const found = await resolveCopySources(root, ['d']);
  t.not(await hashCopySources(found, { preserve }), await hashCopySources(found));
});
