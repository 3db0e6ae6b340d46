/**
 * Containers that share another container's network namespace
 * (--network container:NAME): the lookup at create, joining at start, and
 * the dependency that keeps `rm` from removing the one that is shared.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Spec } from '../../oci/runtime-spec.js';
import { dropJoinedHostsLine, joinedHostsLine, removeJoinedHostsLine } from '../../network/etc-files.js';
import { ContainerGoneError, ContainerStore } from '../../store/containers.js';
import { SkiffError } from '../../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import type { ContainerRecord } from './record.js';
import { containerIds, loadContainer, resolveContainer, resolveContainerId, type ContainerInfo } from './record.js';

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

/**
 * Joiner id → joined id for every container on --network container:, from
 * the containers' configs alone (rm runs this: no states, no locks).
 */
async function networkJoins(ctx: EngineContext): Promise<Map<string, string>> {
  const store = new ContainerStore(ctx.layout);
  const ids = await containerIds(ctx, { includeRemoving: true });
  const records = await Promise.all(ids.map((id) => store.readConfig<ContainerRecord>(id).catch(() => undefined)));
  const joins = new Map<string, string>();
  for (const record of records) {
    const network = record?.spec.network;
    if (record && network?.mode === 'container') joins.set(record.id, network.id);
  }
  return joins;
}

/** Ids of the containers that join `id`'s network namespace. Needs no lock. */
export async function networkDependents(ctx: EngineContext, id: string): Promise<string[]> {
  return [...(await networkJoins(ctx))].filter(([, joined]) => joined === id).map(([joiner]) => joiner);
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
  const pid = dep?.state.status === 'running' ? dep.state.pid : undefined;
  if (!dep || !pid) throw new SkiffError('ESTATE', `cannot join the network namespace of container ${network.id}: it is not running: container state improper`);
  await addJoinedHostsEntry(ctx, network.id, record);
  if (network.host) return;
  // Its netns file while it lives (slirp4netns), or its init's namespace: a path that is right for this start only.
  const path = dep.record.spec.netnsPath ?? `/proc/${pid}/ns/net`;
  const file = join(ctx.layout.containerBundle(record.id), 'config.json');
  const spec = await readJsonIfExists<Spec>(file);
  const ns = spec?.linux?.namespaces?.find((n) => n.type === 'network');
  if (!spec || !ns) throw new SkiffError('EBUNDLE', `the runtime bundle of container ${record.id} is missing or has no network namespace`);
  ns.path = path;
  await writeJsonAtomic(file, spec, 0o600);
}

/** Who added a line to a shared hosts file: the joining container's id and the names it added. */
interface JoinedEntry {
  id: string;
  hostname: string;
  name: string;
}

/** The list of lines joining containers added, kept beside the shared hosts file. */
function joinedListFile(hostsPath: string): string {
  return join(dirname(hostsPath), 'hosts-joined.json');
}

/**
 * Adds `record`'s names on 127.0.0.1 to the hosts file it shares with the
 * container it joins, as podman does at start, and drops the lines of
 * joiners that no longer exist (a --rm one its monitor removed). In place:
 * the file is bind-mounted into running containers, a new inode would not
 * be seen. Takes the joined container's lock (never the other way round).
 */
async function addJoinedHostsEntry(ctx: EngineContext, joinedId: string, record: ContainerRecord): Promise<void> {
  const hosts = record.spec.etcFiles.hosts;
  if (!hosts) return;
  await new ContainerStore(ctx.layout).withContainerLock(joinedId, async () => {
    const current = await fsp.readFile(hosts, 'utf8').catch(() => undefined);
    if (current === undefined) return;
    const listFile = joinedListFile(hosts);
    const list = (await readJsonIfExists<JoinedEntry[]>(listFile)) ?? [];
    const live = new Set(await containerIds(ctx));
    let next = current;
    for (const gone of list.filter((e) => !live.has(e.id) || e.id === record.id)) next = removeJoinedHostsLine(next, gone.hostname, gone.name);
    next += joinedHostsLine(next, record.spec.hostname, record.name);
    const kept = list.filter((e) => live.has(e.id) && e.id !== record.id);
    await writeJsonAtomic(listFile, [...kept, { id: record.id, hostname: record.spec.hostname, name: record.name }]);
    if (next === current) return;
    // Truncate and write, not rename: the same inode stays bind-mounted.
    if (next.startsWith(current)) await fsp.appendFile(hosts, next.slice(current.length));
    else await fsp.writeFile(hosts, next);
  });
}

/**
 * Takes `record`'s line out of the hosts file it shares, at its removal (its
 * monitor already does when it exits; this covers a monitor killed with -9).
 * Needs no lock held.
 */
export async function removeJoinedHostsEntry(ctx: EngineContext, record: ContainerRecord): Promise<void> {
  const hosts = record.spec.etcFiles.hosts;
  const network = record.spec.network;
  if (network.mode !== 'container' || !hosts) return;
  await new ContainerStore(ctx.layout).withContainerLock(network.id, async () => {
    const list = (await readJsonIfExists<JoinedEntry[]>(joinedListFile(hosts))) ?? [];
    if (!list.some((e) => e.id === record.id)) return;
    await dropJoinedHostsLine(hosts, record.spec.hostname, record.name);
    await writeJsonAtomic(joinedListFile(hosts), list.filter((e) => e.id !== record.id));
  }).catch((err: unknown) => {
    // The container it joined is gone already, with its hosts file.
    if (!(err instanceof ContainerGoneError)) throw err;
  });
}

/**
 * `targets` (names or ids) reordered so that a container comes after every
 * container that joins its network namespace (rm removes them in this order);
 * with `depend`, those joining containers are added first (rm --depend), by id.
 */
export async function orderForRemoval(ctx: EngineContext, targets: string[], options: { depend?: boolean } = {}): Promise<string[]> {
  if (targets.length < 2 && !options.depend) return targets;
  const joins = await networkJoins(ctx);
  const joiners = (id: string) => [...joins].filter(([, joined]) => joined === id).map(([joiner]) => joiner);
  // Depth: how long the longest chain of containers joining this one is; the deepest go last.
  const depth = (id: string | undefined): number => (id === undefined ? 0 : Math.max(0, ...joiners(id).map((j) => 1 + depth(j))));
  const list = await Promise.all(targets.map(async (target) => ({ target, id: await resolveContainerId(ctx, target, { includeRemoving: true }).catch(() => undefined) })));
  if (options.depend) {
    const seen = new Set(list.map((e) => e.id).filter(Boolean));
    const add = (id: string) => {
      for (const j of joiners(id)) {
        if (seen.has(j)) continue;
        seen.add(j);
        list.push({ target: j, id: j });
        add(j);
      }
    };
    for (const e of [...list]) if (e.id) add(e.id);
  }
  return list.map((e, i) => ({ ...e, i, d: depth(e.id) })).sort((a, b) => a.d - b.d || a.i - b.i).map((e) => e.target);
}
