// skiff cp / commit benchmark: `cp` of a 100 MB directory (1600 files of
// 50 KiB and 3 of 8 MiB) into and out of a running container, against the
// same bytes as a tar stream through `exec -i` into the same container
// (what cp must at least keep up with), and `commit` of a stopped container
// holding 50 MB of changes; podman side by side, interleaved.
//
//   npm run bench                       (runs build/bench/run.js, this, then pull.js)
//   BENCH_RUNS=5 node build/bench/cp.js (samples per metric, default 9, after 1 warm-up;
//                                        compiled from bench/cp.ts by npm run build:test)
//
// Run as a normal user with subuid ranges (as root, see run.ts's
// SKIFF_BENCH_USER). Private stores in a temp dir under /tmp, removed at the
// end. A measurement, not a test: exits 0 unless the benchmark itself breaks.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  IMAGE, median, ms, positiveInt, quote, runBench, table, timed,
  type BenchError, type StoreEngine,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 9);
const WARMUP = 1;
const KiB = 1024;
const MB = 1e6;
const CONTAINER = 'cpbench';
const COMMIT_CONTAINER = 'commitbench';
const TIMEOUT_MS = 300_000;

// Targets from the issue.
const TARGET_CP_VS_TAR = 0.8; // cp's throughput ≥ 0.8 × the tar-through-exec baseline's
const TARGET_COMMIT_RATIO = 1.0; // commit's time ≤ podman's

/** Writes `files` files of `size` bytes from `content` spread over `dirs` directories, plus `big` extra files; returns the bytes written. */
function makeTree(dir: string, dirs: number, files: number, size: number, big: number[], content: (n: number) => Buffer): number {
  let bytes = 0;
  for (let d = 0; d < dirs; d++) mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true });
  for (let f = 0; f < files; f++) {
    const data = content(size);
    writeFileSync(join(dir, `d${String(f % dirs).padStart(2, '0')}`, `f${String(f).padStart(4, '0')}.bin`), data);
    bytes += data.length;
  }
  if (big.length) mkdirSync(join(dir, 'big'), { recursive: true });
  for (const [i, n] of big.entries()) {
    const data = content(n);
    writeFileSync(join(dir, 'big', `large${i}.bin`), data);
    bytes += data.length;
  }
  return bytes;
}

/** Compressible like real files (gzip takes it to about three quarters): base64 of random bytes. */
const textLike = (n: number) => Buffer.from(randomBytes(Math.ceil((n * 3) / 4)).toString('base64').slice(0, n));

/** Runs a shell pipeline with bash's pipefail, so a failing first command fails the run. */
async function shell(script: string): Promise<void> {
  const r = await execa('bash', ['-o', 'pipefail', '-c', script], { reject: false, timeout: TIMEOUT_MS, stdin: 'ignore' });
  if (r.timedOut || r.exitCode !== 0) throw new Error(`\`${script}\` ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}\n  stderr: ${r.stderr || '(empty)'}`);
}

const sh = (argv: string[]) => argv.map(quote).join(' ');

/** One way of doing a metric's job with an engine: set up (untimed), the timed part, and clean up (untimed). */
interface Way {
  label: string;
  engine: StoreEngine;
  prepare?: (i: number) => Promise<unknown>;
  run: (i: number) => Promise<unknown>;
  after?: (i: number) => Promise<unknown>;
}

/** Runs every way WARMUP times, then RUNS times interleaved; returns each way's times (ms). A way that fails is dropped. */
async function measure(title: string, ways: Way[], errors: BenchError[]): Promise<Map<Way, number[]>> {
  process.stderr.write(`  ${title} `);
  const out = new Map<Way, number[]>();
  let live = [...ways];
  const once = async (w: Way, i: number, keep: boolean) => {
    try {
      await w.prepare?.(i);
      const t = await timed(() => w.run(i));
      await w.after?.(i);
      if (keep) out.get(w)!.push(t);
    } catch (err) {
      errors.push({ engine: w.engine.name, metric: w.label, message: (err as Error).message });
      live = live.filter((x) => x !== w);
      out.delete(w);
    }
  };
  for (const w of ways) out.set(w, []);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const w of [...live]) await once(w, i, i >= WARMUP);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return out;
}

runBench(async (bench) => {
  const { engines, errors, top } = bench;
  console.log(`bench cp/commit: ${RUNS} runs per metric after ${WARMUP} warm-up; skiff runtime ${bench.runtime}, storage ${bench.skiffDriver ?? '?'}; ${bench.podmanNote}`);
  console.error(`bench: store ${top}`);

  const cpSrc = join(top, 'cp-src');
  const cpBytes = makeTree(cpSrc, 20, 1600, 50 * KiB, [8 << 20, 8 << 20, 8 << 20], randomBytes);
  const commitSrc = join(top, 'commit-src');
  const commitBytes = makeTree(commitSrc, 10, 500, 100 * KiB, [], textLike);
  const outDir = join(top, 'out');
  mkdirSync(outDir);

  bench.running.push(CONTAINER);
  for (const e of engines) {
    await e.run(['run', '-d', '--network', 'none', '--name', CONTAINER, IMAGE, 'sleep', '100000']);
    // What cp out and tar out read: the same tree, put in once.
    await e.run(['cp', `${cpSrc}/.`, `${CONTAINER}:/data`], { timeout: TIMEOUT_MS });
    await e.run(['create', '--network', 'none', '--name', COMMIT_CONTAINER, IMAGE, 'true']);
    await e.run(['cp', `${commitSrc}/.`, `${COMMIT_CONTAINER}:/big`], { timeout: TIMEOUT_MS });
  }

  const removeIn = (e: StoreEngine) => (i: number) => e.run(['exec', CONTAINER, 'rm', '-rf', `/in${i}`]);
  const removeOut = (i: number) => rm(join(outDir, String(i)), { recursive: true, force: true });
  const cpIn: Way[] = engines.flatMap((e) => [
    { label: `${e.name} cp`, engine: e, run: (i: number) => e.run(['cp', cpSrc, `${CONTAINER}:/in${i}`], { timeout: TIMEOUT_MS }), after: removeIn(e) },
    {
      label: `tar | ${e.name} exec -i tar -x`,
      engine: e,
      run: (i: number) => shell(`tar -C ${quote(cpSrc)} -cf - . | ${sh(e.argv(['exec', '-i', CONTAINER, 'sh', '-c', `mkdir /in${i} && tar -xf - -C /in${i}`]))}`),
      after: removeIn(e),
    },
  ]);
  const cpOut: Way[] = engines.flatMap((e) => [
    { label: `${e.name} cp`, engine: e, run: (i: number) => e.run(['cp', `${CONTAINER}:/data`, join(outDir, String(i))], { timeout: TIMEOUT_MS }), after: removeOut },
    {
      label: `${e.name} exec tar -c | tar -x`,
      engine: e,
      prepare: (i: number) => Promise.resolve(mkdirSync(join(outDir, String(i)))),
      run: (i: number) => shell(`${sh(e.argv(['exec', CONTAINER, 'tar', '-C', '/data', '-cf', '-', '.']))} | tar -xf - -C ${quote(join(outDir, String(i)))}`),
      after: removeOut,
    },
  ]);
  const commit: Way[] = engines.map((e) => ({
    label: `${e.name} commit`,
    engine: e,
    run: (i: number) => e.run(['commit', '-q', COMMIT_CONTAINER, `localhost/commitbench:${i}`], { timeout: TIMEOUT_MS }),
    after: (i: number) => e.run(['rmi', `localhost/commitbench:${i}`]),
  }));

  const inTimes = await measure(`cp into a running container (${(cpBytes / MB).toFixed(0)} MB)`, cpIn, errors);
  const outTimes = await measure(`cp out of a running container (${(cpBytes / MB).toFixed(0)} MB)`, cpOut, errors);
  const commitTimes = await measure(`commit (${(commitBytes / MB).toFixed(0)} MB of changes)`, commit, errors);

  // ---- report
  const med = (m: Map<Way, number[]>, label: string) => {
    for (const [w, xs] of m) if (w.label === label && xs.length) return median(xs);
    return undefined;
  };
  const rate = (bytes: number, t: number | undefined) => (t === undefined ? '-' : `${(bytes / MB / (t / 1000)).toFixed(0)} MB/s`);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);
  const rows: string[][] = [['metric (median)', 'time', 'throughput', 'range']];
  const addRows = (title: string, m: Map<Way, number[]>, bytes: number) => {
    for (const [w, xs] of m) rows.push([`${title}: ${w.label}`, ms(median(xs)), rate(bytes, median(xs)), `${ms(Math.min(...xs))}..${ms(Math.max(...xs))}`]);
  };
  addRows('in', inTimes, cpBytes);
  addRows('out', outTimes, cpBytes);
  addRows('commit', commitTimes, commitBytes);
  console.log('');
  console.log(table(rows));
  console.log(`(${RUNS} samples each after ${WARMUP} warm-up, interleaved; cp: 1600 files of 50 KiB in 20 directories and 3 of 8 MiB, random bytes;`);
  console.log(` commit: 500 files of 100 KiB of base64 text added to a created container, committed as a new layer)`);

  console.log('\nratios:');
  for (const e of engines) {
    const inCp = med(inTimes, `${e.name} cp`);
    const inTar = med(inTimes, `tar | ${e.name} exec -i tar -x`);
    const outCp = med(outTimes, `${e.name} cp`);
    const outTar = med(outTimes, `${e.name} exec tar -c | tar -x`);
    console.log(`  ${e.name} cp throughput vs tar through ${e.name} exec: in ${ratio(inTar, inCp)}, out ${ratio(outTar, outCp)}`);
  }
  const podman = bench.podman;
  if (podman) {
    console.log(`  skiff cp time / podman cp time: in ${ratio(med(inTimes, 'skiff cp'), med(inTimes, 'podman cp'))}, out ${ratio(med(outTimes, 'skiff cp'), med(outTimes, 'podman cp'))}`);
    console.log(`  skiff commit time / podman commit time: ${ratio(med(commitTimes, 'skiff commit'), med(commitTimes, 'podman commit'))}`);
  }

  console.log('\ntargets:');
  for (const [dir, m, tarLabel] of [['in', inTimes, 'tar | skiff exec -i tar -x'], ['out', outTimes, 'skiff exec tar -c | tar -x']] as const) {
    const cp = med(m, 'skiff cp');
    const tarT = med(m, tarLabel);
    if (cp === undefined || tarT === undefined) console.log(`  cp ${dir} >= ${TARGET_CP_VS_TAR}x the tar baseline's throughput: not measured`);
    else console.log(`  cp ${dir} >= ${TARGET_CP_VS_TAR}x the tar baseline's throughput: ${(tarT / cp).toFixed(2)}x  ${tarT / cp >= TARGET_CP_VS_TAR ? 'MET' : 'MISSED'}`);
  }
  const sc = med(commitTimes, 'skiff commit');
  const pc = med(commitTimes, 'podman commit');
  if (sc === undefined || pc === undefined) console.log(`  commit <= ${TARGET_COMMIT_RATIO}x podman's time: not measured`);
  else console.log(`  commit <= ${TARGET_COMMIT_RATIO}x podman's time: ${(sc / pc).toFixed(2)}x  ${sc / pc <= TARGET_COMMIT_RATIO ? 'MET' : 'MISSED'}`);
}, ['tar', 'mkdir', 'rm']);
