import type { NetworkMode } from '../../runtime/spec/container-spec.js';
import { SkiffError } from '../../util/errors.js';
import { namespaceAddresses } from '../../network/addresses.js';
import { portBindings } from '../../network/ports.js';
import { inspectNetworks, readContainerNetworkStateSync } from '../../network/network-status.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { inspectImage } from '../image/inspect.js';
import { liveExecSessions } from './exec-sessions.js';
import { humanSize } from './log-config.js';
import { resolveContainer, stopInProgress, type ContainerInfo } from './record.js';
import { containerSizes, type ContainerSize } from './size.js';
import { inspectMounts } from './mounts/inspect.js';

/**
 * `skiff container inspect`, with podman's JSON field names for what skiff
 * has. `execIds`: the container's running exec sessions; `size` (inspect
 * --size) fills SizeRw and SizeRootFs, which are left out otherwise (podman's omitempty).
 */
export function containerInspectReport(ctx: EngineContext, info: ContainerInfo, execIds: string[] = [], size?: ContainerSize): Record<string, unknown> {
  const { record, state } = info;
  const spec = record.spec;
  const command = [...record.entrypoint, ...record.cmd];
  const running = state.status === 'running';
  const up = running || state.status === 'paused';
  // The address the container really has: only a running slirp4netns or pasta container has one (none and host: empty, as podman).
  const address = running && (spec.network.mode === 'slirp4netns' || spec.network.mode === 'pasta') && state.pid ? namespaceAddresses(state.pid)[0] : undefined;
  const mounts = inspectMounts(record);
  const log = record.log;
  const logPath = log?.driver === 'none' ? '' : log?.path ?? ctx.layout.containerLog(record.id);
  const doc = {
    Id: record.id,
    Created: record.created,
    Path: command[0] ?? '',
    Args: command.slice(1),
    State: {
      OciVersion: '1.0.2-dev',
      Status: stopInProgress(state) ? 'stopping' : state.status,
      Running: running,
      Paused: state.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: up ? state.pid ?? 0 : 0,
      ConmonPid: up ? state.monitorPid ?? 0 : 0,
      ExitCode: state.exitCode ?? 0,
      Error: state.error ?? '',
      StartedAt: state.startedAt ?? '0001-01-01T00:00:00Z',
      FinishedAt: state.finishedAt ?? '0001-01-01T00:00:00Z',
    },
    Image: record.image.id,
    ImageDigest: record.image.digest ?? '',
    ImageName: record.image.name,
    Rootfs: '',
    ResolvConfPath: spec.etcFiles.resolvConf ?? '',
    HostnamePath: spec.etcFiles.hostname,
    HostsPath: spec.etcFiles.hosts ?? '',
    StaticDir: ctx.layout.containerUserData(record.id),
    ConmonPidFile: record.monitorPidFile ?? '',
    OCIConfigPath: `${ctx.layout.containerBundle(record.id)}/config.json`,
    OCIRuntime: record.ociRuntime ?? record.runtime.name,
    LogPath: logPath,
    LogTag: log?.tag ?? '',
    Name: record.name,
    RestartCount: 0,
    Pod: '',
    IsService: false,
    Driver: record.storageDriver,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    EffectiveCaps: null,
    BoundingCaps: null,
    ExecIDs: execIds,
    GraphDriver: { Name: record.storageDriver, Data: { RootfsPath: spec.rootfs } },
    ...(size ? { SizeRw: size.rwSize, SizeRootFs: size.rootFsSize } : {}),
    Mounts: mounts.mounts,
    Dependencies: [],
    NetworkSettings: {
      IPAddress: address?.address ?? '',
      IPPrefixLen: address?.prefixLength ?? 0,
      Ports: portBindings(record.ports ?? [], exposedMap(record.exposedPorts)),
      SandboxKey: spec.netnsPath ?? '',
      ...(spec.network.mode === 'bridge' ? { Networks: inspectNetworks(spec.network.networks, up ? readContainerNetworkStateSync(ctx.layout.networksRunDir, record.id) : undefined) } : {}),
    },
    Namespace: '',
    IsInfra: false,
    Config: {
      Hostname: spec.hostname,
      Domainname: '',
      User: spec.user.uid === 0 && spec.user.gid === 0 ? '' : `${spec.user.uid}:${spec.user.gid}`,
      AttachStdin: record.interactive,
      AttachStdout: false,
      AttachStderr: false,
      Tty: spec.terminal,
      OpenStdin: record.interactive,
      StdinOnce: false,
      Env: spec.env,
      Cmd: record.cmd,
      Image: record.image.name,
      Volumes: null,
      WorkingDir: spec.workingDir,
      Entrypoint: record.entrypoint.join(' '),
      Labels: spec.labels,
      Annotations: spec.annotations,
      StopSignal: record.stopSignal,
      StopTimeout: record.stopTimeout,
      Timeout: record.timeout ?? 0,
      CreateCommand: [],
    },
    HostConfig: {
      Binds: mounts.binds,
      Tmpfs: mounts.tmpfs,
      NetworkMode: inspectNetworkMode(spec.network),
      // podman: "private" for a user namespace of the container's own, "" for the engine's.
      UsernsMode: spec.idMappings ? 'private' : '',
      ...(spec.idMappings ? { IDMappings: {
        UidMap: spec.idMappings.uidMap.map((m) => `${m.containerID}:${m.hostID}:${m.size}`),
        GidMap: spec.idMappings.gidMap.map((m) => `${m.containerID}:${m.hostID}:${m.size}`),
      } } : {}),
      Dns: record.dnsConfig?.servers ?? [],
      DnsOptions: record.dnsConfig?.options ?? [],
      DnsSearch: record.dnsConfig?.searches ?? [],
      ExtraHosts: record.dnsConfig?.extraHosts ?? [],
      AutoRemove: record.autoRemove,
      ReadonlyRootfs: spec.readOnlyRootfs,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      // podman lists exposed ports here too, unbound ones as null.
      PortBindings: portBindings(record.ports ?? [], exposedMap(record.exposedPorts)),
      // podman's place for the log file (LogPath above is docker's).
      LogConfig: {
        Type: log?.type ?? 'k8s-file',
        Config: log && Object.keys(log.options).length ? log.options : null,
        Path: logPath,
        Tag: log?.tag ?? '',
        Size: humanSize(log?.maxSize ?? 0),
      },
    },
  };
  // podman's Go field is ID (its JSON key Id): templates use both spellings.
  return Object.defineProperty(doc, 'ID', { get: () => doc.Id, enumerable: false });
}

/** HostConfig.NetworkMode as podman prints it: the mode, container:ID, or ns:PATH. */
function inspectNetworkMode(network: NetworkMode): string {
  if (network.mode === 'container') return `container:${network.id}`;
  if (network.mode === 'ns') return `ns:${network.path}`;
  return network.mode;
}

export type InspectKind = 'container' | 'image' | 'any';

export class NoSuchObjectError extends SkiffError {
  constructor(target: string) {
    super('ENOOBJECT', `no such object: "${target}"`);
  }
}

/**
 * The inspect document of `target`: a container, an image, or for `any`
 * (podman's generic `inspect`) a container first and then an image. Throws
 * NoSuchContainerError, NoSuchImageError, or NoSuchObjectError for `any`.
 * With `size` a container's sizes are measured (see `containerSizes`: run
 * as root of the user namespace); an image's document has none.
 */
export async function inspectTarget(ctx: EngineContext, kind: InspectKind, target: string, options: { size?: boolean } = {}): Promise<Record<string, unknown>> {
  if (kind === 'image') return inspectImage(ctx, target);
  try {
    const info = await resolveContainer(ctx, target);
    const sessions = info.state.status === 'running' || info.state.status === 'paused' ? await liveExecSessions(ctx, info.record.id) : [];
    const size = options.size ? (await containerSizes(ctx, [info])).get(info.record.id) : undefined;
    return containerInspectReport(ctx, info, sessions.map((s) => s.id), size);
  } catch (err) {
    if (kind === 'container' || !(err instanceof NoSuchContainerError)) throw err;
  }
  try {
    return await inspectImage(ctx, target);
  } catch (err) {
    if (err instanceof SkiffError && err.code === 'ENOIMAGE') throw new NoSuchObjectError(target);
    throw err;
  }
}

/** `PORT/PROTO` strings back to port → protocols. */
function exposedMap(exposed: string[] | undefined): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of exposed ?? []) {
    const [port, protocol] = e.split('/');
    out.set(Number(port), [...(out.get(Number(port)) ?? []), protocol]);
  }
  return out;
}
