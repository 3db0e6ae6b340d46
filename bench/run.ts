// skiff benchmark: start-up latency, `ps` with many containers and the
// resident memory of the per-container monitor, side by side with podman
// when podman is installed.
//
//   npm run bench                        (as a normal user with subuid/subgid ranges)
//   BENCH_RUNS=25 node build/bench/run.js (samples per metric, default 15, after 2 warm-ups;
//                                         compiled from bench/run.ts by npm run build:test)
//   sudo SKIFF_BENCH_USER=alice npm run bench
//                                        (as root: builds as root, then re-runs itself as
//                                         alice, who must be able to read the checkout;
//                                         without SKIFF_BENCH_USER it skips with a message
//                                         and exit 0, since skiff is rootless)
//
// Everything runs against private stores in a short temp dir under /tmp
// (unix socket paths are limited to 108 bytes) which is removed at the end.
// It is a measurement, not a test: missed targets still exit 0; only a
// benchmark that cannot run (setup failure, a skiff command failing) exits 1.
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, readlinkSync, readdirSync, accessSync, constants as fsc } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import tar from 'tar-stream';

// Compiled to build/bench/run.js: the project is two levels up.
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIFF_BIN = join(PROJECT_ROOT, 'bin', 'skiff');
const RUNS = positiveInt(process.env.BENCH_RUNS, 15);
const WARMUP = 2;
const PS_CONTAINERS = 50;
const IMAGE = 'localhost/bb';
const CMD_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;

// Targets from the issue.
const TARGET_RUN_RATIO = 1.5; // skiff `run --rm … true` median ≤ 1.5 × podman's
const TARGET_MONITOR_PRIVATE = 10 * MiB; // monitor Private_Clean + Private_Dirty

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

// ---------------------------------------------------------------------------
// Who runs us

function ensureUnprivileged(): 'reexec' | undefined {
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
  const r = execa('runuser', ['-u', user, '--', process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env,
    extendEnv: false,
    cwd: '/',
    reject: false,
  });
  r.then((res) => process.exit(res.exitCode ?? 1));
  return 'reexec';
}

function checkSubids(): void {
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

function hostBusybox(): Buffer {
  for (const path of ['/bin/busybox', '/usr/bin/busybox']) {
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch {
      continue;
    }
    if (hasInterpreter(content)) throw new Error(`${path} is dynamically linked: install busybox-static`);
    return content;
  }
  throw new Error('no busybox found: install busybox-static');
}

function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) break;
    if (elf.readUInt32LE(at) === 3) return true;
  }
  return false;
}

async function buildBusyboxTar(path: string): Promise<void> {
  const busybox = hostBusybox();
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
  for (const a of APPLETS) await add({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' });
  const passwd = Buffer.from('root:x:0:0:root:/root:/bin/sh\n');
  await add({ name: 'etc/passwd', type: 'file', mode: 0o644, size: passwd.length }, passwd);
  const group = Buffer.from('root:x:0:\n');
  await add({ name: 'etc/group', type: 'file', mode: 0o644, size: group.length }, group);
  pack.finalize();
  await writing;
}

// ---------------------------------------------------------------------------
// Engines

class CommandError extends Error {}

function quote(arg: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

interface Engine {
  name: string;
  run(args: string[], options?: { timeout?: number }): Promise<string>;
}

/** An engine with its private store. */
interface StoreEngine extends Engine {
  dir: string;
  root: string;
  runroot: string;
}

/** An engine: a name and a function running one of its commands (rejects with full output on failure). */
function engine(name: string, file: string, globalArgs: string[]): Engine {
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
  return { name, run };
}

function skiffEngine(dir: string): StoreEngine {
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  // Through its #! line, as a user runs it.
  const e = engine('skiff', SKIFF_BIN, ['--root', root, '--runroot', runroot]);
  return { ...e, dir, root, runroot };
}

function podmanEngine(dir: string, runtime: string | undefined, storageDriver: string | undefined): StoreEngine {
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

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Measuring

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs `args` on every engine WARMUP times, then RUNS times interleaved
 * (skiff, podman, skiff, …) so drift on the host hits both alike.
 * Returns { engineName: medianMs }. An engine that fails is reported and
 * dropped from this metric.
 */
interface Sample {
  median: number;
  min: number;
  max: number;
  n: number;
}

interface BenchError {
  engine: string;
  metric: string;
  message: string;
}

async function latency(label: string, engines: Engine[], args: string[], errors: BenchError[]): Promise<Record<string, Sample>> {
  process.stderr.write(`  ${label} `);
  const samples = new Map<string, number[]>();
  const live: Engine[] = [];
  for (const e of engines) {
    try {
      for (let i = 0; i < WARMUP; i++) await e.run(args);
      live.push(e);
      samples.set(e.name, []);
    } catch (err) {
      errors.push({ engine: e.name, metric: label, message: (err as Error).message });
    }
  }
  for (let i = 0; i < RUNS && live.length; i++) {
    for (const e of [...live]) {
      try {
        samples.get(e.name)!.push(await timed(() => e.run(args)));
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

// ---------------------------------------------------------------------------
// Memory

function parseKb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const text = readProc(pid, `task/${t}/children`);
    if (text) out.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

function descendants(pid: number, depth = 1): Array<{ pid: number; depth: number }> {
  const out: Array<{ pid: number; depth: number }> = [];
  for (const c of children(pid)) {
    out.push({ pid: c, depth });
    out.push(...descendants(c, depth + 1));
  }
  return out;
}

function cmdline(pid: number): string {
  const raw = readProc(pid, 'cmdline');
  if (raw === undefined) return '?';
  const s = raw.replace(/\0+$/, '').split('\0').join(' ');
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

/** smaps_rollup of pid, plus how much of its own executable's mappings is clean and shared. */
interface Memory {
  pid: number;
  cmd: string;
  error?: string;
  exe?: string;
  rss: number;
  pss: number;
  privateClean: number;
  privateDirty: number;
  exeRss: number;
  exeSharedClean: number;
  early?: Memory;
}

interface ChildMemory extends Memory {
  depth: number;
  isContainer: boolean;
}

interface MonitorMemory {
  monitor: Memory;
  kids: ChildMemory[];
  containerPid: number;
}

function memoryOf(pid: number): Memory {
  const rollupText = readProc(pid, 'smaps_rollup');
  if (rollupText === undefined) return { pid, cmd: cmdline(pid), error: 'smaps_rollup unreadable', rss: 0, pss: 0, privateClean: 0, privateDirty: 0, exeRss: 0, exeSharedClean: 0 };
  const rollup = parseKb(rollupText);
  let exe: string | undefined;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // unreadable
  }
  // Shared_Clean in mappings of the process's own binary: for a node-based
  // monitor these are node's text pages, shared with this benchmark's own
  // node process (and any other node running); alone they would be Private_Clean.
  let exeRss = 0;
  let exeSharedClean = 0;
  const smaps = readProc(pid, 'smaps');
  if (smaps && exe) {
    let inExe = false;
    for (const line of smaps.split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
        const path = line.split(/\s+/).slice(5).join(' ');
        inExe = path === exe;
      } else if (inExe) {
        const m = /^(Rss|Shared_Clean):\s+(\d+) kB/.exec(line);
        if (m && m[1] === 'Rss') exeRss += Number(m[2]) * 1024;
        if (m && m[1] === 'Shared_Clean') exeSharedClean += Number(m[2]) * 1024;
      }
    }
  }
  return {
    pid,
    cmd: cmdline(pid),
    exe,
    rss: rollup.Rss ?? 0,
    pss: rollup.Pss ?? 0,
    privateClean: rollup.Private_Clean ?? 0,
    privateDirty: rollup.Private_Dirty ?? 0,
    exeRss,
    exeSharedClean,
  };
}

async function waitFor<T>(what: string, fn: () => T | Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts an idle detached container and measures its monitor and the monitor's descendants. */
async function monitorMemory(e: Engine): Promise<MonitorMemory> {
  const name = 'benchmem';
  await e.run(['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sleep', '1000']);
  const monitorPid = Number(await e.run(['container', 'inspect', '--format', '{{.State.ConmonPid}}', name]));
  if (!(monitorPid > 0)) throw new Error(`${e.name}: no monitor pid for ${name}`);
  const containerPid = Number(await e.run(['container', 'inspect', '--format', '{{.State.Pid}}', name]).catch(() => '0'));
  // Wait until the container process is up below the monitor, then let things settle.
  await waitFor(`${e.name}'s container process`, () => descendants(monitorPid).some((d) => /sleep 1000/.test(cmdline(d.pid))));
  await sleep(1500);
  const early = memoryOf(monitorPid);
  // An idle process's steady state is what a long-running container costs:
  // V8's memory reducer returns start-up heap pages after ~10 s of idling.
  let monitor = early;
  for (let waited = 0; waited < 20_000; waited += 2_000) {
    await sleep(2_000);
    const next = memoryOf(monitorPid);
    const settled = !next.error && !monitor.error && Math.abs(next.privateDirty - monitor.privateDirty) < 64 * 1024;
    monitor = next;
    if (settled && waited >= 8_000) break;
  }
  monitor.early = early;
  const kids: ChildMemory[] = descendants(monitorPid).map((d) => ({ ...memoryOf(d.pid), depth: d.depth, isContainer: d.pid === containerPid || /^(\/bin\/)?sleep 1000$/.test(cmdline(d.pid)) }));
  return { monitor, kids, containerPid };
}

// ---------------------------------------------------------------------------
// Cleanup

async function pausePid(runroot: string): Promise<number | undefined> {
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

function mountsBelow(pid: number, dir: string): string[] {
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

async function cleanupSkiff(s: StoreEngine): Promise<void> {
  // Only the detached container has processes; the created ones are just
  // records and go with the directory.
  await s.run(['rm', '-f', 'benchmem'], { timeout: 30_000 }).catch(() => '');
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

function podmanPausePidFile(): string {
  const runtimeDir = process.env.XDG_RUNTIME_DIR || `/tmp/podman-run-${process.getuid!()}`;
  return join(runtimeDir, 'libpod', 'tmp', 'pause.pid');
}

function livePid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && readProc(pid, 'stat') !== undefined ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function cleanupPodman(p: StoreEngine, pauseBefore: number | undefined): Promise<void> {
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

const ms = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(0)} ms`);
const mib = (b: number | undefined): string => (b === undefined ? '-' : `${(b / MiB).toFixed(1)} MiB`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function memoryReport(label: string, m: MonitorMemory): string {
  const lines: string[] = [];
  const row = (x: Memory, indent: string) => {
    if (x.error) return `${indent}pid ${x.pid}  ${x.cmd}: ${x.error}`;
    return (
      `${indent}pid ${x.pid}  Rss ${mib(x.rss)}  Pss ${mib(x.pss)}  Private_Clean ${mib(x.privateClean)}  ` +
      `Private_Dirty ${mib(x.privateDirty)}  [${x.cmd}]`
    );
  };
  lines.push(`${label} monitor:`);
  lines.push(row(m.monitor, '  '));
  if (!m.monitor.error) {
    lines.push(`  Private (Clean+Dirty) ${mib(m.monitor.privateClean + m.monitor.privateDirty)} once idle` +
      (m.monitor.early && !m.monitor.early.error ? ` (1.5 s after start: ${mib(m.monitor.early.privateClean + m.monitor.early.privateDirty)}, Private_Dirty ${mib(m.monitor.early.privateDirty)})` : ''));
    if (m.monitor.exeSharedClean > 0) {
      lines.push(
        `  of its Rss, ${mib(m.monitor.exeRss)} maps its own binary (${m.monitor.exe}); ${mib(m.monitor.exeSharedClean)} of that is ` +
          `Shared_Clean (shared with another process running the same binary, e.g. this benchmark's node):` +
          `\n  Private if it ran alone ~ ${mib(m.monitor.privateClean + m.monitor.privateDirty + m.monitor.exeSharedClean)}`,
      );
    }
  }
  lines.push(`  descendants${m.kids.length ? '' : ': none'}`);
  for (const k of m.kids) lines.push(row(k, '  ' + '  '.repeat(k.depth)) + (k.isContainer ? '  <- container process' : ''));
  const overhead = [m.monitor, ...m.kids.filter((k) => !k.isContainer)].filter((x) => !x.error);
  lines.push(
    `  resident overhead (monitor + non-container descendants): Rss ${mib(overhead.reduce((a, x) => a + x.rss, 0))}  ` +
      `Pss ${mib(overhead.reduce((a, x) => a + x.pss, 0))}  Private ${mib(overhead.reduce((a, x) => a + x.privateClean + x.privateDirty, 0))}`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  if (ensureUnprivileged() === 'reexec') return;
  checkSubids();
  try {
    accessSync(SKIFF_BIN, fsc.R_OK);
    accessSync(join(PROJECT_ROOT, 'lib', 'cli', 'main.js'), fsc.R_OK);
  } catch {
    throw new Error(`cannot read ${SKIFF_BIN} or lib/: build first (npm run build) and make the project readable to ${userInfo().username}`);
  }

  const started = Date.now();
  const top = await mkdtemp('/tmp/skb-');
  const tarball = join(top, 'bb.tar');
  const s = skiffEngine(join(top, 's'));
  let p: StoreEngine | undefined;
  let podmanPauseBefore: number | undefined;
  const errors: BenchError[] = [];
  let fatal: Error | undefined;

  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await cleanupSkiff(s).catch(() => undefined);
      if (p) await cleanupPodman(p, podmanPauseBefore).catch(() => undefined);
      await rm(top, { recursive: true, force: true }).catch((err: Error) => console.error(`bench: cannot remove ${top}: ${err.message}`));
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\nbench: ${sig}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    await buildBusyboxTar(tarball);
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
          break;
        } catch (err) {
          errors.push({ engine: 'podman', metric: `setup${driver ? ` with --storage-driver ${driver}` : ''}`, message: (err as Error).message });
          await cleanupPodman(candidate, podmanPauseBefore).catch(() => undefined);
          podmanNote = 'podman: unusable, skiff only';
        }
      }
    }
    console.log(`bench: ${RUNS} runs per metric after ${WARMUP} warm-ups; skiff runtime ${runtime}, storage ${skiffDriver ?? '?'}; ${podmanNote}`);
    console.error(`bench: store ${top}`);

    // (a), (b): start-up latency of a trivial container.
    const runNone = await latency('run --rm --network none true', engines, ['run', '--rm', '--network', 'none', IMAGE, 'true'], errors);
    const runSlirp = await latency('run --rm true (slirp4netns)', engines, ['run', '--rm', IMAGE, 'true'], errors);

    // (c): ps -a with 50 created (not running) containers.
    process.stderr.write(`  create ${PS_CONTAINERS} containers `);
    const createTimes = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    const psEngines: StoreEngine[] = [];
    for (const e of engines) {
      try {
        for (let i = 0; i < PS_CONTAINERS; i++) {
          createTimes.get(e.name)!.push(await timed(() => e.run(['create', '--network', 'none', '--name', `b${i}`, IMAGE, 'true'])));
          if (i % 10 === 9) process.stderr.write('.');
        }
        const listed = (await e.run(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter((l) => /^b\d+$/.test(l.trim()));
        if (listed.length !== PS_CONTAINERS) throw new Error(`${e.name} ps -a lists ${listed.length} of the ${PS_CONTAINERS} created containers`);
        psEngines.push(e);
      } catch (err) {
        errors.push({ engine: e.name, metric: 'create', message: (err as Error).message });
      }
    }
    process.stderr.write('\n');
    const ps = await latency(`ps -a (${PS_CONTAINERS} created)`, psEngines, ['ps', '-a'], errors);
    const create: Record<string, { median: number; n: number }> = {};
    for (const [name, xs] of createTimes) if (xs.length === PS_CONTAINERS) create[name] = { median: median(xs), n: xs.length };

    // (d): memory of one idle detached container's monitor.
    process.stderr.write('  monitor memory\n');
    const mem: Record<string, MonitorMemory> = {};
    for (const e of engines) {
      try {
        mem[e.name] = await monitorMemory(e);
      } catch (err) {
        errors.push({ engine: e.name, metric: 'monitor memory', message: (err as Error).message });
      }
    }

    // ---- report
    const withPodman = p !== undefined && engines.includes(p);
    const header = ['metric (median)', 'skiff', ...(withPodman ? ['podman', 'skiff/podman'] : [])];
    const row = (label: string, r: Record<string, { median: number }>) => {
      const a = r.skiff?.median;
      const b = r.podman?.median;
      return [label, ms(a), ...(withPodman ? [ms(b), a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '-'] : [])];
    };
    console.log('');
    console.log(
      table([
        header,
        row('run --rm --network none true', runNone),
        row('run --rm true (slirp4netns)', runSlirp),
        row(`ps -a, ${PS_CONTAINERS} created containers`, ps),
        row('create --network none (per container)', create),
      ]),
    );
    console.log(`(${RUNS} samples each after ${WARMUP} warm-ups, interleaved; create: median of the ${PS_CONTAINERS} creates;`);
    console.log(` the ${PS_CONTAINERS} containers for ps are created, not running)`);
    for (const [label, r] of [['run --network none', runNone], ['run slirp4netns', runSlirp], ['ps -a', ps]] as const) {
      const spread = Object.entries(r).map(([n, x]) => `${n} ${ms(x.min)}..${ms(x.max)}`).join(', ');
      if (spread) console.log(`  range ${label}: ${spread}`);
    }
    console.log('');
    for (const [name, m] of Object.entries(mem)) console.log(memoryReport(name === 'podman' ? 'podman (conmon)' : 'skiff', m), '\n');

    console.log('targets:');
    for (const [label, r] of [['run --rm --network none true', runNone], ['run --rm true (slirp4netns)', runSlirp]] as const) {
      if (r.skiff && r.podman) {
        const ratio = r.skiff.median / r.podman.median;
        console.log(`  ${label} within ${TARGET_RUN_RATIO}x of podman: ${ratio.toFixed(2)}x  ${ratio <= TARGET_RUN_RATIO ? 'MET' : 'MISSED'}`);
      } else {
        console.log(`  ${label} within ${TARGET_RUN_RATIO}x of podman: not measured (${r.skiff ? 'no podman figure' : 'no skiff figure'})`);
      }
    }
    const sm = mem.skiff?.monitor;
    if (sm && !sm.error) {
      const priv = sm.privateClean + sm.privateDirty;
      const alone = priv + sm.exeSharedClean;
      console.log(
        `  monitor Private <= ${mib(TARGET_MONITOR_PRIVATE)}: ${mib(priv)} (Private_Clean ${mib(sm.privateClean)} + Private_Dirty ${mib(sm.privateDirty)})  ` +
          `${priv <= TARGET_MONITOR_PRIVATE ? 'MET' : 'MISSED'}`,
      );
      console.log(
        `    if no other process shared its binary's text: ~${mib(alone)}  ${alone <= TARGET_MONITOR_PRIVATE ? 'MET' : 'MISSED'}`,
      );
    } else {
      console.log('  monitor Private <= 10 MiB: not measured');
    }
  } catch (err) {
    fatal = err as Error;
  } finally {
    await cleanup();
  }

  for (const e of errors) {
    console.log(`\n${e.engine} failed (${e.metric}):\n${e.message}`);
  }
  console.error(`\nbench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (fatal) {
    console.error(`bench: failed: ${fatal.message}`);
    process.exitCode = 1;
  } else if (errors.some((e) => e.engine === 'skiff')) {
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  console.error(`bench: failed: ${err.message}`);
  process.exitCode = 1;
});
