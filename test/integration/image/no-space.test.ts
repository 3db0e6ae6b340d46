// A full disk during load, import and pull: the error must say "no space
// left on device" (it used to call the archive corrupt, or the tarball not a
// tar), exit 125, and leave no temp data, blob, layer or image behind.
//
// The full disk is real: a small tmpfs mounted over the graph root inside
// skiff's own user+mount namespace (the pause process's), where the
// unprivileged test user is root and may mount tmpfs. The namespaced
// commands (load, import, pull) run in that namespace and so write to it.
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { execa } from 'execa';
import tar from 'tar-stream';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

const MIB = 1024 * 1024;
let env: TestEnv;
let work: string;
let layerTar5: string;
let layerTar20: string;

async function randomTar(path: string, mib: number): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path));
  pack.entry({ name: 'random.bin' }, randomBytes(mib * MIB));
  pack.finalize();
  await writing;
}

/** A docker-archive holding one image whose only layer is `layer`. */
async function dockerArchive(path: string, layer: string): Promise<void> {
  const { createHash } = await import('node:crypto');
  const bytes = await readFile(layer);
  const diffId = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } });
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path));
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'c.json', RepoTags: ['localhost/full:1'], Layers: ['l.tar'] }]));
  pack.entry({ name: 'c.json' }, config);
  pack.entry({ name: 'l.tar' }, bytes);
  pack.finalize();
  await writing;
}

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'sknospc-'));
  layerTar5 = join(work, 'l5.tar');
  layerTar20 = join(work, 'l20.tar');
  await randomTar(layerTar5, 5);
  await randomTar(layerTar20, 20);
  // Any namespaced command starts the pause process that holds the namespace.
  await env.skiff(['image', 'prune', '-f']);
});

test.after.always(async () => {
  await env?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

async function inNamespace(script: string): Promise<string> {
  const { pid } = JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number };
  const r = await execa('nsenter', [`--target=${pid}`, '--user', '--mount', 'sh', '-c', script], { reject: false });
  if (r.exitCode !== 0) throw new Error(`in the namespace: ${script}: ${r.stderr}`);
  return r.stdout;
}

/** Runs `fn` with the graph root on a fresh tmpfs of `mib` MiB, as skiff's namespace sees it. */
async function withFullRoot(mib: number, fn: () => Promise<void>): Promise<void> {
  await inNamespace(`mkdir -p '${env.root}' && mount -t tmpfs -o size=${mib}m,mode=0700 tmpfs '${env.root}'`);
  try {
    await fn();
  } finally {
    await inNamespace(`umount '${env.root}'`);
  }
}

/** What the store holds, as the namespace sees it. */
async function storeContents(): Promise<{ tmp: string[]; layers: string[]; blobs: string[]; images: number }> {
  const ls = async (dir: string) => (await inNamespace(`ls -A '${join(env.root, dir)}' 2>/dev/null || true`)).split('\n').filter(Boolean);
  const index = await inNamespace(`cat '${join(env.root, 'images', 'images.json')}' 2>/dev/null || true`);
  return {
    tmp: await ls('tmp'),
    layers: (await ls('layers')).filter((n) => !n.endsWith('.lock')),
    blobs: await ls('blobs/sha256'),
    images: index ? (JSON.parse(index) as { images: unknown[] }).images.length : 0,
  };
}

function assertNoSpace(t: import('ava').ExecutionContext, stderr: string): void {
  t.log(stderr.trim().split('\n').pop());
  t.regex(stderr, /^Error: .*no space left on device/m);
  t.is(stderr.split('\n').filter((l) => l.startsWith('Error')).length, 1, `one error line: ${stderr}`);
  t.notRegex(stderr, /corrupt|truncated|not a valid tar|ENOSPC/);
}

const EMPTY = { tmp: [], layers: [], blobs: [], images: 0 };

test.serial('load: the disk fills while the archive is unpacked', async (t) => {
  const archive = join(work, 'a20.tar');
  await dockerArchive(archive, layerTar20);
  await withFullRoot(8, async () => {
    const r = await env.skiff(['load', '-i', archive], { exit: 125 });
    assertNoSpace(t, r.stderr);
    t.deepEqual(await storeContents(), EMPTY);
  });
});

test.serial('load: the disk fills while a layer is extracted', async (t) => {
  const archive = join(work, 'a5.tar');
  await dockerArchive(archive, layerTar5);
  // 5 MiB unpacked + 5 MiB blob fit in 12; the extracted 5 MiB do not.
  await withFullRoot(12, async () => {
    const r = await env.skiff(['load', '-i', archive], { exit: 125 });
    assertNoSpace(t, r.stderr);
    t.deepEqual(await storeContents(), EMPTY);
  });
});

for (const [title, file, mib] of [['while the tarball is stored', () => layerTar20, 8], ['while the layer is extracted', () => layerTar5, 8]] as const) {
  test.serial(`import: the disk fills ${title}`, async (t) => {
    await withFullRoot(mib, async () => {
      const r = await env.skiff(['import', file(), 'localhost/full'], { exit: 125 });
      assertNoSpace(t, r.stderr);
      t.deepEqual(await storeContents(), EMPTY);
    });
  });
}

test.serial('pull: the disk fills while the layer is extracted', async (t) => {
  let reg: TestRegistry | undefined;
  const source = await newTestEnv();
  try {
    reg = await startRegistry();
    await source.skiff(['import', layerTar5, 'localhost/five']);
    await source.skiff(['push', '--tls-verify=false', 'localhost/five', `docker://${reg.host}/five:latest`]);
    await withFullRoot(8, async () => {
      const r = await env.skiff(['pull', '-q', '--tls-verify=false', `${reg!.host}/five:latest`], { exit: 125 });
      assertNoSpace(t, r.stderr);
      t.deepEqual(await storeContents(), { ...EMPTY, blobs: (await storeContents()).blobs });
      t.deepEqual((await storeContents()).tmp, []);
    });
  } finally {
    await source.cleanup();
    await reg?.stop();
  }
});
