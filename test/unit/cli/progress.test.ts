import test from 'ava';
import {
  TerminalProgress, blobBarLine, blobDoneLine, blobExistsLine, colorEnabled, configDoneLine, fitLine, formatBytes,
  progressBar, progressMode, shortDigest,
} from '../../../src/cli/output/progress.js';

const DIGEST = 'sha256:566550fac02e9fbc2e9a2bd0e8e6b4bd8b4d4b6b28c4a5d7a0f2b3c4d5e6f7a8';

test('shortDigest: the first 12 hex digits, without the algorithm', (t) => {
  t.is(shortDigest(DIGEST), '566550fac02e');
  t.is(shortDigest('566550fac02e9fbc'), '566550fac02e');
});

test('formatBytes: bytes, then binary units with one decimal', (t) => {
  t.is(formatBytes(0), '0B');
  t.is(formatBytes(1023), '1023B');
  t.is(formatBytes(1024), '1.0KiB');
  t.is(formatBytes(1.2 * 1024 * 1024), '1.2MiB');
  t.is(formatBytes(2 * 1024 * 1024), '2.0MiB');
  t.is(formatBytes(3.5 * 1024 ** 3), '3.5GiB');
  t.is(formatBytes(-5), '0B');
});

test('progressBar: width characters between brackets, an arrow at the front', (t) => {
  t.is(progressBar(0, 100, 10), '[>---------]');
  t.is(progressBar(50, 100, 10), '[=====>----]');
  t.is(progressBar(99, 100, 10), '[=========>]');
  t.is(progressBar(100, 100, 10), '[==========]');
  t.is(progressBar(150, 100, 10), '[==========]', 'more than the total is full, not wider');
  t.is(progressBar(10, 0, 5), '[-----]', 'an unknown total is an empty bar');
  for (const done of [0, 13, 57, 100]) t.is(progressBar(done, 100, 20).length, 22);
});

test('blobBarLine: podman\'s layout, sized to the terminal', (t) => {
  const line = blobBarLine(DIGEST, 1.2 * 1024 * 1024, 2 * 1024 * 1024, 80);
  t.regex(line, /^Copying blob 566550fac02e \[=+>-+\] 1\.2MiB \/ 2\.0MiB$/);
  t.true(line.length < 80);
  t.true(blobBarLine(DIGEST, 0, 2048, 200).length < 200);
  // Narrow terminals keep a minimal bar (fitLine cuts the line when drawn).
  t.regex(blobBarLine(DIGEST, 0, 2048, 20), /\[>-{9}\]/);
});

test('the plain lines are unchanged', (t) => {
  t.is(blobDoneLine(DIGEST), 'Copying blob 566550fac02e done');
  t.is(blobExistsLine(DIGEST), 'Copying blob 566550fac02e skipped: already exists');
  t.is(configDoneLine(DIGEST), 'Copying config 566550fac02e done');
});

test('progressMode and colorEnabled', (t) => {
  t.is(progressMode(true, true, {}), 'none');
  t.is(progressMode(false, true, { TERM: 'xterm' }), 'tty');
  t.is(progressMode(false, true, { TERM: 'dumb' }), 'plain');
  t.is(progressMode(false, false, { TERM: 'xterm' }), 'plain');
  t.is(progressMode(false, undefined, {}), 'plain');
  t.true(colorEnabled({}));
  t.true(colorEnabled({ NO_COLOR: '' }));
  t.false(colorEnabled({ NO_COLOR: '1' }));
  t.is(fitLine('abcdef', 4), 'abc');
  t.is(fitLine('abc', 80), 'abc');
});

function fakeTerminal(color = false) {
  let out = '';
  let now = 0;
  const progress = new TerminalProgress({ write: (s: string) => (out += s), columns: 80 }, { color, intervalMs: 100, now: () => now });
  return { progress, output: () => out, advance: (ms: number) => (now += ms) };
}

test('TerminalProgress: a new bar draws at once, then redraws the block in place', (t) => {
  const { progress, output, advance } = fakeTerminal();
  progress.log('Getting image source signatures');
  t.is(output(), '\x1b[2KGetting image source signatures\n');
  progress.set('a', blobBarLine(DIGEST, 0, 100), true);
  t.true(output().endsWith('\x1b[2K' + blobBarLine(DIGEST, 0, 100) + '\n'));
  t.false(output().includes('\x1b[1A'), 'a final line is not redrawn');
  const before = output().length;
  advance(200);
  progress.set('a', blobBarLine(DIGEST, 50, 100), true);
  const redraw = output().slice(before);
  t.true(redraw.startsWith('\r\x1b[1A\x1b[2K'), JSON.stringify(redraw));
  t.regex(redraw, /\[=+>-+\] 50B \/ 100B/);
  progress.set('a', blobDoneLine(DIGEST), false);
  t.true(output().endsWith('\r\x1b[1A\x1b[2KCopying blob 566550fac02e done\n'));
  progress.log('Writing manifest to image destination');
  t.true(output().endsWith('\x1b[2KWriting manifest to image destination\n'));
  t.false(output().endsWith('\x1b[1A\x1b[2KWriting manifest to image destination\n'), 'the done line is final');
  progress.finish();
});

test('TerminalProgress: byte updates are throttled, finish draws the last state', (t) => {
  const { progress, output, advance } = fakeTerminal();
  progress.set('a', blobBarLine(DIGEST, 0, 100), true);
  progress.set('b', blobBarLine(DIGEST.replace('5665', '7777'), 0, 100), true);
  const drawn = output().length;
  advance(10);
  progress.set('a', blobBarLine(DIGEST, 30, 100), true);
  t.is(output().length, drawn, 'no redraw within the interval');
  progress.finish();
  t.true(output().slice(drawn).startsWith('\r\x1b[2A'), 'both rows are redrawn');
  t.true(output().includes(blobBarLine(DIGEST, 30, 100)));
});

test('TerminalProgress: "done" is green unless colour is off', (t) => {
  const coloured = fakeTerminal(true);
  coloured.progress.set('a', blobDoneLine(DIGEST), false);
  t.true(coloured.output().includes('\x1b[32mdone\x1b[0m'));
  const plain = fakeTerminal(false);
  plain.progress.set('a', blobDoneLine(DIGEST), false);
  t.false(plain.output().includes('\x1b[32m'));
});
