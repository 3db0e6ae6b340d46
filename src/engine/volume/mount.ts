import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { volumeStore } from './volumes.js';

/**
 * Makes a volume's data available and returns its host path (Mountpoint).
 * A plain volume is just its `_data` directory. A volume made with
 * `-o type=` (tmpfs, none with o=bind, ...) is mounted on `_data` in the
 * user namespace's mount namespace when its first user comes, as podman
 * mounts it when a container starts; every call adds one to MountCount.
 * Takes the volumes lock; pair each call with unmountVolume.
 */
export async function mountVolume(ctx: EngineContext, name: string): Promise<string> {
  const store = volumeStore(ctx);
  return store.withLock(async () => {
    const record = await store.get(name);
    const path = store.dataDir(name);
    const type = record.options.type;
    if (type === undefined) return path;
    // A count left by a namespace that is gone (reboot, system migrate) mounts nothing.
    const mounted = (record.mountCount ?? 0) > 0 && (await ctx.execInNamespace(['mountpoint', '-q', path])).exitCode === 0;
    if (!mounted) {
      let options = record.options.o ?? '';
      // type=bind (or none with o=bind) is a bind mount: mount(8) takes it as -o bind, without a type.
      const bind = type === 'bind' || type === 'none';
      if (type === 'bind' && !/(^|,)r?bind(,|$)/.test(options)) options = options ? `bind,${options}` : 'bind';
      const argv = ['mount', ...(bind ? [] : ['-t', type]), ...(options ? ['-o', options] : []), record.options.device ?? type, path];
      const result = await ctx.execInNamespace(argv);
      if (result.exitCode !== 0) {
        throw new SkiffError('EVOLUMEMOUNT', `mounting volume ${name}: ${result.stderr.trim() || `mount exited ${result.exitCode}`}`);
      }
    }
    await store.updateLocked({ ...record, mountCount: (mounted ? record.mountCount ?? 0 : 0) + 1 });
    return path;
  });
}

/**
 * Drops one user of a volume's mount (see mountVolume); the last one
 * unmounts it. A plain volume, or one not mounted, is left as it is.
 * Takes the volumes lock.
 */
export async function unmountVolume(ctx: EngineContext, name: string): Promise<void> {
  const store = volumeStore(ctx);
  await store.withLock(async () => {
    const record = await store.get(name);
    const count = record.mountCount ?? 0;
    if (record.options.type === undefined || count === 0) return;
    if (count === 1) {
      const result = await ctx.execInNamespace(['umount', store.dataDir(name)]);
      if (result.exitCode !== 0 && !/not mounted/.test(result.stderr)) {
        throw new SkiffError('EVOLUMEMOUNT', `unmounting volume ${name}: ${result.stderr.trim()}`);
      }
    }
    await store.updateLocked({ ...record, mountCount: count - 1 });
  });
}
