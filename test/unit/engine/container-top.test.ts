import test from 'ava';
import { DEFAULT_TOP_DESCRIPTORS, goDuration, topDescriptors } from '../../../src/engine/container/top.js';

test('topDescriptors: podman defaults, names, AIX codes, comma lists; anything else goes to ps', (t) => {
  t.deepEqual(topDescriptors([]), DEFAULT_TOP_DESCRIPTORS);
  t.deepEqual(topDescriptors(['pid', 'huser']), ['pid', 'huser']);
  t.deepEqual(topDescriptors(['%p', '%U', '%a']), ['pid', 'user', 'args']);
  t.deepEqual(topDescriptors(['pid,args']), ['pid', 'args']);
  t.is(topDescriptors(['-ef']), undefined);
  t.is(topDescriptors(['aux']), undefined);
  t.is(topDescriptors(['pid', 'bogus']), undefined);
});

test('goDuration prints as Go time.Duration does', (t) => {
  t.is(goDuration(0), '0s');
  t.is(goDuration(250), '250ms');
  t.is(goDuration(1500), '1.5s');
  t.is(goDuration(62_000), '1m2s');
  t.is(goDuration(3_723_000), '1h2m3s');
});
