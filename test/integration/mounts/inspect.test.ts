// inspect's Mounts, HostConfig.Binds and HostConfig.Tmpfs with podman's
// keys and values (compared with podman 4.3.1's for the same flags), and
// ps --filter volume=.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
let host: string;
test.before(async () => {
  host = await mkdtemp(join(tmpdir(), 'skinsp-'));
});
test.after.always(async () => {
  if (host) await rm(host, { recursive: true, force: true });
});

test('Mounts, Binds and Tmpfs as podman shows them', async (t) => {
  const id = (await env.skiff(['create', '--network', 'none', '-v', `${host}:/h:ro`, '-v', 'nv:/n', '--tmpfs', '/t:size=1m', '--mount', 'type=devpts,dst=/dp', 'localhost/bb', 'true'])).stdout;
  const doc = JSON.parse((await env.skiff(['inspect', id])).stdout)[0];
  const byDest: Record<string, Record<string, unknown>> = Object.fromEntries((doc.Mounts as Record<string, unknown>[]).map((m) => [m.Destination as string, m]));
  t.deepEqual(byDest['/n'], { Type: 'volume', Name: 'nv', Source: join(env.root, 'volumes', 'nv', '_data'), Destination: '/n', Driver: 'local', Mode: '', Options: ['nosuid', 'nodev', 'rbind'], RW: true, Propagation: 'rprivate' });
  t.is(byDest['/h'].Type, 'bind');
  t.is(byDest['/h'].Source, host);
  t.is(byDest['/h'].RW, false);
  t.is(byDest['/h'].Propagation, 'rprivate');
  t.false('Name' in byDest['/h']);
  t.deepEqual(byDest['/dp'], { Type: 'bind', Source: 'devpts', Destination: '/dp', Driver: '', Mode: '', Options: [], RW: true, Propagation: '' });
  t.false('/t' in byDest);
  t.true(doc.HostConfig.Binds.includes('nv:/n:rw,rprivate,nosuid,nodev,rbind'));
  t.true(doc.HostConfig.Binds.includes('devpts:/dp'));
  t.true((doc.HostConfig.Binds as string[]).some((b) => b.startsWith(`${host}:/h:ro,rprivate`)));
  t.deepEqual(doc.HostConfig.Tmpfs, { '/t': 'size=1m,rw,rprivate,nosuid,nodev,tmpcopyup' });
  t.is((await env.skiff(['inspect', '--format', '{{range .Mounts}}{{.Destination}} {{end}}', id])).stdout.trim().split(' ').sort().join(' '), '/dp /h /n');

  // ps --filter volume=NAME or SOURCE[:DEST]
  const other = (await env.skiff(['create', '--network', 'none', 'localhost/bb', 'true'])).stdout;
  t.is((await env.skiff(['ps', '-aq', '--no-trunc', '--filter', 'volume=nv'])).stdout, id);
  t.is((await env.skiff(['ps', '-aq', '--no-trunc', '--filter', 'volume=nv:/n'])).stdout, id);
  t.is((await env.skiff(['ps', '-aq', '--no-trunc', '--filter', 'volume=nv:/other'])).stdout, '');
  t.is((await env.skiff(['ps', '-aq', '--no-trunc', '--filter', `volume=${host}`])).stdout, id);
  await env.skiff(['rm', id, other]);
});
