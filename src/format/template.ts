/**
 * The Go text/template subset behind podman's --format flag.
 *
 *   const t = compileTemplate('{{.ID}}\t{{.Names | join ","}}', { name: 'ps' });
 *   t.execute(row);
 *
 * Data are plain JavaScript values. Fields are properties (methods are called,
 * getters just work); an object missing a field is an error, as for a Go
 * struct. Map instances and null-prototype objects are maps instead: a
 * missing key prints `<no value>`. See values.ts for the details.
 *
 * Like podman, the two-character sequences `\t` and `\n` in template text
 * become a tab and a newline, and `table ` prefixes a header row (see
 * isTableTemplate, stripTable and tableHeaders).
 */
import type { Node } from './ast.js';
import { execute } from './exec.js';
import { FUNCTIONS } from './functions.js';
import { parse } from './parser.js';

export { TemplateError } from './errors.js';

export interface TemplateOptions {
  /** Name shown in error messages; podman uses the command's (`ps`). Default `output`. */
  name?: string;
}

export class CompiledTemplate {
  /** Use compileTemplate(). */
  constructor(
    readonly source: string,
    readonly name: string,
    private readonly tree: Node[],
  ) {}

  /** Renders the template with `data` as dot; throws TemplateError. */
  execute(data: unknown): string {
    return execute(this.tree, data, { name: this.name, source: this.source });
  }

  /**
   * The header row for this (already stripped) table template: each field
   * renders as its column title, e.g. `{{.CreatedAt}}` as `CREATED AT`.
   */
  headers(): string {
    return execute(this.tree, '', { name: this.name, source: this.source, fieldHeader: columnTitle });
  }
}

/** Parses `source`; throws TemplateError on syntax errors or unknown functions. */
export function compileTemplate(source: string, options: TemplateOptions = {}): CompiledTemplate {
  const name = options.name ?? 'output';
  const tree = parse(source, { name, hasFunction: (fn) => FUNCTIONS.has(fn), expandEscapes: true });
  return new CompiledTemplate(source, name, tree);
}

export function renderTemplate(source: string, data: unknown, options: TemplateOptions = {}): string {
  return compileTemplate(source, options).execute(data);
}

/** Whether `source` asks for table output (`table` or `table {{.ID}}...`). */
export function isTableTemplate(source: string): boolean {
  return /^table(\s|$)/.test(source);
}

/** Drops the leading `table` keyword and the one blank after it, as podman does. */
export function stripTable(source: string): string {
  return isTableTemplate(source) ? source.replace(/^table\s?/, '') : source;
}

/** The header row for a table template: `table {{.ID}}\t{{.Names}}` gives `ID\tNAMES`. */
export function tableHeaders(source: string, options: TemplateOptions = {}): string {
  return compileTemplate(stripTable(source), options).headers();
}

/** podman's column title: the field name split at case changes, upper-cased. */
function columnTitle(field: string): string {
  return splitCamelCase(field).join(' ').toUpperCase();
}

/**
 * Splits at lower/upper/digit boundaries, keeping acronyms together
 * (`CreatedAt` → Created At, `HTMLParser` → HTML Parser), as the camelcase
 * package podman uses.
 */
export function splitCamelCase(word: string): string[] {
  const classOf = (ch: string): number =>
    /\p{Ll}/u.test(ch) ? 1 : /\p{Lu}/u.test(ch) ? 2 : /\p{Nd}/u.test(ch) ? 3 : 4;
  const runs: string[][] = [];
  let last = 0;
  for (const ch of word) {
    const cls = classOf(ch);
    if (cls === last) runs[runs.length - 1]!.push(ch);
    else runs.push([ch]);
    last = cls;
  }
  // An upper-case run followed by lower case gives its last letter away: "HTMLP" "arser" → "HTML" "Parser".
  for (let i = 0; i < runs.length - 1; i++) {
    const head = runs[i]![0];
    if (head !== undefined && classOf(head) === 2 && classOf(runs[i + 1]![0]!) === 1) {
      runs[i + 1]!.unshift(runs[i]!.pop()!);
    }
  }
  return runs.filter((run) => run.length > 0).map((run) => run.join(''));
}
