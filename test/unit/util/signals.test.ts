// One signal table for kill -s, stop signals and exit codes (128 + N). The
// copies it replaced knew 10 or 31 signals: a container or runtime dying of
// SIGXCPU reported 128, and kill -s RTMIN+3 was refused.
import { constants } from 'node:os';
import test from 'ava';
import { allSignals, parseSignal, signalExitCode, signalNumber } from '../../../src/util/signals.js';

const parses = test.macro({
  exec(t, input: string, name: string, number: number) {
    t.deepEqual(parseSignal(input), { name, number });
  },
  title: (provided, input) => provided ?? `parses ${JSON.stringify(input)}`,
});

test(parses, 'SIGTERM', 'TERM', 15);
test(parses, 'term', 'TERM', 15);
test(parses, '15', 'TERM', 15);
test(parses, 'XCPU', 'XCPU', 24);
test(parses, 'sigwinch', 'WINCH', 28);
test(parses, 'SYS', 'SYS', 31);
test(parses, 'IOT', 'ABRT', 6);
test(parses, 'POLL', 'IO', 29);
test(parses, 'RTMIN', 'RTMIN', 34);
test(parses, 'SIGRTMIN+3', 'RTMIN+3', 37);
test(parses, 'rtmax-2', 'RTMAX-2', 62);
test(parses, 'RTMAX', 'RTMAX', 64);
test(parses, '40', 'RTMIN+6', 40);
test(parses, '50', 'RTMAX-14', 50);
test(parses, '32', '32', 32);

for (const bad of ['', '0', '65', '-1', 'NOPE', 'SIG', 'RTMIN+31', 'TERM9', '1.5']) {
  test(`rejects ${JSON.stringify(bad)}`, (t) => {
    t.is(parseSignal(bad), undefined);
    t.is(signalNumber(bad), undefined);
  });
}

test('every signal Node knows is in the table with its number', (t) => {
  for (const [name, number] of Object.entries(constants.signals)) {
    t.is(signalNumber(name), number, name);
    t.is(signalExitCode(name as NodeJS.Signals), 128 + number, name);
  }
});

test('exit codes are 128 + N for signals the old tables missed', (t) => {
  t.is(signalExitCode('SIGXCPU'), 152);
  t.is(signalExitCode('SIGSYS'), 159);
  t.is(signalExitCode('SIGWINCH'), 156);
  t.is(signalExitCode('SIGKILL'), 137);
  t.is(signalExitCode(40), 168);
  t.throws(() => signalExitCode('SIGNOPE'));
});

test('allSignals lists 1..31 and 34..64 once each, by number', (t) => {
  const numbers = allSignals().map((s) => s.number);
  const expected = [...Array.from({ length: 31 }, (_, i) => i + 1), ...Array.from({ length: 31 }, (_, i) => i + 34)];
  t.deepEqual(numbers, expected);
  for (const s of allSignals()) t.is(parseSignal(s.name)?.number, s.number, s.name);
});
