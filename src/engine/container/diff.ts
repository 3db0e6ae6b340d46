import { promises as fsp, readFileSync } from 'node:fs';
import type { MonitorConfig } from '../../monitor/protocol.js';
import type { Change, ChangesTop } from '../../store/changes.js';
import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError, NoSuchImageError } from '../errors.js';
import { resolveContainer } from './record.js';

export interface DiffOptions {
  /** A container, or else an image, by name or id. */
  target: string;
}

export interface DiffReport {
  changes: Change[];
}

/**
 * Mount points the runtime creates in every container's root filesystem:
 * not the container's own changes (podman's initInodes in libpod/diff.go).
 */
export const RUNTIME_MOUNT_POINTS: ReadonlySet<string> = new Set([
  '/dev', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/run', '/run/.containerenv', '/run/secrets', '/sys', '/etc/mtab',
]);

/**
 * `skiff diff`: the changes of a container against its image, or of an
 * image's top layer against the layers below it (podman's semantics: a
 * container is tried first, then an image). A container that never started
 * has no changes. Runs as root of the user namespace, so every directory
 * can be read; takes no lock (a running container's files are read as they
 * are at the moment, never followed).
 */
export async function diff(ctx: EngineContext, options: DiffOptions): Promise<DiffReport> {
  const { containerChanges } = await import('../../store/changes.js');
  const container = await containerStorage(ctx, options.target);
  if (container) {
    const top = await containerTop(container);
    const changes = top ? await containerChanges(container.lowerDirs, top) : [];
    return { changes: changes.filter((c) => !RUNTIME_MOUNT_POINTS.has(c.path)) };
  }
  const { resolveImage } = await import('../image/images.js');
  let image;
  try {
    image = await resolveImage(ctx, options.target);
  } catch (err) {
    if (err instanceof NoSuchImageError) throw new SkiffError('ENOTFOUND', `${options.target} not found: layer not known`);
    throw err;
  }
  const dirs = image.record.layers.map((id) => ctx.layout.layerDiff(id));
  const upper = dirs.pop()!;
  return { changes: await containerChanges(dirs, { kind: 'overlay', dir: upper }) };
}

/** A container's storage as create recorded it, or undefined when there is no such container. */
export async function containerStorage(ctx: EngineContext, nameOrId: string): Promise<MonitorConfig['storage'] | undefined> {
  let id: string;
  try {
    id = (await resolveContainer(ctx, nameOrId)).record.id;
  } catch (err) {
    if (err instanceof NoSuchContainerError) return undefined;
    throw err;
  }
  try {
    return (JSON.parse(readFileSync(ctx.layout.containerMonitorConfig(id), 'utf8')) as MonitorConfig).storage;
  } catch (err) {
    throw new SkiffError('ECORRUPT', `container ${id.slice(0, 12)} has no storage configuration: ${(err as Error).message}`, { cause: err });
  }
}

/** What holds a container's changes: the overlay upper dir, or the completed vfs copy; undefined before its first start. */
export async function containerTop(storage: MonitorConfig['storage']): Promise<ChangesTop | undefined> {
  const exists = (path: string) => fsp.access(path).then(() => true, () => false);
  if (storage.driver === 'overlay') {
    return (await exists(storage.upperDir)) ? { kind: 'overlay', dir: storage.upperDir, ...(storage.mountProgram ? { fuse: true } : {}) } : undefined;
  }
  return (await exists(`${storage.rootfsDir}.complete`)) ? { kind: 'full', dir: storage.rootfsDir } : undefined;
}
