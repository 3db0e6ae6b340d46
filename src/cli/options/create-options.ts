import type { ContainersConfEtc } from '../../config/containers-conf.js';
import type { ContainerCreateOptions } from '../../engine/container/create.js';
import type { OptionSpec, ParsedArgs } from '../command.js';
import { REPLACE_OPTION } from './replace-option.js';

/** Flags shared by run and create, as podman's DefineCreateFlags. */
export const CREATE_OPTIONS: Record<string, OptionSpec> = {
  name: { type: 'string', describe: 'Assign a name to the container' },
  env: { alias: 'e', type: 'string', array: true, describe: 'Set environment variables (KEY=VALUE, or KEY to copy from the caller)' },
  'env-file': { type: 'string', array: true, describe: 'Read in a file of environment variables' },
  tz: { type: 'string', describe: 'Set the time zone in the container: a zone name (Europe/Paris), or local for the host\'s' },
  unsetenv: { type: 'string', array: true, describe: 'Unset a default environment variable (of skiff or the image; --env still sets it)' },
  'unsetenv-all': { type: 'boolean', default: false, describe: 'Unset all default environment variables (of skiff and the image)' },
  workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  user: { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  userns: { type: 'string', describe: "User namespace: keep-id[:uid=UID,gid=GID] (you are yourself, or UID, inside), host (skiff's own: you are root inside; the default)" },
  uidmap: { type: 'string', array: true, describe: "UID map of a user namespace of the container's own: CONTAINER_UID:FROM_UID:SIZE, FROM_UID an id of skiff's namespace (0 is you, 1.. your /etc/subuid range)" },
  gidmap: { type: 'string', array: true, describe: "GID map of a user namespace of the container's own: CONTAINER_GID:FROM_GID:SIZE (default: as --uidmap)" },
  entrypoint: { type: 'string', describe: 'Overwrite the default ENTRYPOINT of the image' },
  hostname: { alias: 'h', type: 'string', describe: 'Set container hostname' },
  network: { alias: 'net', type: 'string', array: true, describe: 'Network mode: none, host, private, slirp4netns[:OPTIONS], pasta[:OPTIONS], container:NAME|ID (join its network namespace), ns:PATH, or a network NAME[:alias=A,ip=IP,mac=MAC] (repeatable for several networks); default: containers.conf default_rootless_network_cmd, else pasta when installed' },
  'add-host': { type: 'string', array: true, describe: 'Add a custom host-to-IP mapping (host:ip) to /etc/hosts' },
  dns: { type: 'string', array: true, describe: 'Set custom DNS servers (none: leave the image\'s /etc/resolv.conf)' },
  'dns-search': { type: 'string', array: true, describe: 'Set custom DNS search domains (.: none)' },
  'dns-option': { alias: 'dns-opt', type: 'string', array: true, describe: 'Set custom DNS options' },
  'no-hosts': { type: 'boolean', describe: 'Do not create /etc/hosts within the container, instead use the version from the image' },
  publish: { alias: 'p', type: 'string', array: true, describe: 'Publish a container\'s port, or a range of ports, to the host: [[IP:][HOSTPORT]:]CPORT[/tcp|/udp]; no HOSTPORT for a random one' },
  'publish-all': { alias: 'P', type: 'boolean', default: false, describe: 'Publish all exposed ports (image EXPOSE and --expose) to random ports on the host' },
  expose: { type: 'string', array: true, describe: 'Expose a port or a range of ports (PORT[-END][/PROTO]), published with -P' },
  'network-alias': { type: 'string', array: true, describe: 'Add a network-scoped alias (a DNS name) for the container on its network' },
  ip: { type: 'string', describe: 'Specify a static IP address for the container on its network' },
  'mac-address': { type: 'string', describe: 'Specify a static MAC address for the container on its network' },
  interactive: { alias: 'i', type: 'boolean', default: false, describe: 'Keep STDIN open even if not attached' },
  tty: { alias: 't', type: 'boolean', default: false, describe: 'Allocate a pseudo-TTY for the container' },
  rm: { type: 'boolean', default: false, describe: 'Remove the container when it exits' },
  'read-only': { type: 'boolean', default: false, describe: "Make the container's root filesystem read-only" },
  'read-only-tmpfs': { type: 'boolean', default: true, describe: 'With --read-only, mount a read-write tmpfs on /run, /tmp and /var/tmp' },
  'cap-add': { type: 'string', array: true, describe: 'Add capabilities to the container' },
  'cap-drop': { type: 'string', array: true, describe: 'Drop capabilities from the container' },
  label: { alias: 'l', type: 'string', array: true, describe: 'Set metadata on the container (KEY=VALUE)' },
  'stop-signal': { type: 'string', describe: 'Signal to stop the container (default SIGTERM)' },
  'stop-timeout': { type: 'number', describe: 'Seconds to wait before killing the container on stop (default 10)' },
  timeout: { type: 'number', describe: 'Seconds the container may run before it is killed (SIGKILL, exit code -1); 0 for no limit' },
  cidfile: { type: 'string', describe: 'Write the container ID to the file (which must not exist)' },
  'conmon-pidfile': { type: 'string', describe: "Write the pid of the container's monitor (skiff's conmon) to the file" },
  'log-driver': { type: 'string', default: 'k8s-file', describe: 'Logging driver for the container: k8s-file (json-file is an alias) or none' },
  'log-opt': { type: 'string', array: true, describe: 'Logging driver options: path=FILE, max-size=SIZE (the log starts again past it), tag=TAG' },
  replace: REPLACE_OPTION,
  'security-opt': { type: 'string', array: true, describe: 'Security options: no-new-privileges[=true|false]; label=disable, seccomp=unconfined and apparmor=unconfined are what skiff does anyway' },
  'kernel-memory': { type: 'string', describe: 'No longer supported: a no-op, with a warning (as podman)' },
  volume: { alias: 'v', type: 'string', array: true, describe: 'Bind mount a volume: [HOST-DIR|VOLUME-NAME:]CONTAINER-DIR[:OPTIONS] (ro, rw, z, Z, U, O, nocopy, [no]suid, [no]exec, [no]dev, [r]bind, propagation)' },
  mount: { type: 'string', array: true, describe: 'Attach a filesystem mount: type=bind|volume|tmpfs|image|devpts,[src=SOURCE,]target=DEST[,OPTIONS]' },
  tmpfs: { type: 'string', array: true, describe: 'Mount a temporary filesystem: CONTAINER-DIR[:OPTIONS] (size=, mode=, ro, ...)' },
  'image-volume': { type: 'string', describe: "What the image's VOLUMEs become: bind (anonymous volumes, the default), tmpfs, or ignore" },
  'volumes-from': { type: 'string', array: true, describe: 'Mount the volumes and bind mounts of another container: CONTAINER[:ro|rw]' },
};

/** The only place run/create read raw argv: flags to engine options. */
export function toCreateOptions(args: ParsedArgs, consoleSize?: { rows: number; cols: number }, containersConf?: ContainersConfEtc): ContainerCreateOptions {
  const list = (key: string) => ((args[key] as string[] | undefined) ?? []).map(String);
  // podman's StringSlice flags: repeated, and each value may hold several, comma-separated.
  const commaList = (key: string) => list(key).flatMap((v) => v.split(','));
  const labels: Record<string, string> = {};
  for (const l of list('label')) {
    const at = l.indexOf('=');
    labels[at < 0 ? l : l.slice(0, at)] = at < 0 ? '' : l.slice(at + 1);
  }
  return {
    image: String(args._[0]),
    command: args._.slice(1).map(String),
    name: args.name as string | undefined,
    entrypoint: args.entrypoint as string | undefined,
    env: list('env'),
    envFiles: list('env-file'),
    unsetEnv: list('unsetenv'),
    unsetEnvAll: Boolean(args['unsetenv-all']),
    // Given twice, the last --tz wins (as podman).
    timezone: args.tz === undefined ? undefined : String([args.tz].flat().at(-1)),
    workdir: args.workdir as string | undefined,
    user: args.user as string | undefined,
    userns: args.userns === undefined ? undefined : String([args.userns].flat().at(-1)),
    uidmap: list('uidmap'),
    gidmap: list('gidmap'),
    hostname: args.hostname as string | undefined,
    network: list('network').at(-1) ?? 'default',
    addHosts: commaList('add-host'),
    dns: commaList('dns'),
    dnsSearch: commaList('dns-search'),
    dnsOptions: commaList('dns-option'),
    noHosts: args['no-hosts'] === undefined ? undefined : Boolean(args['no-hosts']),
    containersConf,
    // podman's flags are string slices: `-p 80,81` is two values.
    publish: list('publish').flatMap((v) => v.split(',')),
    publishAll: Boolean(args['publish-all']),
    expose: list('expose').flatMap((v) => v.split(',')),
    networks: list('network').length > 1 ? list('network') : undefined,
    networkAliases: list('network-alias'),
    ip: args.ip as string | undefined,
    macAddress: args['mac-address'] as string | undefined,
    interactive: Boolean(args.interactive),
    tty: Boolean(args.tty),
    consoleSize,
    autoRemove: Boolean(args.rm),
    readOnly: Boolean(args['read-only']),
    readOnlyTmpfs: args['read-only-tmpfs'] !== false,
    imageVolume: args['image-volume'] === undefined ? undefined : String([args['image-volume']].flat().at(-1)),
    capAdd: list('cap-add'),
    capDrop: list('cap-drop'),
    labels,
    stopSignal: args['stop-signal'] as string | undefined,
    stopTimeout: args['stop-timeout'] as number | undefined,
    logDriver: String(args['log-driver'] ?? 'k8s-file'),
    logOpts: list('log-opt'),
    timeout: args.timeout as number | undefined,
    cidFile: args.cidfile as string | undefined,
    monitorPidFile: args['conmon-pidfile'] as string | undefined,
    // A global flag: parsed with the command's own, so it is here too.
    runtimeFlags: list('runtime-flag'),
    securityOpts: list('security-opt'),
    kernelMemory: args['kernel-memory'] !== undefined,
    volumes: list('volume'),
    mounts: list('mount'),
    tmpfs: list('tmpfs'),
    // podman's --volumes-from is a string slice: `a,b` is two containers.
    volumesFrom: commaList('volumes-from'),
  };
}

/** containers.conf's settings for /etc/hosts and resolv.conf, loaded only when a container is made. */
export async function containersConfEtc(): Promise<ContainersConfEtc> {
  const { readContainersConfEtc } = await import('../../config/containers-conf.js');
  return readContainersConfEtc();
}
