/**
 * ContainerSpec → OCI runtime config.json. Pure: no I/O, no host probing, so
 * the same spec always yields the same config. The output follows what
 * podman generates for a rootless container on a host without usable
 * cgroups (pkg/specgen/generate and libpod/container_internal_linux.go).
 */
import {
  OCI_VERSION,
  type Capabilities,
  type Linux,
  type LinuxNamespace,
  type Mount,
  type Process,
  type Spec,
} from '../../oci/runtime-spec.js';
import type { ContainerSpec } from './container-spec.js';

/** PATH given to containers whose env has none (podman's and Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** podman's default_capabilities (containers.conf), sorted. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

/**
 * Every Linux capability up to CAP_CHECKPOINT_RESTORE (Linux 5.9), in number
 * order. `--cap-add ALL` expands to this; podman uses the host's bounding set
 * instead, which a pure function cannot read.
 */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** podman's masked paths (containers/common pkg/config). */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/fs/selinux',
  '/sys/dev/block',
];

/** podman's read-only paths. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** podman's RLIMIT_NOFILE for rootful containers (define.RLimitDefaultValue). */
export const ROOTFUL_NOFILE = 1048576;

/**
 * Thrown for an unknown capability name, or for a cap-add/cap-drop
 * combination podman rejects. Extends plain `Error` because this module may
 * only depend on src/oci; the engine wraps it into an InvalidArgumentError.
 */
export class CapabilityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapabilityError';
  }
}

/**
 * Generates the OCI runtime config.json for a container.
 *
 * @throws CapabilityError when capAdd/capDrop name an unknown capability or
 *   conflict (see {@link mergeCapabilities}).
 */
export function generateRuntimeSpec(spec: ContainerSpec): Spec {
  const hostNetwork = usesHostNetwork(spec);

  const process: Process = {
    terminal: spec.terminal,
    user: {
      uid: spec.user.uid,
      gid: spec.user.gid,
      additionalGids: [...spec.user.additionalGids],
    },
    args: [...spec.command],
    env: buildEnv(spec),
    cwd: spec.workingDir || '/',
    capabilities: buildCapabilities(spec),
    noNewPrivileges: spec.noNewPrivileges ?? false,
  };
  // The runtime-spec only defines consoleSize for terminal processes.
  if (spec.terminal && spec.consoleSize) {
    process.consoleSize = { height: spec.consoleSize.rows, width: spec.consoleSize.cols };
  }
  // Rootless: no rlimits at all, the runtime inherits ours. Rootful: podman's
  // 1048576, clamped by the engine to what this process may set (spec.nofileLimit);
  // asking for more than that makes the runtime fail.
  if (!spec.rootless) {
    const nofile = Math.min(ROOTFUL_NOFILE, spec.nofileLimit ?? ROOTFUL_NOFILE);
    process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: nofile, hard: nofile }];
  }

  // podman's namespace order. No user namespace: a rootless engine already
  // runs inside one, and the runtime inherits it.
  // A user namespace of the container's own (keep-id...) comes first, inside skiff's.
  const namespaces: LinuxNamespace[] = spec.idMappings ? [{ type: 'user' }, { type: 'pid' }] : [{ type: 'pid' }];
  if (!hostNetwork) {
    namespaces.push(spec.netnsPath && !netnsByRuntime(spec) ? { type: 'network', path: spec.netnsPath } : { type: 'network' });
  }
  namespaces.push({ type: 'ipc' }, { type: 'uts' }, { type: 'mount' });

  const linux: Linux = {
    namespaces,
    ...(spec.idMappings ? { uidMappings: spec.idMappings.uidMap.map((m) => ({ ...m })), gidMappings: spec.idMappings.gidMap.map((m) => ({ ...m })) } : {}),
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
  // Rootless cannot use cgroups here; a cgroupsPath would make the runtime try.
  if (!spec.rootless) {
    linux.cgroupsPath = `/skiff/${spec.id}`;
    // Deny all device access by default, as runtime-tools' default spec does.
    linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
  }

  return {
    ociVersion: OCI_VERSION,
    process,
    root: { path: spec.rootfs, readonly: spec.readOnlyRootfs },
    // Always a private UTS namespace, so the hostname applies even with host networking (as podman).
    hostname: spec.hostname,
    mounts: buildMounts(spec),
    // Labels stay in skiff's own metadata; only explicit annotations go to the runtime.
    annotations: { ...spec.annotations },
    linux,
  };
}

/**
 * Applies cap-add and cap-drop to `base` the way podman's
 * capabilities.MergeCapabilities does, returning a sorted list.
 *
 * Names are normalised (upper case, `CAP_` prefix optional). `ALL` in `drop`
 * means "only what `add` names"; `ALL` in `add` starts from every capability
 * and then applies `drop`.
 *
 * @throws CapabilityError for unknown names, `ALL` in both lists, or a
 *   capability both added and dropped.
 */
export function mergeCapabilities(base: readonly string[], add: readonly string[], drop: readonly string[]): string[] {
  const adds = normalizeCapabilities(add);
  const drops = normalizeCapabilities(drop);

  if (drops.has('ALL')) {
    if (adds.has('ALL')) throw new CapabilityError('adding all caps and removing all caps not allowed');
    return [...adds].sort();
  }

  let from = new Set(normalizeCapabilities(base));
  if (adds.has('ALL')) {
    from = new Set(ALL_CAPABILITIES);
    adds.clear();
  }
  for (const cap of adds) {
    if (drops.has(cap)) throw new CapabilityError(`capability "${cap}" cannot be dropped and added`);
  }

  const result = new Set([...from, ...adds]);
  for (const cap of drops) result.delete(cap);
  return [...result].sort();
}

/** Upper-cases names, adds the CAP_ prefix, and rejects unknown names. */
function normalizeCapabilities(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    const upper = name.trim().toUpperCase();
    if (upper === 'ALL') {
      out.add('ALL');
      continue;
    }
    const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!ALL_CAPABILITIES.includes(cap)) throw new CapabilityError(`unknown capability "${name}"`);
    out.add(cap);
  }
  return out;
}

/**
 * Capability sets as podman's security_linux.go builds them: root gets the
 * set as bounding, effective and permitted; any other uid keeps it only in
 * bounding, so the process starts unprivileged but setuid binaries can still
 * gain them. Inheritable and ambient stay empty, as in podman.
 */
function buildCapabilities(spec: ContainerSpec): Capabilities {
  const caps = mergeCapabilities(DEFAULT_CAPABILITIES, spec.capAdd, spec.capDrop);
  const isRoot = spec.user.uid === 0;
  return {
    bounding: caps,
    effective: isRoot ? [...caps] : [],
    inheritable: [],
    permitted: isRoot ? [...caps] : [],
    ambient: [],
  };
}

/**
 * The process environment. Defaults come first and are overridden by the
 * spec's env; within the spec, a later KEY wins but keeps the position of its
 * first occurrence. HOSTNAME is appended last if unset, as libpod does.
 */
function buildEnv(spec: ContainerSpec): string[] {
  const env = new Map<string, string>(); // KEY → full "KEY=VALUE" entry
  const set = (entry: string): void => {
    const eq = entry.indexOf('=');
    env.set(eq === -1 ? entry : entry.slice(0, eq), entry);
  };

  const unset = spec.unsetDefaultEnv;
  const setDefault = (entry: string): void => {
    if (unset !== 'all' && !unset?.includes(entry.slice(0, entry.indexOf('=')))) set(entry);
  };
  // As podman's containers.conf: TERM=xterm with or without -t.
  setDefault(`PATH=${DEFAULT_PATH}`);
  setDefault('TERM=xterm');
  // podman sets container=podman so software can detect it runs in a container.
  setDefault('container=skiff');
  for (const entry of spec.env) set(entry);
  if (!env.has('HOSTNAME')) set(`HOSTNAME=${spec.hostname}`);
  return [...env.values()];
}

/**
 * A container in a user namespace of its own gets its network namespace
 * from the runtime, inside that user namespace, and the monitor configures
 * it between create and start (slirp4netns, pasta, user networks): joining
 * one that skiff's namespace owns would keep exec from entering both.
 */
export function netnsByRuntime(spec: ContainerSpec): boolean {
  return spec.idMappings !== undefined && (spec.network.mode === 'slirp4netns' || spec.network.mode === 'pasta' || spec.network.mode === 'bridge');
}

/** The host's network namespace: --network host, or container: of a container that uses it. */
function usesHostNetwork(spec: ContainerSpec): boolean {
  return spec.network.mode === 'host' || (spec.network.mode === 'container' && spec.network.host === true);
}

/** The mount list, in podman's order, for the container's network and rootless mode. */
function buildMounts(spec: ContainerSpec): Mount[] {
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    // gid=5 (tty) only when gid 5 is mapped: with a single-id mapping the
    // kernel refuses the option (podman drops it too).
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(spec.singleIdMapping ? [] : ['gid=5'])],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];

  // Mounting sysfs needs CAP_SYS_ADMIN over the network namespace. A rootless
  // container on the host network does not own it, so podman bind-mounts the
  // host's /sys read-only instead; so for a container in a user namespace of
  // its own that joins a network namespace made outside it.
  if (spec.rootless && (usesHostNetwork(spec) || (spec.idMappings && spec.network.mode !== 'none' && !netnsByRuntime(spec)))) {
    mounts.push({
      destination: '/sys',
      type: 'bind',
      source: '/sys',
      options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'ro', 'rbind'],
    });
  } else {
    mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  }

  // Rootless podman on a host without a delegated cgroup v2 tree omits /sys/fs/cgroup.
  if (!spec.rootless) {
    mounts.push({
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    });
  }

  mounts.push(
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    ...(spec.etcFiles.hosts ? [etcBind('/etc/hosts', spec.etcFiles.hosts)] : []),
    ...(spec.etcFiles.resolvConf ? [etcBind('/etc/resolv.conf', spec.etcFiles.resolvConf)] : []),
    etcBind('/etc/hostname', spec.etcFiles.hostname),
  );
  if (spec.etcFiles.containerEnv) mounts.push(etcBind('/run/.containerenv', spec.etcFiles.containerEnv));
  if (spec.etcFiles.localtime) mounts.push(etcBind('/etc/localtime', spec.etcFiles.localtime));
  if (spec.etcFiles.passwd) mounts.push(etcBind('/etc/passwd', spec.etcFiles.passwd));
  if (spec.etcFiles.group) mounts.push(etcBind('/etc/group', spec.etcFiles.group));
  return withUserMounts(mounts, spec.mounts ?? []);
}

/**
 * The user's mounts after the defaults, as podman: a user mount replaces a
 * default one on the same destination (--tmpfs /dev/shm, -v on /etc/hosts),
 * and parents come before what is mounted inside them.
 */
function withUserMounts(defaults: Mount[], user: NonNullable<ContainerSpec['mounts']>): Mount[] {
  const taken = new Set(user.map((m) => m.destination));
  const depth = (m: Mount) => m.destination.split('/').filter(Boolean).length;
  const sorted = user.map((m) => ({ ...m, options: [...m.options] })).sort((a, b) => depth(a) - depth(b));
  return [...defaults.filter((m) => !taken.has(m.destination)), ...sorted];
}

/** A bind mount of an engine-managed file over a file in /etc, with libpod's options. */
function etcBind(destination: string, source: string): Mount {
  return { destination, type: 'bind', source, options: ['bind', 'rprivate'] };
}
