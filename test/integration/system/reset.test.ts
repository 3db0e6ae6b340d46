// `system reset` removes everything (containers stopped first, images,
// volumes, networks, the run root, the pause process), asking first without
// -f; `system migrate` stops the containers and ends the namespace so the
// next command makes a new one, and --new-runtime moves containers.
import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

const pausePid = async () => (JSON.parse(await readFile(`${env.runroot}/pause.pid`, 'utf8')) as { pid: number }).pid;
/** Alive and not a zombie waiting for a reaper. */
const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z /.test(stat);
};

test.serial('system migrate: running containers stopped, the pause process ended and made anew; --new-runtime', async (t) => {
  const id = (await env.skiff(['run', '-d', '--stop-timeout', '1', BUSYBOX_IMAGE, 'sleep', '300'])).stdout;
  const before = await pausePid();
  await env.skiff(['system', 'migrate']);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', id])).stdout, 'exited');
  t.false(await alive(before), 'the old namespace is gone');
  await env.skiff(['start', id]);
  t.not(await pausePid(), before);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', id])).stdout, 'running');
  // By path: the one runtime this host is known to run (crun refuses some cgroup setups).
  const path = (await env.skiff(['info', '--format', '{{.Host.OCIRuntime.Path}}'])).stdout;
  t.not((await env.skiff(['inspect', '--format', '{{.OCIRuntime}}', id])).stdout, path);
  await env.skiff(['system', 'migrate', '--new-runtime', path]);
  t.is((await env.skiff(['inspect', '--format', '{{.OCIRuntime}}', id])).stdout, path);
  const other = path;
  await env.skiff(['start', id]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', id])).stdout, 'running', `it runs with ${other}`);
  await env.skiff(['rm', '-f', '-t', '0', id]);
});

test.serial('system reset: asks without -f; -f removes containers, images, volumes, networks and the run root', async (t) => {
  const running = (await env.skiff(['run', '-d', '--stop-timeout', '1', BUSYBOX_IMAGE, 'sleep', '300'])).stdout;
  await env.skiff(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'rs-tmpfs']);
  await env.skiff(['unshare', '--', process.execPath, '--version']);
  await env.skiff(['network', 'create', 'rs-net']);
  const before = (await env.skiff(['ps', '-aq', '--no-trunc'])).lines;
  t.true(before.includes(running));
  await env.skiff(['system', 'reset']);
  t.deepEqual((await env.skiff(['ps', '-aq', '--no-trunc'])).lines, before, 'no answer, nothing removed');
  const pause = await pausePid();
  await env.skiff(['system', 'reset', '-f']);
  t.false(await alive(pause), 'the pause process ended');
  t.deepEqual(await readdir(env.root).catch(() => []), [], 'the graph root is gone');
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
  t.deepEqual((await env.skiff(['volume', 'ls', '-q'])).lines, []);
  t.deepEqual((await env.skiff(['network', 'ls', '--format', '{{.Name}}'])).lines, ['podman']);
});
