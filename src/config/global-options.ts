import type { LogLevel } from '../util/log.js';

/**
 * The options every engine call receives. The CLI fills it from global flags
 * (merged over defaults); layers below never read flags or env themselves.
 */
export interface GlobalOptions {
  /** Graph root (persistent storage). */
  root: string;
  /** Run root (volatile state, sockets). */
  runroot: string;
  storageDriver?: 'overlay' | 'vfs';
  /** Runtime name or path; undefined means detect. */
  runtime?: string;
  logLevel: LogLevel;
}
