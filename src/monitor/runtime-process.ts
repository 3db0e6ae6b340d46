/**
 * The OCI runtime's side of one container run, as the monitor drives it:
 * the `run` command line, the pid file that tells the container has
 * started, why a start failed (podman's messages and exit codes), and
 * signals through the runtime's `kill`.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { killContainer, runArgs, runtimeLogError, startFailureExitCode } from '../runtime/driver.js';
import { sleep } from '../util/fs.js';
import type { MonitorConfig } from './protocol.js';

/** A start that failed: podman's message and exit code (125, or 126/127 when the command could not be run). */
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
   * The command that creates and starts the container in the foreground.
   * Removes the pid file and runtime log of an earlier run first, so that
   * `waitForPid` and `startFailure` read only this run's.
   */
  async command(): Promise<{ path: string; args: string[] }> {
    const c = this.config;
    await fsp.rm(this.logFile, { force: true });
    await fsp.rm(this.pidFile, { force: true });
    const args = runArgs({ ...c.runtime, version: '', notes: [] }, this.runtimeRoot, { id: c.id, bundle: c.bundle, pidFile: this.pidFile, logFile: this.logFile });
    return { path: c.runtime.path, args };
  }

  /**
   * The container's init pid once the runtime has written it; undefined
   * when the runtime (whose exit `exited` resolves on) ended without
   * starting the container.
   */
  async waitForPid(exited: Promise<number>): Promise<number | undefined> {
    const pid = await Promise.race([waitForPidFile(this.pidFile), exited.then(() => undefined)]);
    // A container that exits at once can beat the pid file poll; the runtime wrote it all the same.
    return pid ?? readPidFile(this.pidFile);
  }

  /**
   * Why the runtime, which has exited, did not start the container, as the
   * error in its log says; undefined when the log names none. Only a failure
   * to start leaves an error in the runtime's log.
   */
  async startFailure(): Promise<StartFailure | undefined> {
    const failure = await runtimeLogError(this.logFile);
    if (!failure) return undefined;
    const exitCode = startFailureExitCode(failure);
    return { message: startFailureMessage(this.config.runtime.name, failure, exitCode), exitCode };
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

async function waitForPidFile(path: string): Promise<number> {
  for (;;) {
    try {
      const text = await fsp.readFile(path, 'utf8');
      const pid = Number(text.trim());
      if (pid > 0) return pid;
    } catch {
      // not there yet
    }
    await sleep(3);
  }
}
