// storage.conf as rootless podman reads it, and --storage-driver/--storage-opt over it.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parseStorageConf, readStorageConf, resolveStorageSettings, userStorageConfFile, expandPath } from '../../../src/config/storage-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'scf-'));

test('the user file: $CONTAINERS_STORAGE_CONF, else $XDG_CONFIG_HOME, else ~/.config', (t) => {
  t.is(userStorageConfFile({ CONTAINERS_STORAGE_CONF: '/x/s.conf', XDG_CONFIG_HOME: '/c' }), '/x/s.conf');
  t.is(userStorageConfFile({ XDG_CONFIG_HOME: '/c', HOME: '/h' }), '/c/containers/storage.conf');
  t.is(userStorageConfFile({ HOME: '/h' }), '/h/.config/containers/storage.conf');
});

test('reads driver, roots and the overlay and vfs options; [storage.options.overlay] over [storage.options]', async (t) => {
  const home = join(dir, 'a');
  mkdirSync(join(home, 'containers'), { recursive: true });
  writeFileSync(join(home, 'containers', 'storage.conf'), [
    '[storage]', 'driver = "overlay"', 'graphroot = "$HOME/g"', 'runroot = "/run/user/$UID/r"',
    '[storage.options]', 'mount_program = "/old/fuse"', 'mountopt = "nodev"',
    '[storage.options.overlay]', 'mount_program = "/usr/bin/fuse-overlayfs"', 'ignore_chown_errors = "true"',
    '[storage.options.vfs]', 'ignore_chown_errors = false', '',
  ].join('\n'));
  const conf = await readStorageConf({ XDG_CONFIG_HOME: home, HOME: '/home/u' });
  t.like(conf, {
    driver: 'overlay', graphRoot: '/home/u/g', runRoot: `/run/user/${process.getuid!()}/r`,
    overlay: { mountProgram: '/usr/bin/fuse-overlayfs', mountOpt: 'nodev', ignoreChownErrors: true }, vfs: { ignoreChownErrors: false },
  });
});

test('no file: undefined (the system files are not there on this machine either)', async (t) => {
  t.is(await readStorageConf({ XDG_CONFIG_HOME: join(dir, 'none'), HOME: join(dir, 'none') }), undefined);
});

test('bad files are errors naming the file', (t) => {
  t.regex(t.throws(() => parseStorageConf({ storage: { driver: 'btrfs' } }, '/f.conf'))!.message, /^storage configuration "\/f\.conf": driver "btrfs" is not supported/);
  t.regex(t.throws(() => parseStorageConf({ storage: { graphroot: 'rel/path' } }, '/f.conf'))!.message, /must be absolute/);
  t.regex(t.throws(() => parseStorageConf({ storage: { options: { overlay: { ignore_chown_errors: 'maybe' } } } }, '/f.conf'))!.message, /overlay\.ignore_chown_errors: strconv\.ParseBool/);
  t.is(parseStorageConf({ storage: { driver: 'btrfs' } }, '/etc/f.conf', {}, false).driver, undefined, 'a system file may name a driver rootless users do not get');
});

test('expandPath: $UID, $VAR and ${VAR}; unknown variables are empty as in Go', (t) => {
  t.is(expandPath('${HOME}/x/$UID/$NOPE', { HOME: '/h' }), `/h/x/${process.getuid!()}/`);
});

const conf = parseStorageConf({ storage: { driver: 'overlay', options: { overlay: { mount_program: '/bin/sh', mountopt: 'nodev' } } } }, '/s.conf');

test('flags win over the file; --storage-opt "" drops the file options', (t) => {
  t.deepEqual(resolveStorageSettings(conf, undefined, [], '/s.conf'), {
    driver: 'overlay',
    settings: { configFile: '/s.conf', driverSource: 'storage.conf', mountProgram: '/bin/sh', mountOpt: 'nodev', overlayIgnoreChownErrors: undefined, vfsIgnoreChownErrors: undefined },
  });
  const flagged = resolveStorageSettings(conf, undefined, ['overlay.mount_program=/bin/true', 'overlay.ignore_chown_errors=1'], '/s.conf');
  t.like(flagged.settings, { mountProgram: '/bin/true', mountOpt: 'nodev', overlayIgnoreChownErrors: true });
  t.like(resolveStorageSettings(conf, undefined, [''], '/s.conf').settings, { mountProgram: undefined, mountOpt: undefined });
  const vfs = resolveStorageSettings(conf, 'vfs', ['vfs.ignore_chown_errors=true'], '/s.conf');
  t.is(vfs.driver, 'vfs');
  t.like(vfs.settings, { driverSource: 'flag', mountProgram: undefined, vfsIgnoreChownErrors: true });
});

test("bad --storage-opt values give podman's messages", (t) => {
  const msg = (driver: string | undefined, opt: string) => t.throws(() => resolveStorageSettings(undefined, driver, [opt], '/s'))!.message;
  t.is(msg('overlay', 'foo'), 'unable to parse key/value option: foo');
  t.is(msg('overlay', 'bogus=1'), 'overlay: Unknown option bogus');
  t.is(msg('overlay', 'vfs.ignore_chown_errors=true'), 'overlay: Unknown option vfs.ignore_chown_errors');
  t.is(msg('vfs', 'overlay.mount_program=/bin/sh'), 'vfs driver does not support overlay.mount_program options');
  t.is(msg('overlay', 'overlay.ignore_chown_errors=maybe'), 'strconv.ParseBool: parsing "maybe": invalid syntax');
  t.is(msg(undefined, 'overlay.mount_program=/nonexist'), 'overlay: can\'t stat program "/nonexist": stat /nonexist: no such file or directory');
});
