// skiff pull benchmark: images pulled from a local registry on 127.0.0.1 by
// skiff and by podman, interleaved run by run (the order alternates), each
// pull into a fresh store:
//   - small: busybox, 3 gzip layers;
//   - one layer: this host's libraries, Python and /usr/share files in one gzip layer;
//   - Debian-like: the same files as 3 layers (the shape of Debian bookworm
//     minbase with python3), gzip and zstd.
// All images are made offline (test/fixtures/host-tree-image.ts); the layer
// tars are cached in ~/.cache/skiff-bench.
//
//   npm run bench                    (runs build/bench/run.js, then this)
//   BENCH_PULL_RUNS=5 BENCH_PULL_ONLY=gzip node build/bench/pull.js
//
// Run as a normal user with subuid ranges, after `npm run build` and
// `npm run build:test`. A measurement, not a test: exits 0 unless the
// benchmark itself breaks.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { buildLayeredImage, type BuiltImage } from '../test/fixtures/oci-image.js';
import { buildHostTreeImage, hostLayerTars, hostOneLayerTar } from '../test/fixtures/host-tree-image.js';
import { pushOciLayout, startRegistry } from '../test/helpers/registry.js';
import { SKIFF_BIN, hasCommand, livePid, median, podmanPausePidFile } from './common.js';

const RUNS = Number(process.env.BENCH_PULL_RUNS) || 5;
const ONLY = process.env.BENCH_PULL_ONLY;
const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'skiff-bench');

if (process.getuid!() === 0) {
  console.log('bench/pull.js: run as a normal user (skiff is rootless); skipping');
  process.exit(0);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
}

interface Image {
  name: string;
  ref: string;
  compressed: number;
  uncompressed?: number;
}

const work = await mkdtemp(join(tmpdir(), 'skpb-'));
const registry = await startRegistry();
const podman = hasCommand('podman');
const podmanPauseBefore = podman ? livePid(podmanPausePidFile()) : undefined;
const store = join(work, 'store');
const skiffArgs = (n: number) => ['--root', `${store}/s${n}`, '--runroot', `${store}/s-run`];
const podmanArgs = (n: number) => ['--root', `${store}/p${n}`, '--runroot', `${store}/p-run`, '--tmpdir', `${store}/p-tmp`, '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
/** Stores hold sub-id owned files: removed from inside podman's user namespace, which maps the whole sub-id range. */
const removeStore = (dir: string) => spawnSync('podman', [...podmanArgs(0), 'unshare', 'rm', '-rf', dir], { stdio: 'ignore' });
let storeNo = 0;

try {
  const images: Image[] = [];
  const push = async (name: string, built: BuiltImage, repo: string, uncompressed?: number) => {
    await pushOciLayout(registry, built.dir, `${repo}:latest`);
    images.push({ name, ref: `${registry.host}/${repo}:latest`, compressed: built.manifest.layers.reduce((n, l) => n + l.size, 0), uncompressed });
  };
  const want = (key: string) => !ONLY || ONLY.split(',').includes(key);
  if (want('small')) await push('small (busybox, 3 gzip layers)', await buildLayeredImage(join(work, 'small')), 'small');
  const tars = hostLayerTars(CACHE);
  const tarBytes = tars.reduce((n, t) => n + statSync(t).size, 0);
  if (want('one')) {
    const one = hostOneLayerTar(CACHE);
    await push('host files, 1 gzip layer', await buildHostTreeImage(join(work, 'one'), [one], 'gzip'), 'one', statSync(one).size);
  }
  if (want('gzip')) await push(`Debian-like, ${tars.length} gzip layers`, await buildHostTreeImage(join(work, 'gz'), tars, 'gzip'), 'multi-gzip', tarBytes);
  if (want('zstd')) await push(`Debian-like, ${tars.length} zstd layers`, await buildHostTreeImage(join(work, 'zst'), tars, 'zstd'), 'multi-zstd', tarBytes);
  await rm(join(work, 'one'), { recursive: true, force: true });
  await rm(join(work, 'gz'), { recursive: true, force: true });
  await rm(join(work, 'zst'), { recursive: true, force: true });

  const rows: string[][] = [['image', 'MB gz/tar', 'skiff median (min-max)', 'podman median (min-max)', 'skiff/podman']];
  const fmt = (xs: number[]) => xs.length ? `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}-${(Math.max(...xs) / 1000).toFixed(2)})` : '-';
  for (const image of images) {
    const skiffTimes: number[] = [];
    const podmanTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? ['skiff', 'podman'] : ['podman', 'skiff'];
      for (const who of order) {
        if (who === 'podman' && !podman) continue;
        const n = ++storeNo;
        const [cmd, args, times] = who === 'skiff'
          ? [SKIFF_BIN, skiffArgs(n), skiffTimes] as const
          : ['podman', podmanArgs(n), podmanTimes] as const;
        const t = performance.now();
        run(cmd, [...args, 'pull', '-q', '--tls-verify=false', image.ref]);
        times.push(performance.now() - t);
        removeStore(who === 'skiff' ? `${store}/s${n}` : `${store}/p${n}`);
      }
    }
    const mb = `${(image.compressed / 1e6).toFixed(1)}${image.uncompressed ? `/${(image.uncompressed / 1e6).toFixed(0)}` : ''}`;
    rows.push([image.name, mb, fmt(skiffTimes), fmt(podmanTimes), podmanTimes.length ? `${(median(skiffTimes) / median(podmanTimes)).toFixed(2)}x` : '-']);
  }
  console.log(`\npull from a local registry: ${RUNS} interleaved runs each, a fresh store per pull`);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  console.log('target: skiff/podman <= 1.00x on every image');
} finally {
  await registry.stop();
  if (podman) removeStore(store);
  const pause = spawnSync('cat', [`${store}/s-run/pause.pid`], { encoding: 'utf8' }).stdout;
  try { process.kill((JSON.parse(pause) as { pid: number }).pid); } catch { /* none */ }
  // podman keeps one pause process per user; end it only if this run started it.
  const podmanPause = podman ? livePid(podmanPausePidFile()) : undefined;
  if (podmanPause && podmanPause !== podmanPauseBefore) {
    try { process.kill(podmanPause); } catch { /* gone */ }
  }
  await rm(work, { recursive: true, force: true }).catch(() => undefined);
}
