/**
 * Recursive-descent parser producing the tree in ast.ts. Grammar, scoping of
 * variables and error wording follow Go's text/template/parse.
 */
import type { ArgNode, CommandNode, ControlNode, LiteralNode, Node, PipeNode } from './ast.js';
import { TemplateError } from './errors.js';
import { lex, type Token, type TokenType } from './lexer.js';

export interface ParseOptions {
  /** Template name used in error messages. */
  name: string;
  hasFunction(name: string): boolean;
  /** See LexOptions. */
  expandEscapes?: boolean;
}

/** `{{end}}` or `{{else}}`: closes an item list, never part of the tree. */
interface Terminator {
  kind: 'end' | 'else';
  pos: number;
}

function isTerminator(node: Node | Terminator): node is Terminator {
  return node.kind === 'end' || node.kind === 'else';
}

export function parse(source: string, options: ParseOptions): Node[] {
  return new Parser(lex(source, { expandEscapes: options.expandEscapes }), options).parse();
}

class Parser {
  private index = 0;
  private line = 1;
  /** Variables in scope, innermost last; `$` is always defined. */
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly options: ParseOptions,
  ) {}

  parse(): Node[] {
    const nodes: Node[] = [];
    while (this.peek().type !== 'eof') {
      const node = this.textOrAction();
      if (isTerminator(node)) this.error(`unexpected {{${node.kind}}}`);
      nodes.push(node);
    }
    return nodes;
  }

  // --- token access -------------------------------------------------------

  private peek(): Token {
    // The stream always ends with an eof or error token, which repeats forever.
    const token = this.tokens[Math.min(this.index, this.tokens.length - 1)]!;
    this.line = token.line;
    return token;
  }

  private next(): Token {
    const token = this.peek();
    this.index++;
    if (token.type === 'error') this.error(token.value);
    return token;
  }

  private backup(): void {
    this.index--;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.type === 'space') token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  private expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private error(message: string): never {
    throw new TemplateError(`template: ${this.options.name}:${this.line}: ${message}`);
  }

  private unexpected(token: Token, context: string): never {
    this.error(`unexpected ${describe(token)} in ${context}`);
  }

  // --- lists and actions --------------------------------------------------

  private textOrAction(): Node | Terminator {
    const token = this.nextNonSpace();
    if (token.type === 'text') return { kind: 'text', pos: token.pos, text: token.value };
    if (token.type === 'leftDelim') return this.action();
    this.unexpected(token, 'input');
  }

  /** Nodes up to the `{{end}}` or `{{else}}` that closes them. */
  private itemList(): { nodes: Node[]; end: Terminator } {
    const nodes: Node[] = [];
    while (this.peekNonSpace().type !== 'eof') {
      const node = this.textOrAction();
      if (isTerminator(node)) return { nodes, end: node };
      nodes.push(node);
    }
    this.error('unexpected EOF');
  }

  private action(): Node | Terminator {
    const token = this.nextNonSpace();
    if (token.type === 'keyword') {
      switch (token.value) {
        case 'else':
          return this.elseControl(token);
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: token.pos };
        case 'if':
        case 'with':
        case 'range':
          return this.control(token.value);
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.error(`{{${token.value}}} outside {{range}}`);
          this.expect('rightDelim', `{{${token.value}}}`);
          return { kind: token.value === 'break' ? 'break' : 'continue', pos: token.pos };
        default:
          this.error(`{{${token.value}}} is not supported`);
      }
    }
    this.backup();
    // Variables declared here stay in scope until the enclosing {{end}}.
    const pipe = this.pipeline('command', 'rightDelim');
    return { kind: 'action', pos: pipe.pos, pipe };
  }

  private elseControl(token: Token): Terminator {
    // `{{else if ...}}` is parsed as `{{else}}{{if ...}}...{{end}}`: leave the
    // `if` pending for control() to pick up.
    const next = this.peekNonSpace();
    if (next.type === 'keyword' && (next.value === 'if' || next.value === 'with')) {
      return { kind: 'else', pos: token.pos };
    }
    this.expect('rightDelim', 'else');
    return { kind: 'else', pos: token.pos };
  }

  private control(kind: 'if' | 'with' | 'range'): ControlNode {
    const scope = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (kind === 'range') this.rangeDepth++;
    const body = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.end.kind === 'else') {
      const next = this.peek();
      if (kind !== 'range' && next.type === 'keyword' && next.value === kind) {
        this.next();
        elseList = [this.control(kind)];
      } else {
        const rest = this.itemList();
        if (rest.end.kind !== 'end') this.error('expected end; found {{else}}');
        elseList = rest.nodes;
      }
    }
    this.vars.length = scope;
    return { kind, pos: pipe.pos, pipe, list: body.nodes, elseList };
  }

  // --- pipelines ----------------------------------------------------------

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: start.pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    if (this.peekNonSpace().type === end) {
      this.next();
      this.error(`missing value for ${context}`);
    }
    for (;;) {
      pipe.cmds.push(this.command());
      const token = this.nextNonSpace();
      if (token.type === end) break;
      if (token.type !== 'pipe') this.unexpected(token, context);
    }
    // With A | B | C, only A may be a plain value: B and C receive an argument.
    pipe.cmds.forEach((cmd, i) => {
      const kind = cmd.args[0]!.kind;
      if (i > 0 && (kind === 'bool' || kind === 'dot' || kind === 'nil' || kind === 'number' || kind === 'string')) {
        this.error(`non executable command in pipeline stage ${i + 1}`);
      }
    });
    return pipe;
  }

  /** `$x :=`, `$x =` or, for range, `$i, $e :=`. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.type !== 'variable') return;
      const start = this.index;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'declare' || next.type === 'assign') {
        this.next();
        pipe.isAssign = next.type === 'assign';
        pipe.decl.push(variable.value);
        this.vars.push(variable.value);
        return;
      }
      if (next.type === 'punct' && next.value === ',') {
        this.next();
        pipe.decl.push(variable.value);
        this.vars.push(variable.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type;
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue;
          this.error('range can only initialize variables');
        }
        this.error(`too many declarations in ${context}`);
      }
      // Just a variable used as a value: rewind.
      this.index = start;
      return;
    }
  }

  /** Space-separated operands up to `|`, `}}` or `)` (left unconsumed). */
  private command(): CommandNode {
    const args: ArgNode[] = [];
    const start = this.peekNonSpace();
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === 'pipe' || token.type === 'rightDelim' || token.type === 'rightParen') break;
      const operand = this.operand();
      if (!operand) this.unexpected(this.next(), 'operand');
      args.push(operand);
      const after = this.peek().type;
      if (after === 'space') continue;
      if (after === 'pipe' || after === 'rightDelim' || after === 'rightParen') break;
      this.unexpected(this.next(), 'operand');
    }
    if (args.length === 0) this.error('empty command');
    return { kind: 'command', pos: start.pos, args };
  }

  /** A term followed by any number of `.Field`s. */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value);
    switch (node.kind) {
      case 'field':
        return { ...node, names: [...node.names, ...fields] };
      case 'variable':
        return { ...node, fields: [...node.fields, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.error(`unexpected . after term ${JSON.stringify(node.text)}`);
      default:
        return { kind: 'chain', pos: node.pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    const literal = (kind: LiteralNode['kind'], value: unknown): LiteralNode => ({
      kind,
      pos: token.pos,
      text: token.value,
      value,
    });
    switch (token.type) {
      case 'identifier':
        if (!this.options.hasFunction(token.value)) this.error(`function ${JSON.stringify(token.value)} not defined`);
        return { kind: 'identifier', pos: token.pos, name: token.value };
      case 'dot':
        return literal('dot', undefined);
      case 'nil':
        return literal('nil', null);
      case 'bool':
        return literal('bool', token.value === 'true');
      case 'number':
        return literal('number', this.parseNumber(token.value));
      case 'char':
        return literal('number', this.parseChar(token.value));
      case 'string':
        return literal('string', this.unquote(token.value));
      case 'rawString':
        // Go drops carriage returns from raw strings.
        return literal('string', token.value.slice(1, -1).replace(/\r/g, ''));
      case 'field':
        return { kind: 'field', pos: token.pos, names: [token.value] };
      case 'variable':
        if (!this.vars.includes(token.value)) this.error(`undefined variable ${JSON.stringify(token.value)}`);
        return { kind: 'variable', pos: token.pos, name: token.value, fields: [] };
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      default:
        this.backup();
        return undefined;
    }
  }

  // --- literals -----------------------------------------------------------

  private parseNumber(text: string): number {
    const illegal = (): never => this.error(`illegal number syntax: ${JSON.stringify(text)}`);
    if (text.endsWith('i')) this.error(`complex numbers are not supported: ${JSON.stringify(text)}`);
    const clean = text.replace(/_/g, '');
    const negative = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    if (/^0[xX].*[.pP]/.test(body)) illegal(); // hex floats
    // Go reads a leading 0 as octal, JavaScript as decimal.
    const value = /^0[0-7]+$/.test(body) ? parseInt(body, 8) : body === '' ? NaN : Number(body);
    if (Number.isNaN(value)) illegal();
    return negative ? -value : value;
  }

  private parseChar(text: string): number {
    const [decoded, rest] = unquoteChar(text.slice(1), "'") ?? this.error('invalid syntax');
    if (rest !== "'" || decoded === '') this.error(`malformed character constant: ${text}`);
    return decoded.codePointAt(0)!;
  }

  private unquote(text: string): string {
    let rest = text.slice(1);
    let out = '';
    while (rest !== '"') {
      const step = unquoteChar(rest, '"');
      if (!step) this.error('invalid syntax');
      out += step[0];
      rest = step[1];
    }
    return out;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * Decodes one (possibly escaped) character of a Go literal, as
 * strconv.UnquoteChar; returns it and the remaining text.
 */
function unquoteChar(s: string, quote: string): [string, string] | undefined {
  const c = s[0];
  if (c === undefined || c === quote) return undefined;
  if (c !== '\\') {
    const ch = String.fromCodePoint(s.codePointAt(0)!);
    return [ch, s.slice(ch.length)];
  }
  const e = s[1];
  if (e === undefined) return undefined;
  if (e in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[e]!, s.slice(2)];
  if (e === quote) return [e, s.slice(2)];
  const hex = { x: 2, u: 4, U: 8 }[e as 'x' | 'u' | 'U'];
  if (hex) {
    const digits = s.slice(2, 2 + hex);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) return undefined;
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff) return undefined;
    return [String.fromCodePoint(cp), s.slice(2 + hex)];
  }
  if (e >= '0' && e <= '7') {
    const digits = s.slice(1, 4);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) return undefined;
    return [String.fromCharCode(parseInt(digits, 8)), s.slice(4)];
  }
  return undefined;
}

/** A token as Go's parser names it in "unexpected X in Y" messages. */
function describe(token: Token): string {
  if (token.type === 'eof') return 'EOF';
  if (token.type === 'keyword') return `<${token.value}>`;
  const value = token.type === 'field' ? '.' + token.value : token.value;
  return value.length > 10 ? `${JSON.stringify(value.slice(0, 10))}...` : JSON.stringify(value);
}
