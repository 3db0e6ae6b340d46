// skiff network benchmark: iperf3 through a published port, host→container
// and container→host (iperf3 -R), and the memory of every process kept for
// a container with -p; podman side by side, interleaved.
//
//   node build/bench/network.js              (compiled from bench/network.ts by npm run build:test)
//   BENCH_RUNS=7 BENCH_SECONDS=3 node build/bench/network.js
//
// Set-ups: skiff with slirp4netns (ports forwarded by slirp4netns itself)
// and with pasta (its -t/-u); podman with slirp4netns and its default
// port_handler=rootlesskit (the rootlessport pair), with
// port_handler=slirp4netns, and with pasta when podman knows it (4.3 does
// not); and on a user network (skiff: the rootless netns's slirp4netns
// forwards to the container's bridge address; podman: rootlessport). The container runs the host's own iperf3 (with its libraries, copied
// into a busybox image: no network needed); the client is the host's iperf3
// on 127.0.0.1. As run.ts: private stores under /tmp, a measurement and
// not a test (exit 0 unless the benchmark itself breaks).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { buildHostBinariesTar } from '../test/fixtures/host-binaries.js';
import { median, mib, positiveInt, readProc, runBench, table, type StoreEngine } from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 5);
const SECONDS = positiveInt(process.env.BENCH_SECONDS, 3);
const IPERF_IMAGE = 'localhost/iperf3';

interface Setup {
  label: string;
  engine: StoreEngine;
  network: string;
  /** Host processes kept for the container besides the monitor's own tree: how to find them. */
  helpers: (sandbox: string) => number[];
}

interface Running extends Setup {
  name: string;
  port: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** This user's processes whose comm matches. */
function processes(comm: RegExp): number[] {
  const uid = process.getuid!();
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    if (!comm.test(readProc(pid, 'comm')?.trim() ?? '')) return false;
    return Number(/^Uid:\s+(\d+)/m.exec(readProc(pid, 'status') ?? '')?.[1]) === uid;
  });
}

const cmdlineHas = (pid: number, text: string) => (readProc(pid, 'cmdline') ?? '').includes(text);

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // gone
  }
  for (const t of tasks) {
    for (const c of (readProc(pid, `task/${t}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number)) out.push(c, ...descendants(c));
  }
  return out;
}

function memory(pid: number): { rss: number; pss: number } {
  const text = readProc(pid, 'smaps_rollup') ?? '';
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('Rss'), pss: kb('Pss') };
}

/** One iperf3 run from the host: bits per second received (by the container, or with -R by the host). */
async function iperf(port: number, reverse: boolean): Promise<number> {
  const r = await execa('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])], { reject: false, timeout: (SECONDS + 20) * 1000 });
  const doc = JSON.parse(r.stdout || '{}') as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  const bps = doc.end?.sum_received?.bits_per_second;
  if (!bps) throw new Error(`iperf3 to port ${port}${reverse ? ' -R' : ''}: ${doc.error ?? r.stderr ?? 'no result'}`);
  return bps;
}

async function waitForServer(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await execa('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-J'], { reject: false, timeout: 10_000 });
    if (r.exitCode === 0) return;
    await sleep(200);
  }
  throw new Error(`no iperf3 server on port ${port}`);
}

const gbit = (bps: number | undefined) => (bps === undefined ? '-' : `${(bps / 1e9).toFixed(2)} Gbit/s`);

runBench(async (bench) => {
  const tarball = await buildHostBinariesTar(['/usr/bin/iperf3'], `${bench.top}/iperf3.tar`);
  for (const e of bench.engines) await e.run(['import', tarball, IPERF_IMAGE]);
  await rm(tarball, { force: true });
  console.log(`bench network: iperf3 -t ${SECONDS} through a published port, ${RUNS} runs per direction, interleaved; ${bench.podmanNote}`);

  // A user network: the rootless netns's own slirp4netns forwards the ports (skiff) or rootlessport does (podman); that
  // slirp4netns and aardvark-dns are shared by every container on user networks, counted here for the one container.
  for (const e of bench.engines) await e.run(['network', 'create', 'benchnet']);
  // skiff's rootless netns and aardvark-dns name its run root; podman's aardvark-dns names its run root, its rootless netns
  // is under XDG_RUNTIME_DIR (rootless-netns-HASH): one per user, which no other podman of this user runs meanwhile.
  const underRunroot = (e: StoreEngine) => processes(/^(slirp4netns|aardvark-dns)$/).filter((x) => cmdlineHas(x, `${e.runroot}/`));
  const setups: Setup[] = [
    { label: 'skiff slirp4netns', engine: bench.skiff, network: 'slirp4netns', helpers: (sb) => processes(/^slirp4netns$/).filter((p) => cmdlineHas(p, sb)) },
    { label: 'skiff pasta', engine: bench.skiff, network: 'pasta', helpers: (sb) => processes(/^pas(ta|st)/).filter((p) => cmdlineHas(p, sb)) },
    { label: 'skiff user network', engine: bench.skiff, network: 'benchnet', helpers: () => underRunroot(bench.skiff) },
  ];
  const p = bench.podman;
  if (p) {
    // rootlessport's command line names nothing: with one podman container running, every one of this user's is its.
    const rootlessport = () => processes(/^rootlessport$/).flatMap((pid) => [pid, ...descendants(pid)]);
    setups.push(
      { label: 'podman slirp4netns (rootlesskit)', engine: p, network: 'slirp4netns', helpers: (sb) => [...processes(/^slirp4netns$/).filter((x) => cmdlineHas(x, sb)), ...rootlessport()] },
      { label: 'podman slirp4netns:port_handler=slirp4netns', engine: p, network: 'slirp4netns:port_handler=slirp4netns', helpers: (sb) => processes(/^slirp4netns$/).filter((x) => cmdlineHas(x, sb)) },
      { label: 'podman user network (rootlessport)', engine: p, network: 'benchnet', helpers: () => [...rootlessport(), ...underRunroot(p), ...processes(/^slirp4netns$/).filter((x) => cmdlineHas(x, '/rootless-netns-'))] },
    );
    const pasta = await p.run(['run', '--rm', '--network', 'pasta', IPERF_IMAGE, 'true']).then(() => true, () => false);
    if (pasta) setups.push({ label: 'podman pasta', engine: p, network: 'pasta', helpers: (sb) => processes(/^pas(ta|st)/).filter((x) => cmdlineHas(x, sb)) });
    else console.log(`podman ${bench.podmanNote.split(' ')[1] ?? ''} has no --network pasta: left out`);
  }

  // Memory first, one container at a time, so that podman's rootlessport pair is the container's own.
  const memoryRows: string[][] = [['every process kept for one container with -p', 'processes', 'Rss', 'Pss']];
  for (const [i, s] of setups.entries()) {
    const name = `netmem${i}`;
    const port = await freePort();
    bench.running.push(name);
    try {
      await s.engine.run(['run', '-d', '--name', name, '--network', s.network, '-p', `${port}:5201`, IPERF_IMAGE, 'iperf3', '-s']);
      await waitForServer(port);
      await sleep(8000);
      const [monitor, pid, sandbox] = (await s.engine.run(['container', 'inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}} {{.NetworkSettings.SandboxKey}}', name])).split(' ');
      const container = new Set([Number(pid), ...descendants(Number(pid))]);
      const kept = [...new Set([Number(monitor), ...descendants(Number(monitor)).filter((x) => !container.has(x)), ...s.helpers(sandbox ?? '')])];
      const m = kept.map(memory);
      const comms = kept.map((x) => readProc(x, 'comm')?.trim() ?? '?').join('+');
      memoryRows.push([s.label, comms, mib(m.reduce((a, x) => a + x.rss, 0)), mib(m.reduce((a, x) => a + x.pss, 0))]);
    } catch (err) {
      bench.errors.push({ engine: s.engine.name, metric: `memory ${s.label}`, message: (err as Error).message });
    } finally {
      await s.engine.run(['rm', '-f', '-t', '0', name]).catch(() => '');
      bench.running.splice(bench.running.indexOf(name), 1);
    }
  }

  // Throughput: every set-up's server running at once, clients interleaved.
  const running: Running[] = [];
  for (const [i, s] of setups.entries()) {
    const name = `netperf${i}`;
    const port = await freePort();
    bench.running.push(name);
    try {
      await s.engine.run(['run', '-d', '--name', name, '--network', s.network, '-p', `${port}:5201`, IPERF_IMAGE, 'iperf3', '-s']);
      await waitForServer(port);
      running.push({ ...s, name, port });
    } catch (err) {
      bench.errors.push({ engine: s.engine.name, metric: `iperf3 server ${s.label}`, message: (err as Error).message });
    }
  }
  const samples = new Map<string, { up: number[]; down: number[] }>(running.map((r) => [r.label, { up: [], down: [] }]));
  for (let round = 0; round < RUNS; round++) {
    process.stderr.write(`  round ${round + 1}/${RUNS}\n`);
    for (const r of running) {
      for (const reverse of [false, true]) {
        try {
          samples.get(r.label)![reverse ? 'down' : 'up'].push(await iperf(r.port, reverse));
        } catch (err) {
          bench.errors.push({ engine: r.engine.name, metric: `iperf3 ${r.label}${reverse ? ' -R' : ''}`, message: (err as Error).message });
        }
      }
    }
  }
  for (const r of running) await r.engine.run(['rm', '-f', '-t', '0', r.name]).catch(() => '');
  bench.running.splice(0, bench.running.length);
  for (const e of bench.engines) await e.run(['network', 'rm', '-f', 'benchnet']).catch(() => '');

  const base = samples.get('podman slirp4netns (rootlesskit)');
  const ratio = (xs: number[], ys: number[] | undefined) => (xs.length && ys?.length ? `${(median(xs) / median(ys)).toFixed(2)}x` : '-');
  const span = (xs: number[]) => (xs.length ? `${(Math.min(...xs) / 1e9).toFixed(2)}-${(Math.max(...xs) / 1e9).toFixed(2)}` : '-');
  const rows = [['iperf3 through -p (median)', 'host→container', 'min-max', 'vs podman', 'container→host (-R)', 'min-max', 'vs podman']];
  for (const [label, s] of samples) {
    rows.push([label, gbit(s.up.length ? median(s.up) : undefined), span(s.up), ratio(s.up, base?.up), gbit(s.down.length ? median(s.down) : undefined), span(s.down), ratio(s.down, base?.down)]);
  }
  console.log('');
  console.log(table(rows));
  console.log('("vs podman": against podman\'s default, slirp4netns with port_handler=rootlesskit)');
  console.log('');
  console.log(table(memoryRows));
  console.log(`(the monitor or conmon, its descendants that are not the container, and the network helpers for the container, ~8 s after its start; host iperf3 ${execFileSync('iperf3', ['--version'], { encoding: 'utf8' }).split('\n')[0]})`);
});
