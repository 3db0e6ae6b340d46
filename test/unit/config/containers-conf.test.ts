// containers.conf: [network] default_rootless_network_cmd, later files winning.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { containersConfFiles, readContainersConf } from '../../../src/config/containers-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'ccconf-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

test('the user\'s file overrides the system\'s; missing files are skipped', (t) => {
  const system = file('sys.conf', '[network]\ndefault_rootless_network_cmd = "pasta"\n');
  const user = file('user.conf', '[engine]\nx = 1\n[network]\ndefault_rootless_network_cmd = "slirp4netns"\n');
  t.is(readContainersConf([system, join(dir, 'none.conf'), user]).network?.defaultRootlessNetworkCmd, 'slirp4netns');
  t.is(readContainersConf([user, system]).network?.defaultRootlessNetworkCmd, 'pasta');
  t.is(readContainersConf([file('empty.conf', '[network]\n')]).network, undefined);
});

test('a broken file is an error naming it', (t) => {
  const bad = file('bad.conf', '[network\n');
  t.regex(t.throws(() => readContainersConf([bad]))?.message ?? '', /^decoding configuration file ".*bad\.conf": /);
});

test('the files podman reads, or only $CONTAINERS_CONF', (t) => {
  t.deepEqual(containersConfFiles({ XDG_CONFIG_HOME: '/c' }), ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', '/c/containers/containers.conf']);
  t.deepEqual(containersConfFiles({ CONTAINERS_CONF: '/x.conf' }), ['/x.conf']);
});
