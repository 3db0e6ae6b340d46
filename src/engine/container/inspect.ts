import { SkiffError } from '../../util/errors.js';
import { namespaceAddresses } from '../../network/addresses.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { inspectImage } from '../image/inspect.js';
import { liveExecSessions } from './exec-sessions.js';
import { resolveContainer, stopInProgress, type ContainerInfo } from './record.js';

/**
 * `skiff container inspect`, with podman's JSON field names for what skiff
 * has. `execIds`: the container's running exec sessions.
 */
export function containerInspectReport(ctx: EngineContext, info: ContainerInfo, execIds: string[] = []): Record<string, unknown> {
  const { record, state } = info;
  const spec = record.spec;
  const command = [...record.entrypoint, ...record.cmd];
  const running = state.status === 'running';
  // The address the container really has: only a running slirp4netns container has one (none and host: empty, as podman).
  const address = running && spec.network.mode === 'slirp4netns' && state.pid ? namespaceAddresses(state.pid)[0] : undefined;
  return {
    Id: record.id,
    Created: record.created,
    Path: command[0] ?? '',
    Args: command.slice(1),
    State: {
      OciVersion: '1.0.2-dev',
      Status: stopInProgress(state) ? 'stopping' : state.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? state.pid ?? 0 : 0,
      ConmonPid: running ? state.monitorPid ?? 0 : 0,
      ExitCode: state.exitCode ?? 0,
      Error: state.error ?? '',
      StartedAt: state.startedAt ?? '0001-01-01T00:00:00Z',
      FinishedAt: state.finishedAt ?? '0001-01-01T00:00:00Z',
    },
    Image: record.image.id,
    ImageName: record.image.name,
    Rootfs: '',
    ResolvConfPath: spec.etcFiles.resolvConf,
    HostnamePath: spec.etcFiles.hostname,
    HostsPath: spec.etcFiles.hosts,
    StaticDir: ctx.layout.containerUserData(record.id),
    OCIConfigPath: `${ctx.layout.containerBundle(record.id)}/config.json`,
    OCIRuntime: record.runtime.name,
    LogPath: ctx.layout.containerLog(record.id),
    LogTag: '',
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
    Mounts: [],
    Dependencies: [],
    NetworkSettings: {
      IPAddress: address?.address ?? '',
      IPPrefixLen: address?.prefixLength ?? 0,
      Ports: {},
      SandboxKey: spec.netnsPath ?? '',
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
      CreateCommand: [],
    },
    HostConfig: {
      NetworkMode: spec.network.mode,
      AutoRemove: record.autoRemove,
      ReadonlyRootfs: spec.readOnlyRootfs,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      PortBindings: {},
      // podman's place for the log file (LogPath above is docker's).
      LogConfig: { Type: 'k8s-file', Config: null, Path: ctx.layout.containerLog(record.id), Tag: '', Size: '0B' },
    },
  };
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
 */
export async function inspectTarget(ctx: EngineContext, kind: InspectKind, target: string): Promise<Record<string, unknown>> {
  if (kind === 'image') return inspectImage(ctx, target);
  try {
    const info = await resolveContainer(ctx, target);
    const sessions = info.state.status === 'running' ? await liveExecSessions(ctx, info.record.id) : [];
    return containerInspectReport(ctx, info, sessions.map((s) => s.id));
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
