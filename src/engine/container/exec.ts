import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PTY_HOLDER_SCRIPT } from '../../config/entry-points.js';
import type { Process, Spec } from '../../oci/runtime-spec.js';
import { execArgs, execFailureMessage, runtimeLogError, startFailureExitCode, type RuntimeName } from '../../runtime/driver.js';
import { ALL_CAPABILITIES } from '../../runtime/spec/generate.js';
import type { ContainerSpec } from '../../runtime/spec/container-spec.js';
import { ContainerStore } from '../../store/containers.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { processStartTime, readJsonIfExists, writeJsonAtomic } from '../../util/fs.js';
import { nodeChildEnv } from '../../util/exec.js';
import { newId } from '../../util/ids.js';
import { signalExitCode } from '../../util/signals.js';
import type { EngineContext } from '../context.js';
import { ContainerStartError, ContainerStateError, NoSuchContainerError } from '../errors.js';
import { resolveImage } from '../image/images.js';
import { mergeEnv, readEnvFiles, resolveUser } from './create.js';
import { pruneExecSessions } from './exec-sessions.js';
import { listContainers, resolveContainer, type ContainerInfo } from './record.js';
import type { AttachStreams } from './start.js';

export interface ContainerExecOptions {
  /** Name or id; unused with `latest`. */
  container?: string;
  /** The most recently created container (podman's -l). */
  latest?: boolean;
  command: string[];
  /** -e entries (KEY=VALUE, or KEY to take it from the caller's environment). */
  env: string[];
  envFiles: string[];
  workdir?: string;
  /** USER[:GROUP], names resolved against the container's image. */
  user?: string;
  /** Every capability, as podman's --privileged for exec. */
  privileged: boolean;
  tty: boolean;
  interactive: boolean;
  /** Return once the process has started; it keeps running on its own. */
  detach: boolean;
  /** The initial terminal size for -t. */
  consoleSize?: { rows: number; cols: number };
}

export interface ContainerExecReport {
  execId: string;
  /** The process's exit code (128+N for signal N); undefined when detached. */
  exitCode?: number;
  /** The user typed the detach keys (`streams.detach`): the process runs on without this CLI. */
  detached?: boolean;
}

/** What the exec'd process changes relative to the container's own process. */
export interface ExecProcessChanges {
  command: string[];
  env: string[];
  workdir?: string;
  user?: ContainerSpec['user'];
  privileged: boolean;
  tty: boolean;
  consoleSize?: { rows: number; cols: number };
}

/**
 * The OCI process of an exec session, derived from the container's own
 * (`base`, from its bundle): same environment, user, capabilities, working
 * directory and limits unless `changes` says otherwise. Pure.
 */
export function execProcess(base: Process, changes: ExecProcessChanges): Process {
  const process: Process = {
    ...base,
    terminal: changes.tty,
    args: [...changes.command],
    env: mergeEnv(base.env ?? [], changes.env, {}),
    cwd: changes.workdir ?? base.cwd,
    user: changes.user ? { uid: changes.user.uid, gid: changes.user.gid, additionalGids: [...changes.user.additionalGids] } : base.user,
  };
  delete process.consoleSize;
  if (changes.tty) {
    if (changes.consoleSize) process.consoleSize = { height: changes.consoleSize.rows, width: changes.consoleSize.cols };
    if (!process.env!.some((e) => e.startsWith('TERM='))) process.env!.push('TERM=xterm');
  }
  if (changes.privileged) {
    const all = [...ALL_CAPABILITIES];
    process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  return process;
}

/**
 * Runs a command in a running container, as `runc exec`/`crun exec` with a
 * process built by `execProcess`, through the user namespace (the runtime's
 * state belongs to its root). In the foreground the process is wired to
 * `streams` (a pty for -t, whose size follows `streams.onResize`) and the
 * report carries its exit code; with `detach` it returns once the process
 * runs, and the process outlives this one. With -t, typing the detach keys
 * (`streams.detach`) leaves the process running as -d -t does: its terminal
 * is handed to a detached holder (monitor/exec-pty-holder.ts) that drains
 * its output until it exits.
 *
 * The session is recorded (exec/<id>/session.json, through the store) while
 * it runs, for inspect's ExecIDs, and removed when it ends here; a session
 * whose process is gone is ignored by readers and pruned by the next exec.
 * No container lock is held: a container that stops meanwhile ends the
 * session as it ends its processes.
 *
 * Throws ContainerStateError (not running), NoSuchContainerError,
 * InvalidArgumentError (bad -e/--env-file/-u), ContainerStartError with
 * 126/127/125 when the runtime could not run the command (always 125 with
 * `detach`, as podman).
 */
export async function execInContainer(ctx: EngineContext, options: ContainerExecOptions, streams?: AttachStreams): Promise<ContainerExecReport> {
  const info = await findContainer(ctx, options);
  if (options.command.length === 0) throw new InvalidArgumentError('must provide a non-empty command to start an exec session');
  if (info.state.status !== 'running') {
    throw new ContainerStateError('can only create exec sessions on running containers: container state improper');
  }
  const { record } = info;
  // runc joins the container's own user namespace before a network namespace that
  // skiff's namespace owns (another container's, ns:PATH): the kernel refuses that.
  if (record.spec.idMappings && (record.spec.network.mode === 'container' || record.spec.network.mode === 'ns')) {
    throw new ContainerStateError(`exec into a container with a user namespace of its own (--userns=keep-id, --uidmap) that joined another network namespace (--network ${record.networkMode}) is not supported`);
  }
  const env = [...readEnvFiles(options.envFiles), ...options.env];
  for (const entry of env) {
    if (entry.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable "${entry}"`);
  }
  const spec = await readJsonIfExists<Spec>(join(ctx.layout.containerBundle(record.id), 'config.json'));
  if (!spec?.process) throw new SkiffError('ENOBUNDLE', `container ${record.id} has no runtime spec`);
  const user = options.user === undefined ? undefined : await userInImage(ctx, record.image.id, options.user);
  const process = execProcess(spec.process, {
    command: options.command,
    env: mergeEnv([], env),
    workdir: options.workdir,
    user,
    privileged: options.privileged,
    tty: options.tty,
    consoleSize: options.consoleSize,
  });

  await pruneExecSessions(ctx, record.id);
  const store = new ContainerStore(ctx.layout);
  const execId = newId();
  const dir = await store.createExecSessionDir(record.id, execId);
  // A session whose process runs on after this CLI (-d, or detached from) keeps its record;
  // readers ignore it and the next exec prunes it once its process is gone.
  let keepSession = options.detach;
  const files = { processFile: join(dir, 'process.json'), pidFile: join(dir, 'pid'), logFile: join(dir, 'runtime.log') };
  try {
    await writeJsonAtomic(files.processFile, process, 0o600);
    const { prefix, env: nsEnv } = await ctx.namespacePrefix();
    const argv = [...prefix, record.runtime.path, ...execArgs(record.runtime, ctx.layout.runtimeRoot, { id: record.id, ...files, detach: options.detach && !options.tty })];
    const session = { id: execId, command: options.command, detached: options.detach };
    const childEnv = { ...globalThis.process.env, ...nsEnv };
    // Until the process runs, everything the runtime prints is its own error text: held back, so
    // a failed exec is one `Error:` line.
    const started = () => commandStarted(files.pidFile, record.runtime.name);
    const failed = async () => {
      const failure = await runtimeLogError(files.logFile);
      if (!failure) return undefined;
      const exitCode = startFailureExitCode(failure);
      return new ContainerStartError(execFailureMessage(record.runtime.name, failure, exitCode), exitCode);
    };

    if (options.detach && options.tty) {
      // runc cannot give a detached process a terminal without a console socket: run it on
      // a pty as in the foreground, and hand that pty over once the command runs.
      const running = await runOnPty(argv, childEnv, { stdout: discard(), stderr: discard() }, { ...options, interactive: false }, started);
      const ran = await Promise.race([running.exited, waitFor(started, running.exited)]);
      if (ran !== true) {
        const error = (await failed()) ?? heldFailure(record.runtime.name, running.held.pending(), ran);
        running.held.discard();
        if (error) throw detachedFailure(error);
        // No error from the runtime: the command ran, and was done before we looked.
        await store.removeExecSession(record.id, execId);
        return { execId };
      }
      running.handOff(execId);
      const startTime = processStartTime(running.pid);
      if (startTime === undefined) await store.removeExecSession(record.id, execId);
      else await store.writeExecSession(record.id, { ...session, pid: running.pid, pidStartTime: startTime });
      return { execId };
    }

    if (options.detach) {
      // Its own session: the process must not get the terminal's hang-up when this CLI's shell goes.
      const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true, env: childEnv });
      const code = await childExit(child);
      const error = await failed();
      if (error) throw detachedFailure(error);
      if (code !== 0) throw new ContainerStartError(`${record.runtime.name} exec failed with exit code ${code}`, 125);
      const pid = Number((await fsp.readFile(files.pidFile, 'utf8')).trim());
      const startTime = processStartTime(pid);
      if (startTime === undefined) await store.removeExecSession(record.id, execId);
      else await store.writeExecSession(record.id, { ...session, pid, pidStartTime: startTime });
      return { execId };
    }

    const out = streams ?? { stdout: globalThis.process.stdout, stderr: globalThis.process.stderr };
    const running = options.tty
      ? await runOnPty(argv, childEnv, out, options, started)
      : runOnPipes(argv, childEnv, out, options, started);
    await store.writeExecSession(record.id, { ...session, pid: running.pid, pidStartTime: processStartTime(running.pid) ?? 0 });
    const code = await Promise.race([running.exited, running.detached]);
    if (code === 'detached') {
      running.held.flush();
      running.handOff(execId);
      keepSession = true;
      return { execId, detached: true };
    }
    // Under load runc's log may not hold its error yet when it has exited; the
    // text it printed before the command ever ran says the same.
    const error = (await failed()) ?? heldFailure(record.runtime.name, running.held.pending(), code);
    if (error) {
      running.held.discard();
      throw error;
    }
    running.held.flush();
    return { execId, exitCode: code };
  } catch (err) {
    await store.removeExecSession(record.id, execId);
    throw err;
  } finally {
    if (!keepSession) await store.removeExecSession(record.id, execId);
    else await fsp.rm(files.processFile, { force: true });
  }
}

async function findContainer(ctx: EngineContext, options: ContainerExecOptions): Promise<ContainerInfo> {
  if (!options.latest) return resolveContainer(ctx, options.container ?? '');
  const [latest] = await listContainers(ctx, { all: true, latest: true });
  if (!latest) throw new NoSuchContainerError('latest');
  return latest;
}

async function userInImage(ctx: EngineContext, imageId: string, user: string): Promise<ContainerSpec['user']> {
  const image = await resolveImage(ctx, imageId);
  return resolveUser(user, image.record.layers.map((l) => ctx.layout.layerDiff(l)));
}

/**
 * podman's code for a detached session that could not start is 125 even when
 * the command was not found or not executable (its exec -d path does not map
 * the runtime's error to 126/127); the message stays the same.
 */
function detachedFailure(error: ContainerStartError): ContainerStartError {
  return new ContainerStartError(error.message, 125);
}

/** The runtime's own failure, from the last line it printed before the command started (exit code non-zero). */
function heldFailure(runtime: RuntimeName, text: string, code: number): ContainerStartError | undefined {
  const line = text.trim().split('\n').pop()?.trim();
  if (code === 0 || !line || !/exec failed|unable to start container process/.test(line)) return undefined;
  const exitCode = startFailureExitCode(line);
  return new ContainerStartError(execFailureMessage(runtime, line, exitCode), exitCode);
}

/** A running foreground session: its runtime's pid, exit code, and the output held until it started. */
interface RunningExec {
  pid: number;
  exited: Promise<number>;
  held: HeldOutput;
  /** Resolves when the user typed the detach keys (-it only); never otherwise. */
  detached: Promise<'detached'>;
  /** -t only: gives the pty to a detached holder (named by the session's id) and stops using it here; the process runs on. */
  handOff(execId: string): void;
}

/**
 * Without -t: the process gets this process's stdin (-i) and stdout as they
 * are, so input streams to EOF with no copy; stderr passes through here, held
 * until the process started. The runtime runs in its own session and gets
 * the signals this process receives (it passes them on to the process).
 */
function runOnPipes(argv: string[], env: NodeJS.ProcessEnv, streams: AttachStreams, options: ContainerExecOptions, started: () => boolean): RunningExec {
  const stdin = options.interactive && streams.stdin ? fdOr(streams.stdin, 'pipe') : 'ignore';
  const child = spawn(argv[0], argv.slice(1), { stdio: [stdin, fdOr(streams.stdout, 'pipe'), 'pipe'], detached: true, env });
  if (stdin === 'pipe') streams.stdin!.pipe(child.stdin!);
  child.stdin?.on('error', () => undefined); // the process may close its stdin early
  child.stdout?.pipe(streams.stdout, { end: false });
  const held = new HeldOutput(streams.stderr, started);
  child.stderr!.on('data', (d: Buffer) => held.write(d));
  streams.onSignal?.((signal) => {
    try {
      child.kill(`SIG${signal}` as NodeJS.Signals);
    } catch {
      // gone already
    }
  });
  return { pid: child.pid ?? 0, exited: childExit(child), held, detached: new Promise(() => undefined), handOff: () => undefined };
}

/** With -t: the runtime on a new pty (node-pty) whose size follows the caller's terminal. */
async function runOnPty(argv: string[], env: NodeJS.ProcessEnv, streams: AttachStreams, options: ContainerExecOptions, started: () => boolean): Promise<RunningExec> {
  // node-pty is native and heavy: only exec -t loads it.
  const pty = (await import('node-pty')).default;
  const size = options.consoleSize ?? { rows: 24, cols: 80 };
  const term = pty.spawn(argv[0], argv.slice(1), {
    name: 'xterm',
    rows: size.rows,
    cols: size.cols,
    cwd: '/',
    env: env as Record<string, string>,
    encoding: null,
  } as Parameters<typeof pty.spawn>[2]);
  const held = new HeldOutput(streams.stdout, started);
  let handedOff = false;
  term.onData((d) => {
    if (!handedOff) held.write(Buffer.isBuffer(d) ? d : Buffer.from(d));
  });
  let detach: (value: 'detached') => void = () => undefined;
  const detached = new Promise<'detached'>((resolve) => { detach = resolve; });
  if (options.interactive && streams.stdin) {
    const stdin = streams.stdin;
    let lastByte = 0x0a;
    stdin.on('data', (d: Buffer) => {
      if (handedOff) return;
      const { pass, detached: typed } = streams.detach ? streams.detach.feed(d) : { pass: d, detached: false };
      if (pass.length) {
        lastByte = pass[pass.length - 1]!;
        term.write(pass as unknown as string);
      }
      if (typed) {
        stdin.pause();
        detach('detached');
      }
    });
    // A terminal has no EOF of its own: type what a user would, ^D (twice after an unfinished line).
    stdin.on('end', () => {
      if (!handedOff) term.write(lastByte === 0x0a || lastByte === 0x0d ? '\x04' : '\x04\x04');
    });
  }
  streams.onResize?.(({ rows, cols }) => term.resize(cols, rows));
  const exited = new Promise<number>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      // node-pty reports the exit before the last output is read: give it a tick.
      setTimeout(() => resolve(signal ? signalExitCode(signal) : exitCode), 20);
    });
  });
  const handOff = (execId: string) => {
    handedOff = true;
    // The master fd of node-pty's terminal; `fd` is not in its typings.
    const master = (term as unknown as { fd: number }).fd;
    const holder = spawn(globalThis.process.execPath, ['--', PTY_HOLDER_SCRIPT, execId], { stdio: [master, 'ignore', 'ignore'], detached: true, cwd: '/', env: nodeChildEnv() });
    holder.unref();
    // Stop reading here: from now on the holder drains the terminal.
    term.pause();
  };
  return { pid: term.pid, exited, held, detached, handOff };
}


/** Resolves true once `done()` holds; stops looking when `until` settles. */
function waitFor(done: () => boolean, until: Promise<unknown>): Promise<true> {
  return new Promise((resolve) => {
    let over = false;
    void until.finally(() => { over = true; });
    const look = () => {
      if (over) return;
      if (done()) resolve(true);
      else setTimeout(look, 10);
    };
    look();
  });
}

/** A sink for the output of a session nobody watches. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

/**
 * Output passed on once `started()` says the process runs, and held before:
 * `flush` or `discard` it when the runtime has exited.
 */
class HeldOutput {
  private held: Buffer[] | undefined = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly target: Writable, private readonly started: () => boolean) {}

  write(data: Buffer): void {
    if (!this.held) {
      this.target.write(data);
      return;
    }
    this.held.push(data);
    if (this.started()) this.flush();
    // The process may print and then go quiet before the pid file appears.
    else this.timer ??= setInterval(() => { if (this.started()) this.flush(); }, 10);
  }

  /** What is still held back: output of a runtime whose command never started. */
  pending(): string {
    return Buffer.concat(this.held ?? []).toString('utf8');
  }

  flush(): void {
    this.stopTimer();
    const held = this.held;
    this.held = undefined;
    for (const data of held ?? []) this.target.write(data);
  }

  discard(): void {
    this.stopTimer();
    this.held = undefined;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Whether the exec'd command runs: the runtime has written the pid file and
 * that process has executed the command. runc writes the pid file before its
 * init (`runc:[2:INIT]`) calls execve, which may still fail; crun's child is
 * named crun until then.
 */
function commandStarted(pidFile: string, runtime: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0)) return false;
    return !readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(runtime);
  } catch {
    return false;
  }
}

function fdOr(stream: unknown, fallback: 'pipe'): number | 'pipe' {
  const fd = (stream as { fd?: unknown }).fd;
  return typeof fd === 'number' ? fd : fallback;
}

/** The child's exit code once its pipes are drained (128+N for signal N; 125 when it could not be spawned). */
function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('error', () => resolve(125));
    child.once('close', (code, signal) => resolve(code ?? signalExitCode(signal!)));
  });
}
