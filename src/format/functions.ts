/**
 * Template functions: Go's text/template builtins plus the extras podman
 * registers (json, upper, lower, title, join, split, truncate, pad).
 * Argument checks mimic Go's reflection-based ones, since JavaScript values
 * carry no static type.
 */
import { sprint, sprintf, sprintln } from './printf.js';
import {
  NO_VALUE,
  formatValue,
  isNil,
  isPlainObject,
  isTrue,
  listItems,
  mapEntries,
  typeName,
  utf8Length,
} from './values.js';

/** A failure inside a function; reported as `error calling NAME: message`. */
export class CallError extends Error {}

/** An argument of the wrong type; reported as is, as Go does. */
export class ArgError extends Error {}

export interface TemplateFunction {
  /** Accepted argument counts; max is Infinity for variadic functions. */
  min: number;
  max: number;
  call(args: unknown[]): unknown;
}

function fixed(count: number, call: (args: unknown[]) => unknown): TemplateFunction {
  return { min: count, max: count, call };
}

function variadic(min: number, call: (args: unknown[]) => unknown): TemplateFunction {
  return { min, max: Infinity, call };
}

// --- argument conversion -----------------------------------------------------

function string(value: unknown): string {
  if (isNil(value)) throw new ArgError('invalid value; expected string');
  if (typeof value !== 'string') throw new ArgError(`wrong type for value; expected string; got ${typeName(value)}`);
  return value;
}

function int(value: unknown): number {
  if (isNil(value)) throw new ArgError('invalid value; expected int');
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ArgError(`wrong type for value; expected int; got ${typeName(value)}`);
  }
  return value;
}

/** For interface{} parameters Go turns a missing value into nil. */
function anyValue(value: unknown): unknown {
  return value === NO_VALUE ? null : value;
}

/** A Go slice index: an integer in [0, length), or up to length when slicing. */
function indexArg(index: unknown, length: number, slicing = false): number {
  if (isNil(index)) throw new CallError('cannot index slice/array with nil');
  if (typeof index !== 'number' || !Number.isInteger(index)) {
    throw new CallError(`cannot index slice/array with type ${typeName(index)}`);
  }
  if (index < 0 || index > length || (!slicing && index === length)) {
    throw new CallError(`index out of range: ${index}`);
  }
  return index;
}

// --- comparison --------------------------------------------------------------

function basicKind(value: unknown): 'bool' | 'number' | 'string' | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    default:
      return undefined;
  }
}

function equal(a: unknown, b: unknown): boolean {
  // Anything may be compared with nil.
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  const kind = basicKind(a);
  if (kind !== basicKind(b)) throw new CallError('incompatible types for comparison');
  if (kind === 'number') return Number(a) === Number(b);
  if (kind) return a === b;
  for (const value of [a, b]) {
    if (listItems(value) || mapEntries(value)) {
      throw new CallError(`non-comparable type ${formatValue(value)}: ${typeName(value)}`);
    }
  }
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (!ka || !kb) throw new CallError('invalid type for comparison');
  if (ka !== kb) throw new CallError('incompatible types for comparison');
  if (ka === 'bool') throw new CallError('invalid type for comparison');
  return (a as number | string) < (b as number | string);
}

function eq(args: unknown[]): boolean {
  const [first, ...rest] = args;
  if (rest.length === 0) throw new CallError('missing argument for comparison');
  return rest.some((other) => equal(first, other));
}

// --- collections -------------------------------------------------------------

function length(value: unknown): number {
  if (isNil(value)) throw new CallError('len of nil pointer');
  if (typeof value === 'string') return utf8Length(value);
  const items = listItems(value);
  if (items) return items.length;
  if (value instanceof Map) return value.size;
  if (isPlainObject(value)) return Object.keys(value).length;
  throw new CallError(`len of type ${typeName(value)}`);
}

function index([item, ...indexes]: unknown[]): unknown {
  if (isNil(item)) throw new CallError('index of untyped nil');
  let current: unknown = item;
  for (const key of indexes) {
    if (isNil(current)) throw new CallError('index of nil pointer');
    if (typeof current === 'string') {
      const bytes = new TextEncoder().encode(current);
      current = bytes[indexArg(key, bytes.length)];
      continue;
    }
    const items = listItems(current);
    if (items) {
      current = items[indexArg(key, items.length)];
    } else if (current instanceof Map) {
      current = current.has(key) ? current.get(key) : NO_VALUE;
    } else if (isPlainObject(current)) {
      if (typeof key !== 'string') throw new CallError(`value has type ${typeName(key)}; should be string`);
      current = Object.hasOwn(current, key) ? current[key] : NO_VALUE;
    } else {
      throw new CallError(`can't index item of type ${typeName(current)}`);
    }
  }
  return current;
}

function slice([item, ...indexes]: unknown[]): unknown {
  if (isNil(item)) throw new CallError('slice of untyped nil');
  if (indexes.length > 3) throw new CallError(`too many slice indexes: ${indexes.length}`);
  const bytes = typeof item === 'string' ? new TextEncoder().encode(item) : undefined;
  const items = listItems(item);
  if (bytes && indexes.length === 3) throw new CallError('cannot 3-index slice a string');
  const size = bytes?.length ?? items?.length;
  if (size === undefined) throw new CallError(`can't slice item of type ${typeName(item)}`);
  const [start = 0, end = size, max = size] = indexes.map((i) => indexArg(i, size, true));
  if (start > end) throw new CallError(`invalid slice index: ${start} > ${end}`);
  if (end > max) throw new CallError(`invalid slice index: ${end} > ${max}`);
  return bytes ? new TextDecoder().decode(bytes.slice(start, end)) : items!.slice(start, end);
}

// --- podman's extras ---------------------------------------------------------

/** podman's json: json.Marshal without HTML escaping. */
function json(value: unknown): string {
  const text = JSON.stringify(anyValue(value), (_key, v: unknown) => {
    if (v === NO_VALUE) return null;
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Set) return [...v];
    // Go marshals maps with sorted keys.
    if (v instanceof Map || (isPlainObject(v) && Object.getPrototypeOf(v) === null)) {
      return Object.fromEntries(mapEntries(v)!.map(([k, x]) => [String(k), x]));
    }
    return v;
  });
  // Go escapes the two JavaScript line terminators; JSON.stringify does not.
  return (text ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** strings.Title: upper-case the first letter of each word. */
function title(text: string): string {
  let previous = ' ';
  let out = '';
  for (const ch of text) {
    out += isSeparator(previous) ? ch.toUpperCase() : ch;
    previous = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (/^[\p{L}\p{Nd}_]$/u.test(ch)) return false;
  // Go treats all other ASCII as separators, but only spaces beyond ASCII.
  return ch.codePointAt(0)! < 0x80 || /^\s$/u.test(ch);
}

function join(list: unknown, separator: unknown): string {
  const sep = string(separator);
  // A nil slice is an empty one.
  if (isNil(list)) return '';
  const items = listItems(list);
  if (!items) throw new ArgError(`wrong type for value; expected []string; got ${typeName(list)}`);
  return items.map(formatValue).join(sep);
}

function truncate(source: string, limit: number): string {
  const chars = Array.from(source);
  if (chars.length < limit) return source;
  if (limit < 0) throw new CallError(`slice bounds out of range [:${limit}]`);
  return chars.slice(0, limit).join('');
}

/** Surrounds non-empty text with spaces, for column alignment. */
function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  if (prefix < 0 || suffix < 0) throw new CallError('strings: negative Repeat count');
  return ' '.repeat(prefix) + source + ' '.repeat(suffix);
}

/** The first argument matching `stop`, else the last: Go's and/or results. */
function firstOrLast(args: unknown[], stop: (value: unknown) => boolean): unknown {
  const found = args.findIndex(stop);
  return args[found < 0 ? args.length - 1 : found];
}

export const FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  // and/or short-circuit: the executor evaluates their arguments lazily.
  ['and', variadic(1, (args) => firstOrLast(args, (a) => !isTrue(a)))],
  ['or', variadic(1, (args) => firstOrLast(args, isTrue))],
  ['not', fixed(1, ([v]) => !isTrue(v))],
  ['len', fixed(1, ([v]) => length(v))],
  ['index', variadic(1, index)],
  ['slice', variadic(1, slice)],
  ['eq', variadic(1, eq)],
  ['ne', fixed(2, ([a, b]) => !equal(a, b))],
  ['lt', fixed(2, ([a, b]) => less(a, b))],
  ['le', fixed(2, ([a, b]) => less(a, b) || equal(a, b))],
  ['gt', fixed(2, ([a, b]) => !(less(a, b) || equal(a, b)))],
  ['ge', fixed(2, ([a, b]) => !less(a, b))],
  ['print', variadic(0, (args) => sprint(args.map(anyValue)))],
  ['println', variadic(0, (args) => sprintln(args.map(anyValue)))],
  ['printf', variadic(1, ([format, ...args]) => sprintf(string(format), args.map(anyValue)))],
  ['json', fixed(1, ([v]) => json(v))],
  ['upper', fixed(1, ([s]) => string(s).toUpperCase())],
  ['lower', fixed(1, ([s]) => string(s).toLowerCase())],
  ['title', fixed(1, ([s]) => title(string(s)))],
  ['join', fixed(2, ([list, sep]) => join(list, sep))],
  ['split', fixed(2, ([s, sep]) => (string(sep) === '' ? Array.from(string(s)) : string(s).split(string(sep))))],
  ['truncate', fixed(2, ([s, n]) => truncate(string(s), int(n)))],
  ['pad', fixed(3, ([s, prefix, suffix]) => pad(string(s), int(prefix), int(suffix)))],
]);
