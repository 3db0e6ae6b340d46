// --root and --runroot given relative to the cwd mean the same store in the
// CLI and in the worker re-executed inside the user namespace (which starts
// in the namespace's /), whether they come before or after the command word.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { SKIFF_BIN, newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
test.before(async () => {
  env = await newTestEnv();
  await mkdir(join(env.dir, 'tree', 'etc'), { recursive: true });
  await writeFile(join(env.dir, 'tree', 'etc', 'hello'), 'hello\n');
  await execa('tar', ['-C', join(env.dir, 'tree'), '-cf', join(env.dir, 'small.tar'), 'etc']);
});
test.after.always(() => env.cleanup());

/** bin/skiff run from the test env's dir, where root/ and run/ are the store. */
async function skiffIn(args: string[]) {
  const r = await execa(SKIFF_BIN, args, { cwd: env.dir, reject: false, stdin: 'ignore', timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test.serial('import with a relative --root before the command word writes to ./root', async (t) => {
  await skiffIn(['--root', 'root', '--runroot', 'run', 'import', join(env.dir, 'small.tar'), 'localhost/rel-early']);
  const r = await skiffIn(['--root', 'root', '--runroot', 'run', 'images', '--format', '{{.Repository}}']);
  t.true(r.stdout.split('\n').includes('localhost/rel-early'), r.stdout);
  t.true((await stat(join(env.dir, 'root', 'images'))).isDirectory());
});

test.serial('import of a relative FILE with a relative --root after the command word writes to the same store', async (t) => {
  await skiffIn(['import', 'small.tar', 'localhost/rel-late', '--root', 'root', '--runroot', 'run']);
  // The absolute paths name the same store.
  const r = await skiffIn(['--root', env.root, '--runroot', env.runroot, 'images', '--format', '{{.Repository}}']);
  t.deepEqual(r.stdout.split('\n').sort(), ['localhost/rel-early', 'localhost/rel-late']);
});
