import { ContainerNetworks } from '../../network/container-networks.js';
import { DEFAULT_NETWORK, planNetwork, type NetworkConfig, type NetworkCreateInput } from '../../network/network-config.js';
import { NetworkStore } from '../../network/network-store.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { parseUntil } from '../container/filters.js';
import { listContainers, type ContainerInfo } from '../container/record.js';

export type { NetworkConfig, NetworkCreateInput };

/** The network store of this engine context. */
export function networkStore(ctx: EngineContext): NetworkStore {
  return new NetworkStore(ctx.layout.networksDir);
}

/** The user networks' machinery of this context (run as root of the user namespace for anything but reads). */
export function containerNetworks(ctx: EngineContext): ContainerNetworks {
  return new ContainerNetworks({ configDir: ctx.layout.networksDir, runDir: ctx.layout.networksRunDir });
}

/**
 * Creates a network (`network create`): validated and completed as podman
 * does (auto name podmanN, auto subnet 10.89.N.0/24, bridge podmanN),
 * under the networks lock so that concurrent creates never share a name,
 * subnet or bridge. With `ignore`, an existing name returns that network.
 */
export async function createNetwork(ctx: EngineContext, input: NetworkCreateInput, options: { ignore?: boolean } = {}): Promise<NetworkConfig> {
  const store = networkStore(ctx);
  return store.withLock(async () => {
    const existing = await store.list();
    if (options.ignore && input.name !== undefined) {
      const found = existing.find((n) => n.name === input.name);
      if (found) return found;
    }
    const config = planNetwork(input, existing);
    await store.addLocked(config);
    return config;
  });
}

/** The containers configured on a network (any state), newest first. */
export async function containersOnNetwork(ctx: EngineContext, name: string): Promise<ContainerInfo[]> {
  return (await listContainers(ctx)).filter((c) => networkNames(c).includes(name));
}

/** The user networks a container is configured on, in its --network order. */
export function networkNames(c: ContainerInfo): string[] {
  const mode = c.record.spec.network;
  return mode.mode === 'bridge' ? Object.keys(mode.networks) : [];
}

export interface NetworkFilter {
  key: 'name' | 'id' | 'driver' | 'label' | 'label!' | 'dangling' | 'until';
  value: string;
}

const LIST_KEYS = ['name', 'id', 'driver', 'label', 'label!', 'dangling', 'until'] as const;
const PRUNE_KEYS = ['label', 'label!', 'until'] as const;

/** Parses `network ls|prune --filter` values; podman's errors for unknown keys. */
export function parseNetworkFilters(specs: string[], prune = false): NetworkFilter[] {
  const keys: readonly string[] = prune ? PRUNE_KEYS : LIST_KEYS;
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? '' : spec.slice(eq + 1);
    if (!keys.includes(key)) throw new InvalidArgumentError(`invalid filter "${key}"`);
    if (eq < 0) throw new InvalidArgumentError(`invalid filter "${spec}": expected KEY=VALUE`);
    if (key === 'dangling' && !['true', 'false', '1', '0'].includes(value)) throw new InvalidArgumentError(`invalid dangling filter value "${value}"`);
    if (key === 'name') {
      try {
        new RegExp(value);
      } catch {
        throw new InvalidArgumentError(`invalid name filter "${value}": not a regular expression`);
      }
    }
    if (key === 'until') parseUntil(value);
    return { key: key as NetworkFilter['key'], value };
  });
}

/**
 * The networks that pass every filter (values of one key: any matches;
 * label: all must; label!: none may). `inUse` names the networks some
 * container is configured on (for dangling=).
 */
export function filterNetworks(networks: NetworkConfig[], filters: NetworkFilter[], inUse: Set<string>): NetworkConfig[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f.value]);
  const labelMatches = (n: NetworkConfig, spec: string) => {
    const [k, v] = spec.split(/=(.*)/s, 2);
    return n.labels?.[k] !== undefined && (v === undefined || n.labels[k] === v);
  };
  return networks.filter((n) => [...byKey].every(([key, values]) => {
    switch (key) {
      case 'name': return values.some((v) => new RegExp(v).test(n.name));
      case 'id': return values.some((v) => n.id.startsWith(v));
      case 'driver': return values.includes(n.driver);
      case 'label': return values.every((v) => labelMatches(n, v));
      case 'label!': return !values.some((v) => labelMatches(n, v));
      case 'dangling': return values.some((v) => (v === 'true' || v === '1') === !inUse.has(n.name));
      case 'until': return values.some((v) => Date.parse(n.created) < parseUntil(v));
      default: return true;
    }
  }));
}

/** Networks for `network ls`, filtered, by name. */
export async function listNetworks(ctx: EngineContext, filters: NetworkFilter[]): Promise<NetworkConfig[]> {
  const networks = await networkStore(ctx).list();
  const inUse = filters.some((f) => f.key === 'dangling') ? new Set((await listContainers(ctx)).flatMap(networkNames)) : new Set<string>();
  return filterNetworks(networks, filters, inUse);
}

/** One network for `network inspect`, by name, id or id prefix; NoSuchNetworkError otherwise. */
export async function inspectNetwork(ctx: EngineContext, nameOrId: string): Promise<NetworkConfig> {
  return networkStore(ctx).get(nameOrId);
}

/** `network exists`: true when the name or id names a network. */
export async function networkExists(ctx: EngineContext, nameOrId: string): Promise<boolean> {
  try {
    await networkStore(ctx).get(nameOrId);
    return true;
  } catch (err) {
    if (err instanceof SkiffError && err.code === 'ENONETWORK') return false;
    throw err;
  }
}

export interface NetworkRemoveOptions {
  force: boolean;
  /** Seconds to wait for each container to stop, with force. */
  timeout?: number;
}

/**
 * Removes a network (`network rm`). A network containers are configured on
 * is refused unless `force`, which removes those containers first (running
 * ones stopped), as podman does. The default network cannot be removed.
 * Returns the network's name. Runs in the user namespace (removing
 * containers needs it).
 */
export async function removeNetwork(ctx: EngineContext, nameOrId: string, options: NetworkRemoveOptions): Promise<string> {
  const store = networkStore(ctx);
  const network = await store.get(nameOrId);
  if (network.name === DEFAULT_NETWORK.name) throw new SkiffError('EDEFAULTNETWORK', `default network ${network.name} cannot be removed`);
  const users = await containersOnNetwork(ctx, network.name);
  if (users.length && !options.force) {
    throw new SkiffError('ENETWORKINUSE', `"${network.name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`);
  }
  if (users.length) {
    const { removeContainer } = await import('../container/lifecycle.js');
    for (const c of users) await removeContainer(ctx, c.record.id, { force: true, timeout: options.timeout });
  }
  await store.withLock(async () => {
    // A container created on it meanwhile would be left on a missing network.
    if (!options.force && (await containersOnNetwork(ctx, network.name)).length) {
      throw new SkiffError('ENETWORKINUSE', `"${network.name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`);
    }
    await store.removeLocked(network.name);
  });
  await containerNetworks(ctx).ipam.forget(network.name);
  return network.name;
}

/** `network prune`: removes every network no container is configured on (the default one stays); returns their names. */
export async function pruneNetworks(ctx: EngineContext, filters: NetworkFilter[]): Promise<string[]> {
  const inUse = new Set((await listContainers(ctx)).flatMap(networkNames));
  const candidates = filterNetworks(await networkStore(ctx).list(), filters, inUse).filter((n) => n.name !== DEFAULT_NETWORK.name && !inUse.has(n.name));
  const removed: string[] = [];
  for (const n of candidates) {
    try {
      removed.push(await removeNetwork(ctx, n.name, { force: false }));
    } catch (err) {
      // Taken into use meanwhile: not pruned.
      if (!(err instanceof SkiffError && err.code === 'ENETWORKINUSE')) throw err;
    }
  }
  return removed;
}
