import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../util/errors.js';
import type { NetavarkNetworkStatus, PerNetworkOptions } from './netavark.js';
import type { NetworkConfig } from './network-config.js';
import type { PortMapping } from './ports.js';

// Apart from container-networks.ts so that inspect loads only this.

/**
 * What is set up for a running container: the input netavark was given
 * (needed again for its teardown, whatever the networks look like by
 * then) and what it reported.
 */
export interface ContainerNetworkState {
  containerName: string;
  netns: string;
  networks: Record<string, PerNetworkOptions>;
  networkInfo: Record<string, NetworkConfig>;
  status: Record<string, NetavarkNetworkStatus>;
  /** The container's published ports (-p, -P). */
  ports?: PortMapping[];
  /** Where they are forwarded now: the rootless netns's slirp4netns (by identity) and its forward ids, to one network's address. */
  forwards?: { slirp: string; network: string; guestAddr: string; ids: number[] };
}

/** The container's network state, read synchronously (inspect): undefined when none is set up. */
export function readContainerNetworkStateSync(runDir: string, id: string): ContainerNetworkState | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, 'containers', `${id}.json`), 'utf8')) as ContainerNetworkState;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** One entry of inspect's .NetworkSettings.Networks, podman's InspectAdditionalNetwork. */
export interface InspectNetwork {
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  NetworkID: string;
  DriverOpts: null;
  IPAMConfig: null;
  Links: null;
  Aliases: string[];
}

/**
 * inspect's .NetworkSettings.Networks as podman fills it: one entry per
 * configured network, named by the network (NetworkID is its name, as
 * podman's); addresses only while `state` (the running container's) has them.
 */
export function inspectNetworks(configured: Record<string, { aliases: string[] }>, state: ContainerNetworkState | undefined): Record<string, InspectNetwork> {
  const out: Record<string, InspectNetwork> = {};
  const names = [...new Set([...Object.keys(configured), ...Object.keys(state?.networks ?? {})])];
  for (const name of names) {
    const entry: InspectNetwork = {
      EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      MacAddress: '', NetworkID: name, DriverOpts: null, IPAMConfig: null, Links: null,
      Aliases: state?.networks[name]?.aliases ?? configured[name]?.aliases ?? [],
    };
    const status = state?.status[name];
    for (const ifname of Object.keys(status?.interfaces ?? {}).sort()) {
      const iface = status!.interfaces[ifname];
      for (const s of iface.subnets ?? []) {
        const [ip, prefix] = s.ipnet.split('/');
        if (!ip.includes(':') && !entry.IPAddress) {
          entry.IPAddress = ip;
          entry.IPPrefixLen = Number(prefix);
          entry.Gateway = s.gateway ?? '';
        } else if (ip.includes(':') && !entry.GlobalIPv6Address) {
          entry.GlobalIPv6Address = ip;
          entry.GlobalIPv6PrefixLen = Number(prefix);
          entry.IPv6Gateway = s.gateway ?? '';
        }
      }
      entry.MacAddress ||= iface.mac_address;
    }
    out[name] = entry;
  }
  return out;
}
