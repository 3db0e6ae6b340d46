// `skiff stats` end to end on real containers: memory a shell holds, CPU a
// busy loop burns, forked processes, traffic through slirp4netns from a
// server on the host's loopback, podman's columns, templates and JSON keys,
// the stream (frames, containers that stop, SIGTERM ends it with 0), and
// containers that are not running or do not exist.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { ptySkiff } from '../../helpers/pty-session.js';
import { SKIFF_BIN, poll, sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

const HEADER = ['ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET IO', 'BLOCK IO', 'PIDS', 'CPU TIME', 'AVG CPU %'];

/** Bytes from go-units' HumanSize text ("20.97MB", "0B"). */
function bytes(human: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB|TB)$/.exec(human.trim());
  if (!m) throw new Error(`not a size: ${human}`);
  return Number(m[1]) * 1000 ** ['B', 'kB', 'MB', 'GB', 'TB'].indexOf(m[2]);
}

async function runDetached(name: string, script: string, extra: string[] = []): Promise<void> {
  await env.skiff(['run', '-d', '--name', name, ...extra, BUSYBOX_IMAGE, 'sh', '-c', script]);
}

async function statsOf(name: string, field: string): Promise<string> {
  return (await env.skiff(['stats', '--no-stream', '--format', `{{.${field}}}`, name])).stdout;
}

test.serial('memory: a shell holding a 20 MB string shows at least 20 MB, as a share of the host memory', async (t) => {
  const name = uniqueName('mem');
  // `; echo` keeps the shell alive: ash would exec a last `sleep` and drop the string.
  await runDetached(name, 'x=$(yes aaaaaaaaaaaaaaaaaaa | head -c 20000000); sleep 1000; echo ${#x}', ['--network', 'none']);
  const usage = await poll(async () => {
    const [used] = (await statsOf(name, 'MemUsage')).split(' / ');
    return bytes(used) >= 20e6 ? used : undefined;
  }, 20_000, 300);
  t.truthy(usage, 'MEM USAGE never reached 20 MB');
  const [used, limit] = (await statsOf(name, 'MemUsage')).split(' / ').map(bytes);
  const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;
  // The host's memory: no limit was set (4 significant digits).
  t.true(Math.abs(limit - memTotal) / memTotal < 0.001, `limit ${limit} vs MemTotal ${memTotal}`);
  const perc = Number((await statsOf(name, 'MemPerc')).replace('%', ''));
  t.true(Math.abs(perc - (used / limit) * 100) < 0.05, `MEM % ${perc} for ${used} / ${limit}`);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('CPU: busy loops show a high CPU % with --no-stream, matching their CPU time measured beside it', async (t) => {
  const name = uniqueName('spin');
  await runDetached(name, 'for i in 1 2; do (while :; do :; done) & done; wait', ['--network', 'none']);
  await sleep(500);
  const hostPids = (await env.skiff(['top', name, 'hpid'])).lines.slice(1).map((l) => Number(l.trim()));
  t.is(hostPids.length, 3);
  // utime+stime of the container's processes, read here independently of skiff (same uid: readable).
  const ticks = async () => {
    let sum = 0;
    for (const pid of hostPids) {
      const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      sum += Number(f[11]) + Number(f[12]);
    }
    return sum;
  };
  const [c0, w0] = [await ticks(), Date.now()];
  const r = await env.skiff(['stats', '--no-stream', '--format', '{{.CPUPerc}} {{.AVGCPU}} {{.CPU}} {{.UpTime}}', name]);
  const [c1, w1] = [await ticks(), Date.now()];
  await env.skiff(['rm', '-f', '-t', '0', name]);
  // 100 ticks a second: ticks per ms x 1000 = CPU %.
  const measured = ((c1 - c0) * 1000) / (w1 - w0);
  const [perc, avg, raw, cpuTime] = r.stdout.split(' ');
  t.log(`stats ${r.stdout}; measured beside it ${measured.toFixed(1)}%`);
  t.regex(perc, /^\d+\.\d\d%$/);
  t.regex(avg, /^\d+\.\d\d%$/);
  const cpu = Number(perc.slice(0, -1));
  // The host's 2 CPUs are shared with other test runs and the container is one scheduling
  // group (its own session): what it can get varies, so the bar is what it got beside stats.
  if (measured > 100) t.true(cpu > 50, r.stdout);
  t.true(cpu > measured * 0.5 && cpu < measured * 2 + 10, `stats ${cpu}% vs measured ${measured}%`);
  t.true(Number(avg.slice(0, -1)) > 0, r.stdout);
  t.true(Math.abs(Number(raw) - cpu) < 0.01, `.CPU ${raw} is the unrounded .CPUPerc`);
  t.regex(cpuTime, /^(\d+m)?[\d.]+s$|^\d+ms$/);
});

test.serial('PIDS counts the processes a container forked', async (t) => {
  const name = uniqueName('kids');
  await runDetached(name, 'sleep 1000 & sleep 1000 & sleep 1000 & wait', ['--network', 'none']);
  const pids = await poll(async () => ((await statsOf(name, 'PIDS')) === '4' ? '4' : undefined), 10_000);
  t.is(pids, '4');
  t.is(await statsOf(name, 'PIDs'), '4');
  await env.skiff(['exec', '-d', name, 'sleep', '1000']);
  t.is(await poll(async () => ((await statsOf(name, 'PIDS')) === '5' ? '5' : undefined), 10_000), '5', 'an exec session counts too');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('net I/O: bytes fetched from a host server through slirp4netns count as input; lo does not count', async (t) => {
  const body = Buffer.alloc(300_000, 'x');
  const server: Server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const name = uniqueName('net');
  try {
    await runDetached(name, 'httpd -p 127.0.0.1:8080 -h /etc; sleep 1000', ['--network', 'slirp4netns:allow_host_loopback=true']);
    const before = Number(await statsOf(name, 'NetInput'));
    // Loopback traffic inside the container: not counted, as podman.
    await env.skiff(['exec', name, 'sh', '-c', 'for i in 1 2 3 4 5; do wget -q -O /dev/null http://127.0.0.1:8080/passwd; done']);
    const afterLo = Number(await statsOf(name, 'NetInput'));
    t.true(afterLo - before < 10_000, `loopback counted: ${before} → ${afterLo}`);
    await env.skiff(['exec', name, 'wget', '-q', '-O', '/dev/null', `http://10.0.2.2:${port}/`]);
    const r = await env.skiff(['stats', '--no-stream', '--format', '{{.NetInput}} {{.NetOutput}} {{.NetIO}}', name]);
    const [input, output] = r.stdout.split(' ').map(Number);
    t.true(input - afterLo >= body.length, `NetInput grew by ${input - afterLo}`);
    t.true(output > 0);
    // The same figures the container's own /proc/net/dev shows (all interfaces but lo).
    const dev = await env.skiff(['exec', name, 'cat', '/proc/net/dev']);
    const inside = dev.lines.filter((l) => l.includes(':') && !/^\s*lo:/.test(l) && !l.includes('|'))
      .reduce((sum, l) => sum + Number(l.split(':')[1].trim().split(/\s+/)[0]), 0);
    t.true(inside >= input && inside - input < 5_000, `stats ${input}, inside ${inside}`);
    t.regex(r.stdout, / [\d.]+kB \/ [\d.]+k?B$/);
  } finally {
    server.close();
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

test.serial('output: podman columns, templates, --no-trunc, json keys', async (t) => {
  const name = uniqueName('fmt');
  await runDetached(name, 'sleep 1000', ['--network', 'none']);
  const id = (await env.skiff(['inspect', '--format', '{{.Id}}', name])).stdout;

  const table = await env.skiff(['stats', '--no-stream', name]);
  t.deepEqual(table.lines[0].split(/ {2,}/), HEADER);
  t.is(table.lines.length, 2);
  const row = table.lines[1].split(/ {2,}/);
  t.is(row[0], id.slice(0, 12));
  t.is(row[1], name);
  t.regex(row[2], /^\d+\.\d\d%$/);
  t.regex(row[3], /^[\d.]+[kMG]?B \/ [\d.]+GB$/);
  t.is(row[7], '1');
  // podman's tabwriter: every column but the last at least 12 wide.
  t.is(table.lines[0].indexOf('NAME'), 14);

  t.is(await statsOf(name, 'ID'), id.slice(0, 12));
  t.is((await env.skiff(['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}}', name])).stdout, id);
  t.regex(await statsOf(name, 'MemUsageBytes'), /^[\d.]+[KMG]?i?B \/ [\d.]+GiB$/);
  t.regex(await statsOf(name, 'BlockIO'), /^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);

  const tpl = await env.skiff(['stats', '--no-stream', '--format', 'table {{.Name}}\t{{.MemUsage}}\t{{.UpTime}}', name]);
  t.deepEqual(tpl.lines[0].split(/ {2,}/), ['NAME', 'MEM USAGE / LIMIT', 'CPU TIME']);
  t.is(tpl.lines[1].split(/ {2,}/)[0], name);

  const json = await env.skiff(['stats', '--no-stream', '--format', 'json', name]);
  const parsed = JSON.parse(json.stdout) as Array<Record<string, string>>;
  t.is(parsed.length, 1);
  t.deepEqual(Object.keys(parsed[0]), ['id', 'name', 'cpu_time', 'cpu_percent', 'avg_cpu', 'mem_usage', 'mem_percent', 'net_io', 'block_io', 'pids']);
  t.is(parsed[0].id, id.slice(0, 12));
  t.is(parsed[0].pids, '1');
  t.deepEqual(JSON.parse((await env.skiff(['stats', '--no-stream', '--format', '{{json .}}', name])).stdout).length, 1);

  const bad = await env.skiff(['stats', '--no-stream', '--format', '{{.NoSuchField}}', name], { exit: 125 });
  t.regex(bad.stderr, /^Error: template: .*NoSuchField/);
  // Where the figures come from is said once, on stderr only.
  t.is(json.stderr.split('\n').filter(Boolean).length, 1, json.stderr);
  t.regex(json.stderr, /\/proc/);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('stream: a frame per interval, a stopped container leaves it, SIGTERM ends it with 0', async (t) => {
  const keep = uniqueName('keep');
  const gone = uniqueName('gone');
  await runDetached(keep, 'sleep 1000', ['--network', 'none']);
  await runDetached(gone, 'sleep 1000', ['--network', 'none']);
  const child = execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'stats', '-i', '1', '--format', 'table {{.Name}}\t{{.PIDS}}'], {
    reject: false, stdin: 'ignore', timeout: 60_000,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const frames = () => out.split(/^NAME .*\n/m).slice(1);
  t.truthy(await poll(async () => frames().length >= 2, 20_000), out);
  t.true(frames()[0].includes(keep) && frames()[0].includes(gone), out);
  await env.skiff(['rm', '-f', '-t', '0', gone]);
  const seen = frames().length;
  t.truthy(await poll(async () => frames().length >= seen + 2, 20_000), out);
  const last = frames().at(-1)!;
  t.true(last.includes(keep) && !last.includes(gone), out);
  // Not a terminal: no screen clearing in the output.
  t.false(out.includes('\x1b['));
  child.kill('SIGTERM');
  const r = await child;
  t.is(r.exitCode, 0, String(r.stderr));
  await env.skiff(['rm', '-f', '-t', '0', keep]);
});

test.serial('stream on a terminal: each frame clears the screen first (not with --no-reset), Ctrl-C ends it with 0', async (t) => {
  const name = uniqueName('tty');
  await runDetached(name, 'sleep 1000', ['--network', 'none']);
  const CLEAR = '\x1b[2J\x1b[1;1H';
  const session = ptySkiff(env, ['stats', '-i', '1', name], 160);
  try {
    const first = await session.expect(/AVG CPU %/, 0, 20_000);
    await session.expect(/AVG CPU %/, first, 20_000);
    t.true(session.output().startsWith(CLEAR), JSON.stringify(session.output().slice(0, 40)));
    t.true(session.output().split(CLEAR).length >= 3, 'a clear before each frame');
    t.is(session.output().split('WARN[').length, 2, 'where the figures come from: said once, after the first frame');
    session.term.write('\x03');
    t.is((await session.exit(15_000)).exitCode, 0);
  } finally {
    session.kill();
  }
  const noReset = ptySkiff(env, ['stats', '-i', '1', '--no-reset', name], 160);
  try {
    const first = await noReset.expect(/AVG CPU %/, 0, 20_000);
    await noReset.expect(/AVG CPU %/, first, 20_000);
    t.false(noReset.output().includes('\x1b[2J'));
    noReset.term.write('\x03');
    t.is((await noReset.exit(15_000)).exitCode, 0);
  } finally {
    noReset.kill();
  }
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('containers that are not running: zeros when named or with -a, absent otherwise; unknown ones fail with 125', async (t) => {
  const created = uniqueName('created');
  const running = uniqueName('running');
  await env.skiff(['create', '--network', 'none', '--name', created, BUSYBOX_IMAGE, 'true']);
  await runDetached(running, 'sleep 1000', ['--network', 'none']);

  const named = await env.skiff(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDS}}|{{.UpTime}}', created]);
  t.is(named.stdout, `${created}|0.00%|0B / 0B|0B / 0B|0B / 0B|0|0s`);

  const names = async (args: string[]) => (await env.skiff(['stats', '--no-stream', ...args, '--format', '{{.Name}}'])).lines;
  t.true((await names([])).includes(running));
  t.false((await names([])).includes(created));
  t.true((await names(['-a'])).includes(created));
  t.deepEqual(await names(['-l']), [running]);

  const unknown = await env.skiff(['stats', '--no-stream', 'nosuchcontainer'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: unable to get list of containers: unable to look up container nosuchcontainer: no container with name or ID "nosuchcontainer" found: no such container');
  t.is(unknown.stdout, '');

  const both = await env.skiff(['stats', '--no-stream', '-a', running], { exit: 125 });
  t.is(both.stderr.trim(), 'Error: --all, --latest and containers cannot be used together');
  const zero = await env.skiff(['stats', '--no-stream', '-i', '0'], { exit: 125 });
  t.is(zero.stderr.trim(), 'Error: invalid interval, must be a positive number greater zero');
  await env.skiff(['rm', '-f', '-t', '0', running, created]);
});
