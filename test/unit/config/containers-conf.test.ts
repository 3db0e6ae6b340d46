// containers.conf's [containers] settings for /etc/hosts and resolv.conf:
// podman's file order (later keys win), $CONTAINERS_CONF alone when set.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { containersConfFiles, readContainersConfEtc } from '../../../src/config/containers-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'ccf-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('later files override earlier ones key by key; missing files are skipped', (t) => {
  const a = file('a.conf', '[containers]\ndns_servers = ["1.1.1.1"]\nbase_hosts_file = "none"\nno_hosts = true\n[engine]\nx = 1\n');
  const b = file('b.conf', '[containers]\ndns_servers = ["2.2.2.2", "3.3.3.3"]\nhost_containers_internal_ip = "none"\n');
  t.deepEqual(readContainersConfEtc([a, join(dir, 'missing.conf'), b]), {
    dnsServers: ['2.2.2.2', '3.3.3.3'], dnsSearches: [], dnsOptions: [], baseHostsFile: 'none', hostContainersInternalIp: 'none', noHosts: true,
  });
});

test('a file that does not parse is an error naming it', (t) => {
  const bad = file('bad.conf', '[containers\n');
  t.throws(() => readContainersConfEtc([bad]), { message: new RegExp(`^reading ${bad}: `) });
});

test('$CONTAINERS_CONF is the only file read when set', (t) => {
  t.deepEqual(containersConfFiles({ CONTAINERS_CONF: '/x/c.conf' }), ['/x/c.conf']);
  const files = containersConfFiles({ XDG_CONFIG_HOME: '/home/u/.config' });
  t.deepEqual(files.slice(0, 2), ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf']);
});
