import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { NoSuchVolumeError, volumeStore } from './volumes.js';

/**
 * Runs GNU tar with stdio passed through (stdin for `-`, stdout for the
 * archive) and turns a failure into a SkiffError with tar's message.
 */
async function runTar(args: string[], what: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const child = spawn('tar', args, { stdio: ['inherit', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new SkiffError('ETAR', `${what}: ${stderr.trim().split('\n').pop() || `tar exited ${code}`}`);
}

/** podman's export and import look the volume up through inspect, whose message this is. */
async function lookUp(ctx: EngineContext, name: string) {
  try {
    return await volumeStore(ctx).get(name);
  } catch (err) {
    if (err instanceof NoSuchVolumeError) throw new SkiffError('ENOVOLUME', `no such volume ${name}`);
    throw err;
  }
}

/**
 * Writes a tar of a volume's data (`volume export`) to `output` (a path,
 * or `-` for this process's stdout). Owners are kept as the numeric ids
 * of the user namespace: run as root of it (the command is namespaced).
 * A `-o type=` volume other than tmpfs must be mounted, as podman says.
 */
export async function exportVolume(ctx: EngineContext, name: string, output: string): Promise<void> {
  const store = volumeStore(ctx);
  const record = await lookUp(ctx, name);
  const mountpoint = store.dataDir(name);
  const type = record.options.type;
  if (type !== undefined && type !== 'tmpfs' && (record.mountCount ?? 0) === 0) {
    throw new SkiffError('EVOLUMENOTMOUNTED', `volume is using a driver local and volume is not mounted on ${mountpoint}`);
  }
  await runTar(['--numeric-owner', '--xattrs', '-C', mountpoint, '-cf', output, '.'], `exporting volume ${name}`);
}

/**
 * Unpacks a tar (`input`: a path, or `-` for stdin) into a volume's data
 * (`volume import`), over what is there, with the archive's owners and
 * modes as ids of the user namespace: run as root of it. GNU tar drops
 * leading `/` and refuses `..` members, so nothing lands outside the volume.
 */
export async function importVolume(ctx: EngineContext, name: string, input: string): Promise<void> {
  const store = volumeStore(ctx);
  await lookUp(ctx, name);
  await runTar(['--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '-C', store.dataDir(name), '-xf', input], `importing into volume ${name}`);
}
