// skiff pull benchmark: a small layered image and a large many-file image
// (a Debian root filesystem made with mmdebstrap from Debian's mirror and
// cached) pulled from a local registry on 127.0.0.1, side by side with
// `podman pull` and `skopeo copy` in the same run; and layer extraction
// (`skiff import` of the plain tar) against `tar -x` in the same namespace.
//
//   npm run bench                    (runs build/bench/run.js, then this)
//   BENCH_PULL_RUNS=5 node build/bench/pull.js   (compiled from bench/pull.ts by npm run build:test)
//
// Run as a normal user with subuid ranges, after `npm run build` and
// `npm run build:test` (it uses skiff's lib/, the test fixtures and the registry harness).
// A measurement, not a test: exits 0 unless the benchmark itself breaks.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { buildLayeredImage } from '../test/fixtures/oci-image.js';
import { pushOciLayout, startRegistry } from '../test/helpers/registry.js';

// Compiled to build/bench/pull.js: the project is two levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIFF = join(ROOT, 'bin', 'skiff');
const RUNS = Number(process.env.BENCH_PULL_RUNS) || 3;
const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'skiff-bench');

if (process.getuid!() === 0) {
  console.log('bench/pull.js: run as a normal user (skiff is rootless); skipping');
  process.exit(0);
}
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Times fn() RUNS times after preparing each run; returns the median in ms. */
async function median(prepare: (() => Promise<void>) | undefined, fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await prepare?.();
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  return r.stdout;
}

/** A one-layer OCI layout (gzip) around a root filesystem tarball. */
async function layoutFromTar(tarPath: string, dir: string): Promise<{ dir: string; compressedSize: number }> {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const diff = createHash('sha256');
  for await (const chunk of createReadStream(tarPath)) diff.update(chunk as Buffer);
  const gz = join(dir, 'layer.tmp');
  await pipeline(createReadStream(tarPath), createGzip({ level: 6 }), createWriteStream(gz));
  const layerBytes = readFileSync(gz);
  const put = async (bytes: Buffer) => {
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const layer = await put(layerBytes);
  await rm(gz);
  const config = await put(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['bash'] },
    rootfs: { type: 'layers', diff_ids: ['sha256:' + diff.digest('hex')] }, history: [{ created_by: 'mmdebstrap' }],
  })));
  const manifest = await put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
  return { dir, compressedSize: layer.size };
}

/** The Debian root filesystem, made once with mmdebstrap (rootless, from the configured Debian mirror). */
function debianRootfs(): string | undefined {
  const tar = join(CACHE, 'debian-bookworm-minbase.tar');
  if (existsSync(tar)) return tar;
  if (!have('mmdebstrap')) return undefined;
  mkdirSync(CACHE, { recursive: true });
  console.log('  making a Debian root filesystem with mmdebstrap (once; cached in ' + CACHE + ')');
  run('mmdebstrap', ['--variant=minbase', '--mode=unshare', '--quiet', 'bookworm', tar + '.tmp']);
  execFileSync('mv', [tar + '.tmp', tar]);
  return tar;
}

const work = await mkdtemp(join(tmpdir(), 'skpb-'));
const registry = await startRegistry();
interface Row {
  name: string;
  mb: number;
  skiff?: number;
  podman?: number;
  skopeo?: number;
}
const results: Row[] = [];
const podman = have('podman');
const skopeo = have('skopeo');
try {
  const small = await buildLayeredImage(join(work, 'small'));
  await pushOciLayout(registry, small.dir, 'small:latest');
  const images: Array<{ name: string; ref: string; bytes: number; tar?: string }> = [{ name: 'small (busybox, 3 gzip layers)', ref: `${registry.host}/small:latest`, bytes: small.manifest.layers.reduce((n, l) => n + l.size, 0) }];
  const debian = debianRootfs();
  if (debian) {
    const layout = await layoutFromTar(debian, join(work, 'debian'));
    await pushOciLayout(registry, layout.dir, 'debian:latest');
    images.push({ name: `large (Debian minbase, ${(statSync(debian).size / 1e6).toFixed(0)} MB, 1 layer)`, ref: `${registry.host}/debian:latest`, bytes: layout.compressedSize, tar: debian });
  } else {
    console.log('  (no mmdebstrap: the large image is skipped)');
  }

  const store = join(work, 'store');
  const podmanArgs = ['--root', `${store}/p/root`, '--runroot', `${store}/p/run`, '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const fresh = async () => {
    // Stores hold sub-id owned files: remove them from inside each tool's namespace.
    spawnSync(SKIFF, ['--root', `${store}/s/root`, '--runroot', `${store}/s/run`, 'rmi', '-a', '-f'], { stdio: 'ignore' });
    if (podman) spawnSync('podman', [...podmanArgs, 'rmi', '-a', '-f'], { stdio: 'ignore' });
    await rm(join(store, 'o'), { recursive: true, force: true });
  };
  for (const image of images) {
    const row: Row = { name: image.name, mb: image.bytes / 1e6 };
    row.skiff = await median(fresh, () => run(SKIFF, ['--root', `${store}/s/root`, '--runroot', `${store}/s/run`, 'pull', '-q', '--tls-verify=false', image.ref]));
    if (podman) {
      row.podman = await median(fresh, () => run('podman', [...podmanArgs, 'pull', '-q', '--tls-verify=false', image.ref]));
    }
    if (skopeo) {
      row.skopeo = await median(fresh, () => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${image.ref}`, `oci:${join(store, 'o')}:x`]));
    }
    results.push(row);
  }

  // Extraction: skiff's extractor against tar -x on the same plain tar, both
  // as root of skiff's user namespace, alternating so disk noise hits both.
  let extraction: { tarMs: number; skiffMs: number; importMs: number } | undefined;
  const big = images.find((i) => i.tar);
  if (big) {
    const pause = (JSON.parse(readFileSync(join(store, 's', 'run', 'pause.pid'), 'utf8')) as { pid: number }).pid;
    const ns = (args: readonly string[]) => spawnSync('nsenter', [`--target=${pause}`, '--user', '--mount', ...args], { encoding: 'utf8' });
    const dest = join(work, 'x');
    const extractor = join(work, 'extract.mjs');
    // The same stream skiff extracts from: openDecompressed (large reads; a plain tar passes through).
    await writeFile(extractor, `import { openDecompressed } from ${JSON.stringify(join(ROOT, 'lib/image/layer/compression.js'))};\nimport { extractLayer } from ${JSON.stringify(join(ROOT, 'lib/image/layer/extract.js'))};\nawait extractLayer(await openDecompressed(process.argv[2]), process.argv[3], { chown: true, whiteouts: 'none' });\n`);
    const tarTimes: number[] = [];
    const skiffTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [times, args] of [[tarTimes, ['tar', '-xf', big.tar!, '-C', dest]], [skiffTimes, [process.execPath, extractor, big.tar!, dest]]] as const) {
        ns(['sh', '-c', `rm -rf ${dest} && mkdir ${dest}`]);
        const t = performance.now();
        ns(args);
        times.push(performance.now() - t);
      }
    }
    ns(['rm', '-rf', dest]);
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const importMs = await median(fresh, () => run(SKIFF, ['--root', `${store}/s/root`, '--runroot', `${store}/s/run`, 'import', big.tar!, 'localhost/x']));
    extraction = { tarMs: mid(tarTimes), skiffMs: mid(skiffTimes), importMs };
  }

  const fmt = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
  console.log(`\npull from a local registry (median of ${RUNS}, fresh store each run)`);
  console.log('image'.padEnd(46) + 'skiff'.padStart(9) + 'podman'.padStart(9) + 'skopeo'.padStart(9) + '  skiff MB/s  vs podman');
  for (const r of results) {
    const ratio = r.podman ? `${(r.podman / r.skiff!).toFixed(2)}x` : '-';
    console.log(r.name.padEnd(46) + fmt(r.skiff).padStart(9) + fmt(r.podman).padStart(9) + fmt(r.skopeo).padStart(9) + `${(r.mb / (r.skiff! / 1000)).toFixed(1)}`.padStart(12) + ratio.padStart(11));
  }
  console.log('(skopeo copies to an OCI directory without extracting; podman and skiff extract into their stores)');
  if (extraction) {
    const ratio = extraction.tarMs / extraction.skiffMs;
    console.log(`\nextraction of the Debian layer: skiff ${fmt(extraction.skiffMs)}, tar -x ${fmt(extraction.tarMs)}: ${ratio.toFixed(2)}x of tar's speed (target >= 0.8x: ${ratio >= 0.8 ? 'MET' : 'MISSED'})`);
    console.log(`(both as root of skiff's user namespace, including the Node start; skiff import of the same tar, which also stores it as a blob: ${fmt(extraction.importMs)})`);
  }
  const largest = results.at(-1);
  if (largest?.podman) console.log(`\ntarget: pull throughput at least podman's: ${largest.podman / largest.skiff! >= 1 ? 'MET' : 'MISSED'} (${(largest.podman / largest.skiff!).toFixed(2)}x on ${largest.name})`);
} finally {
  await registry.stop();
  // Stores may hold sub-id owned files: each tool removes its own.
  spawnSync(SKIFF, ['--root', join(work, 'store/s/root'), '--runroot', join(work, 'store/s/run'), 'rmi', '-a', '-f'], { stdio: 'ignore' });
  if (podman) spawnSync('podman', ['unshare', 'rm', '-rf', join(work, 'store/p')], { stdio: 'ignore' });
  const pausePid = (() => { try { return (JSON.parse(readFileSync(join(work, 'store/s/run/pause.pid'), 'utf8')) as { pid: number }).pid; } catch { return undefined; } })();
  if (pausePid) {
    spawnSync('nsenter', [`--target=${pausePid}`, '--user', '--mount', 'rm', '-rf', work], { stdio: 'ignore' });
    try { process.kill(pausePid); } catch { /* gone */ }
  }
  await rm(work, { recursive: true, force: true }).catch(() => undefined);
}
