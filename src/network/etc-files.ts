import { readFileSync } from 'node:fs';

export interface EtcFilesInput {
  hostname: string;
  name: string;
  /** The container's own address, when it has one (slirp4netns: 10.0.2.100). */
  ip?: string;
  /** The address of the host as seen from the container, for host.containers.internal. */
  hostGateway?: string;
  /** Nameservers to use; undefined means the host's resolv.conf. */
  nameservers?: string[];
}

/** /etc/hosts as podman writes it for a container. */
export function hostsFile(input: EtcFilesInput): string {
  const lines = ['127.0.0.1\tlocalhost localhost.localdomain', '::1\tlocalhost localhost.localdomain'];
  const names = input.hostname === input.name ? input.hostname : `${input.hostname} ${input.name}`;
  lines.push(`${input.ip ?? '127.0.1.1'}\t${names}`);
  if (input.hostGateway) lines.push(`${input.hostGateway}\thost.containers.internal host.docker.internal`);
  return lines.join('\n') + '\n';
}

/**
 * /etc/resolv.conf: the given nameservers, or the host's file without
 * loopback nameservers (they mean nothing inside another network namespace).
 */
export function resolvConf(input: EtcFilesInput, hostResolvConf = readHostResolvConf()): string {
  if (input.nameservers) return input.nameservers.map((ns) => `nameserver ${ns}`).join('\n') + '\n';
  return hostResolvConf;
}

function readHostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
