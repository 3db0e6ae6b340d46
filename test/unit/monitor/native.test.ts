// The monitor reaps the container's init itself (waitpid through koffi):
// the wait status must become the code a shell would report.
import test from 'ava';
import { decodeWaitStatus } from '../../../src/monitor/native.js';

const cases: Array<[string, number, number]> = [
  ['exit 0', 0, 0],
  ['exit 3', 3 << 8, 3],
  ['exit 255', 255 << 8, 255],
  ['killed by SIGKILL', 9, 137],
  ['killed by SIGTERM', 15, 143],
  ['killed by SIGSEGV with a core dump', 0x80 | 11, 139],
];

for (const [title, status, code] of cases) {
  test(`a wait status of ${title} is ${code}`, (t) => {
    t.is(decodeWaitStatus(status), code);
  });
}
