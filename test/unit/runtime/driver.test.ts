import test from 'ava';
import { killFoundNoProcess } from '../../../src/runtime/driver.js';

// A kill that finds the container's process gone is not an error (stop and
// rm -f send SIGKILL to a container that may be exiting); anything else is.
test('killFoundNoProcess: the runtimes\' "already gone" messages', (t) => {
  for (const stderr of [
    'time="2026-12-02T00:07:04Z" level=error msg="unable to signal init: os: process already finished"',
    'time="2026-12-02T00:07:04Z" level=error msg="container not running"',
    'time="2026-12-02T00:07:04Z" level=error msg="container does not exist"',
    '2026-12-02T00:07:04.000000Z: error opening file `/run/crun/x/status`: No such file or directory\ncontainer not found',
    'kill container: No such process',
  ]) {
    t.true(killFoundNoProcess(stderr), stderr);
  }
});

test('killFoundNoProcess: other failures are errors', (t) => {
  for (const stderr of [
    'time="2026-12-02T00:07:04Z" level=error msg="unable to signal init: operation not permitted"',
    'open /run/runc/x/state.json: permission denied',
    '',
  ]) {
    t.false(killFoundNoProcess(stderr), stderr);
  }
});
