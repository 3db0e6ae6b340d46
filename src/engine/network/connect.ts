import { readFile, writeFile } from 'node:fs/promises';
import type { MonitorConfig } from '../../monitor/protocol.js';
import type { NetworkRequest } from '../../network/network-config.js';
import { checkIp, checkMac } from '../../network/network-config.js';
import { addHostsEntries, networkHostEntries, removeHostsEntries } from '../../network/etc-files.js';
import type { NetworkMode } from '../../runtime/spec/container-spec.js';
import { ContainerStore } from '../../store/containers.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { lockContainer } from '../container/lifecycle.js';
import { isRunningOrPaused, listContainers, resolveContainerId, type ContainerRecord } from '../container/record.js';
import { userNetworkResolvConf } from './attach.js';
import { containerNetworks, networkStore } from './networks.js';

export interface NetworkConnectOptions {
  aliases: string[];
  ip?: string;
  mac?: string;
}

type BridgeMode = Extract<NetworkMode, { mode: 'bridge' }>;

/**
 * `network connect NET CTR`: adds the network to the container's config
 * and, when it runs, sets it up at once (a new interface, eth1, ...),
 * adds the network's DNS server to its resolv.conf and its new address to
 * its /etc/hosts, as podman does. Only
 * containers on user networks can be connected. Holds the container's lock.
 */
export async function connectNetwork(ctx: EngineContext, network: string, nameOrId: string, options: NetworkConnectOptions): Promise<void> {
  const config = await networkStore(ctx).get(network);
  const request: NetworkRequest = { aliases: options.aliases, staticIps: options.ip ? [checkIp(options.ip)] : [], ...(options.mac ? { staticMac: checkMac(options.mac) } : {}) };
  const id = await resolveContainerId(ctx, nameOrId);
  await lockContainer(ctx, id, nameOrId, async () => {
    const { record, running } = await bridgeRecord(ctx, id);
    if (record.spec.network.networks[config.name]) throw new SkiffError('ENETWORKCONNECTED', `container ${id} is already connected to network ${config.name}: network is already connected`);
    const mode: BridgeMode = { mode: 'bridge', networks: { ...record.spec.network.networks, [config.name]: request } };
    if (running) {
      const networks = containerNetworks(ctx);
      await networks.connect(id, config.name, request);
      const { [config.name]: added, ...others } = (await networks.read(id))?.status ?? {};
      const names = [record.spec.hostname, record.name];
      if (record.spec.etcFiles.hosts) await addHostsEntries(record.spec.etcFiles.hosts, networkHostEntries(others, names), networkHostEntries({ [config.name]: added }, names));
    }
    await saveMode(ctx, record, mode);
  });
}

/**
 * `network disconnect NET CTR`: the reverse of connectNetwork (its address
 * on the network leaves /etc/hosts too); a container
 * not on the network is podman's error.
 */
export async function disconnectNetwork(ctx: EngineContext, network: string, nameOrId: string): Promise<void> {
  const config = await networkStore(ctx).get(network);
  const id = await resolveContainerId(ctx, nameOrId);
  await lockContainer(ctx, id, nameOrId, async () => {
    const { record, running } = await bridgeRecord(ctx, id);
    if (!record.spec.network.networks[config.name]) throw new SkiffError('ENOTCONNECTED', `container ${id} is not connected to network ${config.name}`);
    const networks = { ...record.spec.network.networks };
    delete networks[config.name];
    if (running) {
      const nets = containerNetworks(ctx);
      const status = (await nets.read(id))?.status[config.name];
      await nets.disconnect(id, config.name);
      if (record.spec.etcFiles.hosts) await removeHostsEntries(record.spec.etcFiles.hosts, networkHostEntries({ [config.name]: status }, [record.spec.hostname, record.name]));
    }
    await saveMode(ctx, record, { mode: 'bridge', networks });
  });
}

/**
 * `network reload`: runs netavark setup again for running containers on
 * user networks (after their firewall rules were flushed). Returns the ids
 * reloaded; `targets` undefined means all.
 */
export async function reloadNetworks(ctx: EngineContext, targets: string[] | undefined): Promise<string[]> {
  const ids = targets ? await Promise.all(targets.map((t) => resolveContainerId(ctx, t))) : (await listContainers(ctx, { all: false })).map((c) => c.record.id);
  const done: string[] = [];
  const networks = containerNetworks(ctx);
  for (const id of ids) {
    const state = await networks.read(id);
    if (!state) {
      if (targets) throw new SkiffError('ENOTRUNNING', `container ${id} is not running on a user network: nothing to reload`);
      continue;
    }
    await networks.reload(id);
    done.push(id);
  }
  return done;
}

async function bridgeRecord(ctx: EngineContext, id: string): Promise<{ record: ContainerRecord & { spec: { network: BridgeMode } }; running: boolean }> {
  const store = new ContainerStore(ctx.layout);
  const record = await store.readConfig<ContainerRecord>(id);
  const state = await store.readState(id);
  if (!record) throw new SkiffError('ENOCONTAINER', `no container with name or ID "${id}" found: no such container`);
  if (record.spec.network.mode !== 'bridge') {
    throw new SkiffError('EINVALIDARG', `"${record.spec.network.mode}" is not supported: invalid network mode`, { hint: 'only containers created on a user network (--network NAME) can be connected' });
  }
  return { record: record as ContainerRecord & { spec: { network: BridgeMode } }, running: Boolean(state && isRunningOrPaused(state.status)) };
}

/** The new network list in config.json, monitor.json (the next start) and resolv.conf (its DNS servers). */
async function saveMode(ctx: EngineContext, record: ContainerRecord, mode: BridgeMode): Promise<void> {
  await new ContainerStore(ctx.layout).writeConfig(record.id, { ...record, spec: { ...record.spec, network: mode } });
  const path = ctx.layout.containerMonitorConfig(record.id);
  try {
    const monitor = JSON.parse(await readFile(path, 'utf8')) as MonitorConfig;
    await writeJsonAtomic(path, { ...monitor, network: mode }, 0o600);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  // In place: the container has this very file bind-mounted (none with --dns none).
  if (record.spec.etcFiles.resolvConf) await writeFile(record.spec.etcFiles.resolvConf, await userNetworkResolvConf(ctx, mode));
}
