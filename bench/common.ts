// What the benchmarks share: who runs them, the busybox image, the engines
// (skiff and podman on private stores, run through their CLIs), timing, the
// clean-up of stores that hold sub-id owned files, and plain-text tables.
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, accessSync, constants as fsc } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import tar from 'tar-stream';
import { hostBusybox } from '../test/fixtures/busybox.js';

// Compiled to build/bench/common.js: the project is two levels up.
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SKIFF_BIN = join(PROJECT_ROOT, 'bin', 'skiff');
export const WARMUP = 2;
export const IMAGE = 'localhost/bb';
const CMD_TIMEOUT_MS = 60_000;
export const MiB = 1024 * 1024;

export function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

// ---------------------------------------------------------------------------
// Who runs us

/** As root: re-runs the benchmark script (argv[1]) as SKIFF_BENCH_USER and says 'reexec', or exits 0 with a message. */
export function ensureUnprivileged(): 'reexec' | undefined {
  if (process.getuid!() !== 0) return undefined;
  const user = process.env.SKIFF_BENCH_USER;
  if (!user) {
    console.error(
      'bench: skipped: skiff is a rootless engine and this benchmark must run as a normal user with\n' +
        '       subordinate uid/gid ranges (/etc/subuid, /etc/subgid). Run `npm run bench` as that user,\n' +
        '       or set SKIFF_BENCH_USER=<user> to have it re-run itself as that user.',
    );
    process.exit(0);
  }
  console.error(`bench: running as root: re-running as ${user}`);
  // Build first as root (npm run bench already did), then measure as the user.
  // XDG_RUNTIME_DIR and HOME would still point at root's.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.XDG_RUNTIME_DIR;
  delete env.SKIFF_BENCH_USER;
  const r = execa('runuser', ['-u', user, '--', process.execPath, process.argv[1]!], {
    stdio: 'inherit',
    env,
    extendEnv: false,
    cwd: '/',
    reject: false,
  });
  r.then((res) => process.exit(res.exitCode ?? 1));
  return 'reexec';
}

export function checkSubids(): void {
  const { username, uid } = userInfo();
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // missing file: no ranges
    }
    const has = text.split('\n').some((l) => {
      const [who, , count] = l.split(':');
      return (who === username || who === String(uid)) && Number(count) > 0;
    });
    if (!has) {
      throw new Error(`no subordinate id range for ${username} in ${file}; rootless containers need one (usermod --add-subuids/--add-subgids)`);
    }
  }
}

// ---------------------------------------------------------------------------
// The image: busybox-static plus a few applet links

const APPLETS = ['sh', 'true', 'sleep', 'echo'];
const MTIME = new Date('2024-01-01T00:00:00Z');

/** A busybox image tarball at `path` with links for `applets` besides sh, true, sleep and echo. */
export async function buildBusyboxTar(path: string, applets: string[] = []): Promise<void> {
  const { content: busybox } = await hostBusybox();
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path, { mode: 0o644 }));
  type EntryHeader = Parameters<typeof pack.entry>[0];
  const add = (header: EntryHeader, content?: Buffer) =>
    new Promise<void>((res, rej) => {
      const h: EntryHeader = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: MTIME, ...header };
      const done = (err?: Error | null) => (err ? rej(err) : res());
      if (content) pack.entry(h, content, done);
      else pack.entry(h, done);
    });
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'root']) await add({ name: d, type: 'directory', mode: 0o755 });
  await add({ name: 'tmp', type: 'directory', mode: 0o1777 });
  await add({ name: 'bin/busybox', type: 'file', mode: 0o755, size: busybox.length }, busybox);
  for (const a of [...APPLETS, ...applets]) await add({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' });
  const passwd = Buffer.from('root:x:0:0:root:/root:/bin/sh\n');
  await add({ name: 'etc/passwd', type: 'file', mode: 0o644, size: passwd.length }, passwd);
  const group = Buffer.from('root:x:0:\n');
  await add({ name: 'etc/group', type: 'file', mode: 0o644, size: group.length }, group);
  pack.finalize();
  await writing;
}

// ---------------------------------------------------------------------------
// Engines

export class CommandError extends Error {}

export function quote(arg: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface Engine {
  name: string;
  /** The command line that runs `args` with this engine's store flags, for shell pipelines. */
  argv(args: string[]): string[];
  run(args: string[], options?: { timeout?: number }): Promise<string>;
}

/** An engine with its private store. */
export interface StoreEngine extends Engine {
  dir: string;
  root: string;
  runroot: string;
}

/** An engine: a name and a function running one of its commands (rejects with full output on failure). */
export function engine(name: string, file: string, globalArgs: string[]): Engine {
  const run = async (args: string[], { timeout = CMD_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> => {
    const r = await execa(file, [...globalArgs, ...args], {
      reject: false,
      timeout,
      stdin: 'ignore',
      cwd: PROJECT_ROOT,
    });
    if (r.timedOut || r.exitCode !== 0) {
      const shown = [name, ...args].map(quote).join(' ');
      const why = r.timedOut ? `timed out after ${timeout} ms` : r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
      throw new CommandError(`\`${shown}\` ${why}\n  stdout: ${r.stdout || '(empty)'}\n  stderr: ${r.stderr || '(empty)'}`);
    }
    return r.stdout.trim();
  };
  return { name, run, argv: (args) => [file, ...globalArgs, ...args] };
}

export function skiffEngine(dir: string): StoreEngine {
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  // Through its #! line, as a user runs it.
  const e = engine('skiff', SKIFF_BIN, ['--root', root, '--runroot', runroot]);
  return { ...e, dir, root, runroot };
}

export function podmanEngine(dir: string, runtime: string | undefined, storageDriver: string | undefined): StoreEngine {
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  const flags = [
    '--root', root, '--runroot', runroot, '--tmpdir', join(dir, 'tmp'),
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
    ...(runtime ? ['--runtime', runtime] : []),
    ...(storageDriver ? ['--storage-driver', storageDriver] : []),
  ];
  const e = engine('podman', 'podman', flags);
  return { ...e, dir, root, runroot };
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Measuring

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface Sample {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface BenchError {
  engine: string;
  metric: string;
  message: string;
}

/**
 * Runs `step` on every engine WARMUP times, then `runs` times interleaved
 * (skiff, podman, skiff, …) so drift on the host hits both alike, timing
 * each run; `step` gets a number no other call of it got. Returns each
 * engine's median, min and max in ms. An engine that fails is reported in
 * `errors` and dropped from this metric.
 */
export async function latencyOf<E extends Engine>(label: string, engines: E[], step: (e: E, n: number) => Promise<unknown>, errors: BenchError[], runs: number): Promise<Record<string, Sample>> {
  process.stderr.write(`  ${label} `);
  const samples = new Map<string, number[]>();
  const live: E[] = [];
  let n = 0;
  for (const e of engines) {
    try {
      for (let i = 0; i < WARMUP; i++) await step(e, n++);
      live.push(e);
      samples.set(e.name, []);
    } catch (err) {
      errors.push({ engine: e.name, metric: label, message: (err as Error).message });
    }
  }
  for (let i = 0; i < runs && live.length; i++) {
    for (const e of [...live]) {
      try {
        const k = n++;
        samples.get(e.name)!.push(await timed(() => step(e, k)));
      } catch (err) {
        errors.push({ engine: e.name, metric: label, message: (err as Error).message });
        live.splice(live.indexOf(e), 1);
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const out: Record<string, Sample> = {};
  for (const [name, xs] of samples) if (xs.length) out[name] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
  return out;
}

/** latencyOf for one command line, the same on every engine. */
export function latency(label: string, engines: Engine[], args: string[], errors: BenchError[], runs: number): Promise<Record<string, Sample>> {
  return latencyOf(label, engines, (e) => e.run(args), errors, runs);
}

export function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Cleanup

export async function pausePid(runroot: string): Promise<number | undefined> {
  try {
    const info = JSON.parse(await readFile(join(runroot, 'pause.pid'), 'utf8')) as { pid?: unknown; startTime?: unknown };
    const pid = info.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    const stat = readProc(pid, 'stat');
    if (!stat) return undefined;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    if (typeof info.startTime === 'number' && Number(fields[19]) !== info.startTime) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

export function mountsBelow(pid: number, dir: string): string[] {
  const text = readProc(pid, 'mountinfo') ?? '';
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_: string, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter(Boolean)
    .map(unescape)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function cleanupSkiff(s: StoreEngine, running: string[]): Promise<void> {
  // Only detached containers (`running`) have processes; created ones are
  // just records and go with the directory.
  if (running.length) await s.run(['rm', '-f', '-t', '0', ...running], { timeout: 30_000 }).catch(() => '');
  const pause = await pausePid(s.runroot);
  if (pause !== undefined) {
    const script = [...mountsBelow(pause, s.dir).map((m) => `umount -l ${quote(m)} 2>/dev/null;`), `rm -rf ${quote(s.dir)}`].join(' ');
    await execa('nsenter', [`--target=${pause}`, '--user', '--mount', 'sh', '-c', script], { reject: false, timeout: 30_000, stdin: 'ignore' });
    try {
      process.kill(pause, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export function podmanPausePidFile(): string {
  const runtimeDir = process.env.XDG_RUNTIME_DIR || `/tmp/podman-run-${process.getuid!()}`;
  return join(runtimeDir, 'libpod', 'tmp', 'pause.pid');
}

export function livePid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && readProc(pid, 'stat') !== undefined ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function cleanupPodman(p: StoreEngine, pauseBefore: number | undefined): Promise<void> {
  await p.run(['rm', '-a', '-f', '-t', '0'], { timeout: 30_000 }).catch(() => '');
  // podman runs every command in its per-user pause process's user and mount
  // namespaces: files owned by sub-uids and its overlay mounts are removable there.
  const pause = livePid(podmanPausePidFile());
  if (pause !== undefined) {
    const script = [...mountsBelow(pause, p.dir).map((m) => `umount -l ${quote(m)} 2>/dev/null;`), `rm -rf ${quote(p.dir)}`].join(' ');
    await execa('nsenter', [`--target=${pause}`, '--user', '--mount', 'sh', '-c', script], { reject: false, timeout: 30_000, stdin: 'ignore' });
  }
  // podman keeps one pause process per user; end it only if this run started it.
  if (pause !== undefined && pause !== pauseBefore) {
    try {
      process.kill(pause, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------
// Output

export const ms = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(0)} ms`);
export const mib = (b: number | undefined): string => (b === undefined ? '-' : `${(b / MiB).toFixed(1)} MiB`);

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}


// ---------------------------------------------------------------------------
// One benchmark's engines

export interface Bench {
  /** The private temp dir under /tmp holding every store; removed by cleanup(). */
  top: string;
  /** The busybox image tarball both engines imported as IMAGE. */
  tarball: string;
  skiff: StoreEngine;
  /** When podman is installed and usable: with skiff's runtime and, where it can, its storage driver. */
  podman?: StoreEngine;
  /** skiff first, then podman when there. */
  engines: StoreEngine[];
  runtime: string;
  skiffDriver?: string;
  /** One line on podman: version, runtime, storage; or why it is left out. */
  podmanNote: string;
  errors: BenchError[];
  /** Containers left running, which cleanup removes first. */
  running: string[];
  /** Removes the stores (idempotent); also runs on SIGINT/SIGTERM. */
  cleanup(): Promise<void>;
}

/**
 * Checks who runs the benchmark and that skiff is built, then imports the
 * busybox image (with `applets` besides the usual ones) into a fresh skiff
 * store and, when podman is installed, into a fresh podman store. Returns
 * undefined when the script was re-run as SKIFF_BENCH_USER. Call cleanup()
 * when done.
 */
export async function openBench(applets: string[] = []): Promise<Bench | undefined> {
  if (ensureUnprivileged() === 'reexec') return undefined;
  checkSubids();
  try {
    accessSync(SKIFF_BIN, fsc.R_OK);
    accessSync(join(PROJECT_ROOT, 'lib', 'skiff.cjs'), fsc.R_OK);
  } catch {
    throw new Error(`cannot read ${SKIFF_BIN} or lib/: build first (npm run build) and make the project readable to ${userInfo().username}`);
  }
  const top = await mkdtemp('/tmp/skb-');
  const tarball = join(top, 'bb.tar');
  const s = skiffEngine(join(top, 's'));
  let p: StoreEngine | undefined;
  let podmanPauseBefore: number | undefined;
  const running: string[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await cleanupSkiff(s, running).catch(() => undefined);
      if (p) await cleanupPodman(p, podmanPauseBefore).catch(() => undefined);
      await rm(top, { recursive: true, force: true }).catch((err: Error) => console.error(`bench: cannot remove ${top}: ${err.message}`));
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\nbench: ${sig}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  }
  const errors: BenchError[] = [];
  try {
    await buildBusyboxTar(tarball, applets);
    await s.run(['import', tarball, IMAGE]);
    const runtime = await s.run(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
    let skiffDriver: string | undefined;
    try {
      skiffDriver = (JSON.parse(readFileSync(join(s.runroot, 'storage-driver.json'), 'utf8')) as { driver?: string }).driver;
    } catch {
      // not recorded
    }

    const engines: StoreEngine[] = [s];
    let podmanNote = 'podman: not installed, skiff only';
    let podman: StoreEngine | undefined;
    if (hasCommand('podman')) {
      podmanPauseBefore = livePid(podmanPausePidFile());
      // Same OCI runtime and, when podman can use it, the same storage driver
      // as skiff (podman would otherwise pick its own, e.g. vfs). Each attempt
      // gets a fresh store: a store keeps the driver it was created with.
      const attempts = [...(skiffDriver ? [skiffDriver] : []), undefined];
      for (const [i, driver] of attempts.entries()) {
        const candidate = podmanEngine(join(top, `p${i}`), runtime, driver);
        p = candidate;
        try {
          await candidate.run(['import', tarball, IMAGE]);
          await candidate.run(['run', '--rm', '--network', 'none', IMAGE, 'true']);
          const [ver, used, prt] = await Promise.all([
            candidate.run(['version', '--format', '{{.Client.Version}}']),
            candidate.run(['info', '--format', '{{.Store.GraphDriverName}}']),
            candidate.run(['info', '--format', '{{.Host.OCIRuntime.Name}}']),
          ]);
          podmanNote = `podman ${ver}: runtime ${prt}, storage ${used}, cgroupfs, events file`;
          engines.push(candidate);
          podman = candidate;
          break;
        } catch (err) {
          errors.push({ engine: 'podman', metric: `setup${driver ? ` with --storage-driver ${driver}` : ''}`, message: (err as Error).message });
          await cleanupPodman(candidate, podmanPauseBefore).catch(() => undefined);
          podmanNote = 'podman: unusable, skiff only';
        }
      }
    }
    return { top, tarball, skiff: s, podman, engines, runtime, skiffDriver, podmanNote, errors, running, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Runs one benchmark: opens the stores (busybox image with `applets`, podman
 * beside when installed), runs `body`, always cleans up, then reports what
 * failed and sets the exit code (see finish).
 */
export function runBench(body: (bench: Bench) => Promise<void>, applets: string[] = []): void {
  void (async () => {
    const started = Date.now();
    let bench: Bench | undefined;
    let fatal: Error | undefined;
    try {
      bench = await openBench(applets);
      if (!bench) return;
      await body(bench);
    } catch (err) {
      fatal = err as Error;
    } finally {
      await bench?.cleanup();
    }
    finish(bench, fatal, started);
  })().catch((err: Error) => {
    console.error(`bench: failed: ${err.message}`);
    process.exitCode = 1;
  });
}

/** Prints what failed and sets the exit code: 1 when skiff failed or the benchmark could not run. */
export function finish(bench: Bench | undefined, fatal: Error | undefined, started: number): void {
  for (const e of bench?.errors ?? []) console.log(`\n${e.engine} failed (${e.metric}):\n${e.message}`);
  console.error(`\nbench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (fatal) {
    console.error(`bench: failed: ${fatal.message}`);
    process.exitCode = 1;
  } else if (bench?.errors.some((e) => e.engine === 'skiff')) {
    process.exitCode = 1;
  }
}
