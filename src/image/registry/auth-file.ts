/**
 * Registry credentials in the files podman and docker write
 * (containers-auth.json(5)): lookup across all of them, so existing
 * `podman login` / `docker login` sessions work, and `skiff login`/`logout`
 * writing podman's own file. A registry named in a file's `credHelpers`
 * is served by that docker-credential helper instead of the file's `auths`,
 * for lookup, login and logout, as containers/image does; docker's
 * `credsStore` (a default helper for all registries) is not used, as
 * podman does not use it either.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SkiffError, isErrno } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { helperErase, helperGet, helperStore } from './cred-helper.js';

/** Credentials found for a registry: a user and password, or an OAuth2 identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

interface AuthEntry {
  auth?: unknown;
  identitytoken?: unknown;
}

/**
 * The auth files to search, most important first, as containers/image orders
 * them: `$REGISTRY_AUTH_FILE` (or else `$XDG_RUNTIME_DIR/containers/auth.json`),
 * `$XDG_CONFIG_HOME/containers/auth.json`, `$DOCKER_CONFIG/config.json`
 * (`~/.docker/config.json`), then the legacy `~/.dockercfg`.
 */
export function authFilePaths(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): { path: string; legacy: boolean }[] {
  const paths: { path: string; legacy: boolean }[] = [];
  if (env.REGISTRY_AUTH_FILE) paths.push({ path: env.REGISTRY_AUTH_FILE, legacy: false });
  else if (env.XDG_RUNTIME_DIR) paths.push({ path: path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), legacy: false });
  const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
  paths.push({ path: path.join(configHome, 'containers', 'auth.json'), legacy: false });
  paths.push({ path: path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'), legacy: false });
  paths.push({ path: path.join(home, '.dockercfg'), legacy: true });
  return paths;
}

const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * Normalizes an auth-file key the way containers/image does: a key with a
 * scheme (`https://index.docker.io/v1/`) names a whole registry, so scheme and
 * path are dropped; a key without one may be `host/namespace/repo`. Docker
 * Hub's aliases become `docker.io`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.trim();
  const scheme = /^https?:\/\//i.exec(k);
  if (scheme) {
    k = k.slice(scheme[0].length);
    const slash = k.indexOf('/');
    if (slash >= 0) k = k.slice(0, slash);
  }
  k = k.replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash >= 0 ? k.slice(0, slash) : k).toLowerCase();
  const rest = slash >= 0 ? k.slice(slash) : '';
  return (DOCKER_HUB_ALIASES.includes(host) ? 'docker.io' : host) + rest;
}

/** `host/a/b` → [`host/a/b`, `host/a`, `host`]: most specific first. */
function candidateKeys(key: string): string[] {
  const out: string[] = [];
  let k = normalizeAuthKey(key);
  for (;;) {
    out.push(k);
    const slash = k.lastIndexOf('/');
    if (slash < 0) return out;
    k = k.slice(0, slash);
  }
}

function decodeEntry(file: string, key: string, entry: AuthEntry): RegistryCredentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return { identityToken: entry.identitytoken };
  if (typeof entry.auth !== 'string' || entry.auth === '') return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new SkiffError('EAUTHFILE', `reading credentials for ${key} from ${file}: the "auth" field is not base64 of username:password`, {
      hint: `log in again with: skiff login ${key}`,
    });
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Parses an auth file's text; broken JSON is one clear error naming the file. */
function parseAuthJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SkiffError('EAUTHFILE', `reading JSON file ${JSON.stringify(file)}: ${(err as Error).message}`, {
      hint: 'fix or remove the file, then log in again',
      cause: err,
    });
  }
}

/** A file's `credHelpers`: registry (`host[:port]`) → helper name. */
function credHelpersOf(doc: unknown): Record<string, string> {
  const helpers = (doc as { credHelpers?: unknown } | null)?.credHelpers;
  if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers)) return {};
  return Object.fromEntries(Object.entries(helpers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '').map(([k, v]) => [normalizeAuthKey(k), v]));
}

function readAuths(file: string, legacy: boolean): { auths: Record<string, AuthEntry>; credHelpers: Record<string, string> } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw new SkiffError('EAUTHFILE', `reading auth file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') return undefined;
  const doc = parseAuthJson(text, file);
  if (typeof doc !== 'object' || doc === null) return undefined;
  const credHelpers = legacy ? {} : credHelpersOf(doc);
  const auths = legacy ? doc : (doc as { auths?: unknown }).auths;
  return { auths: typeof auths === 'object' && auths !== null ? (auths as Record<string, AuthEntry>) : {}, credHelpers };
}

/**
 * Finds the credentials stored for a registry, as podman would use them.
 *
 * `host` is `host[:port]`, or `host[:port]/namespace/repo` to also match
 * podman's repository-scoped entries (the most specific entry wins within a
 * file). Files are searched in {@link authFilePaths} order and the first file
 * with a matching entry wins. Keys are matched after {@link normalizeAuthKey},
 * so `https://index.docker.io/v1/` serves `docker.io`.
 *
 * Reads files synchronously and writes nothing. Missing files are skipped.
 *
 * @returns undefined when no file has an entry for the host.
 * @throws SkiffError `EAUTHFILE` for an unreadable file, invalid JSON or an undecodable `auth`.
 */
export function lookupCredentials(
  host: string,
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
): RegistryCredentials | undefined {
  const wanted = candidateKeys(host);
  const registry = wanted[wanted.length - 1]!;
  for (const { path: file, legacy } of authFilePaths(env, home)) {
    const doc = readAuths(file, legacy);
    if (!doc) continue;
    // A helper serves whole registries, never repositories; a helper with nothing goes on to the next file.
    const helper = doc.credHelpers[registry];
    if (helper) {
      const creds = helperGet(helper, registry);
      if (creds) return creds;
      continue;
    }
    const auths = doc.auths;
    const byKey = new Map<string, [string, AuthEntry]>();
    for (const [key, entry] of Object.entries(auths)) {
      if (typeof entry !== 'object' || entry === null) continue;
      const norm = normalizeAuthKey(key);
      // An exact key beats a normalized alias (`docker.io` over `https://index.docker.io/v1/`).
      if (!byKey.has(norm) || key === norm) byKey.set(norm, [key, entry]);
    }
    for (const k of wanted) {
      const hit = byKey.get(k);
      if (!hit) continue;
      const creds = decodeEntry(file, k, hit[1]);
      if (creds) return creds;
    }
  }
  return undefined;
}

/**
 * The file `login` writes and `logout` edits, as podman picks it:
 * `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else
 * `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/...`).
 */
export function authFileForWrite(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json');
}

/** Reads an auth file as a whole document, to edit it without dropping fields skiff does not know. */
async function readDocument(file: string): Promise<{ auths: Record<string, unknown>; [key: string]: unknown }> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { auths: {} };
    throw new SkiffError('EAUTHFILE', `reading auth file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') return { auths: {} };
  const doc = parseAuthJson(text, file);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new SkiffError('EAUTHFILE', `auth file ${file} does not hold a JSON object`);
  }
  const out = doc as { auths?: unknown; [key: string]: unknown };
  const auths = typeof out.auths === 'object' && out.auths !== null && !Array.isArray(out.auths) ? (out.auths as Record<string, unknown>) : {};
  return { ...out, auths };
}

/** Writes atomically (temp file and rename) with mode 0600, creating the directory with 0700. */
async function writeDocument(file: string, doc: unknown): Promise<void> {
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(file, doc, 0o600);
  } catch (err) {
    throw new SkiffError('EAUTHFILE', `writing auth file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Stores credentials for `key` (`host[:port]` or `host[:port]/namespace/repo`)
 * in `file`, replacing entries that name the same registry and keeping all
 * others. The password is stored base64-encoded in `auth`, as podman does,
 * or handed to the credential helper the file names for the registry.
 */
export async function storeCredentials(file: string, key: string, username: string, password: string): Promise<void> {
  const norm = normalizeAuthKey(key);
  const doc = await readDocument(file);
  const helper = credHelpersOf(doc)[norm];
  if (helper) {
    helperStore(helper, norm, username, password);
    return;
  }
  for (const k of Object.keys(doc.auths)) if (normalizeAuthKey(k) === norm) delete doc.auths[k];
  doc.auths[norm] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  await writeDocument(file, doc);
}

/**
 * Removes the entries for `key` from `file` (or has the file's credential
 * helper for the registry erase them).
 *
 * @returns false when the file has no entry for it (nothing is written).
 */
export async function removeCredentials(file: string, key: string): Promise<boolean> {
  const norm = normalizeAuthKey(key);
  const doc = await readDocument(file);
  const helper = credHelpersOf(doc)[norm];
  if (helper) return helperErase(helper, norm);
  const keys = Object.keys(doc.auths).filter((k) => normalizeAuthKey(k) === norm);
  if (keys.length === 0) return false;
  for (const k of keys) delete doc.auths[k];
  await writeDocument(file, doc);
  return true;
}

/** Removes every registry's entry from `file` and its credential helpers (a missing file is fine). */
export async function removeAllCredentials(file: string): Promise<void> {
  const doc = await readDocument(file);
  for (const [registry, helper] of Object.entries(credHelpersOf(doc))) helperErase(helper, registry);
  if (Object.keys(doc.auths).length === 0) return;
  doc.auths = {};
  await writeDocument(file, doc);
}
