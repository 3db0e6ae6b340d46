/**
 * Parse tree of a template. Shapes follow Go's text/template/parse closely so
 * the executor can mirror Go's evaluation rules. Every node keeps its source
 * offset for error messages.
 */

export interface TextNode {
  kind: 'text';
  pos: number;
  text: string;
}

/** `{{pipeline}}`: prints the value unless the pipeline declares variables. */
export interface ActionNode {
  kind: 'action';
  pos: number;
  pipe: PipeNode;
}

/** `{{if}}`, `{{with}}` and `{{range}}`, each with an optional `{{else}}` branch. */
export interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pos: number;
  pipe: PipeNode;
  list: Node[];
  elseList?: Node[];
}

export interface BranchNode {
  kind: 'break' | 'continue';
  pos: number;
}

export type Node = TextNode | ActionNode | ControlNode | BranchNode;

/** `$a, $b := cmd | cmd`. */
export interface PipeNode {
  kind: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: CommandNode[];
}

/** One pipeline stage: a function, method or value with its arguments. */
export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

export interface FieldNode {
  kind: 'field';
  pos: number;
  names: string[];
}

export interface VariableNode {
  kind: 'variable';
  pos: number;
  name: string;
  fields: string[];
}

/** `(pipeline).Field.Other` */
export interface ChainNode {
  kind: 'chain';
  pos: number;
  node: ArgNode;
  fields: string[];
}

export interface IdentifierNode {
  kind: 'identifier';
  pos: number;
  name: string;
}

export interface LiteralNode {
  kind: 'dot' | 'nil' | 'bool' | 'number' | 'string';
  pos: number;
  /** Source text, for error messages. */
  text: string;
  value: unknown;
}

export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | LiteralNode | PipeNode;

/** Source-like rendering of a node, as Go's Node.String() gives in error contexts. */
export function nodeString(node: ArgNode | CommandNode | Node): string {
  switch (node.kind) {
    case 'field':
      return node.names.map((n) => '.' + n).join('');
    case 'variable':
      return node.name + node.fields.map((n) => '.' + n).join('');
    case 'chain':
      return operandString(node.node) + node.fields.map((n) => '.' + n).join('');
    case 'identifier':
      return node.name;
    case 'dot':
    case 'nil':
    case 'bool':
    case 'number':
    case 'string':
      return node.text;
    case 'pipe': {
      const decl = node.decl.length ? node.decl.join(', ') + (node.isAssign ? ' = ' : ' := ') : '';
      return decl + node.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return node.args.map(operandString).join(' ');
    case 'action':
      return `{{${nodeString(node.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range':
      return `{{${node.kind} ${nodeString(node.pipe)}}}`;
    case 'break':
    case 'continue':
      return `{{${node.kind}}}`;
    case 'text':
      return node.text;
  }
}

function operandString(node: ArgNode): string {
  return node.kind === 'pipe' ? `(${nodeString(node)})` : nodeString(node);
}
