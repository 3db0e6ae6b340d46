// The monitor creates and starts the container with the runtime and then
// is the subreaper of the container's init: a running container costs one
// monitor process, no resident `runc run`/`crun run`, and the monitor still
// learns the exit code by reaping the init itself.
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN, sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  argv: string[];
}

async function readProc(pid: number): Promise<Proc | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0]!, ppid: Number(fields[1]), argv };
  } catch {
    return undefined; // gone meanwhile
  }
}

async function allProcs(): Promise<Proc[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  return (await Promise.all(pids.map(readProc))).filter((p): p is Proc => p !== undefined);
}

const isRuntime = (p: Proc) => /^(runc|crun)$/.test(p.comm) || /(^|\/)(runc|crun)$/.test(p.argv[0] ?? '');

async function pids(name: string): Promise<{ monitor: number; pid: number }> {
  const r = await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name]);
  const [monitor, pid] = r.stdout.split(' ').map(Number) as [number, number];
  if (!(monitor > 0 && pid > 0)) throw new Error(`bad pids from inspect: ${r.stdout}`);
  return { monitor, pid };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const p = await readProc(pid);
    if (!p || p.state === 'Z') return true;
    await sleep(50);
  }
  return false;
}

for (const tty of [false, true]) {
  const mode = tty ? '-t' : 'no -t';
  test.serial(`a running container (${mode}) keeps its monitor and no runtime process; the init is the monitor's child`, async (t) => {
    const name = uniqueName('reaped');
    const id = (await env.skiff(['run', '-d', ...(tty ? ['-t'] : []), '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
    const { monitor, pid } = await pids(name);
    const procs = await allProcs();
    const children = procs.filter((p) => p.ppid === monitor);
    t.deepEqual(children.map((p) => p.pid), [pid], `the monitor's only child is the container's init: ${JSON.stringify(children)}`);
    t.is(children[0]?.comm, 'sleep');
    const runtimes = procs.filter((p) => isRuntime(p) && p.argv.includes(id));
    t.deepEqual(runtimes, [], 'no runtime process for the container');
    await env.skiff(['rm', '-f', '-t', '0', name]);
  });
}

test.serial('exit codes: run exits 3, inspect .State.ExitCode is 3, wait prints 3', async (t) => {
  const name = uniqueName('exit3');
  await env.skiff(['run', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'echo out; exit 3'], { exit: 3 });
  t.is((await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout, '3');
  t.is((await env.skiff(['wait', name])).stdout, '3');
  t.is((await env.skiff(['logs', name])).stdout, 'out', 'output written just before the exit is kept');

  const detached = uniqueName('exit3d');
  await env.skiff(['run', '-d', '--network', 'none', '--name', detached, BUSYBOX_IMAGE, 'sh', '-c', 'sleep 0.3; exit 3']);
  t.is((await env.skiff(['wait', detached])).stdout, '3');
  t.is((await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', detached])).stdout, '3');
  await env.skiff(['rm', name, detached]);
});

test.serial('a container killed by SIGKILL records 137, and can be started again', async (t) => {
  const name = uniqueName('killed');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000']);
  await env.skiff(['kill', '-s', 'KILL', name]);
  t.is((await env.skiff(['wait', name])).stdout, '137');
  t.is((await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout, '137');
  // The runtime's record of the run is gone: a second `create` of the same id succeeds.
  await env.skiff(['start', name]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['stop', '-t', '0', name]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout, '137');
  await env.skiff(['rm', name]);
});

test.serial('the monitor killed with -9 while a -t container runs: rm -f kills the container and cleans up', async (t) => {
  const name = uniqueName('orphan');
  const id = (await env.skiff(['run', '-dt', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
  const { monitor, pid } = await pids(name);
  process.kill(monitor, 'SIGKILL');
  t.true(await waitGone(monitor), 'the monitor is gone');
  t.is((await readProc(pid))?.comm, 'sleep', 'the container outlives its monitor');
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['rm', '-f', '-t', '0', name], { timeout: 30_000 });
  t.true(await waitGone(pid), `container process ${pid} is gone after rm -f`);
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.false(await exists(join(env.root, 'containers', id)), 'the container directory is removed');
  t.false(await exists(join(env.runroot, 'runtime', 'runc', id)), "the runtime's record is removed");
  t.false(await exists(join(env.runroot, 'runtime', 'crun', id)), "the runtime's record is removed");
});

test.serial('run -i: stdin that arrives after the runtime\'s create has exited still reaches the container', async (t) => {
  // Node closes a child's stdin pipe when the child exits: the container, not `create`, must keep it.
  const r = await execa('sh', ['-c', '(sleep 3; echo late) | "$0" "$@"', SKIFF_BIN, '--root', env.root, '--runroot', env.runroot,
    'run', '--rm', '-i', '--network', 'none', BUSYBOX_IMAGE, 'cat'], { reject: false, timeout: 30_000 });
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, 'late');
});
