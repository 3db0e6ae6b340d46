import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { exec, execOrThrow } from '../util/exec.js';
import { SkiffError } from '../util/errors.js';

/**
 * Creates a persistent network namespace bound to `file` (as `ip netns add`
 * does), so the runtime can join it and slirp4netns or pasta can configure
 * it before the container starts. Must run as (namespaced) root with a
 * private mount propagation, which the pause namespace provides.
 */
export async function createNetns(file: string): Promise<void> {
  await fsp.mkdir(dirname(file), { recursive: true });
  // Left bound by a monitor killed with -9: a new namespace would be mounted on top of it.
  if (await fsp.access(file).then(() => true, () => false)) await removeNetns(file);
  await fsp.writeFile(file, '', { flag: 'w' });
  try {
    // `ip link set lo up` is unnecessary: slirp4netns --configure and the
    // runtime bring lo up; a bare netns for --network none gets lo from the runtime.
    await execOrThrow('unshare', [`--net=${file}`, 'true']);
  } catch (err) {
    await fsp.rm(file, { force: true });
    throw new SkiffError('ENETNS', `cannot create a network namespace: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }
}

/**
 * Binds the network namespace of process `pid` to `file`, as createNetns
 * binds a new one: for a container in a user namespace of its own, whose
 * runtime made its network namespace (owned by that user namespace, so
 * that the runtime can later join both for exec). Same caller as createNetns.
 */
export async function adoptNetns(file: string, pid: number): Promise<void> {
  await fsp.mkdir(dirname(file), { recursive: true });
  if (await fsp.access(file).then(() => true, () => false)) await removeNetns(file);
  await fsp.writeFile(file, '', { flag: 'w' });
  try {
    await execOrThrow('mount', ['--bind', `/proc/${pid}/ns/net`, file]);
  } catch (err) {
    await fsp.rm(file, { force: true });
    throw new SkiffError('ENETNS', `cannot bind the container's network namespace: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }
}

/** Unmounts and removes a network namespace file; missing is fine, anything else throws. */
export async function removeNetns(file: string): Promise<void> {
  const result = await exec('umount', ['-l', file]);
  if (result.exitCode !== 0 && !/not mounted|no mount point specified|no such file or directory/i.test(result.stderr)) {
    throw new Error(`umount ${file}: ${result.stderr.trim()}`);
  }
  await fsp.rm(file, { force: true });
}
