/**
 * Tree-walking executor, mirroring Go's text/template/exec.go: dot and the
 * variable stack, pipelines feeding their value to the next command as its
 * last argument, method calls on fields, and Go's error messages.
 */
import {
  nodeString,
  type ArgNode,
  type ChainNode,
  type CommandNode,
  type ControlNode,
  type Node,
  type PipeNode,
  type VariableNode,
} from './ast.js';
import { TemplateError } from './errors.js';
import { ArgError, FUNCTIONS } from './functions.js';
import {
  NO_VALUE,
  formatValue,
  isMapLike,
  isNil,
  isTrue,
  listItems,
  mapEntries,
  typeName,
  utf8Length,
} from './values.js';

export interface ExecOptions {
  name: string;
  /** The parsed text, to turn node offsets into line:column. */
  source: string;
  /**
   * Header mode for table output: every field evaluates to its column title
   * and failing functions fall back to their first string argument, so any
   * row template also renders a header line.
   */
  fieldHeader?: (field: string) => string;
}

/** "Nothing piped in": the first command of a pipeline has no final argument. */
const MISSING = Symbol('missing');

/** Thrown by {{break}} and {{continue}}, caught by the enclosing range. */
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

type ErrorNode = ArgNode | CommandNode | Node;

export function execute(nodes: Node[], data: unknown, options: ExecOptions): string {
  return new Executor(options).run(nodes, data);
}

class Executor {
  private out = '';
  private vars: { name: string; value: unknown }[] = [];

  constructor(private readonly options: ExecOptions) {}

  run(nodes: Node[], data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, nodes);
    return this.out;
  }

  private fail(node: ErrorNode, message: string): never {
    const { name, source } = this.options;
    const before = source.slice(0, node.pos);
    const line = before.split('\n').length;
    // Go reports a 0-based byte column.
    const column = utf8Length(before.slice(before.lastIndexOf('\n') + 1));
    throw new TemplateError(
      `template: ${name}:${line}:${column}: executing ${JSON.stringify(name)} at <${nodeString(node)}>: ${message}`,
    );
  }

  // --- statements ---------------------------------------------------------

  private walkList(dot: unknown, nodes: Node[]): void {
    for (const node of nodes) this.walk(dot, node);
  }

  private walk(dot: unknown, node: Node): void {
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        // Declarations print nothing.
        if (node.pipe.decl.length === 0) this.print(node, value);
        return;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        return this.walkRange(dot, node);
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private print(node: Node, value: unknown): void {
    if (typeof value === 'function') this.fail(node, `can't print ${nodeString(node)} of type func`);
    this.out += formatValue(value);
  }

  private walkIfOrWith(dot: unknown, node: ControlNode): void {
    // Variables declared in the pipeline or body go out of scope at {{end}}.
    const scope = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) this.walkList(node.kind === 'with' ? value : dot, node.list);
      else if (node.elseList) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = scope;
    }
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    const scope = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      const decl = node.pipe.decl;
      const bodyScope = this.vars.length;
      // Runs the body once; false means {{break}}.
      const iterate = (key: unknown, element: unknown): boolean => {
        // One variable gets the element, two get key and element.
        if (decl.length === 1) this.setVar(node, decl[0]!, element);
        if (decl.length === 2) {
          this.setVar(node, decl[0]!, key);
          this.setVar(node, decl[1]!, element);
        }
        try {
          this.walkList(element, node.list);
        } catch (signal) {
          if (signal === BREAK) return false;
          if (signal !== CONTINUE) throw signal;
        } finally {
          this.vars.length = bodyScope;
        }
        return true;
      };
      const items = listItems(value);
      const entries = items ? undefined : mapEntries(value);
      if (items && items.length > 0) {
        for (let i = 0; i < items.length && iterate(i, items[i]); i++);
        return;
      }
      if (entries && entries.length > 0) {
        for (const [k, v] of entries) if (!iterate(k, v)) break;
        return;
      }
      if (typeof value === 'number' && Number.isInteger(value)) {
        // Go 1.22: range over an int counts from 0.
        if (decl.length > 1) this.fail(node, `can't use ${value} to iterate over more than one variable`);
        if (value > 0) {
          for (let i = 0; i < value && iterate(i, i); i++);
          return;
        }
      } else if (typeof value === 'string' && this.options.fieldHeader) {
        iterate(0, value);
        return;
      } else if (!items && !entries && !isNil(value)) {
        this.fail(node, `range can't iterate over ${formatValue(value)}`);
      }
      if (node.elseList) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = scope;
    }
  }

  // --- variables ----------------------------------------------------------

  private findVar(node: ErrorNode, name: string): { name: string; value: unknown } {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!;
    this.fail(node, `undefined variable: ${name}`);
  }

  private setVar(node: ErrorNode, name: string, value: unknown): void {
    this.findVar(node, name).value = value;
  }

  // --- pipelines and commands ---------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: unknown = MISSING;
    // Each command's value becomes the next one's last argument.
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(pipe, name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.names, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first.name, cmd, cmd.args, final);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
    }
    this.notAFunction(cmd.args, final);
    if (first.kind === 'nil') this.fail(first, 'nil is not a command');
    return first.kind === 'dot' ? dot : first.value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== MISSING) {
      this.fail(args[0]!, `can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  /** An argument's value; functions named as arguments are called without arguments. */
  private evalArg(dot: unknown, node: ArgNode): unknown {
    switch (node.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, node, node.names, [node], MISSING);
      case 'variable':
        return this.evalVariable(dot, node, [node], MISSING);
      case 'chain':
        return this.evalChain(dot, node, [node], MISSING);
      case 'pipe':
        return this.evalPipeline(dot, node);
      case 'identifier':
        return this.evalFunction(dot, node.name, node, [node], MISSING);
      default:
        return node.value;
    }
  }

  private evalArgs(dot: unknown, args: ArgNode[], final: unknown): unknown[] {
    const values = args.slice(1).map((arg) => this.evalArg(dot, arg));
    if (final !== MISSING) values.push(final);
    return values;
  }

  private evalVariable(dot: unknown, node: VariableNode, args: ArgNode[], final: unknown): unknown {
    const value = this.findVar(node, node.name).value;
    if (node.fields.length === 0) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, node, node.fields, args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
    if (chain.node.kind === 'nil') this.fail(chain, `indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  // --- fields and methods -------------------------------------------------

  /** `.A.B.C`: only the last name receives the command's arguments. */
  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: ArgNode,
    names: string[],
    args: ArgNode[],
    final: unknown,
  ): unknown {
    const last = names[names.length - 1]!;
    if (this.options.fieldHeader) return this.options.fieldHeader(last);
    for (const name of names.slice(0, -1)) receiver = this.evalField(dot, name, node, [], MISSING, receiver);
    return this.evalField(dot, last, node, args, final, receiver);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: ArgNode,
    args: ArgNode[],
    final: unknown,
    receiver: unknown,
  ): unknown {
    // A missing map value has no fields either; Go quietly yields nothing.
    if (receiver === NO_VALUE) return NO_VALUE;
    if (receiver === null || receiver === undefined) {
      this.fail(node, `nil pointer evaluating ${typeName(receiver)}.${name}`);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (isMapLike(receiver)) {
      if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
      if (receiver instanceof Map) return receiver.has(name) ? receiver.get(name) : NO_VALUE;
      const record = receiver as Record<string, unknown>;
      return Object.hasOwn(record, name) ? record[name] : NO_VALUE;
    }
    if (typeof receiver === 'object' && !listItems(receiver) && hasField(receiver, name)) {
      let value: unknown;
      try {
        value = (receiver as Record<string, unknown>)[name];
      } catch (err) {
        this.fail(node, `error calling ${name}: ${errorMessage(err)}`);
      }
      if (typeof value === 'function') {
        const argValues = this.evalArgs(dot, args, final).map((v) => (v === NO_VALUE ? null : v));
        try {
          return (value as (...a: unknown[]) => unknown).apply(receiver, argValues);
        } catch (err) {
          this.fail(node, `error calling ${name}: ${errorMessage(err)}`);
        }
      }
      if (hasArgs) this.fail(node, `${name} has arguments but cannot be invoked as function`);
      return value;
    }
    this.fail(node, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  // --- functions ----------------------------------------------------------

  private evalFunction(dot: unknown, name: string, node: ErrorNode, args: ArgNode[], final: unknown): unknown {
    // The parser rejects unknown names.
    const fn = FUNCTIONS.get(name)!;
    const count = args.length - 1 + (final === MISSING ? 0 : 1);
    if (count < fn.min || count > fn.max) {
      const want = fn.max === Infinity ? `at least ${fn.min}` : `${fn.min}`;
      this.fail(node, `wrong number of args for ${name}: want ${want} got ${count}`);
    }
    if (name === 'and' || name === 'or') return this.shortCircuit(dot, name, args, final);
    const values = this.evalArgs(dot, args, final);
    try {
      return fn.call(values);
    } catch (err) {
      if (this.options.fieldHeader) return values.find((v) => typeof v === 'string') ?? '';
      if (err instanceof ArgError) this.fail(node, err.message);
      this.fail(node, `error calling ${name}: ${errorMessage(err)}`);
    }
  }

  /** and/or stop evaluating at the first argument that decides the result. */
  private shortCircuit(dot: unknown, name: 'and' | 'or', args: ArgNode[], final: unknown): unknown {
    let value: unknown;
    for (const arg of args.slice(1)) {
      value = this.evalArg(dot, arg);
      if (isTrue(value) === (name === 'or')) return value;
    }
    return final === MISSING ? value : final;
  }
}

/** Whether `name` is a property of `object` itself or of its class, not of Object. */
function hasField(object: object, name: string): boolean {
  let o: object | null = object;
  for (; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, name)) return name !== 'constructor' || o === object;
  }
  return false;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
