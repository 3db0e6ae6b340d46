import type { ChildProcess } from 'node:child_process';
import { log } from './log.js';
import { signalExitCode } from './signals.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion and collects its output; never throws for a
 * non-zero exit (the caller decides). This small wrapper over child_process
 * replaces execa on the CLI's hot paths: importing execa costs more start-up
 * time than a whole `skiff run` may spend in Node.
 */
export function exec(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  log.debug(`Running ${[file, ...args].join(' ')}`);
  // child_process loads on first use: a command that runs no program (images, inspect) starts without it.
  return import('node:child_process').then(({ spawn }) => new Promise((resolve) => {
    const child: ChildProcess = spawn(file, args, { env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: 127, stdout, stderr: stderr || `${file}: ${err.message}` });
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: code ?? signalExitCode(signal!), stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, '') });
    });
  }));
}

/** Like exec, but throws an Error carrying the command, exit code and stderr tail on failure. */
export async function execOrThrow(file: string, args: string[], options: Parameters<typeof exec>[2] = {}): Promise<ExecResult> {
  const result = await exec(file, args, options);
  if (result.exitCode !== 0) {
    const err = new Error(`${[file, ...args].join(' ')} exited with code ${result.exitCode}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
    Object.assign(err, result);
    throw err;
  }
  return result;
}

/**
 * The environment for a skiff Node child (the re-executed CLI, a monitor):
 * ours, without NODE_EXTRA_CA_CERTS. Node 20 parses that bundle at start-up,
 * before any of our code runs: 60–100 ms per process for the usual 225 KB
 * system bundle, and memory in every monitor. skiff does not need it: the
 * registry client loads the system trust store itself, only when it opens a
 * verified TLS connection (image/registry/trust.ts).
 */
export function nodeChildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}
