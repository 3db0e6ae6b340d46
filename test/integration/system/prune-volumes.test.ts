// `system prune --volumes` also removes the volumes no container uses, and
// the networks no container is on (as podman); --filter label= narrows what
// is pruned; a bad filter key is refused before anything is removed.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { recordVolumeUse } from '../volume/helpers.js';

const env = useBusyboxEnv();

const volumes = async () => (await env.skiff(['volume', 'ls', '-q'])).lines;
const containers = async () => (await env.skiff(['ps', '-aq', '--no-trunc'])).lines.sort();

test.serial('system prune keeps volumes without --volumes; --volumes removes unused ones; a filter narrows it', async (t) => {
  await env.skiff(['volume', 'create', 'sp-used']);
  await env.skiff(['volume', 'create', '-l', 'keep=1', 'sp-kept']);
  await env.skiff(['volume', 'create', 'sp-free']);
  await env.skiff(['network', 'create', 'sp-net']);
  const running = (await env.skiff(['run', '-d', BUSYBOX_IMAGE, 'sleep', '300'])).stdout;
  await recordVolumeUse(env, running, 'sp-used');
  const labelled = (await env.skiff(['create', '--label', 'keep=1', BUSYBOX_IMAGE, 'true'])).stdout;
  const plain = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout;

  const bad = await env.skiff(['system', 'prune', '-f', '--filter', 'dangling=true'], { exit: 125 });
  t.regex(bad.stderr, /^Error: invalid filter "dangling"/);
  t.deepEqual(await containers(), [running, labelled, plain].sort(), 'nothing removed by a refused prune');

  const filtered = await env.skiff(['system', 'prune', '-f', '--volumes', '--filter', 'label!=keep=1']);
  t.true(filtered.lines.includes(plain) && !filtered.lines.includes(labelled), filtered.stdout);
  t.regex(filtered.stdout, /^Deleted Volumes\nsp-free$/m);
  t.regex(filtered.stdout, /^Deleted Networks\nsp-net$/m);
  t.deepEqual(await volumes(), ['sp-kept', 'sp-used']);

  const without = await env.skiff(['system', 'prune', '-f']);
  t.false(/Deleted Volumes/.test(without.stdout));
  t.deepEqual(await volumes(), ['sp-kept', 'sp-used']);
  t.deepEqual(await containers(), [running]);

  const all = await env.skiff(['system', 'prune', '-f', '--volumes']);
  t.regex(all.stdout, /^Deleted Volumes\nsp-kept$/m);
  t.deepEqual(await volumes(), ['sp-used'], 'the running container keeps its volume');
  await env.skiff(['rm', '-f', '-t', '0', running]);
});
