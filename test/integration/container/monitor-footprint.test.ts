// Each running container keeps its monitor for as long as it runs, so the
// monitor's idle footprint is paid per container (issue 10): it runs with
// one V8 platform worker thread rather than node's default four.
import { readdir } from 'node:fs/promises';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

test.serial('an idle container\'s monitor runs with one V8 worker thread: 8 threads, not 11', async (t) => {
  const name = uniqueName('footprint');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000']);
  const monitorPid = Number((await env.skiff(['container', 'inspect', '--format', '{{.State.ConmonPid}}', name])).stdout);
  t.true(monitorPid > 0, 'the monitor runs');
  // The main thread, two of node's own, libuv's four pool threads and V8's
  // workers: with node's default of four V8 workers it is 11.
  const threads = (await readdir(`/proc/${monitorPid}/task`)).length;
  t.true(threads <= 8, `the monitor has ${threads} threads`);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});
