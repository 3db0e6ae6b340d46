import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { Ipam } from './ipam.js';
import type { PortMapping } from './ports.js';
import { addSlirpHostForwards, removeSlirpHostForwards } from './slirp4netns.js';
import { exec } from '../util/exec.js';
import { netavarkConfigDir, runNetavark, sbinEnv, type NetavarkInput, type NetavarkNetworkStatus, type PerNetworkOptions } from './netavark.js';

export type { ContainerNetworkState };
import type { NetworkConfig } from './network-config.js';
import { NetworkStore } from './network-store.js';
import type { ContainerNetworkState } from './network-status.js';
import { RootlessNetns } from './rootless-netns.js';

/** Where user networks keep their state: configs under the graph root, the rest under the run root. */
export interface UserNetworkPaths {
  /** `<graphRoot>/networks`: the network configs. */
  configDir: string;
  /** `<runRoot>/networks`: rootless netns, netavark state, IP leases, containers' network state. */
  runDir: string;
}

/** A container's wish for one network (from --network NAME:ip=..., --network-alias, --ip, --mac-address). */
export interface NetworkAttachment {
  aliases: string[];
  staticIps: string[];
  staticMac?: string;
}


/**
 * Connects containers to user networks and back: IP leases (ipam.ts),
 * netavark setup/teardown inside the rootless network namespace, and a
 * state file per container (`<runDir>/containers/<id>.json`, owned here).
 * Runs as root of the user namespace; every change happens under the
 * rootless netns lock.
 */
export class ContainerNetworks {
  readonly rootless: RootlessNetns;
  readonly ipam: Ipam;
  readonly store: NetworkStore;

  constructor(readonly paths: UserNetworkPaths) {
    this.rootless = new RootlessNetns(paths.runDir);
    this.ipam = new Ipam(join(paths.runDir, 'ipam'));
    this.store = new NetworkStore(paths.configDir);
  }

  private stateFile(id: string): string {
    return join(this.paths.runDir, 'containers', `${id}.json`);
  }

  /** The container's network state, when it has networks set up. No lock: written atomically. */
  async read(id: string): Promise<ContainerNetworkState | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.stateFile(id), 'utf8')) as ContainerNetworkState;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  /**
   * Sets up the container's network namespace `netns` (already created) on
   * `networks`, in order (eth0, eth1, ...), starting the rootless netns
   * when needed, and publishes `ports` (see publishLocked). On failure
   * nothing stays: leases given back, interfaces torn down, host ports
   * freed; a host port that cannot be bound fails with podman's message.
   */
  async setup(id: string, containerName: string, netns: string, networks: Record<string, NetworkAttachment>, ports: PortMapping[] = []): Promise<ContainerNetworkState> {
    return this.rootless.withLock(async () => {
      await this.rootless.ensureLocked();
      const state: ContainerNetworkState = { containerName, netns, networks: {}, networkInfo: {}, status: {}, ...(ports.length ? { ports } : {}) };
      try {
        let index = 0;
        for (const [name, attachment] of Object.entries(networks)) {
          await this.attachLocked(id, state, name, attachment, `eth${index++}`);
        }
        await this.publishLocked(id, state);
      } catch (err) {
        await this.unpublishLocked(state).catch(() => undefined);
        await this.detachAllLocked(id, state).catch(() => undefined);
        await this.destroyIfUnusedLocked();
        throw err;
      }
      return state;
    });
  }

  /** Connects a running container to one more network (`network connect`). */
  async connect(id: string, network: string, attachment: NetworkAttachment): Promise<void> {
    await this.rootless.withLock(async () => {
      const state = await this.read(id);
      if (!state) throw new SkiffError('ENOTRUNNING', 'the container has no network namespace set up');
      const used = new Set(Object.values(state.networks).map((n) => n.interface_name));
      let index = 0;
      while (used.has(`eth${index}`)) index++;
      await this.attachLocked(id, state, network, attachment, `eth${index}`);
      await this.publishLocked(id, state);
    });
  }

  /** Disconnects a running container from one network (`network disconnect`). */
  async disconnect(id: string, network: string): Promise<void> {
    await this.rootless.withLock(async () => {
      const state = await this.read(id);
      if (!state?.networks[network]) return;
      // Its ports go to the container's address on a network it keeps, if any.
      const moved = state.forwards?.network === network;
      if (moved) await this.unpublishLocked(state);
      await this.detachLocked(id, state, network);
      if (moved && Object.keys(state.networks).length) await this.publishLocked(id, state);
    });
  }

  /**
   * Tears down everything set up for the container and gives its addresses
   * back; removes the rootless netns when no container uses it any more.
   * Idempotent (a no-op without state), so the monitor at exit and the
   * engine repairing after a killed monitor may both call it. Does not
   * remove the container's own namespace file.
   */
  async teardown(id: string): Promise<void> {
    if (!(await this.read(id))) return;
    await this.rootless.withLock(async () => {
      const state = await this.read(id);
      const last = (await this.attachedContainers()).every((c) => c.id === id);
      if (state && last) await this.discardLastLocked(id, state);
      else if (state) {
        await this.unpublishLocked(state);
        await this.detachAllLocked(id, state);
      }
      await this.destroyIfUnusedLocked();
    });
  }

  /**
   * The last container out: the rootless netns goes next, and its bridges
   * and firewall rules with it, so netavark's teardown (170 ms here, most
   * of it waiting for aardvark-dns to stop) is skipped. What outlives the
   * namespace is undone by hand: aardvark-dns stopped, its records
   * removed, the leases given back.
   */
  private async discardLastLocked(id: string, state: ContainerNetworkState): Promise<void> {
    const aardvarkDir = join(this.configDir, 'aardvark-dns');
    const pid = Number((await fsp.readFile(join(aardvarkDir, 'aardvark.pid'), 'utf8').catch(() => '')).trim());
    // The pid file may outlive its process: only an aardvark-dns is told to stop.
    const comm = Number.isInteger(pid) && pid > 0 ? (await fsp.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() : '';
    if (comm === 'aardvark-dns') {
      try {
        process.kill(pid, 'SIGTERM');
      } catch (err) {
        if (!isErrno(err, 'ESRCH')) throw err;
      }
    }
    await fsp.rm(aardvarkDir, { recursive: true, force: true });
    for (const name of Object.keys(state.networks)) await this.ipam.release(name, id);
    await fsp.rm(this.stateFile(id), { force: true });
  }

  /** Runs netavark setup again for every container with networks (`network reload`): rules and aardvark come back. */
  async reload(id: string): Promise<void> {
    await this.rootless.withLock(async () => {
      const state = await this.read(id);
      if (!state) throw new SkiffError('ENOTRUNNING', 'the container has no network namespace set up');
      await this.rootless.ensureLocked();
      const input: NetavarkInput = { container_id: id, container_name: state.containerName, networks: state.networks, network_info: state.networkInfo };
      // The same MAC addresses again, as podman's reload keeps them: peers' ARP caches stay right.
      for (const [name, options] of Object.entries(state.networks)) {
        const mac = state.status[name]?.interfaces[options.interface_name]?.mac_address;
        if (mac && !options.static_mac) input.networks[name] = { ...options, static_mac: mac };
      }
      await runNetavark('teardown', this.rootless.netnsFile, this.configDir, state.netns, input).catch(() => undefined);
      state.status = await runNetavark('setup', this.rootless.netnsFile, this.configDir, state.netns, input);
      await this.unpublishLocked(state);
      await this.publishLocked(id, state);
      await this.save(id, state);
    });
  }

  /** The ids of containers that have networks set up (for `network rm`, `ls --filter dangling`). */
  async attachedContainers(): Promise<Array<{ id: string; state: ContainerNetworkState }>> {
    const dir = join(this.paths.runDir, 'containers');
    let files: string[];
    try {
      files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const states = await Promise.all(files.map(async (f) => ({ id: f.slice(0, -5), state: await this.read(f.slice(0, -5)) })));
    return states.filter((s): s is { id: string; state: ContainerNetworkState } => s.state !== undefined);
  }

  private get configDir(): string {
    return netavarkConfigDir(this.paths.runDir);
  }

  private async attachLocked(id: string, state: ContainerNetworkState, name: string, attachment: NetworkAttachment, interfaceName: string): Promise<void> {
    const config = await this.store.get(name);
    if (state.networks[config.name]) throw new SkiffError('ENETWORKCONNECTED', `container ${id} is already connected to network ${config.name}: network is already connected`);
    const ips = await this.ipam.allocate(config, id, attachment.staticIps);
    const options: PerNetworkOptions = {
      interface_name: interfaceName,
      static_ips: ips,
      // podman always adds the short id, for docker's compatibility.
      aliases: [...attachment.aliases, id.slice(0, 12)],
      ...(attachment.staticMac ? { static_mac: attachment.staticMac } : {}),
    };
    const info = withRootlessMtu(config);
    const input: NetavarkInput = { container_id: id, container_name: state.containerName, networks: { [config.name]: options }, network_info: { [config.name]: info } };
    let status: Record<string, NetavarkNetworkStatus>;
    try {
      status = await runNetavark('setup', this.rootless.netnsFile, this.configDir, state.netns, input);
    } catch (err) {
      await this.ipam.release(config.name, id);
      throw err;
    }
    state.networks[config.name] = options;
    state.networkInfo[config.name] = info;
    state.status[config.name] = status[config.name];
    await this.save(id, state);
  }

  /**
   * Publishes the container's ports, when it has some and they are not
   * forwarded yet: the rootless netns's slirp4netns binds each host port
   * and forwards it straight to the container's IPv4 address on its first
   * network that has one (no NAT: the container sees the client's own
   * address, the host's loopback as 10.0.2.2, as with --network
   * slirp4netns). Saves the state. The caller holds the lock.
   */
  private async publishLocked(id: string, state: ContainerNetworkState): Promise<void> {
    if (!state.ports?.length || state.forwards) return;
    const target = Object.entries(state.networks).map(([network, options]) => ({
      network,
      guestAddr: state.status[network]?.interfaces[options.interface_name]?.subnets?.map((s) => s.ipnet.split('/')[0]).find((ip) => !ip.includes(':')),
    })).find((t) => t.guestAddr !== undefined);
    if (!target) throw new SkiffError('ENETWORK', 'published ports need an IPv4 address on one of the container\'s networks');
    const slirp = await this.rootless.slirpIdentity();
    if (!slirp) throw new SkiffError('ESLIRP', 'the rootless network namespace has no slirp4netns running');
    const ids = await addSlirpHostForwards(this.rootless.apiSocket, state.ports, target.guestAddr!);
    state.forwards = { slirp, network: target.network, guestAddr: target.guestAddr!, ids };
    await this.save(id, state);
  }

  /** Frees the container's host ports (remove_hostfwd), unless the slirp4netns that bound them is gone (and they with it). The caller holds the lock and saves the state. */
  private async unpublishLocked(state: ContainerNetworkState): Promise<void> {
    const forwards = state.forwards;
    if (!forwards) return;
    if (await this.rootless.slirpIdentity() === forwards.slirp) await removeSlirpHostForwards(this.rootless.apiSocket, forwards.ids);
    delete state.forwards;
  }

  private async detachLocked(id: string, state: ContainerNetworkState, name: string): Promise<void> {
    const input: NetavarkInput = { container_id: id, container_name: state.containerName, networks: { [name]: state.networks[name] }, network_info: { [name]: state.networkInfo[name] } };
    // A namespace already gone (its container's monitor was killed, the netns unmounted) still needs the bridge side and aardvark cleaned.
    await runNetavark('teardown', this.rootless.netnsFile, this.configDir, state.netns, input).catch(async (err: Error) => {
      if (await fsp.access(state.netns).then(() => true, () => false)) throw err;
    });
    await this.forgetNeighboursLocked(state, name);
    await this.ipam.release(name, id);
    delete state.networks[name];
    delete state.networkInfo[name];
    delete state.status[name];
    // Kept with no network left: a running container disconnected from all can be connected again (teardown removes it).
    await this.save(id, state);
  }

  /**
   * The rootless netns still knows the container's MAC address for its
   * IPs (its neighbour cache): the next container given the same address
   * would be unreachable from there (published ports, other networks'
   * gateways) until the stale entry times out, ~8 s. Forgotten now.
   */
  private async forgetNeighboursLocked(state: ContainerNetworkState, name: string): Promise<void> {
    const options = state.networks[name];
    const ips = state.status[name]?.interfaces[options?.interface_name ?? '']?.subnets?.map((s) => s.ipnet.split('/')[0]) ?? [];
    for (const ip of ips) await exec('nsenter', [`--net=${this.rootless.netnsFile}`, 'ip', 'neigh', 'flush', 'to', ip], { env: sbinEnv() });
  }

  private async detachAllLocked(id: string, state: ContainerNetworkState): Promise<void> {
    const failures: string[] = [];
    for (const name of Object.keys(state.networks)) {
      await this.detachLocked(id, state, name).catch((err: Error) => failures.push(err.message));
    }
    await fsp.rm(this.stateFile(id), { force: true });
    if (failures.length) throw new SkiffError('ENETAVARK', failures.join('; '));
  }

  private async destroyIfUnusedLocked(): Promise<void> {
    if ((await this.attachedContainers()).length === 0) await this.rootless.destroyLocked();
  }

  private async save(id: string, state: ContainerNetworkState): Promise<void> {
    await fsp.mkdir(join(this.paths.runDir, 'containers'), { recursive: true });
    await writeJsonAtomic(this.stateFile(id), state);
  }
}


/** slirp4netns's MTU in the rootless netns (its tap0). */
const ROOTLESS_MTU = '65520';

/**
 * The network as netavark sets it up here: without an MTU of its own
 * (`-o mtu=`), the rootless netns's, as podman 5.3 does for rootless
 * networks (podman#23883). slirp4netns ends every TCP connection itself,
 * so the segments between it and a container are as large as the bridge
 * lets them be: 1500 costs half the throughput of published ports and
 * of the way out. The stored config is left as podman 4.3 writes it.
 */
export function withRootlessMtu(config: NetworkConfig): NetworkConfig {
  if (config.options?.mtu !== undefined) return config;
  return { ...config, options: { ...config.options, mtu: ROOTLESS_MTU } };
}
