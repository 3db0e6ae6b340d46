// Image options that used to be accepted and then ignored: `history -H`
// (--human) and `import -q` (--quiet), each checked against what podman
// prints.
import test from 'ava';
import { BUSYBOX_IMAGE, buildBusyboxTar } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

test.serial('history shows how long ago by default and RFC 3339 dates with -H=false', async (t) => {
  const human = await env.skiff(['history', '--format', '{{.Created}}|{{.CreatedSince}}|{{.CreatedAt}}', BUSYBOX_IMAGE]);
  const [created, since, at] = human.stdout.split('|');
  t.regex(created!, / ago$/);
  t.is(since, created);
  t.regex(at!, ISO);

  for (const flag of ['-H=false', '--human=false']) {
    const raw = await env.skiff(['history', flag, '--format', '{{.Created}}|{{.CreatedSince}}|{{.CreatedAt}}', BUSYBOX_IMAGE]);
    const [c, s, a] = raw.stdout.split('|');
    t.regex(c!, RFC3339, flag);
    t.is(s, c, flag);
    t.is(a, at, flag);
  }
  // The table too: podman keeps the sizes human (its Size ignores --human) and changes the dates.
  const table = await env.skiff(['history', '-H=false', BUSYBOX_IMAGE]);
  t.regex(table.lines[1]!, /^[0-9a-f]{12}\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\s+skiff import\s+\d/);
});

test.serial('import prints the copy progress on stderr; -q and --quiet print only the id', async (t) => {
  const tar = await buildBusyboxTar();
  const loud = await env.skiff(['import', tar, 'localhost/imp-loud']);
  t.regex(loud.stdout, /^sha256:[0-9a-f]{64}$/);
  const id = loud.stdout.slice('sha256:'.length);
  t.regex(loud.stderr, /^Getting image source signatures$/m);
  t.regex(loud.stderr, /^Copying blob [0-9a-f]{12} done$/m);
  t.regex(loud.stderr, new RegExp(`^Copying config ${id.slice(0, 12)} done$`, 'm'));
  t.regex(loud.stderr, /^Writing manifest to image destination$/m);

  for (const flag of ['-q', '--quiet']) {
    const quiet = await env.skiff(['import', flag, tar, `localhost/imp${flag.replace(/-/g, '')}`]);
    t.regex(quiet.stdout, /^sha256:[0-9a-f]{64}$/, flag);
    t.is(quiet.stderr, '', flag);
  }
});
