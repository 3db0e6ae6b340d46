/**
 * containers-storage.conf(5), the keys skiff follows, read as rootless
 * podman reads it: $CONTAINERS_STORAGE_CONF when set; else the user's
 * $XDG_CONFIG_HOME/containers/storage.conf (~/.config when unset), which
 * alone decides when it exists; else the system's file
 * (/etc/containers/storage.conf, then /usr/share/containers/storage.conf),
 * of which a rootless user takes only the driver and its options (its
 * graphroot and runroot are root's). Flags win over every file:
 * resolveStorageSettings merges them.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, SkiffError, isErrno } from '../util/errors.js';
import { isRootUser } from './paths.js';

export type StorageDriverName = 'overlay' | 'vfs';
export const STORAGE_DRIVERS: readonly StorageDriverName[] = ['overlay', 'vfs'];

/** What one storage.conf says; a key it does not set is undefined. */
export interface StorageConf {
  /** The file these came from. */
  file: string;
  driver?: StorageDriverName;
  graphRoot?: string;
  runRoot?: string;
  overlay: DriverOptions;
  vfs: { ignoreChownErrors?: boolean };
}

/** The overlay driver's options ([storage.options.overlay], or the older [storage.options]). */
export interface DriverOptions {
  mountProgram?: string;
  mountOpt?: string;
  ignoreChownErrors?: boolean;
}

/**
 * The storage settings of one call, files and flags merged. Every engine
 * call receives them in GlobalOptions; nothing below reads the file.
 */
export interface StorageSettings {
  /** The storage.conf that was read (or would be: podman names it even when absent). */
  configFile: string;
  /** Where the driver named in GlobalOptions.storageDriver comes from; undefined when none was named. */
  driverSource?: 'flag' | 'storage.conf';
  /** overlay.mount_program: mount the overlay with this program (fuse-overlayfs) instead of the kernel's overlay. */
  mountProgram?: string;
  /** overlay.mountopt: extra mount options, comma-separated. */
  mountOpt?: string;
  overlayIgnoreChownErrors?: boolean;
  vfsIgnoreChownErrors?: boolean;
}

/** The file podman's rootless storage would read first, and whether only it counts. */
export function userStorageConfFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTAINERS_STORAGE_CONF) return env.CONTAINERS_STORAGE_CONF;
  if (isRootUser()) return '/etc/containers/storage.conf';
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers', 'storage.conf');
}

const SYSTEM_FILES = ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'];

/**
 * Reads the storage.conf that applies (see the module's comment), or
 * undefined when there is none. A file that does not parse, or names a
 * driver skiff does not have, is an error naming it.
 */
export async function readStorageConf(env: NodeJS.ProcessEnv = process.env): Promise<StorageConf | undefined> {
  const first = userStorageConfFile(env);
  const user = await readOne(first, env, true);
  if (user || env.CONTAINERS_STORAGE_CONF || isRootUser()) return user;
  for (const file of SYSTEM_FILES) {
    const system = await readOne(file, env, false);
    if (system) return { ...system, graphRoot: undefined, runRoot: undefined };
  }
  return undefined;
}

/** One file, or undefined when it does not exist. `strict`: a driver skiff lacks is an error (else ignored, as rootless podman falls back). */
async function readOne(file: string, env: NodeJS.ProcessEnv, strict: boolean): Promise<StorageConf | undefined> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw new SkiffError('ECONFIG', `reading storage configuration "${file}": ${(err as Error).message}`);
  }
  // Loaded only when there is a file: most users have none, and start-up stays lean.
  const { parse } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new SkiffError('ECONFIG', `decoding storage configuration "${file}": ${(err as Error).message.split('\n')[0]}`);
  }
  return parseStorageConf(doc, file, env, strict);
}

/** The keys skiff follows from a parsed storage.conf document. Exported for tests. */
export function parseStorageConf(doc: Record<string, unknown>, file: string, env: NodeJS.ProcessEnv = process.env, strict = true): StorageConf {
  const bad = (why: string) => new SkiffError('ECONFIG', `storage configuration "${file}": ${why}`);
  const storage = table(doc.storage);
  const options = table(storage?.options);
  const overlay = table(options?.overlay);
  const vfs = table(options?.vfs);
  const str = (t: Record<string, unknown> | undefined, key: string, where: string): string | undefined => {
    const v = t?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw bad(`${where}${key} must be a string`);
    return v === '' ? undefined : v;
  };
  const bool = (t: Record<string, unknown> | undefined, key: string, where: string): boolean | undefined => {
    const v = t?.[key];
    if (v === undefined) return undefined;
    // containers/storage takes "true"/"false" strings here too (its options are strings underneath).
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') return parseBool(v, (why) => bad(`${where}${key}: ${why}`));
    throw bad(`${where}${key} must be a boolean`);
  };
  const conf: StorageConf = { file, overlay: {}, vfs: {} };
  const driver = str(storage, 'driver', '');
  if (driver !== undefined) {
    if ((STORAGE_DRIVERS as readonly string[]).includes(driver)) conf.driver = driver as StorageDriverName;
    else if (strict) throw bad(`driver "${driver}" is not supported by skiff (choose one of ${STORAGE_DRIVERS.join(', ')})`);
  }
  const graphRoot = str(storage, 'graphroot', '');
  if (graphRoot !== undefined) conf.graphRoot = expandPath(graphRoot, env);
  const runRoot = str(storage, 'runroot', '');
  if (runRoot !== undefined) conf.runRoot = expandPath(runRoot, env);
  // [storage.options] held the overlay keys before [storage.options.overlay] existed; the newer table wins.
  conf.overlay = {
    mountProgram: str(overlay, 'mount_program', 'overlay.') ?? str(options, 'mount_program', ''),
    mountOpt: str(overlay, 'mountopt', 'overlay.') ?? str(options, 'mountopt', ''),
    ignoreChownErrors: bool(overlay, 'ignore_chown_errors', 'overlay.') ?? bool(options, 'ignore_chown_errors', ''),
  };
  conf.vfs = { ignoreChownErrors: bool(vfs, 'ignore_chown_errors', 'vfs.') ?? bool(options, 'ignore_chown_errors', '') };
  return conf;
}

/**
 * containers/storage's expansion of graphroot and runroot: $UID, then
 * environment variables ($HOME, ${XDG_RUNTIME_DIR}); a path that is not
 * absolute after that is an error.
 */
export function expandPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const uid = String(process.getuid?.() ?? 0);
  const expanded = path
    .replace(/\$UID\b|\$\{UID\}/g, uid)
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a?: string, b?: string) => env[(a ?? b)!] ?? '');
  if (!expanded.startsWith('/')) throw new SkiffError('ECONFIG', `storage path "${path}" must be absolute (it is "${expanded}")`);
  return expanded;
}

/**
 * Merges storage.conf with the global flags: `--storage-driver` over the
 * file's driver, each `--storage-opt KEY=VALUE` over the file's key (podman's
 * spellings: overlay.mount_program, overlay.mountopt,
 * overlay.ignore_chown_errors, vfs.ignore_chown_errors). An empty
 * `--storage-opt ""` drops the file's options, as podman's does. Throws
 * InvalidArgumentError with podman's messages for a malformed or unknown
 * option, or one that does not belong to the chosen driver.
 */
export function resolveStorageSettings(
  conf: StorageConf | undefined, flagDriver: string | undefined, flagOpts: string[], configFile: string,
): { driver?: StorageDriverName; settings: StorageSettings } {
  const driver = (flagDriver || conf?.driver) as StorageDriverName | undefined;
  const settings: StorageSettings = { configFile, driverSource: flagDriver ? 'flag' : conf?.driver ? 'storage.conf' : undefined };
  const reset = flagOpts.includes('');
  if (conf && !reset) {
    settings.mountProgram = conf.overlay.mountProgram;
    settings.mountOpt = conf.overlay.mountOpt;
    settings.overlayIgnoreChownErrors = conf.overlay.ignoreChownErrors;
    settings.vfsIgnoreChownErrors = conf.vfs.ignoreChownErrors;
  }
  for (const opt of flagOpts) {
    if (opt === '') continue;
    const eq = opt.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`unable to parse key/value option: ${opt}`);
    const key = opt.slice(0, eq).trim().toLowerCase();
    const value = opt.slice(eq + 1);
    const [prefix] = key.split('.', 1);
    // podman's drivers each parse their own keys: another driver's key is "Unknown option" to overlay, "does not support" to vfs.
    if (driver === 'vfs' && prefix !== 'vfs') throw new InvalidArgumentError(`vfs driver does not support ${key} options`);
    if (driver !== 'vfs' && prefix !== 'overlay') throw new InvalidArgumentError(`overlay: Unknown option ${key}`);
    const invalid = (why: string) => new InvalidArgumentError(why);
    switch (key) {
      case 'overlay.mount_program':
        settings.mountProgram = value || undefined;
        break;
      case 'overlay.mountopt':
        settings.mountOpt = value || undefined;
        break;
      case 'overlay.ignore_chown_errors':
        settings.overlayIgnoreChownErrors = parseBool(value, invalid);
        break;
      case 'vfs.ignore_chown_errors':
        settings.vfsIgnoreChownErrors = parseBool(value, invalid);
        break;
      default:
        throw new InvalidArgumentError(driver === 'vfs' ? `vfs driver does not support ${key} options` : `overlay: Unknown option ${key}`);
    }
  }
  if (driver === 'vfs') {
    settings.mountProgram = undefined;
    settings.mountOpt = undefined;
  } else if (settings.mountProgram) {
    try {
      statSync(settings.mountProgram);
    } catch (err) {
      throw new InvalidArgumentError(`overlay: can't stat program "${settings.mountProgram}": stat ${settings.mountProgram}: ${errnoText(err)}`);
    }
  }
  return { driver, settings };
}

/** Go's strconv.ParseBool, which containers/storage uses for its boolean options. */
function parseBool(value: string, error: (why: string) => Error): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw error(`strconv.ParseBool: parsing "${value}": invalid syntax`);
}

function errnoText(err: unknown): string {
  return isErrno(err, 'ENOENT') ? 'no such file or directory' : isErrno(err, 'EACCES') ? 'permission denied' : (err as Error).message;
}

function table(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
