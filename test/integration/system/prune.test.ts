// `skiff system prune` as podman's: without -f it asks (and without a
// terminal, as skiff's other prompts, takes no for the answer); -f removes
// stopped and never-started containers and dangling images; -a also every
// image no container uses. A running container and its image stay.
import test from 'ava';
import { BUSYBOX_IMAGE, buildBusyboxTar } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

const containerIds = async () => (await env.skiff(['ps', '-aq', '--no-trunc'])).lines.sort();
const imageIds = async () => (await env.skiff(['images', '-q', '--no-trunc'])).lines.map((l) => l.replace(/^sha256:/, '')).sort();

test.serial('system prune: asks first; -f removes stopped containers and dangling images; -a unused images; running ones stay', async (t) => {
  const running = (await env.skiff(['run', '-d', BUSYBOX_IMAGE, 'sleep', '300'])).stdout.trim();
  const exited = (await env.skiff(['run', '-d', BUSYBOX_IMAGE, 'true'])).stdout.trim();
  await env.skiff(['wait', exited]);
  const created = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout.trim();
  const tarball = await buildBusyboxTar();
  const dangling = (await env.skiff(['import', '--change', 'CMD ["/bin/true"]', tarball])).stdout.trim().replace(/^sha256:/, '');
  const named = (await env.skiff(['import', '--change', 'CMD ["/bin/sh"]', tarball, 'localhost/unused'])).stdout.trim().replace(/^sha256:/, '');

  const before = { containers: await containerIds(), images: await imageIds() };
  await env.skiff(['system', 'prune']);
  t.deepEqual({ containers: await containerIds(), images: await imageIds() }, before, 'no answer, nothing removed');

  const pruned = await env.skiff(['system', 'prune', '-f']);
  t.regex(pruned.stdout, /^Deleted Containers$/m);
  t.regex(pruned.stdout, /^Deleted Images$/m);
  t.regex(pruned.stdout, /^Total reclaimed space: /m);
  t.true(pruned.lines.includes(exited) && pruned.lines.includes(created), pruned.stdout);
  t.true(pruned.lines.includes(dangling), pruned.stdout);
  t.deepEqual(await containerIds(), [running]);
  t.deepEqual(await imageIds(), [env.imageId, named].sort());

  const all = await env.skiff(['system', 'prune', '-af']);
  t.true(all.lines.includes(named), all.stdout);
  t.deepEqual(await imageIds(), [env.imageId], 'the running container keeps its image');
  t.deepEqual(await containerIds(), [running]);
  await env.skiff(['rm', '-f', '-t', '0', running]);
});
