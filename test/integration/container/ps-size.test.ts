// `ps --size` and `inspect --size`, on overlay (the upper dir) and vfs (the
// copy against the layers): the writable layer counted as podman counts it
// (lstat sizes, hard links once, links never followed, files in directories
// only sub-ids can read included), and the image's size as "virtual".
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

// A store keeps the driver it was made with: one per driver.
const envs = { overlay: useBusyboxEnv(), vfs: useBusyboxEnv() };
const env = envs.overlay;

const MB = 1024 * 1024;
const WRITES = [
  'dd if=/dev/zero of=/big bs=1024 count=1024 2>/dev/null',
  // Counted once.
  'ln /big /big-link',
  // The link's own size (12), not its target's.
  'ln -s /bin/busybox /bb-link',
  // Only uid 1000 (a sub-id on the host) can read this directory.
  'mkdir -m 700 /priv', 'dd if=/dev/zero of=/priv/f bs=1000 count=10 2>/dev/null', 'busybox chown -R 1000:1000 /priv',
].join('; ');
const WRITTEN = MB + 12 + 10_000;

interface PsSize {
  Id: string;
  Size: { rootFsSize: number; rwSize: number } | null;
}

async function imageSize(): Promise<number> {
  const images = JSON.parse((await env.skiff(['images', '--format', 'json'])).stdout) as Array<{ Id: string; Names?: string[]; Size: number }>;
  const id = (await env.skiff(['image', 'inspect', '--format', '{{.Id}}', BUSYBOX_IMAGE])).stdout;
  return images.find((i) => i.Id === id)!.Size;
}

for (const driver of ['overlay', 'vfs'] as const) {
  test(`${driver}: ps --size shows what a running container wrote, and its image as virtual`, async (t) => {
    const name = uniqueName('size');
    const skiff = (args: string[], opts?: { exit?: number }) => envs[driver].skiff(['--storage-driver', driver, ...args], opts);
    const id = (await skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', `${WRITES}; touch /done; sleep 1000`])).stdout;
    try {
      await skiff(['exec', name, 'sh', '-c', 'until test -e /done; do sleep 0.1; done']);
      const json = (JSON.parse((await skiff(['ps', '--size', '--format', 'json'])).stdout) as PsSize[]).find((c) => c.Id === id)!;
      const rw = json.Size!.rwSize;
      // What the runtime adds besides (/etc/hostname and the other mount points) is small.
      t.true(rw >= WRITTEN && rw < WRITTEN + 4096, `rwSize ${rw}`);
      t.is(json.Size!.rootFsSize, await imageSize());

      const table = await skiff(['ps', '-s', '--filter', `id=${id}`]);
      t.regex(table.lines[0]!, /NAMES\s+SIZE$/);
      t.regex(table.lines[1]!, new RegExp(`${name}\\s+1\\.06MB \\(virtual \\d+(\\.\\d+)?[kM]B\\)$`));
      const field = await skiff(['ps', '--size', '--filter', `id=${id}`, '--format', '{{.Size}}']);
      t.is(field.stdout, table.lines[1]!.replace(/^.*\s(\S+ \(virtual \S+\))$/, '$1'));

      const inspected = JSON.parse((await skiff(['container', 'inspect', '--size', name])).stdout) as Array<Record<string, unknown>>;
      t.is(inspected[0]!.SizeRw, rw);
      t.is(inspected[0]!.SizeRootFs, json.Size!.rootFsSize);
    } finally {
      await skiff(['rm', '-f', '-t', '0', name]);
    }
  });
}

test('a container that never ran has written nothing', async (t) => {
  const name = uniqueName('sizecreated');
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'])).stdout;
  const json = (JSON.parse((await env.skiff(['ps', '-a', '--size', '--format', 'json'])).stdout) as PsSize[]).find((c) => c.Id === id)!;
  t.is(json.Size!.rwSize, 0);
  t.is(json.Size!.rootFsSize, await imageSize());
  t.is((await env.skiff(['inspect', '-s', '--format', '{{.SizeRw}}', name])).stdout, '0');
  await env.skiff(['rm', name]);
});

test('without --size: Size is null in json, .Size is empty with podman\'s error, inspect has no SizeRw', async (t) => {
  const name = uniqueName('nosize');
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'])).stdout;
  const json = (JSON.parse((await env.skiff(['ps', '-a', '--format', 'json'])).stdout) as PsSize[]).find((c) => c.Id === id)!;
  t.is(json.Size, null);
  const field = await env.skiff(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Size}}|{{.Names}}']);
  t.is(field.stdout, `|${name}`);
  t.regex(field.stderr, /Size format requires --size option/);
  const inspected = JSON.parse((await env.skiff(['container', 'inspect', name])).stdout) as Array<Record<string, unknown>>;
  t.false('SizeRw' in inspected[0]!);
  t.false('SizeRootFs' in inspected[0]!);
  await env.skiff(['rm', name]);
});

test('only --size enters the user namespace: plain ps and inspect stay out of it', async (t) => {
  const reexec = /Running the command again inside the user namespace/;
  t.notRegex((await env.skiff(['--log-level', 'debug', 'ps', '-a'])).stderr, reexec);
  t.regex((await env.skiff(['--log-level', 'debug', 'ps', '-a', '--size'])).stderr, reexec);
  const name = uniqueName('sizens');
  await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  t.notRegex((await env.skiff(['--log-level', 'debug', 'container', 'inspect', name])).stderr, reexec);
  t.regex((await env.skiff(['--log-level', 'debug', 'container', 'inspect', '-s', name])).stderr, reexec);
  await env.skiff(['rm', name]);
});
