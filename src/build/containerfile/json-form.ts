/**
 * Docker's test for the exec (JSON) form: the arguments start with a JSON
 * array of strings. Like Go's json.Decoder, only the first JSON value is
 * read and text after it is ignored (`CMD ["a"] x` runs `a`, as in podman).
 * Anything else, malformed JSON included, is the shell form.
 */
export function jsonArray(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const end = endOfFirstValue(args);
  if (end === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(args.slice(0, end));
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    // Not JSON: the shell form.
  }
  return undefined;
}

/** The index just past the bracket that closes the array at 0, skipping strings. */
function endOfFirstValue(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
