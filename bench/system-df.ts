// `system df` benchmark: a store of 200 containers (20 of them have run and
// wrote a file, the rest only created) made from 50 images (one shared
// layer, each its own config), plus 10 volumes; `system df` and
// `system df -v` timed, skiff and podman side by side, interleaved.
//
//   node build/bench/system-df.js            (compiled from bench/system-df.ts by npm run build:test)
//   BENCH_RUNS=15 node build/bench/system-df.js  (samples per metric, default 9, after 2 warm-ups)
//
// Run as a normal user with subuid ranges (as root, see run.ts's
// SKIFF_BENCH_USER). Private stores in a temp dir under /tmp, removed at the
// end. A measurement, not a test: exits 0 unless the benchmark itself breaks.
import {
  IMAGE, WARMUP, latency, ms, positiveInt, runBench, table,
  type Sample,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 9);
const IMAGES = positiveInt(process.env.BENCH_IMAGES, 50);
const CONTAINERS = positiveInt(process.env.BENCH_CONTAINERS, 200);
const STARTED = 20;
const VOLUMES = 10;

// Target from the issue: ≤ 1.0 × podman's median.
const TARGET_RATIO = 1.0;

runBench(async (bench) => {
  const { engines, errors, tarball } = bench;
  console.log(`skiff system df benchmark: ${CONTAINERS} containers (${STARTED} have run), ${IMAGES} images, ${VOLUMES} volumes; ${RUNS} runs after ${WARMUP} warm-ups; runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${bench.podmanNote}`);
  process.stderr.write('  filling the stores ');
  for (const e of engines) {
    for (let i = 1; i < IMAGES; i++) await e.run(['import', '--change', `CMD ["/bin/echo", "${i}"]`, tarball, `localhost/df${i}`]);
    for (let v = 0; v < VOLUMES; v++) await e.run(['volume', 'create', `dfvol${v}`]);
    for (let c = 0; c < CONTAINERS; c++) {
      const image = c % IMAGES === 0 ? IMAGE : `localhost/df${c % IMAGES}`;
      if (c < STARTED) await e.run(['run', '--network', 'none', '--name', `dfc${c}`, image, 'sh', '-c', `head -c ${10_000 * (c + 1)} /dev/zero > /data`]);
      else await e.run(['create', '--network', 'none', '--name', `dfc${c}`, image, 'true']);
      if (c % 20 === 0) process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  // Both see the same store.
  for (const e of engines) console.log(`${e.name}:\n${await e.run(['system', 'df'])}`);

  const rows: Array<[string, Record<string, Sample>]> = [];
  rows.push(['system df', await latency('system df', engines, ['system', 'df'], errors, RUNS)]);
  rows.push(['system df -v', await latency('system df -v', engines, ['system', 'df', '-v'], errors, RUNS)]);

  const header = ['metric', 'skiff median (min-max)', 'podman median (min-max)', 'ratio', `target ≤ ${TARGET_RATIO}x`];
  const cell = (s: Sample | undefined) => (s ? `${ms(s.median)} (${ms(s.min)}-${ms(s.max)})` : '-');
  console.log('\n' + table([header, ...rows.map(([metric, r]) => {
    const ratio = r.skiff && r.podman ? r.skiff.median / r.podman.median : undefined;
    return [metric, cell(r.skiff), cell(r.podman), ratio === undefined ? '-' : `${ratio.toFixed(2)}x`, ratio === undefined ? '-' : ratio <= TARGET_RATIO ? 'met' : 'MISSED'];
  })]));
});
