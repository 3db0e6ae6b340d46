/**
 * Containers that share another container's network namespace
 * (--network container:NAME): the lookup at create, joining at start, and
 * the dependency that keeps `rm` from removing the one that is shared.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../oci/runtime-spec.js';
import { joinedHostsLine, removeJoinedHostsLine } from '../../network/etc-files.js';
import { SkiffError } from '../../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import type { ContainerRecord } from './record.js';
import { listContainers, loadContainer, resolveContainer, type ContainerInfo } from './record.js';

/** A container some others depend on is not removed before them (podman's ErrCtrExists). */
export class DependentContainersError extends SkiffError {
  constructor(id: string, dependents: string[]) {
    super('EDEPENDENT', `container ${id} has dependent containers which must be removed before it: ${dependents.join(',')}: container already exists`, {
      hint: 'remove those containers first',
    });
  }
}

/**
 * The container whose network namespace `nameOrId` names, for create; with
 * podman's message when there is none. It need not be running yet.
 */
export async function lookupNetworkContainer(ctx: EngineContext, nameOrId: string): Promise<ContainerInfo> {
  try {
    return await resolveContainer(ctx, nameOrId);
  } catch (err) {
    if (err instanceof NoSuchContainerError) {
      throw new SkiffError('ENOCONTAINER', `looking up container to share net namespace with: ${err.message}`);
    }
    throw err;
  }
}

/** Ids of the containers that join `id`'s network namespace. Needs no lock. */
export async function networkDependents(ctx: EngineContext, id: string): Promise<string[]> {
  const all = await listContainers(ctx, { all: true });
  return all.filter((c) => c.record.spec.network.mode === 'container' && c.record.spec.network.id === id).map((c) => c.record.id);
}

/** Throws DependentContainersError when containers join `id`'s network namespace (podman's check at rm). */
export async function checkNoNetworkDependents(ctx: EngineContext, id: string): Promise<void> {
  const dependents = await networkDependents(ctx, id);
  if (dependents.length) throw new DependentContainersError(id, dependents);
}

/**
 * Before `record` (network mode container:) starts: starts the container it
 * depends on when that one is not running (podman starts dependencies too),
 * then points the bundle's network namespace at that container's. Called
 * with `record`'s lock held; takes the other container's lock to start it.
 */
export async function joinNetworkContainer(
  ctx: EngineContext,
  record: ContainerRecord,
  start: (id: string) => Promise<unknown>,
): Promise<void> {
  const network = record.spec.network;
  if (network.mode !== 'container') return;
  let dep = await loadContainer(ctx, network.id);
  if (!dep) throw new SkiffError('ENOCONTAINER', `the container ${network.id} whose network namespace ${record.name} joins no longer exists`);
  if (dep.state.status !== 'running') {
    await start(network.id);
    dep = await loadContainer(ctx, network.id);
  }
  if (network.host) return;
  const pid = dep?.state.status === 'running' ? dep.state.pid : undefined;
  if (!dep || !pid) throw new SkiffError('ESTATE', `cannot join the network namespace of container ${network.id}: it is not running: container state improper`);
  // Its netns file while it lives (slirp4netns), or its init's namespace: a path that is right for this start only.
  const path = dep.record.spec.netnsPath ?? `/proc/${pid}/ns/net`;
  const file = join(ctx.layout.containerBundle(record.id), 'config.json');
  const spec = await readJsonIfExists<Spec>(file);
  const ns = spec?.linux?.namespaces?.find((n) => n.type === 'network');
  if (!spec || !ns) throw new SkiffError('EBUNDLE', `the runtime bundle of container ${record.id} is missing or has no network namespace`);
  ns.path = path;
  await writeJsonAtomic(file, spec, 0o600);
}

/**
 * Adds the joining container's names on 127.0.0.1 to the hosts file it
 * shares with the container it joins, as podman does (in place: the file is
 * bind-mounted into running containers, a new inode would not be seen).
 */
export async function addJoinedHostsEntry(hostsPath: string, hostname: string, name: string): Promise<void> {
  const current = await fsp.readFile(hostsPath, 'utf8').catch(() => undefined);
  if (current === undefined) return;
  const line = joinedHostsLine(current, hostname, name);
  if (line) await fsp.appendFile(hostsPath, line);
}

/** Takes the joining container's entry out of the shared hosts file again (at its removal). */
export async function removeJoinedHostsEntry(record: ContainerRecord): Promise<void> {
  const hosts = record.spec.etcFiles.hosts;
  if (record.spec.network.mode !== 'container' || !hosts) return;
  const current = await fsp.readFile(hosts, 'utf8').catch(() => undefined);
  if (current === undefined) return;
  const next = removeJoinedHostsLine(current, record.spec.hostname, record.name);
  // Truncate and write, not rename: the same inode stays bind-mounted.
  if (next !== current) await fsp.writeFile(hosts, next);
}

/**
 * `ids` reordered so that a container comes after every container that
 * joins its network namespace (rm --all removes them in this order).
 */
export async function orderForRemoval(ctx: EngineContext, ids: string[]): Promise<string[]> {
  const joins = new Map<string, string>();
  for (const c of await listContainers(ctx, { all: true })) {
    if (c.record.spec.network.mode === 'container') joins.set(c.record.id, c.record.spec.network.id);
  }
  // Depth: how many containers join this one's namespace in a chain; the deepest go last.
  const depth = (id: string): number => {
    let d = 0;
    for (const [joiner, joined] of joins) if (joined === id) d = Math.max(d, 1 + depth(joiner));
    return d;
  };
  return ids.map((id, i) => ({ id, i, d: depth(id) })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.id);
}
