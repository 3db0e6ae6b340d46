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
