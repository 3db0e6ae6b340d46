// A short command's start-up is mostly what Node loads for it. Commands that
// only read the store (images, ps, inspect, --version) must not pull in the
// Node modules that only writing or running needs: each of crypto,
// child_process and readline costs a few milliseconds of every call, and
// Node's ES module loader as many again (the launcher is CommonJS for it).
// One stray top-level import brings them back unseen, so this test looks.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { SKIFF_BIN } from '../../helpers/skiff.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

const NOT_AT_STARTUP = ['crypto', 'child_process', 'readline/promises', 'dgram', 'internal/modules/esm/translators'];

/** The built-in modules Node had loaded when `skiff ...args` exited. */
async function modulesLoadedBy(dir: string, args: string[]): Promise<string[]> {
  const list = join(dir, 'modules.txt');
  const preload = join(dir, 'record-modules.cjs');
  await writeFile(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
  const result = await execa(process.execPath, ['--require', preload, SKIFF_BIN, ...args], { reject: false });
  if (result.exitCode !== 0) throw new Error(`skiff ${args.join(' ')} failed: ${result.stderr}`);
  return (await readFile(list, 'utf8')).split('\n').map((entry) => entry.replace(/^NativeModule /, ''));
}

test('images, ps -a, inspect and --version load neither crypto, child_process, readline nor the ES module loader', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-mods-'));
  try {
    await env.skiff(['create', '--name', 'idle', 'localhost/bb', 'true']);
    for (const command of [['images'], ['ps', '-a'], ['inspect', 'idle'], ['inspect', 'localhost/bb'], ['--version']]) {
      const loaded = await modulesLoadedBy(dir, ['--root', env.root, '--runroot', env.runroot, ...command]);
      t.true(loaded.includes('fs'), 'the record is a real module list');
      t.deepEqual(NOT_AT_STARTUP.filter((name) => loaded.includes(name)), [], `skiff ${command.join(' ')}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
