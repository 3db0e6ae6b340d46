/**
 * -v/--volume, --mount and --tmpfs values → mount requests, as podman 4.3
 * parses them (pkg/specgen/volumes.go, pkg/specgenutil/volumes.go and
 * containers/common's ValidateVolumeOpts), with its error messages. Pure:
 * host paths are checked and volumes made later (see resolve.ts).
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../../util/errors.js';

/** One mount the user asked for; `options` are mount options as given (defaults are added by resolve.ts). */
export type MountRequest =
  /** A host path; `source` as given (absolute, or starting with `.`: relative to the caller's directory). */
  | { type: 'bind'; source: string; destination: string; options: string[] }
  /** A named volume, or an anonymous one when `name` is undefined. */
  | { type: 'volume'; name?: string; destination: string; options: string[] }
  /** `-v HOSTDIR:DST:O`: an overlay with the host directory as its lower layer, writes discarded. */
  | { type: 'overlay'; source: string; destination: string; options: string[] }
  | { type: 'tmpfs'; destination: string; options: string[] }
  | { type: 'devpts'; destination: string; options: string[] }
  /** `--mount type=image`: an image's root file system, read-only unless `readWrite`. */
  | { type: 'image'; source: string; destination: string; readWrite: boolean };

export interface MountFlags {
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
}

const MOUNT_SYNTAX = 'incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]';
const OPTION_ARG = 'must provide an argument for option';
const BAD_OPTION = 'invalid mount option';

/**
 * Parses every -v, --mount and --tmpfs value into requests, one per
 * destination. The same mount given twice is kept once; two different
 * mounts on one destination are podman's `DST: duplicate mount destination`.
 * @throws InvalidArgumentError with podman's message for a malformed value.
 */
export function parseMountFlags(flags: MountFlags): MountRequest[] {
  const byDest = new Map<string, MountRequest>();
  const add = (request: MountRequest, sameIsFine: boolean): void => {
    const existing = byDest.get(request.destination);
    if (existing) {
      if (sameIsFine && JSON.stringify(existing) === JSON.stringify(request)) return;
      throw new InvalidArgumentError(`${request.destination}: duplicate mount destination`);
    }
    byDest.set(request.destination, request);
  };
  // podman: --mount values first, then -v, then --tmpfs; -v and --tmpfs may repeat themselves exactly.
  for (const value of flags.mount ?? []) add(parseMount(value), false);
  for (const value of flags.volume ?? []) add(parseVolume(value), true);
  for (const value of flags.tmpfs ?? []) add(parseTmpfs(value), true);
  return [...byDest.values()];
}

/** One `-v [SRC:]DST[:OPTS]` value. */
export function parseVolume(value: string): MountRequest {
  const parts = value.split(':');
  if (parts.length > 3) throw new InvalidArgumentError(`${value}: incorrect volume format, should be [host-dir:]ctr-dir[:option]`);
  const anonymous = parts.length === 1;
  const source = anonymous ? '' : parts[0]!;
  const destination = anonymous ? parts[0]! : parts[1]!;
  const options = parts.length > 2 ? validateVolumeOptions(parts[2]!.split(',')) : [];
  if (!anonymous && source === '') throw new InvalidArgumentError('host directory cannot be empty');
  const dest = checkDestination(destination);
  if (anonymous) return { type: 'volume', destination: dest, options };
  if (source.startsWith('/') || source.startsWith('.')) {
    if (options.includes('O')) {
      checkOverlayOptions(options);
      return { type: 'overlay', source, destination: dest, options };
    }
    return { type: 'bind', source, destination: dest, options };
  }
  return { type: 'volume', name: source, destination: dest, options };
}

/** podman's rule for `O`: alone, or with `U`, or with both upperdir= and workdir=. */
function checkOverlayOptions(options: string[]): void {
  const joined = options.join('');
  const upper = joined.includes('upperdir');
  const work = joined.includes('workdir');
  if (upper !== work) throw new InvalidArgumentError('must set both `upperdir` and `workdir`');
  if (upper) throw new InvalidArgumentError('upperdir= and workdir= for an overlay volume are not supported: its writes go to a per-container layer');
  if ((options.length > 2) || (options.length === 2 && !joined.includes('U'))) throw new InvalidArgumentError("can't use 'O' with other options");
}

/** containers/common's ValidateVolumeOpts: known options, each kind at most once; cached/delegated dropped. */
export function validateVolumeOptions(options: string[]): string[] {
  const groups: Record<string, { names: string[]; what: string }> = {
    exec: { names: ['noexec', 'exec'], what: "1 'noexec' or 'exec' option" },
    dev: { names: ['nodev', 'dev'], what: "1 'nodev' or 'dev' option" },
    suid: { names: ['nosuid', 'suid'], what: "1 'nosuid' or 'suid' option" },
    rw: { names: ['rw', 'ro'], what: "1 'rw' or 'ro' option" },
    label: { names: ['z', 'Z', 'O'], what: "1 'z', 'Z', or 'O' option" },
    chown: { names: ['U'], what: "1 'U' option" },
    propagation: { names: ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'], what: "1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option" },
    bind: { names: ['bind', 'rbind'], what: "1 '[r]bind' option" },
    copy: { names: ['copy', 'nocopy'], what: "1 'copy' or 'nocopy' option" },
  };
  const seen = new Set<string>();
  const out: string[] = [];
  for (const opt of options) {
    if (opt.includes('upperdir') || opt.includes('workdir') || opt.startsWith('idmap')) {
      out.push(opt);
      continue;
    }
    if (opt === 'cached' || opt === 'delegated') continue;
    const group = Object.entries(groups).find(([, g]) => g.names.includes(opt));
    if (!group) throw new InvalidArgumentError(`invalid option type "${opt}"`);
    if (seen.has(group[0])) throw new InvalidArgumentError(`invalid options "${options.join(', ')}", can only specify ${group[1].what}`);
    seen.add(group[0]);
    out.push(opt);
  }
  return out;
}

/** containers/common's ValidateVolumeCtrDir, then path.Clean. */
function checkDestination(dest: string): string {
  if (dest === '') throw new InvalidArgumentError('container directory cannot be empty');
  if (!dest.startsWith('/')) throw new InvalidArgumentError(`invalid container path "${dest}", must be an absolute path`);
  return posix.normalize(dest).replace(/(.)\/$/, '$1');
}

/** One `--tmpfs DST[:OPTS]` value. */
export function parseTmpfs(value: string): MountRequest {
  const parts = value.split(':');
  const destination = checkDestination(parts[0]!);
  const options = parts.length > 1 ? parts[1]!.split(',') : [];
  return { type: 'tmpfs', destination, options };
}

/** Go's encoding/csv for one record: fields split on commas, "quoted" fields may hold commas. */
function splitCsv(input: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { fields.push(field); field = ''; } else if (ch === '\n') throw new InvalidArgumentError(MOUNT_SYNTAX);
    else field += ch;
  }
  if (quoted) throw new InvalidArgumentError(`parse error: extraneous or missing " in quoted-field`);
  fields.push(field);
  return fields;
}

/** One `--mount type=TYPE,KEY[=VALUE],...` value. */
export function parseMount(value: string): MountRequest {
  const tokens: string[] = [];
  let type: string | undefined;
  for (const field of splitCsv(value)) {
    const kv = field.split('=');
    if (type === undefined && kv.length === 2 && kv[0] === 'type') type = kv[1];
    else tokens.push(field);
  }
  if (type === undefined) throw new InvalidArgumentError(MOUNT_SYNTAX);
  switch (type) {
    case 'bind': return bindMount(tokens);
    case 'volume': return volumeMount(tokens);
    case 'tmpfs': return tmpfsMount(tokens);
    case 'devpts': return devptsMount(tokens);
    case 'image': return imageMount(tokens);
    default: throw new InvalidArgumentError(`invalid filesystem type "${type}"`);
  }
}

/** KEY[=VALUE] split at the first `=`. */
function keyValue(token: string): [string, string | undefined] {
  const at = token.indexOf('=');
  return at < 0 ? [token, undefined] : [token.slice(0, at), token.slice(at + 1)];
}

function needArg(key: string, value: string | undefined): string {
  if (value === undefined) throw new InvalidArgumentError(`${key}: ${OPTION_ARG}`);
  return value;
}

/** Tracks podman's "cannot pass X more than once" pairs. */
function once(seen: Set<string>, group: string, message: string): void {
  if (seen.has(group)) throw new InvalidArgumentError(`${message}: ${OPTION_ARG}`);
  seen.add(group);
}

/** The options that bind and volume mounts share: suid, dev, exec pairs and U/chown. Returns true when handled. */
function commonOption(key: string, value: string | undefined, token: string, seen: Set<string>, options: string[]): boolean {
  switch (key) {
    case 'nosuid': case 'suid':
      once(seen, 'suid', "cannot pass 'nosuid' and 'suid' options more than once");
      options.push(key);
      return true;
    case 'nodev': case 'dev':
      once(seen, 'dev', "cannot pass 'nodev' and 'dev' options more than once");
      options.push(key);
      return true;
    case 'noexec': case 'exec':
      once(seen, 'exec', "cannot pass 'noexec' and 'exec' options more than once");
      options.push(key);
      return true;
    case 'U': case 'chown': {
      once(seen, 'U', "cannot pass 'U' or 'chown' option more than once");
      if (value === undefined || value.toLowerCase() === 'true') options.push('U');
      else if (value.toLowerCase() !== 'false') throw new InvalidArgumentError(`'U' or 'chown' must be set to true or false, instead received "${value}": ${OPTION_ARG}`);
      return true;
    }
    case 'consistency':
      return true;
    default:
      void token;
      return false;
  }
}

function destinationOf(key: string, value: string | undefined): string {
  return checkDestination(needArg(key, value));
}

function bindMount(tokens: string[]): MountRequest {
  const options: string[] = [];
  const seen = new Set<string>();
  let source: string | undefined;
  let destination: string | undefined;
  for (const token of tokens) {
    const [key, value] = keyValue(token);
    if (commonOption(key, value, token, seen, options)) continue;
    switch (key) {
      case 'bind-nonrecursive': options.push('bind'); break;
      case 'readonly': case 'ro': case 'rw': {
        once(seen, 'rw', "cannot pass 'readonly', 'ro', or 'rw' options more than once");
        const name = key === 'readonly' ? 'ro' : key;
        if (value === undefined || value.toLowerCase() === 'true') options.push(name);
        else if (value.toLowerCase() === 'false') {
          if (name === 'rw') options.push('ro');
        } else throw new InvalidArgumentError(`'readonly', 'ro', or 'rw' must be set to true or false, instead received "${value}": ${OPTION_ARG}`);
        break;
      }
      case 'shared': case 'rshared': case 'private': case 'rprivate': case 'slave': case 'rslave': case 'unbindable': case 'runbindable': case 'Z': case 'z':
        options.push(key);
        break;
      case 'bind-propagation': options.push(needArg(key, value)); break;
      case 'src': case 'source':
        if (needArg(key, value) === '') throw new InvalidArgumentError(`host directory cannot be empty: ${OPTION_ARG}`);
        source = value;
        break;
      case 'target': case 'dst': case 'destination': destination = destinationOf(key, value); break;
      case 'relabel':
        once(seen, 'relabel', "cannot pass 'relabel' option more than once");
        if (value === 'private') options.push('Z');
        else if (value === 'shared') options.push('z');
        else throw new InvalidArgumentError(`${key} mount option must be 'private' or 'shared': ${BAD_OPTION}`);
        break;
      case 'idmap': options.push(token); break;
      default: throw new InvalidArgumentError(`${key}: ${BAD_OPTION}`);
    }
  }
  if (destination === undefined) throw new InvalidArgumentError('must set volume destination');
  return { type: 'bind', source: source ?? destination, destination, options: validateVolumeOptions(options) };
}

function volumeMount(tokens: string[]): MountRequest {
  const options: string[] = [];
  const seen = new Set<string>();
  let name: string | undefined;
  let destination: string | undefined;
  for (const token of tokens) {
    const [key, value] = keyValue(token);
    if (commonOption(key, value, token, seen, options)) continue;
    switch (key) {
      case 'volume-opt': options.push(token); break;
      case 'ro': case 'rw':
        once(seen, 'rw', "cannot pass 'ro' and 'rw' options more than once");
        // podman 4.3 keeps the bare word: `ro=true` is `ro`, and so (its quirk) is `ro=false`.
        options.push(key);
        break;
      case 'volume-label': throw new InvalidArgumentError('the --volume-label option is not presently implemented');
      case 'src': case 'source': name = needArg(key, value); break;
      case 'target': case 'dst': case 'destination': destination = destinationOf(key, value); break;
      default: throw new InvalidArgumentError(`${key}: ${BAD_OPTION}`);
    }
  }
  if (destination === undefined) throw new InvalidArgumentError('must set volume destination');
  return { type: 'volume', ...(name ? { name } : {}), destination, options };
}

function tmpfsMount(tokens: string[]): MountRequest {
  const options: string[] = [];
  const seen = new Set<string>();
  let destination: string | undefined;
  for (const token of tokens) {
    const [key, value] = keyValue(token);
    if (key !== 'U' && key !== 'chown' && commonOption(key, value, token, seen, options)) continue;
    switch (key) {
      case 'tmpcopyup': case 'notmpcopyup':
        once(seen, 'copyup', "cannot pass 'tmpcopyup' and 'notmpcopyup' options more than once");
        options.push(key);
        break;
      case 'ro': case 'rw':
        once(seen, 'rw', "cannot pass 'ro' and 'rw' options more than once");
        options.push(key);
        break;
      case 'tmpfs-mode': options.push(`mode=${needArg(key, value)}`); break;
      case 'tmpfs-size': options.push(`size=${needArg(key, value)}`); break;
      case 'src': case 'source': throw new InvalidArgumentError('source is not supported with tmpfs mounts');
      case 'target': case 'dst': case 'destination': destination = destinationOf(key, value); break;
      case 'U': case 'chown': commonOption(key, value, token, seen, options); break;
      default: throw new InvalidArgumentError(`${key}: ${BAD_OPTION}`);
    }
  }
  if (destination === undefined) throw new InvalidArgumentError('must set volume destination');
  return { type: 'tmpfs', destination, options };
}

function devptsMount(tokens: string[]): MountRequest {
  const options: string[] = [];
  let destination: string | undefined;
  for (const token of tokens) {
    const [key, value] = keyValue(token);
    if (['uid', 'gid', 'mode', 'ptxmode', 'newinstance', 'max'].includes(key)) options.push(token);
    else if (key === 'target' || key === 'dst' || key === 'destination') destination = destinationOf(key, value);
    else throw new InvalidArgumentError(`${key}: ${BAD_OPTION}`);
  }
  if (destination === undefined) throw new InvalidArgumentError('must set volume destination');
  return { type: 'devpts', destination, options };
}

function imageMount(tokens: string[]): MountRequest {
  let source = '';
  let destination = '';
  let readWrite = false;
  for (const token of tokens) {
    const [key, value] = keyValue(token);
    switch (key) {
      case 'src': case 'source': source = needArg(key, value); break;
      case 'target': case 'dst': case 'destination': destination = destinationOf(key, value); break;
      case 'rw': case 'readwrite':
        if (value === 'true') readWrite = true;
        else if (value !== 'false') throw new InvalidArgumentError(`invalid rw value "${value ?? ''}": ${BAD_OPTION}`);
        break;
      case 'consistency': break;
      default: throw new InvalidArgumentError(`${key}: ${BAD_OPTION}`);
    }
  }
  if (source === '' || destination === '') throw new InvalidArgumentError('must set source and destination for image volume');
  return { type: 'image', source, destination, readWrite };
}

/**
 * Mount options with podman's defaults added (pkg/util ProcessOptions):
 * rw and rprivate unless given, rbind for binds, tmpcopyup for tmpfs, and
 * `inherited` (nosuid/nodev/noexec of the source's own mount, which a user
 * namespace may not clear) unless the user chose. Skiff-only words (z, Z,
 * U, copy, nocopy, O, idmap) are left out: they are not mount(2) options.
 */
export function runtimeMountOptions(options: string[], kind: 'bind' | 'tmpfs', inherited: string[] = []): string[] {
  const out: string[] = [];
  const has = (...names: string[]) => options.some((o) => names.includes(o));
  for (const opt of options) {
    if (['z', 'Z', 'U', 'copy', 'nocopy', 'O', 'notmpcopyup'].includes(opt) || opt.startsWith('idmap') || opt.startsWith('volume-opt')) continue;
    out.push(opt);
  }
  if (!has('rw', 'ro')) out.push('rw');
  if (!has('private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable')) out.push('rprivate');
  if (!has('exec', 'noexec') && inherited.includes('noexec')) out.push('noexec');
  if (!has('suid', 'nosuid') && inherited.includes('nosuid')) out.push('nosuid');
  if (!has('dev', 'nodev') && inherited.includes('nodev')) out.push('nodev');
  if (kind === 'tmpfs' && !has('tmpcopyup', 'notmpcopyup')) out.push('tmpcopyup');
  if (kind === 'bind' && !has('bind', 'rbind')) out.push('rbind');
  return out;
}
