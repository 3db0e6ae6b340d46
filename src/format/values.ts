/**
 * How JavaScript values play Go's roles in a template: what counts as a map
 * or a list, what is true, how values print (fmt's %v) and how they are named
 * in error messages.
 *
 * JavaScript has no struct/map distinction, so: Map instances and objects
 * with a null prototype are maps (a missing key is `<no value>`); any other
 * object is a struct for field access (a missing field is an error), though
 * plain objects still behave as maps for range, len, index and truth.
 */

/** Go's invalid reflect.Value: what a missing map key yields; prints `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');

export function isNil(value: unknown): value is null | undefined | typeof NO_VALUE {
  return value === null || value === undefined || value === NO_VALUE;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True for values whose keys are data, not fields: Map and null-prototype objects. */
export function isMapLike(value: unknown): boolean {
  return value instanceof Map || (isPlainObject(value) && Object.getPrototypeOf(value) === null);
}

/** Elements of an array or Set, else undefined. */
export function listItems(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  return undefined;
}

/** Entries of a Map or plain object sorted by key, as Go iterates and prints maps; else undefined. */
export function mapEntries(value: unknown): [unknown, unknown][] | undefined {
  let entries: [unknown, unknown][];
  if (value instanceof Map) entries = [...value.entries()];
  else if (isPlainObject(value)) entries = Object.entries(value);
  else return undefined;
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Go's notion of truth: zero values and empty collections are false. */
export function isTrue(value: unknown): boolean {
  if (isNil(value)) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value !== '';
    case 'object': {
      const items = listItems(value);
      if (items) return items.length > 0;
      if (value instanceof Map) return value.size > 0;
      if (isPlainObject(value)) return Object.keys(value).length > 0;
      return true;
    }
    default:
      return true;
  }
}

/** A Go-flavoured type name for error messages (`string`, `int`, `[]interface {}`, ...). */
export function typeName(value: unknown): string {
  if (value === NO_VALUE) return '<no value>';
  if (value === null || value === undefined) return '<nil>';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func';
    case 'symbol':
      return 'symbol';
  }
  if (listItems(value)) return '[]interface {}';
  if (isMapLike(value)) return 'map[string]interface {}';
  if (value instanceof Date) return 'time.Time';
  if (isPlainObject(value)) return 'object';
  return (value as object).constructor?.name || 'object';
}

/** A value as Go's fmt prints it with %v. */
export function formatValue(value: unknown): string {
  return format(value, new Set());
}

function format(value: unknown, seen: Set<object>): string {
  if (value === NO_VALUE) return '<no value>';
  if (value === null || value === undefined) return '<nil>';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatNumber(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'func';
  }
  const object = value as object;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Error) return object.message;
  if (seen.has(object)) return '...';
  seen.add(object);
  try {
    const items = listItems(object);
    if (items) return `[${items.map((item) => format(item, seen)).join(' ')}]`;
    const entries = mapEntries(object);
    if (entries) return `map[${entries.map(([k, v]) => `${format(k, seen)}:${format(v, seen)}`).join(' ')}]`;
    if (hasOwnToString(object)) return String(object);
    // Other class instances print as Go prints a struct: values in braces.
    return `{${Object.values(object)
      .map((v) => format(v, seen))
      .join(' ')}}`;
  } finally {
    seen.delete(object);
  }
}

/** Objects with their own toString play the part of Go's fmt.Stringer. */
export function hasOwnToString(value: object): boolean {
  const toString = (value as { toString?: unknown }).toString;
  return typeof toString === 'function' && toString !== Object.prototype.toString;
}

/** %v of a number: integers without a decimal point, other values as Go's %g. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  return formatFloat(value, 'g', -1);
}

/**
 * Go's %e, %f and %g (upper-case variants too); `precision` -1 means the
 * verb's default (6, or shortest for %g).
 */
export function formatFloat(value: number, verb: string, precision: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const abs = Math.abs(value);
  let text: string;
  switch (verb.toLowerCase()) {
    case 'e': {
      const p = precision < 0 ? 6 : precision;
      text = scientific(roundDigits(exactDecimal(abs), p + 1), p);
      break;
    }
    case 'f': {
      const p = precision < 0 ? 6 : precision;
      const decimal = exactDecimal(abs);
      text = plain(roundDigits(decimal, decimal.exp + 1 + p), p);
      break;
    }
    default:
      text = precision < 0 ? formatG(shortestDecimal(abs), -1) : formatG(exactDecimal(abs), precision);
  }
  return sign + (verb === 'E' || verb === 'G' ? text.toUpperCase() : text);
}

/** A non-negative decimal d.ddd × 10^exp; `digits` has no leading zero unless the value is 0. */
interface Decimal {
  digits: string;
  exp: number;
}

/** The exact value of a double: mantissa / 2^k is mantissa × 5^k / 10^k. */
function exactDecimal(abs: number): Decimal {
  if (abs === 0) return { digits: '0', exp: 0 };
  let mantissa = abs;
  let k = 0;
  for (; !Number.isInteger(mantissa); k++) mantissa *= 2;
  const all = (BigInt(mantissa) * 5n ** BigInt(k)).toString();
  return { digits: all.replace(/0+$/, '') || '0', exp: all.length - 1 - k };
}

/** The fewest digits that read back as the same double, as Go's shortest formatting. */
function shortestDecimal(abs: number): Decimal {
  const [mantissa, exponent] = abs.toExponential().split('e');
  return { digits: mantissa!.replace('.', ''), exp: Number(exponent) };
}

/**
 * Rounds to `n` significant digits, ties to even as Go does (JavaScript's
 * toFixed rounds 2.5 up to 3, Go prints 2).
 */
function roundDigits(d: Decimal, n: number): Decimal {
  if (d.digits.length <= n) return d;
  if (n < 0) return { digits: '0', exp: 0 };
  const keep = d.digits.slice(0, n);
  const rest = d.digits.slice(n);
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || /[13579]$/.test(keep)));
  if (!up) return keep ? { digits: keep, exp: d.exp } : { digits: '0', exp: 0 };
  if (!keep) return { digits: '1', exp: d.exp + 1 };
  const bumped = (BigInt(keep) + 1n).toString();
  return bumped.length > keep.length ? { digits: bumped.slice(0, -1), exp: d.exp + 1 } : { digits: bumped, exp: d.exp };
}

/** d.ddde+XX with `fraction` digits after the point; Go writes at least two exponent digits. */
function scientific(d: Decimal, fraction: number): string {
  const digits = d.digits.padEnd(fraction + 1, '0');
  const exp = d.digits === '0' ? 0 : d.exp;
  const mantissa = fraction > 0 ? `${digits[0]}.${digits.slice(1, fraction + 1)}` : digits[0];
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** ddd.ddd with exactly `fraction` digits after the point. */
function plain(d: Decimal, fraction: number): string {
  let whole = '0';
  let frac = '';
  if (d.digits !== '0') {
    if (d.exp >= 0) {
      whole = d.digits.slice(0, d.exp + 1).padEnd(d.exp + 1, '0');
      frac = d.digits.slice(d.exp + 1);
    } else {
      frac = '0'.repeat(-d.exp - 1) + d.digits;
    }
  }
  frac = frac.padEnd(fraction, '0').slice(0, fraction);
  return fraction > 0 ? `${whole}.${frac}` : whole;
}

/** strconv.FormatFloat(abs, 'g', precision, 64); -1 means the digits are already the shortest. */
function formatG(d: Decimal, precision: number): string {
  const shortest = precision < 0;
  const significant = precision === 0 ? 1 : precision;
  const rounded = shortest ? d : roundDigits(d, significant);
  const digits = rounded.digits.replace(/(?<=.)0+$/, '');
  const exp = digits === '0' ? 0 : rounded.exp;
  let eprec = significant;
  if (eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  // Go's rule: shortest output uses exponent notation from 1e+06 on.
  if (shortest) eprec = 6;
  if (exp < -4 || exp >= eprec) return scientific({ digits, exp }, digits.length - 1);
  return plain({ digits, exp }, Math.max(digits.length - exp - 1, 0));
}

/** Length in UTF-8 bytes, Go's len of a string. */
export function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
