/**
 * Docker's test for the exec (JSON) form: the arguments are a JSON array of
 * strings. Anything else, malformed JSON included, is the shell form.
 */
export function jsonArray(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(args);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    // Not JSON: the shell form.
  }
  return undefined;
}
