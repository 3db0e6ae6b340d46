import { promises as fsp, readFileSync, readlinkSync, statSync, statfsSync } from 'node:fs';
import { hostname as hostHostname, userInfo } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { Image } from '../../oci/image-spec.js';
import type { MonitorConfig, StorageMount } from '../../monitor/protocol.js';
import type { StorageChoice } from '../storage-driver.js';
import { slirpAddresses } from '../../network/slirp4netns.js';
import { checkHostname, hostContainersInternalIp, hostsFile, parseEtcOptions, resolvConf } from '../../network/etc-files.js';
import { parseNetworkMode } from '../../network/mode.js';
import { generateRuntimeSpec, CapabilityError } from '../../runtime/spec/generate.js';
import { runtimeFlagArgs } from '../../runtime/driver.js';
import type { ContainerSpec, NetworkMode } from '../../runtime/spec/container-spec.js';
import { ContainerStore } from '../../store/containers.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { newId, randomName, NAME_PATTERN } from '../../util/ids.js';
import type { ContainersConfEtc } from '../../config/containers-conf.js';
import type { EngineContext } from '../context.js';
import type { ContainerRecord, PortMapping } from './record.js';
import { parseSignal } from './lifecycle.js';
import { parseLogConfig } from './log-config.js';
import { matchImage, resolveImage } from '../image/images.js';
import type { ImageRecord } from '../../store/images.js';
import { imagePathType, readImageFile } from '../../image/layer/read-file.js';
import { ContainerStartError } from '../errors.js';
import { lookupNetworkContainer } from './network-deps.js';
import { containerUserns, passwdAdditions, type HostUser } from './userns.js';
import { readSubIds } from '../../userns/subid.js';
import { mappedLayerDir, mappingKey } from '../../store/id-shift.js';
import { applyMounts, planMounts, undoMounts } from './mounts/resolve.js';
import { checkNetworkFlagsWithoutBridge, isUserNetworkValue, userNetworkMode, userNetworkResolvConf } from '../network/attach.js';

export interface ContainerCreateOptions {
  image: string;
  /** Arguments after the image; replace the image's Cmd. */
  command: string[];
  name?: string;
  /** --entrypoint: undefined keeps the image's; '' clears it. */
  entrypoint?: string;
  env: string[];
  envFiles: string[];
  /** --unsetenv: default and image variables left out (one given with --env still counts). */
  unsetEnv?: string[];
  /** --unsetenv-all: no default or image variables at all, only --env and --env-file. */
  unsetEnvAll?: boolean;
  /** --env-host: the caller's whole environment over the image's. */
  envHost?: boolean;
  /** --http-proxy (default true): the caller's proxy variables over the image's. */
  httpProxy?: boolean;
  /** --tz: a zone name of the host's zoneinfo (Europe/Paris), or `local` for the host's own zone. */
  timezone?: string;
  workdir?: string;
  user?: string;
  /** --userns (keep-id[:uid=,gid=], host), --uidmap and --gidmap: a user namespace of the container's own. */
  userns?: string;
  uidmap?: string[];
  gidmap?: string[];
  hostname?: string;
  network: string;
  /** --add-host HOST:IP entries, first in /etc/hosts. */
  addHosts?: string[];
  /** --dns servers, or ['none'] for no resolv.conf of skiff's (the image's stays). */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --no-hosts: the image's own /etc/hosts; undefined: containers.conf's no_hosts. */
  noHosts?: boolean;
  /** containers.conf's [containers] settings for /etc/hosts and resolv.conf (read by the CLI). */
  containersConf?: ContainersConfEtc;
  /** -p/--publish values, each `[[IP:][HOSTPORT]:]CPORT[/PROTO]` (comma lists already split). */
  publish?: string[];
  /** -P/--publish-all: every exposed port (image EXPOSE and --expose) on a random host port. */
  publishAll?: boolean;
  /** --expose values, `PORT[-END][/PROTO]`. */
  expose?: string[];
  /** Every --network value, when given more than once (user networks: NET1, NET2). */
  networks?: string[];
  /** --network-alias, --ip, --mac-address: for the container's one user network. */
  networkAliases?: string[];
  ip?: string;
  macAddress?: string;
  interactive: boolean;
  tty: boolean;
  consoleSize?: { rows: number; cols: number };
  autoRemove: boolean;
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  /** --log-driver and --log-opt KEY=VALUE (see log-config.ts). */
  logDriver: string;
  logOpts: string[];
  /** --timeout: seconds the container may run, then its monitor kills it (exit code -1); 0 or undefined for no limit. */
  timeout?: number;
  /** --cidfile: created exclusively before anything else, filled with the ID once the container exists. */
  cidFile?: string;
  /** --conmon-pidfile: the monitor writes its pid there each time it starts the container. */
  monitorPidFile?: string;
  /** The global --runtime-flag values (FLAG, passed as --FLAG): kept with the container for every runtime command on it. */
  runtimeFlags?: string[];
  /** --security-opt values (see parseSecurityOpts). */
  securityOpts?: string[];
  /** --kernel-memory was given: podman's no-op, with its warning. */
  kernelMemory?: boolean;
  /** -v/--volume, --mount, --tmpfs and --volumes-from values as given (see mounts/parse.ts). */
  volumes?: string[];
  mounts?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  /** --read-only-tmpfs (default true): with --read-only, writable tmpfs on /run, /tmp and /var/tmp. */
  readOnlyTmpfs?: boolean;
  /** --image-volume: bind (default), tmpfs or ignore. */
  imageVolume?: string;
}

export interface ContainerCreateReport {
  id: string;
  name: string;
}

/**
 * The longest container name: a name is a file name under containers/.names
 * (at most 255 bytes) and a host name in /etc/hosts, where DNS allows 253.
 */
export const MAX_NAME_LENGTH = 253;

/** Throws InvalidArgumentError unless `name` matches podman's name pattern and fits MAX_NAME_LENGTH. */
export function checkContainerName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(`invalid container name "${name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`invalid container name "${name.slice(0, 20)}...": the name is too long (${name.length} characters, at most ${MAX_NAME_LENGTH})`);
  }
}

/**
 * Creates a container: resolves the image, validates the options into a
 * ContainerSpec, reserves the name, and writes the record, the OCI bundle and
 * the monitor's config. Anything already written is removed if a later step
 * fails, so a failed create leaves nothing behind (nor its --cidfile,
 * which is created first, exclusively, and gets the ID last).
 */
export async function createContainer(ctx: EngineContext, options: ContainerCreateOptions): Promise<ContainerCreateReport> {
  const cidFile = options.cidFile === undefined ? undefined : await openCidFile(options.cidFile);
  try {
    const report = await createContainerRecord(ctx, options);
    if (cidFile) {
      await cidFile.handle.writeFile(report.id);
      await cidFile.handle.close();
    }
    return report;
  } catch (err) {
    if (cidFile) {
      await cidFile.handle.close();
      await fsp.rm(cidFile.path, { force: true });
    }
    throw err;
  }
}

/** Creates --cidfile exclusively, as podman: an existing file may belong to another container. */
async function openCidFile(path: string): Promise<{ path: string; handle: FileHandle }> {
  try {
    return { path, handle: await fsp.open(path, 'wx', 0o644) };
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new InvalidArgumentError(`container id file exists. Ensure another container is not using it or delete ${path}`);
    throw new InvalidArgumentError(`opening cidfile: ${(err as Error).message}`);
  }
}

async function createContainerRecord(ctx: EngineContext, options: ContainerCreateOptions): Promise<ContainerCreateReport> {
  if (options.name !== undefined) checkContainerName(options.name);
  // Checked before anything is written, so a bad signal fails the create and not a later stop (podman: "invalid signal: X").
  if (options.stopSignal !== undefined) parseSignal(options.stopSignal);
  const security = parseSecurityOpts(options.securityOpts ?? []);
  const logConfig = parseLogConfig(options.logDriver, options.logOpts);
  // The monitor does not run in the caller's working directory.
  if (logConfig.path !== undefined) logConfig.path = resolvePath(logConfig.path);
  if (options.timeout !== undefined && (!Number.isInteger(options.timeout) || options.timeout < 0)) {
    throw new InvalidArgumentError(`invalid argument "${options.timeout}" for "--timeout" flag: a whole number of seconds, 0 for no limit`);
  }
  const image = await resolveImage(ctx, options.image);
  const networkValues = options.networks?.length ? options.networks : [options.network];
  const requested = networkValues.some(isUserNetworkValue)
    ? await userNetworkMode(ctx, networkValues, { aliases: options.networkAliases, ip: options.ip, mac: options.macAddress })
    : parseNetworkMode(options.network, await defaultNetworkCmd());
  if (requested.mode !== 'bridge') checkNetworkFlagsWithoutBridge({ aliases: options.networkAliases, ip: options.ip, mac: options.macAddress });
  const conf = options.containersConf;
  const etcOptions = parseEtcOptions({
    addHosts: options.addHosts ?? [], dns: options.dns ?? [], dnsSearch: options.dnsSearch ?? [], dnsOptions: options.dnsOptions ?? [], noHosts: options.noHosts ?? conf?.noHosts ?? false,
  });
  if (options.hostname !== undefined) checkHostname(options.hostname);
  if ((requested.mode === 'none' || requested.mode === 'container') && (options.dns?.length || options.dnsSearch?.length || options.dnsOptions?.length)) {
    throw new InvalidArgumentError(`conflicting options: dns and the network mode: ${requested.mode}`);
  }
  const joined = requested.mode === 'container' ? await lookupNetworkContainer(ctx, requested.nameOrId) : undefined;
  if (joined && etcOptions.extraHosts.length) {
    throw new InvalidArgumentError('cannot set extra host entries when the container is joined to another containers network namespace: invalid configuration');
  }
  const network: NetworkMode = requested.mode === 'container'
    ? { mode: 'container', id: joined!.record.id, ...(usesHost(joined!.record.spec.network) ? { host: true } : {}) }
    : requested;
  if (network.mode === 'ns') checkNetnsPath(network.path);
  const imageConfig = image.config.config ?? {};
  const ports = await resolvePorts(ctx, options, Object.keys(imageConfig.ExposedPorts ?? {}), network);
  const { entrypoint, cmd } = resolveCommand(imageConfig, options);
  if (entrypoint.length + cmd.length === 0) {
    throw new InvalidArgumentError('no command or entrypoint provided, and no CMD or ENTRYPOINT from image');
  }
  const unset = new Set(options.unsetEnv ?? []);
  const imageEnv = options.unsetEnvAll ? [] : (imageConfig.Env ?? []).filter((e) => !unset.has(e.split('=', 1)[0]));
  const env = mergeEnv([...imageEnv, ...callerEnv(options)], [...readEnvFiles(options.envFiles), ...options.env]);
  const [runtime, storageChoice, singleIdMapping] = await Promise.all([ctx.runtime(), ctx.storageChoice(), ctx.singleIdMapping()]);
  const storageDriver = storageChoice.driver;
  const layerDirs = image.record.layers.map((l) => ctx.layout.layerDiff(l));
  const userns = containerUserns(options, { rootless: ctx.rootless, ...hostIds() });
  // keep-id runs as the user unless -u says otherwise (podman: the image's USER does not).
  const keepId = options.user === undefined ? userns?.keepId : undefined;
  const user = keepId ? { uid: keepId.uid, gid: keepId.gid, additionalGids: [keepId.gid] } : resolveUser(options.user ?? imageConfig.User ?? '', layerDirs);
  const mountPlan = await planMounts(ctx, {
    volume: options.volumes ?? [], mount: options.mounts ?? [], tmpfs: options.tmpfs ?? [], volumesFrom: options.volumesFrom ?? [],
    imageVolumes: Object.keys(imageConfig.Volumes ?? {}), user, storageDriver, readOnlyTmpfs: options.readOnly && options.readOnlyTmpfs !== false,
    imageVolumeMode: options.imageVolume ?? options.containersConf?.imageVolumeMode, idMappings: userns?.mappings,
  });
  // A workdir may be (inside) a mount point instead of the image's, or a parent of one, which the runtime makes (podman's 030-run "check workdir").
  const mountedAt = (dir: string) => mountPlan.planned.some((p) => dir === p.destination || dir.startsWith(p.destination + '/') || p.destination.startsWith(dir.replace(/\/$/, '') + '/'));
  if (options.workdir !== undefined && !mountedAt(options.workdir)) checkWorkdir(options.workdir, layerDirs, options.image);
  const zoneFile = options.timezone === undefined ? undefined : timezoneFile(options.timezone);

  const store = new ContainerStore(ctx.layout);
  const id = newId();
  const dir = ctx.layout.containerDir(id);
  // Private: config.json and the bundle hold the container's environment (passwords, tokens).
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  let name = options.name ?? randomName();
  for (let attempt = 0; ; attempt++) {
    try {
      await store.reserveName(name, id);
      break;
    } catch (err) {
      // A generated name may collide; a name the user chose may not.
      if (options.name === undefined && attempt < 10) {
        name = randomName();
        continue;
      }
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  try {
    // podman: a container on the host's network is named as the host unless told otherwise.
    const hostname = options.hostname ?? (network.mode === 'host' ? hostHostname() : id.slice(0, 12));
    const userData = ctx.layout.containerUserData(id);
    await fsp.mkdir(userData, { recursive: true });
    const etcFiles: ContainerSpec['etcFiles'] = { hostname: join(userData, 'hostname'), containerEnv: join(userData, '.containerenv') };
    if (joined) {
      // podman: the joined container's hosts and resolv.conf (this one's names go into its hosts at start, see joinNetworkContainer).
      const shared = joined.record.spec.etcFiles;
      if (shared.hosts && !etcOptions.noHosts) etcFiles.hosts = shared.hosts;
      if (shared.resolvConf && !etcOptions.noResolvConf) etcFiles.resolvConf = shared.resolvConf;
    } else {
      // The container's address and the network's resolver: slirp4netns's (moved by cidr=), or pasta's.
      const slirp = network.mode === 'slirp4netns' ? slirpAddresses(network.cidr) : undefined;
      const pasta = network.mode === 'pasta' ? await pastaEtcInput(network.options) : undefined;
      if (!etcOptions.noHosts) {
        etcFiles.hosts = join(userData, 'hosts');
        const containerIp = slirp?.containerIp ?? pasta?.ip ?? (network.mode === 'none' ? '127.0.0.1' : undefined);
        const internalIp = conf?.hostContainersInternalIp ?? '';
        const hosts = hostsFile({
          hostname, name, extraHosts: etcOptions.extraHosts, base: readHostsBase(conf?.baseHostsFile ?? '', layerDirs), containerIp,
          hostContainersInternal: internalIp === 'none' ? undefined : internalIp || hostContainersInternalIp(),
        });
        await fsp.writeFile(etcFiles.hosts, hosts);
        // On user networks the monitor adds the container's addresses at each start, to this.
        if (network.mode === 'bridge') await fsp.writeFile(join(userData, 'hosts.base'), hosts);
      }
      // podman writes none for a container without a network (NetworkDisabled): the image's stays.
      if (!etcOptions.noResolvConf && network.mode !== 'none') {
        etcFiles.resolvConf = join(userData, 'resolv.conf');
        // On user networks aardvark-dns answers first, unless servers were given (--dns, containers.conf).
        const givenServers = etcOptions.nameservers.length > 0 || (conf?.dnsServers.length ?? 0) > 0;
        await fsp.writeFile(etcFiles.resolvConf, network.mode === 'bridge' && !givenServers ? await userNetworkResolvConf(ctx, network) : resolvConf({
          // containers.conf's first, then the flags' (podman's generateResolvConf).
          nameservers: [...(conf?.dnsServers ?? []), ...etcOptions.nameservers],
          searches: [...(conf?.dnsSearches ?? []), ...etcOptions.searches],
          options: [...(conf?.dnsOptions ?? []), ...etcOptions.dnsOptions],
          privateNetns: network.mode !== 'host', networkDns: slirp?.dns ?? pasta?.dns,
        }));
      }
    }
    await fsp.writeFile(etcFiles.hostname, hostname + '\n');
    // Empty, as podman's for a container that is not --privileged: its presence tells programs they run in a container.
    await fsp.writeFile(etcFiles.containerEnv!, '');
    // A copy, as podman's: the container sees the zone as it was at create.
    const localtime = zoneFile === undefined ? undefined : join(userData, 'localtime');
    if (localtime) await fsp.copyFile(zoneFile!, localtime);

    // podman's /etc/passwd and /etc/group entries: keep-id's user, a numeric -u the image lacks.
    const workingDir = options.workdir ?? (imageConfig.WorkingDir || '/');
    const additions = passwdAdditions(readImageFile(layerDirs, 'etc/passwd')?.toString('utf8') ?? '', readImageFile(layerDirs, 'etc/group')?.toString('utf8') ?? '', {
      currentUser: userns?.keepId?.addCurrentUser ? hostUser() : undefined,
      userSpec: keepId ? `${keepId.uid}:${keepId.gid}` : options.user ?? imageConfig.User,
      gid: user.gid,
      workdir: workingDir,
      mountedAt: (dir) => mountPlan.planned.some((p) => p.destination === dir),
    });
    if (additions.passwd !== undefined) await fsp.writeFile(etcFiles.passwd = join(userData, 'passwd'), additions.passwd, { mode: 0o644 });
    if (additions.group !== undefined) await fsp.writeFile(etcFiles.group = join(userData, 'group'), additions.group, { mode: 0o644 });
    if (additions.home !== undefined && !env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${additions.home}`);

    // With an id map of its own, the container's layers are copies owned through it (store/id-shift.ts).
    const lowerDirs = userns ? layerDirs.map((dir) => mappedLayerDir(dir, mappingKey(userns.mappings))) : layerDirs;
    const storage = { ...storageMount(ctx, id, storageChoice, lowerDirs, imageRootMode(layerDirs)), ...(userns ? { idMappings: userns.mappings } : {}) };
    const mounts = await applyMounts(ctx, mountPlan, dir);
    // slirp4netns must configure the namespace before the container starts, so it
    // is made up front; for none the runtime makes a fresh one itself.
    const netnsFile = network.mode === 'slirp4netns' || network.mode === 'pasta' || network.mode === 'bridge' ? ctx.layout.netnsFile(id) : undefined;
    // container: gets its path at each start (see joinNetworkContainer).
    const netnsPath = network.mode === 'ns' ? network.path : netnsFile;
    const spec: ContainerSpec = {
      id,
      name,
      command: [...entrypoint, ...cmd],
      env,
      ...(options.unsetEnvAll || unset.size ? { unsetDefaultEnv: options.unsetEnvAll ? 'all' as const : [...unset] } : {}),
      workingDir,
      user,
      hostname,
      terminal: options.tty,
      consoleSize: options.tty ? options.consoleSize : undefined,
      network,
      netnsPath,
      etcFiles: { ...etcFiles, ...(localtime ? { localtime } : {}) },
      rootfs: storage.driver === 'overlay' ? storage.mergedDir : storage.rootfsDir,
      readOnlyRootfs: options.readOnly,
      rootless: ctx.rootless,
      nofileLimit: ctx.rootless ? undefined : hardNofileLimit(),
      singleIdMapping,
      ...(userns ? { idMappings: userns.mappings } : {}),
      capAdd: options.capAdd,
      capDrop: options.capDrop,
      noNewPrivileges: security.noNewPrivileges || undefined,
      labels: { ...(imageConfig.Labels ?? {}), ...options.labels },
      annotations: {},
      ...(mounts.spec.length ? { mounts: mounts.spec } : {}),
    };
    let runtimeSpec;
    try {
      runtimeSpec = generateRuntimeSpec(spec);
    } catch (err) {
      if (err instanceof CapabilityError) throw new InvalidArgumentError(err.message);
      throw err;
    }
    await fsp.mkdir(ctx.layout.containerBundle(id), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(join(ctx.layout.containerBundle(id), 'config.json'), runtimeSpec, 0o600);

    const record: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      image: { id: image.record.id, name: givenImageName(image.record, options.image), digest: image.record.manifestDigest },
      entrypoint,
      cmd,
      spec,
      autoRemove: options.autoRemove,
      interactive: options.interactive,
      runtime: { name: runtime.name, path: runtime.path, ...(options.runtimeFlags?.length ? { flags: runtimeFlagArgs(options.runtimeFlags) } : {}) },
      ociRuntime: ctx.global.runtime ?? runtime.name,
      storageDriver,
      stopSignal: options.stopSignal ?? imageConfig.StopSignal ?? 'SIGTERM',
      stopTimeout: options.stopTimeout ?? 10,
      networkMode: options.network,
      ...(options.userns ? { userns: options.userns } : {}),
      ...(ports.mappings.length ? { ports: ports.mappings } : {}),
      ...(ports.exposed.length ? { exposedPorts: ports.exposed } : {}),
      log: logConfig,
      timeout: options.timeout || undefined,
      monitorPidFile: options.monitorPidFile === undefined ? undefined : resolvePath(options.monitorPidFile),
      ...(mounts.volumes.length ? { volumes: mounts.volumes } : {}),
      ...(mounts.record.length ? { mounts: mounts.record } : {}),
      ...(etcOptions.nameservers.length + etcOptions.searches.length + etcOptions.dnsOptions.length + etcOptions.extraHosts.length ? {
        dnsConfig: {
          servers: etcOptions.nameservers,
          searches: etcOptions.searches,
          options: etcOptions.dnsOptions,
          extraHosts: etcOptions.extraHosts.map((e) => `${e.names[0]}:${e.ip}`),
        },
      } : {}),
    };
    const monitor: MonitorConfig = {
      id,
      name,
      graphRoot: ctx.global.root,
      runRoot: ctx.global.runroot,
      runtime: record.runtime,
      bundle: ctx.layout.containerBundle(id),
      logFile: ctx.layout.containerLog(id),
      log: { driver: logConfig.driver, path: logConfig.path ?? ctx.layout.containerLog(id), maxSize: logConfig.maxSize },
      stateFile: ctx.layout.containerState(id),
      attachSocket: ctx.layout.attachSocket(id),
      terminal: options.tty,
      stdin: options.interactive,
      autoRemove: options.autoRemove,
      storage,
      network,
      netnsFile,
      ...(userns && netnsFile ? { netnsByRuntime: true } : {}),
      ...(network.mode === 'bridge' && etcFiles.hosts ? { networkHosts: { path: etcFiles.hosts, base: join(userData, 'hosts.base'), hostname } } : {}),
      ...(joined && etcFiles.hosts ? { joinedHosts: { containerId: joined.record.id, path: etcFiles.hosts, hostname, name } } : {}),
      ...(ports.mappings.length ? { ports: ports.mappings } : {}),
      consoleSize: spec.consoleSize,
      timeout: options.timeout || undefined,
      monitorPidFile: record.monitorPidFile,
      ...(mounts.prep ? { mounts: mounts.prep } : {}),
    };
    await writeJsonAtomic(ctx.layout.containerMonitorConfig(id), monitor, 0o600);
    await store.writeState(id, { status: 'created' });
    // config.json last: a container without it is not listed, so readers never see half a create
    // (and config.json without state.json means an interrupted removal, see ContainerStore).
    await store.writeConfig(id, record);
    if (options.kernelMemory) ctx.warnings.push('The --kernel-memory flag is no longer supported. This flag is a noop.');
    return { id, name };
  } catch (err) {
    await store.releaseName(name, id);
    await fsp.rm(dir, { recursive: true, force: true });
    await undoMounts(ctx, mountPlan);
    throw err;
  }
}

/**
 * The name of `image` that `input` refers to, as podman records it
 * (`create localhost/a/b` is `localhost/a/b:latest` although the image is
 * also named otherwise); an id refers to the image's first name.
 */
export function givenImageName(image: ImageRecord, input: string): string {
  const tags = image.names.filter((n) => !n.includes('@'));
  return tags.find((n) => matchImage([{ ...image, names: [n] }], input)) ?? image.names[0] ?? image.id;
}

/**
 * A --workdir must be a directory of the image, with podman's 126 ("cannot
 * invoke") otherwise; the image's own WorkingDir is made by the runtime
 * when missing. (Once volumes exist, a workdir inside one is fine too.)
 */
function checkWorkdir(workdir: string, layerDirs: string[], image: string): void {
  if (!workdir.startsWith('/')) return;
  const type = imagePathType(layerDirs, workdir);
  if (type === undefined) throw new ContainerStartError(`workdir "${workdir}" does not exist on container image ${image}`, 126);
  if (type !== 'directory') throw new ContainerStartError(`workdir "${workdir}" exists on container image ${image}, but is not a directory`, 126);
}

/** This process's hard RLIMIT_NOFILE, from /proc/self/limits (Node has no getrlimit). */
function hardNofileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard === 'unlimited' ? undefined : Number(hard) || undefined;
  } catch {
    return undefined;
  }
}

function storageMount(ctx: EngineContext, id: string, choice: StorageChoice, lowerDirs: string[], rootMode: number): StorageMount {
  const base = ctx.layout.containerRootfsDir(id);
  const { driver, mountProgram, mountOpt } = choice;
  if (driver === 'overlay') {
    return {
      driver, lowerDirs, upperDir: join(base, 'upper'), workDir: join(base, 'work'), mergedDir: join(base, 'merged'), rootMode,
      ...(mountProgram ? { mountProgram } : {}), ...(mountOpt ? { mountOpt } : {}),
    };
  }
  return { driver, lowerDirs, rootfsDir: join(base, 'vfs'), rootMode };
}

/**
 * The mode of / in the image whose layer directories are `lowerDirs`
 * (bottom first). A layer's root has the mode of its "./" entry, or 0755
 * without one; containers/storage gives a layer without one its parent's,
 * so the topmost root that is not 0755 is the image's (an upper layer that
 * sets 0755 explicitly over a lower 0555 is the one case read otherwise).
 */
export function imageRootMode(lowerDirs: string[]): number {
  for (const dir of [...lowerDirs].reverse()) {
    const mode = statSync(dir).mode & 0o7777;
    if (mode !== 0o755) return mode;
  }
  return 0o755;
}

/**
 * Docker's rules: --entrypoint replaces the image's Entrypoint and then the
 * image's Cmd is dropped; arguments after the image replace Cmd.
 */
export function resolveCommand(config: NonNullable<Image['config']>, options: Pick<ContainerCreateOptions, 'entrypoint' | 'command'>): { entrypoint: string[]; cmd: string[] } {
  if (options.entrypoint !== undefined) {
    const entrypoint = options.entrypoint === '' ? [] : parseEntrypoint(options.entrypoint);
    return { entrypoint, cmd: options.command };
  }
  return { entrypoint: config.Entrypoint ?? [], cmd: options.command.length > 0 ? options.command : config.Cmd ?? [] };
}

/** podman accepts a JSON array for --entrypoint as well as a plain command. */
function parseEntrypoint(value: string): string[] {
  if (value.trim().startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed;
    } catch {
      // fall through: a command that happens to start with [
    }
  }
  return [value];
}

/** Image env first, then the user's (later wins); `-e NAME` alone takes NAME from the caller's env. */
/** The proxy variables podman passes from its caller (config.ProxyEnv). */
const PROXY_ENV = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY'];

/**
 * What the caller's environment gives the container over the image's, as
 * podman: all of it with --env-host, else its proxy variables unless
 * --http-proxy=false. --env and --env-file still win.
 */
export function callerEnv(options: Pick<ContainerCreateOptions, 'envHost' | 'httpProxy'>, caller: NodeJS.ProcessEnv = process.env): string[] {
  const names = options.envHost ? Object.keys(caller) : options.httpProxy === false ? [] : PROXY_ENV;
  return names.filter((name) => caller[name] !== undefined).map((name) => `${name}=${caller[name]}`);
}

export function mergeEnv(imageEnv: string[], userEnv: string[], callerEnv: NodeJS.ProcessEnv = process.env): string[] {
  const merged = new Map<string, string>();
  for (const entry of imageEnv) {
    const at = entry.indexOf('=');
    if (at > 0) merged.set(entry.slice(0, at), entry.slice(at + 1));
  }
  for (const entry of userEnv) {
    const at = entry.indexOf('=');
    if (at === 0) throw new InvalidArgumentError(`invalid environment variable "${entry}"`);
    if (at < 0) {
      const fromCaller = callerEnv[entry];
      if (fromCaller !== undefined) merged.set(entry, fromCaller);
      continue;
    }
    merged.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

/** Reads --env-file files: KEY=VALUE lines, # comments and blank lines ignored. */
export function readEnvFiles(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`cannot read env file "${file}": ${(err as Error).message}`);
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line && !line.startsWith('#')) out.push(line);
    }
  }
  return out;
}

/**
 * Resolves USER[:GROUP] (names or numbers) against the image's /etc/passwd
 * and /etc/group, topmost layer first, as the runtime sees them.
 */
export function resolveUser(spec: string, layerDirs: string[]): ContainerSpec['user'] {
  if (spec === '') return { uid: 0, gid: 0, additionalGids: [] };
  const [userPart, groupPart] = spec.split(':', 2);
  const passwd = readImageFile(layerDirs, 'etc/passwd')?.toString('utf8') ?? '';
  const entries = passwd.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = entries.find((f) => f[2] === userPart);
    if (entry) gid = Number(entry[3]);
  } else {
    const entry = entries.find((f) => f[0] === userPart);
    if (!entry) throw new SkiffError('ENOUSER', `unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = (readImageFile(layerDirs, 'etc/group')?.toString('utf8') ?? '').split('\n').map((l) => l.split(':')).find((f) => f[0] === groupPart);
      if (!group) throw new SkiffError('ENOGROUP', `unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(group[2]);
    }
  }
  return { uid, gid: gid ?? 0, additionalGids: [] };
}

/** The spellings Go's strconv.ParseBool accepts. */
const PARSE_BOOL: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

/**
 * Parses --security-opt values as podman does: no-new-privileges, with
 * `=BOOL` or `:BOOL`. label=disable, seccomp=unconfined and
 * apparmor=unconfined ask for what skiff's containers already are (no
 * SELinux label, no seccomp or AppArmor profile); anything else is refused.
 */
export function parseSecurityOpts(values: string[]): { noNewPrivileges: boolean } {
  let noNewPrivileges = false;
  for (const value of values) {
    const nnp = /^no-new-privileges(?:[=:](.*))?$/s.exec(value);
    if (nnp) {
      const flag = nnp[1] ?? 'true';
      if (!(flag in PARSE_BOOL)) throw new InvalidArgumentError(`parsing value of option no-new-privileges: strconv.ParseBool: parsing "${flag}": invalid syntax`);
      noNewPrivileges = PARSE_BOOL[flag]!;
      continue;
    }
    if (['label=disable', 'seccomp=unconfined', 'apparmor=unconfined'].includes(value.replace(':', '='))) continue;
    throw new InvalidArgumentError(`unsupported --security-opt "${value}": use no-new-privileges[=true|false], label=disable, seccomp=unconfined or apparmor=unconfined`);
  }
  return { noNewPrivileges };
}

/** Whether a container with this network mode is on the host's network namespace. */
function usesHost(network: NetworkMode): boolean {
  return network.mode === 'host' || (network.mode === 'container' && network.host === true);
}

/**
 * The base of a container's /etc/hosts, per containers.conf's base_hosts_file:
 * '' the host's /etc/hosts (empty when the host has none), 'none' nothing,
 * 'image' the image's own, else that file.
 */
function readHostsBase(setting: string, layerDirs: string[]): string {
  if (setting === 'none') return '';
  if (setting === 'image') return readImageFile(layerDirs, 'etc/hosts')?.toString('utf8') ?? '';
  try {
    return readFileSync(setting || '/etc/hosts', 'utf8');
  } catch (err) {
    if (setting === '') return '';
    throw new InvalidArgumentError(`reading base_hosts_file ${setting} of containers.conf: ${(err as Error).message}`);
  }
}

/**
 * Throws, before anything is created, unless `path` is a namespace file
 * (on nsfs: a /proc/PID/ns/net link or a bind mount of one, as `ip netns add`
 * makes); a /proc/PID/ns link must also be a network namespace.
 */
function checkNetnsPath(path: string): void {
  const NSFS_MAGIC = 0x6e736673;
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (err) {
    throw new InvalidArgumentError(`network namespace path ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  let link: string | undefined;
  try {
    link = readlinkSync(path);
  } catch {
    link = undefined;
  }
  if (type !== NSFS_MAGIC || (link !== undefined && !link.startsWith('net:'))) {
    throw new InvalidArgumentError(`network namespace path ${path} is not a network namespace`);
  }
}

/**
 * The rootless network command for `--network default`: containers.conf's
 * default_rootless_network_cmd, else pasta when its binary is on PATH, else
 * slirp4netns (as podman 5).
 */
export async function defaultNetworkCmd(): Promise<'slirp4netns' | 'pasta'> {
  const { readContainersConf } = await import('../../config/containers-conf.js');
  const configured = readContainersConf().network?.defaultRootlessNetworkCmd;
  if (configured === 'slirp4netns' || configured === 'pasta') return configured;
  if (configured !== undefined && configured !== '') throw new InvalidArgumentError(`invalid default_rootless_network_cmd option "${configured}"`);
  const { pastaAvailable } = await import('../../network/pasta.js');
  return pastaAvailable() ? 'pasta' : 'slirp4netns';
}

/**
 * /etc/hosts and resolv.conf input for pasta: pasta gives the container the
 * host's own address (unless -a/--address says otherwise) and answers DNS
 * on PASTA_DNS, as podman 5 writes them.
 */
async function pastaEtcInput(options: string[]): Promise<{ ip?: string; dns: string }> {
  const { PASTA_DNS, pastaAddress } = await import('../../network/pasta.js');
  return { ip: pastaAddress(options), dns: PASTA_DNS };
}

/**
 * The container's published and exposed ports: -p values parsed and
 * merged as podman's, -P's exposed ports added, random host ports chosen
 * now so that `port` and `ps` show them before the start. With host or
 * none there is nothing to publish into: dropped with podman's warning.
 */
async function resolvePorts(ctx: EngineContext, options: ContainerCreateOptions, imageExposed: string[], network: NetworkMode): Promise<{ mappings: PortMapping[]; exposed: string[] }> {
  const { parsePublish, parseExpose, normalizePorts, assignRandomPorts } = await import('../../network/ports.js');
  const specs = (options.publish ?? []).map(parsePublish);
  let fromImage: Map<number, string[]>;
  try {
    fromImage = parseExpose(imageExposed);
  } catch (err) {
    throw new InvalidArgumentError(`unable to convert image EXPOSE: ${(err as Error).message}`);
  }
  const fromFlag = parseExpose(options.expose ?? []);
  const exposedMap = new Map(fromImage);
  for (const [port, protocols] of fromFlag) exposedMap.set(port, [...new Set([...(exposedMap.get(port) ?? []), ...protocols])]);
  const exposed = [...exposedMap].sort((a, b) => a[0] - b[0]).flatMap(([port, protocols]) => protocols.map((p) => `${port}/${p}`));
  const normalized = normalizePorts(specs, options.publishAll ? exposedMap : undefined);
  if (normalized.length && (network.mode === 'host' || network.mode === 'none' || network.mode === 'container')) {
    ctx.notices.push('Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use');
    return { mappings: [], exposed };
  }
  // No forwarder of ours runs in a namespace someone else made.
  if (normalized.length && network.mode === 'ns') throw new InvalidArgumentError('published ports need a network skiff sets up (slirp4netns or pasta), not --network ns:PATH');
  const v6 = normalized.find((m) => m.hostIp.includes(':'));
  // slirp4netns's API (add_hostfwd) takes IPv4 host addresses only; user networks publish through it too.
  if (v6 && (network.mode === 'slirp4netns' || network.mode === 'bridge')) throw new InvalidArgumentError(`slirp4netns cannot publish ports on the IPv6 host address ${v6.hostIp}: use --network pasta`);
  if (normalized.length && network.mode === 'slirp4netns' && network.portHandler === 'rootlesskit') {
    ctx.warnings.push('port_handler=rootlesskit: skiff publishes ports through slirp4netns itself, which keeps the client\'s address');
  }
  return { mappings: await assignRandomPorts(normalized), exposed };
}

/** Where the host keeps its time zone files, as podman (and glibc) read them. */
const ZONEINFO = '/usr/share/zoneinfo';

/**
 * The host file that --tz names: `local` is the host's /etc/localtime;
 * anything else a zone under /usr/share/zoneinfo (Europe/Paris, MST7MDT).
 * Throws, before anything is created, for a name that is no zone file.
 */
export function timezoneFile(zone: string): string {
  const path = zone === 'local' ? '/etc/localtime' : join(ZONEINFO, zone);
  const unknown = () => new InvalidArgumentError(`finding timezone for the container: unknown time zone "${zone}"`);
  if (zone === '' || zone.startsWith('/') || zone.split('/').includes('..')) throw unknown();
  let head: Buffer;
  try {
    head = readFileSync(path).subarray(0, 4);
  } catch {
    throw unknown();
  }
  // Every compiled zone file starts with "TZif"; zoneinfo also holds tables (zone.tab) that are not zones.
  if (head.toString('latin1') !== 'TZif') throw unknown();
  return path;
}

/** The user running skiff and the sizes of their /etc/subuid and /etc/subgid ranges. */
function hostIds(): { uid: number; gid: number; maxUid: number; maxGid: number } {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const name = userInfo().username;
  const total = (file: string, id: number) => readSubIds(file, name, id).reduce((sum, r) => sum + r.count, 0);
  return { uid, gid, maxUid: total('/etc/subuid', uid), maxGid: total('/etc/subgid', gid) };
}

/** The user running skiff as the host's /etc/passwd and /etc/group know them (what podman's keep-id adds). */
function hostUser(): HostUser {
  const info = userInfo();
  const gid = process.getgid?.() ?? 0;
  const field = (file: string, index: number, value: string) => {
    try {
      return readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[index] === value);
    } catch {
      return undefined;
    }
  };
  const entry = field('/etc/passwd', 2, String(info.uid));
  return {
    name: info.username, uid: info.uid, gid, gecos: entry?.[4] ?? '', home: entry?.[5] ?? info.homedir,
    groupName: field('/etc/group', 2, String(gid))?.[0],
  };
}
