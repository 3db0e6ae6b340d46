/**
 * WWW-Authenticate parsing (RFC 7235 §4.1, RFC 9110 §11.6.1): the challenges
 * a registry sends with a 401, e.g. `Bearer realm="https://auth.example/token",service="registry.example"`.
 */

/** One authentication challenge. */
export interface Challenge {
  /** The auth scheme, lowercased (`bearer`, `basic`). */
  scheme: string;
  /** auth-params with lowercased names and unquoted values. */
  params: Record<string, string>;
  /** A token68 credential blob, when the challenge carries one instead of params. */
  token68?: string;
}

// RFC 9110 tchar
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses a WWW-Authenticate header value into its challenges, in order.
 *
 * Total: never throws; text that does not parse is skipped, so a malformed
 * header yields fewer (possibly zero) challenges. Several challenges may share
 * one value (Node joins repeated headers with ", ").
 */
export function parseChallenges(header: string): Challenge[] {
  const s = header;
  let i = 0;
  const out: Challenge[] = [];

  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // At the opening quote. An unterminated string runs to the end of input.
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++;
    return v;
  };
  // token68 at i: its characters, then any '=' padding, then end, ',' or whitespace.
  const token68At = (): string | undefined => {
    let j = i;
    while (j < s.length && TOKEN68_CHAR.test(s[j]!)) j++;
    if (j === i) return undefined;
    while (j < s.length && s[j] === '=') j++;
    let k = j;
    while (k < s.length && (s[k] === ' ' || s[k] === '\t')) k++;
    if (k < s.length && s[k] !== ',') return undefined;
    const v = s.slice(i, j);
    i = k;
    return v;
  };

  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    const scheme = readToken();
    if (scheme === '') {
      i++; // junk character
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipWs();

    let first = true;
    for (;;) {
      const save = i;
      skipWs();
      if (first) {
        const t68 = token68At();
        if (t68 !== undefined) {
          challenge.token68 = t68;
          break;
        }
      }
      const name = readToken();
      skipWs();
      if (name === '' || s[i] !== '=') {
        // The start of the next challenge (or junk): leave it to the outer loop.
        i = save;
        break;
      }
      i++;
      skipWs();
      challenge.params[name.toLowerCase()] = s[i] === '"' ? readQuoted() : readToken();
      first = false;
      skipWs();
      if (i >= s.length) break;
      // Tolerate a missing comma between params; a following scheme ends the loop above.
      if (s[i] === ',') i++;
    }
  }
  return out;
}
