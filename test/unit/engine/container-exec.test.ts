import test from 'ava';
import type { Process } from '../../../src/oci/runtime-spec.js';
import { execProcess } from '../../../src/engine/container/exec.js';
import { ALL_CAPABILITIES } from '../../../src/runtime/spec/generate.js';

const CAPS = ['CAP_CHOWN', 'CAP_KILL'];
const BASE: Process = {
  terminal: false,
  user: { uid: 1000, gid: 1000, additionalGids: [] },
  args: ['sleep', '1000'],
  env: ['PATH=/bin', 'FOO=container', 'HOSTNAME=abc'],
  cwd: '/srv',
  capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: [] },
  noNewPrivileges: false,
  rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
};
const plain = { command: ['ls', '-l'], env: [], privileged: false, tty: false };

test('the container\'s process is the default: user, cwd, env, capabilities, limits', (t) => {
  const p = execProcess(BASE, plain);
  t.deepEqual(p.args, ['ls', '-l']);
  t.deepEqual(p.user, BASE.user);
  t.is(p.cwd, '/srv');
  t.deepEqual(p.env, BASE.env);
  t.deepEqual(p.capabilities, BASE.capabilities);
  t.deepEqual(p.rlimits, BASE.rlimits);
  t.false(p.terminal);
  t.is(p.consoleSize, undefined);
});

test('-e overrides and adds, -w and -u replace', (t) => {
  const p = execProcess(BASE, { ...plain, env: ['FOO=exec', 'NEW=1'], workdir: '/tmp', user: { uid: 0, gid: 5, additionalGids: [] } });
  t.deepEqual(p.env, ['PATH=/bin', 'FOO=exec', 'HOSTNAME=abc', 'NEW=1']);
  t.is(p.cwd, '/tmp');
  t.deepEqual(p.user, { uid: 0, gid: 5, additionalGids: [] });
});

test('--privileged gives every capability', (t) => {
  const p = execProcess(BASE, { ...plain, privileged: true });
  t.deepEqual(p.capabilities!.bounding, [...ALL_CAPABILITIES]);
  t.deepEqual(p.capabilities!.effective, [...ALL_CAPABILITIES]);
  t.deepEqual(BASE.capabilities!.bounding, CAPS, 'the base is not changed');
});

test('-t: a terminal of the given size and TERM', (t) => {
  const p = execProcess(BASE, { ...plain, tty: true, consoleSize: { rows: 40, cols: 120 } });
  t.true(p.terminal);
  t.deepEqual(p.consoleSize, { height: 40, width: 120 });
  t.true(p.env!.includes('TERM=xterm'));
  t.false(BASE.env!.includes('TERM=xterm'), 'the base is not changed');
});

test('a terminal container\'s console size is not reused without -t', (t) => {
  const p = execProcess({ ...BASE, terminal: true, consoleSize: { height: 10, width: 10 } }, plain);
  t.false(p.terminal);
  t.is(p.consoleSize, undefined);
});
