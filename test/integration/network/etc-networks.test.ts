// /etc/hosts of containers on user networks, as podman 4.3 writes it at
// each start: the container's address on each of its networks with its
// hostname and name, host.containers.internal on the host's address;
// network connect and disconnect add and remove lines of a running one.
// Names are resolved only inside containers this file starts.
import { networkInterfaces } from 'node:os';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

async function ipOn(name: string, network: string): Promise<string> {
  return (await env.skiff(['inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name])).stdout;
}

async function hostsOf(name: string): Promise<string[]> {
  return (await env.skiff(['exec', name, 'cat', '/etc/hosts'])).lines;
}

/** The host's first global IPv4 address: rootless podman's host.containers.internal. */
function hostAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

test.serial('/etc/hosts has the container\'s address on each network with its hostname and name, and host.containers.internal', async (t) => {
  await env.skiff(['network', 'create', 'hostsA']);
  await env.skiff(['network', 'create', 'hostsB']);
  const name = uniqueName('h');
  await env.skiff(['run', '-d', '--name', name, '--hostname', 'hh', '--network', 'hostsA', '--network', 'hostsB', '--add-host', 'other:10.1.2.3', '--cap-add', 'NET_RAW', IMG, 'sleep', '300']);
  const [a, b] = [await ipOn(name, 'hostsA'), await ipOn(name, 'hostsB')];
  const lines = await hostsOf(name);
  t.is(lines[0], '10.1.2.3\tother', lines.join('\n'));
  t.true(lines.includes(`${a}\thh ${name}`), lines.join('\n'));
  t.true(lines.includes(`${b}\thh ${name}`), lines.join('\n'));
  const internal = hostAddress();
  if (internal) t.true(lines.includes(`${internal}\thost.containers.internal`), lines.join('\n'));
  // The libc resolves its own names from the file: to its first network's address (ping needs NET_RAW, not a default capability).
  const ping = await env.skiff(['exec', name, 'ping', '-c', '1', '-W', '2', 'hh']);
  t.regex(ping.stdout, new RegExp(`^PING hh \\(${a.replace(/\./g, '\\.')}\\)`));
  await env.skiff(['rm', '-f', '-t0', name]);
  await env.skiff(['network', 'rm', 'hostsA', 'hostsB']);
});

test.serial('a name given by --add-host wins: the network line keeps only the other names', async (t) => {
  await env.skiff(['network', 'create', 'hostsC']);
  const name = uniqueName('h');
  const r = await env.skiff(['run', '--rm', '--name', name, '--hostname', 'hh', '--network', 'hostsC', '--add-host', 'hh:10.9.9.9', IMG, 'cat', '/etc/hosts']);
  t.is(r.lines[0], '10.9.9.9\thh', r.stdout);
  t.true(r.lines.some((l) => new RegExp(`^10\\.89\\.\\d+\\.\\d+\\t${name}$`).test(l)), r.stdout);
  await env.skiff(['network', 'rm', 'hostsC']);
});

test.serial('a restarted container has only its new address in /etc/hosts', async (t) => {
  await env.skiff(['network', 'create', 'hostsR']);
  const first = uniqueName('r');
  await env.skiff(['run', '-d', '--name', first, '--hostname', 'rr', '--network', 'hostsR', IMG, 'sleep', '300']);
  const before = await ipOn(first, 'hostsR');
  await env.skiff(['stop', '-t0', first]);
  await env.skiff(['start', first]);
  // podman's IPAM gives the next free address, not the one given back last.
  const after = await ipOn(first, 'hostsR');
  t.not(after, before);
  const lines = await hostsOf(first);
  t.true(lines.includes(`${after}\trr ${first}`), lines.join('\n'));
  t.false(lines.some((l) => l.startsWith(`${before}\t`)), lines.join('\n'));
  await env.skiff(['rm', '-f', '-t0', first]);
  await env.skiff(['network', 'rm', 'hostsR']);
});

test.serial('network connect adds the new address to /etc/hosts of a running container, disconnect takes it out', async (t) => {
  await env.skiff(['network', 'create', 'hostsX']);
  await env.skiff(['network', 'create', 'hostsY']);
  const name = uniqueName('c');
  await env.skiff(['run', '-d', '--name', name, '--hostname', 'cc', '--network', 'hostsX', '--cap-add', 'NET_RAW', IMG, 'sleep', '300']);
  const x = await ipOn(name, 'hostsX');
  await env.skiff(['network', 'connect', 'hostsY', name]);
  const y = await ipOn(name, 'hostsY');
  let lines = await hostsOf(name);
  t.true(lines.includes(`${x}\tcc ${name}`), lines.join('\n'));
  t.true(lines.includes(`${y}\tcc ${name}`), lines.join('\n'));
  await env.skiff(['network', 'disconnect', 'hostsX', name]);
  lines = await hostsOf(name);
  t.false(lines.some((l) => l.startsWith(`${x}\t`)), lines.join('\n'));
  t.true(lines.includes(`${y}\tcc ${name}`), lines.join('\n'));
  const ping = await env.skiff(['exec', name, 'ping', '-c', '1', '-W', '2', 'cc']);
  t.regex(ping.stdout, new RegExp(`^PING cc \\(${y.replace(/\./g, '\\.')}\\)`));
  await env.skiff(['rm', '-f', '-t0', name]);
  await env.skiff(['network', 'rm', 'hostsX', 'hostsY']);
});
