import { promises as fsp, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InvalidArgumentError } from '../util/errors.js';
import type { NetavarkNetworkStatus } from './netavark.js';

/** One line of /etc/hosts: an address and its names. */
export interface HostEntry {
  ip: string;
  names: string[];
}

export interface HostsInput {
  hostname: string;
  name: string;
  /** --add-host entries, written first (so they win over everything else). */
  extraHosts: HostEntry[];
  /** The base file's text (the host's /etc/hosts, as podman's default base_hosts_file); undefined for none. */
  base?: string;
  /** The container's own address, for its name and hostname; undefined: no entry (host network). */
  containerIp?: string;
  /** The address of host.containers.internal; undefined: no entry. */
  hostContainersInternal?: string;
}

/**
 * /etc/hosts as podman 4.3 writes it (containers/common etchosts.New):
 * the --add-host entries, the base file's entries (comments dropped), then
 * localhost, host.containers.internal and the container's own entry, each
 * with only the names not already in the file, so user entries win.
 */
export function hostsFile(input: HostsInput): string {
  const user = [...input.extraHosts, ...parseHosts(input.base ?? '')];
  const special: HostEntry[] = [
    { ip: '127.0.0.1', names: ['localhost'] },
    { ip: '::1', names: ['localhost'] },
  ];
  if (input.hostContainersInternal) special.push({ ip: input.hostContainersInternal, names: ['host.containers.internal'] });
  if (input.containerIp) special.push({ ip: input.containerIp, names: [input.hostname, input.name] });
  return user.map(formatLine).join('') + withFreeNames(special, user);
}

/**
 * The line podman adds to the hosts file of a container whose network
 * namespace another container joins (--network container:): the joining
 * container's names on 127.0.0.1, unless the file has them already.
 */
export function joinedHostsLine(currentHosts: string, hostname: string, name: string): string {
  return withFreeNames([{ ip: '127.0.0.1', names: [hostname, name] }], parseHosts(currentHosts));
}

/** `hosts` without the lines joinedHostsLine added for (hostname, name): podman's etchosts.Remove. */
export function removeJoinedHostsLine(hosts: string, hostname: string, name: string): string {
  return parseHosts(hosts)
    .filter((e) => !(e.ip === '127.0.0.1' && e.names.some((n) => n === hostname || n === name)))
    .map(formatLine)
    .join('');
}

/**
 * Takes the line joinedHostsLine added for (hostname, name) out of the hosts
 * file at `path`, in place (the file is bind-mounted into running
 * containers: a new inode would not be seen). A missing file is fine. The
 * caller serialises writers (the joined container's lock).
 */
export async function dropJoinedHostsLine(path: string, hostname: string, name: string): Promise<void> {
  const current = await fsp.readFile(path, 'utf8').catch(() => undefined);
  if (current === undefined) return;
  const next = removeJoinedHostsLine(current, hostname, name);
  if (next !== current) await fsp.writeFile(path, next);
}

function withFreeNames(entries: HostEntry[], existing: HostEntry[]): string {
  const taken = new Set(existing.flatMap((e) => e.names));
  let out = '';
  for (const entry of entries) {
    const free = entry.names.filter((n) => !taken.has(n));
    if (free.length) out += formatLine({ ip: entry.ip, names: free });
  }
  return out;
}

/** The entries of a hosts file: comments cut, lines with an address and no name skipped. */
export function parseHosts(text: string): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).trim().split(/\s+/);
    if (fields.length < 2) continue;
    entries.push({ ip: fields[0]!, names: fields.slice(1) });
  }
  return entries;
}

function formatLine(entry: HostEntry): string {
  return `${entry.ip}\t${entry.names.join(' ')}\n`;
}

export interface ResolvConfInput {
  /** --dns servers; empty: the host's (after the slirp4netns forwarder, when there is one). */
  nameservers: string[];
  /** --dns-search domains; empty: the host's; ['.']: none at all. */
  searches: string[];
  /** --dns-option options; empty: the host's. */
  options: string[];
  /** The container has its own network namespace: the host's loopback nameservers mean nothing there. */
  privateNetns: boolean;
  /** The network's own resolver (slirp4netns's 10.0.2.3), first when no --dns was given. */
  networkDns?: string;
}

/**
 * /etc/resolv.conf as podman 4.3 writes it (containers/common resolvconf.New):
 * --dns replaces the host's nameservers; without it the network's resolver
 * comes first and the host's follow. In a private network namespace the
 * host's loopback and IPv6 nameservers are dropped, and Google's public
 * servers stand in when none is left. --dns-search and --dns-option
 * replace the host's search domains and options.
 */
export function resolvConf(input: ResolvConfInput, host: string = readHostResolvConf(input.privateNetns)): string {
  const keepHost = input.nameservers.length === 0;
  const nameservers = keepHost ? (input.networkDns ? [input.networkDns] : []) : [...input.nameservers];
  let content = host;
  if (input.privateNetns) {
    content = content.replace(/^nameserver\s+((127\.(\d{1,3}\.){2}\d{1,3})|(::1)$)\s*\n*/gm, '');
    content = content.replace(/^nameserver\s+([0-9A-Fa-f]{0,4}:){2,7}([0-9A-Fa-f]{0,4})(%\w+)?\s*\n*/gm, '');
    if (resolvField(content, 'nameserver').length === 0) content += '\nnameserver 8.8.8.8\nnameserver 8.8.4.4';
  }
  if (keepHost) nameservers.push(...resolvField(content, 'nameserver'));
  const searches = input.searches.includes('.') ? [] : [...input.searches];
  if (input.searches.length === 0 || (keepHost && searches.length > 0)) searches.push(...lastLine(content, 'search'));
  const options = [...input.options];
  if (options.length === 0 || keepHost) options.push(...lastLine(content, 'options'));
  let out = '';
  if (searches.length && searches.join(' ').trim() !== '.') out += `search ${searches.join(' ')}\n`;
  for (const ns of nameservers) out += `nameserver ${ns}\n`;
  if (options.length && options.join(' ').trim() !== '') out += `options ${options.join(' ')}\n`;
  return out;
}

/** The values of every `KEY value` line (comments cut). */
function resolvField(text: string, key: string): string[] {
  const out: string[] = [];
  for (const line of resolvLines(text)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === key && fields.length === 2 && isIP(fields[1]!.replace(/%\w+$/, ''))) out.push(fields[1]!);
  }
  return out;
}

/** The words of the last `KEY ...` line (resolv.conf: the last search or options line counts). */
function lastLine(text: string, key: string): string[] {
  let words: string[] = [];
  for (const line of resolvLines(text)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === key) words = fields.slice(1);
  }
  return words;
}

function resolvLines(text: string): string[] {
  return text.split('\n').map((l) => (l.includes('#') ? l.slice(0, l.indexOf('#')) : l));
}

/**
 * The host's resolv.conf; for a private network namespace, when its only
 * nameserver is a local stub (systemd-resolved's 127.0.0.53,
 * NetworkManager's 127.0.0.1), the file with the real upstream servers, as podman.
 */
function readHostResolvConf(privateNetns: boolean): string {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const text = read('/etc/resolv.conf') ?? '';
  if (!privateNetns) return text;
  const servers = resolvField(text, 'nameserver');
  const real = servers.length !== 1 ? undefined
    : servers[0] === '127.0.0.53' ? '/run/systemd/resolve/resolv.conf'
    : servers[0] === '127.0.0.1' ? '/run/NetworkManager/no-stub-resolv.conf'
    : undefined;
  return (real && read(real)) ?? text;
}

/**
 * The host's address for host.containers.internal, as rootless podman picks
 * it: the first global unicast IPv4 address of the host's interfaces, else
 * an IPv6 one; undefined when the host has none.
 */
export function hostContainersInternalIp(interfaces = networkInterfaces()): string | undefined {
  let v6: string | undefined;
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4' && !a.address.startsWith('169.254.') && !a.address.startsWith('0.')) return a.address;
      if (a.family === 'IPv6' && !/^(fe80|ff|::)/i.test(a.address)) v6 ??= a.address;
    }
  }
  return v6;
}

/** Validated --add-host, --dns, --dns-search, --dns-option and --no-hosts values. */
export interface EtcOptions {
  extraHosts: HostEntry[];
  /** --dns none: no /etc/resolv.conf of ours, the image's stays. */
  noResolvConf: boolean;
  nameservers: string[];
  searches: string[];
  dnsOptions: string[];
  noHosts: boolean;
}

/** Whitespace or a control character: would start a new line or entry in /etc/hosts or resolv.conf. */
const LINE_BREAKING = /[\s\x00-\x1f\x7f]/;

/**
 * Checks the /etc/hosts and resolv.conf flags with podman's messages
 * (cmd/podman/common/netflags.go, specgen's Validate), and refuses any value
 * that would add a line of its own to either file.
 */
export function parseEtcOptions(raw: { addHosts: string[]; dns: string[]; dnsSearch: string[]; dnsOptions: string[]; noHosts: boolean }): EtcOptions {
  if (raw.noHosts && raw.addHosts.length) throw new InvalidArgumentError('--no-hosts and --add-host cannot be set together');
  const extraHosts = raw.addHosts.map((value) => {
    const at = value.indexOf(':');
    if (at <= 0) throw new InvalidArgumentError(`bad format for add-host: ${JSON.stringify(value)}`);
    const name = value.slice(0, at);
    const ip = value.slice(at + 1).trim();
    if (!isIP(ip)) throw new InvalidArgumentError(`invalid IP address in add-host: ${JSON.stringify(value.slice(at + 1))}`);
    if (LINE_BREAKING.test(name) || name.includes('#')) throw new InvalidArgumentError(`invalid host name in add-host: ${JSON.stringify(name)}`);
    return { ip, names: [name] };
  });
  let noResolvConf = false;
  const nameservers: string[] = [];
  for (const d of raw.dns) {
    if (d === 'none') {
      if (raw.dns.length > 1) throw new InvalidArgumentError(`${d} is not allowed to be specified with other DNS ip addresses`);
      noResolvConf = true;
      break;
    }
    if (!isIP(d)) throw new InvalidArgumentError(`${shown(d)} is not an ip address`);
    nameservers.push(d);
  }
  for (const dom of raw.dnsSearch) {
    if (dom === '.') {
      if (raw.dnsSearch.length > 1) throw new InvalidArgumentError("cannot pass additional search domains when also specifying '.'");
      continue;
    }
    if (!/[a-zA-Z]/.test(dom) || !DOMAIN.test(dom) || dom.length >= 255) throw new InvalidArgumentError(`${shown(dom)} is not a valid domain`);
  }
  for (const opt of raw.dnsOptions) {
    if (opt === '' || LINE_BREAKING.test(opt)) throw new InvalidArgumentError(`invalid DNS option ${JSON.stringify(opt)}`);
  }
  if (noResolvConf && raw.dnsSearch.length) throw new InvalidArgumentError('UseImageResolvConf and DNSSearch are mutually exclusive options');
  if (noResolvConf && raw.dnsOptions.length) throw new InvalidArgumentError('UseImageResolvConf and DNSOption are mutually exclusive options');
  return { extraHosts, noResolvConf, nameservers, searches: raw.dnsSearch, dnsOptions: raw.dnsOptions, noHosts: raw.noHosts };
}

/** A value as podman prints it, quoted when it would break the one-line error. */
function shown(value: string): string {
  return LINE_BREAKING.test(value) ? JSON.stringify(value) : value;
}

// podman's parse.ValidateDomain, without its trailing-whitespace leniency.
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*\.?$/;

/**
 * Throws unless `hostname` can be the container's host name: at most 64
 * bytes (the kernel's limit) and nothing that would break /etc/hosts.
 */
export function checkHostname(hostname: string): void {
  if (hostname === '' || LINE_BREAKING.test(hostname) || hostname.includes('#') || Buffer.byteLength(hostname) > 64) {
    throw new InvalidArgumentError(`invalid hostname ${JSON.stringify(hostname)}: at most 64 characters, no spaces, control characters or #`);
  }
}

/**
 * The /etc/hosts entries of a container on user networks, as podman 4.3
 * makes them (etchosts.GetNetworkHostEntries): each of its addresses on
 * each network, with all of `names` (its hostname and name).
 */
export function networkHostEntries(status: Record<string, NetavarkNetworkStatus | undefined>, names: string[]): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const block of Object.values(status)) {
    for (const iface of Object.values(block?.interfaces ?? {})) {
      for (const subnet of iface.subnets ?? []) entries.push({ ip: subnet.ipnet.split('/')[0]!, names });
    }
  }
  return entries;
}

/** Where a container on user networks has its hosts file, and the file it is made from at each start. */
export interface NetworkHostsFiles {
  path: string;
  /** The file as create wrote it, without the container's addresses (known only once its networks are set up). */
  base: string;
}

/**
 * Writes the hosts file anew, in place (it is bind-mounted), as the base
 * file and then `entries` with the names the base does not have yet: what
 * podman 4.3 writes at each start of a container on user networks, so
 * the addresses of an earlier start do not linger.
 */
export async function writeNetworkHosts(files: NetworkHostsFiles, entries: HostEntry[]): Promise<void> {
  const base = await fsp.readFile(files.base, 'utf8');
  await fsp.writeFile(files.path, base + withFreeNames(entries, parseHosts(base)));
}

/**
 * `network connect` of a running container: appends `entries` (its
 * addresses on the new network) when the file still has one of
 * `existing` (its addresses on its other networks), all names each, or,
 * when it had none, with the names not yet in the file. podman's
 * etchosts.AddIfExists: entries the user changed are left alone. In place.
 */
export async function addHostsEntries(path: string, existing: HostEntry[], entries: HostEntry[]): Promise<void> {
  const current = await fsp.readFile(path, 'utf8');
  const parsed = parseHosts(current);
  let added: string;
  if (existing.length === 0) added = withFreeNames(entries, parsed);
  else if (parsed.some((e) => matchesEntry(e, existing))) added = entries.map(formatLine).join('');
  else return;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await fsp.appendFile(path, separator + added);
}

/**
 * `network disconnect` of a running container: drops the lines of
 * `entries` (same address and one name in common), as podman's
 * etchosts.Remove. In place.
 */
export async function removeHostsEntries(path: string, entries: HostEntry[]): Promise<void> {
  const current = await fsp.readFile(path, 'utf8');
  const kept = parseHosts(current).filter((e) => !matchesEntry(e, entries));
  await fsp.writeFile(path, kept.map(formatLine).join(''));
}

function matchesEntry(entry: HostEntry, entries: HostEntry[]): boolean {
  return entries.some((e) => e.ip === entry.ip && entry.names.some((n) => e.names.includes(n)));
}
