// Without XDG_RUNTIME_DIR the run root is /tmp/skiff-run-UID, a path another
// local user can create first, with a runtime.json naming their own "runc"
// that skiff would then run as the victim. skiff refuses a run root that the
// user does not own or that others can write to (podman: "... is not owned by
// the current user"), before it reads anything cached there; and it never
// enters a pause process named in pause.pid that is not its own.
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { runSkiff } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** .ci/run has the second user skifftest2 make this, open to all, with its own runc in runtime.json. */
const PLANTED_BY_OTHER_USER = '/tmp/skiff-planted-runroot';

/** A run root made open to all, holding a runtime.json that names a runc which leaves a mark. */
async function plantOpenRunRoot(name: string): Promise<{ runroot: string; marker: string }> {
  const runroot = join(env.dir, name);
  await mkdir(runroot);
  await chmod(runroot, 0o777);
  const marker = join(env.dir, `${name}-runc-ran`);
  const runc = join(env.dir, `${name}-runc`);
  await writeFile(runc, `#!/bin/sh\ntouch ${marker}\nexec runc "$@"\n`, { mode: 0o755 });
  await writeFile(join(runroot, 'runtime.json'), JSON.stringify({ choice: { name: 'runc', path: runc, version: 'planted', notes: [] } }));
  return { runroot, marker };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function startTime(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((s) => Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]));
}

test.serial('a run root open to all (0777) is refused with one line, exit 125, and nothing run or written', async (t) => {
  const { runroot, marker } = await plantOpenRunRoot('open-run');
  const expected = `Error: run root "${runroot}" is writable by other users (mode 0777)`;
  // run goes through the engine; rm is re-executed inside the namespace before its flags are parsed.
  for (const args of [['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true'], ['rm', '-f', '-t', '0', 'x'], ['images']]) {
    const r = await runSkiff(['--root', env.root, '--runroot', runroot], args, { exit: 125 }, t);
    t.is(r.stderr, expected, args.join(' '));
  }
  t.false(await exists(marker), 'the planted runc ran');
  t.deepEqual(await readdir(runroot), ['runtime.json'], 'skiff wrote into the refused run root');
});

test.serial('a run root owned by another user is refused; one that cannot be made is a clean error', async (t) => {
  const r = await runSkiff(['--root', env.root, '--runroot', '/usr'], ['run', '--rm', BUSYBOX_IMAGE, 'true'], { exit: 125 }, t);
  t.is(r.stderr, 'Error: run root "/usr" is not owned by the current user');
  const made = await runSkiff(['--root', env.root, '--runroot', '/usr/skiff-run-test'], ['ps'], { exit: 125 }, t);
  t.is(made.stderr, 'Error: cannot create run root "/usr/skiff-run-test": permission denied');
});

test.serial('a run root another user planted (skifftest2, made by .ci/run) is refused before its runc runs', async (t) => {
  const planted = await stat(PLANTED_BY_OTHER_USER).catch(() => undefined);
  if (!planted) {
    // Only .ci/run (as root) can make another user's directory; CI must have it.
    if (process.env.CI) t.fail(`${PLANTED_BY_OTHER_USER} is missing: .ci/run makes it as skifftest2`);
    else t.pass(`skipped: ${PLANTED_BY_OTHER_USER} is made only by .ci/run`);
    return;
  }
  t.not(planted.uid, process.getuid!(), 'the planted run root must belong to another user');
  const before = await readdir(PLANTED_BY_OTHER_USER);
  for (const args of [['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true'], ['rm', '-f', '-t', '0', 'x']]) {
    const r = await runSkiff(['--root', env.root, '--runroot', PLANTED_BY_OTHER_USER], args, { exit: 125 }, t);
    t.is(r.stderr, `Error: run root "${PLANTED_BY_OTHER_USER}" is not owned by the current user`);
  }
  const after = await readdir(PLANTED_BY_OTHER_USER);
  t.deepEqual(after, before, 'the planted runc ran, or skiff wrote into the planted run root');
  t.false(after.some((f) => f.startsWith('ran-as-')));
});

for (const [what, target] of [
  ['another user’s process (pid 1)', () => 1],
  ['one of our own processes outside any namespace (the test runner)', () => process.pid],
] as const) {
  test.serial(`a pause.pid naming ${what} is not entered: a new pause process is made`, async (t) => {
    const pidFile = join(env.runroot, 'pause.pid');
    await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    const real = JSON.parse(await readFile(pidFile, 'utf8')) as { pid: number };
    const pid = target();
    await writeFile(pidFile, JSON.stringify({ pid, startTime: await startTime(pid), fullMapping: true }));
    process.kill(real.pid, 'SIGKILL'); // else only the file's pid would be cleaned up
    const r = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'ok']);
    t.is(r.stdout, 'ok');
    const now = JSON.parse(await readFile(pidFile, 'utf8')) as { pid: number };
    t.not(now.pid, pid);
    t.not(now.pid, real.pid);
  });
}
