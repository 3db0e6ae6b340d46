/**
 * The line layer of the parser: parser directives, comments, continuation
 * lines and heredoc bodies, as docker's (BuildKit's) parser reads a file.
 * It yields one logical line per instruction, with its line span.
 */
import { ContainerfileError } from './errors.js';
import type { Directives, Heredoc } from './ast.js';
import { splitRawWords } from './expand.js';
import { extractFlags } from './flags.js';
import { jsonArray } from './json-form.js';

/** One instruction's text after joining continuation lines. */
export interface LogicalLine {
  /** The joined text (continuation characters removed), as docker's node.Original. */
  text: string;
  startLine: number;
  endLine: number;
  heredocs: Heredoc[];
  /** True when an empty line sat inside the continuation (docker warns about it). */
  emptyContinuation: boolean;
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

/** Reads the directives at the top of the file; they stop at the first other line. */
export function readDirectives(lines: string[], file: string): { directives: Directives; count: number } {
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  let count = 0;
  for (const raw of lines) {
    const m = DIRECTIVE.exec(raw.trim());
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(key)) break;
    count++;
    if (seen.has(key)) throw new ContainerfileError(file, count, `only one ${key} parser directive can be used`);
    seen.add(key);
    const value = m[2]!;
    if (key === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new ContainerfileError(file, count, `invalid escape token '${value}' does not match \` or \\`);
      }
      directives.escape = value;
    } else if (key === 'syntax') {
      directives.syntax = value;
    }
  }
  return { directives, count };
}

function isComment(line: string): boolean {
  return /^[ \t]*#/.test(line);
}

function isBlank(line: string): boolean {
  return /^[ \t\r]*$/.test(line);
}

/**
 * Splits the file's lines (without their line ends) into logical lines, one
 * per instruction, reading the heredoc bodies each RUN, COPY or ADD opens.
 * Directive lines are comments here. Throws ContainerfileError for an
 * unterminated heredoc.
 */
export function readLogicalLines(lines: string[], escape: string, file: string): { logical: LogicalLine[] } {
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const trimContinuation = (s: string): { text: string; more: boolean } => {
    const m = continuation.exec(s);
    return m ? { text: s.slice(0, m.index), more: true } : { text: s, more: false };
  };
  const logical: LogicalLine[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i++]!;
    const startLine = i;
    if (isComment(raw)) continue;
    let { text, more } = trimContinuation(raw.replace(/^[ \t]+/, ''));
    if (!more && isBlank(text)) continue;
    let emptyContinuation = false;
    while (more && i < lines.length) {
      const next = lines[i++]!;
      // Docker drops comment lines and blank lines inside a continuation.
      if (isComment(next)) continue;
      if (isBlank(next)) {
        emptyContinuation = true;
        continue;
      }
      const t = trimContinuation(next);
      text += t.text;
      more = t.more;
    }
    const entry: LogicalLine = { text, startLine, endLine: i, heredocs: [], emptyContinuation };
    const names = heredocNames(text, escape);
    for (const h of names) {
      let content = '';
      let terminated = false;
      while (i < lines.length) {
        const body = lines[i++]!;
        const candidate = h.chomp ? body.replace(/^\t+/, '') : body;
        if (candidate === h.name) {
          terminated = true;
          break;
        }
        content += candidate + '\n';
      }
      if (!terminated) {
        throw new ContainerfileError(file, startLine, `unterminated heredoc "${h.name}"`, {
          hint: `end it with a line holding only ${h.name}`,
        });
      }
      entry.heredocs.push({ ...h, content });
    }
    entry.endLine = i;
    logical.push(entry);
  }
  return { logical };
}

/**
 * The heredocs a RUN, COPY or ADD line (also as an ONBUILD trigger) opens (`<<EOF`, `<<-EOF`, `<<"EOF"`,
 * several per line), in order; none for other instructions or the JSON form.
 */
export function heredocNames(text: string, escape: string): Omit<Heredoc, 'content'>[] {
  if (!text.includes('<<')) return [];
  let words = splitRawWords(text, escape);
  // ONBUILD RUN <<EOF: the trigger may hold heredocs too, as in docker.
  if (words[0]?.toLowerCase() === 'onbuild') words = words.slice(1);
  if (words.length < 2 || !HEREDOC_INSTRUCTIONS.has(words[0]!.toLowerCase())) return [];
  const afterKeyword = text.trim().replace(/^\S+\s+/, '');
  const afterTrigger = /^onbuild\s/i.test(text.trim()) ? afterKeyword.replace(/^\S+\s*/, '') : afterKeyword;
  if (jsonArray(extractFlags(afterTrigger).rest.trim()) !== undefined) return [];
  const out: Omit<Heredoc, 'content'>[] = [];
  for (const word of words.slice(1)) {
    const m = HEREDOC_WORD.exec(word);
    if (!m || m[3] === '') continue;
    let name = m[3]!;
    let expand = true;
    const q = name[0];
    if ((q === '"' || q === "'") && name.length >= 2 && name.endsWith(q)) {
      name = name.slice(1, -1);
      expand = false;
    } else if (name.includes('"') || name.includes("'") || name.includes(escape)) {
      // Quoting part of the word (`<<E"O"F`) also turns expansion off, as in sh.
      name = name.replace(/["']/g, '').split(escape).join('');
      expand = false;
    }
    if (name === '') continue;
    out.push({ name, expand, chomp: m[2] === '-' });
  }
  return out;
}
