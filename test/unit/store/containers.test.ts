// ContainerStore's name reservations and removal, on a plain directory.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ContainerGoneError, ContainerStore, NameInUseError } from '../../../src/store/containers.js';
import { StoreLayout } from '../../../src/store/layout.js';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);

async function store(): Promise<{ layout: StoreLayout; store: ContainerStore; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sk-store-'));
  const layout = new StoreLayout(join(dir, 'root'), join(dir, 'run'));
  await mkdir(layout.containersDir, { recursive: true });
  return { layout, store: new ContainerStore(layout), done: () => rm(dir, { recursive: true, force: true }) };
}

test('a name is held by its first claimant; the file always names it', async (t) => {
  const { layout, store: s, done } = await store();
  await mkdir(layout.containerDir(ID_A));
  await mkdir(layout.containerDir(ID_B));
  await s.reserveName('web', ID_A);
  await t.throwsAsync(s.reserveName('web', ID_B), { instanceOf: NameInUseError, message: /"web" is already in use by a{64}/ });
  t.is(await readFile(layout.nameFile('web'), 'utf8'), ID_A);
  t.is(await s.idForName('web'), ID_A);
  // Only the holder releases it.
  await s.releaseName('web', ID_B);
  t.is(await s.idForName('web'), ID_A);
  await s.releaseName('web', ID_A);
  t.is(await s.idForName('web'), undefined);
  t.deepEqual((await readdir(layout.namesDir)).filter((f) => f.startsWith('.tmp-')), [], 'no temp files left');
  await done();
});

for (const [what, content] of [['empty', ''], ['naming a removed container', ID_B], ['holding garbage', 'x y\n']] as const) {
  test(`a reservation ${what} is stale: not resolved, and reclaimed`, async (t) => {
    const { layout, store: s, done } = await store();
    await mkdir(layout.namesDir, { recursive: true });
    await writeFile(layout.nameFile('web'), content);
    t.is(await s.idForName('web'), undefined);
    await mkdir(layout.containerDir(ID_A));
    await s.reserveName('web', ID_A);
    t.is(await readFile(layout.nameFile('web'), 'utf8'), ID_A);
    await done();
  });
}

test('remove deletes state first and config last, frees the name, and can be resumed', async (t) => {
  const { layout, store: s, done } = await store();
  const dir = layout.containerDir(ID_A);
  await mkdir(join(dir, 'rootfs', 'diff'), { recursive: true });
  await s.reserveName('web', ID_A);
  await s.writeState(ID_A, { status: 'exited' });
  await s.writeConfig(ID_A, { id: ID_A });
  await writeFile(join(dir, 'monitor.json'), '{}');
  t.false(await s.isRemoving(ID_A));
  // As a removal killed after its first step leaves it:
  await rm(layout.containerState(ID_A));
  t.true(await s.isRemoving(ID_A));
  await s.withContainerLock(ID_A, () => s.remove(ID_A, 'web'));
  await t.throwsAsync(readdir(dir), { code: 'ENOENT' });
  t.is(await s.idForName('web'), undefined);
  await t.throwsAsync(s.withContainerLock(ID_A, async () => undefined), { instanceOf: ContainerGoneError });
  await done();
});
