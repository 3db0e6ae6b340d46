/**
 * Docker credential helpers (`docker-credential-NAME get|store|erase`), as
 * containers-auth.json(5)'s `credHelpers` names them: the registry on stdin
 * for get and erase, JSON `{ServerURL, Username, Secret}` for store and
 * from get. A Username of `<token>` means Secret is an identity token.
 */
import { spawnSync } from 'node:child_process';
import { SkiffError } from '../../util/errors.js';

export type HelperCredentials = { username: string; password: string } | { identityToken: string };

const NOT_FOUND = /credentials not found/i;

function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string): { stdout: string; stderr: string; ok: boolean } {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new SkiffError('ECREDHELPER', `invalid credential helper name "${name}"`);
  const program = `docker-credential-${name}`;
  const r = spawnSync(program, [action], { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    // EACCES too: execvp reports it when a PATH directory is unreadable and the program is nowhere else.
    const missing = ['ENOENT', 'EACCES'].includes((r.error as NodeJS.ErrnoException).code ?? '');
    throw new SkiffError('ECREDHELPER', missing ? `credential helper ${program} is not installed (or not executable)` : `credential helper ${program}: ${r.error.message}`, {
      hint: missing ? `install ${program}, or remove "${name}" from credHelpers in the auth file` : undefined,
    });
  }
  return { stdout: r.stdout, stderr: r.stderr, ok: r.status === 0 };
}

/** The helper's credentials for a registry; undefined when it has none. */
export function helperGet(name: string, registry: string): HelperCredentials | undefined {
  const r = runHelper(name, 'get', registry);
  if (!r.ok) {
    if (NOT_FOUND.test(r.stdout + r.stderr)) return undefined;
    throw new SkiffError('ECREDHELPER', `credential helper docker-credential-${name} failed for ${registry}: ${(r.stderr || r.stdout).trim()}`);
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(r.stdout) as typeof doc;
  } catch {
    throw new SkiffError('ECREDHELPER', `credential helper docker-credential-${name} sent something other than JSON for ${registry}`);
  }
  const username = typeof doc.Username === 'string' ? doc.Username : '';
  const secret = typeof doc.Secret === 'string' ? doc.Secret : '';
  if (secret === '') return undefined;
  return username === '<token>' ? { identityToken: secret } : { username, password: secret };
}

export function helperStore(name: string, registry: string, username: string, password: string): void {
  const r = runHelper(name, 'store', JSON.stringify({ ServerURL: registry, Username: username, Secret: password }));
  // Never echo what the helper printed: it may repeat the secret.
  if (!r.ok) throw new SkiffError('ECREDHELPER', `credential helper docker-credential-${name} could not store the credentials for ${registry}`);
}

/** @returns false when the helper had nothing for the registry. */
export function helperErase(name: string, registry: string): boolean {
  const r = runHelper(name, 'erase', registry);
  if (r.ok) return true;
  if (NOT_FOUND.test(r.stdout + r.stderr)) return false;
  throw new SkiffError('ECREDHELPER', `credential helper docker-credential-${name} could not erase the credentials for ${registry}: ${(r.stderr || r.stdout).trim()}`);
}
