import test from 'ava';
import { type Challenge, parseChallenges } from '../../../../src/image/registry/challenge.js';

const parses = test.macro({
  exec(t, header: string, expected: Challenge[]) {
    t.deepEqual(parseChallenges(header), expected);
  },
  title: (provided, header) => provided ?? `parses ${header}`,
});

test(
  'docker hub bearer',
  parses,
  'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  [
    {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    },
  ],
);
test('basic with realm', parses, 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
test('scheme is case-insensitive, param names lowercased', parses, 'BEARER Realm="r", SERVICE=svc', [
  { scheme: 'bearer', params: { realm: 'r', service: 'svc' } },
]);
test('backslash escapes in quoted strings', parses, String.raw`Basic realm="a \"quoted\" \\ realm"`, [
  { scheme: 'basic', params: { realm: 'a "quoted" \\ realm' } },
]);
test('commas inside quoted values', parses, 'Bearer realm="r",scope="repository:a:pull,push"', [
  { scheme: 'bearer', params: { realm: 'r', scope: 'repository:a:pull,push' } },
]);
test('whitespace around = and ,', parses, 'Bearer  realm = "r" ,  service = "s"', [
  { scheme: 'bearer', params: { realm: 'r', service: 's' } },
]);
// Node joins repeated WWW-Authenticate headers with ", ".
test('two challenges in one value', parses, 'Basic realm="b", Bearer realm="https://t/token",service="s"', [
  { scheme: 'basic', params: { realm: 'b' } },
  { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
]);
test('scheme without params followed by another', parses, 'Negotiate, Basic realm="x"', [
  { scheme: 'negotiate', params: {} },
  { scheme: 'basic', params: { realm: 'x' } },
]);
test('token68', parses, 'Negotiate YIIBhAYGKwYBBQUCoIIBeDCC==', [{ scheme: 'negotiate', params: {}, token68: 'YIIBhAYGKwYBBQUCoIIBeDCC==' }]);
test('missing comma between params is tolerated', parses, 'Bearer realm="r" service="s"', [
  { scheme: 'bearer', params: { realm: 'r', service: 's' } },
]);
test('unterminated quoted string runs to the end', parses, 'Basic realm="open', [{ scheme: 'basic', params: { realm: 'open' } }]);
test('empty header', parses, '', []);
test('junk is skipped without throwing', parses, '"";;, Basic realm="x"', [{ scheme: 'basic', params: { realm: 'x' } }]);
