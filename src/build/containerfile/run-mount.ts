/**
 * `RUN --mount=type=cache|bind|secret|tmpfs|ssh,...` parsed into a RunMount,
 * with docker's defaults (https://docs.docker.com/reference/dockerfile/#run---mount).
 */
import type { RunMount } from './ast.js';

const TYPES = new Set(['bind', 'cache', 'secret', 'tmpfs', 'ssh']);
const SHARING = new Set(['shared', 'private', 'locked']);

/** Splits a CSV field list: commas outside double quotes separate, quotes are removed. */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function parseBool(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string | undefined, base: 8 | 10): number {
  const ok = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (value === undefined || !ok.test(value)) throw new Error(`invalid value for ${key}: ${value ?? ''}`);
  return parseInt(value, base);
}

/** Parses a size such as `64m`, `1g`, `4096` into bytes. */
function parseSize(value: string | undefined): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)i?b?$/i.exec(value ?? '');
  if (!m) throw new Error(`invalid value for size: ${value ?? ''}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(parseFloat(m[1]!) * mult);
}

/**
 * Parses one `--mount=` value. Throws a plain Error with docker's message;
 * the caller adds the file and line.
 */
export function parseRunMount(raw: string): RunMount {
  const mount: RunMount = { type: 'bind', raw };
  const rest: [string, string | undefined][] = [];
  for (const field of splitCsv(raw)) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).trim().toLowerCase();
    const value = eq >= 0 ? field.slice(eq + 1) : undefined;
    if (key === 'type') {
      if (value === undefined || !TYPES.has(value.toLowerCase())) {
        throw new Error(`unsupported mount type "${value ?? ''}"`);
      }
      mount.type = value.toLowerCase() as RunMount['type'];
    } else rest.push([key, value]);
  }
  for (const [key, value] of rest) {
    switch (key) {
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = need(key, value);
        break;
      case 'source':
      case 'src':
        mount.source = need(key, value);
        break;
      case 'from':
        mount.from = need(key, value);
        break;
      case 'readonly':
      case 'ro':
        mount.readonly = parseBool(key, value);
        break;
      case 'readwrite':
      case 'rw':
        mount.readonly = !parseBool(key, value);
        break;
      case 'id':
        mount.id = need(key, value);
        break;
      case 'sharing': {
        const v = need(key, value).toLowerCase();
        if (!SHARING.has(v)) throw new Error(`unsupported sharing value "${v}"`);
        mount.sharing = v as RunMount['sharing'];
        break;
      }
      case 'required':
        mount.required = parseBool(key, value);
        break;
      case 'mode':
        mount.mode = parseUint(key, value, 8);
        break;
      case 'uid':
        mount.uid = parseUint(key, value, 10);
        break;
      case 'gid':
        mount.gid = parseUint(key, value, 10);
        break;
      case 'size':
        mount.size = parseSize(value);
        break;
      case 'env':
        mount.env = need(key, value);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${raw}'`);
    }
  }
  return withDefaults(mount);
}

function need(key: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new Error(`invalid value for ${key}: a value is required`);
  return value;
}

function withDefaults(m: RunMount): RunMount {
  switch (m.type) {
    case 'bind':
      if (!m.target) throw new Error('mount target is required for a bind mount');
      m.readonly ??= true;
      break;
    case 'cache':
      if (!m.target) throw new Error('mount target is required for a cache mount');
      m.readonly ??= false;
      m.sharing ??= 'shared';
      m.id ??= m.target;
      break;
    case 'tmpfs':
      if (!m.target) throw new Error('mount target is required for a tmpfs mount');
      m.readonly ??= false;
      break;
    case 'secret':
      if (!m.id && !m.target && !m.env) throw new Error('secret mount requires an id or a target');
      m.id ??= m.target ? m.target.split('/').filter(Boolean).pop() : m.env;
      if (!m.target && !m.env) m.target = `/run/secrets/${m.id}`;
      m.readonly ??= true;
      m.required ??= false;
      break;
    case 'ssh':
      m.id ??= 'default';
      m.readonly ??= true;
      m.required ??= false;
      break;
  }
  for (const key of ['sharing'] as const) {
    if (m[key] !== undefined && m.type !== 'cache') throw new Error(`unexpected key '${key}' for mount type ${m.type}`);
  }
  if (m.size !== undefined && m.type !== 'tmpfs') throw new Error(`unexpected key 'size' for mount type ${m.type}`);
  if (m.from !== undefined && m.type !== 'bind' && m.type !== 'cache') {
    throw new Error(`unexpected key 'from' for mount type ${m.type}`);
  }
  return m;
}
