// cp between a container and the host copies with pack.ts's walk feeding
// unpack-beneath.ts's writer directly (copyTree into openBeneathWriter), with
// no tar between. These cases check that the direct path writes the same
// tree as the tar path (packTree | unpackBeneath) does: contents (empty,
// small, over the 1 MiB single-read size), modes, times, symlinks, hard
// links, nested directories; and that its writer keeps the tar path's
// confinement and overwrite rules. Runs as an unprivileged user (owner 'none').
import test from 'ava';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { copyTree, packTree } from '../../../../src/image/layer/pack.js';
import { OverwriteError, openBeneathWriter, unpackBeneath } from '../../../../src/image/layer/unpack-beneath.js';
import { LayerEscapeError } from '../../../../src/image/layer/secure-path.js';
import { DirHandle } from '../../../../src/util/dir-handle.js';

const T0 = new Date('2001-02-03T04:05:06Z');
const T1 = new Date('2011-12-13T14:15:16Z');

async function sandbox(): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), 'skiff-copytree-'));
}

/** A source tree with every kind of entry cp carries. */
async function makeSource(dir: string): Promise<void> {
  await fsp.mkdir(join(dir, 'a/b/c'), { recursive: true });
  await fsp.writeFile(join(dir, 'empty'), '');
  await fsp.writeFile(join(dir, 'a/small'), 'small file\n');
  const big = Buffer.alloc((3 << 20) + 12345);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
  await fsp.writeFile(join(dir, 'a/b/big'), big);
  await fsp.chmod(join(dir, 'a/b/big'), 0o750);
  await fsp.writeFile(join(dir, 'a/b/c/exec'), '#!/bin/sh\n');
  await fsp.chmod(join(dir, 'a/b/c/exec'), 0o4755);
  await fsp.symlink('../../etc/passwd', join(dir, 'a/link'));
  await fsp.link(join(dir, 'a/small'), join(dir, 'hard'));
  await fsp.chmod(join(dir, 'a/b'), 0o711);
  for (const p of ['empty', 'a/small', 'a/b/big', 'a/b/c/exec']) await fsp.utimes(join(dir, p), T0, T0);
  await fsp.lutimes(join(dir, 'a/link'), T1, T1);
  for (const p of ['a/b/c', 'a/b', 'a']) await fsp.utimes(join(dir, p), T1, T1);
}

/** Everything about a tree that cp keeps: per path, type, mode, mtime (not of symlinks), content or target, and hard-link groups. */
async function describe(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await fsp.lstat(join(root, path));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[path] = `dir ${mode} ${st.mtime.toISOString()}`;
        await walk(path);
      } else if (st.isSymbolicLink()) {
        out[path] = `link -> ${await fsp.readlink(join(root, path))}`;
      } else {
        const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
        if (st.nlink > 1 && !first) inodes.set(st.ino, path);
        const content = await fsp.readFile(join(root, path));
        out[path] = `file ${mode} ${st.mtime.toISOString()} ${content.length} ${content.subarray(0, 64).toString('hex')}${first ? ` same as ${first}` : ''}`;
      }
    }
  };
  await walk('');
  return out;
}

async function copyDirect(src: string, dst: string, overwrite = false): Promise<void> {
  const from = DirHandle.open(src);
  const into = DirHandle.open(dst);
  const writer = openBeneathWriter(into, { owner: 'none', overwrite });
  try {
    await copyTree(writer, (p) => p.walk(from, ''));
    writer.finish();
  } finally {
    writer.close();
    from.close();
    into.close();
  }
}

async function copyThroughTar(src: string, dst: string): Promise<void> {
  const from = DirHandle.open(src);
  const into = DirHandle.open(dst);
  const stream = new PassThrough();
  try {
    await Promise.all([unpackBeneath(stream, into, { owner: 'none', overwrite: false }), packTree(stream, (p) => p.walk(from, ''))]);
  } finally {
    from.close();
    into.close();
  }
}

test('the direct copy writes the tree the tar path writes, and the source as it is', async (t) => {
  const dir = await sandbox();
  try {
    const src = join(dir, 'src');
    await fsp.mkdir(src);
    await makeSource(src);
    for (const d of ['direct', 'tar']) await fsp.mkdir(join(dir, d));
    await copyDirect(src, join(dir, 'direct'));
    await copyThroughTar(src, join(dir, 'tar'));
    const direct = await describe(join(dir, 'direct'));
    t.deepEqual(direct, await describe(join(dir, 'tar')));
    t.deepEqual(direct, await describe(src));
    t.regex(direct['hard']!, /same as a\/small$/);
    t.is((await fsp.readFile(join(dir, 'direct/a/b/big'))).length, (3 << 20) + 12345);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('the writer never follows a symlink already in the destination, and keeps the overwrite rule', async (t) => {
  const dir = await sandbox();
  try {
    const outside = join(dir, 'outside');
    const dst = join(dir, 'dst');
    await fsp.mkdir(outside);
    await fsp.mkdir(dst);
    // The destination holds a link where the copy puts a directory, and one where it puts a file.
    await fsp.symlink(outside, join(dst, 'a'));
    await fsp.symlink(join(outside, 'planted'), join(dst, 'empty'));
    const src = join(dir, 'src');
    await fsp.mkdir(src);
    await makeSource(src);
    await t.throwsAsync(copyDirect(src, dst), { instanceOf: OverwriteError });
    await fsp.rm(join(dst, 'a'));
    const into = DirHandle.open(dst);
    const writer = openBeneathWriter(into, { owner: 'none', overwrite: false });
    try {
      // A file under a link to outside: refused, never written through.
      await fsp.symlink(outside, join(dst, 'via'));
      t.throws(() => writer.entry({ name: 'via/x', type: 'file', size: 1, mode: 0o644 }, Buffer.from('x')), { instanceOf: LayerEscapeError });
      // A file where a link stands: the link is replaced, its target untouched.
      writer.entry({ name: 'empty', type: 'file', size: 2, mode: 0o644 }, Buffer.from('ok'));
    } finally {
      writer.close();
      into.close();
    }
    t.deepEqual(await fsp.readdir(outside), []);
    t.is(await fsp.readFile(join(dst, 'empty'), 'utf8'), 'ok');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
