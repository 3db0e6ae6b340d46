// User network benchmark: `run --rm --network NET true` (a container set up
// on a user network through netavark, in the rootless network namespace,
// and torn down again) and `network create` + `network rm`, skiff and
// podman side by side, interleaved.
//
//   node build/bench/network-user.js          (compiled from bench/network-user.ts by npm run build:test)
//   BENCH_RUNS=25 node build/bench/network-user.js  (samples per metric, default 15, after 2 warm-ups)
//
// Run as a normal user with subuid ranges (as root, see run.ts's
// SKIFF_BENCH_USER). Private stores in a temp dir under /tmp, removed at the
// end. A measurement, not a test: exits 0 unless the benchmark itself breaks.
// Nothing leaves the machine: the containers only run `true`.
import {
  IMAGE, WARMUP, latency, latencyOf, ms, positiveInt, runBench, table,
  type BenchError, type Sample, type StoreEngine,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 15);
const NET = 'benchnet';

// Target from the issue: both ≤ 1.0 × podman's median.
const TARGET_RATIO = 1.0;

/** network create NAME + network rm NAME, timed together, interleaved across engines. */
function createRemove(engines: StoreEngine[], errors: BenchError[]): Promise<Record<string, Sample>> {
  return latencyOf('network create + rm', engines, async (e, n) => {
    await e.run(['network', 'create', `cr${n}`]);
    await e.run(['network', 'rm', `cr${n}`]);
  }, errors, RUNS);
}

runBench(async (bench) => {
  const { engines, errors } = bench;
  console.log(`skiff network benchmark, ${RUNS} runs after ${WARMUP} warm-ups; ${bench.podmanNote}`);
  if (bench.podman) {
    const backend = await bench.podman.run(['info', '--format', '{{.Host.NetworkBackend}}']).catch(() => 'unknown');
    console.log(`podman's network backend: ${backend}`);
  }
  for (const e of engines) await e.run(['network', 'create', NET]);
  const rows: Array<[string, Record<string, Sample>]> = [];
  rows.push([`run --rm --network ${NET} true`, await latency('run --rm on a user network', engines, ['run', '--rm', '--network', NET, IMAGE, 'true'], errors, RUNS)]);
  rows.push(['network create + rm', await createRemove(engines, errors)]);
  for (const e of engines) await e.run(['network', 'rm', NET]).catch(() => undefined);

  const header = ['metric', 'skiff median (min-max)', 'podman median (min-max)', 'ratio', `target ≤ ${TARGET_RATIO}x`];
  const cell = (s: Sample | undefined) => (s ? `${ms(s.median)} (${ms(s.min)}-${ms(s.max)})` : '-');
  console.log('\n' + table([header, ...rows.map(([metric, r]) => {
    const ratio = r.skiff && r.podman ? r.skiff.median / r.podman.median : undefined;
    return [metric, cell(r.skiff), cell(r.podman), ratio === undefined ? '-' : `${ratio.toFixed(2)}x`, ratio === undefined ? '-' : ratio <= TARGET_RATIO ? 'met' : 'MISSED'];
  })]));
});
