import type { RegistryCredentials } from '../../image/registry/auth-file.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { defaultCertDir } from '../image/pull.js';

export interface LoginOptions {
  /** `host[:port]`, or `host[:port]/namespace/repo` for repository-scoped credentials. */
  registry: string;
  username: string;
  password: string;
  tlsVerify?: boolean;
  certDir?: string;
  /** --authfile; default {@link authFileForWrite}. */
  authFile?: string;
}

export interface LogoutOptions {
  /** Undefined only with `all`. */
  registry?: string;
  all?: boolean;
  authFile?: string;
}

/**
 * What registries.conf says about pushing to or logging in to a repository
 * (`host[:port][/path]`), applied as containers/image's newDockerClient
 * applies it: a `blocked` registry is refused; an `insecure` one is reached
 * like --tls-verify=false (unverified https, or plain http), unless
 * --tls-verify (`tlsVerify`) was given. Mirrors and `location` apply to pulls only.
 */
export async function registryAccess(repository: string, tlsVerify: boolean | undefined, verb: 'push to' | 'log in to'): Promise<{ tlsVerify: boolean }> {
  const { findRegistry, loadRegistriesConf } = await import('../../config/registries-conf.js');
  const entry = findRegistry(loadRegistriesConf(), repository);
  if (entry?.blocked) {
    throw new SkiffError('EBLOCKED', `registry ${entry.prefix} is blocked in registries.conf`, {
      hint: `remove "blocked = true" from its [[registry]] table to ${verb} it`,
    });
  }
  return { tlsVerify: tlsVerify ?? !entry?.insecure };
}

/** How `skiff login` talks to the person at the terminal; the engine never prints. */
export interface LoginInteraction {
  /** Asks for the username (called only when none was given). */
  askUsername(): Promise<string>;
  /** Asks for the password without echo (called only when none was given). */
  askPassword(): Promise<string>;
  /** A progress line podman prints (e.g. "Authenticating with existing credentials for ..."). */
  say(line: string): void;
}

export interface LoginFlowOptions extends Omit<LoginOptions, 'username' | 'password'> {
  username?: string;
  password?: string;
}

/**
 * podman's login flow: with neither a username nor a password given, the
 * stored credentials are checked first and, when the registry still accepts
 * them, nothing more happens ('already'); otherwise whatever is missing is
 * asked for and the login is checked and stored ('stored'). A blocked
 * registry is refused before anything is asked.
 */
export async function loginFlow(options: LoginFlowOptions, ui: LoginInteraction): Promise<'already' | 'stored'> {
  await registryAccess(registryKey(options.registry), options.tlsVerify, 'log in to');
  const tls = { tlsVerify: options.tlsVerify, certDir: options.certDir };
  if (!options.username && options.password === undefined) {
    const stored = await storedLogin(options.registry, options.authFile);
    if (stored) {
      ui.say(`Authenticating with existing credentials for ${stored.key}`);
      if (await checkStoredLogin({ key: stored.key, credentials: stored.credentials, ...tls })) {
        ui.say(`Existing credentials are valid. Already logged in to ${stored.key}`);
        return 'already';
      }
      ui.say('Existing credentials are invalid, please enter valid username and password');
    }
  }
  const username = options.username || (await ui.askUsername());
  const password = options.password ?? (await ui.askPassword());
  await login({ ...options, username, password });
  return 'stored';
}

/**
 * `skiff login`: checks the credentials against the registry and, only when
 * it accepts them, stores them in the auth file. Returns the key stored.
 */
export async function login(options: LoginOptions): Promise<string> {
  const key = registryKey(options.registry);
  if (options.username === '') throw new InvalidArgumentError('the username is empty');
  if (options.password === '') throw new InvalidArgumentError('the password is empty');
  const { RegistryClient } = await import('../../image/registry/client.js');
  const { readCertDir } = await import('../../image/registry/trust.js');
  const { authFileForWrite, storeCredentials } = await import('../../image/registry/auth-file.js');
  const host = key.split('/')[0]!;
  const { tlsVerify } = await registryAccess(key, options.tlsVerify, 'log in to');
  const client = new RegistryClient({
    host,
    tlsVerify,
    ...(await readCertDir(options.certDir ?? defaultCertDir(host))),
    credentials: { username: options.username, password: options.password },
  });
  try {
    await client.checkAuth();
  } finally {
    client.close();
  }
  await storeCredentials(options.authFile ?? authFileForWrite(), key, options.username, options.password);
  return key;
}

/**
 * The credentials stored for a registry (in --authfile, else in the files
 * podman reads), or undefined when there are none.
 */
export async function storedLogin(registry: string, authFile?: string): Promise<{ key: string; username?: string; credentials: RegistryCredentials } | undefined> {
  const key = registryKey(registry);
  const { lookupCredentials } = await import('../../image/registry/auth-file.js');
  const env = authFile ? { ...process.env, REGISTRY_AUTH_FILE: authFile } : process.env;
  const credentials = lookupCredentials(key, env);
  if (!credentials) return undefined;
  return { key, username: 'username' in credentials ? credentials.username : undefined, credentials };
}

/**
 * Whether the registry still accepts stored credentials (`podman login`
 * with no username or password checks them first: "Already logged in").
 */
export async function checkStoredLogin(options: { key: string; credentials: RegistryCredentials; tlsVerify?: boolean; certDir?: string }): Promise<boolean> {
  const { RegistryClient } = await import('../../image/registry/client.js');
  const { readCertDir } = await import('../../image/registry/trust.js');
  const { RegistryUnauthorizedError } = await import('../../image/registry/errors.js');
  const host = options.key.split('/')[0]!;
  const { tlsVerify } = await registryAccess(options.key, options.tlsVerify, 'log in to');
  const client = new RegistryClient({
    host,
    tlsVerify,
    ...(await readCertDir(options.certDir ?? defaultCertDir(host))),
    credentials: options.credentials,
  });
  try {
    await client.checkAuth();
    return true;
  } catch (err) {
    if (err instanceof RegistryUnauthorizedError) return false;
    throw err;
  } finally {
    client.close();
  }
}

/** `skiff logout`: removes the registry's entry (or all) from the auth file. Returns the key removed. */
export async function logout(options: LogoutOptions): Promise<string | undefined> {
  const { authFileForWrite, removeAllCredentials, removeCredentials } = await import('../../image/registry/auth-file.js');
  const file = options.authFile ?? authFileForWrite();
  if (options.all) {
    await removeAllCredentials(file);
    return undefined;
  }
  if (!options.registry) throw new InvalidArgumentError('a registry must be given, or --all');
  const key = registryKey(options.registry);
  if (!(await removeCredentials(file, key))) throw new SkiffError('ENOTLOGGEDIN', `not logged into ${key}`);
  return key;
}

/** `docker://host/ns`, `https://host/` and `host/ns/` all name `host/ns`; the key podman stores. */
export function registryKey(input: string): string {
  let key = input.trim().replace(/^docker:\/\//, '');
  // A URL names a whole registry (https://index.docker.io/v1/), as in docker's files.
  if (/^https?:\/\//i.test(key)) key = key.replace(/^https?:\/\//i, '').split('/')[0]!;
  key = key.replace(/\/+$/, '');
  if (key === '' || /[\s@]/.test(key) || /:[^/]*:/.test(key.split('/')[0]!)) {
    throw new InvalidArgumentError(`invalid registry "${input}"`, { hint: 'give a registry host such as quay.io or 127.0.0.1:5000' });
  }
  if (key.split('/').slice(1).some((part) => part === '' || part.includes(':'))) {
    throw new InvalidArgumentError(`invalid registry "${input}": credentials are stored per registry or repository, not per tag`);
  }
  return key.replace(/^(index\.docker\.io|registry-1\.docker\.io)(?=$|\/)/i, 'docker.io');
}
