// The run root and graph root checks: a directory another user owns or could
// write to is refused; the user's own is created or made 0700.
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnsafeDirectoryError, ensurePrivateDir, ownedByCurrentUser } from '../../../src/util/private-dir.js';
import { isOurPauseProcess } from '../../../src/userns/pause.js';

const asRoot = process.geteuid?.() === 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'private-dir-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const modeOf = (p: string) => statSync(p).mode & 0o7777;

test('a root-owned directory is not owned by the current user', (t) => {
  if (asRoot) return t.pass('runs as root: nothing to check');
  t.false(ownedByCurrentUser(statSync('/')));
  t.true(ownedByCurrentUser(statSync(tmp)));
  const err = t.throws(() => ensurePrivateDir('/', 'run root'), { instanceOf: UnsafeDirectoryError });
  t.is(err?.message, 'run root "/" is not owned by the current user');
  t.is((err as UnsafeDirectoryError).code, 'EUNSAFEDIR');
});

test('a missing directory is created 0700, with its missing parents', (t) => {
  const dir = path.join(tmp, 'new', 'run');
  ensurePrivateDir(dir, 'run root');
  t.is(modeOf(dir), 0o700);
  t.is(modeOf(path.dirname(dir)), 0o700);
});

test('our 0755 directory is made 0700; a group-writable graph root of our own group too', (t) => {
  const dir = path.join(tmp, 'old-755');
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  ensurePrivateDir(dir, 'graph root');
  t.is(modeOf(dir), 0o700);
  const umask002 = path.join(tmp, 'old-775');
  mkdirSync(umask002);
  chmodSync(umask002, 0o775);
  ensurePrivateDir(umask002, 'graph root', { ownGroupMayWrite: true });
  t.is(modeOf(umask002), 0o700);
});

test('a directory others can write to is refused and left as it is', (t) => {
  for (const mode of [0o777, 0o1777, 0o770]) {
    const dir = path.join(tmp, `open-${mode.toString(8)}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    const err = t.throws(() => ensurePrivateDir(dir, 'run root'), { instanceOf: UnsafeDirectoryError });
    t.is(err?.message, `run root "${dir}" is writable by other users (mode ${mode.toString(8).padStart(4, '0')})`);
    t.is(modeOf(dir), mode);
  }
});

test('a symbolic link to a directory another user owns is refused', (t) => {
  if (asRoot) return t.pass('runs as root: nothing to check');
  const link = path.join(tmp, 'link-to-usr');
  symlinkSync('/usr', link);
  t.throws(() => ensurePrivateDir(link, 'run root'), { instanceOf: UnsafeDirectoryError, message: `run root "${link}" is not owned by the current user` });
});

test('a file is not a run root', (t) => {
  const file = path.join(tmp, 'file');
  writeFileSync(file, '');
  t.throws(() => ensurePrivateDir(file, 'run root'), { instanceOf: UnsafeDirectoryError, message: `run root "${file}" is not a directory` });
});

test('a pause.pid naming pid 1 or a process in our own user namespace is not a pause process of ours', (t) => {
  t.false(isOurPauseProcess(1));
  t.false(isOurPauseProcess(process.pid), 'this process shares our user namespace');
  t.false(isOurPauseProcess(2 ** 22 + 1), 'no such process');
});
