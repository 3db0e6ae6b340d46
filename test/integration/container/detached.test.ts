// Detached containers and the commands that manage them: ps, logs, stop,
// kill, wait, rm, create/start, and name conflicts.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName, type SkiffResult, poll, sleep } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();




/** run -d --network none --name NAME IMG ...cmd; returns the id. */
async function runDetached(name: string, cmd: string[]): Promise<string> {
  const r = await env.skiff(['run', '-d', '--network', 'none', '--name', name, IMG, ...cmd]);
  return r.stdout.trim();
}

async function status(name: string): Promise<string> {
  const r = await env.skiff(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']);
  const row = r.lines.find((l) => l.startsWith(`${name}|`));
  return row ? row.slice(name.length + 1) : '';
}

let webId = '';

test.serial('run -d prints a 64-hex id at once', async (t) => {
  const started = Date.now();
  const r = await env.skiff(['run', '-d', '--name', 'web', IMG, 'httpd', '-f', '-p', '8080']);
  t.regex(r.stdout, /^[0-9a-f]{64}$/);
  t.true(Date.now() - started < 20_000);
  webId = r.stdout;
});

test.serial('ps shows web as Up', async (t) => {
  const r = await env.skiff(['ps']);
  t.regex(r.lines[0] ?? '', /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  const row = r.lines.find((l) => /\sweb$/.test(l));
  t.truthy(row, r.stdout);
  t.true(row!.startsWith(webId.slice(0, 12)));
  t.regex(row!, /\sUp /);
});

test.serial('ps --format with a template', async (t) => {
  const r = await env.skiff(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
  const row = r.lines.find((l) => l.split(' ')[1] === 'web');
  t.truthy(row, r.stdout);
  t.regex(row!, new RegExp(`^${webId.slice(0, 12)} web Up `));
});

test.serial('ps --format json', async (t) => {
  const r = await env.skiff(['ps', '--format', 'json']);
  const list = JSON.parse(r.stdout) as Array<{ Id: string; Names: string[]; State: string }>;
  t.true(Array.isArray(list));
  const web = list.find((c) => c.Names?.includes('web'));
  t.truthy(web, r.stdout);
  t.deepEqual(web!.Names, ['web']);
  t.is(web!.Id, webId);
  t.is(web!.State, 'running');
});

test.serial('ps -q prints 12-hex ids and --no-trunc 64', async (t) => {
  const q = await env.skiff(['ps', '-q']);
  t.true(q.lines.length >= 1);
  for (const l of q.lines) t.regex(l, /^[0-9a-f]{12}$/);
  t.true(q.lines.includes(webId.slice(0, 12)));
  const full = await env.skiff(['ps', '-q', '--no-trunc']);
  for (const l of full.lines) t.regex(l, /^[0-9a-f]{64}$/);
  t.true(full.lines.includes(webId));
});

test.serial('logs has stdout and stderr of a detached container; --tail 1', async (t) => {
  const name = uniqueName('logs');
  // stdout and stderr are separate pipes: without a pause their order in the log is a race.
  await runDetached(name, ['sh', '-c', 'echo one; sleep 0.3; echo two >&2; sleep 1000']);
  let last: SkiffResult | undefined;
  const ok = await poll(async () => {
    last = await env.skiff(['logs', name]);
    const all = `${last.stdout}\n${last.stderr}`;
    return all.includes('one') && all.includes('two');
  });
  t.true(ok, `logs never showed one and two: ${JSON.stringify(last)}`);
  t.regex(last!.stdout, /^one$/m, 'stdout line on stdout');
  t.regex(last!.stderr, /^two$/m, 'stderr line on stderr');

  const tail = await env.skiff(['logs', '--tail', '1', name]);
  const lines = `${tail.stdout}\n${tail.stderr}`.split('\n').filter((l) => l !== '');
  t.deepEqual(lines, ['two']);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('logs -f returns when the container exits', async (t) => {
  const name = uniqueName('follow');
  await runDetached(name, ['sh', '-c', 'echo first; sleep 1; echo second']);
  const r = await env.skiff(['logs', '-f', name], { timeout: 20_000 });
  t.regex(r.stdout, /first\nsecond/);
  t.regex(await status(name), /^Exited \(0\)/);
  await env.skiff(['rm', name]);
});

test.serial('stop -t 1 kills a container that ignores SIGTERM: Exited (137)', async (t) => {
  const name = uniqueName('stubborn');
  await runDetached(name, ['sh', '-c', 'trap "" TERM; sleep 1000']);
  await sleep(300); // let the trap be installed
  const started = Date.now();
  await env.skiff(['stop', '-t', '1', name], { timeout: 15_000 });
  const took = Date.now() - started;
  t.true(took < 8_000, `stop took ${took} ms`);
  t.regex(await status(name), /^Exited \(137\)/);
  const code = await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', name]);
  t.is(code.stdout, '137');
  await env.skiff(['rm', name]);
});

test.serial('kill -s TERM delivers SIGTERM', async (t) => {
  const name = uniqueName('term');
  // pid 1 in a pid namespace ignores signals it has no handler for, so the
  // container traps TERM and exits with a code of its own.
  await runDetached(name, ['sh', '-c', 'trap "exit 9" TERM; sleep 1000 & wait']);
  await sleep(300); // let the trap be installed
  await env.skiff(['kill', '-s', 'TERM', name]);
  const st = await poll(async () => {
    const s = await status(name);
    return s.startsWith('Exited') ? s : '';
  });
  t.regex(st, /^Exited \(9\)/, `status: ${st || (await status(name))}`);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('wait prints the exit code', async (t) => {
  const name = uniqueName('wait');
  await runDetached(name, ['sh', '-c', 'sleep 1; exit 7']);
  const r = await env.skiff(['wait', name], { timeout: 20_000 });
  t.is(r.stdout, '7');
  await env.skiff(['rm', name]);
});

test.serial('rm of a running container without -f exits 2; rm -f removes it', async (t) => {
  const name = uniqueName('busy');
  const id = await runDetached(name, ['sleep', '1000']);
  const r = await env.skiff(['rm', name], { exit: 2 });
  t.regex(r.stderr, /^Error: /m);
  t.regex(await status(name), /^Up /);
  const rm = await env.skiff(['rm', '-f', '-t', '0', name]);
  t.true(rm.stdout.includes(id) || rm.stdout.includes(name), rm.stdout);
  t.is(await status(name), '');
});

test.serial('rm of a missing container exits 1', async (t) => {
  const r = await env.skiff(['rm', 'no-such-container'], { exit: 1 });
  t.regex(r.stderr, /^Error: .*no-such-container/m);
});

test.serial('create, start, start -a', async (t) => {
  const name = uniqueName('created');
  const c = await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'sh', '-c', 'echo ran']);
  t.regex(c.stdout, /^[0-9a-f]{64}$/);
  t.regex(await status(name), /^Created/);
  await env.skiff(['start', name]);
  const st = await poll(async () => {
    const s = await status(name);
    return s.startsWith('Exited') ? s : '';
  });
  t.regex(st, /^Exited \(0\)/);
  const a = await env.skiff(['start', '-a', name], { timeout: 20_000 });
  t.is(a.stdout, 'ran');
  const logs = await env.skiff(['logs', name]);
  t.is(logs.stdout, 'ran\nran');
  await env.skiff(['rm', name]);
});

test.serial('start -a returns the exit code', async (t) => {
  const name = uniqueName('attach');
  await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'sh', '-c', 'exit 4']);
  await env.skiff(['start', '-a', name], { exit: 4, timeout: 20_000 });
  await env.skiff(['rm', name]);
  t.pass();
});

test.serial('a name already in use exits 125 and leaves the first container alone', async (t) => {
  const name = uniqueName('dup');
  const id = await runDetached(name, ['sleep', '1000']);
  const r = await env.skiff(['run', '-d', '--network', 'none', '--name', name, IMG, 'true'], { exit: 125 });
  t.regex(r.stderr, /already in use/);
  t.regex(await status(name), /^Up /);
  const ids = await env.skiff(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
  t.deepEqual(
    ids.lines.filter((l) => l.endsWith(` ${name}`)),
    [`${id} ${name}`],
  );
  const c = await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true'], { exit: 125 });
  t.regex(c.stderr, /already in use/);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('rm -f web', async (t) => {
  await env.skiff(['rm', '-f', '-t', '0', 'web']);
  const r = await env.skiff(['ps', '-aq']);
  t.false(r.lines.includes(webId.slice(0, 12)));
});
