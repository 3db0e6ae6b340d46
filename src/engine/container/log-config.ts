/**
 * --log-driver and --log-opt of run/create: where a container's output is
 * kept. Pure parsing, kept apart from create so it can be tested alone.
 */
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';

/** What create records and the monitor follows (inspect's HostConfig.LogConfig). */
export interface ContainerLogConfig {
  /** The driver as given (json-file is podman's alias of k8s-file and is shown as given). */
  type: string;
  /** Where the monitor writes: a k8s-file log, or nothing. */
  driver: 'k8s-file' | 'none';
  /** The log file; undefined for none or when the default place is used. */
  path?: string;
  /** Bytes after which the log is truncated and begins again, as conmon does; undefined for no limit. */
  maxSize?: number;
  tag?: string;
  /** Any other KEY=VALUE given with --log-opt, kept for inspect. */
  options: Record<string, string>;
}

/**
 * Parses --log-driver and the --log-opt KEY=VALUE list (path, max-size, tag,
 * and any other key, kept as given) with podman's messages.
 * journald is refused as podman refuses it where no journal runs: skiff
 * has no journald writer.
 */
export function parseLogConfig(driver: string, opts: string[]): ContainerLogConfig {
  let kind: ContainerLogConfig['driver'];
  if (driver === 'k8s-file' || driver === 'json-file' || driver === '') kind = 'k8s-file';
  else if (driver === 'none') kind = 'none';
  else if (driver === 'journald') throw new SkiffError('ELOGDRIVER', 'failed to initialize journal: the journald log driver is not available in skiff', { hint: 'use --log-driver k8s-file (the default) or none' });
  else if (driver === 'passthrough') throw new InvalidArgumentError('the passthrough log driver is not supported by skiff: use k8s-file (the default) or none');
  else throw new InvalidArgumentError(`running container create option: invalid log driver "${driver}": use k8s-file, json-file or none`);
  const config: ContainerLogConfig = { type: driver || 'k8s-file', driver: kind, options: {} };
  for (const opt of opts) {
    const at = opt.indexOf('=');
    if (at < 0) throw new InvalidArgumentError(`invalid log option "${opt}"`);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    if (key === 'path') config.path = value === '' ? undefined : value;
    else if (key === 'max-size') {
      const size = parseHumanSize(value);
      config.maxSize = size > 0 ? size : undefined;
    } else if (key === 'tag') config.tag = value;
    else config.options[key] = value;
  }
  if (kind === 'none') config.path = undefined;
  return config;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * A size as docker's units.FromHumanSize reads it: decimal units
 * (`1.5m` = 1 500 000 bytes), an optional `i` and `b` suffix ignored.
 */
export function parseHumanSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw new InvalidArgumentError(`invalid size: '${text}'`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.round(Number(m[1]) * 1000 ** power);
}

/** A byte count as docker's units.HumanSize shows it: 4 significant digits, decimal units (`1.045MB`, `0B`). */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Go's %.4g: 4 significant digits, no trailing zeros.
  return `${Number(value.toPrecision(4))}${UNITS[unit]}`;
}
