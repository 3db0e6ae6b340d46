// skiff CLI benchmark: the start-up of short commands (--version, images,
// inspect, ps -a) and the container verbs (run -d, stop, start, rm -f, and
// exec, restart and stop of a container that ends on SIGTERM),
// side by side with podman when it is installed, and `node -e 0` as the
// floor every Node program starts from. Also each short command's peak RSS
// (GNU time's maximum resident set size, when /usr/bin/time is installed).
//
//   npm run bench                         (runs this among the others)
//   BENCH_RUNS=25 node build/bench/cli.js (samples per metric, default 15, after 2 warm-ups)
//
// Run as a normal user with subuid ranges (as root, see bench/run.ts). A
// measurement, not a test: it exits 0 unless the benchmark itself breaks.
import { execFile } from 'node:child_process';
import {
  IMAGE, WARMUP, engine, latency, median, mib, ms, positiveInt, runBench, table, timed,
  type Bench, type Engine, type Sample,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 15);
// From the issue: short commands within 30 ms of `node -e 0`, and every row at most 1.0x podman.
const FLOOR_MARGIN_MS = 30;
const TARGET_RATIO = 1.0;

/** The peak RSS of one run of argv, in bytes, from GNU time; undefined without it. */
function peakRss(argv: string[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('/usr/bin/time', ['-f', 'peak-kb %M', ...argv], (_err, _stdout, stderr) => {
      const m = /peak-kb (\d+)\s*$/.exec(stderr);
      resolve(m ? Number(m[1]) * 1024 : undefined);
    });
  });
}

/** run -d, stop -t 0, start and rm -f of one container per engine per round, engines interleaved. */
async function verbs(bench: Bench): Promise<Record<string, Record<string, Sample>>> {
  const names = ['run -d', 'stop -t 0', 'start', 'rm -f -t 0'];
  const samples = new Map<string, Map<string, number[]>>(names.map((n) => [n, new Map()]));
  const live = [...bench.engines];
  process.stderr.write('  run -d / stop / start / rm -f -t 0 ');
  for (let i = 0; i < WARMUP + RUNS && live.length; i++) {
    for (const e of [...live]) {
      const name = `v${i}`;
      try {
        const times = [
          await timed(() => e.run(['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '1000'])),
          await timed(() => e.run(['stop', '-t', '0', name])),
          await timed(() => e.run(['start', name])),
          await timed(() => e.run(['rm', '-f', '-t', '0', name])),
        ];
        if (i < WARMUP) continue;
        times.forEach((t, k) => {
          const byEngine = samples.get(names[k])!;
          byEngine.set(e.name, [...(byEngine.get(e.name) ?? []), t]);
        });
      } catch (err) {
        bench.errors.push({ engine: e.name, metric: 'container verbs', message: (err as Error).message });
        live.splice(live.indexOf(e), 1);
        await e.run(['rm', '-f', '-t', '0', name]).catch(() => undefined);
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const out: Record<string, Record<string, Sample>> = {};
  for (const [verb, byEngine] of samples) {
    out[verb] = {};
    for (const [e, xs] of byEngine) out[verb][e] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
  }
  return out;
}

runBench(async (bench) => {
  const { engines, errors } = bench;
  console.log(`bench cli: ${RUNS} runs per metric after ${WARMUP} warm-ups; skiff runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${bench.podmanNote}`);
  for (const e of engines) await e.run(['create', '--network', 'none', '--name', 'held', IMAGE, 'true']);

  const node: Engine = engine('node -e 0', process.execPath, ['-e', '0']);
  const floor = (await latency('node -e 0', [node], [], errors, RUNS))['node -e 0'];
  const short: Array<[string, string[]]> = [
    ['--version', ['--version']],
    ['images', ['images']],
    ['inspect IMAGE', ['inspect', IMAGE]],
    ['inspect CTR', ['inspect', 'held']],
    ['ps -a (1 container)', ['ps', '-a']],
  ];
  const shortResults: Array<[string, Record<string, Sample>]> = [];
  for (const [label, args] of short) shortResults.push([label, await latency(label, engines, args, errors, RUNS)]);
  const peaks: Record<string, Record<string, number | undefined>> = {};
  for (const [label, args] of short) {
    peaks[label] = {};
    for (const e of engines) {
      const xs = (await Promise.all([0, 1, 2].map(() => peakRss(e.argv(args))))).filter((x): x is number => x !== undefined);
      peaks[label][e.name] = xs.length ? median(xs) : undefined;
    }
  }
  const nodePeak = await peakRss([process.execPath, '-e', '0']);
  const verbResults = await verbs(bench);
  // A running container whose init ends on SIGTERM, as a service does: exec into it, stop it, restart it.
  const graceful = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done'];
  for (const e of engines) await e.run(['run', '-d', '--network', 'none', '--name', 'svc', IMAGE, ...graceful]);
  verbResults['exec CTR true'] = await latency('exec CTR true', engines, ['exec', 'svc', 'true'], errors, RUNS);
  verbResults['restart (handles SIGTERM)'] = await latency('restart', engines, ['restart', 'svc'], errors, RUNS);
  const stopStart: Record<string, number[]> = {};
  process.stderr.write('  stop (handles SIGTERM) ');
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const e of engines) {
      const took = await timed(() => e.run(['stop', 'svc']));
      await e.run(['start', 'svc']);
      if (i >= WARMUP) (stopStart[e.name] ??= []).push(took);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  verbResults['stop (handles SIGTERM)'] = Object.fromEntries(Object.entries(stopStart).map(([n, xs]) => [n, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length }]));
  for (const e of engines) await e.run(['rm', '-f', '-t', '0', 'svc']);

  // ---- report
  const withPodman = bench.podman !== undefined && engines.includes(bench.podman);
  const ratio = (r: Record<string, Sample>) =>
    r.skiff && r.podman ? `${(r.skiff.median / r.podman.median).toFixed(2)}x` : '-';
  const header = ['metric (median)', 'skiff', 'range', ...(withPodman ? ['podman', 'range', 'skiff/podman'] : []), 'skiff peak RSS', ...(withPodman ? ['podman peak RSS'] : [])];
  const row = (label: string, r: Record<string, Sample>, peak?: Record<string, number | undefined>) => [
    label,
    ms(r.skiff?.median), r.skiff ? `${ms(r.skiff.min)}..${ms(r.skiff.max)}` : '-',
    ...(withPodman ? [ms(r.podman?.median), r.podman ? `${ms(r.podman.min)}..${ms(r.podman.max)}` : '-', ratio(r)] : []),
    peak ? mib(peak.skiff) : '',
    ...(withPodman ? [peak ? mib(peak.podman) : ''] : []),
  ];
  console.log('');
  console.log(table([
    header,
    ['node -e 0 (floor)', ms(floor?.median), floor ? `${ms(floor.min)}..${ms(floor.max)}` : '-', ...(withPodman ? ['', '', ''] : []), mib(nodePeak), ...(withPodman ? [''] : [])],
    ...shortResults.map(([label, r]) => row(label, r, peaks[label])),
    ...Object.entries(verbResults).map(([label, r]) => row(label, r)),
  ]));
  console.log(`(${RUNS} samples each after ${WARMUP} warm-ups, engines interleaved; run -d: busybox sleep, --network none)`);
  console.log('\ntargets:');
  for (const [label, r] of shortResults.slice(0, 3)) {
    if (r.skiff && floor) {
      const over = r.skiff.median - floor.median;
      console.log(`  ${label} within ${FLOOR_MARGIN_MS} ms of node -e 0: +${over.toFixed(0)} ms  ${over <= FLOOR_MARGIN_MS ? 'MET' : 'MISSED'}`);
    }
  }
  for (const [label, r] of [...shortResults, ...Object.entries(verbResults)]) {
    if (r.skiff && r.podman) {
      const x = r.skiff.median / r.podman.median;
      console.log(`  ${label} <= ${TARGET_RATIO.toFixed(1)}x podman: ${x.toFixed(2)}x  ${x <= TARGET_RATIO ? 'MET' : 'MISSED'}`);
    }
  }
  for (const [label] of short) {
    const pk = peaks[label];
    if (pk.skiff !== undefined && pk.podman !== undefined) {
      console.log(`  ${label} peak RSS <= podman's: ${mib(pk.skiff)} vs ${mib(pk.podman)}  ${pk.skiff <= pk.podman ? 'MET' : 'MISSED'}`);
    }
  }
});
