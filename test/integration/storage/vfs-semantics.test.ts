// The vfs driver applies layers with overlay's semantics: an upper entry of
// another type replaces the lower one entirely, directories merge (the upper
// one's metadata wins), whiteouts delete, opaque directories hide what lower
// layers put in them. For each crafted image the container's view of /t on
// vfs must equal its view on overlay, and `export` must give the same tree
// on both drivers, before and after the container ran.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { execa } from 'execa';
import tar from 'tar-stream';
import { buildImageOfLayers, type TarEntry } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
// A store keeps the driver it was made with: vfs gets its own.
let vfsEnv: TestEnv;
let work: string;

const f = (name: string, content = `${name}\n`, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'file', content, ...extra });
const d = (name: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'directory', ...extra });
const l = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });
const whiteout = (name: string): TarEntry => f(name, '');

const cases: Array<{ title: string; layers: TarEntry[][] }> = [
  {
    title: 'a whiteout deletes a lower directory tree',
    layers: [[d('t'), d('t/d'), f('t/d/a'), d('t/d/sub'), f('t/d/sub/b'), f('t/other')], [d('t'), whiteout('t/.wh.d')]],
  },
  { title: 'a file becomes a directory', layers: [[d('t'), f('t/x')], [d('t'), d('t/x'), f('t/x/inner')]] },
  { title: 'a directory becomes a file', layers: [[d('t'), d('t/y'), f('t/y/a')], [d('t'), f('t/y', 'now a file\n')]] },
  {
    title: 'a symlink becomes a directory and its target is untouched',
    layers: [[d('t'), d('t/target'), f('t/target/a'), l('t/z', 'target')], [d('t'), d('t/z'), f('t/z/own')]],
  },
  {
    title: 'a directory becomes a symlink',
    layers: [[d('t'), d('t/w'), f('t/w/a'), d('t/target'), f('t/target/b')], [d('t'), l('t/w', 'target')]],
  },
  {
    title: 'a symlink becomes a file and the file it pointed to is untouched',
    layers: [[d('t'), f('t/target', 'target\n'), l('t/s', 'target')], [d('t'), f('t/s', 'own\n')]],
  },
  {
    title: 'an opaque directory hides lower contents',
    layers: [
      [d('t'), d('t/o'), f('t/o/a'), d('t/o/sub'), f('t/o/sub/b')],
      [d('t'), d('t/o'), whiteout('t/o/.wh..wh..opq'), f('t/o/c')],
    ],
  },
  {
    title: 'an opaque directory and a whiteout with a space and a backslash in their names',
    layers: [
      [d('t'), d('t/o p\\q'), f('t/o p\\q/a'), f('t/w h'), f('t/kept')],
      [d('t'), d('t/o p\\q'), whiteout('t/o p\\q/.wh..wh..opq'), f('t/o p\\q/c'), whiteout('t/.wh.w h')],
    ],
  },
  {
    title: "directories merge and the upper one's owner and mode win",
    layers: [
      [d('t'), d('t/m'), f('t/m/a')],
      [d('t'), d('t/m', { mode: 0o700, uid: 1000, gid: 1000 }), f('t/m/b', 'b\n', { mode: 0o640, uid: 1000, gid: 1000 })],
    ],
  },
  {
    title: 'replacing one name of a hard link leaves the other name alone',
    layers: [[d('t'), f('t/h1', 'shared\n'), { name: 't/h2', type: 'link', linkname: 't/h1' }], [d('t'), f('t/h1', 'replaced\n')]],
  },
  {
    title: 'deleted in one layer, back as a file in the next',
    layers: [[d('t'), d('t/r'), f('t/r/a')], [d('t'), whiteout('t/.wh.r')], [d('t'), f('t/r', 'back\n')]],
  },
  {
    title: 'modes, owners and set-id bits are kept',
    layers: [
      [d('t'), f('t/suid', 'suid\n', { mode: 0o4755 }), f('t/user', 'u\n', { uid: 1000, gid: 1000, mode: 0o600 }), d('t/sticky', { mode: 0o1777 })],
      [d('t'), f('t/later', 'later\n', { mode: 0o2750, gid: 1000 })],
    ],
  },
];

/** Every path under /t with its type, mode, owner, mtime and content or link target. */
const LIST = `cd /t && find . | sort | while read -r p; do
  if [ -L "$p" ]; then echo "$p link $(readlink "$p") $(stat -c '%u:%g' "$p")"
  elif [ -d "$p" ]; then echo "$p dir $(stat -c '%a %u:%g %Y' "$p")"
  elif [ -f "$p" ]; then echo "$p file $(stat -c '%a %u:%g %Y' "$p") $(cat "$p")"
  else echo "$p other $(stat -c '%F' "$p")"; fi
done`;

test.before(async () => {
  env = await newTestEnv();
  vfsEnv = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skvfs-'));
  const layout = join(work, 'layout');
  for (const [i, c] of cases.entries()) await buildImageOfLayers(layout, `localhost/vfs-sem-${i}:latest`, c.layers);
  await env.skiff(['load', '-q', '-i', layout]);
  await vfsEnv.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  await vfsEnv?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The tar's entries below t/, each as one comparable line. */
async function exportedTree(path: string): Promise<string[]> {
  const lines: string[] = [];
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), extract);
  for await (const entry of extract) {
    const h = entry.header;
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    if (!h.name.startsWith('t/') && h.name !== 't') continue;
    const what = h.type === 'symlink' || h.type === 'link' ? `-> ${h.linkname}` : Buffer.concat(chunks).toString();
    lines.push(`${h.name} ${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${h.mtime?.getTime()} ${h.devmajor ?? ''}${what}`);
  }
  await feeding;
  return lines;
}

const storeOf = (driver: 'vfs' | 'overlay') => (driver === 'vfs' ? vfsEnv : env);
const skiffOn = (driver: 'vfs' | 'overlay', args: string[]) => storeOf(driver).skiff(['--storage-driver', driver, ...args]);

for (const [i, c] of cases.entries()) {
  const image = `localhost/vfs-sem-${i}`;

  test.serial(`run: vfs shows what overlay shows: ${c.title}`, async (t) => {
    const view = async (driver: 'vfs' | 'overlay') => (await skiffOn(driver, ['run', '--rm', '--network', 'none', image, 'sh', '-c', LIST])).stdout;
    const overlay = await view('overlay');
    t.log(overlay);
    t.is(await view('vfs'), overlay);
  });

  test.serial(`export: vfs gives the tree overlay gives, before and after a start: ${c.title}`, async (t) => {
    const exported = async (driver: 'vfs' | 'overlay', started: boolean) => {
      const name = `sem-${i}-${driver}-${started ? 'ran' : 'new'}`;
      await skiffOn(driver, started ? ['run', '--name', name, '--network', 'none', image, 'true'] : ['create', '--name', name, '--network', 'none', image]);
      const out = join(work, `${name}.tar`);
      await storeOf(driver).skiff(['export', '-o', out, name]);
      await storeOf(driver).skiff(['rm', name]);
      return exportedTree(out);
    };
    const overlay = await exported('overlay', false);
    t.log(overlay.join('\n'));
    t.true(overlay.length > 1);
    t.deepEqual(await exported('vfs', false), overlay, 'never started');
    t.deepEqual(await exported('vfs', true), overlay, 'after a run');
  });
}

test.serial('a vfs rootfs keeps no whiteout device and no overlay xattr', async (t) => {
  for (const i of [0, 6, 7, 10]) {
    const name = `marks-${i}`;
    await skiffOn('vfs', ['run', '--name', name, '--network', 'none', `localhost/vfs-sem-${i}`, 'true']);
    const rootfs = (await vfsEnv.skiff(['inspect', '--format', '{{.GraphDriver.Data.RootfsPath}}', name])).stdout;
    t.true(rootfs.startsWith(vfsEnv.root), rootfs);
    const devices = await execa('find', [rootfs, '-type', 'c'], { reject: false });
    t.is(devices.stdout + devices.stderr, '', `${cases[i].title}: no whiteout device left`);
    const xattrs = await execa('getfattr', ['-R', '-P', '-h', '--absolute-names', '-m', '^(user|trusted)\\.overlay\\.', rootfs], { reject: false });
    t.is(xattrs.stdout, '', `${cases[i].title}: no overlay xattr left`);
    await vfsEnv.skiff(['rm', name]);
  }
});
