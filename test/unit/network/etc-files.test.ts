// /etc/hosts and /etc/resolv.conf as podman 4.3 writes them (containers/common
// etchosts and resolvconf), and the flag checks of --add-host, --dns, --dns-search,
// --dns-option, --no-hosts and --hostname with podman's messages.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { addHostsEntries, checkHostname, hostContainersInternalIp, hostsFile, joinedHostsLine, networkHostEntries, parseEtcOptions, removeHostsEntries, removeJoinedHostsLine, resolvConf, writeNetworkHosts } from '../../../src/network/etc-files.js';
import { parseNetworkMode } from '../../../src/network/mode.js';

const BASE = '127.0.0.1\tlocalhost\n::1 localhost ip6-localhost # the v6 one\n# comment only\n192.168.1.5 myhost\n10.9.9.9\n';

test('hosts: --add-host first, then the base file, then what is not named yet', (t) => {
  const text = hostsFile({
    hostname: 'abc', name: 'web', extraHosts: [{ ip: '1.2.3.4', names: ['foo.com'] }], base: BASE, containerIp: '10.0.2.100', hostContainersInternal: '192.168.1.5',
  });
  t.is(text, [
    '1.2.3.4\tfoo.com',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost',
    '192.168.1.5\tmyhost',
    '192.168.1.5\thost.containers.internal',
    '10.0.2.100\tabc web',
    '',
  ].join('\n'));
});

test('hosts: a name the user or the base file already has is not added again (podman #11411)', (t) => {
  const text = hostsFile({ hostname: 'myhost', name: 'myhost', extraHosts: [{ ip: '5.5.5.5', names: ['localhost'] }], base: '', containerIp: '10.0.2.100' });
  t.is(text, '5.5.5.5\tlocalhost\n10.0.2.100\tmyhost myhost\n');
  const same = hostsFile({ hostname: 'myhost', name: 'myhost', extraHosts: [], base: BASE, containerIp: '10.0.2.100' });
  t.false(same.includes('10.0.2.100'));
});

test('hosts: no base, no container address (host network)', (t) => {
  t.is(hostsFile({ hostname: 'h', name: 'n', extraHosts: [] }), '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
});

test('hosts: the line of a container joining the namespace, and its removal', (t) => {
  const shared = '127.0.0.1\tlocalhost\n10.0.2.100\tabc web\n';
  const line = joinedHostsLine(shared, 'def', 'side');
  t.is(line, '127.0.0.1\tdef side\n');
  t.is(joinedHostsLine(shared + line, 'def', 'side'), '');
  t.is(removeJoinedHostsLine(shared + line, 'def', 'side'), shared);
});

const HOST_RESOLV = '# generated\nsearch corp.example lan\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver fd00::1\noptions edns0 trust-ad\n';

test('hosts on user networks: every address of every network with the names; written anew from the base at start', async (t) => {
  const status = {
    a: { interfaces: { eth0: { mac_address: 'x', subnets: [{ ipnet: '10.89.0.5/24', gateway: '10.89.0.1' }, { ipnet: 'fd00::5/64' }] } } },
    b: { interfaces: { eth1: { mac_address: 'y', subnets: [{ ipnet: '10.89.1.7/24' }] } } },
  };
  const entries = networkHostEntries(status, ['hh', 'c1']);
  t.deepEqual(entries.map((e) => e.ip), ['10.89.0.5', 'fd00::5', '10.89.1.7']);
  const dir = await mkdtemp(join(tmpdir(), 'hosts-'));
  const files = { path: join(dir, 'hosts'), base: join(dir, 'hosts.base') };
  await writeFile(files.base, '10.9.9.9\thh\n127.0.0.1\tlocalhost\n');
  await writeFile(files.path, 'stale\n');
  await writeNetworkHosts(files, entries.slice(0, 1));
  t.is(await readFile(files.path, 'utf8'), '10.9.9.9\thh\n127.0.0.1\tlocalhost\n10.89.0.5\tc1\n');
  // connect: added with all names when one of its other entries is still there; none there: only free names.
  await addHostsEntries(files.path, [{ ip: '10.89.0.5', names: ['hh', 'c1'] }], [{ ip: '10.89.1.7', names: ['hh', 'c1'] }]);
  t.regex(await readFile(files.path, 'utf8'), /\n10\.89\.1\.7\thh c1\n$/);
  await addHostsEntries(files.path, [{ ip: '10.1.1.1', names: ['hh'] }], [{ ip: '10.89.2.2', names: ['hh'] }]);
  t.notRegex(await readFile(files.path, 'utf8'), /10\.89\.2\.2/, 'the user removed the old lines: left alone');
  // disconnect: the lines with that address and one of the names go.
  await removeHostsEntries(files.path, [{ ip: '10.89.0.5', names: ['hh', 'c1'] }]);
  t.is(await readFile(files.path, 'utf8'), '10.9.9.9\thh\n127.0.0.1\tlocalhost\n10.89.1.7\thh c1\n');
  await rm(dir, { recursive: true, force: true });
});

test('resolv.conf: slirp4netns forwarder first, then the host servers without loopback and IPv6', (t) => {
  const text = resolvConf({ nameservers: [], searches: [], options: [], privateNetns: true, networkDns: '10.0.2.3' }, HOST_RESOLV);
  t.is(text, 'search corp.example lan\nnameserver 10.0.2.3\nnameserver 192.168.1.1\noptions edns0 trust-ad\n');
});

test('resolv.conf: --dns replaces the servers; --dns-search and --dns-option replace the rest', (t) => {
  t.is(resolvConf({ nameservers: ['1.1.1.1', '9.9.9.9'], searches: [], options: [], privateNetns: true, networkDns: '10.0.2.3' }, HOST_RESOLV),
    'search corp.example lan\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions edns0 trust-ad\n');
  t.is(resolvConf({ nameservers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:2'], privateNetns: true }, HOST_RESOLV),
    'search a.example\nnameserver 1.1.1.1\noptions ndots:2\n');
  t.is(resolvConf({ nameservers: ['1.1.1.1'], searches: ['.'], options: [], privateNetns: true }, HOST_RESOLV),
    'nameserver 1.1.1.1\noptions edns0 trust-ad\n');
});

test('resolv.conf: only loopback servers left in a private namespace: Google\'s public ones; host network keeps them', (t) => {
  const host = 'nameserver 127.0.0.1\n';
  t.is(resolvConf({ nameservers: [], searches: [], options: [], privateNetns: true }, host), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  t.is(resolvConf({ nameservers: [], searches: [], options: [], privateNetns: false }, host), 'nameserver 127.0.0.1\n');
});

test('host.containers.internal: the first global IPv4 address, not loopback or link-local', (t) => {
  const ifs = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: 'fe80::1', family: 'IPv6', internal: false }, { address: '169.254.3.3', family: 'IPv4', internal: false }],
    eth1: [{ address: '2001:db8::5', family: 'IPv6', internal: false }, { address: '192.168.7.7', family: 'IPv4', internal: false }],
  } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;
  t.is(hostContainersInternalIp(ifs), '192.168.7.7');
  t.is(hostContainersInternalIp({ lo: ifs.lo }), undefined);
});

type RawEtc = Parameters<typeof parseEtcOptions>[0];
const none: RawEtc = { addHosts: [], dns: [], dnsSearch: [], dnsOptions: [], noHosts: false };
const refuses = test.macro((t, raw: Partial<RawEtc>, message: string) => {
  t.throws(() => parseEtcOptions({ ...none, ...raw }), { message });
});

test('--add-host without a colon', refuses, { addHosts: ['foo'] }, 'bad format for add-host: "foo"');
test('--add-host without a name', refuses, { addHosts: [':1.2.3.4'] }, 'bad format for add-host: ":1.2.3.4"');
test('--add-host with no IP', refuses, { addHosts: ['foo:bar'] }, 'invalid IP address in add-host: "bar"');
test('--add-host host-gateway (podman 4.3 has no such value)', refuses, { addHosts: ['foo:host-gateway'] }, 'invalid IP address in add-host: "host-gateway"');
test('--add-host name that would inject a line', refuses, { addHosts: ['a\n6.6.6.6 evil:1.2.3.4'] }, 'invalid host name in add-host: "a\\n6.6.6.6 evil"');
test('--add-host with --no-hosts', refuses, { addHosts: ['a:1.2.3.4'], noHosts: true }, '--no-hosts and --add-host cannot be set together');
test('--dns not an IP', refuses, { dns: ['example.com'] }, 'example.com is not an ip address');
test('--dns none with a server', refuses, { dns: ['none', '1.1.1.1'] }, 'none is not allowed to be specified with other DNS ip addresses');
test('--dns none with --dns-search', refuses, { dns: ['none'], dnsSearch: ['a.example'] }, 'UseImageResolvConf and DNSSearch are mutually exclusive options');
test('--dns-search . with others', refuses, { dnsSearch: ['.', 'a.example'] }, "cannot pass additional search domains when also specifying '.'");
test('--dns-search not a domain', refuses, { dnsSearch: ['123'] }, '123 is not a valid domain');
test('--dns-search with a newline', refuses, { dnsSearch: ['a.example\nnameserver 6.6.6.6'] }, '"a.example\\nnameserver 6.6.6.6" is not a valid domain');
test('--dns-option with a newline', refuses, { dnsOptions: ['ndots:1\nnameserver 6.6.6.6'] }, 'invalid DNS option "ndots:1\\nnameserver 6.6.6.6"');

test('etc options: the accepted forms', (t) => {
  const o = parseEtcOptions({ addHosts: ['foo.com:1.2.3.4', 'six:fd00::1'], dns: ['1.1.1.1', '::1'], dnsSearch: ['a.example', 'b.'], dnsOptions: ['ndots:2'], noHosts: false });
  t.deepEqual(o.extraHosts, [{ ip: '1.2.3.4', names: ['foo.com'] }, { ip: 'fd00::1', names: ['six'] }]);
  t.deepEqual(o.nameservers, ['1.1.1.1', '::1']);
  t.false(o.noResolvConf);
  t.true(parseEtcOptions({ ...none, dns: ['none'] }).noResolvConf);
});

test('hostname: a newline, a space or more than 64 bytes are refused', (t) => {
  for (const bad of ['a\nb', 'a b', 'x'.repeat(65), '']) t.throws(() => checkHostname(bad), { message: /^invalid hostname/ });
  t.notThrows(() => checkHostname('web-1.example'));
});

test('--network: the modes podman has', (t) => {
  t.deepEqual(parseNetworkMode('container:web'), { mode: 'container', nameOrId: 'web' });
  t.deepEqual(parseNetworkMode('ns:/run/netns/x'), { mode: 'ns', path: '/run/netns/x' });
  t.deepEqual(parseNetworkMode('private'), parseNetworkMode('slirp4netns'));
  t.deepEqual(parseNetworkMode('default', 'pasta'), { mode: 'pasta', options: [] });
  t.deepEqual(parseNetworkMode('none'), { mode: 'none' });
  t.throws(() => parseNetworkMode('container:'), { message: 'must provide name or ID or a container when specifying "container:"' });
  t.throws(() => parseNetworkMode('ns:'), { message: 'must provide a path to a namespace when specifying "ns:"' });
  t.throws(() => parseNetworkMode('ns:relative'), { message: /must be an absolute path/ });
  t.throws(() => parseNetworkMode('host:x'), { message: 'network mode "host" takes no options' });
});
