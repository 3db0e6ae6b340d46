// The monitor drives crun and runc with the same create/start command
// lines (both take these flags); a terminal container adds the console socket.
import test from 'ava';
import { createArgs, startArgs } from '../../../src/runtime/driver.js';

for (const name of ['crun', 'runc'] as const) {
  test(`${name} create: its --root under the run root, the JSON log, bundle, pid file, then the id`, (t) => {
    t.deepEqual(createArgs({ name }, '/run/skiff/runtime', { id: 'abc', bundle: '/c/bundle', pidFile: '/c/pidfile', logFile: '/c/runtime.log' }), [
      '--root', `/run/skiff/runtime/${name}`, '--log', '/c/runtime.log', '--log-format', 'json',
      'create', '--bundle', '/c/bundle', '--pid-file', '/c/pidfile', 'abc',
    ]);
  });

  test(`${name} create for -t passes --console-socket`, (t) => {
    const args = createArgs({ name }, '/r', { id: 'abc', bundle: '/b', pidFile: '/p', logFile: '/l', consoleSocket: '/s/abc.tty' });
    t.deepEqual(args.slice(args.indexOf('create')), ['create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s/abc.tty', 'abc']);
  });

  test(`${name} start logs to the same JSON log`, (t) => {
    t.deepEqual(startArgs({ name }, '/r', { id: 'abc', logFile: '/l' }), ['--root', `/r/${name}`, '--log', '/l', '--log-format', 'json', 'start', 'abc']);
  });
}
