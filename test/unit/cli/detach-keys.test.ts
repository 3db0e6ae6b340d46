import test from 'ava';
import { DetachKeyMatcher, parseDetachKeys } from '../../../src/cli/detach-keys.js';

const parses = test.macro({
  exec(t, spec: string, bytes: number[]) {
    t.deepEqual([...parseDetachKeys(spec)], bytes);
  },
  title: (_p, spec: string) => `detach keys ${JSON.stringify(spec)} parse`,
});

test(parses, 'ctrl-p,ctrl-q', [0x10, 0x11]);
test(parses, '', []);
test(parses, 'ctrl-a,x', [0x01, 0x78]);
test(parses, 'Z', [0x5a]);
test(parses, 'a,b', [0x61, 0x62]);
test(parses, 'ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_', [0, 27, 28, 29, 30, 31]);

// podman's messages (moby/term ToBytes), word for word.
const rejects = test.macro({
  exec(t, spec: string, shown: string) {
    t.throws(() => parseDetachKeys(spec), { message: `invalid detach keys: Unknown character: '${shown}'` });
  },
  title: (_p, spec: string) => `detach keys ${JSON.stringify(spec)} are rejected`,
});

test(rejects, 'foo', 'foo');
test(rejects, 'ctrl-1', 'ctrl-1');
test(rejects, 'ctrl-P', 'ctrl-P');
test(rejects, 'ctrl-p,', '');
test(rejects, 'ctrl-,', 'ctrl-');

function feedAll(keys: string, chunks: string[]): { passed: string; detached: boolean } {
  const m = new DetachKeyMatcher(parseDetachKeys(keys));
  let passed = '';
  for (const c of chunks) {
    const r = m.feed(Buffer.from(c, 'latin1'));
    passed += r.pass.toString('latin1');
    if (r.detached) return { passed, detached: true };
  }
  return { passed, detached: false };
}

test('the full sequence detaches and never reaches the container, split or in one read', (t) => {
  t.deepEqual(feedAll('ctrl-p,ctrl-q', ['ls\x10', '\x11']), { passed: 'ls', detached: true });
  t.deepEqual(feedAll('ctrl-p,ctrl-q', ['ls\x10\x11more']), { passed: 'ls', detached: true });
});

test('a partial match followed by other input is passed through in order', (t) => {
  t.deepEqual(feedAll('ctrl-p,ctrl-q', ['\x10', 'x']), { passed: '\x10x', detached: false });
  t.deepEqual(feedAll('ctrl-p,ctrl-q', ['\x10\x10', '\x11']), { passed: '\x10', detached: true });
  t.deepEqual(feedAll('a,a,b', ['aaab']), { passed: 'a', detached: true });
});

test('empty detach keys pass everything', (t) => {
  t.deepEqual(feedAll('', ['\x10\x11']), { passed: '\x10\x11', detached: false });
});
