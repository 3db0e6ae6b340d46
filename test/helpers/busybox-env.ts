// Per-file test environment for integration tests (uses ava, so it lives
// apart from the fixtures, which `npm run demo` also imports).
import test from 'ava';
import { importBusybox } from '../fixtures/busybox.js';
import { newTestEnv, type TestEnv } from './skiff.js';

/**
 * One test env per test file with localhost/bb imported: registers the
 * file's before/after hooks and returns the env (usable once tests run).
 */
export function useBusyboxEnv(): TestEnv & { imageId: string } {
  let current: (TestEnv & { imageId: string }) | undefined;
  test.before(async () => {
    const env = await newTestEnv();
    current = Object.assign(env, { imageId: (await importBusybox(env)).replace(/^sha256:/, '') });
  });
  test.after.always(async () => {
    await current?.cleanup();
  });
  return new Proxy({} as TestEnv & { imageId: string }, {
    get(_target, prop) {
      if (!current) throw new Error('the test env is used before test.before ran');
      return current[prop as keyof typeof current];
    },
  });
}
