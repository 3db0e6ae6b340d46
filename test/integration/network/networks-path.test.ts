// User networks as a user meets them. A normal user's PATH on Debian has no sbin directory, where iptables
// lives: netavark and skiff's own isolation rule must find it anyway, as
// podman adds the sbin directories for its rootless network tools.
import { dirname } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

test.serial('a user network works for a user whose PATH has no sbin directory', async (t) => {
  const userPath = { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin` };
  await env.skiff(['network', 'create', 'plainpath'], { env: userPath });
  // The first container on a user network makes the rootless network namespace and its isolation rule.
  const r = await env.skiff(['run', '--rm', '--network', 'plainpath', IMG, 'sh', '-c', 'ip -o -4 addr show eth0 | grep -c inet'], { env: userPath });
  t.is(r.stdout, '1');
  await env.skiff(['network', 'rm', 'plainpath'], { env: userPath });
});
