import test from 'ava';
import { formatPorts, parsePortQuery, type ContainerPortReport } from '../../../src/engine/container/port.js';
import { SkiffError } from '../../../src/util/errors.js';

const web: ContainerPortReport = {
  id: 'a'.repeat(64),
  ports: [
    { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 },
    { hostIp: '127.0.0.1', hostPort: 5300, containerPort: 53, protocol: 'tcp,udp', range: 2 },
  ],
};
const db: ContainerPortReport = { id: 'b'.repeat(64), ports: [{ hostIp: '', hostPort: 15432, containerPort: 5432, protocol: 'tcp', range: 1 }] };

test('formatPorts: every port of every range and protocol, as podman prints them; -a prefixes the short id', (t) => {
  t.deepEqual(formatPorts([web], {}).lines, [
    '80/tcp -> 0.0.0.0:8080',
    '53/tcp -> 127.0.0.1:5300',
    '54/tcp -> 127.0.0.1:5301',
    '53/udp -> 127.0.0.1:5300',
    '54/udp -> 127.0.0.1:5301',
  ]);
  t.deepEqual(formatPorts([web, db], { all: true }).lines.filter((l) => l.includes('5432') || l.includes('8080')), [
    `${'a'.repeat(12)}\t80/tcp -> 0.0.0.0:8080`,
    `${'b'.repeat(12)}\t5432/tcp -> 0.0.0.0:15432`,
  ]);
  t.deepEqual(formatPorts([], {}), { lines: [], found: false });
});

test('formatPorts with a query: only HOSTIP:HOSTPORT of the match, and whether one matched', (t) => {
  t.deepEqual(formatPorts([web], { query: { port: 80, protocol: 'tcp' } }), { lines: ['0.0.0.0:8080'], found: true });
  t.deepEqual(formatPorts([web], { query: { port: 54, protocol: 'udp' } }), { lines: ['127.0.0.1:5301'], found: true });
  t.deepEqual(formatPorts([web], { query: { port: 80, protocol: 'udp' } }), { lines: [], found: false });
});

test('parsePortQuery: PORT[/PROTO], tcp by default; anything else is an error', (t) => {
  t.deepEqual(parsePortQuery('80'), { port: 80, protocol: 'tcp' });
  t.deepEqual(parsePortQuery('53/udp'), { port: 53, protocol: 'udp' });
  for (const bad of ['abc', '80/tcp/x', '70000', '', '-1']) t.throws(() => parsePortQuery(bad), { instanceOf: SkiffError }, bad);
});
