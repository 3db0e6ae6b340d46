// skiff storage-driver benchmark: overlay with fuse-overlayfs as its mount
// program, skiff beside podman with the same mount program, interleaved:
//   - `run --rm --network none busybox true`: mount, start, exit, unmount;
//   - pull of the Debian-like multi-layer gzip image (as bench/pull.ts makes
//     it) from a local registry on 127.0.0.1 into a fresh store per pull.
//
//   node build/bench/storage-drivers.js          (after npm run build and npm run build:test)
//   BENCH_RUNS=25 BENCH_PULL_RUNS=5 node build/bench/storage-drivers.js
//
// Run as a normal user with subuid ranges. A measurement, not a test: exits
// 0 unless the benchmark itself breaks.
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { buildHostTreeImage, hostLayerTars } from '../test/fixtures/host-tree-image.js';
import { pushOciLayout, startRegistry } from '../test/helpers/registry.js';
import {
  IMAGE, SKIFF_BIN, buildBusyboxTar, checkSubids, engine, cleanupPodman, cleanupSkiff, ensureUnprivileged, hasCommand, latency, latencyOf, livePid, ms,
  podmanEngine, podmanPausePidFile, positiveInt, skiffEngine, table, type BenchError, type Sample, type StoreEngine,
} from './common.js';

const RUNS = positiveInt(process.env.BENCH_RUNS, 15);
const PULL_RUNS = positiveInt(process.env.BENCH_PULL_RUNS, 3);
const MOUNT_PROGRAM = '/usr/bin/fuse-overlayfs';
const FUSE = ['--storage-opt', `overlay.mount_program=${MOUNT_PROGRAM}`];
const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'skiff-bench');

/** `e` with overlay through fuse-overlayfs: the global flags go before every command. */
function withFuse(e: StoreEngine): StoreEngine {
  return { ...e, run: (args, options) => e.run([...FUSE, ...args], options), argv: (args) => e.argv([...FUSE, ...args]) };
}

function ratio(results: Record<string, Sample>): string {
  const s = results.skiff;
  const p = results.podman;
  return s && p ? `${(s.median / p.median).toFixed(2)}x` : '-';
}

const range = (x: Sample | undefined, unit: (v: number) => string) => (x ? `${unit(x.median)} (${unit(x.min)}-${unit(x.max)})` : '-');

async function main(): Promise<void> {
  if (ensureUnprivileged() === 'reexec') return;
  checkSubids();
  if (!hasCommand('fuse-overlayfs')) throw new Error('fuse-overlayfs is not installed');
  const top = await mkdtemp('/tmp/skd-');
  const errors: BenchError[] = [];
  const podman = hasCommand('podman');
  const pauseBefore = podman ? livePid(podmanPausePidFile()) : undefined;
  const cleanups: Array<() => Promise<void>> = [];
  const registry = await startRegistry();
  try {
    // run --rm: one store per engine, busybox imported.
    const tarball = join(top, 'bb.tar');
    await buildBusyboxTar(tarball);
    const s = withFuse({ ...skiffEngine(join(top, 's')) });
    // Last: skiff's pause process maps the same sub-ids as podman's, so removing `top` there removes podman's files too.
    cleanups.push(() => cleanupSkiff({ ...s, dir: top }, []));
    await s.run(['--storage-driver', 'overlay', 'import', tarball, IMAGE]);
    const runtime = await s.run(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
    const engines: StoreEngine[] = [s];
    if (podman) {
      const p = withFuse(podmanEngine(join(top, 'p'), runtime, 'overlay'));
      cleanups.push(() => cleanupPodman(p, pauseBefore));
      await p.run(['import', tarball, IMAGE]);
      engines.push(p);
    }
    const drivers = await Promise.all(engines.map(async (e) => `${e.name}: ${await e.run(['info', '--format', '{{.Store.GraphDriverName}} {{json .Store.GraphOptions}}'])}`));
    console.log(drivers.join('\n'));
    const run = await latency('run --rm', engines, ['run', '--rm', '--network', 'none', IMAGE, 'true'], errors, RUNS);

    // pull: the Debian-like gzip image of bench/pull.ts, a fresh store per pull.
    const tars = hostLayerTars(CACHE);
    const uncompressed = tars.reduce((n, t) => n + statSync(t).size, 0);
    const built = await buildHostTreeImage(join(top, 'img'), tars, 'gzip');
    await pushOciLayout(registry, built.dir, 'multi-gzip:latest');
    await rm(join(top, 'img'), { recursive: true, force: true });
    const compressed = built.manifest.layers.reduce((n, l) => n + l.size, 0);
    const ref = `${registry.host}/multi-gzip:latest`;
    // A fresh store per pull (skiff's in one run root, so one pause process), all removed at the end.
    const pullDir = join(top, 'pull');
    const stores: StoreEngine[] = [];
    const fresh = (who: string, n: number): StoreEngine => {
      const e = who === 'skiff'
        ? { ...engine('skiff', SKIFF_BIN, ['--root', join(pullDir, `s${n}`), '--runroot', join(pullDir, 's-run')]), dir: join(pullDir, `s${n}`), root: join(pullDir, `s${n}`), runroot: join(pullDir, 's-run') }
        : podmanEngine(join(pullDir, `p${n}`), runtime, 'overlay');
      stores.push(e);
      return withFuse(e);
    };
    const pullEngines = [{ name: 'skiff' }, ...(podman ? [{ name: 'podman' }] : [])] as StoreEngine[];
    cleanups.push(async () => {
      const skiffStore = stores.find((e) => e.name === 'skiff');
      if (skiffStore) await cleanupSkiff({ ...skiffStore, dir: pullDir }, []);
    });
    const pull = await latencyOf('pull', pullEngines, (e, n) => fresh(e.name, n).run(['pull', '-q', '--tls-verify=false', ref], { timeout: 600_000 }), errors, PULL_RUNS);

    const mbps = (msx: number) => `${(compressed / 1e6 / (msx / 1000)).toFixed(1)} MB/s`;
    console.log(`\noverlay with ${MOUNT_PROGRAM} (${RUNS} runs; pull ${PULL_RUNS} runs of ${(compressed / 1e6).toFixed(1)} MB gzip / ${(uncompressed / 1e6).toFixed(0)} MB tar, ${built.manifest.layers.length} layers), interleaved`);
    console.log(table([
      ['metric', 'skiff median (min-max)', 'podman median (min-max)', 'skiff/podman', 'target'],
      ['run --rm', range(run.skiff, ms), range(run.podman, ms), ratio(run), '<= 1.00x'],
      ['pull (time)', range(pull.skiff, ms), range(pull.podman, ms), ratio(pull), '<= 1.00x'],
      ['pull (throughput)', pull.skiff ? mbps(pull.skiff.median) : '-', pull.podman ? mbps(pull.podman.median) : '-', '', '>= podman'],
    ]));
  } finally {
    await registry.stop();
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await rm(top, { recursive: true, force: true }).catch(() => undefined);
  }
  for (const e of errors) console.log(`\n${e.engine} failed (${e.metric}):\n${e.message}`);
  if (errors.some((e) => e.engine === 'skiff')) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(`bench: failed: ${err.message}`);
  process.exitCode = 1;
});
