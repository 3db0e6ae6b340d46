/**
 * containers.conf(5), the keys skiff follows, read where podman reads them:
 * $CONTAINERS_CONF alone when set; else /usr/share/containers, then
 * /etc/containers, then (rootless) $XDG_CONFIG_HOME/containers, each
 * file's keys overriding the earlier ones'. A missing or unreadable file is
 * skipped; one that does not parse is an error naming it.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { SkiffError } from '../util/errors.js';
import { isRootUser } from './paths.js';

/** The [containers] keys that shape a container's /etc/hosts and resolv.conf. */
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
  /** [engine] image_volume_mode: bind, tmpfs or ignore, the default of --image-volume. */
  imageVolumeMode?: string;
}

export interface ContainersConf {
  containers: ContainersConfEtc;
  /** Present when a file has a key skiff follows in [network]. */
  network?: {
    /** default_rootless_network_cmd: slirp4netns or pasta, the network of a rootless container without --network. */
    defaultRootlessNetworkCmd?: string;
  };
}

/** The files podman would read, in order (later keys win). */
export function containersConfFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONTAINERS_CONF) return [env.CONTAINERS_CONF];
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
  if (!isRootUser()) files.push(join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'containers', 'containers.conf'));
  return files;
}

/** Reads and merges the files; see the module's comment. */
export function readContainersConf(files: string[] = containersConfFiles()): ContainersConf {
  const conf: ContainersConf = {
    containers: { dnsServers: [], dnsSearches: [], dnsOptions: [], baseHostsFile: '', hostContainersInternalIp: '', noHosts: false },
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      throw new SkiffError('ECONFIG', `decoding configuration file "${file}": ${(err as Error).message.split('\n')[0]}`);
    }
    const containers = table(doc.containers);
    if (containers) {
      const c = conf.containers;
      const strings = (key: string) => (Array.isArray(containers[key]) ? (containers[key] as unknown[]).map(String) : undefined);
      c.dnsServers = strings('dns_servers') ?? c.dnsServers;
      c.dnsSearches = strings('dns_searches') ?? c.dnsSearches;
      c.dnsOptions = strings('dns_options') ?? c.dnsOptions;
      if (typeof containers.base_hosts_file === 'string') c.baseHostsFile = containers.base_hosts_file;
      if (typeof containers.host_containers_internal_ip === 'string') c.hostContainersInternalIp = containers.host_containers_internal_ip;
      if (typeof containers.no_hosts === 'boolean') c.noHosts = containers.no_hosts;
    }
    const imageVolumeMode = table(doc.engine)?.image_volume_mode;
    if (typeof imageVolumeMode === 'string') conf.containers.imageVolumeMode = imageVolumeMode;
    const cmd = table(doc.network)?.default_rootless_network_cmd;
    if (typeof cmd === 'string') conf.network = { ...conf.network, defaultRootlessNetworkCmd: cmd };
  }
  return conf;
}

/** The [containers] settings alone (what `run`/`create` pass down for /etc files). */
export function readContainersConfEtc(files: string[] = containersConfFiles()): ContainersConfEtc {
  return readContainersConf(files).containers;
}

function table(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
