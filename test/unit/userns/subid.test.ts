// /etc/subuid and /etc/subgid as shadow-utils reads them (subuid(5): one
// "owner:start:count" per line, the owner a login name or a numeric uid), and
// the newuidmap/newgidmap arguments built from them: 0 is the user, then each
// range in file order.
import test from 'ava';
import { idMapArgs, parseSubIds } from '../../../src/userns/subid.js';

const FILE = [
  '# comment',
  'alice:100000:65536',
  'bob:165536:65536',
  '1002:231072:1000',
  '',
  'alice:300000:10',
  '  carol:400000:5  ',
  'broken-line',
  'dave:abc:10',
  'erin:500000:0',
].join('\n');

test('ranges are matched by name, in file order', (t) => {
  t.deepEqual(parseSubIds(FILE, 'alice', 1000), [
    { start: 100000, count: 65536 },
    { start: 300000, count: 10 },
  ]);
});

test('ranges are matched by numeric uid too', (t) => {
  t.deepEqual(parseSubIds(FILE, 'frank', 1002), [{ start: 231072, count: 1000 }]);
});

test('a name never matches another user\'s line, even as a prefix', (t) => {
  t.deepEqual(parseSubIds(FILE, 'ali', 1), []);
  t.deepEqual(parseSubIds(FILE, 'bob', 1000), [{ start: 165536, count: 65536 }]);
});

test('surrounding blanks are ignored; malformed and empty ranges are skipped', (t) => {
  t.deepEqual(parseSubIds(FILE, 'carol', 9), [{ start: 400000, count: 5 }]);
  t.deepEqual(parseSubIds(FILE, 'dave', 9), []);
  t.deepEqual(parseSubIds(FILE, 'erin', 9), []);
  t.deepEqual(parseSubIds(FILE, 'broken-line', 9), []);
});

test('idMapArgs: 0 maps to the user, 1.. to the ranges one after another', (t) => {
  t.deepEqual(idMapArgs(1000, [{ start: 100000, count: 65536 }]), ['0', '1000', '1', '1', '100000', '65536']);
  t.deepEqual(idMapArgs(1000, [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]), [
    '0', '1000', '1',
    '1', '100000', '65536',
    '65537', '300000', '10',
  ]);
});

test('idMapArgs without ranges: only the user (single-id mapping)', (t) => {
  t.deepEqual(idMapArgs(1000, []), ['0', '1000', '1']);
});
