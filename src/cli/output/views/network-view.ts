import type { NetworkConfig } from '../../../engine/network/networks.js';

/**
 * A network as `network ls` and `network inspect` templates see it:
 * podman's Go field names (.ID, .Name, .Subnets, ...). JSON output is the
 * stored config itself, with podman's json keys.
 */
export class NetworkView {
  constructor(private readonly network: NetworkConfig, private readonly noTrunc = true) {}

  get ID(): string { return this.noTrunc ? this.network.id : this.network.id.slice(0, 12); }
  get Name(): string { return this.network.name; }
  get Driver(): string { return this.network.driver; }
  get NetworkInterface(): string { return this.network.network_interface; }
  get Created(): string { return this.network.created; }
  get Subnets(): Array<{ Subnet: string; Gateway: string; LeaseRange?: unknown }> {
    return this.network.subnets.map((s) => ({ Subnet: s.subnet, Gateway: s.gateway ?? '', ...(s.lease_range ? { LeaseRange: { StartIP: s.lease_range.start_ip, EndIP: s.lease_range.end_ip } } : {}) }));
  }
  get IPv6Enabled(): boolean { return this.network.ipv6_enabled; }
  get Internal(): boolean { return this.network.internal; }
  get DNSEnabled(): boolean { return this.network.dns_enabled; }
  get Labels(): Record<string, string> { return this.network.labels ?? {}; }
  get Options(): Record<string, string> { return this.network.options ?? {}; }
  get IPAMOptions(): Record<string, string> { return this.network.ipam_options; }

  toJSON(): NetworkConfig {
    return this.network;
  }
}

export const NETWORK_COLUMNS = [
  { header: 'NETWORK ID', field: 'ID' },
  { header: 'NAME', field: 'Name' },
  { header: 'DRIVER', field: 'Driver' },
];
