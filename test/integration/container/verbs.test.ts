// The small container verbs, end to end as a podman user types them:
// container exists, restart, rename, port, container prune.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

/** A container that stops at once on SIGTERM (pid 1 ignores signals it does not trap). */
const QUICK_STOP = ['sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'];

async function runDetached(name: string, cmd: string[] = QUICK_STOP, extra: string[] = []): Promise<string> {
  return (await env.skiff(['run', '-d', '--network', 'none', '--name', name, ...extra, IMG, ...cmd])).stdout.trim();
}

async function inspect(name: string, format: string): Promise<string> {
  return (await env.skiff(['container', 'inspect', '--format', format, name])).stdout;
}

// ---- container exists ----

test.serial('container exists: 0 for a name, an id and an id prefix, 1 for an unknown one; prints nothing', async (t) => {
  const name = uniqueName('ex');
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true'])).stdout.trim();
  for (const target of [name, id, id.slice(0, 12)]) {
    const r = await env.skiff(['container', 'exists', target]);
    t.is(r.stdout + r.stderr, '', target);
  }
  const missing = await env.skiff(['container', 'exists', uniqueName('none')], { exit: 1 });
  t.is(missing.stdout + missing.stderr, '');
  await env.skiff(['container', 'exists', '--external', name]);
  await env.skiff(['rm', name]);
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('container exists: wrong usage is 125 with one Error line', async (t) => {
  const none = await env.skiff(['container', 'exists'], { exit: 125 });
  t.regex(none.stderr, /^Error: .*requires exactly 1 argument/);
  await env.skiff(['container', 'exists', 'a', 'b'], { exit: 125 });
  await env.skiff(['container', 'exists', '--bogus', 'a'], { exit: 125 });
});

// ---- restart ----

test.serial('restart stops a running container and starts it again; prints the name as given', async (t) => {
  const name = uniqueName('rs');
  await runDetached(name);
  const pid = await inspect(name, '{{.State.Pid}}');
  const started = await inspect(name, '{{.State.StartedAt}}');
  const r = await env.skiff(['restart', '-t', '5', name], { timeout: 30_000 });
  t.is(r.stdout, name);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  t.not(await inspect(name, '{{.State.Pid}}'), pid);
  t.not(await inspect(name, '{{.State.StartedAt}}'), started);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('restart starts an exited container; -t 0 kills at once', async (t) => {
  const name = uniqueName('rx');
  await runDetached(name, ['sh', '-c', 'sleep 1000']);
  await env.skiff(['stop', '-t', '0', name]);
  t.is(await inspect(name, '{{.State.Status}}'), 'exited');
  await env.skiff(['restart', name]);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  const began = Date.now();
  // sh as pid 1 ignores SIGTERM: without -t 0 this would wait 10 seconds.
  await env.skiff(['restart', '-t', '0', name], { timeout: 30_000 });
  t.true(Date.now() - began < 8_000);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('restart --all --running restarts only running ones; --filter selects by label; both print full ids', async (t) => {
  const label = uniqueName('grp');
  const up = uniqueName('up');
  const down = uniqueName('down');
  const upId = await runDetached(up, QUICK_STOP, ['--label', `grp=${label}`]);
  const downId = (await env.skiff(['create', '--network', 'none', '--name', down, '--label', `grp=${label}`, IMG, 'true'])).stdout.trim();
  const onlyRunning = await env.skiff(['restart', '-a', '--running', '--filter', `label=grp=${label}`], { timeout: 30_000 });
  t.deepEqual(onlyRunning.lines, [upId]);
  t.is(await inspect(down, '{{.State.Status}}'), 'created');
  const both = await env.skiff(['restart', '--filter', `label=grp=${label}`], { timeout: 30_000 });
  t.deepEqual([...both.lines].sort(), [upId, downId].sort());
  // `true` ran and exited: it was started.
  t.regex(await inspect(down, '{{.State.Status}}'), /^(running|exited)$/);
  await env.skiff(['rm', '-f', '-t', '0', up, down]);
});

test.serial('restart: unknown container, no target, names with --all, a bad filter are 125', async (t) => {
  const unknown = await env.skiff(['restart', 'no-such-ctr'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: no container with name or ID "no-such-ctr" found: no such container');
  const none = await env.skiff(['restart'], { exit: 125 });
  t.is(none.stderr.trim(), 'Error: you must provide at least one name or id');
  await env.skiff(['restart', '--running'], { exit: 125 });
  await env.skiff(['restart', '-a', 'x'], { exit: 125 });
  const bad = await env.skiff(['restart', '--filter', 'colour=red'], { exit: 125 });
  t.regex(bad.stderr, /^Error: colour is an invalid filter/);
});
