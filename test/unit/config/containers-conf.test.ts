// containers.conf: the keys skiff follows ([containers] settings for
// /etc/hosts and resolv.conf, [network] default_rootless_network_cmd),
// podman's file order (later keys win), $CONTAINERS_CONF alone when set.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { containersConfFiles, readContainersConf, readContainersConfEtc } from '../../../src/config/containers-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'ccf-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('[containers]: later files override earlier ones key by key; missing files are skipped', (t) => {
  const a = file('a.conf', '[containers]\ndns_servers = ["1.1.1.1"]\nbase_hosts_file = "none"\nno_hosts = true\n[engine]\nx = 1\n');
  const b = file('b.conf', '[containers]\ndns_servers = ["2.2.2.2", "3.3.3.3"]\nhost_containers_internal_ip = "none"\n');
  t.deepEqual(readContainersConfEtc([a, join(dir, 'missing.conf'), b]), {
    dnsServers: ['2.2.2.2', '3.3.3.3'], dnsSearches: [], dnsOptions: [], baseHostsFile: 'none', hostContainersInternalIp: 'none', noHosts: true,
  });
});

test('[network]: the user\'s default_rootless_network_cmd overrides the system\'s', (t) => {
  const system = file('sys.conf', '[network]\ndefault_rootless_network_cmd = "pasta"\n');
  const user = file('user.conf', '[engine]\nx = 1\n[network]\ndefault_rootless_network_cmd = "slirp4netns"\n');
  t.is(readContainersConf([system, join(dir, 'none.conf'), user]).network?.defaultRootlessNetworkCmd, 'slirp4netns');
  t.is(readContainersConf([user, system]).network?.defaultRootlessNetworkCmd, 'pasta');
  t.is(readContainersConf([file('empty.conf', '[network]\n')]).network, undefined);
});

test('a file that does not parse is an error naming it', (t) => {
  const bad = file('bad.conf', '[containers\n');
  t.regex(t.throws(() => readContainersConf([bad]))?.message ?? '', /^decoding configuration file ".*bad\.conf": /);
});

test('the files podman reads, or only $CONTAINERS_CONF', (t) => {
  t.deepEqual(containersConfFiles({ CONTAINERS_CONF: '/x/c.conf' }), ['/x/c.conf']);
  t.deepEqual(containersConfFiles({ XDG_CONFIG_HOME: '/c' }), ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', '/c/containers/containers.conf']);
});

test('[engine] image_volume_mode is the default of --image-volume', (t) => {
  t.is(readContainersConfEtc([file('iv.conf', '[engine]\nimage_volume_mode = "tmpfs"\n')]).imageVolumeMode, 'tmpfs');
  t.is(readContainersConfEtc([file('none.conf', '[engine]\nx = 1\n')]).imageVolumeMode, undefined);
});
