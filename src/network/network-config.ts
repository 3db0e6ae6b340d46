import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, SkiffError } from '../util/errors.js';
import { bitsOf, contains, formatAddress, formatCidr, lastAddress, overlaps, parseAddress, parseCidr, type Cidr } from './ip.js';

/** One subnet of a network, as podman's netavark config (and netavark itself) spells it. */
export interface NetworkSubnet {
  subnet: string;
  gateway?: string;
  lease_range?: { start_ip?: string; end_ip?: string };
}

/**
 * A user network: podman's netavark network config, key for key, so that
 * `network inspect` prints it as podman does and netavark takes it as
 * `network_info` unchanged.
 */
export interface NetworkConfig {
  name: string;
  /** 64 hex. */
  id: string;
  driver: 'bridge';
  /** The bridge in the rootless network namespace: podman0 (the default network), podman1, ... */
  network_interface: string;
  created: string;
  subnets: NetworkSubnet[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipam_options: { driver: 'host-local' };
}

/** podman's default network, never stored: every listing shows it. Its id is podman's own constant. */
export const DEFAULT_NETWORK: NetworkConfig = {
  name: 'podman',
  id: '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9',
  driver: 'bridge',
  network_interface: 'podman0',
  created: new Date(0).toISOString(),
  subnets: [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }],
  ipv6_enabled: false,
  internal: false,
  dns_enabled: false,
  ipam_options: { driver: 'host-local' },
};

export const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface NetworkCreateInput {
  name?: string;
  driver: string;
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  internal: boolean;
  ipv6: boolean;
  disableDns: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/**
 * Turns `network create`'s flags into a new network's config, given the
 * networks that exist (pure: the caller holds the networks lock so that
 * names, subnets and bridge names stay unique). Errors are podman's.
 */
export function planNetwork(input: NetworkCreateInput, existing: NetworkConfig[], now = new Date()): NetworkConfig {
  if (input.driver !== 'bridge') throw new InvalidArgumentError(`unsupported driver ${input.driver}: invalid argument`);
  const all = [DEFAULT_NETWORK, ...existing.filter((n) => n.name !== DEFAULT_NETWORK.name)];
  const name = input.name ?? nextFree(all.map((n) => n.name), 'podman');
  if (!NETWORK_NAME_PATTERN.test(name)) throw new InvalidArgumentError(`network name ${name} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`);
  if (all.some((n) => n.name === name)) throw new SkiffError('ENETWORKEXISTS', `network name ${name} already used: network already exists`);
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.options)) {
    if (key === 'mtu') {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`strconv.Atoi: parsing "${value}": invalid syntax`);
      options.mtu = value;
    } else {
      throw new InvalidArgumentError(`unsupported bridge network option ${key}`);
    }
  }
  if (!input.subnets.length && (input.gateways.length || input.ipRanges.length)) throw new InvalidArgumentError('cannot set gateway or range without subnet');
  if (input.gateways.length > input.subnets.length) throw new InvalidArgumentError('cannot set more gateways than subnets');
  if (input.ipRanges.length > input.subnets.length) throw new InvalidArgumentError('cannot set more ranges than subnets');

  // As podman: an internal network without DNS gets no gateway (nothing listens there).
  const addGateway = !input.internal || !input.disableDns;
  const used = all.flatMap((n) => n.subnets.map((s) => parseCidr(s.subnet)!));
  const subnets: NetworkSubnet[] = input.subnets.map((text, i) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
    if (used.some((u) => overlaps(u, cidr))) throw new InvalidArgumentError(`subnet ${formatCidr(cidr)} is already used on the host or by another config`);
    used.push(cidr);
    return withGatewayAndRange(cidr, input.gateways[i], input.ipRanges[i], addGateway);
  });
  if (!subnets.length) subnets.push(withGatewayAndRange(freeV4Subnet(used), undefined, undefined, addGateway));
  if (input.ipv6 && !subnets.some((s) => parseCidr(s.subnet)!.family === 6)) subnets.push(withGatewayAndRange(randomV6Subnet(), undefined, undefined, addGateway));
  const ipv6 = subnets.some((s) => parseCidr(s.subnet)!.family === 6);

  // podman's key order, so that inspect prints the same document.
  return {
    name,
    id: randomBytes(32).toString('hex'),
    driver: 'bridge',
    network_interface: nextFree(all.map((n) => n.network_interface), 'podman', 1),
    created: now.toISOString(),
    subnets,
    ipv6_enabled: ipv6,
    internal: input.internal,
    dns_enabled: !input.disableDns,
    ...(Object.keys(input.labels).length ? { labels: input.labels } : {}),
    ...(Object.keys(options).length ? { options } : {}),
    ipam_options: { driver: 'host-local' },
  };
}

/** podman1, podman2, ...: the first of PREFIXn (n from `from`) not taken. */
function nextFree(taken: string[], prefix: string, from = 1): string {
  for (let n = from; ; n++) if (!taken.includes(`${prefix}${n}`)) return `${prefix}${n}`;
}

function withGatewayAndRange(cidr: Cidr, gateway: string | undefined, range: string | undefined, addGateway: boolean): NetworkSubnet {
  const subnet: NetworkSubnet = { subnet: formatCidr(cidr) };
  if (gateway !== undefined) {
    const gw = parseAddress(gateway);
    if (!gw) throw new InvalidArgumentError(`invalid gateway ${gateway}`);
    if (!contains(cidr, gw.family, gw.value)) throw new InvalidArgumentError(`gateway ${gateway} not in subnet ${formatCidr(cidr)}`);
    subnet.gateway = formatAddress(gw.family, gw.value);
  } else if (addGateway) {
    subnet.gateway = formatAddress(cidr.family, cidr.network + 1n);
  }
  if (range !== undefined) {
    const r = parseCidr(range);
    if (!r) throw new InvalidArgumentError(`invalid CIDR address: ${range}`);
    // podman's lease range: the range's first usable address to its last (broadcast excluded).
    const start = r.network + (r.prefix < bitsOf(r.family) ? 1n : 0n);
    const end = lastAddress(r) - (r.family === 4 && r.prefix < 31 ? 1n : 0n);
    if (!contains(cidr, r.family, start)) throw new InvalidArgumentError(`lease range start ip ${formatAddress(r.family, start)} not in subnet ${formatCidr(cidr)}`);
    if (!contains(cidr, r.family, end)) throw new InvalidArgumentError(`lease range end ip ${formatAddress(r.family, end)} not in subnet ${formatCidr(cidr)}`);
    subnet.lease_range = { start_ip: formatAddress(r.family, start), end_ip: formatAddress(r.family, end) };
  }
  return subnet;
}

/** podman's automatic IPv4 subnets: 10.89.0.0/24, 10.89.1.0/24, ... the first no network uses. */
function freeV4Subnet(used: Cidr[]): Cidr {
  for (let n = 0; n < 256 * 119; n++) {
    const cidr: Cidr = { family: 4, network: (10n << 24n) + (89n << 16n) + (BigInt(n) << 8n), prefix: 24 };
    if (!used.some((u) => overlaps(u, cidr))) return cidr;
  }
  throw new SkiffError('ENOSUBNET', 'could not find free subnet from subnet pools');
}

/** A random unique local /64 (fdXX:...), as podman picks one for --ipv6. */
function randomV6Subnet(): Cidr {
  const bytes = randomBytes(7);
  const network = (0xfdn << 120n) | (BigInt('0x' + bytes.toString('hex')) << 64n);
  return { family: 6, network, prefix: 64 };
}

/** The subnet and gateway per family of a network, parsed. */
export function parsedSubnets(network: NetworkConfig): Array<{ cidr: Cidr; gateway?: bigint; start?: bigint; end?: bigint }> {
  return network.subnets.map((s) => {
    const cidr = parseCidr(s.subnet)!;
    return {
      cidr,
      gateway: s.gateway ? parseAddress(s.gateway)!.value : undefined,
      start: s.lease_range?.start_ip ? parseAddress(s.lease_range.start_ip)!.value : undefined,
      end: s.lease_range?.end_ip ? parseAddress(s.lease_range.end_ip)!.value : undefined,
    };
  });
}

/** A container's wish for one user network, before the network is looked up. */
export interface NetworkRequest {
  aliases: string[];
  staticIps: string[];
  staticMac?: string;
}

const MAC_PATTERN = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/**
 * Parses `NAME[:alias=A,ip=IP,mac=MAC]` of --network (podman 4.3's
 * per-network options; `bridge` means the default network). Pure: whether
 * the network exists is checked by the caller.
 */
export function parseNetworkRequest(value: string): { name: string; request: NetworkRequest } {
  const [rawName, opts = ''] = value.split(/:(.*)/s, 2);
  const name = rawName === 'bridge' ? DEFAULT_NETWORK.name : rawName;
  const request: NetworkRequest = { aliases: [], staticIps: [] };
  for (const opt of opts.split(',').filter(Boolean)) {
    const [key, v = ''] = opt.split(/=(.*)/s, 2);
    if (key === 'alias') request.aliases.push(v);
    else if (key === 'ip' || key === 'ip6') request.staticIps.push(checkIp(v));
    else if (key === 'mac') request.staticMac = checkMac(v);
    else throw new InvalidArgumentError(`unknown bridge network option: ${key}`);
  }
  return { name, request };
}

/** Validates a static address (--ip, ip=). */
export function checkIp(value: string): string {
  const a = parseAddress(value);
  if (!a) throw new InvalidArgumentError(`${value} is not an ip address`);
  return formatAddress(a.family, a.value);
}

/** Validates a static MAC address (--mac-address, mac=), as Go's net.ParseMAC does for 6 bytes. */
export function checkMac(value: string): string {
  if (!MAC_PATTERN.test(value)) throw new InvalidArgumentError(`address ${value}: invalid MAC address`);
  return value.toLowerCase();
}
