/**
 * `RUN --mount=type=bind|cache|tmpfs|secret|ssh,...` parsed into a RunMount,
 * with docker's defaults and messages
 * (https://docs.docker.com/reference/dockerfile/#run---mount).
 *
 * Docker expands the option values with the stage's variables when the step
 * runs, so parsing happens twice: at parse time without an expander (values
 * holding a `$` are kept raw and checked later), and at execution time
 * through `expandInstruction`, which parses `raw` again with one.
 */
import type { RunMount } from './ast.js';
import { RunMountError } from './errors.js';

const TYPES = new Set(['bind', 'cache', 'secret', 'tmpfs', 'ssh']);
const SHARING = new Set(['shared', 'private', 'locked']);

/** Splits a CSV record as Go's encoding/csv does for one line: `"` quotes a field, `""` is a quote. */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let atStart = true;
  while (i <= text.length) {
    const ch = text[i];
    if (ch === undefined || ch === ',') {
      fields.push(field);
      field = '';
      atStart = true;
      i++;
      continue;
    }
    if (atStart && ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new RunMountError('failed to parse csv mounts: extraneous or missing " in quoted-field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      atStart = false;
      continue;
    }
    field += ch;
    atStart = false;
    i++;
  }
  return fields;
}

function parseBool(key: string, value: string): boolean {
  // Go's strconv.ParseBool.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new RunMountError(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string, base: 8 | 10): number {
  const ok = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  const n = ok.test(value) ? parseInt(value, base) : NaN;
  if (!(n <= 0xffffffff)) throw new RunMountError(`invalid value ${value} for ${key}`);
  return n;
}

/** docker's units.RAMInBytes: `64m`, `1g`, `1.5GiB`, `4096` (binary multiples). */
function parseSize(value: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value);
  if (!m) throw new RunMountError(`invalid value for size: ${value}`);
  const power = ['', 'k', 'm', 'g', 't', 'p'].indexOf(m[2]!.toLowerCase());
  return Math.floor(parseFloat(m[1]!) * 1024 ** power);
}

/**
 * Parses one `--mount=` value. With `expand`, each value is expanded first
 * (execution time); without it, values holding `$` are kept raw (strings) or
 * left unset (numbers, booleans) until then. Throws RunMountError with
 * docker's message; the caller adds the file and line.
 */
export function parseRunMount(raw: string, expand?: (value: string) => string): RunMount {
  const mount: RunMount = { type: 'bind', raw };
  const fields: [string, string | undefined][] = [];
  for (const field of splitCsv(raw)) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    if (eq < 0 && !['readonly', 'ro', 'readwrite', 'rw', 'required'].includes(key)) {
      throw new RunMountError(`invalid field '${field}' must be a key=value pair`);
    }
    let value = eq >= 0 ? field.slice(eq + 1) : undefined;
    if (key === 'from' && value !== undefined && /\$./.test(value)) {
      throw new RunMountError(`'from' doesn't support variable expansion, define alias stage instead`);
    }
    if (value !== undefined && expand) value = expand(value);
    if (key === 'type') {
      if (value === undefined || !TYPES.has(value.toLowerCase())) throw new RunMountError(`unsupported mount type "${value ?? ''}"`);
      mount.type = value.toLowerCase() as RunMount['type'];
    } else fields.push([key, value]);
  }
  let roAuto = true;
  for (const [key, value] of fields) {
    // Without an expander, a value with a variable in it is checked when the step runs.
    const deferred = value !== undefined && !expand && value.includes('$');
    switch (key) {
      case 'from':
        mount.from = value;
        break;
      case 'source':
      case 'src':
        mount.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = value;
        break;
      case 'readonly':
      case 'ro':
        roAuto = false;
        if (!deferred) mount.readonly = value === undefined ? true : parseBool(key, value);
        break;
      case 'readwrite':
      case 'rw':
        roAuto = false;
        if (!deferred) mount.readonly = value === undefined ? false : !parseBool(key, value);
        break;
      case 'required':
        if (mount.type !== 'secret' && mount.type !== 'ssh') {
          throw new RunMountError(`unexpected key '${key}' for mount type '${mount.type}'`);
        }
        if (!deferred) mount.required = value === undefined ? true : parseBool(key, value);
        break;
      case 'size':
        if (mount.type !== 'tmpfs') throw new RunMountError(`unexpected key '${key}' for mount type '${mount.type}'`);
        if (!deferred) mount.size = parseSize(value!);
        break;
      case 'id':
        mount.id = value;
        break;
      case 'sharing':
        if (deferred) break;
        if (!SHARING.has(value!.toLowerCase())) throw new RunMountError(`unsupported sharing value "${value}"`);
        mount.sharing = value!.toLowerCase() as RunMount['sharing'];
        break;
      case 'mode':
        if (!deferred) mount.mode = parseUint(key, value!, 8);
        break;
      case 'uid':
        if (!deferred) mount.uid = parseUint(key, value!, 10);
        break;
      case 'gid':
        if (!deferred) mount.gid = parseUint(key, value!, 10);
        break;
      case 'env':
        if (mount.type !== 'secret') throw new RunMountError(`unexpected key '${key}' for mount type '${mount.type}'`);
        mount.env = value;
        break;
      default:
        throw new RunMountError(`unexpected key '${key}' in '${key}${value === undefined ? '' : `=${value}`}'`);
    }
  }
  return check(mount, roAuto);
}

function check(m: RunMount, roAuto: boolean): RunMount {
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  for (const key of ['mode', 'uid', 'gid'] as const) {
    if (m[key] !== undefined && !fileInfoAllowed) throw new RunMountError(`${key} not allowed for "${m.type}" type mounts`);
  }
  if (roAuto) m.readonly = m.type !== 'cache' && m.type !== 'tmpfs';
  if (m.sharing !== undefined && m.type !== 'cache') throw new RunMountError(`invalid cache sharing set for ${m.type} mount`);
  switch (m.type) {
    case 'bind':
    case 'cache':
    case 'tmpfs':
      if (m.target === undefined || m.target === '') throw new RunMountError(`mount type ${m.type} requires a target`);
      if (m.type === 'cache') {
        m.sharing ??= 'shared';
        m.id ??= m.target;
      }
      break;
    case 'secret': {
      if (m.from !== undefined) throw new RunMountError('secret mount should not have a from');
      if (!m.source && !m.target && !m.id && !m.env) throw new RunMountError('invalid secret mount. one of source, target required');
      if (m.source && m.id) throw new RunMountError("both source and id can't be set");
      m.id ??= m.source ?? (m.target ? m.target.split('/').filter(Boolean).pop() : m.env);
      if (!m.target && !m.env) m.target = `/run/secrets/${m.id}`;
      m.required ??= false;
      break;
    }
    case 'ssh':
      m.id ??= 'default';
      m.required ??= false;
      break;
  }
  return m;
}
