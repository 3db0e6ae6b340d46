import { InvalidArgumentError } from '../../util/errors.js';

/** True when `pattern` has one of filepath.Match's special characters, so it is a glob and not a plain name. */
export function hasGlobMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/**
 * Go's filepath.Match for one path component, which docker and buildah use
 * for COPY sources: `*` any run of characters, `?` one character, `[...]`
 * a class (`[^...]` negated, `a-z` ranges), `\` escapes the next character.
 * There is no `**`. A malformed pattern is an error, as Go's ErrBadPattern.
 */
export function matchComponent(pattern: string, name: string): boolean {
  return compile(pattern).test(name);
}

const cache = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  const known = cache.get(pattern);
  if (known) return known;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) throw badPattern(pattern);
      source += escape(pattern[++i]);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let any = false;
      for (;;) {
        if (j >= pattern.length) throw badPattern(pattern);
        let c = pattern[j];
        if (c === ']' && any) break;
        if (c === '\\') {
          if (++j >= pattern.length) throw badPattern(pattern);
          c = pattern[j];
        } else if (c === '-' || c === ']') throw badPattern(pattern);
        let item = escape(c);
        if (pattern[j + 1] === '-' && pattern[j + 2] !== undefined && pattern[j + 2] !== ']') {
          let hi = pattern[j + 2];
          j += 2;
          if (hi === '\\') {
            if (++j >= pattern.length) throw badPattern(pattern);
            hi = pattern[j];
          }
          if (hi < c) throw badPattern(pattern);
          item += '-' + escape(hi);
        }
        cls += item;
        any = true;
        j++;
      }
      source += `(?!/)[${cls}]`;
      i = j;
    } else source += escape(ch);
  }
  const re = new RegExp(source + '$', 's');
  cache.set(pattern, re);
  return re;
}

function escape(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function badPattern(pattern: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid glob pattern "${pattern}": syntax error in pattern`);
}
