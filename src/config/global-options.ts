import type { LogLevel } from '../util/log.js';
import type { StorageDriverName, StorageSettings } from './storage-conf.js';

/**
 * The options every engine call receives. The CLI fills it from global flags
 * (merged over defaults); layers below never read flags or env themselves.
 */
export interface GlobalOptions {
  /** Graph root (persistent storage). */
  root: string;
  /** Run root (volatile state, sockets). */
  runroot: string;
  /** The driver asked for (--storage-driver, else storage.conf); undefined: the store's own, else probed. */
  storageDriver?: StorageDriverName;
  /** storage.conf and --storage-opt merged (config/storage-conf.ts); absent: defaults. */
  storage?: StorageSettings;
  /** Runtime name or path; undefined means detect. */
  runtime?: string;
  logLevel: LogLevel;
}
