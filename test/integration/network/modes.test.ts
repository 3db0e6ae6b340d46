// Network modes that join a namespace instead of making one: container:NAME|ID
// (another container's, with its /etc/hosts and resolv.conf, and podman's
// dependency that keeps `rm` from removing it first) and ns:PATH; private and
// --net as podman maps them rootless. Only namespaces the tests made are joined.
import { networkInterfaces } from 'node:os';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

// readlink is no applet of the test image; busybox itself has it.
const READ_NETNS = ['busybox', 'readlink', '/proc/self/ns/net'];

/** The network namespace a container's process is in, as the kernel names it (net:[INODE]). */
async function netnsOf(args: string[]): Promise<string> {
  return (await env.skiff(['run', '--rm', ...args, IMG, ...READ_NETNS])).stdout;
}

test.serial('--network container:NAME joins its namespace (same net:[inode], its tap0), shares hosts and resolv.conf, keeps its own hostname', async (t) => {
  await env.skiff(['run', '-d', '--name', 'netowner', '--network', 'slirp4netns', '--hostname', 'owner', IMG, 'sleep', '1000']);
  const owner = (await env.skiff(['exec', 'netowner', ...READ_NETNS])).stdout;
  t.regex(owner, /^net:\[\d+\]$/);
  t.is(await netnsOf(['--network', 'container:netowner']), owner);
  // --net is the same flag, and an id works as well as a name.
  const id = (await env.skiff(['inspect', '--format', '{{.Id}}', 'netowner'])).stdout;
  t.is(await netnsOf(['--net', `container:${id.slice(0, 12)}`]), owner);
  const r = await env.skiff(['run', '--rm', '--name', 'joiner', '--network', 'container:netowner', IMG, 'sh', '-c', 'ip -o -4 addr show dev tap0; hostname; cat /etc/hosts; echo ---; cat /etc/resolv.conf']);
  t.regex(r.stdout, /tap0\s+inet 10\.0\.2\.100\//);
  const [head, resolv] = r.stdout.split('---\n');
  t.regex(head!, /^[0-9a-f]{12}$/m, 'its own hostname (id prefix), as podman');
  t.regex(head!, /^10\.0\.2\.100\towner netowner$/m, 'the owner\'s hosts file');
  t.regex(head!, /^127\.0\.0\.1\t[0-9a-f]{12} joiner$/m, 'its own names added on 127.0.0.1');
  t.is(resolv!.trim(), (await env.skiff(['exec', 'netowner', 'cat', '/etc/resolv.conf'])).stdout);
  // As podman: the line is added when the joiner starts, not at create, and goes when it exits (the --rm one's is gone already).
  const kept = (await env.skiff(['create', '--name', 'joiner2', '--network', 'container:netowner', IMG, 'sleep', '1000'])).stdout;
  t.notRegex((await env.skiff(['exec', 'netowner', 'cat', '/etc/hosts'])).stdout, /joiner2/);
  await env.skiff(['start', kept]);
  const hosts = (await env.skiff(['exec', 'netowner', 'cat', '/etc/hosts'])).stdout;
  t.regex(hosts, /^127\.0\.0\.1\t[0-9a-f]{12} joiner2$/m);
  t.notRegex(hosts, / joiner$/m, 'the --rm joiner\'s line is gone');
  await env.skiff(['stop', '-t', '0', kept]);
  t.notRegex((await env.skiff(['exec', 'netowner', 'cat', '/etc/hosts'])).stdout, /joiner2/, 'gone when it stopped');
  await env.skiff(['start', kept]);
  t.regex((await env.skiff(['exec', 'netowner', 'cat', '/etc/hosts'])).stdout, /^127\.0\.0\.1\t[0-9a-f]{12} joiner2$/m, 'back when it started again');
  await env.skiff(['rm', '-f', '-t', '0', kept]);
  t.notRegex((await env.skiff(['exec', 'netowner', 'cat', '/etc/hosts'])).stdout, /joiner2/);
});

test.serial('inspect: NetworkMode container:ID and ns:PATH, as podman prints them', async (t) => {
  const ownerId = (await env.skiff(['inspect', '--format', '{{.Id}}', 'netowner'])).stdout;
  const id = (await env.skiff(['create', '--network', 'container:netowner', IMG, 'true'])).stdout;
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.NetworkMode}}', id])).stdout, `container:${ownerId}`);
  const pid = (await env.skiff(['inspect', '--format', '{{.State.Pid}}', 'netowner'])).stdout;
  const ns = (await env.skiff(['create', '--network', `ns:/proc/${pid}/ns/net`, IMG, 'true'])).stdout;
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.NetworkMode}}', ns])).stdout, `ns:/proc/${pid}/ns/net`);
  await env.skiff(['rm', id, ns]);
});

test.serial('rm of a container whose namespace another joins fails with podman\'s message (even -f); the joiner first, then it', async (t) => {
  await env.skiff(['create', '--name', 'depowner', IMG, 'sleep', '1000']);
  const ownerId = (await env.skiff(['inspect', '--format', '{{.Id}}', 'depowner'])).stdout;
  // podman accepts a created (not running) container to join; it is started with the joiner.
  const joiner = (await env.skiff(['create', '--net=container:depowner', IMG, 'sleep', '1000'])).stdout;
  const r = await env.skiff(['rm', 'depowner'], { exit: 125 });
  t.is(r.stderr.trim(), `Error: container ${ownerId} has dependent containers which must be removed before it: ${joiner}: container already exists`);
  await env.skiff(['rm', '-f', '-t', '0', 'depowner'], { exit: 125 });
  t.is((await env.skiff(['ps', '-a', '--filter', 'name=depowner', '--format', '{{.Names}}'])).stdout, 'depowner');
  // Starting the joiner starts the container it joins, as podman does.
  await env.skiff(['start', joiner]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', 'depowner'])).stdout, 'running');
  t.is((await env.skiff(['exec', joiner, ...READ_NETNS])).stdout, (await env.skiff(['exec', 'depowner', ...READ_NETNS])).stdout);
  // Running, without -f: podman's "running" error (exit 2) comes first; with -f the dependency refuses it and it keeps running.
  const running = await env.skiff(['rm', 'depowner'], { exit: 2 });
  t.regex(running.stderr, /as it is running/);
  await env.skiff(['rm', '-f', '-t', '0', 'depowner'], { exit: 125 });
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', 'depowner'])).stdout, 'running');
  // rm -a removes the joiner before the container it joins (podman 4.3 fails on the one joined).
  const all = await env.skiff(['rm', '-af', '-t', '0']);
  t.true(all.lines.includes(ownerId) && all.lines.includes(joiner), all.stdout);
  t.is((await env.skiff(['ps', '-aq'])).stdout, '');
});

test.serial('rm --depend removes the containers joining it first, recursively (podman\'s 055-rm "--depend")', async (t) => {
  const owner = (await env.skiff(['create', '--name', 'chain0', IMG, 'true'])).stdout;
  const one = (await env.skiff(['create', '--name', 'chain1', '--network', 'container:chain0', IMG, 'true'])).stdout;
  const two = (await env.skiff(['create', '--name', 'chain2', '--network', 'container:chain1', IMG, 'true'])).stdout;
  const other = (await env.skiff(['create', '--name', 'bystander', IMG, 'true'])).stdout;
  const r = await env.skiff(['rm', '--depend', 'chain0']);
  t.deepEqual(r.lines, [two, one, 'chain0']);
  t.is((await env.skiff(['ps', '-aq', '--no-trunc'])).stdout, other);
  t.truthy(owner);
  await env.skiff(['rm', other]);
});

test.serial('--network ns:PATH joins an existing namespace (another container\'s /proc/PID/ns/net)', async (t) => {
  await env.skiff(['run', '-d', '--name', 'nsowner', '--network', 'none', IMG, 'sleep', '1000']);
  const pid = (await env.skiff(['inspect', '--format', '{{.State.Pid}}', 'nsowner'])).stdout;
  const owner = (await env.skiff(['exec', 'nsowner', ...READ_NETNS])).stdout;
  t.is(await netnsOf(['--network', `ns:/proc/${pid}/ns/net`]), owner);
  // And joining a none container by name works too (its init's namespace, no netns file).
  t.is(await netnsOf(['--network', 'container:nsowner']), owner);
  await env.skiff(['rm', '-f', '-t', '0', 'nsowner']);
});

test.serial('container: of a container on the host network is on the host network too, with its own hostname', async (t) => {
  await env.skiff(['run', '-d', '--name', 'hostowner', '--network', 'host', IMG, 'sleep', '1000']);
  const r = await env.skiff(['run', '--rm', '--network', 'container:hostowner', IMG, 'sh', '-c', 'cat /proc/net/dev; hostname']);
  const inside = r.lines.slice(2, -1).map((l) => l.split(':')[0]!.trim());
  for (const name of Object.keys(networkInterfaces())) t.true(inside.includes(name), `host interface ${name} missing: ${inside.join(' ')}`);
  t.regex(r.lines.at(-1)!, /^[0-9a-f]{12}$/);
  t.is(await netnsOf(['--network', 'container:hostowner']), await netnsOf(['--network', 'host']));
  await env.skiff(['rm', '-f', '-t', '0', 'hostowner']);
});

test.serial('--network private is slirp4netns rootless (podman)', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'private', IMG, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'tap0']);
  t.regex(r.stdout, /tap0\s+inet 10\.0\.2\.100\//);
});

const refused = test.macro(async (t, network: () => string, message: (value: string) => string) => {
  const before = (await env.skiff(['ps', '-aq'])).stdout;
  const value = network();
  const r = await env.skiff(['create', '--name', 'halfmade', '--network', value, IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), `Error: ${message(value)}`);
  t.is((await env.skiff(['ps', '-aq'])).stdout, before, 'nothing was created');
  // The name is free again: nothing half made holds it.
  await env.skiff(['create', '--name', 'halfmade', '--network', 'none', IMG, 'true']);
  await env.skiff(['rm', 'halfmade']);
});

test.serial('container: of a missing container', refused, () => 'container:nosuchctr',
  () => 'looking up container to share net namespace with: no container with name or ID "nosuchctr" found: no such container');
test.serial('ns: of a missing path', refused, () => 'ns:/nonexistent/netns', () => 'network namespace path /nonexistent/netns: no such file or directory');
test.serial('ns: of a file that is not a namespace', refused, () => 'ns:/etc/hostname', () => 'network namespace path /etc/hostname is not a network namespace');
test.serial('ns: of another kind of namespace', refused, () => `ns:/proc/${process.pid}/ns/mnt`, (v) => `network namespace path ${v.slice(3)} is not a network namespace`);
// As podman: any other word names a user network, and what follows its colon are that network's options.
test.serial('an unknown network', refused, () => 'bogus', () => 'unable to find network with name or ID bogus: network not found');
test.serial('an unknown option of a user network', refused, () => 'bogus:x', () => 'unknown bridge network option: x');
