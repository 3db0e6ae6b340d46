// Bad input that used to surface as a raw system error or be accepted:
// each must be one `Error:` line with exit 125 and change nothing.
// - a container name longer than a file name may be (was ENAMETOOLONG)
// - `import` of an empty file (was an empty image)
// - `tag` to a name with a digest (was accepted)
// - `--runtime` naming a missing or non-executable file (was "runc exited with code 125")
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
let work: string;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skce-'));
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const oneLine = (t: import('ava').ExecutionContext, stderr: string) => {
  t.regex(stderr, /^Error: \S/);
  t.is(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
};
const containers = async () => (await env.skiff(['ps', '-aq', '--no-trunc'])).lines;
const imageIds = async () => (await env.skiff(['images', '-q', '--no-trunc'])).lines.sort();
const list = async (dir: string) => (await readdir(join(env.root, dir)).catch(() => [] as string[])).sort();

test.serial('create --name longer than 253 characters is refused before anything is stored; 253 works', async (t) => {
  const before = { ids: await containers(), dirs: await list('containers') };
  const r = await env.skiff(['create', '--name', 'a'.repeat(300), BUSYBOX_IMAGE, 'true'], { exit: 125 });
  oneLine(t, r.stderr);
  t.regex(r.stderr, /name .*too long.*253/);
  t.notRegex(r.stderr, /ENAMETOOLONG/);
  t.deepEqual(await containers(), before.ids);
  t.deepEqual(await list('containers'), before.dirs);
  const longest = 'b'.repeat(253);
  await env.skiff(['create', '--name', longest, BUSYBOX_IMAGE, 'true']);
  t.true((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines.includes(longest));
  await env.skiff(['rm', longest]);
});

test.serial('import of an empty file or empty stdin is refused and stores nothing', async (t) => {
  const empty = join(work, 'empty.tar');
  await writeFile(empty, '');
  const before = { ids: await imageIds(), blobs: await list('blobs/sha256'), layers: await list('layers') };
  const r = await env.skiff(['import', empty, 'localhost/empty'], { exit: 125 });
  oneLine(t, r.stderr);
  t.regex(r.stderr, /empty/);
  const s = await env.skiff(['import', '-', 'localhost/empty'], { exit: 125, stdin: '' });
  oneLine(t, s.stderr);
  t.regex(s.stderr, /empty/);
  t.deepEqual(await imageIds(), before.ids);
  t.deepEqual(await list('blobs/sha256'), before.blobs);
  t.deepEqual(await list('layers'), before.layers);
});

test.serial('tag to a name with a digest is refused as podman does: tag by digest not supported', async (t) => {
  const digest = `sha256:${'0'.repeat(64)}`;
  const before = (await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}'])).lines.sort();
  for (const target of [`x:tag@${digest}`, `x@${digest}`]) {
    const r = await env.skiff(['tag', BUSYBOX_IMAGE, target], { exit: 125 });
    oneLine(t, r.stderr);
    t.regex(r.stderr, /tag by digest not supported/);
  }
  t.deepEqual((await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}'])).lines.sort(), before);
});

test.serial('--runtime naming a missing or non-executable file says so (podman: no valid executable found)', async (t) => {
  const before = await containers();
  for (const args of [['run', '--rm', BUSYBOX_IMAGE, 'true'], ['create', BUSYBOX_IMAGE, 'true']]) {
    const r = await env.skiff(['--runtime', '/nonexistent/runc', ...args], { exit: 125 });
    oneLine(t, r.stderr);
    t.regex(r.stderr, /no valid executable found for OCI runtime \/nonexistent\/runc: no such file/);
  }
  const notExec = join(work, 'runc');
  await writeFile(notExec, '#!/bin/sh\nexit 0\n');
  await chmod(notExec, 0o644);
  const r = await env.skiff(['--runtime', notExec, 'run', '--rm', BUSYBOX_IMAGE, 'true'], { exit: 125 });
  oneLine(t, r.stderr);
  t.regex(r.stderr, /no valid executable found for OCI runtime .*runc: permission denied/);
  t.deepEqual(await containers(), before);
});
