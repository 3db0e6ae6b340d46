// skiff build benchmark: FROM + RUN + COPY (340 KB) + ENV + RUN, cold
// (--no-cache: every step runs) and cached (every step from the cache),
// skiff and podman build side by side, interleaved.
//
//   npm run bench                          (all benchmarks)
//   BENCH_RUNS=5 node build/bench/build.js (samples per metric, default 7, after the warm-ups;
//                                           compiled from bench/build.ts by npm run build:test)
//
// Run as a normal user with subuid ranges (as root, see run.ts's
// SKIFF_BENCH_USER). Private stores in a temp dir under /tmp, removed at the
// end. A measurement, not a test: exits 0 unless the benchmark itself breaks.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  engine, latencyOf, ms, positiveInt, runBench, table,
  type Sample, type StoreEngine,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 7);
const TIMEOUT_MS = 300_000;
// Targets from the issue: ≤ 1.0x podman's time, cold and cached.
const TARGET_RATIO = 1.0;

const CONTAINERFILE = [
  'FROM localhost/bb',
  'RUN echo one > /one',
  'COPY data /data',
  'ENV X=1',
  'RUN cat /one > /two',
  '',
].join('\n');

/** Two stages that do not depend on each other, and a third that takes from both. */
const MULTI_STAGE = [
  'FROM localhost/bb AS a',
  'RUN dd if=/dev/urandom of=/a bs=1M count=8 2>/dev/null; sleep 0.5',
  'FROM localhost/bb AS b',
  'RUN dd if=/dev/urandom of=/b bs=1M count=8 2>/dev/null; sleep 0.5',
  'FROM localhost/bb',
  'COPY --from=a /a /a',
  'COPY --from=b /b /b',
  '',
].join('\n');

/** 340 KB in 20 files of 17 KB: random bytes. */
function makeContext(dir: string): number {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'Containerfile'), CONTAINERFILE);
  let bytes = 0;
  for (let i = 0; i < 20; i++) {
    const data = randomBytes(17_000);
    writeFileSync(join(dir, 'data', `f${i}.bin`), data);
    bytes += data.length;
  }
  return bytes;
}

runBench(async (bench) => {
  const { errors, top } = bench;
  const ctx = join(top, 'ctx');
  const bytes = makeContext(ctx);
  const engines: StoreEngine[] = [bench.skiff];
  let podmanNote = bench.podmanNote;
  if (bench.podman) {
    // podman's build runs RUN through buildah's own runtime setup: on a host
    // where it cannot use skiff's runtime (crun here: "cgroups in hybrid
    // mode not supported"), the same store with runc.
    const p = bench.podman;
    try {
      await p.run(['build', '-q', '--no-cache', ctx], { timeout: TIMEOUT_MS });
      engines.push(p);
    } catch (err) {
      const argv = p.argv([]).slice(1).filter((a, i, all) => a !== '--runtime' && all[i - 1] !== '--runtime');
      const runc: StoreEngine = { ...p, ...engine('podman', 'podman', [...argv, '--runtime', 'runc']) };
      try {
        await runc.run(['build', '-q', '--no-cache', ctx], { timeout: TIMEOUT_MS });
        engines.push(runc);
        podmanNote += `; podman build with runc (with ${bench.runtime}: ${(err as Error).message.split('\n').find((l) => /Error:/.test(l))?.trim() ?? 'failed'})`;
      } catch (err2) {
        errors.push({ engine: 'podman', metric: 'build setup', message: (err2 as Error).message });
      }
    }
  }
  console.log(`bench build: ${RUNS} runs per metric after the warm-ups; skiff runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${podmanNote}`);
  console.error(`bench: store ${top}`);

  const cold = await latencyOf('build --no-cache', engines, (e, n) => e.run(['build', '-q', '--no-cache', '-t', `localhost/cold:${n}`, ctx], { timeout: TIMEOUT_MS }), errors, RUNS);
  // The cache filled once by the warm-ups: every step of every timed run is a cache hit.
  const cached = await latencyOf('build (cached)', engines, (e) => e.run(['build', '-q', '-t', 'localhost/cached', ctx], { timeout: TIMEOUT_MS }), errors, RUNS);

  const multiCtx = join(top, 'multi');
  mkdirSync(multiCtx);
  writeFileSync(join(multiCtx, 'Containerfile'), MULTI_STAGE);
  // The same skiff, two ways: stages at once (the default) and one after the other (--jobs 1).
  const skiffParallel = { ...bench.skiff, name: 'skiff' };
  const skiffSerial = { ...bench.skiff, name: 'skiff --jobs 1' };
  const multi = await latencyOf('multi-stage build --no-cache', [skiffParallel, skiffSerial],
    (e) => e.run(['build', '-q', '--no-cache', ...(e === skiffSerial ? ['--jobs', '1'] : []), multiCtx], { timeout: TIMEOUT_MS }), errors, RUNS);

  const rows: string[][] = [['metric (median)', ...engines.map((e) => e.name), 'skiff/podman', 'range skiff', 'range podman']];
  const add = (label: string, m: Record<string, Sample>) => {
    const s = m.skiff;
    const p = m.podman;
    rows.push([label, ...engines.map((e) => ms(m[e.name]?.median)), s && p ? `${(s.median / p.median).toFixed(2)}x` : '-',
      s ? `${ms(s.min)}..${ms(s.max)}` : '-', p ? `${ms(p.min)}..${ms(p.max)}` : '-']);
  };
  add('build, cold (--no-cache)', cold);
  add('build, cached', cached);
  console.log('');
  console.log(table(rows));
  console.log(`(${RUNS} samples each, interleaved; FROM + RUN + COPY (${(bytes / 1000).toFixed(0)} KB in 20 files) + ENV + RUN, -q)`);
  const par = multi.skiff;
  const ser = multi['skiff --jobs 1'];
  console.log(`\nmulti-stage (two independent stages of RUN dd 8 MB + sleep 0.5, a third copying from both), --no-cache:`);
  console.log(`  stages at once ${ms(par?.median)} (${ms(par?.min)}..${ms(par?.max)}), one after the other (--jobs 1) ${ms(ser?.median)} (${ms(ser?.min)}..${ms(ser?.max)})${par && ser ? `: ${(par.median / ser.median).toFixed(2)}x` : ''}`);
  console.log('\ntargets:');
  if (par && ser) console.log(`  independent stages at once faster than one after the other: ${(par.median / ser.median).toFixed(2)}x  ${par.median < ser.median ? 'MET' : 'MISSED'}`);
  for (const [label, m] of [['cold', cold], ['cached', cached]] as const) {
    const s = m.skiff;
    const p = m.podman;
    if (!s || !p) console.log(`  ${label} <= ${TARGET_RATIO}x podman's time: not measured`);
    else console.log(`  ${label} <= ${TARGET_RATIO}x podman's time: ${(s.median / p.median).toFixed(2)}x  ${s.median / p.median <= TARGET_RATIO ? 'MET' : 'MISSED'}`);
  }
});
