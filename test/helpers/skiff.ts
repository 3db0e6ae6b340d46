// Black-box runner for integration tests, in the style of podman's bats
// `run_podman`: every call runs the real bin/skiff against a private
// --root/--runroot, the expected exit code is checked, and a mismatch throws
// with the full command, stdout and stderr.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The project root: this file runs as build/test/helpers/skiff.js. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SKIFF_BIN = join(PROJECT_ROOT, 'bin', 'skiff');

const DEFAULT_TIMEOUT_MS = 60_000;
const verbose = Boolean(process.env.SKIFF_TEST_VERBOSE);

export interface SkiffOptions {
  /** Expected exit code (default 0). */
  exit?: number;
  stdin?: string;
  env?: Record<string, string>;
  /** Kill the command after this many ms (default 60 s) so a hang fails with its output. */
  timeout?: number;
}

export interface SkiffResult {
  /** The full argv, for messages. */
  command: string[];
  exitCode: number;
  /** stdout without the trailing newline. */
  stdout: string;
  stderr: string;
  /** stdout split into lines (no empty last line). */
  lines: string[];
}

export type Skiff = (args: string[], opts?: SkiffOptions) => Promise<SkiffResult>;

/** Minimal part of ava's ExecutionContext we use, so helpers work without ava too. */
interface LogContext {
  log(...values: unknown[]): void;
}

export interface TestEnv {
  /** The temp dir holding root/ and run/. */
  dir: string;
  root: string;
  runroot: string;
  skiff: Skiff;
  /** Removes containers, the pause process and the temp dir. Never throws. */
  cleanup(): Promise<void>;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs bin/skiff with the given global flags plus args; checks the exit code. */
export async function runSkiff(globalArgs: string[], args: string[], opts: SkiffOptions = {}, t?: LogContext): Promise<SkiffResult> {
  // Run as a user runs it: through its #! line (which also drops NODE_EXTRA_CA_CERTS).
  const argv = [SKIFF_BIN, ...globalArgs, ...args];
  const shown = ['skiff', ...globalArgs, ...args].map(quote).join(' ');
  if (verbose) console.log(`$ ${shown}`);
  const expected = opts.exit ?? 0;
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  const result = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout,
    ...(opts.stdin === undefined ? { stdin: 'ignore' as const } : { input: opts.stdin }),
    env: opts.env,
    cwd: PROJECT_ROOT,
    stripFinalNewline: true,
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  t?.log(`$ ${shown}  [exit ${result.exitCode ?? result.signal ?? '?'}]`);
  if (verbose) {
    if (stdout) console.log(stdout);
    if (stderr) console.log(stderr);
  }
  const exitCode = result.exitCode ?? -1;
  if (result.timedOut || exitCode !== expected) {
    const why = result.timedOut
      ? `timed out after ${timeout} ms`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited ${exitCode}`;
    throw new Error(
      `command ${why}, expected exit ${expected}\n` +
        `$ ${shown}\n` +
        `--- stdout ---\n${stdout}\n` +
        `--- stderr ---\n${stderr}`,
    );
  }
  return { command: argv, exitCode, stdout, stderr, lines: stdout === '' ? [] : stdout.split('\n') };
}

/**
 * Creates a private store (short path: unix sockets live below it and are
 * limited to 108 bytes) and a `skiff` bound to it. One per test file:
 *   let env: TestEnv;
 *   test.before(async () => { env = await newTestEnv(); });
 *   test.after.always(() => env.cleanup());
 */
export async function newTestEnv(t?: LogContext): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'sk-'));
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  const globalArgs = ['--root', root, '--runroot', runroot];
  const skiff: Skiff = (args, opts) => runSkiff(globalArgs, args, opts, t);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await cleanupEnv(dir, runroot, globalArgs);
  };
  return { dir, root, runroot, skiff, cleanup };
}

async function cleanupEnv(dir: string, runroot: string, globalArgs: string[]): Promise<void> {
  const quiet = async (args: string[]) => {
    try {
      return await runSkiff(globalArgs, args, { timeout: 30_000 });
    } catch (err) {
      if (verbose) console.log(`cleanup: ${(err as Error).message}`);
      return undefined;
    }
  };

  // `rm -fa` may not exist yet: remove what `ps -aq` lists one by one.
  const listed = await quiet(['ps', '-aq']);
  for (const id of listed?.lines ?? []) {
    if (id.trim()) await quiet(['rm', '-f', '-t', '0', id.trim()]);
  }

  // Files under root/ may belong to subordinate uids, so remove them as
  // root of the pause namespace, and only then end the namespace.
  const pause = await readPausePid(runroot);
  if (pause !== undefined) {
    const mounts = await mountsBelow(pause, dir);
    const script = [...mounts.map((m) => `umount -l ${quote(m)} 2>/dev/null;`), `rm -rf ${quote(dir)}`].join(' ');
    await execa('nsenter', [`--target=${pause}`, '--user', '--mount', 'sh', '-c', script], {
      reject: false,
      timeout: 30_000,
      stdin: 'ignore',
    });
    try {
      process.kill(pause, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    console.log(`cleanup: cannot remove ${dir}: ${(err as Error).message}`);
  }
}

/** The pid from RUNROOT/pause.pid, when that process still runs (and is the same process). */
async function readPausePid(runroot: string): Promise<number | undefined> {
  let info: { pid?: unknown; startTime?: unknown };
  try {
    info = JSON.parse(await readFile(join(runroot, 'pause.pid'), 'utf8')) as typeof info;
  } catch {
    return undefined;
  }
  const pid = info.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    // A recycled pid has another start time: never kill a stranger.
    if (typeof info.startTime === 'number' && Number(fields[19]) !== info.startTime) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

/** Mount points under `dir` in the pause process's mount namespace, deepest first. */
async function mountsBelow(pid: number, dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/mountinfo`, 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescape)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** A name unique across test files and runs: `prefix-<random>`. */
export function uniqueName(prefix = 'skt'): string {
  return `${prefix}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns a truthy value or `ms` pass; returns the last value. */
export async function poll<T>(probe: () => Promise<T>, ms = 8_000, every = 150): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!last && Date.now() < deadline) {
    await sleep(every);
    last = await probe();
  }
  return last;
}
