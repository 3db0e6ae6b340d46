// The monitor drives crun and runc with the same create/start command
// lines (both take these flags); a terminal container adds the console socket.
import test from 'ava';
import { createArgs, execArgs, runFailureExitCode, runtimeFlagArgs, runtimeStderrError, startArgs } from '../../../src/runtime/driver.js';

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

test('--runtime-flag values go first, as the runtime\'s global flags, on every command line', (t) => {
  const choice = { name: 'runc' as const, flags: runtimeFlagArgs(['debug', 'log-level=debug']) };
  t.deepEqual(choice.flags, ['--debug', '--log-level=debug']);
  t.deepEqual(startArgs(choice, '/r', { id: 'abc', logFile: '/l' }).slice(0, 4), ['--debug', '--log-level=debug', '--root', '/r/runc']);
  t.deepEqual(createArgs(choice, '/r', { id: 'abc', bundle: '/b', pidFile: '/p', logFile: '/l' }).slice(0, 3), ['--debug', '--log-level=debug', '--root']);
  t.deepEqual(execArgs(choice, '/r', { id: 'abc', processFile: '/x', pidFile: '/p', logFile: '/l', detach: false }).slice(0, 2), ['--debug', '--log-level=debug']);
});

test('run --preserve-fds N: create passes --preserve-fds N; 0 passes nothing', (t) => {
  const args = createArgs({ name: 'crun' }, '/r', { id: 'abc', bundle: '/b', pidFile: '/p', logFile: '/l', preserveFds: 2 });
  t.deepEqual(args.slice(args.indexOf('create')), ['create', '--bundle', '/b', '--pid-file', '/p', '--preserve-fds', '2', 'abc']);
  t.false(createArgs({ name: 'crun' }, '/r', { id: 'abc', bundle: '/b', pidFile: '/p', logFile: '/l', preserveFds: 0 }).includes('--preserve-fds'));
});

test('runtimeStderrError: the error a runtime printed when it refused its command line', (t) => {
  t.is(runtimeStderrError("crun: unrecognized option '--invalidflag'\nTry `crun --help' or `crun --usage' for more information.\n"), "crun: unrecognized option '--invalidflag'");
  t.is(runtimeStderrError('time="2026-12-02T02:36:20Z" level=error msg="flag provided but not defined: -invalidflag"\n'), 'flag provided but not defined: -invalidflag');
  t.is(runtimeStderrError('time="x" level=fatal msg="say \\"no\\""'), 'say "no"');
  t.is(runtimeStderrError('\n  \n'), undefined);
});

test('runFailureExitCode: podman run\'s 127 for a command not found, else 126', (t) => {
  t.is(runFailureExitCode('exec: "nosuch": executable file not found in $PATH'), 127);
  t.is(runFailureExitCode('open /etc: permission denied'), 126);
  t.is(runFailureExitCode("crun: unrecognized option '--invalidflag'"), 126);
});
