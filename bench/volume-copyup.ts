// skiff volume copy-up benchmark: the first `run --rm -v NEW:/data IMAGE
// true` over an image with 50 MB at /data (400 files of 125 KiB in 20
// directories), which copies the image's /data into the new named volume
// before the container starts, side by side with podman, interleaved. Each
// run uses a volume name never used before; the volumes are removed with
// the stores at the end.
//
//   node build/bench/volume-copyup.js   (compiled from bench/volume-copyup.ts by npm run build:test)
//   BENCH_RUNS=5 node build/bench/volume-copyup.js (samples, default 9, after 1 warm-up)
//
// Run as a normal user with subuid ranges (as root, see run.ts's
// SKIFF_BENCH_USER). A measurement, not a test: exits 0 unless the
// benchmark itself breaks.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildImageOfLayers, type TarEntry } from '../test/fixtures/oci-image.js';
import { median, ms, positiveInt, runBench, table, timed, type StoreEngine } from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 9);
const WARMUP = 1;
const FILES = 400;
const FILE_SIZE = 125 * 1024;
const DIRS = 20;
const SEEDED = 'localhost/copyup:latest';
const TIMEOUT_MS = 300_000;

// Target from the issue: the first run with a new named volume ≤ 1.0 × podman's.
const TARGET_RATIO = 1.0;

runBench(async (bench) => {
  const { engines, errors, top } = bench;
  console.log(`bench volume copy-up: ${RUNS} runs after ${WARMUP} warm-up; skiff runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${bench.podmanNote}`);
  console.error(`bench: store ${top}`);

  // The image, made offline: the busybox rootfs plus one layer with /data.
  const entries: TarEntry[] = [{ name: 'data', type: 'directory', mode: 0o755 }];
  for (let d = 0; d < DIRS; d++) entries.push({ name: `data/d${d}`, type: 'directory', mode: 0o755 });
  for (let f = 0; f < FILES; f++) entries.push({ name: `data/d${f % DIRS}/f${f}.bin`, type: 'file', content: randomBytes(FILE_SIZE), uid: 1000, gid: 1000 });
  const layout = join(top, 'copyup-layout');
  await buildImageOfLayers(layout, SEEDED, [entries]);
  const bytes = FILES * FILE_SIZE;
  for (const e of engines) {
    if (e.name === 'skiff') await e.run(['load', '-q', '-i', layout], { timeout: TIMEOUT_MS });
    else {
      const id = (await e.run(['pull', '-q', `oci:${layout}:${SEEDED}`], { timeout: TIMEOUT_MS })).trim();
      await e.run(['tag', id, SEEDED]);
    }
    // Both have the image's layers in their store and a warm runtime before the first sample.
    await e.run(['run', '--rm', '--network', 'none', SEEDED, 'true']);
  }

  const times = new Map<StoreEngine, number[]>(engines.map((e) => [e, []]));
  let live = [...engines];
  process.stderr.write('  first run with a new named volume ');
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const e of [...live]) {
      try {
        const t = await timed(() => e.run(['run', '--rm', '--network', 'none', '-v', `cv${i}:/data`, SEEDED, 'true'], { timeout: TIMEOUT_MS }));
        if (i >= WARMUP) times.get(e)!.push(t);
      } catch (err) {
        errors.push({ engine: e.name, metric: 'copy-up', message: (err as Error).message });
        live = live.filter((x) => x !== e);
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  // What the volume holds after the first run: the copy happened (checked once per engine, untimed).
  for (const e of live) {
    const count = (await e.run(['run', '--rm', '--network', 'none', '-v', `cv${WARMUP}:/v`, SEEDED, 'sh', '-c', 'ls /v/d0 | wc -l'])).trim();
    if (Number(count) !== FILES / DIRS) errors.push({ engine: e.name, metric: 'copy-up', message: `the new volume holds ${count} files in d0, not ${FILES / DIRS}: nothing was copied up` });
  }

  const rows: string[][] = [['metric (median)', 'engine', 'time', 'range']];
  for (const [e, xs] of times) {
    if (xs.length) rows.push([`run --rm -v NEW:/data (${(bytes / 1e6).toFixed(0)} MB copy-up)`, e.name, ms(median(xs)), `${ms(Math.min(...xs))}..${ms(Math.max(...xs))}`]);
  }
  console.log('');
  console.log(table(rows));
  const s = times.get(bench.skiff);
  const p = bench.podman ? times.get(bench.podman) : undefined;
  if (s?.length && p?.length) {
    const ratio = median(s) / median(p);
    console.log(`\nratio skiff/podman: ${ratio.toFixed(2)}x (target ≤ ${TARGET_RATIO.toFixed(1)}x: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'})`);
  }
}, ['ls', 'wc']);
