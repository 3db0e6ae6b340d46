// `system df` as podman's: TYPE TOTAL ACTIVE SIZE RECLAIMABLE for images,
// containers and local volumes (active: used by a container, running, or
// mounted), sizes as podman computes them (a container's writable layer,
// a volume's files; reclaimable: what nothing uses), -v's three tables,
// and --format (templates, json).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { recordVolumeUse } from '../volume/helpers.js';

const env = useBusyboxEnv();

interface DfLine { Type: string; Total: number; Active: number; Size: number; Reclaimable: number }
const dfJson = async () => JSON.parse((await env.skiff(['system', 'df', '--format', 'json'])).stdout) as DfLine[];

test.serial('system df on a store with one image and nothing else', async (t) => {
  const df = await env.skiff(['system', 'df']);
  t.regex(df.lines[0], /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
  // podman's 320-system-df "basic functionality" patterns.
  t.regex(df.stdout, /Images {2,}1 +0 +\d/);
  t.regex(df.stdout, /Containers +0 +0 +0B +0B \(0%\)/);
  t.regex(df.stdout, /Local Volumes +0 +0 +0B +0B \(0%\)/);
  const [images] = await dfJson();
  t.true(images.Size > 0);
  t.is(images.Reclaimable, images.Size, 'an image no container uses is reclaimable');
});

test.serial('system df counts what containers and volumes use, and what could be reclaimed', async (t) => {
  const running = (await env.skiff(['run', '-d', '--name', 'df-running', BUSYBOX_IMAGE, 'sleep', '300'])).stdout;
  await env.skiff(['run', '--name', 'df-exited', BUSYBOX_IMAGE, 'sh', '-c', 'head -c 100000 /dev/zero > /big']);
  await env.skiff(['volume', 'create', 'df-used']);
  await env.skiff(['volume', 'create', 'df-free']);
  await recordVolumeUse(env, running, 'df-used');
  const path = async (v: string) => (await env.skiff(['volume', 'inspect', '--format', '{{.Mountpoint}}', v])).stdout;
  // Written as another id of the namespace, as a container would.
  await env.skiff(['unshare', 'sh', '-c', `head -c 5000 /dev/zero > ${await path('df-used')}/f && head -c 3000 /dev/zero > ${await path('df-free')}/f && chown -R 1000:1000 ${await path('df-free')}`]);

  const [images, containers, volumes] = await dfJson();
  t.like(images, { Type: 'Images', Total: 1, Active: 1, Reclaimable: 0 });
  t.like(containers, { Type: 'Containers', Total: 2, Active: 1 });
  t.true(containers.Reclaimable >= 100_000 && containers.Reclaimable < 110_000, `the exited container's layer: ${containers.Reclaimable}`);
  t.true(containers.Size - containers.Reclaimable < 10_000, 'the running one wrote next to nothing');
  t.deepEqual(volumes, { Type: 'Local Volumes', Total: 2, Active: 1, Size: 8000, Reclaimable: 3000 });

  const table = await env.skiff(['system', 'df']);
  t.regex(table.stdout, /^Local Volumes +2 +1 +8kB +3kB \(38%\)$/m);
  t.deepEqual((await env.skiff(['system', 'df', '--format', '{{ .Type }}:{{ .Total }}:{{ .Active }}'])).lines, ['Images:1:1', 'Containers:2:1', 'Local Volumes:2:1']);

  const verbose = (await env.skiff(['system', 'df', '-v'])).lines.filter((l) => l !== '');
  t.is(verbose[0], 'Images space usage:');
  t.regex(verbose[1], /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$/);
  t.regex(verbose[2], /^localhost\/bb +latest +[0-9a-f]{12} +.+ +2$/);
  t.is(verbose[3], 'Containers space usage:');
  t.regex(verbose[4], /^CONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES$/);
  const rows = verbose.slice(5, 7).sort();
  t.regex(rows.find((r) => r.endsWith('df-running'))!, /^[0-9a-f]{12} +[0-9a-f]{12} +sleep 300 +1 +\S+ +.+ running +df-running$/);
  t.regex(rows.find((r) => r.endsWith('df-exited'))!, /^[0-9a-f]{12} +[0-9a-f]{12} +sh -c .+ +0 +10\dkB +.+ exited +df-exited$/);
  t.is(verbose[7], 'Local Volumes space usage:');
  t.regex(verbose[8], /^VOLUME NAME +LINKS +SIZE$/);
  t.deepEqual(verbose.slice(9).map((l) => l.split(/ +/)), [['df-free', '0', '3kB'], ['df-used', '1', '5kB']]);

  const both = await env.skiff(['system', 'df', '-v', '--format', 'json'], { exit: 125 });
  t.is(both.stderr, 'Error: cannot combine --format and --verbose flags');
  await env.skiff(['rm', '-f', '-t', '0', running]);
});
