import test from 'ava';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  deserializeError, extractBlob, extractBlobOffThread, extractWorkerAvailable, serializeError,
} from '../../../../src/image/layer/extract-blob.js';
import { SkiffError } from '../../../../src/util/errors.js';

// The pull extracts layers in worker threads; these cases hold the worker
// to the in-thread extractor: the same tree, the same diff id, the same errors.

const OPTIONS = { chown: false, whiteouts: 'none', label: 'sha256:test' } as const;
const T0 = new Date('2001-02-03T04:05:06Z');

async function gzTar(entries: Array<{ name: string; type?: tar.Header['type']; content?: string; mode?: number; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const e of entries) {
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, mtime: T0, linkname: e.linkname, size: content?.length ?? 0 }, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** Every path under root with its type, mode, mtime and content hash or link target. */
async function listing(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fsp.readdir(join(root, rel))).sort()) {
    const path = join(rel, name);
    const st = await fsp.lstat(join(root, path));
    const what = st.isSymbolicLink() ? `-> ${await fsp.readlink(join(root, path))}`
      : st.isFile() ? createHash('sha256').update(await fsp.readFile(join(root, path))).digest('hex') : 'dir';
    out.push(`${path} ${(st.mode & 0o7777).toString(8)} ${st.isSymbolicLink() ? '' : st.mtime.toISOString()} ${what} nlink=${st.isDirectory() ? '' : st.nlink}`);
    if (st.isDirectory()) out.push(...(await listing(root, path)));
  }
  return out;
}

async function withBlob(bytes: Buffer, fn: (blob: string, dirA: string, dirB: string) => Promise<void>): Promise<void> {
  const work = await fsp.mkdtemp(join(tmpdir(), 'skiff-xblob-'));
  try {
    await fsp.writeFile(join(work, 'blob'), bytes);
    await fsp.mkdir(join(work, 'a'));
    await fsp.mkdir(join(work, 'b'));
    await fn(join(work, 'blob'), join(work, 'a'), join(work, 'b'));
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

test('the worker script is in place, so the cases below compare two paths', (t) => {
  t.true(extractWorkerAvailable());
});

test('the worker thread and this thread extract the same tree with the same diff id', async (t) => {
  const blob = await gzTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/os-release', content: 'ID=test\n' },
    { name: 'bin/', type: 'directory', mode: 0o750 },
    { name: 'bin/tool', content: 'x'.repeat(300_000), mode: 0o4755 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
    { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
    { name: 'ro/', type: 'directory', mode: 0o555 },
    { name: 'ro/inside', content: 'in a read-only dir', mode: 0o400 },
  ]);
  await withBlob(blob, async (path, a, b) => {
    const here = await extractBlob(path, a, OPTIONS);
    const there = await extractBlobOffThread(path, b, OPTIONS);
    t.deepEqual(there, here);
    t.regex(here.diffId, /^sha256:[0-9a-f]{64}$/);
    const [la, lb] = [await listing(a), await listing(b)];
    t.is(la.length, 8);
    t.deepEqual(lb, la);
    await fsp.chmod(join(a, 'ro'), 0o755);
    await fsp.chmod(join(b, 'ro'), 0o755);
  });
});

test('an escaping entry is refused in the worker with the same error code and message', async (t) => {
  const blob = await gzTar([{ name: 'ok', content: 'fine' }, { name: '../escape', content: 'out' }]);
  await withBlob(blob, async (path, a, b) => {
    const here = await t.throwsAsync(extractBlob(path, a, OPTIONS), { instanceOf: SkiffError });
    const there = await t.throwsAsync(extractBlobOffThread(path, b, OPTIONS), { instanceOf: SkiffError });
    t.is((there as SkiffError).code, 'ELAYERESCAPE');
    t.is((there as SkiffError).code, (here as SkiffError).code);
    t.is(there!.message, here!.message);
    await t.throwsAsync(fsp.access(join(a, '..', 'escape')));
  });
});

test('a truncated gzip layer is ECORRUPT in the worker too', async (t) => {
  const good = await gzTar([{ name: 'big', content: 'y'.repeat(1_000_000) + Math.random() }]);
  await withBlob(good.subarray(0, good.length - 64), async (path, _a, b) => {
    const err = await t.throwsAsync(extractBlobOffThread(path, b, OPTIONS), { instanceOf: SkiffError });
    t.regex((err as SkiffError).code, /^(ECORRUPT|ELAYERTRUNCATED)$/);
  });
});

test('an abort stops the worker and rejects only after the thread has exited', async (t) => {
  const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `f${i}`, content: `file ${i}` }));
  await withBlob(await gzTar(entries), async (path, _a, b) => {
    const controller = new AbortController();
    const running = extractBlobOffThread(path, b, OPTIONS, controller.signal);
    setTimeout(() => controller.abort(new SkiffError('ECANCELED', 'stopped')), 20);
    await t.throwsAsync(running, { message: 'stopped' });
    const count = (await fsp.readdir(b)).length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.is((await fsp.readdir(b)).length, count, 'nothing written after the rejection');
  });
});

test('errors keep code, hint and an errno cause through serialization', (t) => {
  const errno = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const back = deserializeError(serializeError(new SkiffError('ECORRUPT', 'layer x is corrupt', { hint: 'retry', cause: errno })));
  t.true(back instanceof SkiffError);
  t.is((back as SkiffError).code, 'ECORRUPT');
  t.is((back as SkiffError).hint, 'retry');
  t.is(((back as SkiffError).cause as NodeJS.ErrnoException).code, 'ENOSPC');
});
