import { constants as fsConstants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { SkiffError } from '../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/fs.js';
import { signalNumber } from '../util/signals.js';

export type RuntimeName = 'crun' | 'runc';

/** Runtimes in order of preference: crun is podman's default where it works. */
export const RUNTIME_PREFERENCE: RuntimeName[] = ['crun', 'runc'];

export interface RuntimeChoice {
  name: RuntimeName;
  path: string;
  version: string;
  /** Why a preferred runtime was passed over, for `skiff info`. */
  notes: string[];
}

/**
 * The runtime a container runs with: its name, its path and the global
 * flags given with `--runtime-flag` (already as `--FLAG`), which go before
 * every command line of it.
 */
export interface RuntimeRef {
  name: RuntimeName;
  path: string;
  flags?: string[];
}

/** podman's --runtime-flag: FLAG becomes the runtime's global flag --FLAG. */
export function runtimeFlagArgs(flags: readonly string[]): string[] {
  return flags.map((f) => `--${f}`);
}

/** The start of every runtime command line: the --runtime-flag flags, then its state root. */
function globalArgs(choice: Pick<RuntimeRef, 'name' | 'flags'>, runtimeRoot: string): string[] {
  return [...(choice.flags ?? []), '--root', runtimeStateRoot(runtimeRoot, choice.name)];
}

/** The runtime's own state directory (its --root) under skiff's run root. */
export function runtimeStateRoot(runtimeRoot: string, name: RuntimeName): string {
  return join(runtimeRoot, name);
}

/**
 * argv for `RUNTIME create`: sets the container up with its init waiting
 * to exec the command, writes the init's pid to `pidFile` and exits; the
 * init stays behind, re-parented to the nearest subreaper. Without a
 * `consoleSocket` the init inherits the runtime's stdio; with one
 * (process.terminal) the runtime sends the pty's master there.
 */
export function createArgs(choice: Pick<RuntimeRef, 'name' | 'flags'>, runtimeRoot: string, opts: { id: string; bundle: string; pidFile: string; logFile: string; consoleSocket?: string; preserveFds?: number }): string[] {
  return [
    ...globalArgs(choice, runtimeRoot),
    '--log', opts.logFile, '--log-format', 'json',
    'create', '--bundle', opts.bundle, '--pid-file', opts.pidFile,
    ...(opts.consoleSocket ? ['--console-socket', opts.consoleSocket] : []),
    ...(opts.preserveFds ? ['--preserve-fds', String(opts.preserveFds)] : []),
    opts.id,
  ];
}

/** argv for `RUNTIME start`: lets a created container's init exec its command; errors go to `logFile`. */
export function startArgs(choice: Pick<RuntimeRef, 'name' | 'flags'>, runtimeRoot: string, opts: { id: string; logFile: string }): string[] {
  return [...globalArgs(choice, runtimeRoot), '--log', opts.logFile, '--log-format', 'json', 'start', opts.id];
}

/**
 * argv for `RUNTIME exec`: runs the process described by `processFile` (an
 * OCI process object) in the running container `id`. In the foreground the
 * runtime lives until the process exits and exits with its code; with
 * `detach` it exits once the process has started. Errors go to `logFile`.
 */
export function execArgs(choice: Pick<RuntimeRef, 'name' | 'flags'>, runtimeRoot: string, opts: { id: string; processFile: string; pidFile: string; logFile: string; detach: boolean }): string[] {
  return [
    ...globalArgs(choice, runtimeRoot),
    '--log', opts.logFile, '--log-format', 'json',
    'exec', '--process', opts.processFile, '--pid-file', opts.pidFile,
    ...(opts.detach ? ['--detach'] : []),
    opts.id,
  ];
}

/** podman's wording for a failed exec (126/127 from startFailureExitCode), so scripts matching its errors keep working. */
export function execFailureMessage(runtime: RuntimeName, failure: string, exitCode: number): string {
  const text = failure.startsWith(runtime) ? failure : `${runtime}: ${failure}`;
  if (exitCode === 127) return `${text}: OCI runtime attempted to invoke a command that was not found`;
  if (exitCode === 126) return `${text}: OCI permission denied`;
  return text;
}

export class RuntimeError extends SkiffError {
  constructor(message: string, readonly exitCode: number, cause?: unknown) {
    super('ERUNTIME', message, { cause });
  }
}

/**
 * Reads the runtime's JSON log and returns its last error, or undefined. The
 * runtime exits non-zero both when the container does and when it could not
 * start it; only the latter leaves an error in its log.
 */
export async function runtimeLogError(logFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(logFile, 'utf8');
  } catch {
    return undefined;
  }
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) last = entry.msg;
    } catch {
      last = line.trim();
    }
  }
  return last;
}

/**
 * The error a runtime printed on stderr when it refused its command line
 * (an unknown --runtime-flag): runc's logrus line `level=error msg="..."`
 * gives its msg, crun's first line is its message. Undefined for no text.
 */
export function runtimeStderrError(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const line of lines) {
    const logrus = /\blevel=(?:error|fatal)\b.*?\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (logrus) return logrus[1].replace(/\\(.)/g, '$1');
  }
  return lines[0];
}

/**
 * podman run's exit code for a container the runtime did not start
 * (podman's define.ExitCode): 127 when the command was not found, else 126.
 */
export function runFailureExitCode(message: string): number {
  return startFailureExitCode(message) === 127 ? 127 : 126;
}

/**
 * The exit code podman gives a failed start: 127 when the command does not
 * exist, 126 when it cannot be executed, 125 for any other runtime failure.
 */
export function startFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(message)) return 127;
  if (/permission denied|exec format error|is a directory/i.test(message)) return 126;
  return 125;
}

/**
 * Sends a signal (a name as parseSignal in util/signals.ts takes it, or a
 * number) to the container's init through the runtime.
 */
export async function killContainer(choice: RuntimeRef, runtimeRoot: string, id: string, signal: string): Promise<void> {
  const number = signalNumber(signal);
  if (number === undefined) throw new RuntimeError(`invalid signal: ${signal}`, 125);
  // By number: crun and runc both parse numbers, but not every name (RTMIN+3).
  const result = await exec(choice.path, [...globalArgs(choice, runtimeRoot), 'kill', id, String(number)]);
  if (result.exitCode !== 0 && !killFoundNoProcess(result.stderr)) {
    throw new RuntimeError(`${choice.name} kill ${id}: ${result.stderr.trim()}`, 125);
  }
}

/**
 * Whether a failed runtime `kill` only says the container's process is
 * gone: stopped, removed, or exiting while being signalled (runc then
 * reports Go's ESRCH as "os: process already finished", e.g. for the
 * second SIGKILL of `stop -t 0`).
 */
export function killFoundNoProcess(stderr: string): boolean {
  return /not running|does not exist|container not found|no such process|process already finished/i.test(stderr);
}

/**
 * Freezes (`pause`) or thaws (`resume`) a container's cgroup with the
 * runtime's own verbs. Needs a container the runtime gave a cgroup it may
 * freeze (rootful here: rootless containers get no cgroupsPath). Resuming
 * a container that is not frozen is fine: runc thaws one itself when it
 * sends it SIGKILL.
 */
export async function freezeContainer(choice: RuntimeRef, runtimeRoot: string, id: string, verb: 'pause' | 'resume'): Promise<void> {
  const result = await exec(choice.path, [...globalArgs(choice, runtimeRoot), verb, id]);
  if (result.exitCode === 0 || (verb === 'resume' && /not paused/i.test(result.stderr))) return;
  throw new RuntimeError(`${choice.name} ${verb} ${id}: ${result.stderr.trim()}`, 125);
}

/**
 * True when the runtime holds a record of container `id` (crun and runc
 * both keep one directory per container under their --root): a container
 * whose monitor died leaves one behind, and `create` refuses a known id.
 */
export async function runtimeHasContainer(choice: { name: RuntimeName }, runtimeRoot: string, id: string): Promise<boolean> {
  try {
    await fsp.access(join(runtimeStateRoot(runtimeRoot, choice.name), id));
    return true;
  } catch {
    return false;
  }
}

/** Forgets a container in the runtime's state; a container it never knew is fine. */
export async function deleteContainer(choice: RuntimeRef, runtimeRoot: string, id: string): Promise<void> {
  await exec(choice.path, [...globalArgs(choice, runtimeRoot), 'delete', '--force', id]);
}

interface ProbeCache {
  choice: RuntimeChoice;
}

/**
 * Picks the OCI runtime: the one named (by --runtime or config), else the first
 * of crun, runc that is installed and can start a container here. crun 1.8
 * refuses hosts in cgroup hybrid mode; that is found by running a tiny
 * container once per boot (cached in the run root), not guessed.
 *
 * `probe(name, path)` runs a trivial container with that runtime and returns
 * an error message or undefined; the engine supplies it (it knows how to run
 * inside the user namespace).
 */
export async function chooseRuntime(
  requested: string | undefined,
  cacheFile: string,
  probe: (name: RuntimeName, path: string) => Promise<string | undefined>,
): Promise<RuntimeChoice> {
  if (requested) {
    if (requested.includes('/')) {
      await checkExecutable(requested);
      // A path need not be named after its runtime (a copy of runc elsewhere): its --version tells.
      const version = await runtimeVersion(requested);
      return { name: runtimeNamed(version, requested), path: requested, version, notes: [] };
    }
    const name = runtimeNamed(requested, requested);
    const path = await which(requested);
    if (!path) throw new SkiffError('ENORUNTIME', `the OCI runtime "${requested}" was not found`, { hint: 'install crun or runc, or pass --runtime with a path' });
    return { name, path, version: await runtimeVersion(path), notes: [] };
  }
  const cached = await readJsonIfExists<ProbeCache>(cacheFile);
  if (cached) return cached.choice;

  const notes: string[] = [];
  for (const name of RUNTIME_PREFERENCE) {
    const path = await which(name);
    if (!path) {
      notes.push(`${name}: not installed`);
      continue;
    }
    const failure = await probe(name, path);
    if (failure) {
      notes.push(`${name}: cannot run containers on this host (${failure}); using the next runtime`);
      continue;
    }
    const choice: RuntimeChoice = { name, path, version: await runtimeVersion(path), notes };
    await writeJsonAtomic(cacheFile, { choice } satisfies ProbeCache);
    return choice;
  }
  throw new SkiffError('ENORUNTIME', `no usable OCI runtime: ${notes.join('; ')}`, { hint: 'install crun or runc (apt-get install crun runc)' });
}

/** Throws ENORUNTIME, in podman's words, unless `path` is an executable regular file. */
async function checkExecutable(path: string): Promise<void> {
  const refuse = (why: string) => new SkiffError('ENORUNTIME', `no valid executable found for OCI runtime ${path}: ${why}`, {
    hint: 'pass --runtime the path of an installed crun or runc, or its name',
  });
  let stat;
  try {
    stat = await fsp.stat(path);
    await fsp.access(path, fsConstants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw refuse('no such file or directory');
    if (code === 'EACCES') throw refuse('permission denied');
    throw refuse((err as Error).message);
  }
  if (!stat.isFile()) throw refuse('not a regular file');
}

/** Which runtime `text` (a name, or a `--version` line such as "runc version 1.1.5") names. */
function runtimeNamed(text: string, requested: string): RuntimeName {
  const word = text.split('/').pop()!;
  if (word.includes('crun')) return 'crun';
  if (word.includes('runc')) return 'runc';
  throw new SkiffError('ENORUNTIME', `unsupported OCI runtime "${requested}": skiff drives crun and runc`);
}

async function runtimeVersion(path: string): Promise<string> {
  const { stdout } = await exec(path, ['--version']);
  return stdout.split('\n')[0] ?? '';
}

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(dir, cmd);
    try {
      await fsp.access(candidate, 1);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}
