import { spawn, type ChildProcess } from 'node:child_process';
import { connect, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { bindErrorMessage, tryBind, unprivilegedPortStart, type PortMapping } from './ports.js';
import { InvalidArgumentError, SkiffError } from '../util/errors.js';

export interface Slirp4netnsOptions extends SlirpSettings {
  netnsPath: string;
  /** Where slirp4netns serves its API (add_hostfwd for published ports); none without. */
  apiSocket?: string;
}

/** The fixed addresses slirp4netns --configure gives a container. */
export const SLIRP = {
  containerIp: '10.0.2.100',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
} as const;

/** `--network slirp4netns:OPTIONS`, podman's names. */
export interface SlirpSettings {
  mtu: number;
  /** Let the container reach the host's 127.0.0.1 through the gateway (10.0.2.2). */
  allowHostLoopback: boolean;
  /** The IPv4 network, default 10.0.2.0/24: the container is .100, the gateway .2, DNS .3. */
  cidr?: string;
  /** IPv6 too (fd00::/64), podman's default. */
  enableIpv6?: boolean;
  /** Host address or interface the container's outbound IPv4 / IPv6 connections leave from. */
  outboundAddr?: string;
  outboundAddr6?: string;
  /** As given; published ports always go through slirp4netns's own forwarding. */
  portHandler?: 'slirp4netns' | 'rootlesskit';
}

/**
 * Parses slirp4netns's OPTIONS as podman's parseSlirp4netnsNetworkOptions,
 * with its messages: allow_host_loopback, cidr, enable_ipv6, mtu,
 * outbound_addr, outbound_addr6 (an address or an interface name) and
 * port_handler. `interfaces` are the host's interface names.
 */
export function parseSlirpOptions(options: string[], interfaces: string[] = Object.keys(networkInterfaces())): SlirpSettings {
  const settings: SlirpSettings = { mtu: 65520, allowHostLoopback: false, enableIpv6: true };
  const bool = (option: string, value: string) => {
    if (value === 'true' || value === 'false') return value === 'true';
    throw new InvalidArgumentError(`invalid value of ${option} for slirp4netns: "${value}"`);
  };
  for (const o of options) {
    const at = o.indexOf('=');
    if (at < 0) throw new InvalidArgumentError(`unknown option for slirp4netns: "${o}"`);
    const option = o.slice(0, at);
    const value = o.slice(at + 1);
    switch (option) {
      case 'cidr': {
        const [ip, bits] = value.split('/');
        if (isIP(ip ?? '') !== 4 || !/^\d+$/.test(bits ?? '') || Number(bits) > 32) throw new InvalidArgumentError(`invalid cidr "${value}"`);
        settings.cidr = value;
        break;
      }
      case 'port_handler':
        if (value !== 'slirp4netns' && value !== 'rootlesskit') throw new InvalidArgumentError(`unknown port_handler for slirp4netns: "${value}"`);
        settings.portHandler = value;
        break;
      case 'allow_host_loopback':
        settings.allowHostLoopback = bool(option, value);
        break;
      case 'enable_ipv6':
        settings.enableIpv6 = bool(option, value);
        break;
      case 'outbound_addr':
        if (isIP(value) !== 4 && !interfaces.includes(value)) throw new InvalidArgumentError(`invalid outbound_addr "${value}"`);
        settings.outboundAddr = value;
        break;
      case 'outbound_addr6':
        if (isIP(value) !== 6 && !interfaces.includes(value)) throw new InvalidArgumentError(`invalid outbound_addr6: "${value}"`);
        settings.outboundAddr6 = value;
        break;
      case 'mtu':
        if (!/^[+-]?\d+$/.test(value) || Number(value) < 68) throw new InvalidArgumentError(`invalid mtu "${value}"`);
        settings.mtu = Number(value);
        break;
      default:
        throw new InvalidArgumentError(`unknown option for slirp4netns: "${o}"`);
    }
  }
  if (settings.outboundAddr6 && !settings.enableIpv6) throw new InvalidArgumentError('enable_ipv6=true is required for outbound_addr6');
  return settings;
}

/** The addresses slirp4netns gives in `cidr` (default 10.0.2.0/24): network + 100, + 2 and + 3. */
export function slirpAddresses(cidr?: string): { containerIp: string; gateway: string; dns: string } {
  if (!cidr) return { ...SLIRP };
  const [ip, bits] = cidr.split('/');
  const n = ip!.split('.').reduce((a, p) => (a << 8) + Number(p), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const network = (n & mask) >>> 0;
  const at = (offset: number) => [24, 16, 8, 0].map((shift) => ((network + offset) >>> shift) & 255).join('.');
  return { containerIp: at(100), gateway: at(2), dns: at(3) };
}

/**
 * Starts slirp4netns for a network namespace file and resolves once it has
 * configured tap0 (signalled on its ready fd). The caller owns the process
 * and kills it at teardown; should the caller die first, even by SIGKILL,
 * slirp4netns exits too: its exit fd is a pipe whose other end only this
 * process holds (close-on-exec, so no other child inherits it).
 */
export async function startSlirp4netns(options: Slirp4netnsOptions): Promise<ChildProcess> {
  const args = [
    '--configure', `--mtu=${options.mtu}`, '--ready-fd=3', '--exit-fd=4', '--netns-type=path',
    ...(options.allowHostLoopback ? [] : ['--disable-host-loopback']),
    ...(options.cidr ? [`--cidr=${options.cidr}`] : []),
    ...(options.enableIpv6 ? ['--enable-ipv6'] : []),
    ...(options.outboundAddr ? [`--outbound-addr=${options.outboundAddr}`] : []),
    ...(options.outboundAddr6 ? [`--outbound-addr6=${options.outboundAddr6}`] : []),
    ...(options.apiSocket ? [`--api-socket=${options.apiSocket}`] : []),
    '--enable-sandbox', '--enable-seccomp',
    options.netnsPath, 'tap0',
  ];
  const child = spawn('slirp4netns', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  // Never written to nor read: its end closing (with us) is the signal.
  const exitPipe = child.stdio[4] as NodeJS.ReadableStream & { on(event: 'error', l: () => void): void };
  exitPipe.pause();
  exitPipe.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => reject(new SkiffError('ESLIRP', `slirp4netns failed: ${why}`, { hint: 'is the slirp4netns package installed and /dev/net/tun usable?' }));
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code) => fail(stderr.trim().split('\n').pop() || `exited with code ${code}`));
    (child.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  return child;
}

/**
 * Publishes `mappings` through slirp4netns's own forwarding (its API
 * socket's add_hostfwd, podman's port_handler=slirp4netns): slirp4netns
 * binds the host ports and forwards to `guestAddr` (the container's
 * address: slirp4netns's own guest, or a container behind the rootless
 * netns), so the container sees a client's own address (a client on the
 * host's loopback as the gateway, 10.0.2.2). No process is added.
 * Returns the forwards' ids (for removeSlirpHostForwards). Throws
 * podman's one-line error for a port that cannot be bound (in use,
 * privileged), after removing the forwards it added.
 */
export async function addSlirpHostForwards(apiSocket: string, mappings: PortMapping[], guestAddr: string): Promise<number[]> {
  const ids: number[] = [];
  try {
    for (const m of mappings) {
      for (const protocol of m.protocol.split(',')) {
        for (let i = 0; i < m.range; i++) {
          const hostPort = m.hostPort + i;
          const reply = await slirpApi(apiSocket, {
            execute: 'add_hostfwd',
            arguments: { proto: protocol, host_addr: m.hostIp || '0.0.0.0', host_port: hostPort, guest_addr: guestAddr, guest_port: m.containerPort + i },
          });
          const id = (reply.return as { id?: unknown } | undefined)?.id;
          if (reply.error === undefined && typeof id === 'number') {
            ids.push(id);
            continue;
          }
          // slirp4netns says only that it failed: bind it ourselves to learn why.
          const { code } = await tryBind(protocol, m.hostIp, hostPort);
          throw new SkiffError('EPORTBIND', code ? bindErrorMessage(protocol, m.hostIp, hostPort, code, unprivilegedPortStart())
            : `slirp4netns cannot publish ${m.hostIp || '0.0.0.0'}:${hostPort}/${protocol}: ${reply.error?.desc ?? 'add_hostfwd failed'}`);
        }
      }
    }
  } catch (err) {
    await removeSlirpHostForwards(apiSocket, ids).catch(() => undefined);
    throw err;
  }
  return ids;
}

/** Removes forwards added by addSlirpHostForwards (remove_hostfwd), freeing their host ports; ids slirp4netns no longer knows are skipped. */
export async function removeSlirpHostForwards(apiSocket: string, ids: number[]): Promise<void> {
  for (const id of ids) await slirpApi(apiSocket, { execute: 'remove_hostfwd', arguments: { id } });
}

/** One request on slirp4netns's API socket (one JSON object each way per connection). */
function slirpApi(path: string, request: unknown): Promise<{ return?: unknown; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = '';
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.once('error', (err) => reject(new SkiffError('ESLIRP', `slirp4netns API ${path}: ${err.message}`)));
    socket.once('end', () => {
      try {
        resolve(JSON.parse(data) as { return?: unknown; error?: { desc?: string } });
      } catch {
        reject(new SkiffError('ESLIRP', `slirp4netns API: unexpected reply ${JSON.stringify(data)}`));
      }
    });
    socket.end(JSON.stringify(request));
  });
}
