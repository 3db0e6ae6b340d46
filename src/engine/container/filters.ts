/**
 * Container `--filter` (ps, restart, container prune), `--sort` and
 * `--last`, as podman's: pure functions over the listed containers (no
 * store access), so they are unit-tested directly.
 *
 * Filters: id=PREFIX, name=REGEX, label=KEY or KEY=VALUE, label!=KEY[=VALUE],
 * status=STATE, exited=CODE, ancestor=IMAGE, before=CONTAINER,
 * since=CONTAINER, until=TIMESTAMP|DURATION (created before), volume=NAME,
 * network=MODE, health=STATE, restart-policy=POLICY. Several values of one key match when any does
 * (label=: when all do; label!=: when none does); different keys must all
 * match. A command may accept only some keys (podman's prune: label, until).
 */
import { usesVolume } from './mounts/inspect.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { NoSuchContainerError } from '../errors.js';
import type { ContainerInfo } from './record.js';

export const CONTAINER_FILTER_KEYS = ['id', 'name', 'label', 'label!', 'status', 'exited', 'ancestor', 'before', 'since', 'until', 'volume', 'network', 'health', 'restart-policy'] as const;
export type ContainerFilterKey = (typeof CONTAINER_FILTER_KEYS)[number];

export interface ContainerFilter {
  key: ContainerFilterKey;
  value: string;
}

/** podman's container states for status=; skiff's containers are never removing or dead, but the values are valid. */
const STATUSES = ['created', 'running', 'paused', 'stopped', 'exited', 'unknown', 'removing', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];
/** podman's restart policies; `none` names the empty policy of a container created without --restart. */
const RESTART_POLICIES = ['none', 'no', 'always', 'on-failure', 'unless-stopped'];

/**
 * Parses `--filter` values, allowing only `keys` (all by default); an
 * unknown key or a malformed value is an InvalidArgumentError (exit 125).
 */
export function parseContainerFilters(specs: string[], keys: readonly ContainerFilterKey[] = CONTAINER_FILTER_KEYS, now = Date.now()): ContainerFilter[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    if (!(keys as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${key} is an invalid filter`, { hint: `filters are ${keys.map((k) => `${k}=`).join(', ')}` });
    }
    if (eq < 0) throw new InvalidArgumentError(`invalid filter "${spec}": expected KEY=VALUE`);
    const value = spec.slice(eq + 1);
    if (value === '') throw new InvalidArgumentError(`invalid filter "${spec}": the value is empty`);
    if (key === 'status' && !STATUSES.includes(value)) {
      throw new InvalidArgumentError(`invalid status filter "${value}"`, { hint: `status is one of ${STATUSES.join(', ')}` });
    }
    if (key === 'exited' && !/^-?\d+$/.test(value)) throw new InvalidArgumentError(`exited code out of range "${value}"`);
    if (key === 'health' && !HEALTH.includes(value)) {
      throw new InvalidArgumentError(`${value} is not a valid health state`, { hint: `health is one of ${HEALTH.join(', ')}` });
    }
    if (key === 'restart-policy' && !RESTART_POLICIES.includes(value)) throw new InvalidArgumentError(`${value} invalid restart policy`);
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
export function parseGoDuration(value: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) return undefined;
  let total = 0;
  for (const part of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * GO_UNITS[part[2]];
  return total;
}

/**
 * The containers that pass every filter. `all` is every container: before=
 * and since= are looked up in it by id, id prefix or name (an unknown one
 * is an error); until= is measured back from `now`.
 */
export function filterContainers(list: ContainerInfo[], filters: ContainerFilter[], all: ContainerInfo[] = list, now = Date.now()): ContainerInfo[] {
  if (filters.length === 0) return list;
  const byKey = (key: ContainerFilterKey) => filters.filter((f) => f.key === key).map((f) => f.value);
  const checks: Array<(c: ContainerInfo) => boolean> = [];
  const any = (key: ContainerFilterKey, match: (c: ContainerInfo, value: string) => boolean) => {
    const values = byKey(key);
    if (values.length) checks.push((c) => values.some((v) => match(c, v)));
  };

  any('id', (c, v) => c.record.id.startsWith(v));
  // podman matches name= as a regular expression (so `name=web` also finds web2).
  any('name', (c, v) => new RegExp(v).test(c.record.name));
  // podman counts a stopped container as exited, and status=stopped means status=exited.
  const exitedOrStopped = (s: string) => (s === 'stopped' ? 'exited' : s);
  any('status', (c, v) => exitedOrStopped(c.state.status) === exitedOrStopped(v));
  any('exited', (c, v) => (c.state.status === 'exited' || c.state.status === 'stopped') && (c.state.exitCode ?? 0) === Number(v));
  any('ancestor', (c, v) => ancestorMatches(c, v));
  any('network', (c, v) => c.record.spec.network.mode === v || (c.record.spec.network.mode === 'bridge' && v in c.record.spec.network.networks));
  any('volume', (c, v) => usesVolume(c.record, v));
  // skiff has no healthchecks yet: no container has one.
  any('health', () => false);
  // skiff has no --restart yet: every container has podman's empty policy, which only `none` matches.
  any('restart-policy', (_c, v) => v === 'none');
  for (const value of byKey('label')) checks.push((c) => labelMatches(c, value));
  for (const value of byKey('label!')) checks.push((c) => !labelMatches(c, value));
  for (const value of byKey('until')) {
    const at = parseUntil(value, now);
    checks.push((c) => createdTime(c) < at);
  }
  for (const [key, older] of [['before', true], ['since', false]] as const) {
    for (const value of byKey(key)) {
      const found = findContainer(all, value);
      if (!found) throw new NoSuchContainerError(value);
      const at = createdTime(found);
      checks.push((c) => (older ? createdTime(c) < at : createdTime(c) > at));
    }
  }
  return list.filter((c) => checks.every((check) => check(c)));
}

/** ancestor=: the image's id (or a prefix of it), its full or short name (with or without tag), or a regular expression on the name, as podman. */
function ancestorMatches(c: ContainerInfo, value: string): boolean {
  const { id, name } = c.record.image;
  const hex = value.replace(/^sha256:/, '');
  if (/^[0-9a-f]{3,64}$/.test(hex) && id.startsWith(hex)) return true;
  if (name === value || name.endsWith(`/${value}`) || name.endsWith(`/${value}:latest`) || name === `${value}:latest`) return true;
  const repo = name.includes('@') ? name.slice(0, name.indexOf('@')) : name.slice(0, name.lastIndexOf(':'));
  if (repo === value || repo.endsWith(`/${value}`)) return true;
  try {
    return new RegExp(`^${value}$`).test(name);
  } catch {
    return false;
  }
}

function labelMatches(c: ContainerInfo, value: string): boolean {
  const labels = c.record.spec.labels ?? {};
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (!Object.hasOwn(labels, key)) return false;
  return eq < 0 || labels[key] === value.slice(eq + 1);
}

function findContainer(all: ContainerInfo[], nameOrId: string): ContainerInfo | undefined {
  const exact = all.find((c) => c.record.id === nameOrId || c.record.name === nameOrId);
  if (exact) return exact;
  const prefixed = all.filter((c) => c.record.id.startsWith(nameOrId));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function createdTime(c: ContainerInfo): number {
  return Date.parse(c.record.created);
}

export const CONTAINER_SORT_KEYS = ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'] as const;
export type ContainerSortKey = (typeof CONTAINER_SORT_KEYS)[number];

/**
 * Sorts as podman 4's `ps --sort`: created (oldest first, the default),
 * runningfor (the one started last first), command, id, image, names,
 * status (each ascending). size orders by the image's size (podman's
 * RootFsSize) when `sizes` were measured (ps --size), and keeps the default
 * order otherwise. Stable, with oldest-first as the tie-break.
 */
export function sortContainers(list: ContainerInfo[], key: ContainerSortKey = 'created', sizes?: ReadonlyMap<string, { rootFsSize: number }>): ContainerInfo[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const oldest = (a: ContainerInfo, b: ContainerInfo) => createdTime(a) - createdTime(b);
  const started = (c: ContainerInfo) => (c.state.startedAt ? Date.parse(c.state.startedAt) : 0);
  const compare: Record<ContainerSortKey, (a: ContainerInfo, b: ContainerInfo) => number> = {
    created: oldest,
    runningfor: (a, b) => started(b) - started(a),
    size: (a, b) => (sizes ? (sizes.get(a.record.id)?.rootFsSize ?? 0) - (sizes.get(b.record.id)?.rootFsSize ?? 0) : 0),
    command: (a, b) => cmp([...a.record.entrypoint, ...a.record.cmd].join(' '), [...b.record.entrypoint, ...b.record.cmd].join(' ')),
    id: (a, b) => cmp(a.record.id, b.record.id),
    image: (a, b) => cmp(a.record.image.name, b.record.image.name),
    names: (a, b) => cmp(a.record.name, b.record.name),
    status: (a, b) => cmp(a.state.status, b.state.status),
  };
  const by = compare[key];
  return list
    .map((c, index) => ({ c, index }))
    .sort((a, b) => by(a.c, b.c) || oldest(a.c, b.c) || a.index - b.index)
    .map((x) => x.c);
}
