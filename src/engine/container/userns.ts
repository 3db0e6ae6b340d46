import type { IdMap, IdMappings } from '../../userns/id-map.js';
import { InvalidArgumentError } from '../../util/errors.js';

export type { IdMap, IdMappings };

/** --userns as given: podman's modes that skiff supports. */
export type UsernsMode =
  | { mode: 'host' }
  | { mode: 'keep-id'; uid?: number; gid?: number };

/**
 * Parses --userns as podman's ParseUserNamespace and GetKeepIDOptions do.
 * `host` and "" keep the container in skiff's own user namespace (the
 * default); auto, ns: and container: are refused.
 */
export function parseUsernsMode(value: string): UsernsMode {
  if (value === '' || value === 'host') return { mode: 'host' };
  // A container's files are private to the user (its directory is 0700), and one
  // whose namespace leaves the user out cannot reach its own root filesystem.
  if (value === 'nomap') throw new InvalidArgumentError('--userns=nomap is not supported by skiff: a container must have you in its user namespace to reach its storage, which is private to you');
  if (value === 'keep-id' || value.startsWith('keep-id:')) {
    const mode: UsernsMode = { mode: 'keep-id' };
    if (value === 'keep-id') return mode;
    for (const option of value.slice('keep-id:'.length).split(',')) {
      const at = option.indexOf('=');
      if (at < 0) throw new InvalidArgumentError(`invalid option specified: "${option}"`);
      const key = option.slice(0, at);
      const raw = option.slice(at + 1);
      if (key !== 'uid' && key !== 'gid') throw new InvalidArgumentError(`unknown option specified: "${key}"`);
      if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) throw new InvalidArgumentError(`strconv.ParseUint: parsing "${raw}": invalid syntax`);
      mode[key] = Number(raw);
    }
    return mode;
  }
  if (value === 'auto' || value.startsWith('auto:') || value.startsWith('ns:') || value.startsWith('container:') || value === 'private') {
    throw new InvalidArgumentError(`--userns=${value} is not supported by skiff: use keep-id, host, or --uidmap/--gidmap`);
  }
  throw new InvalidArgumentError(`unrecognized namespace mode ${value} passed`);
}

/**
 * podman's keep-id mapping (util.GetKeepIDMapping): the user (0 in skiff's
 * namespace) is `uid` inside, the ids below it are the first of the user's
 * range, and those above it the rest. `maxUid`/`maxGid` are the sizes of
 * the user's /etc/subuid and /etc/subgid ranges.
 */
export function keepIdMappings(uid: number, gid: number, maxUid: number, maxGid: number): IdMappings {
  const around = (id: number, max: number): IdMap[] => [
    ...(Math.min(id, max) > 0 ? [{ containerID: 0, hostID: 1, size: Math.min(id, max) }] : []),
    { containerID: id, hostID: 0, size: 1 },
    ...(max > id ? [{ containerID: id + 1, hostID: id + 1, size: max - id }] : []),
  ];
  return { uidMap: around(uid, maxUid), gidMap: around(gid, maxGid) };
}

/**
 * Parses --uidmap/--gidmap values (`CONTAINER:HOST:SIZE`, HOST an id of
 * skiff's namespace); without --gidmap the uid map serves for gids too,
 * as podman's. Every id must exist in skiff's namespace (0..max).
 */
export function parseIdMaps(uidmaps: string[], gidmaps: string[], maxUid: number, maxGid: number): IdMappings {
  const parse = (values: string[], kind: 'uid' | 'gid', max: number): IdMap[] => values.flatMap((value) => value.split(',')).map((value) => {
    const parts = value.split(':');
    if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) {
      throw new InvalidArgumentError(`invalid ${kind}map "${value}": the format is CONTAINER_ID:HOST_ID:SIZE`);
    }
    const [containerID, hostID, size] = parts.map(Number);
    if (size === 0) throw new InvalidArgumentError(`invalid ${kind}map "${value}": the size must be at least 1`);
    if (hostID + size - 1 > max) {
      throw new InvalidArgumentError(`invalid ${kind}map "${value}": ids ${hostID}-${hostID + size - 1} are not all mapped in the rootless user namespace (0-${max}: your /etc/sub${kind} range)`);
    }
    return { containerID, hostID, size };
  });
  const uidMap = parse(uidmaps, 'uid', maxUid);
  const gidMap = gidmaps.length ? parse(gidmaps, 'gid', maxGid) : uidMap.map((m) => ({ ...m }));
  // See parseUsernsMode's nomap: the container must have the user in it.
  for (const [kind, map] of [['uid', uidMap], ['gid', gidMap]] as const) {
    if (!map.some((m) => m.hostID === 0)) throw new InvalidArgumentError(`--${kind}map must map your own id (0 in skiff's namespace, e.g. ${kind === 'uid' ? 'UID' : 'GID'}:0:1): a container must have you in its user namespace to reach its storage, which is private to you`);
  }
  for (const [kind, map] of [['uid', uidMap], ['gid', gidMap]] as const) {
    const sorted = [...map].sort((a, b) => a.containerID - b.containerID);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].containerID < sorted[i - 1].containerID + sorted[i - 1].size) throw new InvalidArgumentError(`invalid ${kind}map: container ranges overlap`);
    }
  }
  return { uidMap, gidMap };
}

/** The user running skiff, as the host's /etc/passwd and /etc/group name it. */
export interface HostUser {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  groupName?: string;
}

/**
 * The lines podman adds to a container's /etc/passwd and /etc/group
 * (libpod's generatePasswdEntry/generateGroupEntry): for --userns=keep-id
 * without uid=/gid=, the user running skiff, unless the image knows that
 * name or id; for a numeric -u the image does not know, a "container user"
 * of that id (`userSpec` as given, `gid` the group it resolved to), and a
 * group for a numeric group part. Each is undefined when nothing is added.
 */
export function passwdAdditions(imagePasswd: string, imageGroup: string, add: { currentUser?: HostUser; userSpec?: string; gid?: number; workdir: string; mountedAt?: (dir: string) => boolean }): { passwd?: string; group?: string; home?: string } {
  const users = imagePasswd.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4);
  const groups = imageGroup.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 3);
  const hasUser = (nameOrId: string) => users.some((f) => f[0] === nameOrId || f[2] === nameOrId);
  const hasGroup = (nameOrId: string) => groups.some((f) => f[0] === nameOrId || f[2] === nameOrId);
  let passwd = '';
  let group = '';
  let home: string | undefined;
  let addedUid: number | undefined;
  let addedGid: number | undefined;
  const me = add.currentUser;
  if (me && me.uid !== 0 && !hasUser(me.name) && !hasUser(String(me.uid))) {
    // podman uses the user's home only when it, or a directory above it, is mounted in; else the working directory.
    home = homeIsMounted(me.home, add.mountedAt) ? me.home : add.workdir;
    passwd += `${me.name}:*:${me.uid}:${me.gid}:${me.gecos}:${home}:/bin/sh\n`;
    addedUid = me.uid;
  }
  if (me && me.gid !== 0 && me.groupName !== undefined && !hasGroup(me.groupName) && !hasGroup(String(me.gid))) {
    group += `${me.groupName}:x:${me.gid}:${me.name}\n`;
    addedGid = me.gid;
  }
  if (add.userSpec) {
    const [userPart, groupPart] = add.userSpec.split(':', 2);
    if (/^\d+$/.test(userPart) && Number(userPart) !== addedUid && !hasUser(userPart)) {
      passwd += `${Number(userPart)}:*:${Number(userPart)}:${add.gid ?? 0}:container user:${add.workdir}:/bin/sh\n`;
    }
    const groupNumber = groupPart || userPart;
    if (/^\d+$/.test(groupNumber) && Number(groupNumber) !== addedGid && !hasGroup(groupNumber)) {
      group += `${Number(groupNumber)}:x:${Number(groupNumber)}:${userPart}\n`;
    }
  }
  const joined = (base: string, extra: string) => (extra === '' ? undefined : base === '' || base.endsWith('\n') ? base + extra : `${base}\n${extra}`);
  return { passwd: joined(imagePasswd, passwd), group: joined(imageGroup, group), home };
}

/** What a container's own user namespace is: its maps, and keep-id's user. */
export interface ContainerUserns {
  mappings: IdMappings;
  /** --userns=keep-id: the id the user is inside, and whether podman adds the user to /etc/passwd (no uid=/gid= given). */
  keepId?: { uid: number; gid: number; addCurrentUser: boolean };
}

/**
 * The user namespace a container asks for with --userns, --uidmap and
 * --gidmap; undefined for skiff's own (the default). Rootless, the maps
 * are onto skiff's namespace, whose size is the user's /etc/subuid and
 * /etc/subgid ranges (`maxUid`/`maxGid`, 0 when the user has none).
 */
export function containerUserns(options: { userns?: string; uidmap?: string[]; gidmap?: string[] }, env: { rootless: boolean; uid: number; gid: number; maxUid: number; maxGid: number }): ContainerUserns | undefined {
  const uidmap = options.uidmap ?? [];
  const gidmap = options.gidmap ?? [];
  const mode = parseUsernsMode(options.userns ?? '');
  if (uidmap.length || gidmap.length) {
    if (mode.mode !== 'host') throw new InvalidArgumentError('--userns and --uidmap/--gidmap are mutually exclusive');
    const limit = (max: number) => (env.rootless ? max : 0xfffffffe);
    return { mappings: parseIdMaps(uidmap, gidmap, limit(env.maxUid), limit(env.maxGid)) };
  }
  if (mode.mode === 'host') return undefined;
  if (!env.rootless) throw new InvalidArgumentError('keep-id is only supported in rootless mode');
  if (env.maxUid === 0 || env.maxGid === 0) {
    throw new InvalidArgumentError(`keep-id requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid to function correctly`);
  }
  const uid = mode.uid ?? env.uid;
  const gid = mode.gid ?? env.gid;
  return {
    mappings: keepIdMappings(uid, gid, env.maxUid, env.maxGid),
    keepId: { uid, gid, addCurrentUser: mode.uid === undefined && mode.gid === undefined },
  };
}

/** Whether `home` or one of its parents (not /) is a mount point of the container, as podman's userPasswdEntry asks. */
function homeIsMounted(home: string, mountedAt: ((dir: string) => boolean) | undefined): boolean {
  if (!mountedAt) return false;
  for (let dir = home.replace(/\/+$/, ''); dir !== '' && dir !== '/'; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    if (mountedAt(dir)) return true;
  }
  return false;
}
