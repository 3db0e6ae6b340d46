// One conformance suite run against each storage driver: overlay with the
// kernel's overlayfs, overlay with fuse-overlayfs as its mount program, and
// vfs. Each gets its own store (a store keeps its driver) with the same
// crafted image: whiteouts and an opaque directory, hard links, a user.*
// xattr, files owned by uid 1000. Every case checks what the container
// sees, so a driver that merges layers wrongly, loses a copy-up, breaks a
// link, drops an xattr or maps an owner wrongly fails it.
import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { buildImageOfLayers, type TarEntry } from '../../fixtures/oci-image.js';
import { newTestEnv, uniqueName, type SkiffOptions, type TestEnv } from '../../helpers/skiff.js';

const DRIVERS = {
  overlay: ['--storage-driver', 'overlay'],
  'fuse-overlayfs': ['--storage-driver', 'overlay', '--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs'],
  vfs: ['--storage-driver', 'vfs'],
} as const;
type Driver = keyof typeof DRIVERS;

const IMAGE = 'localhost/conformance:latest';
const f = (name: string, content = `${name}\n`, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'file', content, ...extra });
const d = (name: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'directory', ...extra });
const LAYERS: TarEntry[][] = [
  [
    d('t'), f('t/del'), d('t/deldir'), f('t/deldir/a'), d('t/opq'), f('t/opq/old'), d('t/opq/sub'), f('t/opq/sub/deep'),
    f('t/keep', 'lower\n'), f('t/ro', 'ro\n', { mode: 0o444 }),
    f('t/h1', 'linked\n'), { name: 't/h2', type: 'link', linkname: 't/h1' },
    d('t/own', { uid: 1000, gid: 1000, mode: 0o750 }), f('t/own/f', 'mine\n', { uid: 1000, gid: 1000, mode: 0o600 }),
    f('t/x', 'xattr\n', { xattrs: { 'user.skiff': 'conformance' } }),
  ],
  [d('t'), f('t/.wh.del', ''), f('t/.wh.deldir', ''), d('t/opq'), f('t/opq/.wh..wh..opq', ''), f('t/opq/new')],
];

const envs = {} as Record<Driver, TestEnv>;
let work: string;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skdrv-'));
  const layout = join(work, 'layout');
  await buildImageOfLayers(layout, IMAGE, LAYERS);
  await Promise.all((Object.keys(DRIVERS) as Driver[]).map(async (driver) => {
    envs[driver] = await newTestEnv();
    await envs[driver].skiff([...DRIVERS[driver], 'load', '-q', '-i', layout]);
  }));
});

test.after.always(async () => {
  await Promise.all(Object.values(envs).map((e) => e.cleanup()));
  if (work) await rm(work, { recursive: true, force: true });
});

const on = (driver: Driver) => (args: string[], opts?: SkiffOptions) => envs[driver].skiff([...DRIVERS[driver], ...args], opts);
const run = (driver: Driver, script: string, extra: string[] = []) => on(driver)(['run', '--rm', '--network', 'none', ...extra, IMAGE, 'sh', '-c', script]);

/** A program run as root of the store's user namespace (where the rootfs is mounted). */
async function inNamespace(driver: Driver, argv: string[]) {
  const pause = (JSON.parse(await readFile(join(envs[driver].runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
  return execa('nsenter', [`--target=${pause}`, '--user', '--mount', '--preserve-credentials', ...argv], { reject: false });
}

type Case = (t: ExecutionContext, driver: Driver) => Promise<void>;
const conformance = test.macro({
  exec: (t, driver: Driver, body: Case) => body(t, driver),
  title: (title, driver: Driver) => `${driver}: ${title}`,
});

const CASES: Record<string, Case> = {
  'whiteouts delete lower files and directories; an opaque directory hides what lower layers put in it': async (t, driver) => {
    const r = await run(driver, 'ls -A /t; echo --; ls -A /t/opq');
    t.deepEqual(r.lines, ['h1', 'h2', 'keep', 'opq', 'own', 'ro', 'x', '--', 'new']);
  },

  'a lower file changed in the container is copied up: the container keeps it across starts, the image does not change': async (t, driver) => {
    const name = uniqueName('cu');
    await on(driver)(['create', '--name', name, '--network', 'none', IMAGE, 'sh', '-c', 'echo changed >> /t/keep; chmod 600 /t/ro; cat /t/keep; stat -c %a /t/ro']);
    t.deepEqual((await on(driver)(['start', '-a', name])).lines, ['lower', 'changed', '600']);
    t.deepEqual((await on(driver)(['start', '-a', name])).lines, ['lower', 'changed', 'changed', '600']);
    t.deepEqual((await run(driver, 'cat /t/keep; stat -c %a /t/ro')).lines, ['lower', '444'], 'another container sees the image as it was');
    await on(driver)(['rm', name]);
  },

  // (Whether a copy-up of one name breaks the link is the driver's own: overlay's does, vfs's copy does not; podman's are the same.)
  'hard links of a layer stay one file; a link made in the container to a lower file is one file too': async (t, driver) => {
    const r = await run(driver, [
      'stat -c "%i %h" /t/h1 /t/h2 | uniq | wc -l; stat -c %h /t/h1',
      'ln /t/keep /t/keep2 && echo more >> /t/keep2',
      // The kernel's overlay may report another st_ino for the new name of a copied-up file: the link count and the content say it is one file.
      'stat -c %h /t/keep /t/keep2; cat /t/keep',
    ].join('; '));
    t.deepEqual(r.lines, ['1', '2', '2', '2', 'lower', 'more']);
  },

  'user.* xattrs of a layer are seen in the container, and kept by a copy-up': async (t, driver) => {
    const name = uniqueName('xa');
    await on(driver)(['run', '-d', '--name', name, '--network', 'none', IMAGE, 'sh', '-c', 'echo appended >> /t/x; touch /ready; sleep 1000']);
    try {
      const rootfs = (await on(driver)(['inspect', '--format', '{{.GraphDriver.Data.RootfsPath}}', name])).stdout;
      await on(driver)(['exec', name, 'sh', '-c', 'until test -e /ready; do sleep 0.1; done']);
      const read = await inNamespace(driver, ['getfattr', '--only-values', '-n', 'user.skiff', join(rootfs, 't', 'x')]);
      t.is(read.stdout, 'conformance', read.stderr);
      t.is((await on(driver)(['exec', name, 'cat', '/t/x'])).stdout, 'xattr\nappended');
    } finally {
      await on(driver)(['rm', '-f', '-t', '0', name]);
    }
  },

  'files owned by uid 1000 in the image are 1000 inside, and that user can use them': async (t, driver) => {
    t.deepEqual((await run(driver, 'stat -c "%u:%g %a" /t/own /t/own/f /t/keep')).lines, ['1000:1000 750', '1000:1000 600', '0:0 644']);
    t.deepEqual((await run(driver, 'cat /t/own/f; echo new > /t/own/g && stat -c %u:%g /t/own/g', ['--user', '1000:1000'])).lines, ['mine', '1000:1000']);
    // Root writes into it too: the owner is kept on copy-up of the directory.
    t.deepEqual((await run(driver, 'touch /t/own/r && stat -c "%u:%g %a" /t/own /t/own/r')).lines, ['1000:1000 750', '0:0 644']);
  },

  'diff, export and commit of a container show its changes, deletions and replaced directory': async (t, driver) => {
    const name = uniqueName('dx');
    const changes = 'echo a > /t/added; rm /t/keep; rm -r /t/opq; mkdir /t/opq; echo n > /t/opq/fresh; echo c >> /t/h1';
    await on(driver)(['run', '--name', name, '--network', 'none', IMAGE, 'sh', '-c', changes]);
    const diff = (await on(driver)(['diff', name])).lines;
    for (const line of ['A /t/added', 'D /t/keep', 'A /t/opq/fresh', 'C /t/h1']) t.true(diff.includes(line), `${line} in\n${diff.join('\n')}`);
    t.deepEqual(diff.filter((line) => line.includes('/.wh.')), [], 'no whiteout or opaque marker shows as a change');

    const tarball = join(work, `${name}-${driver}.tar`);
    await on(driver)(['export', '-o', tarball, name]);
    const names = (await execa('tar', ['-tf', tarball])).stdout.split('\n').map((n) => n.replace(/\/$/, ''));
    for (const present of ['t/added', 't/opq/fresh', 't/h1', 't/own/f']) t.true(names.includes(present), `${present} exported`);
    for (const absent of ['t/keep', 't/opq/new', 't/opq/old', 't/del', 't/deldir']) t.false(names.includes(absent), `${absent} not exported`);
    t.is((await execa('tar', ['-xOf', tarball, 't/h1'])).stdout, 'linked\nc');

    const image = `localhost/${name}:committed`;
    await on(driver)(['commit', '-q', name, image]);
    const committed = await on(driver)(['run', '--rm', '--network', 'none', image, 'sh', '-c', 'ls -A /t/opq; cat /t/added; test -e /t/keep || echo no-keep; cat /t/h1']);
    t.deepEqual(committed.lines, ['fresh', 'a', 'no-keep', 'linked', 'c']);
    await on(driver)(['rm', name]);
  },
};

for (const driver of Object.keys(DRIVERS) as Driver[]) {
  for (const [title, body] of Object.entries(CASES)) test(title, conformance, driver, body);
}
