// --log-driver/--log-opt parsing and the sizes inspect shows (docker's
// units.FromHumanSize and units.HumanSize, which podman uses).
import test from 'ava';
import { humanSize, parseHumanSize, parseLogConfig } from '../../../src/engine/container/log-config.js';

const sizes: Array<[string, number]> = [['10', 10], ['1k', 1000], ['1.045m', 1_045_000], ['3.5MB', 3_500_000], ['2gib', 2_000_000_000], ['1 kb', 1000]];
for (const [text, bytes] of sizes) {
  test(`parseHumanSize(${JSON.stringify(text)}) is ${bytes}`, (t) => t.is(parseHumanSize(text), bytes));
}

test('parseHumanSize refuses what is not a size, with podman message', (t) => {
  for (const bad of ['abc', '-1', '1x', '']) t.throws(() => parseHumanSize(bad), { message: `invalid size: '${bad}'` });
});

const shown: Array<[number, string]> = [[0, '0B'], [10, '10B'], [1000, '1kB'], [1_045_000, '1.045MB'], [3_500_000, '3.5MB'], [9_999_999, '10MB'], [123_456_789, '123.5MB']];
for (const [bytes, text] of shown) {
  test(`humanSize(${bytes}) is ${text}`, (t) => t.is(humanSize(bytes), text));
}

test('parseLogConfig: json-file is k8s-file shown as given; none has no path; other keys are kept', (t) => {
  t.like(parseLogConfig('json-file', ['path=/x.log', 'max-size=1k', 'tag=web', 'mode=non-block']), {
    type: 'json-file', driver: 'k8s-file', path: '/x.log', maxSize: 1000, tag: 'web', options: { mode: 'non-block' },
  });
  t.like(parseLogConfig('none', ['path=/x.log']), { type: 'none', driver: 'none', path: undefined });
  t.is(parseLogConfig('k8s-file', ['path=']).path, undefined);
});

test('parseLogConfig refuses unknown drivers, journald and options without a value', (t) => {
  t.throws(() => parseLogConfig('bogus', []), { message: /invalid log driver/ });
  t.throws(() => parseLogConfig('journald', []), { message: /^failed to initialize journal/ });
  t.throws(() => parseLogConfig('k8s-file', ['tag']), { message: 'invalid log option "tag"' });
});
