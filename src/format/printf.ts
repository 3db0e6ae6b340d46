/**
 * The part of Go's fmt package that templates reach through printf, print
 * and println: the common verbs, flags, width and precision, and fmt's
 * in-band error notation (%!d(string=x), %!s(MISSING), %!(EXTRA ...)).
 * Argument indexes (%[1]d) are not supported.
 */
import { formatFloat, formatValue, hasOwnToString, listItems, mapEntries, typeName } from './values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  precision?: number;
}

const FLAGS = '+-# 0';

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  // Reads a width or precision: digits, or `*` taking an int argument.
  const readNumber = (): number | undefined | 'bad' => {
    if (format[i] === '*') {
      i++;
      const arg = args[argIndex++];
      return typeof arg === 'number' && Number.isInteger(arg) ? arg : 'bad';
    }
    const digits = /^\d+/.exec(format.slice(i))?.[0];
    if (digits === undefined) return undefined;
    i += digits.length;
    return Number(digits);
  };
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < format.length && FLAGS.includes(format[i]!); i++) {
      const flag = format[i];
      if (flag === '-') spec.minus = true;
      else if (flag === '+') spec.plus = true;
      else if (flag === '#') spec.sharp = true;
      else if (flag === ' ') spec.space = true;
      else spec.zero = true;
    }
    const width = readNumber();
    if (width === 'bad') out += '%!(BADWIDTH)';
    else if (width !== undefined) {
      // A negative `*` width means left-justify.
      if (width < 0) spec.minus = true;
      spec.width = Math.abs(width);
    }
    if (format[i] === '.') {
      i++;
      const precision = readNumber();
      if (precision === 'bad') out += '%!(BADPREC)';
      else spec.precision = precision === undefined || precision < 0 ? 0 : precision;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argIndex++], verb, spec);
  }
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((arg) => (arg == null ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** fmt.Sprint: spaces go between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

/** fmt.Sprintln: always spaces, plus a newline. */
export function sprintln(args: unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

function formatArg(arg: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(typeName(arg), spec);
  if (arg === null || arg === undefined) return verb === 'v' ? pad('<nil>', spec) : badVerb(verb, arg);
  switch (typeof arg) {
    case 'boolean':
      return verb === 't' || verb === 'v' ? pad(String(arg), spec) : badVerb(verb, arg);
    case 'number':
      return formatNumberArg(arg, verb, spec);
    case 'bigint':
      return 'dboOxXcqUv'.includes(verb) ? formatInteger(arg, verb, spec) : badVerb(verb, arg);
    case 'string':
      return formatString(arg, verb, spec);
    case 'function':
    case 'symbol':
      return verb === 'v' ? pad(formatValue(arg), spec) : badVerb(verb, arg);
  }
  const object = arg as object;
  // Stringers (Date, Error, own toString) format as their text for string verbs.
  if ((object instanceof Date || object instanceof Error || hasOwnToString(object)) && 'vsxXq'.includes(verb)) {
    return formatString(formatValue(object), verb, spec);
  }
  const items = listItems(object);
  if (items) return `[${items.map((item) => formatArg(item, verb, spec)).join(' ')}]`;
  const entries = mapEntries(object);
  if (entries) {
    return `map[${entries.map(([k, v]) => `${formatArg(k, verb, spec)}:${formatArg(v, verb, spec)}`).join(' ')}]`;
  }
  return `{${Object.values(object)
    .map((v) => formatArg(v, verb, spec))
    .join(' ')}}`;
}

function formatNumberArg(value: number, verb: string, spec: Spec): string {
  // JavaScript cannot tell Go's 3 from 3.0, so integral numbers take both
  // integer and float verbs.
  const integral = Number.isInteger(value);
  if (verb === 'v') return integral ? formatInteger(value, 'd', spec) : formatFloatArg(value, 'g', spec);
  if ('eEfFgG'.includes(verb)) return formatFloatArg(value, verb, spec);
  if (integral && 'dboOxXcqU'.includes(verb)) return formatInteger(value, verb, spec);
  return badVerb(verb, value);
}

function formatFloatArg(value: number, verb: string, spec: Spec): string {
  const precision = spec.precision ?? ('eEfF'.includes(verb) ? 6 : -1);
  let text = formatFloat(value, verb, precision);
  if (!text.startsWith('-')) text = (spec.plus ? '+' : spec.space ? ' ' : '') + text;
  // Zero padding goes between the sign and the digits, and never pads Inf or NaN.
  if (spec.zero && !spec.minus && spec.width !== undefined && Number.isFinite(value) && spec.width > text.length) {
    const signed = /^[+\- ]/.test(text);
    const sign = signed ? text[0] : '';
    const digits = signed ? text.slice(1) : text;
    return sign + digits.padStart(spec.width - sign.length, '0');
  }
  return pad(text, spec);
}

function formatInteger(value: number | bigint, verb: string, spec: Spec): string {
  const negative = value < 0;
  const abs = negative ? -value : value;
  switch (verb) {
    case 'c':
      return pad(String.fromCodePoint(Number(abs)), spec);
    case 'q':
      return pad(quote(String.fromCodePoint(Number(abs)), "'"), spec);
    case 'U': {
      const code = 'U+' + abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(spec.sharp ? `${code} '${String.fromCodePoint(Number(abs))}'` : code, spec);
    }
  }
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10;
  let digits = abs.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (spec.precision !== undefined) {
    // Precision is a minimum digit count; %.0d of zero prints nothing.
    digits = spec.precision === 0 && digits === '0' ? '' : digits.padStart(spec.precision, '0');
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    digits = digits.padStart(spec.width - sign.length, '0');
  }
  let prefix = '';
  if (verb === 'O') prefix = '0o';
  else if (spec.sharp) {
    if (verb === 'x') prefix = '0x';
    else if (verb === 'X') prefix = '0X';
    else if (verb === 'b') prefix = '0b';
    else if (verb === 'o' && !digits.startsWith('0')) prefix = '0';
  }
  return pad(sign + prefix + digits, spec);
}

function formatString(value: string, verb: string, spec: Spec): string {
  const text = spec.precision === undefined ? value : Array.from(value).slice(0, spec.precision).join('');
  switch (verb) {
    case 's':
    case 'v':
      return pad(text, spec);
    case 'q':
      return pad(quote(text, '"'), spec);
    case 'x':
    case 'X': {
      const bytes = [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, '0'));
      // `% x` spaces the bytes; `#` adds 0x to each (spaced) or once.
      const prefix = spec.sharp ? '0x' : '';
      const hex = spec.space ? bytes.map((b) => prefix + b).join(' ') : prefix + bytes.join('');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
    default:
      return badVerb(verb, value);
  }
}

/** Pads to the width in runes, on the right for `-`. */
function pad(text: string, spec: Spec): string {
  if (spec.width === undefined) return text;
  const missing = spec.width - Array.from(text).length;
  if (missing <= 0) return text;
  return spec.minus ? text + ' '.repeat(missing) : ' '.repeat(missing) + text;
}

function badVerb(verb: string, arg: unknown): string {
  const shown = arg === null || arg === undefined ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`;
  return `%!${verb}(${shown})`;
}

const QUOTE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** strconv.Quote / QuoteRune: Go escapes, non-printable characters as \x or \u. */
export function quote(text: string, delimiter: '"' | "'"): string {
  let out = delimiter;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === delimiter) out += '\\' + ch;
    else if (QUOTE_ESCAPES[ch]) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + delimiter;
}
