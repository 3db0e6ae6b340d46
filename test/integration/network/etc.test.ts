// /etc/hosts, /etc/resolv.conf and the hostname as podman 4.3 makes them
// (--add-host, --no-hosts, --dns, --dns-search, --dns-option, --hostname),
// their inspect fields, and bad values refused before anything is created.
// No name is resolved and no address contacted: the tests only read files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname as hostHostname } from 'node:os';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { hostContainersInternalIp } from '../../../src/network/etc-files.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

/** The (ip, names) lines of a hosts file. */
function entries(text: string): string[] {
  return text.split('\n').filter(Boolean);
}

test.serial('/etc/hosts: --add-host first, the host\'s entries, localhost, host.containers.internal, then the container on its slirp4netns address', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'slirp4netns', '--name', 'hostsweb', '--hostname', 'hh', '--add-host', 'foo.example:1.2.3.4', '--add-host', 'six.example:fd00::7', IMG, 'cat', '/etc/hosts']);
  const lines = entries(r.stdout);
  t.is(lines[0], '1.2.3.4\tfoo.example');
  t.is(lines[1], 'fd00::7\tsix.example');
  const hostIp = hostContainersInternalIp();
  if (hostIp) t.true(lines.includes(`${hostIp}\thost.containers.internal`), r.stdout);
  t.is(lines.at(-1), '10.0.2.100\thh hostsweb');
  t.false(r.stdout.includes('host.docker.internal'), 'podman 4.3 writes no host.docker.internal');
  // Every entry of the host's own file is there too (comments dropped).
  for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length >= 2) t.true(lines.includes(`${fields[0]}\t${fields.slice(1).join(' ')}`), `host entry ${line} missing:\n${r.stdout}`);
  }
});

test.serial('/etc/hosts: with --network none the container\'s names are on 127.0.0.1; --add-host takes a comma-separated list', async (t) => {
  const r = await env.skiff(['run', '--rm', '--name', 'hostsnone', '--network', 'none', '--add-host', 'a.example:10.1.1.1,b.example:10.1.1.2', IMG, 'cat', '/etc/hosts']);
  const lines = entries(r.stdout);
  t.deepEqual(lines.slice(0, 2), ['10.1.1.1\ta.example', '10.1.1.2\tb.example']);
  t.regex(lines.at(-1)!, /^127\.0\.0\.1\t[0-9a-f]{12} hostsnone$/);
});

test.serial('--no-hosts leaves the image\'s /etc/hosts; --add-host with it is refused', async (t) => {
  const r = await env.skiff(['run', '--rm', '--no-hosts', IMG, 'sh', '-c', 'cat /etc/hosts 2>&1; echo "[$?]"']);
  t.false(r.stdout.includes('host.containers.internal'), r.stdout);
  t.false(r.stdout.includes('10.0.2.100'), r.stdout);
  const id = (await env.skiff(['create', '--no-hosts', IMG, 'true'])).stdout;
  const inspect = await env.skiff(['inspect', '--format', '{{.HostsPath}}|{{.ResolvConfPath}}', id]);
  t.regex(inspect.stdout, /^\|\/.*resolv\.conf$/);
  const bad = await env.skiff(['run', '--rm', '--no-hosts', '--add-host', 'a:1.2.3.4', IMG, 'true'], { exit: 125 });
  t.is(bad.stderr.trim(), 'Error: --no-hosts and --add-host cannot be set together');
  await env.skiff(['rm', id]);
});

test.serial('/etc/resolv.conf: the slirp4netns forwarder first, then the host\'s servers (no loopback)', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'slirp4netns', IMG, 'cat', '/etc/resolv.conf']);
  const servers = r.stdout.split('\n').filter((l) => l.startsWith('nameserver '));
  t.is(servers[0], 'nameserver 10.0.2.3');
  t.false(servers.some((s) => /^nameserver (127\.|::1$)/.test(s)), r.stdout);
  // podman keeps the host's other servers after the forwarder (skiff once wrote the forwarder alone).
  const hostServers = readFileSync('/etc/resolv.conf', 'utf8').split('\n').map((l) => /^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1]).filter((ip): ip is string => ip !== undefined && !ip.startsWith('127.'));
  for (const ip of hostServers) t.true(servers.includes(`nameserver ${ip}`), `host nameserver ${ip} missing:\n${r.stdout}`);
  t.true(hostServers.length > 0 || servers.includes('nameserver 8.8.8.8'), r.stdout);
});

test.serial('/etc/resolv.conf: --dns, --dns-search, --dns-option (and --dns-opt), as podman writes them', async (t) => {
  const r = await env.skiff([
    'run', '--rm', '--dns', '192.0.2.53', '--dns', '2001:db8::53', '--dns-search', 'corp.example', '--dns-search', 'lab.example',
    '--dns-option', 'ndots:3', '--dns-opt', 'timeout:2', IMG, 'cat', '/etc/resolv.conf',
  ]);
  t.is(r.stdout, 'search corp.example lab.example\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:3 timeout:2');
});

test.serial('--dns none: no resolv.conf of ours, the image\'s file stays', async (t) => {
  const r = await env.skiff(['run', '--rm', '--dns', 'none', IMG, 'sh', '-c', 'cat /etc/resolv.conf 2>/dev/null; echo "[end]"']);
  t.false(r.stdout.includes('10.0.2.3'), r.stdout);
  const bad = await env.skiff(['run', '--rm', '--dns', 'none', '--dns', '1.1.1.1', IMG, 'true'], { exit: 125 });
  t.is(bad.stderr.trim(), 'Error: none is not allowed to be specified with other DNS ip addresses');
});

test.serial('--network host: the host\'s hostname and its loopback nameservers; --dns still applies', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'host', IMG, 'sh', '-c', 'hostname; cat /etc/hostname; echo $HOSTNAME']);
  t.deepEqual(r.lines, [hostHostname(), hostHostname(), hostHostname()]);
  const hostLoopback = /^nameserver\s+127\.\S+/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[0];
  if (hostLoopback) {
    const kept = await env.skiff(['run', '--rm', '--network', 'host', IMG, 'cat', '/etc/resolv.conf']);
    t.true(kept.stdout.includes(hostLoopback.split(/\s+/)[1]!), kept.stdout);
  }
  const dns = await env.skiff(['run', '--rm', '--network', 'host', '--dns', '1.1.1.1', IMG, 'cat', '/etc/resolv.conf']);
  t.regex(dns.stdout, /^nameserver 1\.1\.1\.1$/m);
  const named = await env.skiff(['run', '--rm', '--network', 'host', '--hostname', 'given', IMG, 'hostname']);
  t.is(named.stdout, 'given');
});

test.serial('inspect: Dns, DnsSearch, DnsOptions, ExtraHosts, Hostname, NetworkMode and the file paths', async (t) => {
  const id = (await env.skiff([
    'create', '--network', 'slirp4netns', '--hostname', 'insp', '--dns', '192.0.2.1', '--dns-search', 'a.example', '--dns-option', 'ndots:1', '--add-host', 'x.example:192.0.2.9', IMG, 'true',
  ])).stdout;
  const r = await env.skiff(['inspect', id]);
  const doc = JSON.parse(r.stdout)[0];
  t.deepEqual(doc.HostConfig.Dns, ['192.0.2.1']);
  t.deepEqual(doc.HostConfig.DnsSearch, ['a.example']);
  t.deepEqual(doc.HostConfig.DnsOptions, ['ndots:1']);
  t.deepEqual(doc.HostConfig.ExtraHosts, ['x.example:192.0.2.9']);
  t.is(doc.HostConfig.NetworkMode, 'slirp4netns');
  t.is(doc.Config.Hostname, 'insp');
  for (const key of ['HostsPath', 'ResolvConfPath', 'HostnamePath']) t.true(doc[key].startsWith('/'), `${key}: ${doc[key]}`);
  t.is(readFileSync(doc.HostnamePath, 'utf8'), 'insp\n');
  t.regex(readFileSync(doc.HostsPath, 'utf8'), /^192\.0\.2\.9\tx\.example$/m);
  const plain = JSON.parse((await env.skiff(['inspect', (await env.skiff(['create', '--network', 'none', IMG, 'true'])).stdout])).stdout)[0];
  t.deepEqual([plain.HostConfig.Dns, plain.HostConfig.DnsSearch, plain.HostConfig.DnsOptions, plain.HostConfig.ExtraHosts], [[], [], [], []]);
  t.is(plain.HostConfig.NetworkMode, 'none');
  // podman writes no resolv.conf for a container without a network: the image's stays.
  t.is(plain.ResolvConfPath, '');
  t.true(plain.HostsPath.startsWith('/'));
  await env.skiff(['rm', id, plain.Id]);
});

test.serial('containers.conf (CONTAINERS_CONF): base_hosts_file, host_containers_internal_ip, dns_servers, dns_searches, dns_options, no_hosts', async (t) => {
  const base = join(env.dir, 'base-hosts');
  writeFileSync(base, '192.0.2.10 baseone\n192.0.2.11 basetwo #comment\n');
  const conf = join(env.dir, 'containers.conf');
  writeFileSync(conf, [
    '[containers]',
    `base_hosts_file = "${base}"`,
    'host_containers_internal_ip = "192.0.2.99"',
    'dns_servers = ["192.0.2.53", "192.0.2.54"]',
    'dns_searches = ["conf.example"]',
    'dns_options = ["ndots:4"]',
    '',
  ].join('\n'));
  const withConf = { env: { CONTAINERS_CONF: conf } };
  const r = await env.skiff(['run', '--rm', '--network', 'slirp4netns', '--name', 'confd', '--add-host', 'cli.example:192.0.2.12', IMG, 'cat', '/etc/hosts'], withConf);
  t.deepEqual(entries(r.stdout), [
    '192.0.2.12\tcli.example', '192.0.2.10\tbaseone', '192.0.2.11\tbasetwo', '127.0.0.1\tlocalhost', '::1\tlocalhost',
    '192.0.2.99\thost.containers.internal', `10.0.2.100\t${r.stdout.split('\n').at(-1)!.split('\t')[1]!.split(' ')[0]} confd`,
  ]);
  // A name the base file has already: no entry of the container's own (podman's 5 lines).
  const named = await env.skiff(['run', '--rm', '--network', 'slirp4netns', '--name', 'baseone', '--hostname', 'baseone', IMG, 'cat', '/etc/hosts'], withConf);
  t.is(entries(named.stdout).length, 5, named.stdout);
  // The servers replace the slirp4netns forwarder and the host's; --dns and --dns-search come after the file's.
  const resolv = await env.skiff(['run', '--rm', '--network', 'slirp4netns', '--dns', '192.0.2.55', '--dns-search', 'cli.example', IMG, 'cat', '/etc/resolv.conf'], withConf);
  t.is(resolv.stdout, 'search conf.example cli.example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 192.0.2.55\noptions ndots:4');
  // Inspect shows the flags' values only, as podman.
  const id = (await env.skiff(['create', '--network', 'slirp4netns', '--dns', '192.0.2.55', IMG, 'true'], withConf)).stdout;
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.Dns}}', id])).stdout, '[192.0.2.55]');
  await env.skiff(['rm', id]);
  writeFileSync(conf, '[containers]\nno_hosts = true\n');
  const noHosts = await env.skiff(['run', '--rm', IMG, 'sh', '-c', 'cat /etc/hosts 2>&1; true'], withConf);
  t.false(noHosts.stdout.includes('host.containers.internal'), noHosts.stdout);
  const bad = await env.skiff(['run', '--rm', '--add-host', 'a:192.0.2.1', IMG, 'true'], { ...withConf, exit: 125 });
  t.is(bad.stderr.trim(), 'Error: --no-hosts and --add-host cannot be set together');
  const overridden = await env.skiff(['run', '--rm', '--no-hosts=false', IMG, 'cat', '/etc/hosts'], withConf);
  t.true(overridden.stdout.includes('localhost'), overridden.stdout);
});

const refused = test.macro(async (t, args: string[], message: string) => {
  const before = (await env.skiff(['ps', '-aq'])).stdout;
  const r = await env.skiff(['create', '--name', 'refused', ...args, IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), `Error: ${message}`);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.is((await env.skiff(['ps', '-aq'])).stdout, before, 'nothing was created');
});

test.serial('--add-host garbage', refused, ['--add-host', 'nocolon'], 'bad format for add-host: "nocolon"');
test.serial('--add-host with a name as address', refused, ['--add-host', 'foo:bar'], 'invalid IP address in add-host: "bar"');
test.serial('--add-host host-gateway (not in podman 4.3)', refused, ['--add-host', 'gw:host-gateway'], 'invalid IP address in add-host: "host-gateway"');
test.serial('--add-host name that would inject a hosts line', refused, ['--add-host', 'a\n6.6.6.6 evil:1.2.3.4'], 'invalid host name in add-host: "a\\n6.6.6.6 evil"');
test.serial('--dns not an IP', refused, ['--dns', 'dns.example'], 'dns.example is not an ip address');
test.serial('--dns-search that would inject a resolv.conf line', refused, ['--dns-search', 'a.example\nnameserver 6.6.6.6'], '"a.example\\nnameserver 6.6.6.6" is not a valid domain');
test.serial('--dns-option that would inject a resolv.conf line', refused, ['--dns-option', 'ndots:1\nnameserver 6.6.6.6'], 'invalid DNS option "ndots:1\\nnameserver 6.6.6.6"');
test.serial('--hostname with a newline', refused, ['--hostname', 'a\n6.6.6.6 evil'], 'invalid hostname "a\\n6.6.6.6 evil": at most 64 characters, no spaces, control characters or #');
test.serial('--dns with --network none', refused, ['--network', 'none', '--dns', '1.1.1.1'], 'conflicting options: dns and the network mode: none');
test.serial('--dns-search with --network container:', refused, ['--network', 'container:nosuch', '--dns-search', 'a.example'], 'conflicting options: dns and the network mode: container');
