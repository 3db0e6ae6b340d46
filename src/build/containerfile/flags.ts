/**
 * Instruction flags (`COPY --from=x`, `RUN --mount=...`), read as docker's
 * parser reads them: leading `--` words, quotes removed, `--` ends them.
 */

type FlagType = 'bool' | 'string' | 'strings';

/** The flags one instruction accepts, by name without `--`. */
export type FlagSpec = Readonly<Record<string, FlagType>>;

export type FlagValues = Record<string, boolean | string | string[]>;

/** Splits the leading `--flag` words off an instruction's arguments. */
export function extractFlags(args: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < args.length && /\s/.test(args[pos]!)) pos++;
    if (!args.startsWith('--', pos)) return { flags, rest: args.slice(pos) };
    let word = '';
    let quote = '';
    let quoted = false;
    for (; pos < args.length; pos++) {
      const ch = args[pos]!;
      if (quote !== '') {
        if (ch === quote) quote = '';
        else if (ch === '\\' && pos + 1 < args.length) word += args[++pos]!;
        else word += ch;
        continue;
      }
      if (/\s/.test(ch)) break;
      if (ch === '"' || ch === "'") {
        quote = ch;
        quoted = true;
      } else if (ch === '\\') {
        if (pos + 1 < args.length) word += args[++pos]!;
      } else word += ch;
    }
    if (word === '--' && !quoted) return { flags, rest: args.slice(pos).replace(/^\s+/, '') };
    flags.push(word);
  }
}

/**
 * Parses flag words against a spec. Returns the values, or the message of
 * the first bad flag (docker's wording).
 */
export function parseFlags(words: string[], spec: FlagSpec): { values: FlagValues } | { error: string } {
  const values: FlagValues = {};
  for (const word of words) {
    const body = word.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const value = eq >= 0 ? body.slice(eq + 1) : undefined;
    const type = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined;
    if (type === undefined) return { error: `unknown flag: --${name}` };
    if (type !== 'strings' && name in values) return { error: `duplicate flag specified: --${name}` };
    if (type === 'bool') {
      const v = (value ?? 'true').toLowerCase();
      if (v !== 'true' && v !== 'false' && v !== '') {
        return { error: `expecting boolean value for flag --${name}, not: ${value}` };
      }
      values[name] = v !== 'false';
    } else {
      if (value === undefined) return { error: `missing a value on flag: --${name}` };
      if (type === 'string') values[name] = value;
      else values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    }
  }
  return { values };
}
