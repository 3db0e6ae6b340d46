// -p/--publish and --expose parsing, podman's merging of mappings, and the
// text ps, port and inspect show. Messages are podman 4.3.1's, checked by
// running it on the same values.
import test from 'ava';
import { normalizePorts, parseExpose, parsePublish, portBindings, portsToString, type PortMapping } from '../../../src/network/ports.js';

const parses = test.macro({
  exec(t, value: string, expected: ReturnType<typeof parsePublish>) {
    t.deepEqual(parsePublish(value), expected);
  },
  title: (_title, value: string) => `-p ${value} parses`,
});

test(parses, '80', { hostIp: '', hostPort: 0, containerPort: 80, protocol: '', range: 1 });
test(parses, '8080:80', { hostIp: '', hostPort: 8080, containerPort: 80, protocol: '', range: 1 });
test(parses, '127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: '', range: 1 });
test(parses, '0.0.0.0:8080:80/udp', { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'udp', range: 1 });
test(parses, '8000-8010:80-90', { hostIp: '', hostPort: 8000, containerPort: 80, protocol: '', range: 11 });
test(parses, ':80', { hostIp: '', hostPort: 0, containerPort: 80, protocol: '', range: 1 });
test(parses, '[::1]:8080:80', { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: '', range: 1 });
test(parses, '80-82/sctp', { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'sctp', range: 3 });

const refuses = test.macro({
  exec(t, value: string, message: string) {
    t.is(t.throws(() => normalizePorts([parsePublish(value)]))?.message, message);
  },
  title: (_title, value: string) => `-p ${value} is refused as podman does`,
});

test(refuses, 'garbage', 'parsing container port: invalid port number: strconv.Atoi: parsing "garbage": invalid syntax');
test(refuses, '80/tcp/udp', 'invalid port format - protocol can only be specified once');
test(refuses, '0', 'parsing container port: port numbers must be between 1 and 65535 (inclusive), got 0');
test(refuses, '70000', 'parsing container port: port numbers must be between 1 and 65535 (inclusive), got 70000');
test(refuses, '80-70', 'parsing container port: the end port of a range must be higher than the start port - 70 is not higher than 80');
test(refuses, '80-', 'parsing container port: must provide ending number for port range');
test(refuses, '-80', 'parsing container port: port numbers cannot be negative');
test(refuses, '1.2.3:80:80', 'cannot parse "1.2.3" as an IP address');
test(refuses, '::80', 'must provide a non-empty container host IP to publish');
test(refuses, '8080-8081:80', 'host and container port ranges have different lengths: 2 vs 1');
test(refuses, '80/xyz', 'unrecognized protocol "xyz" in port mapping');
test(refuses, '80/', 'must provide a non-empty protocol to publish');
test(refuses, '[::1]80', "invalid port format - IPv6 address must be followed by a colon (':')");
test(refuses, '[::1]:80', 'invalid port format - must provide host and destination port if specifying an IP');
test(refuses, 'a:b:c:d', 'invalid port format - format is [[hostIP:]hostPort:]containerPort');
test(refuses, '8080:x', 'parsing container port: invalid port number: strconv.Atoi: parsing "x": invalid syntax');
test(refuses, 'x:80', 'parsing host port: invalid port number: strconv.Atoi: parsing "x": invalid syntax');

test('adjacent mappings are joined into one range, as podman', (t) => {
  const out = normalizePorts(['8080:80', '8081:81', '8082:82'].map(parsePublish));
  t.deepEqual(out, [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 3 }]);
});

test('one host port for two container ports is refused (podman lets it through to fail at start)', (t) => {
  const err = t.throws(() => normalizePorts(['8080:80', '8080:81'].map(parsePublish)));
  t.is(err?.message, 'conflicting port mappings for host port 8080 (protocol tcp)');
  const overlap = t.throws(() => normalizePorts(['8000-8005:80-85', '8003:90'].map(parsePublish)));
  t.is(overlap?.message, 'conflicting port mappings for host port 8003 (protocol tcp)');
});

test('the same host port for tcp and udp is no conflict', (t) => {
  const out = normalizePorts(['8080:80/tcp', '8080:80/udp'].map(parsePublish));
  t.deepEqual(out.map((m) => m.protocol), ['tcp', 'udp']);
});

test('a repeated -p is one mapping', (t) => {
  t.is(normalizePorts(['8080:80', '8080:80'].map(parsePublish)).length, 1);
});

test('-P adds every exposed port not published yet, host port left to choose', (t) => {
  const out = normalizePorts([parsePublish('8080:80')], parseExpose(['80', '90-91/udp', '80/udp']));
  t.deepEqual(out, [
    { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 },
    { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'udp', range: 1 },
    { hostIp: '', hostPort: 0, containerPort: 90, protocol: 'udp', range: 1 },
    { hostIp: '', hostPort: 0, containerPort: 91, protocol: 'udp', range: 1 },
  ]);
});

test('--expose refuses sctp and garbage with podman\'s messages', (t) => {
  t.is(t.throws(() => parseExpose(['80/sctp']))?.message, 'validating protocols for exposed port 80: protocol SCTP is not allowed for exposed ports');
  t.is(t.throws(() => parseExpose(['x']))?.message, 'invalid port number: strconv.Atoi: parsing "x": invalid syntax');
  t.is(t.throws(() => parseExpose(['80/tcp/udp']))?.message, 'invalid expose format - protocol can only be specified once');
});

const mappings: PortMapping[] = [
  { hostIp: '', hostPort: 18080, containerPort: 80, protocol: 'tcp', range: 1 },
  { hostIp: '', hostPort: 8000, containerPort: 90, protocol: 'udp', range: 3 },
  { hostIp: '127.0.0.1', hostPort: 33811, containerPort: 81, protocol: 'tcp', range: 1 },
];

test('ps PORTS is podman\'s text, ranges collapsed', (t) => {
  t.is(portsToString(mappings), '0.0.0.0:18080->80/tcp, 0.0.0.0:8000-8002->90-92/udp, 127.0.0.1:33811->81/tcp');
  t.is(portsToString([]), '');
});

test('inspect port bindings use podman\'s keys, one per port, exposed-only ports null', (t) => {
  t.deepEqual(portBindings(mappings, new Map([[80, ['tcp']], [443, ['tcp']]])), {
    '80/tcp': [{ HostIp: '', HostPort: '18080' }],
    '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '33811' }],
    '90/udp': [{ HostIp: '', HostPort: '8000' }],
    '91/udp': [{ HostIp: '', HostPort: '8001' }],
    '92/udp': [{ HostIp: '', HostPort: '8002' }],
    '443/tcp': null,
  });
});
