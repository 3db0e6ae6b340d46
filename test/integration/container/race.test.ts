// Concurrent skiff processes share one store: creates must not lose each
// other's containers, and a name can be taken only once.
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
const N = 10;


/** Like env.skiff but never throws on the exit code. */
async function anyExit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    reject: false,
    timeout: 90_000,
    stdin: 'ignore',
    cwd: PROJECT_ROOT,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** rm -f of everything ps -a lists. */
async function removeAll(): Promise<void> {
  const ids = (await env.skiff(['ps', '-aq'])).lines;
  for (const id of ids) await anyExit(['rm', '-f', '-t', '0', id]);
}

test.serial(`${N} parallel first runs in a fresh store (runtime/storage probes race) all succeed`, async (t) => {
  const prefix = uniqueName('cold');
  const names = Array.from({ length: N }, (_, i) => `${prefix}-${i}`);
  const results = await Promise.all(
    names.map((n) => anyExit(['run', '-d', '--network', 'none', '--name', n, BUSYBOX_IMAGE, 'sleep', '1000'])),
  );
  try {
    // These are the first runs in a fresh store, so they also race on the
    // one-time runtime and storage probes.
    const failed = results.map((r, i) => `${names[i]} exit ${r.code}: ${r.stderr}`).filter((_, i) => results[i]!.code !== 0);
    t.deepEqual(failed, []);
    const ps = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
    t.deepEqual([...ps.lines].sort(), [...names].sort());
    const up = await env.skiff(['ps', '--format', '{{.Names}}']);
    t.is(up.lines.length, N, up.stdout);
  } finally {
    await removeAll();
  }
});

test.serial(`${N} parallel run -d with distinct names all succeed`, async (t) => {
  // The store is warm here (probes done by the test above, or by this run).
  await anyExit(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  const prefix = uniqueName('par');
  const names = Array.from({ length: N }, (_, i) => `${prefix}-${i}`);
  const results = await Promise.all(
    names.map((n) => anyExit(['run', '-d', '--network', 'none', '--name', n, BUSYBOX_IMAGE, 'sleep', '1000'])),
  );
  try {
    const failed = results.map((r, i) => `${names[i]} exit ${r.code}: ${r.stderr}`).filter((_, i) => results[i]!.code !== 0);
    t.deepEqual(failed, []);
    const ps = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
    t.deepEqual([...ps.lines].sort(), [...names].sort());
    const up = await env.skiff(['ps', '--format', '{{.Names}}']);
    t.is(up.lines.length, N, up.stdout);
  } finally {
    await removeAll();
  }
});

test.serial(`${N} parallel run -d with the same name: exactly one wins`, async (t) => {
  const name = uniqueName('same');
  const results = await Promise.all(
    Array.from({ length: N }, () => anyExit(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000'])),
  );
  const won = results.filter((r) => r.code === 0);
  const lost = results.filter((r) => r.code !== 0);
  t.is(won.length, 1, results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
  t.is(lost.length, N - 1);
  for (const r of lost) {
    t.is(r.code, 125, r.stderr);
    t.regex(r.stderr, /already in use/);
  }
  const ps = await env.skiff(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
  const rows = ps.lines.filter((l) => l.endsWith(` ${name}`));
  t.is(rows.length, 1, ps.stdout);
  if (won.length === 1) t.deepEqual(rows, [`${won[0]!.stdout.trim()} ${name}`]);
  t.is(ps.lines.length, 1, `nothing but the winner is left: ${ps.stdout}`);
  await removeAll();
});
