/**
 * containers-registries.conf(5), as podman reads it: the unqualified-search
 * registries for short names, and per-registry `[[registry]]` tables with
 * their location, `insecure`, `blocked` and `[[registry.mirror]]`s. The V2
 * format is the documented one; the old V1 tables (`[registries.search]`,
 * `[registries.insecure]`, `[registries.block]`) are read too. Short-name
 * aliases (`[aliases]`, e.g. Debian's shortnames.conf) are accepted and ignored.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { SkiffError } from '../util/errors.js';

export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf';
const USER_REGISTRIES_CONF = join('.config', 'containers', 'registries.conf');

export interface RegistryMirror {
  location: string;
  insecure: boolean;
  /** `pull-from-mirror`: which references may use this mirror (default all). */
  pullFromMirror: 'all' | 'digest-only' | 'tag-only';
}

export interface RegistryEntry {
  /** What references this entry applies to: `host[/path]` or `*.domain`. */
  prefix: string;
  /** Where matching references are pulled from (`prefix` is replaced by it); '' keeps them (wildcard prefixes). */
  location: string;
  insecure: boolean;
  blocked: boolean;
  /** `mirror-by-digest-only`: mirrors serve only references by digest. */
  mirrorByDigestOnly: boolean;
  mirrors: RegistryMirror[];
}

/** What one file says; `unqualifiedSearchRegistries` is undefined when the file does not set it. */
export interface RegistriesConfFile {
  unqualifiedSearchRegistries?: string[];
  registries: RegistryEntry[];
}

/** The merged configuration (main file, then drop-ins in order). */
export interface RegistriesConf {
  unqualifiedSearchRegistries: string[];
  registries: RegistryEntry[];
  /** The main file named in messages (it need not exist). */
  mainFile: string;
  /** The files actually read, in order. */
  files: string[];
}

/** The error for a file that is not valid TOML or not a valid registries.conf. */
export class RegistriesConfError extends SkiffError {
  constructor(file: string, why: string) {
    super('EREGISTRIESCONF', `loading registries configuration "${file}": ${why}`, {
      hint: 'see containers-registries.conf(5); CONTAINERS_REGISTRIES_CONF selects another file',
    });
  }
}

/**
 * Parses the text of one registries.conf. Unknown keys are ignored (as
 * containers/image warns and goes on); wrong types and invalid entries are
 * errors naming `file`.
 */
export function parseRegistriesConf(text: string, file = 'registries.conf'): RegistriesConfFile {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    const at = e.line !== undefined ? ` (line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''})` : '';
    throw new RegistriesConfError(file, `${firstLine(e.message).replace(/^Invalid TOML document: /, 'invalid TOML: ')}${at}`);
  }
  const bad = (why: string) => new RegistriesConfError(file, why);
  const stringList = (value: unknown, key: string): string[] => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw bad(`"${key}" must be an array of strings`);
    return value as string[];
  };
  const bool = (value: unknown, key: string): boolean => {
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw bad(`"${key}" must be true or false`);
    return value;
  };
  const str = (value: unknown, key: string): string => {
    if (value === undefined) return '';
    if (typeof value !== 'string') throw bad(`"${key}" must be a string`);
    return value;
  };

  const out: RegistriesConfFile = { registries: [] };
  if (doc['unqualified-search-registries'] !== undefined) {
    out.unqualifiedSearchRegistries = stringList(doc['unqualified-search-registries'], 'unqualified-search-registries').map((r) => trimLocation(r));
  }

  const tables = doc.registry;
  if (tables !== undefined) {
    if (!Array.isArray(tables)) throw bad('"registry" must be an array of tables ([[registry]])');
    for (const table of tables as unknown[]) {
      if (typeof table !== 'object' || table === null || Array.isArray(table)) throw bad('"registry" must be an array of tables ([[registry]])');
      const t = table as Record<string, unknown>;
      const location = trimLocation(str(t.location, 'location'));
      const prefix = trimLocation(str(t.prefix, 'prefix')) || location;
      if (!prefix) throw bad('a [[registry]] needs a "location" or a "prefix"');
      if (/:\/\//.test(location) || /:\/\//.test(prefix)) throw bad(`registry "${prefix}": location and prefix are host[:port][/path], without a scheme`);
      if (!location && !prefix.startsWith('*.')) throw bad(`registry "${prefix}": an empty location needs a wildcard prefix (*.example.com)`);
      if (prefix.startsWith('*.') && prefix.includes('/')) throw bad(`registry "${prefix}": a wildcard prefix is a domain only`);
      const mirrors: RegistryMirror[] = [];
      if (t.mirror !== undefined) {
        if (!Array.isArray(t.mirror)) throw bad(`registry "${prefix}": "mirror" must be an array of tables ([[registry.mirror]])`);
        for (const m of t.mirror as unknown[]) {
          if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(`registry "${prefix}": "mirror" must be an array of tables ([[registry.mirror]])`);
          const mt = m as Record<string, unknown>;
          const mirrorLocation = trimLocation(str(mt.location, 'mirror location'));
          if (!mirrorLocation) throw bad(`registry "${prefix}": a mirror needs a "location"`);
          if (/:\/\//.test(mirrorLocation)) throw bad(`mirror "${mirrorLocation}": the location is host[:port][/path], without a scheme`);
          const pull = str(mt['pull-from-mirror'], 'pull-from-mirror') || 'all';
          if (pull !== 'all' && pull !== 'digest-only' && pull !== 'tag-only') throw bad(`mirror "${mirrorLocation}": pull-from-mirror must be all, digest-only or tag-only`);
          mirrors.push({ location: mirrorLocation, insecure: bool(mt.insecure, 'insecure'), pullFromMirror: pull });
        }
      }
      if (out.registries.some((r) => r.prefix === prefix)) throw bad(`registry "${prefix}" is defined more than once`);
      out.registries.push({
        prefix,
        location,
        insecure: bool(t.insecure, 'insecure'),
        blocked: bool(t.blocked, 'blocked'),
        mirrorByDigestOnly: bool(t['mirror-by-digest-only'], 'mirror-by-digest-only'),
        mirrors,
      });
    }
  }

  // V1: [registries.search] registries = [...], and the same for insecure and block.
  const v1 = doc.registries;
  if (v1 !== undefined) {
    if (typeof v1 !== 'object' || v1 === null || Array.isArray(v1)) throw bad('"registries" must be a table (V1 format: [registries.search])');
    if (out.unqualifiedSearchRegistries !== undefined || tables !== undefined) throw bad('mixing the V1 ([registries.search]) and V2 formats is not supported');
    const section = (name: string): string[] => {
      const s = (v1 as Record<string, unknown>)[name];
      if (s === undefined) return [];
      if (typeof s !== 'object' || s === null) throw bad(`"registries.${name}" must be a table`);
      const list = (s as Record<string, unknown>).registries;
      return list === undefined ? [] : stringList(list, `registries.${name}.registries`).map((r) => trimLocation(r));
    };
    const search = section('search');
    if ((v1 as Record<string, unknown>).search !== undefined) out.unqualifiedSearchRegistries = search;
    const entry = (location: string): RegistryEntry => {
      let e = out.registries.find((r) => r.prefix === location);
      if (!e) {
        e = { prefix: location, location, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [] };
        out.registries.push(e);
      }
      return e;
    };
    for (const r of section('insecure')) entry(r).insecure = true;
    for (const r of section('block')) entry(r).blocked = true;
  }
  return out;
}

/** Applies a drop-in on top: it replaces the search list when it sets one, and registries with the same prefix. */
export function mergeRegistriesConf(base: RegistriesConfFile, dropIn: RegistriesConfFile): RegistriesConfFile {
  const registries = base.registries.filter((r) => !dropIn.registries.some((d) => d.prefix === r.prefix));
  return {
    unqualifiedSearchRegistries: dropIn.unqualifiedSearchRegistries ?? base.unqualifiedSearchRegistries,
    registries: [...registries, ...dropIn.registries],
  };
}

/**
 * The files podman reads, in order: `$CONTAINERS_REGISTRIES_CONF` alone when
 * set; else `~/.config/containers/registries.conf` with its
 * `registries.conf.d` when it exists; else /etc/containers/registries.conf
 * with /etc/containers/registries.conf.d and then ~/.config/containers/registries.conf.d.
 */
export function registriesConfFiles(env: NodeJS.ProcessEnv = process.env, home: string = env.HOME || homedir()): { mainFile: string; files: string[] } {
  const explicit = env.CONTAINERS_REGISTRIES_CONF;
  if (explicit) return { mainFile: explicit, files: existsSync(explicit) ? [explicit] : [] };
  const user = join(home, USER_REGISTRIES_CONF);
  if (existsSync(user)) return { mainFile: user, files: [user, ...dropIns(`${user}.d`)] };
  const files = existsSync(SYSTEM_REGISTRIES_CONF) ? [SYSTEM_REGISTRIES_CONF] : [];
  return { mainFile: SYSTEM_REGISTRIES_CONF, files: [...files, ...dropIns(`${SYSTEM_REGISTRIES_CONF}.d`), ...dropIns(join(dirname(user), 'registries.conf.d'))] };
}

/**
 * Reads and merges the registries configuration (see {@link registriesConfFiles}).
 * No file at all gives an empty configuration. Synchronous: the files are
 * small and short-name resolution needs them where no await is possible.
 */
export function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env, home: string = env.HOME || homedir()): RegistriesConf {
  const { mainFile, files } = registriesConfFiles(env, home);
  let merged: RegistriesConfFile = { registries: [] };
  const read: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new RegistriesConfError(file, (err as Error).message);
    }
    merged = mergeRegistriesConf(merged, parseRegistriesConf(text, file));
    read.push(file);
  }
  return { unqualifiedSearchRegistries: merged.unqualifiedSearchRegistries ?? [], registries: merged.registries, mainFile, files: read };
}

/** The *.conf files of a drop-in dir, in lexical order (none when it does not exist). */
function dropIns(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.conf')).sort().map((n) => join(dir, n));
}

/**
 * The entry for a repository name (`host/path`, no tag): the longest
 * matching prefix, where `host/a` matches `host/a` and `host/a/b`, and
 * `*.example.com` matches any host under example.com.
 */
export function findRegistry(conf: Pick<RegistriesConf, 'registries'>, repository: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  let bestLen = -1;
  for (const entry of conf.registries) {
    const len = prefixMatch(repository, entry.prefix);
    if (len > bestLen) {
      best = entry;
      bestLen = len;
    }
  }
  return best;
}

/** One place to pull a repository from: a mirror or the registry's location. */
export interface PullEndpoint {
  /** The repository there: `host[:port]/path`. */
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

/**
 * Where to pull a repository from, in order: the mirrors that apply to the
 * reference (by digest or by tag), then the registry itself. Throws when the
 * registry is blocked. Without an entry, the repository as it is.
 */
export function pullEndpoints(conf: Pick<RegistriesConf, 'registries'>, repository: string, byDigest: boolean): PullEndpoint[] {
  const entry = findRegistry(conf, repository);
  if (!entry) return [{ repository, insecure: false, mirror: false }];
  if (entry.blocked) {
    throw new SkiffError('EBLOCKED', `registry ${repositoryHost(rewrite(repository, entry.prefix, entry.location))} is blocked in registries.conf`, {
      hint: 'remove "blocked = true" from its [[registry]] table to pull from it',
    });
  }
  const endpoints: PullEndpoint[] = [];
  if (!entry.mirrorByDigestOnly || byDigest) {
    for (const m of entry.mirrors) {
      if (m.pullFromMirror === 'digest-only' && !byDigest) continue;
      if (m.pullFromMirror === 'tag-only' && byDigest) continue;
      endpoints.push({ repository: rewrite(repository, entry.prefix, m.location), insecure: m.insecure, mirror: true });
    }
  }
  endpoints.push({ repository: rewrite(repository, entry.prefix, entry.location), insecure: entry.insecure, mirror: false });
  return endpoints;
}

/** True when the registry entry for the repository says `insecure = true`. */
export function isInsecureRegistry(conf: Pick<RegistriesConf, 'registries'>, repository: string): boolean {
  return findRegistry(conf, repository)?.insecure ?? false;
}

/** The host[:port] part of a repository name. */
export function repositoryHost(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** Length of the part of `repository` the prefix matches, or -1. */
function prefixMatch(repository: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const host = repositoryHost(repository);
    return host.endsWith(prefix.slice(1)) ? host.length : -1;
  }
  if (repository === prefix) return prefix.length;
  return repository.startsWith(prefix + '/') ? prefix.length : -1;
}

function rewrite(repository: string, prefix: string, location: string): string {
  if (!location) return repository;
  const len = prefixMatch(repository, prefix);
  return len < 0 ? repository : location + repository.slice(len);
}

function trimLocation(s: string): string {
  return s.trim().replace(/\/+$/, '');
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
