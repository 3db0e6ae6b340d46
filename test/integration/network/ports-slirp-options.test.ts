// slirp4netns's options as podman's: a cidr moves the container's address
// (and the published ports follow it), outbound_addr binds its way out, and
// what slirp4netns refuses fails the run with podman's one-line error.
import { get } from 'node:http';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { freePort, poll, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

function fetchText(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => { req.destroy(); resolve(undefined); });
  });
}

test.serial('cidr=10.5.0.0/24: the container is 10.5.0.100 with gateway .2 and DNS .3, and -p reaches it there', async (t) => {
  const name = uniqueName('cidr');
  const port = await freePort();
  await env.skiff(['run', '-d', '--name', name, '--network', 'slirp4netns:cidr=10.5.0.0/24,mtu=1500', '-p', `${port}:80`, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  t.regex((await env.skiff(['exec', name, 'ip', '-o', '-4', 'addr', 'show', 'tap0'])).stdout, /inet 10\.5\.0\.100\/24/);
  t.regex((await env.skiff(['exec', name, 'ip', 'link', 'show', 'tap0'])).stdout, /mtu 1500/);
  t.regex((await env.skiff(['exec', name, 'ip', 'route'])).stdout, /^default via 10\.5\.0\.2 /m);
  // The forwarder moved with the cidr, first, then the host's own servers.
  t.regex((await env.skiff(['exec', name, 'cat', '/etc/resolv.conf'])).stdout, /^nameserver 10\.5\.0\.3(\nnameserver \S+)*$/);
  t.regex((await env.skiff(['exec', name, 'cat', '/etc/hosts'])).stdout, /^10\.5\.0\.100\t/m);
  t.is((await env.skiff(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', name])).stdout, '10.5.0.100');
  t.truthy(await poll(() => fetchText(port, '/hostname')));
  await env.skiff(['rm', '-f', '-t0', name]);
});

test.serial('outbound_addr and port_handler are accepted; a bad value fails before anything is created', async (t) => {
  await env.skiff(['run', '--rm', '--network', 'slirp4netns:outbound_addr=127.0.0.1,port_handler=slirp4netns', IMG, 'true']);
  const name = uniqueName('bad');
  const r = await env.skiff(['run', '--name', name, '--network', 'slirp4netns:port_handler=socat', IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), 'Error: unknown port_handler for slirp4netns: "socat"');
  await env.skiff(['container', 'exists', name], { exit: 1 });
  const u = await env.skiff(['run', '--rm', '--network', 'slirp4netns:nonsense', IMG, 'true'], { exit: 125 });
  t.is(u.stderr.trim(), 'Error: unknown option for slirp4netns: "nonsense"');
});
