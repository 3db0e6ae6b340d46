/**
 * The [containers] settings of podman's containers.conf that shape a
 * container's /etc/hosts and resolv.conf, read where podman reads them:
 * $CONTAINERS_CONF alone when set; else /usr/share/containers, then
 * /etc/containers, then (rootless) $XDG_CONFIG_HOME/containers, each file's
 * keys overriding the earlier ones'.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { SkiffError } from '../util/errors.js';
import { isRootUser } from './paths.js';

export interface ContainersConfEtc {
  /** dns_servers: nameservers before any --dns. */
  dnsServers: string[];
  /** dns_searches: search domains before any --dns-search. */
  dnsSearches: string[];
  /** dns_options: options before any --dns-option. */
  dnsOptions: string[];
  /** base_hosts_file: '' (the host's /etc/hosts), 'none', 'image' or a path. */
  baseHostsFile: string;
  /** host_containers_internal_ip: '' (chosen), 'none', or an address. */
  hostContainersInternalIp: string;
  /** no_hosts: --no-hosts by default. */
  noHosts: boolean;
}

/** The files podman would read, in order (later keys win). */
export function containersConfFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONTAINERS_CONF) return [env.CONTAINERS_CONF];
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
  if (!isRootUser()) files.push(join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'containers', 'containers.conf'));
  return files;
}

/**
 * Reads the settings above; a missing file is skipped, one that does not
 * parse is an error naming it.
 */
export function readContainersConfEtc(files: string[] = containersConfFiles()): ContainersConfEtc {
  const conf: ContainersConfEtc = { dnsServers: [], dnsSearches: [], dnsOptions: [], baseHostsFile: '', hostContainersInternalIp: '', noHosts: false };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let table: unknown;
    try {
      table = (parseToml(text) as { containers?: unknown }).containers;
    } catch (err) {
      throw new SkiffError('ECONFIG', `reading ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof table !== 'object' || table === null) continue;
    const t = table as Record<string, unknown>;
    const strings = (key: string) => (Array.isArray(t[key]) ? (t[key] as unknown[]).map(String) : undefined);
    conf.dnsServers = strings('dns_servers') ?? conf.dnsServers;
    conf.dnsSearches = strings('dns_searches') ?? conf.dnsSearches;
    conf.dnsOptions = strings('dns_options') ?? conf.dnsOptions;
    if (typeof t.base_hosts_file === 'string') conf.baseHostsFile = t.base_hosts_file;
    if (typeof t.host_containers_internal_ip === 'string') conf.hostContainersInternalIp = t.host_containers_internal_ip;
    if (typeof t.no_hosts === 'boolean') conf.noHosts = t.no_hosts;
  }
  return conf;
}
