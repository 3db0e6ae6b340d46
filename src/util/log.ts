/**
 * skiff's diagnostic log on stderr, filtered by the global --log-level as
 * podman's (logrus) is: `DEBU[0000] message`, the number being whole seconds
 * since the process started. The CLI sets the level once, from its flags;
 * every layer may then log. Results never go here: stdout stays for them.
 */

/** The levels podman accepts, least severe first (`warning` is an alias of `warn`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, warning: 3, error: 4, fatal: 5, panic: 6 };
const TAG: Record<LogLevel, string> = { trace: 'TRAC', debug: 'DEBU', info: 'INFO', warn: 'WARN', warning: 'WARN', error: 'ERRO', fatal: 'FATA', panic: 'PANI' };

let threshold = SEVERITY.warn;

/** True for one of {@link LOG_LEVELS}, in any case (podman lower-cases the flag). */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value.toLowerCase());
}

/** Sets the least severe level that is printed. */
export function setLogLevel(level: LogLevel): void {
  threshold = SEVERITY[level.toLowerCase() as LogLevel];
}

/** Whether a message of this level would be printed (to skip building costly messages). */
export function logEnabled(level: LogLevel): boolean {
  return SEVERITY[level] >= threshold;
}

function write(level: LogLevel, message: string): void {
  if (!logEnabled(level)) return;
  const seconds = String(Math.floor(process.uptime())).padStart(4, '0');
  process.stderr.write(`${TAG[level]}[${seconds}] ${message}\n`);
}

export const log = {
  debug: (message: string) => write('debug', message),
  info: (message: string) => write('info', message),
  warn: (message: string) => write('warn', message),
  error: (message: string) => write('error', message),
};
