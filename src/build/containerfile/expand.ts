/**
 * Docker's "shell lexer": the word rules the builder applies to the arguments
 * of ADD, ARG, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME and
 * WORKDIR. RUN, CMD and ENTRYPOINT are never expanded by the builder (the
 * shell in the container does it), nor are ONBUILD triggers (they are
 * expanded when they fire, in the child build).
 *
 * Rules (https://docs.docker.com/reference/dockerfile/#environment-replacement):
 * `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
 * `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR#pat}`, `${VAR##pat}`,
 * `${VAR%pat}`, `${VAR%%pat}`, `${VAR/pat/repl}`, `${VAR//pat/repl}`
 * (patterns with `*` and `?`); single quotes keep everything
 * literal, double quotes keep whitespace and allow `$`; the escape character
 * makes the next character literal (inside double quotes only before `"`,
 * `$` and itself). Quotes are removed. An unset variable expands to nothing.
 */
import { ExpansionError } from './errors.js';

/** The variables visible to a step: the stage's ENV, then its declared ARGs. */
export type Vars = Readonly<Record<string, string | undefined>>;

/** Options of the expansion functions. */
export interface ExpandOptions {
  /** The escape character of the file (`# escape=`); `\` by default. */
  escape?: string;
}

/**
 * Expands one word: quotes removed, variables replaced, whitespace kept.
 * Throws ExpansionError on an unterminated quote or a bad `${...}`.
 */
export function expandWord(word: string, vars: Vars, options: ExpandOptions = {}): string {
  const lexer = new Lexer(word, vars, options.escape ?? '\\');
  return lexer.word();
}

/**
 * Expands a text into words, split on whitespace outside quotes (also the
 * whitespace an unquoted variable brings, as EXPOSE needs for `EXPOSE $PORTS`).
 */
export function expandWords(text: string, vars: Vars, options: ExpandOptions = {}): string[] {
  const lexer = new Lexer(text, vars, options.escape ?? '\\');
  return lexer.words();
}

/**
 * Expands a heredoc body (`COPY <<EOF` with an unquoted delimiter), as sh
 * does: `$VAR` and `${...}` replaced, `\$` and `\\` unescaped, quotes and
 * other backslashes kept as written.
 */
export function expandHeredoc(body: string, vars: Vars, options: ExpandOptions = {}): string {
  const lexer = new Lexer(body, vars, options.escape ?? '\\', true);
  return lexer.word();
}

/**
 * Splits a text into words the way docker's parser does before expansion:
 * on whitespace outside quotes, with quotes and escapes left in the words.
 */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (blank) {
      if (isSpace(ch)) continue;
      blank = false;
    }
    if (quote === '' && isSpace(ch)) {
      words.push(word);
      word = '';
      blank = true;
      continue;
    }
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      word += ch + text[i + 1]!;
      i++;
      continue;
    }
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = '';
    word += ch;
  }
  if (!blank) words.push(word);
  return words;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

function isNameChar(ch: string): boolean {
  return /[A-Za-z0-9_]/.test(ch);
}

class Lexer {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly vars: Vars,
    private readonly escape: string,
    /** Heredoc mode: quotes are plain characters, the escape char only escapes `$` and itself. */
    private readonly rawQuotes = false,
  ) {}

  word(): string {
    let out = '';
    while (this.pos < this.text.length) out += this.piece().text;
    return out;
  }

  words(): string[] {
    const words: string[] = [];
    let word = '';
    let inWord = false;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (isSpace(ch)) {
        if (inWord) words.push(word);
        word = '';
        inWord = false;
        this.pos++;
        continue;
      }
      const piece = this.piece();
      if (!piece.unquotedExpansion) {
        word += piece.text;
        inWord = true;
        continue;
      }
      // An unquoted expansion is split on its whitespace, as a shell does.
      const parts = piece.text.split(/[ \t\n\r\f\v]+/);
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) {
          if (inWord) words.push(word);
          word = '';
          inWord = false;
        }
        if (parts[i] !== '') {
          word += parts[i];
          inWord = true;
        }
      }
    }
    if (inWord) words.push(word);
    return words;
  }

  /** Reads one unit: a quoted string, an expansion, an escaped char or a plain char. */
  private piece(): { text: string; unquotedExpansion: boolean } {
    const ch = this.text[this.pos]!;
    if (this.rawQuotes) {
      const next = this.text[this.pos + 1];
      if (ch === this.escape && (next === '$' || next === this.escape)) {
        this.pos += 2;
        return { text: next, unquotedExpansion: false };
      }
      if (ch === '$') return { text: this.dollar(), unquotedExpansion: false };
      this.pos++;
      return { text: ch, unquotedExpansion: false };
    }
    if (ch === "'") return { text: this.singleQuoted(), unquotedExpansion: false };
    if (ch === '"') return { text: this.doubleQuoted(), unquotedExpansion: false };
    if (ch === '$') return { text: this.dollar(), unquotedExpansion: true };
    if (ch === this.escape) {
      this.pos++;
      if (this.pos >= this.text.length) return { text: '', unquotedExpansion: false };
      return { text: this.text[this.pos++]!, unquotedExpansion: false };
    }
    this.pos++;
    return { text: ch, unquotedExpansion: false };
  }

  private singleQuoted(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
    const out = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return out;
  }

  private doubleQuoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) {
        throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      }
      const ch = this.text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const next = this.text[this.pos + 1];
        if (next === undefined) {
          this.pos++;
          continue;
        }
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      out += ch;
      this.pos++;
    }
  }

  /** At a `$`: returns the expansion, or a literal `$` when no name follows. */
  private dollar(): string {
    this.pos++;
    if (this.text[this.pos] === '{') {
      this.pos++;
      return this.braced();
    }
    const name = this.name();
    if (name === '') return '$';
    return this.lookup(name) ?? '';
  }

  /** A variable name, a run of digits, or one special parameter (`$@`, `$$`...: never set here). */
  private name(): string {
    const start = this.pos;
    const first = this.text[this.pos];
    if (first === undefined) return '';
    if (/[0-9]/.test(first)) {
      while (this.pos < this.text.length && /[0-9]/.test(this.text[this.pos]!)) this.pos++;
      return this.text.slice(start, this.pos);
    }
    if ('@*#?-$!'.includes(first)) {
      this.pos++;
      return first;
    }
    while (this.pos < this.text.length && isNameChar(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private lookup(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.vars, name) ? this.vars[name] : undefined;
  }

  /**
   * After `${`: NAME, then `}` or a modifier: `-` `+` `?` (with `:`, an empty
   * value counts as unset), `#` `##` `%` `%%` (remove a prefix or suffix
   * pattern), `/` `//` (replace the first or every match).
   */
  private braced(): string {
    const next = this.text[this.pos];
    if (next === undefined) throw new ExpansionError("syntax error: missing '}'");
    if (next === '{' || next === '}' || next === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.name();
    const value = this.lookup(name);
    let op = this.text[this.pos++];
    if (op === undefined) throw new ExpansionError("syntax error: missing '}'");
    if (op === '}') return value ?? '';
    if (op === '/') {
      const all = this.text[this.pos] === '/';
      if (all) this.pos++;
      const pattern = this.until('/', true, "syntax error: missing '/' in ${}");
      const replacement = this.until('}', true, "syntax error: missing '}'");
      const re = patternRegex(pattern, true, false, all);
      if (value === undefined) return '';
      // The `g` flag of the pattern decides between the first match and all of them.
      return value.replace(re, () => replacement);
    }
    let colon = false;
    if (op === ':') {
      colon = true;
      op = this.text[this.pos++];
    }
    if (op === undefined || !'-+?#%'.includes(op) || (colon && (op === '#' || op === '%'))) {
      throw new ExpansionError(`unsupported modifier (${colon ? ':' : ''}${op ?? ''}) in substitution`);
    }
    const rawEscapes = op === '#' || op === '%';
    let word = this.until('}', rawEscapes, "syntax error: missing '}'");
    const set = value !== undefined && !(colon && value === '');
    switch (op) {
      case '-':
        return set ? value! : word;
      case '+':
        return set ? word : '';
      case '?':
        if (value === undefined) throw new ExpansionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (!set) throw new ExpansionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        const greedy = word.startsWith(op);
        if (greedy) word = word.slice(1);
        return op === '#' ? trimPrefix(value ?? '', word, greedy) : trimSuffix(value ?? '', word, greedy);
      }
    }
  }

  /**
   * The word of a modifier, itself expanded, up to `stop`. With `rawEscapes`
   * (patterns), an escape stays in the text for the pattern to read.
   */
  private until(stop: string, rawEscapes: boolean, missing: string): string {
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) throw new ExpansionError(missing);
      if (ch === stop) {
        this.pos++;
        return out;
      }
      if (rawEscapes && ch === this.escape && this.pos + 1 < this.text.length) {
        out += '\\' + this.text[this.pos + 1]!;
        this.pos += 2;
        continue;
      }
      out += this.piece().text;
    }
  }
}

/**
 * A shell pattern (`*`, `?`, `\\` escapes; no bracket expressions, as in
 * docker) as a regular expression.
 */
function patternRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else if (ch === '\\') {
      const next = pattern[i + 1];
      i++;
      if (next === '}' || next === '/') out += next;
      else if (next === '*' || next === '?' || next === '\\') out += '\\' + next;
      else throw new ExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ''}'`);
    } else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(out, global ? 'gs' : 's');
}

function trimPrefix(value: string, pattern: string, greedy: boolean): string {
  const m = patternRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Docker finds the shortest or longest suffix by matching the reversed pattern on the reversed value. */
function trimSuffix(value: string, pattern: string, greedy: boolean): string {
  const reversedPattern: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) {
      reversedPattern.unshift('\\' + pattern[i + 1]!);
      i++;
    } else reversedPattern.unshift(pattern[i]!);
  }
  const reversed = [...value].reverse().join('');
  return [...trimPrefix(reversed, reversedPattern.join(''), greedy)].reverse().join('');
}
