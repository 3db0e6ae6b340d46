import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { SkiffError } from '../util/errors.js';
import type { NetworkConfig } from './network-config.js';

/** Where Debian's netavark and aardvark-dns packages put them (podman's helper_binaries_dir). */
export const NETAVARK = '/usr/lib/podman/netavark';
export const AARDVARK_DNS = '/usr/lib/podman/aardvark-dns';

/** A container's options on one network, as netavark's `networks` map takes them. */
export interface PerNetworkOptions {
  interface_name: string;
  static_ips?: string[];
  static_mac?: string;
  aliases?: string[];
}

/** What netavark reports per network after setup. */
export interface NetavarkNetworkStatus {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces: Record<string, { mac_address: string; subnets?: Array<{ ipnet: string; gateway?: string }> }>;
}

export interface NetavarkInput {
  container_id: string;
  container_name: string;
  networks: Record<string, PerNetworkOptions>;
  network_info: Record<string, NetworkConfig>;
  port_mappings?: unknown[];
}

/**
 * The environment for the tools of the rootless network namespace
 * (netavark, and the iptables it and skiff run): PATH with the sbin
 * directories, where Debian installs iptables but a normal user's PATH
 * does not look (podman adds them for the same reason).
 */
export function sbinEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean);
  for (const dir of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!path.includes(dir)) path.push(dir);
  return { ...env, PATH: path.join(':') };
}

/**
 * Runs `netavark setup|teardown NETNS` with `input` on stdin, inside the
 * rootless network namespace `rootlessNetns` (where its bridges, firewall
 * rules and aardvark-dns live). `configDir` keeps netavark's and
 * aardvark-dns's state. Returns setup's status; throws with netavark's
 * own error message.
 */
export async function runNetavark(command: 'setup' | 'teardown', rootlessNetns: string, configDir: string, netnsPath: string, input: NetavarkInput): Promise<Record<string, NetavarkNetworkStatus>> {
  await mkdir(configDir, { recursive: true });
  const args = [`--net=${rootlessNetns}`, NETAVARK, '--config', configDir, '--rootless', 'true', '--aardvark-binary', AARDVARK_DNS, command, netnsPath];
  const result = await exec('nsenter', args, { input: JSON.stringify(input), timeoutMs: 60_000, env: sbinEnv() });
  if (result.exitCode !== 0) {
    throw new SkiffError('ENETAVARK', `netavark ${command}: ${netavarkMessage(result.stderr || result.stdout) || `exited with code ${result.exitCode}`}`);
  }
  if (command === 'teardown') return {};
  return JSON.parse(result.stdout) as Record<string, NetavarkNetworkStatus>;
}

/** netavark prints its errors as JSON ({"error": "..."}) or plain text. */
function netavarkMessage(text: string): string {
  const trimmed = text.trim();
  try {
    const parsed = JSON.parse(trimmed) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    // plain text
  }
  return trimmed.split('\n').pop() ?? '';
}

/** netavark's and aardvark-dns's state directory under a run directory. */
export function netavarkConfigDir(runDir: string): string {
  return join(runDir, 'netavark');
}
