import { namespaceAddresses } from '../network/addresses.js';
import type { Image } from '../oci/image-spec.js';
import type { EngineContext } from './context.js';
import type { ContainerInfo } from './container-record.js';
import { imageRepoDigests, type ImageSummary } from './images.js';

/** `skiff container inspect`, with podman's JSON field names for what skiff has. */
export function containerInspectReport(ctx: EngineContext, info: ContainerInfo): Record<string, unknown> {
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
      Status: state.status,
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
    Driver: record.storageDriver,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    EffectiveCaps: null,
    BoundingCaps: null,
    ExecIDs: [],
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
    },
  };
}

/** `skiff image inspect`, with podman's JSON field names; `graphDriver` is the store's storage driver. */
export function imageInspectReport(summary: ImageSummary, graphDriver: string): Record<string, unknown> {
  const { record, config } = summary;
  const repoTags = record.names.filter((n) => !n.includes('@'));
  return {
    Id: record.id,
    Digest: record.manifestDigest,
    RepoTags: repoTags,
    RepoDigests: imageRepoDigests(record),
    Parent: '',
    Comment: config.history?.[config.history.length - 1]?.comment ?? '',
    Created: config.created ?? record.created,
    Config: imageConfigView(config),
    Version: '',
    Author: config.author ?? '',
    Architecture: config.architecture,
    Os: config.os,
    Size: record.size,
    VirtualSize: record.size,
    GraphDriver: { Name: graphDriver, Data: {} },
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Labels: config.config?.Labels ?? null,
    Annotations: {},
    ManifestType: 'application/vnd.oci.image.manifest.v1+json',
    User: config.config?.User ?? '',
    History: config.history ?? [],
    NamesHistory: [],
  };
}

function imageConfigView(config: Image): Record<string, unknown> {
  const c = config.config ?? {};
  return { ...c, Env: c.Env ?? [], Cmd: c.Cmd, Entrypoint: c.Entrypoint, WorkingDir: c.WorkingDir ?? '', Labels: c.Labels ?? null };
}
