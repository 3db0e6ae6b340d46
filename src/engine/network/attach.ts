import type { NetworkMode } from '../../runtime/spec/container-spec.js';
import { checkIp, checkMac, parseNetworkRequest, type NetworkRequest } from '../../network/network-config.js';
import { parseAddress as parseAddressText } from '../../network/ip.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { networkStore } from './networks.js';

/** --network-alias, --ip and --mac-address of run/create: they apply to the container's one user network. */
export interface NetworkFlags {
  aliases?: string[];
  ip?: string;
  mac?: string;
}

/**
 * The user networks a container is created on, from its --network values
 * (each NAME[:alias=,ip=,mac=], by name or id) and the per-container flags,
 * as podman 4.3 takes them: every network must exist (looked up now, stored
 * by name); --ip and --mac-address need exactly one network, aliases go to
 * each. Throws podman's errors.
 */
export async function userNetworkMode(ctx: EngineContext, values: string[], flags: NetworkFlags = {}): Promise<Extract<NetworkMode, { mode: 'bridge' }>> {
  const store = networkStore(ctx);
  const networks: Record<string, NetworkRequest> = {};
  for (const value of values) {
    const { name, request } = parseNetworkRequest(value);
    const config = await store.get(name);
    if (networks[config.name]) throw new InvalidArgumentError(`network ${config.name} given twice`);
    networks[config.name] = request;
  }
  const names = Object.keys(networks);
  if (flags.ip !== undefined) {
    if (!parseAddressText(flags.ip)) throw new InvalidArgumentError(`"${flags.ip}" is not an ip address`);
    if (names.length !== 1) throw new InvalidArgumentError('--ip can only be set for a single network: invalid argument');
    networks[names[0]].staticIps.push(checkIp(flags.ip));
  }
  if (flags.mac !== undefined) {
    const mac = checkMac(flags.mac);
    if (names.length !== 1) throw new InvalidArgumentError('--mac-address can only be set for a single network: invalid argument');
    networks[names[0]].staticMac = mac;
  }
  // As podman: the aliases go to every network given.
  for (const name of names) networks[name].aliases.push(...(flags.aliases ?? []));
  return { mode: 'bridge', networks };
}

/** True when a --network value names a user network rather than a mode (none, host, slirp4netns, ...). */
export function isUserNetworkValue(value: string): boolean {
  const mode = value.split(':', 1)[0];
  return !['none', 'host', 'slirp4netns', 'default', 'private', '', 'container', 'ns', 'pasta'].includes(mode);
}

/**
 * podman's refusal of --ip, --mac-address and --network-alias for a
 * container that is not on user networks (none, host, slirp4netns, ...).
 */
export function checkNetworkFlagsWithoutBridge(flags: NetworkFlags): void {
  if (flags.ip !== undefined) throw new InvalidArgumentError('--ip can only be set when the network mode is bridge: invalid argument');
  if (flags.mac !== undefined) throw new InvalidArgumentError('--mac-address can only be set when the network mode is bridge: invalid argument');
  if (flags.aliases?.length) throw new InvalidArgumentError('--network-alias can only be set when the network mode is bridge: invalid argument');
}

/**
 * /etc/resolv.conf for a container on user networks, as podman writes it:
 * the gateways of its networks with DNS (where aardvark-dns answers, and
 * forwards other names to the host's resolvers), then the host's own
 * nameservers, search dns.podman before the host's domains, the host's options. Without any DNS-enabled network:
 * the host's file.
 */
export async function userNetworkResolvConf(ctx: EngineContext, mode: Extract<NetworkMode, { mode: 'bridge' }>, hostFile = '/etc/resolv.conf'): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const host = await readFile(hostFile, 'utf8').catch(() => '');
  const store = networkStore(ctx);
  const servers: string[] = [];
  for (const name of Object.keys(mode.networks)) {
    const config = await store.get(name);
    if (!config.dns_enabled) continue;
    for (const s of config.subnets) if (s.gateway && !servers.includes(s.gateway)) servers.push(s.gateway);
  }
  if (!servers.length) return host;
  const search = ['dns.podman', ...host.split('\n').filter((l) => /^\s*(search|domain)\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1))];
  const options = host.split('\n').filter((l) => /^\s*options\s/.test(l)).map((l) => l.trim());
  // podman 4.3 lists the host's nameservers after aardvark-dns's; loopback ones mean nothing in the container.
  const hostServers = host.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((ns): ns is string => ns !== undefined && !/^127\.|^::1$/.test(ns));
  return [`search ${[...new Set(search)].join(' ')}`, ...[...servers, ...hostServers].map((s) => `nameserver ${s}`), ...options].join('\n') + '\n';
}
