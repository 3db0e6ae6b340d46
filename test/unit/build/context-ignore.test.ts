// .containerignore / .dockerignore with docker's rules, on the examples of
// docker's own documentation (the "dockerignore-file" section of the
// Dockerfile reference), and how COPY applies them: an excluded source is
// missing, an excluded entry of a copied directory is left out, a `!` rule
// takes back a file inside an excluded directory, and the ignore file
// excludes itself only when it lists itself.
import test from 'ava';
import { join } from 'node:path';
import { openBuildContext } from '../../../src/build/context/build-context.js';
import { writeCopyLayer } from '../../../src/build/context/copy-layer.js';
import { ignoreMatcher, parseIgnoreFile } from '../../../src/build/context/ignore.js';
import { CopySourceError, resolveCopySources } from '../../../src/build/context/sources.js';
import { T0, readLayer, sandbox, shape, withTree, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

const macro = test.macro(async (t, patterns: string[], expected: Record<string, boolean>) => {
  const ignored = await ignoreMatcher(patterns);
  for (const [path, want] of Object.entries(expected)) t.is(ignored(path), want, `${path} with ${JSON.stringify(patterns)}`);
});

test('comments and blank lines are dropped, lines trimmed', (t) => {
  t.deepEqual(parseIgnoreFile('# comment\n*/temp*\r\n\n  */*/temp*  \ntemp?\n'), ['*/temp*', '*/*/temp*', 'temp?']);
});
test('docker docs: */temp* excludes one level down', macro, ['*/temp*'], { 'somedir/temporary.txt': true, 'somedir/temp': true, 'temp': false, 'a/b/temp': false });
test('docker docs: */*/temp* excludes two levels down', macro, ['*/*/temp*'], { 'somedir/subdir/temporary.txt': true, 'somedir/temp': false });
test('docker docs: temp? excludes one character names in the root', macro, ['temp?'], { tempa: true, tempb: true, temp: false, 'a/tempa': false });
test('docker docs: ** matches any number of directories', macro, ['**/*.go'], { 'a.go': true, 'x/y/z.go': true, 'a.gox': false });
test('docker docs: !README.md takes back a file', macro, ['*.md', '!README.md'], { 'a.md': true, 'README.md': false });
test('docker docs: the last matching line wins (README-secret.md excluded)', macro, ['*.md', '!README*.md', 'README-secret.md'], { 'a.md': true, 'README.md': false, 'README-x.md': false, 'README-secret.md': true });
test('docker docs: the last matching line wins (README-secret.md taken back)', macro, ['*.md', 'README-secret.md', '!README*.md'], { 'README-secret.md': false });
test('a pattern excludes what is below a match; leading / and ./ are the root; paths are cleaned', macro, ['node_modules', '/abs', './dot', 'a/../b'], { 'node_modules/x/y': true, 'abs/f': true, dot: true, b: true, a: false, '.': false, '': false });

test('COPY . leaves out what the ignore file excludes, a ! rule takes back a file inside an excluded directory', async (t) => {
  const root = await withTree(await sandbox(), {
    '.dockerignore': '*.log\nbuild\n!build/keep\nsecret\n',
    'a.log': 'l', 'src/b.log': 'l', 'src/main.c': 'm', 'build/out.o': 'o', 'build/keep': 'k', secret: 's', Containerfile: 'FROM scratch\n',
  });
  const ctx = await openBuildContext({ dir: root }, { tmpDir: root });
  const sources = await resolveCopySources(ctx.root, ['.'], { ignore: ctx.isIgnored });
  const entries = await readLayer((out) => writeCopyLayer(sources, '/app/', out, { workdir: '/', timestamp: T0 }));
  t.deepEqual(entries.map((e) => e.name), ['app/', 'app/.dockerignore', 'app/Containerfile', 'app/build/keep', 'app/src/', 'app/src/b.log', 'app/src/main.c']);
  t.false(ctx.isIgnored('src/b.log'), 'docker anchors *.log at the root');
  await t.throwsAsync(resolveCopySources(ctx.root, ['secret'], { ignore: ctx.isIgnored }), { instanceOf: CopySourceError, message: /"\/secret": no such file or directory/ });
  t.deepEqual((await resolveCopySources(ctx.root, ['src/*'], { ignore: ctx.isIgnored })).map((s) => s.rel), ['src/b.log', 'src/main.c']);
  await t.throwsAsync(resolveCopySources(ctx.root, ['*.log'], { ignore: ctx.isIgnored }), { instanceOf: CopySourceError, message: /\["\/\*\.log"\]: no such file or directory/ });
  t.deepEqual((await resolveCopySources(ctx.root, ['build/*', 'b*/keep'], { ignore: ctx.isIgnored })).map((s) => s.rel), ['build/keep', 'build/keep'], 'a glob reaches a file taken back inside an excluded directory');
  await ctx.close();
});

test('the ignore file excludes itself (and the Containerfile) only when it lists them', async (t) => {
  const root = await withTree(await sandbox(), { '.containerignore': '.containerignore\nContainerfile\n', Containerfile: 'FROM scratch\n', f: 'f' });
  const ctx = await openBuildContext({ dir: root }, { tmpDir: root });
  const sources = await resolveCopySources(ctx.root, ['.'], { ignore: ctx.isIgnored });
  t.deepEqual(shape(await readLayer((out) => writeCopyLayer(sources, '/', out, { workdir: '/' }))), ['f file 644']);
  t.true(ctx.isIgnored('.containerignore'));
  t.false(ctx.isIgnored('f'));
});

test('an ignore file named by the caller wins over the context\'s own', async (t) => {
  const root = await withTree(await sandbox(), { '.dockerignore': 'a\n', 'sub/Containerfile.dockerignore': 'b\n', a: 'a', b: 'b' });
  const ctx = await openBuildContext({ dir: root }, { tmpDir: root, ignoreFile: join(root, 'sub/Containerfile.dockerignore') });
  t.false(ctx.isIgnored('a'));
  t.true(ctx.isIgnored('b'));
});
