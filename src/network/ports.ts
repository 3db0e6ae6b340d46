import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createServer } from 'node:net';
import { InvalidArgumentError } from '../util/errors.js';

/** One published port range: host HOSTIP:HOSTPORT.. → container CONTAINERPORT.. for one protocol. */
export interface PortMapping {
  /** Empty for every address (0.0.0.0). */
  hostIp: string;
  /** 0 until a random port is assigned (assignRandomPorts). */
  hostPort: number;
  containerPort: number;
  /** tcp, udp or sctp; records written before normalizePorts may join several with commas. */
  protocol: string;
  /** How many consecutive ports, at least 1. */
  range: number;
}

/** A -p value as given: the protocol is still unchecked ('' for the default, tcp). */
export interface PublishSpec {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
  range: number;
}

/**
 * Parses one -p/--publish value, `[[IP:][HOSTPORT]:]CPORT[/PROTO]` with
 * `[IPv6]` in brackets and ranges `START-END`, with podman's messages
 * (specgenutil.CreatePortBindings). The caller splits comma lists first.
 */
export function parsePublish(value: string): PublishSpec {
  const bad = (message: string) => new InvalidArgumentError(message);
  const splitProto = value.split('/');
  if (splitProto.length > 2) throw bad('invalid port format - protocol can only be specified once');
  const protocol = splitProto[1];
  let remainder = splitProto[0];
  let hostIp: string | undefined;
  let haveV6 = false;
  const splitV6 = remainder.split(']');
  if (splitV6.length === 2) {
    haveV6 = true;
    if (!splitV6[0].startsWith('[')) throw bad('invalid port format - IPv6 addresses must be enclosed by []');
    if (!splitV6[1].startsWith(':')) throw bad("invalid port format - IPv6 address must be followed by a colon (':')");
    hostIp = splitV6[0].slice(1);
    remainder = splitV6[1].slice(1);
  } else if (splitV6.length > 2) {
    throw bad('invalid port format - at most one IPv6 address can be specified in a --publish');
  }
  const parts = remainder.split(':');
  let hostPort: string | undefined;
  let containerPort: string;
  if (parts.length === 1) {
    if (haveV6) throw bad('invalid port format - must provide host and destination port if specifying an IP');
    containerPort = parts[0];
  } else if (parts.length === 2) {
    [hostPort, containerPort] = parts;
  } else if (parts.length === 3) {
    if (haveV6) throw bad('invalid port format - when v6 address specified, must be [ipv6]:hostPort:ctrPort');
    [hostIp, hostPort, containerPort] = parts;
  } else {
    throw bad('invalid port format - format is [[hostIP:]hostPort:]containerPort');
  }

  if (containerPort === '') throw bad('must provide a non-empty container port to publish');
  const container = parseRange(containerPort, 'parsing container port: ');
  if (protocol === '') throw bad('must provide a non-empty protocol to publish');
  let ip = '';
  if (hostIp !== undefined) {
    if (hostIp === '') throw bad('must provide a non-empty container host IP to publish');
    // As podman: 0.0.0.0 is stored as "every address", the empty string.
    if (hostIp !== '0.0.0.0') {
      if (!isIP(hostIp)) throw bad(`cannot parse "${hostIp}" as an IP address`);
      ip = hostIp;
    }
  }
  let host = 0;
  if (hostPort !== undefined && hostPort !== '') {
    const parsed = parseRange(hostPort, 'parsing host port: ');
    if (parsed.range !== container.range) throw bad(`host and container port ranges have different lengths: ${parsed.range} vs ${container.range}`);
    host = parsed.start;
  }
  return { hostIp: ip, hostPort: host, containerPort: container.start, protocol: protocol ?? '', range: container.range };
}

/**
 * Parses --expose values and the image's ExposedPorts keys (`PORT[-END][/PROTO]`)
 * into container port → protocols, as podman's CreateExpose and checkProtocol.
 */
export function parseExpose(values: string[], source = ''): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const value of values) {
    const split = value.split('/');
    if (split.length > 2) throw new InvalidArgumentError('invalid expose format - protocol can only be specified once');
    const { start, range } = parseRange(split[0], source);
    const protocols = checkProtocols(split[1] ?? 'tcp', false, (p) => `validating protocols for exposed port ${start}: ${p}`);
    for (let port = start; port < start + range; port++) {
      const list = out.get(port) ?? [];
      for (const p of protocols) if (!list.includes(p)) list.push(p);
      out.set(port, list);
    }
  }
  return out;
}

const PROTOCOL_ORDER = ['tcp', 'udp', 'sctp'];

/**
 * podman's ParsePortMapping: splits each -p by protocol, sorts per host
 * address and protocol, joins adjacent mappings into ranges, refuses one
 * host port given to two container ports, and adds `publishAll`'s ports
 * (-P: every exposed port not published yet) with a random host port.
 * Random host ports are left 0 for assignRandomPorts. Pure.
 */
export function normalizePorts(specs: PublishSpec[], publishAll?: Map<number, string[]>): PortMapping[] {
  const groups = new Map<string, PortMapping[]>();
  for (const spec of specs) {
    for (const protocol of checkProtocols(spec.protocol, true, (p) => p)) {
      if (spec.containerPort + spec.range - 1 > 65535) throw new InvalidArgumentError('container port range exceeds maximum allowable port number');
      if (spec.hostPort + spec.range - 1 > 65535) throw new InvalidArgumentError('host port range exceeds maximum allowable port number');
      const key = `${spec.hostIp}\u0000${protocol}`;
      groups.set(key, [...(groups.get(key) ?? []), { ...spec, protocol }]);
    }
  }
  const out: PortMapping[] = [];
  const usedContainer = new Map<string, Set<number>>();
  const keys = [...groups.keys()].sort((a, b) => {
    const [ipA, pA] = a.split('\u0000');
    const [ipB, pB] = b.split('\u0000');
    return ipA === ipB ? PROTOCOL_ORDER.indexOf(pA) - PROTOCOL_ORDER.indexOf(pB) : ipA < ipB ? -1 : 1;
  });
  for (const key of keys) {
    const ports = groups.get(key)!;
    const protocol = ports[0].protocol;
    const fixed = ports.filter((p) => p.hostPort !== 0).sort((a, b) => a.hostPort - b.hostPort || a.containerPort - b.containerPort);
    let previous: PortMapping | undefined;
    for (const port of fixed) {
      if (previous && previous.hostPort + previous.range >= port.hostPort) {
        const diff = port.hostPort - previous.hostPort;
        if (diff === port.containerPort - previous.containerPort) {
          previous.range = Math.max(previous.range, port.range + diff);
          continue;
        }
        // podman lets `-p 8080:80 -p 8080:81` through and fails at start; refused here.
        if (previous.hostPort + previous.range > port.hostPort) {
          throw new InvalidArgumentError(`conflicting port mappings for host port ${port.hostPort} (protocol ${protocol})`);
        }
      }
      if (previous) out.push(previous);
      previous = { ...port };
    }
    if (previous) out.push(previous);
    const random = ports.filter((p) => p.hostPort === 0).sort((a, b) => a.containerPort - b.containerPort);
    previous = undefined;
    for (const port of random) {
      if (previous && previous.containerPort + previous.range > port.containerPort) {
        previous.range = Math.max(previous.range, port.containerPort - previous.containerPort + port.range);
        continue;
      }
      if (previous) out.push(previous);
      previous = { ...port };
    }
    if (previous) out.push(previous);
    const used = usedContainer.get(protocol) ?? new Set<number>();
    for (const m of out.filter((o) => o.protocol === protocol)) for (let i = 0; i < m.range; i++) used.add(m.containerPort + i);
    usedContainer.set(protocol, used);
  }
  for (const [port, protocols] of [...(publishAll ?? new Map<number, string[]>())].sort((a, b) => a[0] - b[0])) {
    for (const protocol of protocols) {
      if (usedContainer.get(protocol)?.has(port)) continue;
      out.push({ hostIp: '', hostPort: 0, containerPort: port, protocol, range: 1 });
    }
  }
  return out;
}

/**
 * Gives every mapping with host port 0 a free host port range, found as
 * podman does (the kernel picks a free port for a socket bound to port 0;
 * for a range every port of it must bind too). The ports are free when
 * checked, not reserved: the start binds them for good.
 */
export async function assignRandomPorts(mappings: PortMapping[]): Promise<PortMapping[]> {
  const taken = new Set(mappings.flatMap((m) => Array.from({ length: m.range }, (_, i) => `${m.protocol}/${m.hostPort + i}`)));
  const out: PortMapping[] = [];
  for (const m of mappings) {
    if (m.hostPort !== 0) {
      out.push(m);
      continue;
    }
    let found: number | undefined;
    for (let attempt = 0; attempt < 15 && found === undefined; attempt++) {
      const start = await freePort(m.protocol, m.hostIp);
      if (start === undefined || start + m.range - 1 > 65535) continue;
      let ok = true;
      for (let i = 0; i < m.range && ok; i++) {
        if (taken.has(`${m.protocol}/${start + i}`)) ok = false;
        else if (i > 0 && (await freePort(m.protocol, m.hostIp, start + i)) === undefined) ok = false;
      }
      if (ok) found = start;
    }
    if (found === undefined) {
      throw new InvalidArgumentError(`failed to find an open port to expose container port ${m.containerPort} ${m.range > 1 ? `with range ${m.range} ` : ''}on the host`);
    }
    for (let i = 0; i < m.range; i++) taken.add(`${m.protocol}/${found + i}`);
    out.push({ ...m, hostPort: found });
  }
  return out;
}

/**
 * Binds `port` (0: any) on `hostIp` for a moment and says which port it
 * got, or undefined when it cannot bind. `bindError` gives the errno.
 */
export async function freePort(protocol: string, hostIp: string, port = 0): Promise<number | undefined> {
  return (await tryBind(protocol, hostIp, port)).port;
}

/** Tries to bind HOSTIP:PORT as the forwarder would; the port it got or the error code (EADDRINUSE, EACCES). */
export function tryBind(protocol: string, hostIp: string, port: number): Promise<{ port?: number; code?: string }> {
  const address = hostIp || '0.0.0.0';
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      // Loaded here: ps and inspect import this module for the PORTS column and must start without dgram.
      const { createSocket } = process.getBuiltinModule('node:dgram');
      const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      socket.once('error', (err: NodeJS.ErrnoException) => { socket.close(); resolve({ code: err.code }); });
      socket.bind(port, address, () => {
        const got = socket.address().port;
        socket.close(() => resolve({ port: got }));
      });
      return;
    }
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code }));
    server.listen({ port, host: address, exclusive: true }, () => {
      const got = (server.address() as { port: number }).port;
      server.close(() => resolve({ port: got }));
    });
  });
}

/**
 * podman's message for a host port the forwarder could not bind:
 * `rootlessport listen tcp 0.0.0.0:8080: bind: address already in use`,
 * and for a privileged one its hint about ip_unprivileged_port_start.
 */
export function bindErrorMessage(protocol: string, hostIp: string, port: number, code: string | undefined, unprivilegedStart?: number): string {
  const where = `listen ${protocol} ${hostIp.includes(':') ? `[${hostIp}]` : hostIp || '0.0.0.0'}:${port}`;
  if (code === 'EACCES') {
    const start = unprivilegedStart ?? 1024;
    return `rootlessport cannot expose privileged port ${port}, you can add 'net.ipv4.ip_unprivileged_port_start=${port}' to /etc/sysctl.conf (currently ${start}), or choose a larger port number (>= ${start}): ${where}: bind: permission denied`;
  }
  const reason = code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : (code ?? 'failed').toLowerCase();
  return `rootlessport ${where}: bind: ${reason}`;
}

/** net.ipv4.ip_unprivileged_port_start, for the message about a privileged port. */
export function unprivilegedPortStart(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Parses `START[-END]`; `prefix` goes before each message, as podman wraps them. */
function parseRange(value: string, prefix: string): { start: number; range: number } {
  const bad = (message: string) => new InvalidArgumentError(prefix + message);
  const split = value.split('-');
  if (split.length > 2) throw bad('invalid port format - port ranges are formatted as startPort-stopPort');
  if (split[0] === '') throw bad('port numbers cannot be negative');
  const start = parsePort(split[0], bad);
  if (split.length === 1) return { start, range: 1 };
  if (split[1] === '') throw bad('must provide ending number for port range');
  const end = parsePort(split[1], bad);
  if (end <= start) throw bad(`the end port of a range must be higher than the start port - ${end} is not higher than ${start}`);
  return { start, range: end - start + 1 };
}

function parsePort(value: string, bad: (message: string) => Error): number {
  // Go's strconv.Atoi: an optional sign and decimal digits.
  if (!/^[+-]?\d+$/.test(value)) throw bad(`invalid port number: strconv.Atoi: parsing "${value}": invalid syntax`);
  const n = Number(value);
  if (n < 1 || n > 65535) throw bad(`port numbers must be between 1 and 65535 (inclusive), got ${n}`);
  return n;
}

function checkProtocols(value: string, allowSctp: boolean, wrap: (message: string) => string): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const p = raw.toLowerCase() || 'tcp';
    if (p === 'sctp' && !allowSctp) throw new InvalidArgumentError(wrap('protocol SCTP is not allowed for exposed ports'));
    if (!PROTOCOL_ORDER.includes(p)) throw new InvalidArgumentError(wrap(`unrecognized protocol "${p}" in port mapping`));
    if (!out.includes(p)) out.push(p);
  }
  return out.sort((a, b) => PROTOCOL_ORDER.indexOf(a) - PROTOCOL_ORDER.indexOf(b));
}

/** podman's `ps` PORTS text: `0.0.0.0:8080->80/tcp, 0.0.0.0:8000-8002->90-92/udp`. */
export function portsToString(mappings: PortMapping[]): string {
  const parts: string[] = [];
  for (const m of mappings) {
    const ip = m.hostIp || '0.0.0.0';
    for (const protocol of m.protocol.split(',')) {
      parts.push(m.range > 1
        ? `${ip}:${m.hostPort}-${m.hostPort + m.range - 1}->${m.containerPort}-${m.containerPort + m.range - 1}/${protocol}`
        : `${ip}:${m.hostPort}->${m.containerPort}/${protocol}`);
    }
  }
  return parts.join(', ');
}

/**
 * inspect's `.NetworkSettings.Ports` / `.HostConfig.PortBindings`: one key
 * `PORT/PROTO` per container port with its host bindings; with `exposed`,
 * exposed ports not published are keys with null (as podman).
 */
export function portBindings(mappings: PortMapping[], exposed?: Map<number, string[]>): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const m of mappings) {
    for (const protocol of m.protocol.split(',')) {
      for (let i = 0; i < m.range; i++) {
        const key = `${m.containerPort + i}/${protocol}`;
        out[key] = [...(out[key] ?? []), { HostIp: m.hostIp, HostPort: String(m.hostPort + i) }];
      }
    }
  }
  for (const [port, protocols] of exposed ?? []) {
    for (const protocol of protocols) if (!(`${port}/${protocol}` in out)) out[`${port}/${protocol}`] = null;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
}
