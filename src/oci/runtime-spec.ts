/**
 * Types for the OCI runtime-spec `config.json`, written by hand from
 * https://github.com/opencontainers/runtime-spec (config.md, config-linux.md).
 * There is no maintained npm package for these. Only the Linux parts are
 * modelled; Windows, Solaris, VM and z/OS sections are left out.
 */

/**
 * The `ociVersion` skiff writes. Matches what podman emits (via
 * runtime-tools), which crun and runc both accept.
 */
export const OCI_VERSION = '1.0.2-dev';

/** The top-level `config.json` document. */
export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

/** The container process: what to run, as whom, with which privileges. */
export interface Process {
  terminal?: boolean;
  consoleSize?: ConsoleSize;
  user: User;
  /** argv; the first element is resolved against PATH by the runtime. */
  args?: string[];
  /** KEY=VALUE entries. */
  env?: string[];
  /** Absolute path inside the container. */
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: { class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE'; priority: number };
}

/** Initial size of the console (the pty) when `terminal` is true. */
export interface ConsoleSize {
  height: number;
  width: number;
}

/** Numeric identity of the process, as seen inside the container. */
export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** Capability sets, each a list of names like `CAP_CHOWN`. */
export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/** A POSIX resource limit, e.g. `{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }`. */
export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

/** The container's root filesystem. */
export interface Root {
  /** Path to the rootfs, absolute or relative to the bundle. */
  path: string;
  readonly?: boolean;
}

/** One mount, applied in array order after the root is set up. */
export interface Mount {
  destination: string;
  source?: string;
  /** Filesystem type (`proc`, `tmpfs`, `bind`, ...). */
  type?: string;
  /** mount(8) style options; `bind`/`rbind` make it a bind mount. */
  options?: string[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

/** A lifecycle hook: a host executable run by the runtime. */
export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** Hooks by lifecycle point. `prestart` is deprecated in favour of the next three. */
export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

/** Linux-specific configuration. */
export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  devices?: LinuxDevice[];
  cgroupsPath?: string;
  resources?: LinuxResources;
  sysctl?: Record<string, string>;
  /** Seccomp profile; not modelled, skiff passes it through untouched. */
  seccomp?: unknown;
  rootfsPropagation?: 'private' | 'shared' | 'slave' | 'unbindable';
  /** Paths the runtime hides (bind-mounts /dev/null or an empty tmpfs over). */
  maskedPaths?: string[];
  /** Paths the runtime remounts read-only. */
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: 'LINUX' | 'LINUX32'; flags?: string[] };
}

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

/** A namespace to create, or to join when `path` is given. */
export interface LinuxNamespace {
  type: LinuxNamespaceType;
  path?: string;
}

/** Maps `size` ids starting at `containerID` onto `hostID`. */
export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** A device node the runtime creates in the container's /dev. */
export interface LinuxDevice {
  /** `c`, `b`, `u` or `p`. */
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A device cgroup rule (allow or deny access to a device class). */
export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  /** Any of `r`, `w`, `m`. */
  access?: string;
}

/** Cgroup resource limits. Partial: only the sections skiff may set. */
export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    disableOOMKiller?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    period?: number;
    cpus?: string;
    mems?: string;
  };
  pids?: { limit: number };
  blockIO?: { weight?: number };
  /** cgroup v2 key/value files. */
  unified?: Record<string, string>;
}
