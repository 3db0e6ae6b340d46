// The monitor's own end of life: a monitor told to stop (SIGTERM, as systemd
// or a shutdown does) stops its container and tears everything down, and a
// teardown that fails is recorded (inspect .State.Error, monitor.log), not
// swallowed.
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { poll, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** True while `pid` is a live (non-zombie) process. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of processes whose command line mentions `text` (pgrep -f). */
async function pgrep(text: string): Promise<number[]> {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-f', text]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Mount points in the pause process's mount namespace that mention `text`. */
async function mountsWith(text: string): Promise<string[]> {
  const pause = JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number };
  const info = await readFile(`/proc/${pause.pid}/mountinfo`, 'utf8');
  return info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.includes(text));
}

async function startSleeper(name: string) {
  const id = (await env.skiff(['run', '-d', '--name', name, '--network', 'slirp4netns', BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
  const fmt = await env.skiff(['container', 'inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name]);
  const [monitorPid, pid] = fmt.stdout.split(' ').map(Number) as [number, number];
  const netns = join(env.runroot, 'netns', id.slice(0, 12));
  return { id, monitorPid, pid, netns };
}

test.serial('SIGTERM to the monitor stops the container, tears down and records exit 137', async (t) => {
  const name = uniqueName('term');
  const { id, monitorPid, pid, netns } = await startSleeper(name);
  t.true(await exists(netns), 'the container has a network namespace');
  t.true((await pgrep(netns)).length > 0, 'slirp4netns runs for it');
  t.true((await mountsWith(id)).length > 0, 'its root filesystem is mounted');

  process.kill(monitorPid, 'SIGTERM');
  t.true(await poll(async () => !(await alive(monitorPid)), 10_000), 'the monitor exits');
  t.false(await alive(pid), 'the container process is gone');
  t.deepEqual(await pgrep(netns), [], 'slirp4netns is gone');
  t.false(await exists(netns), 'the network namespace file is removed');
  t.deepEqual(await mountsWith(id), [], 'the root filesystem is unmounted');

  const st = await env.skiff(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} [{{.State.Error}}]', name]);
  t.is(st.stdout, 'exited 137 []');
  await env.skiff(['rm', name]);
});

test.serial('a teardown that fails shows in inspect .State.Error and in monitor.log', async (t) => {
  const name = uniqueName('tdfail');
  const { id, netns } = await startSleeper(name);
  // Outside the pause namespace the namespace file is a plain file: put a
  // non-empty directory in its place, which removing the file cannot remove.
  await rename(netns, `${netns}.moved`);
  await mkdir(netns);
  await writeFile(join(netns, 'keep'), 'x');

  await env.skiff(['stop', '-t', '0', name]);
  const st = await env.skiff(['inspect', '--format', '{{.State.Status}}|{{.State.Error}}', name]);
  const [status, error] = st.stdout.split('|') as [string, string];
  t.is(status, 'exited');
  t.regex(error, /cleaning up the container failed: removing the network namespace: .*(directory|EISDIR)/i);
  const log = await readFile(join(env.root, 'containers', id, 'monitor.log'), 'utf8');
  t.regex(log, /skiff monitor: cleaning up the container failed: removing the network namespace/);
});

test.serial('slirp4netns exits with its monitor when the monitor is killed with SIGKILL', async (t) => {
  const name = uniqueName('kill9');
  const { monitorPid, pid, netns } = await startSleeper(name);
  t.true((await pgrep(netns)).length > 0, 'slirp4netns runs for it');
  process.kill(monitorPid, 'SIGKILL');
  const gone = await poll(async () => (await pgrep(netns)).length === 0, 2_000, 50);
  t.true(gone, `slirp4netns still running: ${(await pgrep(netns)).join(' ')}`);
  await env.skiff(['rm', '-f', '-t', '0', name], { timeout: 30_000 });
  t.false(await alive(pid));
});

test.serial('a start that fails while preparing the root filesystem leaves no slirp4netns behind', async (t) => {
  const name = uniqueName('badfs');
  const id = (await env.skiff(['create', '--name', name, '--network', 'slirp4netns', BUSYBOX_IMAGE, 'true'])).stdout;
  // A lower layer that does not exist: the overlay mount (or the vfs copy) fails.
  const configFile = join(env.root, 'containers', id, 'monitor.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { storage: { lowerDirs: string[] } };
  config.storage.lowerDirs.push(join(env.dir, 'no-such-layer'));
  await writeFile(configFile, JSON.stringify(config));

  const r = await env.skiff(['start', name], { exit: 125 });
  t.regex(r.stderr, /^Error: /m);
  const netns = join(env.runroot, 'netns', id.slice(0, 12));
  // slirp4netns may still be starting when the start fails: give it the time it would take.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.deepEqual(await pgrep(netns), [], 'no slirp4netns for the container');
  t.false(await exists(netns), 'no network namespace file');
  await env.skiff(['rm', name]);
});
