// `skiff logs` options as podman's: --since/--until (RFC 3339, Unix seconds,
// durations), -t, --tail, several containers (each line after the ID, or
// the name with --names), -f over several containers, -l.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

test.serial('--since and --until pick lines by time: RFC 3339, Unix seconds and durations', async (t) => {
  const name = uniqueName('time');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'echo early; sleep 2; echo late']);
  await env.skiff(['wait', name]);
  const stamped = (await env.skiff(['logs', '-t', name])).lines;
  t.is(stamped.length, 2);
  const [earlyAt, lateAt] = stamped.map((l) => l.split(' ')[0]!);
  t.regex(stamped[0]!, /^\d{4}-\d{2}-\d{2}T\S+ early$/);
  const middle = new Date((Date.parse(earlyAt!) + Date.parse(lateAt!)) / 2).toISOString();
  t.deepEqual((await env.skiff(['logs', '--since', middle, name])).lines, ['late']);
  t.deepEqual((await env.skiff(['logs', '--until', middle, name])).lines, ['early']);
  t.deepEqual((await env.skiff(['logs', '--since', '1000', name])).lines, ['early', 'late']);
  t.deepEqual((await env.skiff(['logs', '--until', '1000', name])).lines, []);
  t.deepEqual((await env.skiff(['logs', '--since', '10m', name])).lines, ['early', 'late']);
  t.deepEqual((await env.skiff(['logs', '--since', '-10m', name])).lines, []);
  t.deepEqual((await env.skiff(['logs', '--tail', '1', '-t', name])).lines, [stamped[1]]);
  const bad = await env.skiff(['logs', '--since', 'yesterday', name], { exit: 125 });
  t.regex(bad.stderr, /^Error: unable to interpret time value "yesterday"/);
});

test.serial('several containers: each line after the short ID, or the name with --names; -l is the latest', async (t) => {
  const a = uniqueName('la');
  const b = uniqueName('lb');
  const idA = (await env.skiff(['run', '-d', '--network', 'none', '--name', a, BUSYBOX_IMAGE, 'sh', '-c', 'echo one; echo two'])).stdout;
  const idB = (await env.skiff(['run', '-d', '--network', 'none', '--name', b, BUSYBOX_IMAGE, 'echo', 'three'])).stdout;
  await env.skiff(['wait', a, b]);
  const r = await env.skiff(['logs', a, b]);
  t.deepEqual([...r.lines].sort(), [`${idA.slice(0, 12)} one`, `${idA.slice(0, 12)} two`, `${idB.slice(0, 12)} three`].sort());
  const named = await env.skiff(['logs', '--names', a, b]);
  t.deepEqual([...named.lines].sort(), [`${a} one`, `${a} two`, `${b} three`].sort());
  // One container: no prefix, --names or not, as podman.
  t.deepEqual((await env.skiff(['logs', '-n', a])).lines, ['one', 'two']);
  t.deepEqual((await env.skiff(['logs', '-l'])).lines, ['three']);
  // A wrong name among them: an error and no output.
  const wrong = await env.skiff(['logs', a, 'no-such-container'], { exit: 125 });
  t.is(wrong.stdout, '');
  t.regex(wrong.stderr, /^Error: no container with name or ID "no-such-container"/);
});

test.serial('-f over several containers interleaves their lines as they come, with --names', async (t) => {
  const c1 = uniqueName('f1');
  const c2 = uniqueName('f2');
  await env.skiff(['run', '-d', '--network', 'none', '--name', c1, BUSYBOX_IMAGE, 'sh', '-c', 'echo a; sleep 6; echo d']);
  await env.skiff(['run', '-d', '--network', 'none', '--name', c2, BUSYBOX_IMAGE, 'sh', '-c', 'sleep 1; echo b; sleep 1; echo c']);
  const started = Date.now();
  const r = await env.skiff(['logs', '-f', '--names', c1, c2], { timeout: 30_000 });
  t.deepEqual(r.lines, [`${c1} a`, `${c2} b`, `${c2} c`, `${c1} d`]);
  // It returned when both had ended, not before.
  t.true(Date.now() - started >= 2000);
});
