import { promises as fsp, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkiffError } from '../../util/errors.js';
import { pathExists } from '../../util/fs.js';
import { signalExitCode } from '../../util/signals.js';
import type { EngineContext } from '../context.js';

export interface UnshareOptions {
  /** The program and its arguments; empty: the user's $SHELL, else /bin/sh. */
  argv: string[];
  /** Also join the rootless network namespace of the user networks. */
  rootlessNetns: boolean;
  /** The caller's environment, passed on with podman's additions. */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Runs a program as root of the rootless user namespace, in its mount
 * namespace (where containers' root file systems and volume mounts are),
 * as `podman unshare` does: stdio inherited, CONTAINERS_GRAPHROOT and
 * CONTAINERS_RUNROOT set, the working directory kept. Resolves to the
 * program's exit code (126/127 from nsenter when it cannot run it). Only
 * for rootless use: root has nothing to enter.
 */
export async function unshare(ctx: EngineContext, options: UnshareOptions): Promise<number> {
  if (!ctx.needsNsenter) throw new SkiffError('EUNSHARE', 'please use unshare with rootless');
  const { prefix, env } = await ctx.namespacePrefix();
  const argv = options.argv.length ? options.argv : [options.env.SHELL || '/bin/sh'];
  await checkExecutable(argv[0], options.env.PATH ?? '', options.cwd);
  const wrap = [...prefix, `--wd=${options.cwd}`];
  if (options.rootlessNetns) {
    const netns = join(ctx.layout.networksRunDir, 'rootless-netns');
    // podman creates it on demand; skiff's exists while a container is on a user network.
    if (!(await pathExists(netns))) {
      throw new SkiffError('ENONETNS', 'the rootless network namespace does not exist: no container is on a user network', { hint: 'start a container with --network NAME first' });
    }
    wrap.push(`--net=${netns}`);
  }
  const { spawn } = await import('node:child_process');
  const child = spawn(wrap[0], [...wrap.slice(1), ...argv], {
    stdio: 'inherit',
    env: {
      ...options.env,
      ...env,
      CONTAINERS_GRAPHROOT: ctx.global.root,
      CONTAINERS_RUNROOT: ctx.global.runroot,
      _CONTAINERS_USERNS_CONFIGURED: 'done',
      _CONTAINERS_ROOTLESS_UID: String(process.getuid!()),
      _CONTAINERS_ROOTLESS_GID: String(process.getgid!()),
    },
  });
  // The program owns the terminal: a ^C is its business, not ours.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      process.off('SIGINT', ignore);
      reject(new SkiffError('EUNSHARE', `cannot enter the user namespace: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? signalExitCode(signal!));
    });
  });
}

/** podman's errors (exit 127 / 126) for a program that is not there or cannot run, before entering the namespace. */
async function checkExecutable(program: string, path: string, cwd: string): Promise<void> {
  const candidates = program.includes('/') ? [resolve(cwd, program)] : path.split(':').filter(Boolean).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    const st = await fsp.stat(candidate).catch(() => undefined);
    if (!st) continue;
    if (st.isFile() && (await fsp.access(candidate, constants.X_OK).then(() => true, () => false))) return;
    if (program.includes('/')) throw new SkiffError('ENOEXEC', `fork/exec ${program}: permission denied`);
  }
  if (program.includes('/')) throw new SkiffError('ENOTFOUND', `fork/exec ${program}: no such file or directory`);
  throw new SkiffError('ENOTFOUND', `exec: "${program}": executable file not found in $PATH`);
}
