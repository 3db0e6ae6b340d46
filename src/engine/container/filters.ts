/**
 * Container `--filter` values as podman's (`restart --filter`,
 * `container prune --filter`): pure functions over listed containers, so
 * they are unit-tested directly.
 *
 * Keys: id=PREFIX, name=REGEX, label=KEY[=VALUE], label!=KEY[=VALUE],
 * status=created|running|exited|stopped, until=TIMESTAMP|DURATION (created
 * before). Different keys must all match; several values of one key match
 * when any does, except label= (all must match) and label!= (none may).
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { ContainerInfo } from './record.js';

export const CONTAINER_FILTER_KEYS = ['id', 'name', 'label', 'label!', 'status', 'until'] as const;
export type ContainerFilterKey = (typeof CONTAINER_FILTER_KEYS)[number];

export interface ContainerFilter {
  key: ContainerFilterKey;
  value: string;
}

const STATUSES = ['created', 'running', 'exited', 'stopped'];

/**
 * Parses `--filter` values, allowing only `keys` (a command accepts a
 * subset, as podman's prune takes label and until only). An unknown key or
 * a malformed value is an InvalidArgumentError (exit 125).
 */
export function parseContainerFilters(specs: string[], keys: readonly ContainerFilterKey[] = CONTAINER_FILTER_KEYS, now = Date.now()): ContainerFilter[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`invalid filter "${spec}": expected KEY=VALUE`);
    const key = spec.slice(0, eq);
    const value = spec.slice(eq + 1);
    if (!(keys as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${key} is an invalid filter`, { hint: `filters are ${keys.map((k) => `${k}=`).join(', ')}` });
    }
    if (value === '') throw new InvalidArgumentError(`invalid filter "${spec}": the value is empty`);
    if (key === 'status' && !STATUSES.includes(value)) {
      throw new InvalidArgumentError(`invalid status filter "${value}"`, { hint: `statuses are ${STATUSES.join(', ')}` });
    }
    if (key === 'name') {
      try {
        new RegExp(value);
      } catch {
        throw new InvalidArgumentError(`invalid name filter "${value}": not a regular expression`);
      }
    }
    if (key === 'until') parseUntil(value, now);
    return { key: key as ContainerFilterKey, value };
  });
}

/**
 * An `until=` value as a time in ms since the epoch, as podman's
 * util.ComputeUntilTimestamp: a Go duration (10m, 1h30m) before `now`, an
 * RFC 3339 time or date, or Unix seconds (with optional fraction).
 */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = parseGoDuration(value);
  if (duration !== undefined) return now - duration;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return at;
  }
  throw new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`, { hint: 'until= takes a duration (10m, 2h), a timestamp (2024-05-01T00:00:00Z) or Unix seconds' });
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go time.Duration string (1h30m, 90s, 1.5h) in ms; undefined when it is not one. */
function parseGoDuration(value: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) return undefined;
  let total = 0;
  for (const part of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * GO_UNITS[part[2]];
  return total;
}

/** The containers that pass every filter (status as observed, so a container whose monitor died counts as exited). */
export function filterContainers(containers: ContainerInfo[], filters: ContainerFilter[], now = Date.now()): ContainerInfo[] {
  if (filters.length === 0) return containers;
  const byKey = (key: ContainerFilterKey) => filters.filter((f) => f.key === key).map((f) => f.value);
  const checks: Array<(c: ContainerInfo) => boolean> = [];
  const ids = byKey('id');
  if (ids.length) checks.push((c) => ids.some((prefix) => c.record.id.startsWith(prefix)));
  const names = byKey('name');
  if (names.length) checks.push((c) => names.some((pattern) => new RegExp(pattern).test(c.record.name)));
  const statuses = byKey('status');
  if (statuses.length) checks.push((c) => statuses.includes(c.state.status));
  for (const value of byKey('label')) checks.push((c) => labelMatches(c, value));
  for (const value of byKey('label!')) checks.push((c) => !labelMatches(c, value));
  for (const value of byKey('until')) {
    const at = parseUntil(value, now);
    checks.push((c) => Date.parse(c.record.created) < at);
  }
  return containers.filter((c) => checks.every((check) => check(c)));
}

function labelMatches(c: ContainerInfo, value: string): boolean {
  const labels = c.record.spec.labels ?? {};
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (!(key in labels)) return false;
  return eq < 0 || labels[key] === value.slice(eq + 1);
}
