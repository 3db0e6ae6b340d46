/**
 * ContainerSpec: the validated intent of a container (what the user asked for
 * merged with the image config), independent of any OCI runtime. The CLI turns
 * flags into options, the engine turns options plus the image into this, and
 * `generateRuntimeSpec` turns this into an OCI runtime config.json.
 */
import type { IdMappings } from '../../userns/id-map.js';

export type NetworkMode =
  | { mode: 'none' }
  | { mode: 'host' }
  | { mode: 'slirp4netns'; allowHostLoopback: boolean; mtu: number; cidr?: string; enableIpv6?: boolean; outboundAddr?: string; outboundAddr6?: string; portHandler?: 'slirp4netns' | 'rootlesskit' }
  /** `options`: --network pasta:OPT,OPT, passed to pasta as arguments. */
  | { mode: 'pasta'; options: string[] }
  /** Another container's network namespace (`id`), resolved when this one starts; `host` when that one uses the host's. */
  | { mode: 'container'; id: string; host?: boolean }
  /** An existing network namespace file (--network ns:PATH). */
  | { mode: 'ns'; path: string }
  /** User networks by name (netavark in the rootless network namespace), in --network order. */
  | { mode: 'bridge'; networks: Record<string, { aliases: string[]; staticIps: string[]; staticMac?: string }> };

export interface ContainerSpec {
  /** Full 64-hex container id. */
  id: string;
  name: string;
  /** argv run in the container: Entrypoint + Cmd, already resolved. */
  command: string[];
  /** KEY=VALUE, image env first, then user env (later wins). */
  env: string[];
  /** Default variables (PATH, TERM, container) left out: --unsetenv's names, or all (--unsetenv-all). */
  unsetDefaultEnv?: string[] | 'all';
  workingDir: string;
  /** uid[:gid] or names as given by the image or -u; resolved to numbers. */
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  terminal: boolean;
  /** Initial console size when terminal is true. */
  consoleSize?: { rows: number; cols: number };
  network: NetworkMode;
  /** Absolute path to the network namespace file, when the network is not host. */
  netnsPath?: string;
  /** Host files bind-mounted over /etc/hosts, /etc/resolv.conf and /etc/hostname. */
  /** Engine-made files bound into the container; `containerEnv` is /run/.containerenv, podman's marker of a container. */
  /** `hosts` is absent with --no-hosts (the image's own), `resolvConf` with --dns none. */
  /** `passwd`/`group`: the image's with the entries podman adds (the user of --userns=keep-id, a numeric -u). */
  etcFiles: { hosts?: string; resolvConf?: string; hostname: string; containerEnv?: string; localtime?: string; passwd?: string; group?: string };
  /** A user namespace of the container's own (--userns=keep-id, --uidmap), mapped onto skiff's; absent: skiff's own. */
  idMappings?: IdMappings;
  /** Rootfs path as seen by the runtime (the merged overlay or vfs dir). */
  rootfs: string;
  readOnlyRootfs: boolean;
  /** Whether the engine runs inside a user namespace (rootless). */
  rootless: boolean;
  /** Rootless with only the user's own id mapped (no /etc/subuid range). */
  singleIdMapping?: boolean;
  /** The hard RLIMIT_NOFILE the engine may grant (rootful); read by the engine, not here. */
  nofileLimit?: number;
  /** Extra capabilities beyond the default set (names like CAP_NET_ADMIN). */
  capAdd: string[];
  capDrop: string[];
  /** --security-opt no-new-privileges: the process (and its children) cannot gain privileges (setuid, file capabilities). */
  noNewPrivileges?: boolean;
  labels: Record<string, string>;
  /** OCI annotations to put in the runtime spec. */
  annotations: Record<string, string>;
  /** -v, --mount, --tmpfs, --volumes-from and image VOLUMEs, as runtime mounts; each replaces a default mount on the same destination. */
  mounts?: { destination: string; type: string; source: string; options: string[] }[];
}
