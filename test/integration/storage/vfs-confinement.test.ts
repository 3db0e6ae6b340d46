// Crafted images against the vfs driver's layer application: a lower layer
// plants a symlink to a host file or directory (absolute, or climbing out
// with ../), and an upper layer writes a file, a directory, a whiteout or an
// opaque marker at or below it. Applying the layers must never reach the
// host: the sentinels below (outside the store, owned by the test user, so
// the namespaced root that builds the rootfs could write them) are checked
// whether `run` succeeds or fails. The container then sees what overlay
// would show: the upper entry replaces the lower symlink.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { buildImageOfLayers, type TarEntry } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
// A store keeps the driver it was made with: vfs gets its own.
let vfsEnv: TestEnv;
let work: string;
/** Host sentinels: one file and one directory per case. */
let host: string;

const FILE_CONTENT = 'host file, must stay as it is\n';
const DIR_FILE_CONTENT = 'host dir member, must stay\n';

interface Case {
  title: string;
  /** Layers above busybox, given the case's host file and host directory. */
  layers: (hostFile: string, hostDir: string) => TarEntry[][];
  /** The container's view of what the layers made, as `sh -c` prints it. */
  script: string;
  expected: string;
}

const f = (name: string, content = 'from the image\n', extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'file', content, ...extra });
const d = (name: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'directory', ...extra });
const l = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });
const whiteout = (name: string): TarEntry => f(name, '');
/** ../ enough times to climb from any rootfs below / to the host's root. */
const climb = (target: string) => `${'../'.repeat(24)}${target.replace(/^\/+/, '')}`;

const cases: Case[] = [
  {
    title: 'a file over a lower symlink to a host file replaces the symlink',
    layers: (file) => [[d('etc'), l('etc/bashrc', file)], [d('etc'), f('etc/bashrc')]],
    script: 'test -L /etc/bashrc && echo link; cat /etc/bashrc',
    expected: 'from the image',
  },
  {
    title: 'a file over a lower relative symlink that climbs to a host file replaces the symlink',
    layers: (file) => [[l('bashrc', climb(file))], [f('bashrc')]],
    script: 'test -L /bashrc && echo link; cat /bashrc',
    expected: 'from the image',
  },
  {
    title: 'an opaque directory over a lower symlink to a host directory',
    layers: (_file, dir) => [[l('victim', dir)], [d('victim'), whiteout('victim/.wh..wh..opq'), f('victim/new')]],
    script: 'ls -A /victim',
    expected: 'new',
  },
  {
    title: 'a whiteout below a lower symlink to a host directory',
    layers: (_file, dir) => [[l('victim', dir)], [d('victim'), whiteout('victim/.wh.keep')]],
    script: 'test -L /victim && echo link; ls -A /victim; echo end',
    expected: 'end',
  },
  {
    title: 'files below a lower symlink to a host directory',
    layers: (_file, dir) => [[l('victim', dir)], [d('victim'), f('victim/planted'), f('victim/keep', 'overwritten\n')]],
    script: 'ls -A /victim; cat /victim/keep',
    expected: 'keep\nplanted\noverwritten',
  },
  {
    title: 'a deep path below a lower symlink that climbs to a host directory, two layers up',
    layers: (_file, dir) => [[d('a'), l('a/b', climb(dir))], [f('unrelated')], [d('a'), d('a/b'), d('a/b/c'), f('a/b/c/planted')]],
    script: 'ls -A /a/b; ls -A /a/b/c',
    expected: 'c\nplanted',
  },
  {
    title: 'a file over a lower symlink to a host directory',
    layers: (_file, dir) => [[l('victim', dir)], [f('victim')]],
    script: 'test -L /victim && echo link; cat /victim',
    expected: 'from the image',
  },
  {
    title: 'a whiteout of a lower symlink to a host file removes only the symlink',
    layers: (file) => [[l('victim', file)], [whiteout('.wh.victim')]],
    script: 'ls -A / | grep -c victim || true',
    expected: '0',
  },
  {
    title: 'a hard link over a lower symlink to a host file',
    layers: (file) => [[l('victim', file)], [f('source'), { name: 'victim', type: 'link', linkname: 'source' }]],
    script: 'test -L /victim && echo link; cat /victim',
    expected: 'from the image',
  },
];

test.before(async () => {
  env = await newTestEnv();
  vfsEnv = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skvfs-'));
  host = join(work, 'host');
  const layout = join(work, 'layout');
  for (const [i, c] of cases.entries()) {
    await buildImageOfLayers(layout, `localhost/vfs-escape-${i}:latest`, c.layers(join(host, `${i}.file`), join(host, `${i}.dir`)));
  }
  await env.skiff(['load', '-q', '-i', layout]);
  await vfsEnv.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  await vfsEnv?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Makes case `i`'s sentinels: a file, and a directory holding `keep`. */
async function plantSentinels(i: number): Promise<void> {
  await mkdir(join(host, `${i}.dir`), { recursive: true });
  await writeFile(join(host, `${i}.file`), FILE_CONTENT);
  await writeFile(join(host, `${i}.dir`, 'keep'), DIR_FILE_CONTENT);
}

async function assertSentinels(t: ExecutionContext, i: number): Promise<void> {
  t.is(await readFile(join(host, `${i}.file`), 'utf8').catch((err: Error) => err.message), FILE_CONTENT, 'the host file is untouched');
  t.deepEqual(await readdir(join(host, `${i}.dir`)).catch((err: Error) => [err.message]), ['keep'], 'nothing added to or removed from the host directory');
  t.is(await readFile(join(host, `${i}.dir`, 'keep'), 'utf8').catch((err: Error) => err.message), DIR_FILE_CONTENT, 'the host directory member is untouched');
}

for (const [i, c] of cases.entries()) {
  for (const driver of ['vfs', 'overlay'] as const) {
    test.serial(`${driver}: ${c.title}`, async (t) => {
      await plantSentinels(i);
      const run = await (driver === 'vfs' ? vfsEnv : env)
        .skiff(['--storage-driver', driver, 'run', '--rm', '--network', 'none', `localhost/vfs-escape-${i}`, 'sh', '-c', c.script])
        .catch((err: Error) => err);
      await assertSentinels(t, i);
      if (run instanceof Error) t.fail(run.message);
      else t.is(run.stdout, c.expected);
    });
  }

  // Export of a container that never ran applies the layers into a private copy: the same danger.
  test.serial(`vfs export before a start: ${c.title}`, async (t) => {
    await plantSentinels(i);
    const name = `escape-export-${i}`;
    await vfsEnv.skiff(['--storage-driver', 'vfs', 'create', '--name', name, '--network', 'none', `localhost/vfs-escape-${i}`]);
    const exported = await vfsEnv.skiff(['export', '-o', join(work, `${name}.tar`), name]).catch((err: Error) => err);
    await vfsEnv.skiff(['rm', name]);
    await assertSentinels(t, i);
    if (exported instanceof Error) t.fail(exported.message);
  });
}
