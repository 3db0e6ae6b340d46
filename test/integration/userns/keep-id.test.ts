// --userns=keep-id and --uidmap/--gidmap: a user namespace of the
// container's own inside skiff's, with podman's maps, a root filesystem
// whose owners look as in the image, and podman's /etc/passwd entries.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers, listTar } from '../../fixtures/oci-image.js';
import { freePort, newTestEnv, poll, type TestEnv } from '../../helpers/skiff.js';

const IMAGE = 'localhost/owners:latest';
const UID = process.getuid!();
const GID = process.getgid!();
let env: TestEnv;
// A store keeps one driver: vfs gets a store of its own.
let vfsEnv: TestEnv;
let work: string;

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skkeepid-'));
  await buildImageOfLayers(join(work, 'layout'), IMAGE, [[
    { name: 'srv', type: 'directory', uid: 1000, gid: 1000, mode: 0o755 },
    { name: 'srv/tool', type: 'file', content: 'x\n', uid: 1000, gid: 1000, mode: 0o4755 },
    { name: 'srv/tool-link', type: 'link', linkname: 'srv/tool', uid: 1000, gid: 1000 },
  ]]);
  await env.skiff(['load', '-q', '-i', join(work, 'layout')]);
  vfsEnv = await newTestEnv();
  await vfsEnv.skiff(['--storage-driver', 'vfs', 'load', '-q', '-i', join(work, 'layout')]);
});

test.after.always(async () => {
  await env?.cleanup();
  await vfsEnv?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

const ownersProbe = 'id -u; id -g; stat -c "%u:%g %a" /bin/busybox /srv /srv/tool /srv/tool-link';

for (const driver of ['overlay', 'vfs'] as const) {
  test.serial(`${driver}: keep-id runs as the user, and the image's files keep their owners, setuid bits and hard links`, async (t) => {
    const { lines } = await (driver === 'vfs' ? vfsEnv : env).skiff(['--storage-driver', driver, 'run', '--rm', '--network', 'none', '--userns=keep-id', IMAGE, 'sh', '-c', `${ownersProbe}; stat -c %i /srv/tool /srv/tool-link | uniq | wc -l`]);
    t.deepEqual(lines, [String(UID), String(GID), '0:0 755', '1000:1000 755', '1000:1000 4755', '1000:1000 4755', '1']);
  });
}

test.serial('keep-id adds the user to /etc/passwd and /etc/group as podman does, with HOME', async (t) => {
  const name = userInfo().username;
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', '--userns=keep-id', IMAGE, 'sh', '-c', `whoami; grep "^${name}:" /etc/passwd /etc/group; echo "HOME=$HOME"`]);
  t.is(lines[0], name);
  t.regex(lines[1], new RegExp(`^/etc/passwd:${name}:\\*:${UID}:${GID}:[^:]*:/:/bin/sh$`));
  t.regex(lines[2], new RegExp(`^/etc/group:[^:]+:x:${GID}:${name}$`));
  t.is(lines[3], 'HOME=/');
});

test.serial('keep-id:uid=,gid= maps the user to that id instead', async (t) => {
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', '--userns=keep-id:uid=0,gid=0', IMAGE, 'sh', '-c', `${ownersProbe}; cat /proc/self/uid_map | tr -s " " | sed "s/^ //"`]);
  // Root inside is the user now: what the image's root owns shows as root still.
  t.deepEqual(lines.slice(0, 6), ['0', '0', '0:0 755', '1000:1000 755', '1000:1000 4755', '1000:1000 4755']);
  t.is(lines[6], '0 0 1');
  // Not the user's entry, but (as for any numeric user the image lacks) podman's "container user".
  const run = await env.skiff(['run', '--rm', '--network', 'none', '--userns=keep-id:uid=2000', IMAGE, 'sh', '-c', 'id -u; grep ":2000:" /etc/passwd']);
  t.deepEqual(run.lines, ['2000', `2000:*:2000:${GID}:container user:/:/bin/sh`]);
});

test.serial('what a keep-id container writes is the user\'s own, and export, commit and cp show the ids it sees', async (t) => {
  const ctr = (await env.skiff(['run', '-d', '--network', 'none', '--userns=keep-id', IMAGE, 'sh', '-c', 'echo mine > /tmp/mine; sleep 600'])).stdout;
  t.teardown(() => env.skiff(['rm', '-f', '-t', '0', ctr]));
  t.is((await env.skiff(['exec', ctr, 'sh', '-c', 'id -u; stat -c %u:%g /tmp/mine'])).stdout, `${UID}\n${UID}:${GID}`);
  // exec -u 0: root of the container's namespace is a sub-id, not the user.
  t.is((await env.skiff(['exec', '-u', '0', ctr, 'sh', '-c', 'touch /tmp/root-made && stat -c %u /tmp/root-made'])).stdout, '0');
  await env.skiff(['cp', join(work, 'layout', 'oci-layout'), `${ctr}:/tmp/copied`]);
  t.is((await env.skiff(['exec', ctr, 'stat', '-c', '%u:%g', '/tmp/copied'])).stdout, `${UID}:${GID}`);

  const tarFile = join(work, 'keepid.tar');
  await env.skiff(['export', '-o', tarFile, ctr]);
  const exported = await listTar(await readFile(tarFile));
  const owner = (name: string) => exported.find((e) => e.name === name || e.name === `${name}/`);
  t.like(owner('tmp/mine'), { uid: UID, gid: GID });
  t.like(owner('tmp/root-made'), { uid: 0 });
  t.like(owner('bin/busybox'), { uid: 0, gid: 0 });
  t.like(owner('srv/tool'), { uid: 1000, gid: 1000, mode: 0o4755 });

  await env.skiff(['commit', '-q', ctr, 'localhost/committed-keepid']);
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', 'localhost/committed-keepid', 'stat', '-c', '%u:%g', '/tmp/mine', '/tmp/root-made', '/bin/busybox']);
  t.deepEqual(lines, [`${UID}:${GID}`, '0:0', '0:0']);
});

test.serial('--uidmap and --gidmap give the container the maps asked for; inspect shows them', async (t) => {
  const ctr = (await env.skiff(['create', '--network', 'none', '--uidmap', '0:0:1', '--uidmap', '1:1:5000', '--gidmap', '0:0:1,1:1:5000', IMAGE, 'sh', '-c', `${ownersProbe}; cat /proc/self/uid_map | tr -s " " | sed "s/^ //"`])).stdout;
  const { lines } = await env.skiff(['start', '-a', ctr]);
  t.deepEqual(lines, ['0', '0', '0:0 755', '1000:1000 755', '1000:1000 4755', '1000:1000 4755', '0 0 1', '1 1 5000']);
  const inspect = JSON.parse((await env.skiff(['inspect', ctr])).stdout)[0];
  t.is(inspect.HostConfig.UsernsMode, 'private');
  t.deepEqual(inspect.HostConfig.IDMappings, { UidMap: ['0:0:1', '1:1:5000'], GidMap: ['0:0:1', '1:1:5000'] });
  await env.skiff(['rm', ctr]);
  const plain = JSON.parse((await env.skiff(['inspect', (await env.skiff(['create', IMAGE, 'true'])).stdout])).stdout)[0];
  t.is(plain.HostConfig.UsernsMode, '');
});

for (const network of ['slirp4netns', 'pasta', 'bridge'] as const) {
  test.serial(`keep-id with ${network}: /sys is there, a published port serves, and exec joins the container`, async (t) => {
    const { lines } = await env.skiff(['run', '--rm', '--network', network, '--userns=keep-id', IMAGE, 'sh', '-c', 'id -u; ls /sys/class >/dev/null && echo sys']);
    t.deepEqual(lines, [String(UID), 'sys']);
    const port = await freePort();
    const ctr = (await env.skiff(['run', '-d', '--network', network, '--userns=keep-id', '-p', `127.0.0.1:${port}:8080`, IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/etc'])).stdout;
    t.teardown(() => env.skiff(['rm', '-f', '-t', '0', ctr]));
    t.is((await env.skiff(['exec', ctr, 'id', '-u'])).stdout, String(UID));
    t.is((await env.skiff(['exec', '-u', '0', ctr, 'id', '-u'])).stdout, '0');
    const body = await poll(() => fetch(`http://127.0.0.1:${port}/group`).then((r) => r.text(), () => ''));
    t.regex(body, /^root:/m);
  });
}

test.serial('a numeric -u the image does not know gets podman\'s passwd and group entries', async (t) => {
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', '-u', '4321', IMAGE, 'sh', '-c', 'whoami; grep ^4321: /etc/passwd /etc/group']);
  t.deepEqual(lines, ['4321', '/etc/passwd:4321:*:4321:0:container user:/:/bin/sh', '/etc/group:4321:x:4321:4321']);
  // A user the image has gets nothing added.
  const root = await env.skiff(['run', '--rm', '--network', 'none', '-u', '0', IMAGE, 'sh', '-c', 'grep -c "container user" /etc/passwd || true']);
  t.is(root.stdout, '0');
});

test.serial('bad --userns, --uidmap and --gidmap values are one-line errors, exit 125, and make no container', async (t) => {
  const before = (await env.skiff(['ps', '-aq'])).stdout;
  for (const [args, message] of [
    [['--userns=bogus'], 'Error: unrecognized namespace mode bogus passed'],
    [['--userns=keep-id:size=3'], 'Error: unknown option specified: "size"'],
    [['--userns=keep-id:uid'], 'Error: invalid option specified: "uid"'],
    [['--userns=nomap'], /^Error: --userns=nomap is not supported by skiff/],
    [['--userns=auto'], /^Error: --userns=auto is not supported by skiff/],
    [['--uidmap', '0:1:100'], /^Error: --uidmap must map your own id/],
    [['--uidmap', '0:0:x'], 'Error: invalid uidmap "0:0:x": the format is CONTAINER_ID:HOST_ID:SIZE'],
    [['--uidmap', '0:0:99999999'], /^Error: invalid uidmap "0:0:99999999": ids 0-99999998 are not all mapped/],
    [['--userns=keep-id', '--uidmap', '0:0:1'], 'Error: --userns and --uidmap/--gidmap are mutually exclusive'],
  ] as const) {
    const result = await env.skiff(['run', '--rm', ...args, IMAGE, 'true'], { exit: 125 });
    if (typeof message === 'string') t.is(result.stderr, message);
    else t.regex(result.stderr, message);
  }
  t.is((await env.skiff(['ps', '-aq'])).stdout, before);
});

test.serial('keep-id: a bind-mounted directory of the user is theirs inside, and U keeps it theirs', async (t) => {
  const dir = await mkdtemp(join(work, 'src-'));
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', '--userns=keep-id', '-v', `${dir}:/src:U`, IMAGE, 'sh', '-c', 'stat -c %u:%g /src; touch /src/made && stat -c %u:%g /src/made']);
  t.deepEqual(lines, [`${UID}:${GID}`, `${UID}:${GID}`]);
  const made = await stat(join(dir, 'made'));
  t.deepEqual([made.uid, made.gid], [UID, GID]);
});

test.serial('hostile: a layer\'s links to files of the user are shifted as links, never followed to the host', async (t) => {
  // The user's own file, which a followed chown would give to one of their sub-ids.
  const victim = join(work, 'victim.txt');
  await writeFile(victim, 'mine\n');
  const layout = join(work, 'hostile-layout');
  await buildImageOfLayers(layout, 'localhost/links-out:latest', [[
    { name: 'out-abs', type: 'symlink', linkname: victim },
    { name: 'out-rel', type: 'symlink', linkname: `../../../../../../../../..${victim}` },
  ]]);
  await env.skiff(['load', '-q', '-i', layout]);
  const { lines } = await env.skiff(['run', '--rm', '--network', 'none', '--userns=keep-id', 'localhost/links-out', 'sh', '-c', 'stat -c %u /out-abs /out-rel']);
  t.deepEqual(lines, ['0', '0']);
  const st = await stat(victim);
  t.deepEqual([st.uid, st.gid, st.mode & 0o777], [UID, GID, 0o644]);
  t.is(await readFile(victim, 'utf8'), 'mine\n');
});
