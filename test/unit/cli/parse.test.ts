// Flag parsing as podman's pflag/cobra does it, through the real command
// table (run/create's option groups, pull's registry options, rm): lists
// accumulate, a repeated scalar keeps its last value, --flag=value and
// --flag value are the same, booleans take strconv.ParseBool's spellings,
// unknown flags are errors, and run stops reading flags at IMAGE.
import test from 'ava';
import type { CommandDefinition, ParsedArgs } from '../../../src/cli/command.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { toCreateOptions } from '../../../src/cli/options/create-options.js';
import { parseCommandArgs } from '../../../src/cli/parse.js';

function command(path: string): CommandDefinition {
  const found = COMMANDS.find((c) => c.path.join(' ') === path);
  if (!found) throw new Error(`no command ${path} in the command table`);
  return found;
}
const RUN = command('container run');
const PULL = command('image pull');
const RM = command('container rm');

const parse = (cmd: CommandDefinition, tokens: string[]): Promise<ParsedArgs> => parseCommandArgs(cmd, tokens);

const parsesTo = test.macro({
  async exec(t, cmd: CommandDefinition, tokens: string[], expected: Record<string, unknown>) {
    const args = await parse(cmd, tokens);
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, args[k]]));
    t.deepEqual(picked, expected);
  },
  title: (provided, cmd: CommandDefinition, tokens: string[]) => `${provided ?? ''} (skiff ${cmd.path.at(-1)} ${tokens.join(' ')})`.trim(),
});

const refused = test.macro({
  async exec(t, cmd: CommandDefinition, tokens: string[], message: string | RegExp) {
    await t.throwsAsync(parse(cmd, tokens), typeof message === 'string' ? { message } : { message });
  },
  title: (provided, cmd: CommandDefinition, tokens: string[]) => `refused: ${provided ?? ''} (skiff ${cmd.path.at(-1)} ${tokens.join(' ')})`,
});

// --- lists and scalars ---
test('repeated -e accumulates in order', parsesTo, RUN, ['-e', 'A=1', '-e', 'B', '--env', 'C=3', 'img'], { env: ['A=1', 'B', 'C=3'], _: ['img'] });
test('--env=K=V keeps every "=" after the first in the value', parsesTo, RUN, ['--env=A=b=c', 'img'], { env: ['A=b=c'] });
test('--cap-add both ways accumulates', parsesTo, RUN, ['--cap-add', 'NET_ADMIN', '--cap-add=SYS_TIME', 'img'], { 'cap-add': ['NET_ADMIN', 'SYS_TIME'] });
test('a repeated scalar keeps its last value', parsesTo, RUN, ['--name', 'a', '--name=b', 'img'], { name: 'b' });
test('--flag=value and --flag value are the same', parsesTo, RUN, ['--workdir=/a', '--hostname', 'h', 'img'], { workdir: '/a', hostname: 'h' });
// --network is repeatable (NET1 --network NET2): a list.
test('a long alias', parsesTo, RUN, ['--net=none', 'img'], { network: ['none'] });
test('an all-digit value stays a string', parsesTo, RUN, ['--name', '0123', 'img'], { name: '0123' });
test('all-digit positionals stay strings (ID prefixes)', parsesTo, RM, ['0123', '007'], { _: ['0123', '007'] });
test('a number flag', parsesTo, RUN, ['--stop-timeout=5', 'img'], { 'stop-timeout': 5 });

// --- short flags, as pflag reads them ---
test('-it is -i -t', parsesTo, RUN, ['-it', 'img', 'sh'], { interactive: true, tty: true, _: ['img', 'sh'] });
test('a value attached to a short flag', parsesTo, RUN, ['-w/tmp', 'img'], { workdir: '/tmp' });
test('-eFOO=bar: the value is the rest of the token', parsesTo, RUN, ['-eFOO=bar', 'img'], { env: ['FOO=bar'] });
test('-e=FOO=bar: pflag drops the first "="', parsesTo, RUN, ['-e=FOO=bar', 'img'], { env: ['FOO=bar'] });
test('a value flag ending a cluster takes its value from the rest', parsesTo, RUN, ['-ieFOO=bar', 'img'], { interactive: true, env: ['FOO=bar'] });
test('a value flag at the end of a cluster takes the next token', parsesTo, RUN, ['-ie', 'FOO=bar', 'img'], { interactive: true, env: ['FOO=bar'] });
test('a value that looks like a flag is still the value', parsesTo, RUN, ['-e', '--not-a-flag', '--name', '-x', 'img'], {
  env: ['--not-a-flag'],
  name: '-x',
  _: ['img'],
});

// --- booleans ---
test('a boolean flag alone is true', parsesTo, PULL, ['--tls-verify', 'x'], { 'tls-verify': true });
test('an absent boolean without default is undefined (the engine decides)', parsesTo, PULL, ['x'], { 'tls-verify': undefined });
test('--rm=false', parsesTo, RUN, ['--rm=false', 'img'], { rm: false });
test('-t=false', parsesTo, RUN, ['-t=false', 'img'], { tty: false });
for (const [value, expected] of [
  ['false', false], ['FALSE', false], ['False', false], ['f', false], ['F', false], ['0', false],
  ['true', true], ['TRUE', true], ['True', true], ['t', true], ['T', true], ['1', true],
] as const) {
  test(`--tls-verify=${value} (strconv.ParseBool)`, parsesTo, PULL, [`--tls-verify=${value}`, 'x'], { 'tls-verify': expected });
}
for (const value of ['no', 'yes', 'ture', '']) {
  test(`--tls-verify=${JSON.stringify(value)} is not a boolean`, refused, PULL, [`--tls-verify=${value}`, 'x'],
    `invalid argument "${value}" for "--tls-verify" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
}
test('pflag has no --no- negation', refused, RUN, ['--no-rm', 'img'], 'unknown flag: --no-rm');

// --- unknown flags, bad values, positionals ---
test('an unknown long flag', refused, RUN, ['--nosuchflag', 'img'], 'unknown flag: --nosuchflag');
test('an unknown short flag', refused, RUN, ['-Z', 'img'], 'unknown flag: -Z');
test('a value outside choices', refused, RUN, ['--pull=sometimes', 'img'], 'invalid argument "sometimes" for --pull: choose one of always, missing, never, newer');
test('a number flag given a word', refused, RUN, ['--stop-timeout=abc', 'img'], 'invalid argument for --stop-timeout: expected a number');
test('run without IMAGE', refused, RUN, [], '`skiff container run` requires at least 1 argument, got 0');
test('pull with two names', refused, PULL, ['a', 'b'], '`skiff image pull` requires exactly 1 argument, got 2');

// --- where flags end ---
test('run: flags after IMAGE belong to the container', parsesTo, RUN, ['--rm', 'img', '--rm', '-e', 'X'], { rm: true, env: undefined, _: ['img', '--rm', '-e', 'X'] });
test('run: -- ends the flags; IMAGE may follow it', parsesTo, RUN, ['-e', 'A=1', '--', 'img', 'sh', '-c', 'echo $0'], {
  env: ['A=1'],
  _: ['img', 'sh', '-c', 'echo $0'],
});
test('run: a flag-looking command after -- IMAGE', parsesTo, RUN, ['--', 'img', '--help'], { _: ['img', '--help'] });
test('global flags are accepted after the command', parsesTo, RUN, ['--root', '/r', 'img'], { root: '/r' });

test('toCreateOptions: image, command, labels and lists from the parsed flags', async (t) => {
  const args = await parse(RUN, ['-l', 'a=b', '--label', 'flag', '-e', 'X=1', '--env-file', '/f', '-u', '1000:10', 'img', 'sh', '-c', 'x']);
  const opts = toCreateOptions(args);
  t.is(opts.image, 'img');
  t.deepEqual(opts.command, ['sh', '-c', 'x']);
  t.deepEqual(opts.labels, { a: 'b', flag: '' });
  t.deepEqual(opts.env, ['X=1']);
  t.deepEqual(opts.envFiles, ['/f']);
  t.is(opts.user, '1000:10');
  t.is(opts.network, 'default');
});

// --- a boolean never takes the next word (pflag): `exec -l true` runs `true` ---
const EXEC = command('container exec');
test('a short boolean does not swallow a following "true"', parsesTo, EXEC, ['-l', 'true'], { latest: true, _: ['true'] });
test('a long boolean does not swallow a following "false"', parsesTo, RM, ['--force', 'false'], { force: true, _: ['false'] });
test('a boolean in a cluster does not swallow the next word either', parsesTo, RUN, ['-dt', 'false', 'x'], { detach: true, tty: true, _: ['false', 'x'] });
