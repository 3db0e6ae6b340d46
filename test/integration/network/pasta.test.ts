// --network pasta[:OPTIONS], pasta as the default where it is installed
// (podman 5's choice), containers.conf's default_rootless_network_cmd, and
// what info says. No traffic leaves the host: these look at addresses only.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** An XDG_CONFIG_HOME whose containers/containers.conf holds `text`; removed after `fn`. */
async function withContainersConf<T>(text: string, fn: (xdg: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cc-'));
  try {
    await mkdir(join(dir, 'containers'));
    await writeFile(join(dir, 'containers', 'containers.conf'), text);
    return await fn({ XDG_CONFIG_HOME: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test.serial('pasta is the default network when installed: resolv.conf names its DNS forwarder, inspect says pasta', async (t) => {
  const name = uniqueName('def');
  await env.skiff(['create', '--name', name, IMG, 'cat', '/etc/resolv.conf']);
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.NetworkMode}}', name])).stdout, 'pasta');
  // pasta's forwarder first, then the host's own servers (as for slirp4netns's).
  t.regex((await env.skiff(['start', '-a', name])).stdout, /^nameserver 169\.254\.1\.1(\nnameserver \S+)*$/);
  await env.skiff(['rm', name]);
  t.is((await env.skiff(['info', '--format', '{{.Host.RootlessNetworkCmd}}'])).stdout, 'pasta');
  t.regex((await env.skiff(['info', '--format', '{{.Host.Pasta.Executable}}'])).stdout, /\/pasta$/);
});

test.serial('with pasta the container has the host\'s address; inspect and /etc/hosts give the same', async (t) => {
  const name = uniqueName('addr');
  await env.skiff(['run', '-d', '--name', name, '--network', 'pasta', IMG, 'sleep', '60']);
  const inside = /inet (\d+\.\d+\.\d+\.\d+)\//.exec((await env.skiff(['exec', name, 'ip', '-4', '-o', 'addr', 'show', 'scope', 'global'])).stdout)?.[1];
  t.truthy(inside);
  t.is((await env.skiff(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', name])).stdout, inside!);
  t.regex((await env.skiff(['exec', name, 'cat', '/etc/hosts'])).stdout, new RegExp(`^${inside!.replace(/\./g, '\\.')}\\t.*\\b${name}\\b`, 'm'));
  await env.skiff(['rm', '-f', '-t0', name]);
});

test.serial('--network pasta:OPTIONS passes them to pasta (-I names the interface)', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'pasta:-I,skt7', IMG, 'cat', '/proc/net/dev']);
  t.regex(r.stdout, /^\s*skt7:/m);
});

test.serial('an option pasta does not know fails the start with its own words, exit 125, nothing left', async (t) => {
  const name = uniqueName('badopt');
  const r = await env.skiff(['run', '--rm', '--name', name, '--network', 'pasta:--no-such-option', IMG, 'true'], { exit: 125 });
  t.regex(r.stderr.trim(), /^Error: pasta failed with exit code 1: .*no-such-option/);
  t.is(r.stderr.trim().split('\n').length, 1);
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('containers.conf default_rootless_network_cmd = "slirp4netns" makes slirp4netns the default', async (t) => {
  await withContainersConf('[network]\ndefault_rootless_network_cmd = "slirp4netns"\n', async (xdg) => {
    const r = await env.skiff(['run', '--rm', IMG, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'tap0'], { env: xdg });
    t.regex(r.stdout, /\btap0\s+inet 10\.0\.2\.100\//);
    t.is((await env.skiff(['info', '--format', '{{.Host.RootlessNetworkCmd}}'], { env: xdg })).stdout, 'slirp4netns');
  });
});

test.serial('containers.conf with an unknown default_rootless_network_cmd is refused as podman does', async (t) => {
  await withContainersConf('[network]\ndefault_rootless_network_cmd = "vpnkit"\n', async (xdg) => {
    const r = await env.skiff(['run', '--rm', IMG, 'true'], { env: xdg, exit: 125 });
    t.is(r.stderr.trim(), 'Error: invalid default_rootless_network_cmd option "vpnkit"');
  });
});
