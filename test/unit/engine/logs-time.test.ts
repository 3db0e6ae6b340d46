// --since/--until TIMESTAMP as podman reads it (util.ParseInputTime): RFC 3339
// times and dates, Unix seconds, Go durations back (since) or on (until) from now.
import test from 'ava';
import { parseInputTime } from '../../../src/engine/container/logs.js';
import { SkiffError } from '../../../src/util/errors.js';

const NOW = Date.parse('2026-01-02T03:04:05Z');

test('RFC 3339 times and dates', (t) => {
  t.is(parseInputTime('2026-01-01T00:00:00Z', true, NOW), Date.parse('2026-01-01T00:00:00Z'));
  t.is(parseInputTime('2026-01-01T00:00:00.123456789+01:00', true, NOW), Date.parse('2025-12-31T23:00:00.123Z'));
  t.is(parseInputTime('2026-01-01', true, NOW), Date.parse('2026-01-01'));
});

test('Unix seconds', (t) => {
  t.is(parseInputTime('1000', true, NOW), 1_000_000);
  t.is(parseInputTime('1000.9', false, NOW), 1_000_000);
});

test('Go durations: back from now for since, on from now for until', (t) => {
  t.is(parseInputTime('10m', true, NOW), NOW - 600_000);
  t.is(parseInputTime('1h30m', false, NOW), NOW + 5_400_000);
  t.is(parseInputTime('1.5s', true, NOW), NOW - 1500);
  t.is(parseInputTime('-10m', true, NOW), NOW + 600_000);
});

test('anything else is an error', (t) => {
  for (const bad of ['yesterday', '10x', '2026-13-45T99:00:00Z', '']) {
    t.throws(() => parseInputTime(bad, true, NOW), { instanceOf: SkiffError, message: /unable to interpret time value/ }, bad);
  }
});
