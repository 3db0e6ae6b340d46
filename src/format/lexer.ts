/**
 * Lexer for the Go text/template subset. It tokenises the whole source up
 * front (the parser then works on an array); the first lexical error becomes
 * an 'error' token that ends the stream, so earlier parse errors still win,
 * as they do in Go.
 */

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'dot'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'punct'
  | 'eof'
  | 'error';

export interface Token {
  type: TokenType;
  /** Raw text; for fields the name without the dot, for errors the message. */
  value: string;
  /** Offset in the source (UTF-16 units). */
  pos: number;
  line: number;
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);
}

/** Go's %#U: `U+0040 '@'`. */
function formatRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** Thrown inside the lexer to stop at the first error. */
class LexStop {}

class Lexer {
  private pos = 0;
  private line = 1;
  private parenDepth = 0;
  /** Set by ` -}}`: the next text loses its leading whitespace. */
  private trimNextText = false;
  readonly tokens: Token[] = [];

  constructor(
    private readonly input: string,
    private readonly options: LexOptions,
  ) {}

  run(): Token[] {
    try {
      while (this.lexText()) this.lexAction();
      this.emit('eof', '', this.pos);
    } catch (err) {
      if (!(err instanceof LexStop)) throw err;
    }
    return this.tokens;
  }

  private emit(type: TokenType, value: string, pos: number): void {
    this.tokens.push({ type, value, pos, line: this.line });
  }

  private fail(message: string): never {
    this.emit('error', message, this.pos);
    throw new LexStop();
  }

  /** Moves to `to`, counting the newlines skipped over. */
  private advanceTo(to: number): void {
    for (let i = this.pos; i < to; i++) if (this.input[i] === '\n') this.line++;
    this.pos = to;
  }

  private charAt(offset = 0): string | undefined {
    return this.input[this.pos + offset];
  }

  /** `{{- ` trims the whitespace before the action; it needs the space. */
  private hasLeftTrim(at: number): boolean {
    return this.input[at] === '-' && isSpace(this.input[at + 1]);
  }

  /** At `}}` or ` -}}`? Returns whether the right trim marker was used. */
  private atRightDelim(): { trim: boolean } | undefined {
    if (isSpace(this.charAt()) && this.charAt(1) === '-' && this.input.startsWith(RIGHT, this.pos + 2)) {
      return { trim: true };
    }
    if (this.input.startsWith(RIGHT, this.pos)) return { trim: false };
    return undefined;
  }

  /** Emits text up to the next `{{`; returns false at end of input. */
  private lexText(): boolean {
    const start = this.pos;
    const found = this.input.indexOf(LEFT, start);
    const end = found < 0 ? this.input.length : found;
    let text = this.input.slice(start, end);
    // podman expands these before parsing, so trim markers see the result.
    if (this.options.expandEscapes) text = text.replace(/\\([tn])/g, (_, c: string) => (c === 't' ? '\t' : '\n'));
    if (this.trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (found >= 0 && this.hasLeftTrim(found + LEFT.length)) text = text.replace(/[ \t\r\n]+$/, '');
    this.trimNextText = false;
    if (text) this.emit('text', text, start);
    this.advanceTo(end);
    return found >= 0;
  }

  private lexAction(): void {
    const delimPos = this.pos;
    let after = this.pos + LEFT.length;
    if (this.hasLeftTrim(after)) after += 2;
    if (this.input.startsWith('/*', after)) {
      this.advanceTo(after);
      this.lexComment();
      return;
    }
    this.emit('leftDelim', LEFT, delimPos);
    this.advanceTo(after);
    this.parenDepth = 0;
    for (;;) {
      const right = this.atRightDelim();
      if (right) {
        if (this.parenDepth > 0) this.fail('unclosed left paren');
        if (right.trim) this.advanceTo(this.pos + 2);
        this.emit('rightDelim', RIGHT, this.pos);
        this.advanceTo(this.pos + RIGHT.length);
        this.trimNextText = right.trim;
        return;
      }
      this.lexInsideAction();
    }
  }

  private lexComment(): void {
    const close = this.input.indexOf('*/', this.pos + 2);
    if (close < 0) this.fail('unclosed comment');
    this.advanceTo(close + 2);
    const right = this.atRightDelim();
    if (!right) this.fail('comment ends before closing delimiter');
    this.advanceTo(this.pos + (right.trim ? 2 : 0) + RIGHT.length);
    this.trimNextText = right.trim;
  }

  private lexInsideAction(): void {
    const c = this.charAt();
    const start = this.pos;
    if (c === undefined) this.fail('unclosed action');
    if (isSpace(c)) return this.lexSpace();
    switch (c) {
      case '=':
        this.emit('assign', c, start);
        return this.advanceTo(start + 1);
      case ':':
        if (this.charAt(1) !== '=') {
          this.advanceTo(start + 1);
          this.fail('expected :=');
        }
        this.emit('declare', ':=', start);
        return this.advanceTo(start + 2);
      case '|':
        this.emit('pipe', c, start);
        return this.advanceTo(start + 1);
      case '"':
        return this.lexQuoted('"', 'string', 'unterminated quoted string');
      case "'":
        return this.lexQuoted("'", 'char', 'unterminated character constant');
      case '`':
        return this.lexRawString();
      case '$':
        return this.lexFieldOrVariable('variable');
      case '(':
        this.parenDepth++;
        this.emit('leftParen', c, start);
        return this.advanceTo(start + 1);
      case ')':
        this.parenDepth--;
        if (this.parenDepth < 0) this.fail('unexpected right paren');
        this.emit('rightParen', c, start);
        return this.advanceTo(start + 1);
      case '.': {
        // `.5` is a number; anything else is a field or the dot itself.
        const next = this.charAt(1);
        if (next === undefined || next < '0' || next > '9') return this.lexFieldOrVariable('field');
        return this.lexNumber();
      }
    }
    if (c === '+' || c === '-' || (c >= '0' && c <= '9')) return this.lexNumber();
    if (isAlphaNumeric(c)) return this.lexIdentifier();
    const ch = String.fromCodePoint(this.input.codePointAt(start) ?? 0);
    if (c <= '\x7e' && c >= ' ') {
      this.emit('punct', c, start);
      return this.advanceTo(start + 1);
    }
    this.fail(`unrecognized character in action: ${formatRune(ch)}`);
  }

  private lexSpace(): void {
    const start = this.pos;
    let end = start;
    while (isSpace(this.input[end])) end++;
    // The last space may belong to a ` -}}` trim marker; leave it for the delimiter check.
    if (this.input.startsWith('-' + RIGHT, end)) end--;
    if (end > start) {
      this.emit('space', this.input.slice(start, end), start);
      this.advanceTo(end);
    }
  }

  /** Go's terminator set: what may directly follow a word. */
  private atTerminator(): boolean {
    const c = this.charAt();
    if (c === undefined || isSpace(c) || '.,|:()'.includes(c)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }

  private scanAlphaNumeric(): void {
    let end = this.pos;
    while (end < this.input.length) {
      const ch = String.fromCodePoint(this.input.codePointAt(end) ?? 0);
      if (!isAlphaNumeric(ch)) break;
      end += ch.length;
    }
    this.advanceTo(end);
  }

  private badCharacter(): never {
    this.fail(`bad character ${formatRune(String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0))}`);
  }

  private lexIdentifier(): void {
    const start = this.pos;
    this.scanAlphaNumeric();
    if (!this.atTerminator()) this.badCharacter();
    const word = this.input.slice(start, this.pos);
    const type: TokenType = KEYWORDS.has(word)
      ? 'keyword'
      : word === 'true' || word === 'false'
        ? 'bool'
        : word === 'nil'
          ? 'nil'
          : 'identifier';
    this.tokens.push({ type, value: word, pos: start, line: this.line });
  }

  /** `.Name` / `.` or `$name` / `$`. */
  private lexFieldOrVariable(kind: 'field' | 'variable'): void {
    const start = this.pos;
    this.advanceTo(start + 1);
    if (this.atTerminator()) {
      this.emit(kind === 'variable' ? 'variable' : 'dot', this.input[start]!, start);
      return;
    }
    this.scanAlphaNumeric();
    if (!this.atTerminator()) this.badCharacter();
    const text = this.input.slice(start, this.pos);
    this.emit(kind, kind === 'field' ? text.slice(1) : text, start);
  }

  private lexNumber(): void {
    const start = this.pos;
    const input = this.input;
    let p = start;
    const accept = (chars: string): boolean => {
      if (p < input.length && chars.includes(input[p]!)) {
        p++;
        return true;
      }
      return false;
    };
    const acceptRun = (chars: string): void => {
      while (accept(chars));
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(input[p])) {
      this.advanceTo(p + 1);
      this.fail(`bad number syntax: ${JSON.stringify(input.slice(start, p + 1))}`);
    }
    this.emit('number', input.slice(start, p), start);
    this.advanceTo(p);
  }

  private lexQuoted(quote: string, type: TokenType, unterminated: string): void {
    const start = this.pos;
    let p = start + 1;
    for (;;) {
      const c = this.input[p];
      if (c === '\\') {
        const next = this.input[p + 1];
        if (next === undefined || next === '\n') this.fail(unterminated);
        p += 2;
        continue;
      }
      if (c === undefined || c === '\n') this.fail(unterminated);
      p++;
      if (c === quote) break;
    }
    this.emit(type, this.input.slice(start, p), start);
    this.advanceTo(p);
  }

  private lexRawString(): void {
    const start = this.pos;
    const close = this.input.indexOf('`', start + 1);
    if (close < 0) this.fail('unterminated raw quoted string');
    this.emit('rawString', this.input.slice(start, close + 1), start);
    this.advanceTo(close + 1);
  }
}

export interface LexOptions {
  /** Turn the two-character sequences `\t` and `\n` in text into tab and newline. */
  expandEscapes?: boolean;
}

export function lex(input: string, options: LexOptions = {}): Token[] {
  return new Lexer(input, options).run();
}
