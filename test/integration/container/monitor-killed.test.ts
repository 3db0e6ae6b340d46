// The per-container monitor (conmon's role) can die, e.g. by the OOM killer.
// The container keeps running; skiff must still see it, report it, and clean
// it up completely.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName, sleep } from '../../helpers/skiff.js';

const env = useBusyboxEnv();



async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** True while `pid` is a live (non-zombie) process. */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: exists but not ours.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await alive(pid))) return true;
    await sleep(100);
  }
  return !(await alive(pid));
}

async function startWithDeadMonitor(name: string) {
  const id = (await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
  const fmt = await env.skiff(['container', 'inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name]);
  const [monitorPid, pid] = fmt.stdout.split(' ').map(Number) as [number, number];
  if (!(monitorPid > 0 && pid > 0)) throw new Error(`bad pids from inspect: ${fmt.stdout}`);
  process.kill(monitorPid, 'SIGKILL');
  if (!(await waitGone(monitorPid))) throw new Error(`monitor ${monitorPid} survived SIGKILL`);
  return { id, pid, monitorPid };
}

async function status(name: string): Promise<string> {
  const r = await env.skiff(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']);
  const row = r.lines.find((l) => l.startsWith(`${name}|`));
  return row ? row.slice(name.length + 1) : '';
}

test.serial('monitor killed: the container still shows Up, rm -f cleans up everything', async (t) => {
  const name = uniqueName('orphan');
  const { id, pid } = await startWithDeadMonitor(name);
  t.true(await alive(pid), 'the container process survives its monitor');

  t.regex(await status(name), /^Up /);
  const st = await env.skiff(['inspect', '--format', '{{.State.Status}}', name]);
  t.is(st.stdout, 'running');

  await env.skiff(['rm', '-f', '-t', '0', name], { timeout: 30_000 });
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.true(await waitGone(pid), `container process ${pid} still alive after rm -f`);
  t.false(await exists(join(env.root, 'containers', id)), 'ROOT/containers/<id> removed');
});

test.serial('monitor and container killed: ps -a shows Exited, rm removes it', async (t) => {
  const name = uniqueName('dead');
  const { id, pid } = await startWithDeadMonitor(name);
  process.kill(pid, 'SIGKILL');
  t.true(await waitGone(pid), `container process ${pid} survived SIGKILL`);

  t.regex(await status(name), /^Exited/);
  const st = await env.skiff(['inspect', '--format', '{{.State.Status}}', name]);
  t.is(st.stdout, 'exited');

  await env.skiff(['rm', name], { timeout: 30_000 });
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.false(await exists(join(env.root, 'containers', id)), 'ROOT/containers/<id> removed');
});
