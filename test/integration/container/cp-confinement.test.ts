// `skiff cp` never resolves a container's path on the host. A container
// controls its own links: absolute ones, `..` chains, links to links, a
// link as the destination directory or as a parent of the source, and
// links it swaps in while cp runs. Each case has sentinels outside the
// store (a file holding a secret and a directory with one member, owned by
// the test user, so the namespaced root cp runs as could write them) and
// the same path inside the container holding the container's own content:
// a cp that resolves inside the root gets the container's file, one that
// resolves on the host gets the secret or writes to the host.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN, poll, sleep, uniqueName } from '../../helpers/skiff.js';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { makeTar } from '../../fixtures/oci-image.js';

const env = useBusyboxEnv();
// A store keeps the driver it was made with: vfs gets its own.
const envs = { overlay: env, vfs: useBusyboxEnv() };
let work: string;
let sentinelFile: string;
let sentinelDir: string;
const SECRET = `SKIFF-HOST-SECRET-${randomBytes(8).toString('hex')}`;
const OWN = 'container-own-content';

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skcpc-'));
  sentinelFile = join(work, 'host', 'secret');
  sentinelDir = join(work, 'host', 'dir');
  await mkdir(sentinelDir, { recursive: true });
  await writeFile(sentinelFile, `${SECRET}\n`);
  await writeFile(join(sentinelDir, 'keep'), `${SECRET}\n`);
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function assertSentinels(t: ExecutionContext): Promise<void> {
  t.is(await readFile(sentinelFile, 'utf8'), `${SECRET}\n`, 'the host file is untouched');
  t.deepEqual(await readdir(sentinelDir), ['keep'], 'nothing added to or removed from the host directory');
  t.is(await readFile(join(sentinelDir, 'keep'), 'utf8'), `${SECRET}\n`);
}

/** Every file under `dir` (not following links), with its content. */
async function filesUnder(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = join(d, name);
      const st = await lstat(p);
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) out.push([p, await readFile(p, 'utf8')]);
    }
  };
  await walk(dir);
  return out;
}

/**
 * A running container whose links point at the host sentinels' paths, and
 * which holds its own files at those very paths (so in-root resolution has
 * something to find): /abs, /dots, /hop -> /abs, /pdir -> the host dir,
 * /dst -> the host dir, /tree/l -> the host file.
 */
async function craftedContainer(): Promise<string> {
  const name = uniqueName('cpconf');
  const climb = '../'.repeat(12);
  const script = [
    `mkdir -p ${sentinelDir} && echo ${OWN} > ${sentinelFile} && echo ${OWN} > ${sentinelDir}/keep`,
    `ln -s ${sentinelFile} /abs`,
    `ln -s ${climb}${sentinelFile.slice(1)} /dots`,
    'ln -s /abs /hop',
    `ln -s ${sentinelDir} /pdir`,
    `ln -s ${climb}${sentinelDir.slice(1)} /dst`,
    `mkdir /tree && ln -s ${sentinelFile} /tree/l`,
    'touch /ready; exec sleep 600',
  ].join(' && ');
  await env.skiff(['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', script]);
  await waitReady(name);
  return name;
}

/** Waits until the container has made /ready (its setup is done). */
async function waitReady(name: string, store: { skiff: typeof env.skiff } = env): Promise<void> {
  const ready = await poll(() => store.skiff(['cp', `${name}:/ready`, join(work, `${name}.ready`)]).then(() => true, () => false), 20_000, 200);
  if (!ready) throw new Error(`${name} never got ready`);
}

/** What the container sees at `path`, read through cp to stdout (a tar; its file's content). */
async function containerFile(name: string, path: string): Promise<string> {
  const out = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'cp', `${name}:${path}`, '-'], { encoding: 'buffer' });
  const x = await execa('tar', ['-xO'], { input: Buffer.from(out.stdout as Uint8Array) });
  return x.stdout;
}

test.serial('copying out through absolute links, .. chains and links to links reads the container\'s files, never the host\'s', async (t) => {
  const name = await craftedContainer();
  try {
    for (const path of ['/abs', '/dots', '/hop', '/pdir/keep', `${sentinelDir}/keep`]) {
      const dest = join(work, 'out', name, path.replace(/\//g, '_'));
      await mkdir(join(work, 'out', name), { recursive: true });
      await env.skiff(['cp', `${name}:${path}`, dest]);
      t.is(await readFile(dest, 'utf8'), `${OWN}\n`, path);
    }
    // A link inside a copied directory is copied as a link, its target never read.
    const tree = join(work, 'out', name, 'tree');
    await env.skiff(['cp', `${name}:/tree`, tree]);
    t.is(await readlink(join(tree, 'l')), sentinelFile);
    t.deepEqual(await filesUnder(tree), []);
    // To stdout as well.
    t.is(await containerFile(name, '/hop'), OWN);
    await assertSentinels(t);
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

test.serial('copying in through a symlinked destination directory, absolute links and links to links writes inside the container', async (t) => {
  const name = await craftedContainer();
  try {
    const payload = join(work, 'payload');
    await writeFile(payload, 'payload\n');
    await mkdir(join(work, 'payload-dir'), { recursive: true });
    await writeFile(join(work, 'payload-dir', 'planted'), 'planted\n');
    await env.skiff(['cp', payload, `${name}:/dst`]); // /dst -> (..)/host/dir: into the container's copy of that directory
    await env.skiff(['cp', payload, `${name}:/pdir/`]);
    await env.skiff(['cp', join(work, 'payload-dir'), `${name}:/dst`]);
    await env.skiff(['cp', payload, `${name}:/abs`]); // over the file the link names: the container's
    await env.skiff(['cp', payload, `${name}:/hop`]);
    await assertSentinels(t);
    t.is(await containerFile(name, `${sentinelDir}/payload`), 'payload');
    t.is(await containerFile(name, `${sentinelDir}/payload-dir/planted`), 'planted');
    t.is(await containerFile(name, sentinelFile), 'payload');
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

test.serial('a tar on stdin cannot climb out or plant a link and write through it; a hard link resolves inside the container', async (t) => {
  const name = await craftedContainer();
  try {
    const attempts: Array<[string, Buffer]> = [
      ['a ../ name', await makeTar([{ name: `../../../../../../../../..${sentinelDir}/planted`, type: 'file', content: 'x' }])],
      ['a link entry, then a file below it', await makeTar([
        { name: 'esc', type: 'symlink', linkname: sentinelDir },
        { name: 'esc/planted', type: 'file', content: 'x' },
      ])],
      ['a directory entry over a link to a host directory', await makeTar([
        { name: 'dst', type: 'directory' },
        { name: 'dst/planted', type: 'file', content: 'x' },
      ])],
    ];
    for (const [what, tar] of attempts) {
      const r = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'cp', '-', `${name}:/`], { input: tar, reject: false });
      t.is(r.exitCode, 125, `${what}: ${r.stderr}`);
      t.regex(r.stderr, /^Error: /, what);
      await assertSentinels(t);
    }
    // A hard link's target is looked up inside the destination: the container's file at the host file's path.
    const hl = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'cp', '-', `${name}:/`], {
      input: await makeTar([{ name: 'hl', type: 'link', linkname: sentinelFile }]),
      reject: false,
    });
    t.is(hl.exitCode, 0, hl.stderr);
    t.is(await containerFile(name, '/hl'), OWN);
    await assertSentinels(t);
    // Refused does not mean followed: the container's own directory did not get the file either.
    const listed = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'cp', `${name}:${sentinelDir}/.`, '-'], { encoding: 'buffer' });
    const names = (await execa('tar', ['-t'], { input: Buffer.from(listed.stdout as Uint8Array) })).stdout.split('\n');
    t.false(names.some((n) => n.includes('planted')));
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

const FILES = 100;
const RACE_FOR_MS = 4_000;

/**
 * Swaps, as fast as sh can: /w/d between a directory (of the container's
 * own files) and a link to the host directory, and /w/f between a file and
 * a link to the host file.
 */
const swapLoop = () => `mkdir -p /w/d && cd /w && for n in $(seq ${FILES}); do echo ${OWN} > d/f$n; done; touch /ready
while :; do
  busybox mv d d.real && busybox ln -s ${sentinelDir} d
  echo ${OWN} > t && busybox mv -f t f
  rm d && busybox mv d.real d
  busybox ln -sf ${sentinelFile} f
done`;

for (const driver of ['overlay', 'vfs'] as const) {
  test.serial(`${driver}: repeated copies in and out while the container swaps paths for links to host paths`, async (t) => {
    const name = uniqueName(`cprace-${driver}`);
    await envs[driver].skiff(['--storage-driver', driver, 'run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', swapLoop()]);
    try {
      await waitReady(name, envs[driver]);
      const payload = join(work, `${name}-payload`);
      await mkdir(join(payload, 'd'), { recursive: true });
      for (let n = 1; n <= 5; n++) await writeFile(join(payload, 'd', `p${n}`), 'payload\n');
      await writeFile(join(payload, 'f'), 'payload\n');
      // Entries that alternate between d/ and the top, so each one looks d up again: many chances per copy for a swap to land between a check and a use.
      const alternating = await makeTar(Array.from({ length: 1000 }, (_, i) => ({ name: i % 2 ? `top${i}` : `d/p${i}`, type: 'file' as const, content: 'payload\n' })));
      const deadline = Date.now() + RACE_FOR_MS;
      let rounds = 0;
      let leaked = 0;
      let copiedOut = 0;
      while (Date.now() < deadline || rounds < 3) {
        const out = join(work, `${name}-out-${rounds}`);
        const r = await envs[driver].skiff(['cp', `${name}:/w`, out]).catch((err: Error) => err);
        if (!(r instanceof Error)) copiedOut++;
        for (const [, content] of await filesUnder(out).catch(() => [])) if (content.includes(SECRET)) leaked++;
        // Into the swapping directory, and a tree whose d/ and f meet the swapped entries (refusals are fine).
        await envs[driver].skiff(['cp', join(payload, 'f'), `${name}:/w/d/`]).catch(() => undefined);
        await envs[driver].skiff(['cp', '--overwrite', `${payload}/.`, `${name}:/w`]).catch(() => undefined);
        await execa(SKIFF_BIN, ['--root', envs[driver].root, '--runroot', envs[driver].runroot, 'cp', '-', `${name}:/w`], { input: alternating, reject: false });
        await rm(out, { recursive: true, force: true });
        rounds++;
        if (Date.now() > deadline + 20_000) break;
      }
      t.log(`${rounds} rounds, ${copiedOut} copies out succeeded, ${leaked} leaked`);
      t.is(leaked, 0, "copies holding a host file's content");
      t.true(copiedOut >= 1, 'copies out ran');
      await assertSentinels(t);
    } finally {
      await envs[driver].skiff(['rm', '-f', '-t', '0', name]);
    }
  });
}

/** Writes half of a large tar into `cp - CONTAINER:/dst`, then SIGKILLs the CLI the user ran. */
async function killMidCopy(t: ExecutionContext, name: string): Promise<void> {
  const big = Buffer.alloc(8 << 20, 7);
  const tar = await makeTar(Array.from({ length: 8 }, (_, i) => ({ name: `big${i}`, type: 'file' as const, content: big })));
  const child = execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'cp', '-', `${name}:/tmp`], { reject: false, stdin: 'pipe' });
  child.stdin!.write(tar.subarray(0, tar.length / 2));
  await sleep(1_500);
  child.kill('SIGKILL');
  const r = await child;
  t.is(r.signal, 'SIGKILL', 'killed mid-copy, not finished');
}

/** The pause process's mounts (the namespace cp mounts in). */
async function pauseMounts(): Promise<string> {
  const { pid } = JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number };
  return readFile(`/proc/${pid}/mountinfo`, 'utf8');
}

test.serial('cp into a running container killed -9: the lock is free, and stop and rm work', async (t) => {
  const name = uniqueName('cpkill');
  await env.skiff(['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sleep', '600']);
  await killMidCopy(t, name);
  const again = join(work, 'again');
  await writeFile(again, 'again\n');
  // Within the lock timeout: a lock left held would make this wait and fail.
  await env.skiff(['cp', again, `${name}:/tmp/again`], { timeout: 20_000 });
  t.is(await containerFile(name, '/tmp/again'), 'again');
  t.regex((await env.skiff(['ps', '--format', '{{.Names}} {{.Status}}'])).stdout, new RegExp(`${name} Up`));
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('cp into a stopped container killed -9: the next start and rm clean up its mount', async (t) => {
  const name = uniqueName('cpkills');
  await env.skiff(['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'cat', '/tmp/again']);
  const id = (await env.skiff(['inspect', '--format', '{{.Id}}', name])).stdout;
  await killMidCopy(t, name);
  await sleep(500); // the namespaced CLI ends with its parent
  t.true((await pauseMounts()).includes(id), 'killed while the stopped container\'s root filesystem was mounted for the copy');
  const again = join(work, 'again-stopped');
  await writeFile(again, 'again\n');
  await env.skiff(['cp', again, `${name}:/tmp/again`], { timeout: 20_000 });
  t.is((await env.skiff(['start', '-a', name])).stdout, 'again');
  await env.skiff(['rm', name]);
  t.false((await pauseMounts()).includes(id), 'no mount of the container is left');
});
