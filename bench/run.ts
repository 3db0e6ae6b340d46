// skiff benchmark: start-up latency, `ps` with many containers and the
// resident memory of the per-container monitor, side by side with podman
// when podman is installed.
//
//   npm run bench                        (as a normal user with subuid/subgid ranges)
//   BENCH_RUNS=25 node build/bench/run.js (samples per metric, default 15, after 2 warm-ups;
//                                         compiled from bench/run.ts by npm run build:test)
//   BENCH_ONLY=memory node build/bench/run.js
//                                        (only the memory figures: one idle monitor, then
//                                         ten idle containers per network mode)
//   sudo SKIFF_BENCH_USER=alice npm run bench
//                                        (as root: builds as root, then re-runs itself as
//                                         alice, who must be able to read the checkout;
//                                         without SKIFF_BENCH_USER it skips with a message
//                                         and exit 0, since skiff is rootless)
//
// Everything runs against private stores in a short temp dir under /tmp
// (unix socket paths are limited to 108 bytes) which is removed at the end.
// It is a measurement, not a test: missed targets still exit 0; only a
// benchmark that cannot run (setup failure, a skiff command failing) exits 1.
import { readlinkSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IMAGE, MiB, WARMUP, latency, median, mib, ms, positiveInt, readProc, runBench, table, timed,
  type Engine, type Sample, type StoreEngine,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 15);
const PS_CONTAINERS = 50;
const MEMORY_ONLY = process.env.BENCH_ONLY === 'memory';
const FLEET = 10;
const FLEET_NETWORKS = ['none', 'slirp4netns'] as const;

// Targets from the issue.
const TARGET_RUN_RATIO = 1.5; // skiff `run --rm … true` median ≤ 1.5 × podman's
const TARGET_MONITOR_PRIVATE = 8 * MiB; // monitor Private_Clean + Private_Dirty (issue 9)
const TARGET_CONTAINER_PSS = 10 * MiB; // PSS of every process kept per container, ten running (issue 10)

// ---------------------------------------------------------------------------
// Memory

function parseKb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}


function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const text = readProc(pid, `task/${t}/children`);
    if (text) out.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

function descendants(pid: number, depth = 1): Array<{ pid: number; depth: number }> {
  const out: Array<{ pid: number; depth: number }> = [];
  for (const c of children(pid)) {
    out.push({ pid: c, depth });
    out.push(...descendants(c, depth + 1));
  }
  return out;
}

function cmdline(pid: number): string {
  const raw = readProc(pid, 'cmdline');
  if (raw === undefined) return '?';
  const s = raw.replace(/\0+$/, '').split('\0').join(' ');
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

/** smaps_rollup of pid, plus how much of its own executable's mappings is clean and shared. */
interface Memory {
  pid: number;
  cmd: string;
  error?: string;
  exe?: string;
  rss: number;
  pss: number;
  privateClean: number;
  privateDirty: number;
  exeRss: number;
  exeSharedClean: number;
  early?: Memory;
}

interface ChildMemory extends Memory {
  depth: number;
  isContainer: boolean;
}

interface MonitorMemory {
  monitor: Memory;
  kids: ChildMemory[];
  containerPid: number;
}

function memoryOf(pid: number): Memory {
  const rollupText = readProc(pid, 'smaps_rollup');
  if (rollupText === undefined) return { pid, cmd: cmdline(pid), error: 'smaps_rollup unreadable', rss: 0, pss: 0, privateClean: 0, privateDirty: 0, exeRss: 0, exeSharedClean: 0 };
  const rollup = parseKb(rollupText);
  let exe: string | undefined;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // unreadable
  }
  // Shared_Clean in mappings of the process's own binary: for a node-based
  // monitor these are node's text pages, shared with this benchmark's own
  // node process (and any other node running); alone they would be Private_Clean.
  let exeRss = 0;
  let exeSharedClean = 0;
  const smaps = readProc(pid, 'smaps');
  if (smaps && exe) {
    let inExe = false;
    for (const line of smaps.split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
        const path = line.split(/\s+/).slice(5).join(' ');
        inExe = path === exe;
      } else if (inExe) {
        const m = /^(Rss|Shared_Clean):\s+(\d+) kB/.exec(line);
        if (m && m[1] === 'Rss') exeRss += Number(m[2]) * 1024;
        if (m && m[1] === 'Shared_Clean') exeSharedClean += Number(m[2]) * 1024;
      }
    }
  }
  return {
    pid,
    cmd: cmdline(pid),
    exe,
    rss: rollup.Rss ?? 0,
    pss: rollup.Pss ?? 0,
    privateClean: rollup.Private_Clean ?? 0,
    privateDirty: rollup.Private_Dirty ?? 0,
    exeRss,
    exeSharedClean,
  };
}

async function waitFor<T>(what: string, fn: () => T | Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts an idle detached container and measures its monitor and the monitor's descendants. */
async function monitorMemory(e: Engine): Promise<MonitorMemory> {
  const name = 'benchmem';
  await e.run(['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '1000']);
  const monitorPid = Number(await e.run(['container', 'inspect', '--format', '{{.State.ConmonPid}}', name]));
  if (!(monitorPid > 0)) throw new Error(`${e.name}: no monitor pid for ${name}`);
  const containerPid = Number(await e.run(['container', 'inspect', '--format', '{{.State.Pid}}', name]).catch(() => '0'));
  // Wait until the container process is up below the monitor, then let things settle.
  await waitFor(`${e.name}'s container process`, () => descendants(monitorPid).some((d) => /sleep 1000/.test(cmdline(d.pid))));
  await sleep(1500);
  const early = memoryOf(monitorPid);
  // An idle process's steady state is what a long-running container costs:
  // V8's memory reducer returns start-up heap pages after ~10 s of idling.
  let monitor = early;
  for (let waited = 0; waited < 20_000; waited += 2_000) {
    await sleep(2_000);
    const next = memoryOf(monitorPid);
    const settled = !next.error && !monitor.error && Math.abs(next.privateDirty - monitor.privateDirty) < 64 * 1024;
    monitor = next;
    if (settled && waited >= 8_000) break;
  }
  monitor.early = early;
  const kids: ChildMemory[] = descendants(monitorPid).map((d) => ({ ...memoryOf(d.pid), depth: d.depth, isContainer: d.pid === containerPid || /^(\/bin\/)?sleep 1000$/.test(cmdline(d.pid)) }));
  return { monitor, kids, containerPid };
}

function memoryReport(label: string, m: MonitorMemory): string {
  const lines: string[] = [];
  const row = (x: Memory, indent: string) => {
    if (x.error) return `${indent}pid ${x.pid}  ${x.cmd}: ${x.error}`;
    return (
      `${indent}pid ${x.pid}  Rss ${mib(x.rss)}  Pss ${mib(x.pss)}  Private_Clean ${mib(x.privateClean)}  ` +
      `Private_Dirty ${mib(x.privateDirty)}  [${x.cmd}]`
    );
  };
  lines.push(`${label} monitor:`);
  lines.push(row(m.monitor, '  '));
  if (!m.monitor.error) {
    lines.push(`  Private (Clean+Dirty) ${mib(m.monitor.privateClean + m.monitor.privateDirty)} once idle` +
      (m.monitor.early && !m.monitor.early.error ? ` (1.5 s after start: ${mib(m.monitor.early.privateClean + m.monitor.early.privateDirty)}, Private_Dirty ${mib(m.monitor.early.privateDirty)})` : ''));
    if (m.monitor.exeSharedClean > 0) {
      lines.push(
        `  of its Rss, ${mib(m.monitor.exeRss)} maps its own binary (${m.monitor.exe}); ${mib(m.monitor.exeSharedClean)} of that is ` +
          `Shared_Clean (shared with another process running the same binary, e.g. this benchmark's node):` +
          `\n  Private if it ran alone ~ ${mib(m.monitor.privateClean + m.monitor.privateDirty + m.monitor.exeSharedClean)}`,
      );
    }
  }
  lines.push(`  descendants${m.kids.length ? '' : ': none'}`);
  for (const k of m.kids) lines.push(row(k, '  ' + '  '.repeat(k.depth)) + (k.isContainer ? '  <- container process' : ''));
  const overhead = [m.monitor, ...m.kids.filter((k) => !k.isContainer)].filter((x) => !x.error);
  lines.push(
    `  resident overhead (monitor + non-container descendants): Rss ${mib(overhead.reduce((a, x) => a + x.rss, 0))}  ` +
      `Pss ${mib(overhead.reduce((a, x) => a + x.pss, 0))}  Private ${mib(overhead.reduce((a, x) => a + x.privateClean + x.privateDirty, 0))}`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Ten idle containers: every process the engine keeps for them

/** The processes of uid `uid` whose comm is `comm`. */
function processesNamed(comm: string): number[] {
  const uid = process.getuid!();
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (readProc(pid, 'comm')?.trim() !== comm) continue;
    const status = readProc(pid, 'status') ?? '';
    if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) out.push(pid);
  }
  return out;
}

/** One kept process: which container it serves and what it is (monitor, slirp4netns, ...). */
interface KeptProcess extends Memory {
  container: string;
  kind: string;
}

interface FleetMemory {
  network: string;
  containers: number;
  kept: KeptProcess[];
}

/**
 * Runs FLEET idle detached containers on `network`, lets them settle, and
 * measures every process the engine keeps for them: the monitor (conmon)
 * and its descendants that are not the container's own processes, plus a
 * slirp4netns that names the container's network namespace wherever it
 * hangs in the process tree (podman's is not below conmon).
 */
async function fleetMemory(e: Engine, network: (typeof FLEET_NETWORKS)[number], running: string[]): Promise<FleetMemory> {
  const names = Array.from({ length: FLEET }, (_, i) => `fleet-${network}-${i}`);
  for (const name of names) {
    running.push(name);
    await e.run(['run', '-d', '--network', network, '--name', name, IMAGE, 'sleep', '1000']);
  }
  const inspected = await Promise.all(names.map(async (name) => {
    const [monitor, pid, sandbox] = (await e.run(['container', 'inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}} {{.NetworkSettings.SandboxKey}}', name])).split(' ');
    if (!(Number(monitor) > 0) || !(Number(pid) > 0)) throw new Error(`${e.name}: no monitor or container pid for ${name}`);
    return { name, monitor: Number(monitor), pid: Number(pid), sandbox: sandbox ?? '' };
  }));
  // As for one monitor: an idle container's steady state, once V8's memory reducer has run.
  await sleep(12_000);
  const kept: KeptProcess[] = [];
  const slirps = processesNamed('slirp4netns');
  for (const c of inspected) {
    const containerTree = new Set([c.pid, ...descendants(c.pid).map((d) => d.pid)]);
    const pids = [c.monitor, ...descendants(c.monitor).map((d) => d.pid).filter((p) => !containerTree.has(p))];
    if (c.sandbox) pids.push(...slirps.filter((p) => !pids.includes(p) && (readProc(p, 'cmdline') ?? '').split('\0').includes(c.sandbox)));
    for (const pid of pids) {
      const m = memoryOf(pid);
      const comm = readProc(pid, 'comm')?.trim() ?? '?';
      kept.push({ ...m, container: c.name, kind: pid === c.monitor ? `monitor (${comm})` : comm });
    }
  }
  if (network === 'slirp4netns' && !kept.some((k) => k.kind === 'slirp4netns')) throw new Error(`${e.name}: found no slirp4netns for the ${network} containers`);
  await e.run(['rm', '-f', '-t', '0', ...names], { timeout: 60_000 });
  running.splice(0, running.length, ...running.filter((n) => !names.includes(n)));
  return { network, containers: FLEET, kept };
}

const privateOf = (m: Memory) => m.privateClean + m.privateDirty;
const sum = (xs: Memory[], f: (m: Memory) => number) => xs.reduce((a, x) => a + f(x), 0);

/** Per container: PSS, Private and Rss of what the engine keeps, summed and divided by the containers. */
function fleetPerContainer(f: FleetMemory): { pss: number; priv: number; rss: number } {
  const ok = f.kept.filter((k) => !k.error);
  return { pss: sum(ok, (m) => m.pss) / f.containers, priv: sum(ok, privateOf) / f.containers, rss: sum(ok, (m) => m.rss) / f.containers };
}

function fleetReport(fleets: Record<string, FleetMemory[]>): string {
  const engines = Object.keys(fleets);
  const lines: string[] = [];
  for (const network of FLEET_NETWORKS) {
    const rows = [['per container, ' + FLEET + ' running, --network ' + network, ...engines.flatMap((n) => [`${n} Pss`, `${n} Private`])]];
    const kinds = new Set(engines.flatMap((n) => fleets[n].find((f) => f.network === network)?.kept.map((k) => k.kind) ?? []));
    for (const kind of kinds) {
      rows.push([`  ${kind}`, ...engines.flatMap((n) => {
        const f = fleets[n].find((x) => x.network === network);
        const ks = f?.kept.filter((k) => k.kind === kind && !k.error) ?? [];
        return ks.length && f ? [mib(sum(ks, (m) => m.pss) / f.containers), mib(sum(ks, privateOf) / f.containers)] : ['-', '-'];
      })]);
    }
    rows.push(['  all kept processes', ...engines.flatMap((n) => {
      const f = fleets[n].find((x) => x.network === network);
      if (!f) return ['-', '-'];
      const per = fleetPerContainer(f);
      return [mib(per.pss), mib(per.priv)];
    })]);
    lines.push(table(rows));
    for (const n of engines) {
      const f = fleets[n].find((x) => x.network === network);
      for (const k of f?.kept.filter((x) => x.error) ?? []) lines.push(`  ${n}: pid ${k.pid} (${k.kind}): ${k.error}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

runBench(async (bench) => {
  const { engines, errors } = bench;
  const p = bench.podman;
  console.log(`bench: ${RUNS} runs per metric after ${WARMUP} warm-ups; skiff runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${bench.podmanNote}`);
  console.error(`bench: store ${bench.top}`);

  // (a), (b): start-up latency of a trivial container.
  type Samples = Record<string, Sample>;
  let runNone: Samples = {};
  let runSlirp: Samples = {};
  let ps: Samples = {};
  const create: Record<string, { median: number; n: number }> = {};
  if (!MEMORY_ONLY) {
    runNone = await latency('run --rm --network none true', engines, ['run', '--rm', '--network', 'none', IMAGE, 'true'], errors, RUNS);
    // Named: skiff's default is pasta where installed, podman 4's slirp4netns.
    runSlirp = await latency('run --rm true (slirp4netns)', engines, ['run', '--rm', '--network', 'slirp4netns', IMAGE, 'true'], errors, RUNS);

    // (c): ps -a with 50 created (not running) containers.
    process.stderr.write(`  create ${PS_CONTAINERS} containers `);
    const createTimes = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    const psEngines: StoreEngine[] = [];
    for (const e of engines) {
      try {
        for (let i = 0; i < PS_CONTAINERS; i++) {
          createTimes.get(e.name)!.push(await timed(() => e.run(['create', '--network', 'none', '--name', `b${i}`, IMAGE, 'true'])));
          if (i % 10 === 9) process.stderr.write('.');
        }
        const listed = (await e.run(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter((l) => /^b\d+$/.test(l.trim()));
        if (listed.length !== PS_CONTAINERS) throw new Error(`${e.name} ps -a lists ${listed.length} of the ${PS_CONTAINERS} created containers`);
        psEngines.push(e);
      } catch (err) {
        errors.push({ engine: e.name, metric: 'create', message: (err as Error).message });
      }
    }
    process.stderr.write('\n');
    ps = await latency(`ps -a (${PS_CONTAINERS} created)`, psEngines, ['ps', '-a'], errors, RUNS);
    for (const [name, xs] of createTimes) if (xs.length === PS_CONTAINERS) create[name] = { median: median(xs), n: xs.length };
  }

  // (d): memory of one idle detached container's monitor.
  process.stderr.write('  monitor memory\n');
  bench.running.push('benchmem');
  const mem: Record<string, MonitorMemory> = {};
  for (const e of engines) {
    try {
      mem[e.name] = await monitorMemory(e);
      // Not counted among the ten below.
      await e.run(['rm', '-f', '-t', '0', 'benchmem']);
    } catch (err) {
      errors.push({ engine: e.name, metric: 'monitor memory', message: (err as Error).message });
    }
  }

  // (e): ten idle containers per network mode, every process kept for them.
  const fleets: Record<string, FleetMemory[]> = {};
  for (const network of FLEET_NETWORKS) {
    for (const e of engines) {
      process.stderr.write(`  ${FLEET} containers, --network ${network}: ${e.name}\n`);
      try {
        (fleets[e.name] ??= []).push(await fleetMemory(e, network, bench.running));
      } catch (err) {
        errors.push({ engine: e.name, metric: `${FLEET} containers --network ${network}`, message: (err as Error).message });
      }
    }
  }

  // ---- report
  const withPodman = p !== undefined && engines.includes(p);
  const header = ['metric (median)', 'skiff', ...(withPodman ? ['podman', 'skiff/podman'] : [])];
  const row = (label: string, r: Record<string, { median: number }>) => {
    const a = r.skiff?.median;
    const b = r.podman?.median;
    return [label, ms(a), ...(withPodman ? [ms(b), a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '-'] : [])];
  };
  if (!MEMORY_ONLY) {
    console.log('');
    console.log(
      table([
        header,
        row('run --rm --network none true', runNone),
        row('run --rm true (slirp4netns)', runSlirp),
        row(`ps -a, ${PS_CONTAINERS} created containers`, ps),
        row('create --network none (per container)', create),
      ]),
    );
    console.log(`(${RUNS} samples each after ${WARMUP} warm-ups, interleaved; create: median of the ${PS_CONTAINERS} creates;`);
    console.log(` the ${PS_CONTAINERS} containers for ps are created, not running)`);
    for (const [label, r] of [['run --network none', runNone], ['run slirp4netns', runSlirp], ['ps -a', ps]] as const) {
      const spread = Object.entries(r).map(([n, x]) => `${n} ${ms(x.min)}..${ms(x.max)}`).join(', ');
      if (spread) console.log(`  range ${label}: ${spread}`);
    }
  }
  console.log('');
  for (const [name, m] of Object.entries(mem)) console.log(memoryReport(name === 'podman' ? 'podman (conmon)' : 'skiff', m), '\n');
  console.log(`Every process kept for ${FLEET} idle containers (sleep), summed and divided by ${FLEET}, ~12 s after the last start`);
  console.log('(Pss shares a page among the processes mapping it, so the node binary\'s text is split among the monitors and any other node running):');
  console.log(fleetReport(fleets));

  console.log('targets:');
  for (const [label, r] of [['run --rm --network none true', runNone], ['run --rm true (slirp4netns)', runSlirp]] as const) {
    if (r.skiff && r.podman) {
      const ratio = r.skiff.median / r.podman.median;
      console.log(`  ${label} within ${TARGET_RUN_RATIO}x of podman: ${ratio.toFixed(2)}x  ${ratio <= TARGET_RUN_RATIO ? 'MET' : 'MISSED'}`);
    } else {
      console.log(`  ${label} within ${TARGET_RUN_RATIO}x of podman: not measured (${r.skiff ? 'no podman figure' : 'no skiff figure'})`);
    }
  }
  const sm = mem.skiff?.monitor;
  if (sm && !sm.error) {
    const priv = sm.privateClean + sm.privateDirty;
    const alone = priv + sm.exeSharedClean;
    console.log(
      `  monitor Private <= ${mib(TARGET_MONITOR_PRIVATE)}: ${mib(priv)} (Private_Clean ${mib(sm.privateClean)} + Private_Dirty ${mib(sm.privateDirty)})  ` +
        `${priv <= TARGET_MONITOR_PRIVATE ? 'MET' : 'MISSED'}`,
    );
    console.log(
      `    if no other process shared its binary's text: ~${mib(alone)}  ${alone <= TARGET_MONITOR_PRIVATE ? 'MET' : 'MISSED'}`,
    );
  } else {
    console.log(`  monitor Private <= ${mib(TARGET_MONITOR_PRIVATE)}: not measured`);
  }
  for (const network of FLEET_NETWORKS) {
    const f = fleets.skiff?.find((x) => x.network === network);
    const label = `Pss kept per container, ${FLEET} running, --network ${network}, <= ${mib(TARGET_CONTAINER_PSS)}`;
    if (!f) {
      console.log(`  ${label}: not measured`);
      continue;
    }
    const per = fleetPerContainer(f);
    console.log(`  ${label}: ${mib(per.pss)} (Private ${mib(per.priv)})  ${per.pss <= TARGET_CONTAINER_PSS ? 'MET' : 'MISSED'}`);
  }
});
