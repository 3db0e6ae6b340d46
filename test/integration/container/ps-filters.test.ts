// `skiff ps` selections as podman's: -l is the latest created container
// whatever its state (it once printed an older running one).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

test.serial('ps -l shows the latest created container, also when it is not running', async (t) => {
  const older = uniqueName('old');
  const newer = uniqueName('new');
  await env.skiff(['run', '-d', '--network', 'none', '--name', older, BUSYBOX_IMAGE, 'sleep', '100']);
  await env.skiff(['create', '--network', 'none', '--name', newer, BUSYBOX_IMAGE, 'true']);
  const r = await env.skiff(['ps', '-l', '--format', '{{.Names}}']);
  t.deepEqual(r.lines, [newer]);
  const a = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
  // Oldest first, as podman 4.3 lists them.
  t.deepEqual(a.lines.slice(-2), [older, newer]);
  await env.skiff(['rm', '-f', '-t', '0', older, newer]);
});

test.serial('ps -l and ps -a order containers created within one second by creation', async (t) => {
  const names = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
  for (const name of names) await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  const r = await env.skiff(['ps', '-l', '--format', '{{.Names}}']);
  t.deepEqual(r.lines, [names[2]]);
  const a = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
  t.deepEqual(a.lines, names);
  await env.skiff(['rm', '-f', '-t', '0', ...names]);
});

/** Names that `ps` prints with these extra arguments, sorted. */
async function names(...args: string[]): Promise<string[]> {
  return (await env.skiff(['ps', '--format', '{{.Names}}', ...args])).lines.sort();
}

test.serial('ps --filter: status, exited, name, id, label, ancestor, before, since, network, volume, health', async (t) => {
  const p = uniqueName('flt');
  const up = `${p}-up`;
  const ok = `${p}-ok`;
  const bad = `${p}-bad`;
  const fresh = `${p}-new`;
  await env.skiff(['run', '--network', 'none', '--name', ok, '--label', 'tier=back', BUSYBOX_IMAGE, 'true']);
  await env.skiff(['run', '--network', 'none', '--name', bad, '--label', 'tier=front', '--label', 'x', BUSYBOX_IMAGE, 'sh', '-c', 'exit 3'], { exit: 3 });
  await env.skiff(['run', '-d', '--network', 'none', '--name', up, '--label', 'tier=front', BUSYBOX_IMAGE, 'sleep', '100']);
  await env.skiff(['create', '--network', 'none', '--name', fresh, BUSYBOX_IMAGE, 'true']);
  const mine = [`name=^${p}-`];
  const f = (...filters: string[]) => names(...[...mine, ...filters].flatMap((x) => ['--filter', x]));

  // Without -a only running ones; a status= filter implies -a, as podman.
  t.deepEqual(await f(), [up]);
  t.deepEqual(await f('status=exited'), [bad, ok].sort());
  t.deepEqual(await f('status=stopped'), [bad, ok].sort());
  t.deepEqual(await f('status=created'), [fresh]);
  t.deepEqual(await f('status=created', 'status=running'), [fresh, up].sort());
  t.deepEqual(await names('-a', '--filter', 'exited=3', '--filter', mine[0]), [bad]);
  t.deepEqual(await names('-a', '--filter', 'exited=0', '--filter', mine[0]), [ok]);
  t.deepEqual(await names('-a', '--filter', `name=${p}-ok`), [ok]);
  const okId = (await env.skiff(['inspect', '--format', '{{.Id}}', ok])).stdout;
  t.deepEqual(await names('-a', '--filter', `id=${okId.slice(0, 10)}`), [ok]);
  t.deepEqual(await names('-a', '--filter', 'label=tier=front', '--filter', mine[0]), [bad, up].sort());
  // Several label= filters must all match.
  t.deepEqual(await names('-a', '--filter', 'label=tier=front', '--filter', 'label=x', '--filter', mine[0]), [bad]);
  t.deepEqual(await names('-a', '--filter', `ancestor=${BUSYBOX_IMAGE}`, '--filter', mine[0]), [bad, fresh, ok, up].sort());
  t.deepEqual(await names('-a', '--filter', `ancestor=${env.imageId.slice(0, 12)}`, '--filter', mine[0]), [bad, fresh, ok, up].sort());
  t.deepEqual(await names('-a', '--filter', 'ancestor=localhost/other', '--filter', mine[0]), []);
  t.deepEqual(await names('-a', '--filter', `before=${up}`, '--filter', mine[0]), [bad, ok].sort());
  t.deepEqual(await names('-a', '--filter', `since=${bad}`, '--filter', mine[0]), [fresh, up].sort());
  t.deepEqual(await names('-a', '--filter', 'network=none', '--filter', mine[0]), [bad, fresh, ok, up].sort());
  t.deepEqual(await names('-a', '--filter', 'network=host', '--filter', mine[0]), []);
  t.deepEqual(await names('-a', '--filter', 'volume=data', '--filter', mine[0]), []);
  t.deepEqual(await names('-a', '--filter', 'health=healthy', '--filter', mine[0]), []);

  // -n N: the N created last, in any state; --sort.
  // Listed oldest first, as podman 4.3 lists them.
  t.deepEqual((await env.skiff(['ps', '-n', '2', '--format', '{{.Names}}'])).lines, [up, fresh]);
  t.deepEqual((await env.skiff(['ps', '--last', '2', '--sort', 'names', '--format', '{{.Names}}'])).lines, [fresh, up].sort());
  t.deepEqual((await env.skiff(['ps', '-a', '--sort', 'names', '--format', '{{.Names}}', '--filter', mine[0]])).lines, [bad, fresh, ok, up].sort());
  t.deepEqual((await env.skiff(['ps', '-a', '--sort', 'created', '--format', '{{.Names}}', '--filter', mine[0]])).lines, [ok, bad, up, fresh]);
  t.deepEqual((await env.skiff(['ps', '-a', '--sort', 'status', '--format', '{{.State}}', '--filter', mine[0]])).lines, ['created', 'exited', 'exited', 'running']);
  // --noheading has no short form: -n is --last.
  t.is((await env.skiff(['ps', '--noheading', '-a', '--filter', `name=${up}`])).lines.length, 1);

  for (const bad of [['--filter', 'color=red'], ['--filter', 'status=sleeping'], ['--filter', 'exited=x'], ['--filter', 'before=no-such'], ['--sort', 'age'], ['-n', 'x']]) {
    const r = await env.skiff(['ps', ...bad], { exit: 125 });
    t.regex(r.stderr, /^Error: /, bad.join(' '));
  }
  await env.skiff(['rm', '-f', '-t', '0', ok, bad, up, fresh]);
});
