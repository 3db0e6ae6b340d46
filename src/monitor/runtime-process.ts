/**
 * The OCI runtime's side of one container run, as the monitor drives it:
 * the `create` command line, the pid file it leaves, `start`, why a start
 * failed (podman's messages and exit codes), signals through the runtime's
 * `kill`, and forgetting the container once it has exited (`delete`).
 * No runtime process outlives these commands.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { createArgs, deleteContainer, killContainer, runtimeHasContainer, runtimeLogError, runFailureExitCode, runtimeStderrError, startArgs, startFailureExitCode } from '../runtime/driver.js';
import { exec } from '../util/exec.js';
import type { MonitorConfig } from './protocol.js';

/** A start that failed: podman's message and run's exit code (127 when the command was not found, else 126). */
export interface StartFailure {
  message: string;
  exitCode: number;
}

/**
 * One container's runtime, for one run. The runtime's pid file and JSON
 * log lie next to the container's log file.
 */
export class RuntimeProcess {
  private readonly runtimeRoot: string;
  private readonly pidFile: string;
  private readonly logFile: string;

  constructor(private readonly config: MonitorConfig) {
    this.runtimeRoot = `${config.runRoot}/runtime`;
    this.pidFile = `${dirname(config.logFile)}/pidfile`;
    this.logFile = `${dirname(config.logFile)}/runtime.log`;
  }

  /**
   * The command that creates the container (`consoleSocket` for -t;
   * `preserveFds` passes the runtime's fds 3.. on, for run --preserve-fds).
   * Removes the pid file and runtime log of an earlier run first, so that
   * `createdPid` and `startFailure` read only this run's, and the runtime's
   * record of a run whose monitor was killed.
   */
  async createCommand(consoleSocket?: string, preserveFds?: number): Promise<{ path: string; args: string[] }> {
    const c = this.config;
    await fsp.rm(this.logFile, { force: true });
    await fsp.rm(this.pidFile, { force: true });
    if (await runtimeHasContainer(c.runtime, this.runtimeRoot, c.id)) await this.delete();
    const args = createArgs(c.runtime, this.runtimeRoot, { id: c.id, bundle: c.bundle, pidFile: this.pidFile, logFile: this.logFile, consoleSocket, preserveFds });
    return { path: c.runtime.path, args };
  }

  /** The container's init pid that a successful `create` wrote; undefined when there is none. */
  createdPid(): Promise<number | undefined> {
    return readPidFile(this.pidFile);
  }

  /** Runs `start`: the created container's init execs its command. Resolves with the runtime's exit code. */
  async start(): Promise<number> {
    const c = this.config;
    const result = await exec(c.runtime.path, startArgs(c.runtime, this.runtimeRoot, { id: c.id, logFile: this.logFile }));
    return result.exitCode;
  }

  /** Forgets the container in the runtime's state, killing its init if it is still there (delete --force). */
  delete(): Promise<void> {
    return deleteContainer(this.config.runtime, this.runtimeRoot, this.config.id);
  }

  /**
   * Why the runtime, which has exited, did not start the container, as the
   * error in its log says, else as its `stderr` says (a bad global flag is
   * refused before the log is opened); undefined when neither names one.
   * Only a failure to create or start leaves an error in the runtime's log.
   */
  async startFailure(stderr: string): Promise<StartFailure | undefined> {
    const failure = (await runtimeLogError(this.logFile)) ?? runtimeStderrError(stderr);
    if (!failure) return undefined;
    return { message: startFailureMessage(this.config.runtime.name, failure, startFailureExitCode(failure)), exitCode: runFailureExitCode(failure) };
  }

  /** Sends `signal` (a name util/signals.ts knows) to the container's init through the runtime; rejects when the runtime fails. */
  kill(signal: string): Promise<void> {
    return killContainer(this.config.runtime, this.runtimeRoot, this.config.id, signal);
  }
}

/** podman's wording, so scripts matching its errors keep working. */
function startFailureMessage(runtime: string, failure: string, exitCode: number): string {
  const text = failure.startsWith(runtime) ? failure : `${runtime}: ${failure}`;
  if (exitCode === 127) return `${text}: OCI runtime attempted to invoke a command that was not found`;
  if (exitCode === 126) return `${text}: OCI runtime permission denied error`;
  return text;
}

async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await fsp.readFile(path, 'utf8')).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
