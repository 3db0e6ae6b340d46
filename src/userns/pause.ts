import { promises as fsp, readFileSync, readlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execOrThrow } from '../util/exec.js';
import { SkiffError } from '../util/errors.js';
import { processAlive, processStartTime, sleep } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { idMapArgs, readSubIds } from './subid.js';

/** Set in every process skiff runs inside its user namespace. */
export const USERNS_ENV = 'SKIFF_USERNS_PID';

export interface PauseInfo {
  pid: number;
  startTime: number;
  /** false when the user had no /etc/subuid range and only their own uid is mapped. */
  fullMapping: boolean;
}

export interface EnsurePauseResult extends PauseInfo {
  /** Warnings for the user (no subuid range, ...). */
  warnings: string[];
}

/** True when this process already runs inside skiff's user namespace. */
export function insideUserNamespace(): boolean {
  return Boolean(process.env[USERNS_ENV]);
}

/**
 * Returns the pause process that holds the rootless user and mount namespace,
 * creating it when it is missing (first use, after a reboot or a kill). Holds
 * `<runRoot>/pause.lock` while creating so racing commands share one namespace.
 * Throws UnsafeDirectoryError for a run root another user owns or could write
 * to, and ignores a pause.pid naming a process that is not ours.
 */
export async function ensurePauseProcess(runRoot: string): Promise<EnsurePauseResult> {
  ensurePrivateDir(runRoot, 'run root');
  const pidFile = join(runRoot, 'pause.pid');
  const current = readPause(pidFile);
  if (current) return { ...current, warnings: [] };
  return withLock(join(runRoot, 'pause.lock'), async () => {
    const again = readPause(pidFile);
    if (again) return { ...again, warnings: [] };
    return createPause(pidFile);
  });
}

function readPause(pidFile: string): PauseInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(pidFile, 'utf8')) as PauseInfo;
    return processAlive(info.pid, info.startTime) && isOurPauseProcess(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` runs as the current user in a user namespace other than
 * ours, as skiff's pause process does: a pause.pid naming another user's
 * process, or one of ours on the host, must not be entered with nsenter.
 */
export function isOurPauseProcess(pid: number): boolean {
  try {
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (!uids || uids.slice(1).some((u) => Number(u) !== process.getuid?.())) return false;
    return readlinkSync(`/proc/${pid}/ns/user`) !== readlinkSync('/proc/self/ns/user');
  } catch {
    return false; // gone, or not ours to inspect
  }
}

async function createPause(pidFile: string): Promise<EnsurePauseResult> {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const user = userInfo().username;
  const subUids = readSubIds('/etc/subuid', user, uid);
  const subGids = readSubIds('/etc/subgid', user, uid);
  const fullMapping = subUids.length > 0 && subGids.length > 0;
  const warnings: string[] = [];

  // unshare(1) does the unshare(2) Node cannot do; `sleep infinity` then just
  // keeps the namespaces alive. Slave propagation, as podman's: our mounts stay
  // ours, and what the host mounts later (a USB disk, a tmpfs) shows up here
  // instead of the directory it covers.
  const args = ['--user', '--mount', '--propagation', 'slave'];
  if (!fullMapping) {
    args.unshift('--map-root-user');
    warnings.push(`no subuid/subgid ranges found for user "${user}" in /etc/subuid and /etc/subgid: using a single-uid mapping, images with files owned by other users will fail`);
  }
  // Loaded here: most commands find the pause process running and never spawn.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child = spawn('unshare', [...args, 'sleep', 'infinity'], { detached: true, stdio: 'ignore' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new SkiffError('EUSERNS', `cannot start the user namespace: ${err.message}`, { hint: 'install util-linux', cause: err })));
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();

  try {
    if (fullMapping) {
      await waitForUnshare(pid);
      await execOrThrow('newuidmap', [String(pid), ...idMapArgs(uid, subUids)]);
      await execOrThrow('newgidmap', [String(pid), ...idMapArgs(gid, subGids)]);
    }
  } catch (err) {
    process.kill(pid, 'SIGKILL');
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new SkiffError('EUSERNS', `cannot set up the user namespace: ${stderr || (err as Error).message}`, {
      hint: 'check /etc/subuid and /etc/subgid and that newuidmap/newgidmap (package uidmap) are installed setuid',
      cause: err,
    });
  }
  const info: PauseInfo = { pid, startTime: processStartTime(pid)!, fullMapping };
  await fsp.writeFile(pidFile, JSON.stringify(info));
  return { ...info, warnings };
}

/** newuidmap must only run once the child has left our user namespace. */
async function waitForUnshare(pid: number): Promise<void> {
  const own = await fsp.readlink('/proc/self/ns/user');
  for (let i = 0; i < 500; i++) {
    try {
      if ((await fsp.readlink(`/proc/${pid}/ns/user`)) !== own) return;
    } catch {
      throw new SkiffError('EUSERNS', 'the pause process exited while the user namespace was set up');
    }
    await sleep(2);
  }
  throw new SkiffError('EUSERNS', 'timed out waiting for the user namespace');
}

/**
 * The argv prefix that runs a command as root inside the pause namespace.
 * With a single-uid mapping our own uid already is root inside, and the
 * kernel denies setgroups there, so nsenter must keep our credentials.
 */
export function nsenterArgs(pause: PauseInfo): string[] {
  const args = ['nsenter', `--target=${pause.pid}`, '--user', '--mount'];
  if (!pause.fullMapping) args.push('--preserve-credentials');
  return args;
}
