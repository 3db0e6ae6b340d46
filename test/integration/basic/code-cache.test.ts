// bin/skiff loads the bundled CLI (lib/skiff.cjs) with the V8 code cache the
// build wrote beside it. The build's cache must be one V8 takes (else every
// command parses 800 kB of source again, silently), and a cache V8 refuses
// (corrupt, or from another Node) must cost nothing but the speed.
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { PROJECT_ROOT, SKIFF_BIN } from '../../helpers/skiff.js';

const cacheLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('Code cache of the CLI'));

test('the build writes a code cache that V8 takes, out here and in the command re-run inside the user namespace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cc-'));
  try {
    const globals = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--log-level=debug'];
    const version = await execa(SKIFF_BIN, [...globals, '--version']);
    t.deepEqual(cacheLines(version.stderr).map((l) => l.replace(/^.*: /, '')), ['used']);
    // rm is namespaced: the CLI starts again inside the namespace, through bin/skiff too.
    const rmMissing = await execa(SKIFF_BIN, [...globals, 'rm', 'no-such-container'], { reject: false });
    t.is(rmMissing.exitCode, 1);
    t.deepEqual(cacheLines(rmMissing.stderr).map((l) => l.replace(/^.*: /, '')), ['used', 'used']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a corrupt or missing code cache is ignored: the CLI compiles its source and works', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cc-'));
  try {
    // A copy of the launcher and the bundle, with the project's node_modules.
    await cp(join(PROJECT_ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    await cp(join(PROJECT_ROOT, 'lib'), join(dir, 'lib'), { recursive: true });
    await cp(join(PROJECT_ROOT, 'package.json'), join(dir, 'package.json'));
    await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const bin = join(dir, 'bin', 'skiff');
    const cache = join(dir, 'lib', 'skiff.cjs.cache');
    await writeFile(cache, Buffer.alloc(4096, 0x5a));
    const corrupt = await execa(bin, ['--log-level=debug', '--version']);
    t.is(corrupt.stdout, 'skiff version 0.1.0');
    t.regex(cacheLines(corrupt.stderr).join('\n'), /: rejected$/);
    await writeFile(cache, ''); // empty: V8 refuses it too
    t.is((await execa(bin, ['--log-level=info', '--version'])).stdout, 'skiff version 0.1.0');
    await rm(cache);
    const absent = await execa(bin, ['--log-level=debug', '--version']);
    t.is(absent.stdout, 'skiff version 0.1.0');
    t.regex(cacheLines(absent.stderr).join('\n'), /: absent$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a bare --version is answered by the launcher, with the version the CLI gives', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { version } = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const bare = await execa(SKIFF_BIN, ['--version']);
  t.is(bare.stdout, `skiff version ${version}`);
  // With any other option the CLI itself answers (it says which code cache it took).
  const full = await execa(SKIFF_BIN, ['--log-level=debug', '--version']);
  t.is(full.stdout, bare.stdout);
  t.regex(full.stderr, /Code cache of the CLI/);
  t.is((await execa(SKIFF_BIN, ['-v'])).stdout, bare.stdout);
});
