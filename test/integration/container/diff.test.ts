// `skiff diff`: a container's A/C/D changes against its image, on overlay
// (the upper dir) and vfs (the copy against the layers), and an image's top
// layer against its parent, in podman's format.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

// A store keeps the driver it was made with: one per driver.
const envs = { overlay: useBusyboxEnv(), vfs: useBusyboxEnv() };
const env = envs.overlay;

const CHANGES = [
  'echo hi > /etc/added',
  'echo more >> /etc/group',
  'rm /etc/passwd',
  // An opaque directory: removed and made again, with new content.
  'rm -rf /home/user', 'mkdir /home/user', 'echo new > /home/user/new',
  // Never followed by the walk.
  'ln -s / /tmp/host',
].join('; ');

const EXPECTED = {
  // The opaque /home/user hides what was in it.
  overlay: ['C /etc', 'A /etc/added', 'C /etc/group', 'D /etc/passwd', 'C /home', 'C /home/user', 'A /home/user/new', 'C /tmp', 'A /tmp/host'],
  // A copy has no opaque marks: the file the old /home/user held is deleted.
  vfs: ['C /etc', 'A /etc/added', 'C /etc/group', 'D /etc/passwd', 'C /home', 'C /home/user', 'A /home/user/new', 'D /home/user/owned-by-1000', 'C /tmp', 'A /tmp/host'],
};

for (const driver of ['overlay', 'vfs'] as const) {
  test(`${driver}: diff lists added, changed and deleted paths as podman does`, async (t) => {
    const name = uniqueName('diff');
    const skiff = (args: string[], opts?: { exit?: number }) => envs[driver].skiff(['--storage-driver', driver, ...args], opts);
    await skiff(['run', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', CHANGES]);
    const out = await skiff(['diff', name]);
    // The runtime's mount points (/etc/hosts...) are not the container's changes, as in podman.
    t.deepEqual(out.lines, EXPECTED[driver]);
    const json = JSON.parse((await skiff(['container', 'diff', '--format', 'json', name])).stdout) as Record<string, string[]>;
    t.true(json.added.includes('/etc/added'));
    t.true(json.changed.includes('/etc/group'));
    t.true(json.deleted.includes('/etc/passwd'));
    // podman's layout: five-space indent, each list sorted.
    const text = (await skiff(['diff', '--format', 'json', name])).stdout;
    t.true(text.startsWith('{\n     "changed": [\n          "/etc",'));
    t.deepEqual(json.changed, [...json.changed].sort());
  });
}

test('a container that changed nothing has no changes in /etc', async (t) => {
  const name = uniqueName('diff');
  await env.skiff(['create', '--name', name, BUSYBOX_IMAGE, 'true']);
  t.is((await env.skiff(['diff', name])).stdout, '');
});

test("diff of an image lists its top layer's changes (one layer: everything is added)", async (t) => {
  const out = await env.skiff(['diff', BUSYBOX_IMAGE]);
  t.true(out.lines.includes('A /etc/passwd'));
  t.true(out.lines.every((l) => l.startsWith('A /')));
});

test('diff of an unknown name fails with 125', async (t) => {
  const out = await env.skiff(['diff', 'nosuchthing'], { exit: 125 });
  t.regex(out.stderr, /^Error: nosuchthing not found: layer not known$/m);
  const bad = await env.skiff(['diff', '--format', 'table', BUSYBOX_IMAGE], { exit: 125 });
  t.regex(bad.stderr, /^Error: only supported value for '--format' is 'json'$/m);
});
