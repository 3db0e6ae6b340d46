import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { bashCompletion } from '../../../src/cli/docs/completions.js';
import { COMPLETIONS_DIR, MAN_DIR, generateDocs } from '../../../src/cli/docs/generate.js';
import { manPage, manPageName, rootManPage } from '../../../src/cli/docs/man.js';
import { commandHelp } from '../../../src/cli/help.js';
import { GLOBAL_OPTIONS } from '../../../src/cli/parse.js';
import { NAMESPACED_COMMANDS, isNamespacedCommand } from '../../../src/cli/namespaced.js';

// build/test/unit/structure/commands.test.js → the project root.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const name = (c: (typeof COMMANDS)[number]) => `skiff ${c.path.join(' ')}`;

/** Long name and every alias of each option, dashed (--network, --net, -e). */
function flagsOf(options: (typeof COMMANDS)[number]['options']): string[] {
  return Object.entries(options).flatMap(([long, spec]) => [long, ...[spec.alias ?? []].flat()].map((f) => (f.length === 1 ? `-${f}` : `--${f}`)));
}

/** Long name and the one-letter alias, the flags help prints. */
function helpFlagsOf(options: (typeof COMMANDS)[number]['options']): string[] {
  return Object.entries(options).flatMap(([long, spec]) => [`--${long}`, ...[spec.alias ?? []].flat().filter((a) => a.length === 1).map((a) => `-${a}`)]);
}

/** Roff to plain text, enough to look for flags: font escapes dropped, \- as -. */
function unroff(text: string): string {
  return text.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\&/g, '');
}

/** `flag` standing as a whole word in text (so -a is not found inside --all). */
function mentions(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[\\s,"'(\\[])${escaped}(?=$|[\\s,=\\]"')])`, 'm').test(text);
}

test('the command table is not empty', (t) => {
  t.true(COMMANDS.length > 0);
});

test('every command has a description, a synopsis and an example starting with `skiff `', (t) => {
  for (const command of COMMANDS) {
    t.true(command.path.length > 0 && command.path.every((w) => /^[a-z][a-z0-9-]*$/.test(w)), `${name(command)}: path words`);
    t.true(command.describe.trim().length > 0, `${name(command)}: empty describe`);
    t.true(command.synopsis.trim().length > 0, `${name(command)}: empty synopsis`);
    t.true(command.examples.length > 0, `${name(command)}: no examples`);
    for (const [cmd, meaning] of command.examples) {
      t.true(cmd.startsWith('skiff '), `${name(command)}: example ${JSON.stringify(cmd)} does not start with "skiff "`);
      t.true(meaning.trim().length > 0, `${name(command)}: example ${JSON.stringify(cmd)} has no explanation`);
    }
  }
});

test('no two commands share a path or alias', (t) => {
  const seen = new Map<string, string>();
  for (const command of COMMANDS) {
    for (const path of [command.path, ...command.aliases]) {
      const key = path.join(' ');
      t.false(seen.has(key), `"skiff ${key}" is claimed by both ${seen.get(key)} and ${name(command)}`);
      seen.set(key, name(command));
    }
  }
});

test('the early re-exec list names exactly the paths and aliases of userns commands', (t) => {
  const words = COMMANDS.filter((c) => c.userns).flatMap((c) => [c.path, ...c.aliases].map((p) => p.join(' ')));
  t.deepEqual([...NAMESPACED_COMMANDS].sort(), words.sort());
  for (const c of COMMANDS) {
    for (const path of [c.path, ...c.aliases]) t.is(isNamespacedCommand([...path, 'arg']), Boolean(c.userns), path.join(' '));
  }
});

test('no two commands write the same man page', (t) => {
  const pages = COMMANDS.map(manPageName);
  t.is(new Set(pages).size, pages.length);
});

test('every option has a description', (t) => {
  for (const [long, spec] of Object.entries(GLOBAL_OPTIONS)) t.true((spec.describe ?? '').trim().length > 0, `global --${long}: no describe`);
  for (const command of COMMANDS) {
    for (const [long, spec] of Object.entries(command.options)) {
      t.true((spec.describe ?? '').trim().length > 0, `${name(command)} --${long}: no describe`);
    }
  }
});

test('no command option reuses a flag of another option or a global flag', (t) => {
  const global = new Set(flagsOf(GLOBAL_OPTIONS));
  for (const command of COMMANDS) {
    const flags = flagsOf(command.options);
    t.is(new Set(flags).size, flags.length, `${name(command)}: a flag is defined twice`);
    for (const flag of flags) t.false(global.has(flag), `${name(command)} ${flag} shadows a global flag`);
  }
});

test('man/ and completions/ on disk equal what generateDocs() produces', async (t) => {
  const stale = 'man/ or completions/ is stale: run npm run docs';
  const files = generateDocs();
  for (const [relative, content] of files) {
    const onDisk = await readFile(join(ROOT, relative), 'utf8').catch(() => undefined);
    t.true(onDisk === content, `${stale} (${relative} ${onDisk === undefined ? 'is missing' : 'differs'})`);
  }
  for (const dir of [MAN_DIR, COMPLETIONS_DIR]) {
    for (const entry of await readdir(join(ROOT, dir))) {
      t.true(files.has(`${dir}/${entry}`), `${stale} (${dir}/${entry} is not generated any more)`);
    }
  }
});

test('generation is deterministic', (t) => {
  t.deepEqual([...generateDocs()], [...generateDocs()]);
});

test('every command has a man page and skiff(1) lists it with its aliases', (t) => {
  const files = generateDocs();
  const root = unroff(files.get('man/skiff.1') ?? '');
  for (const command of COMMANDS) {
    t.true(files.has(`man/skiff-${command.path.join('-')}.1`), `${name(command)}: no man page`);
    t.true(root.includes(`skiff-${command.path.join('-')}(1)`), `skiff(1) does not list ${name(command)}`);
    for (const alias of command.aliases) t.true(root.includes(`skiff ${alias.join(' ')}`), `skiff(1) does not list alias skiff ${alias.join(' ')}`);
  }
  for (const flag of flagsOf(GLOBAL_OPTIONS)) t.true(mentions(root, flag), `skiff(1) lacks global ${flag}`);
});

test('every flag of every command appears in its man page, with aliases and examples', (t) => {
  for (const command of COMMANDS) {
    const page = manPage(command, GLOBAL_OPTIONS);
    const text = unroff(page);
    t.regex(page, /^\.TH /m, `${name(command)}: no .TH`);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXAMPLES', 'SEE ALSO']) {
      t.true(page.includes(`.SH ${section}\n`), `${name(command)}: man page lacks ${section}`);
    }
    t.true(text.includes('skiff (1)'), `${name(command)}: no SEE ALSO skiff(1)`);
    for (const flag of [...flagsOf(command.options), ...flagsOf(GLOBAL_OPTIONS)]) {
      t.true(mentions(text, flag), `${name(command)}: man page lacks ${flag}`);
    }
    for (const alias of command.aliases) t.true(text.includes(`skiff ${alias.join(' ')}`), `${name(command)}: man page lacks alias skiff ${alias.join(' ')}`);
    for (const [cmd] of command.examples) t.true(text.includes(cmd), `${name(command)}: man page lacks example ${cmd}`);
  }
});

test('man pages escape roff control characters', (t) => {
  for (const page of [rootManPage(COMMANDS, GLOBAL_OPTIONS), ...COMMANDS.map((c) => manPage(c, GLOBAL_OPTIONS))]) {
    for (const line of page.split('\n')) {
      if (/^[.']/.test(line)) t.regex(line, /^(\.\\"|\.(TH|SH|TP|PP|RS|RE|nf|fi|br|nh|ad|BR) ?)/, `unexpected request line ${JSON.stringify(line)}`);
    }
  }
});

test('the bash completion offers every command word, alias and flag', (t) => {
  const script = bashCompletion(COMMANDS, GLOBAL_OPTIONS);
  const flagLine = (key: string) => script.split('\n').find((l) => l.trimStart().startsWith('"') && l.includes(') echo') && l.trim().split(')')[0].split('|').includes(`"${key}"`) && l.includes('--help'));
  for (const command of COMMANDS) {
    for (const path of [command.path, ...command.aliases]) {
      const key = path.join(' ');
      const parent = path.slice(0, -1).join(' ');
      const subLine = script.split('\n').find((l) => l.trimStart().startsWith(`"${parent}") echo`));
      t.truthy(subLine, `no completion of the words after "skiff ${parent}"`);
      t.true(subLine!.split('echo')[1].replace(/[";]/g, ' ').split(/\s+/).includes(path.at(-1)!), `"skiff ${key}" is not completed`);
      const line = flagLine(key);
      t.truthy(line, `no flag completion for skiff ${key}`);
      const words = line!.split(') echo ')[1].replace(/[";]/g, ' ').split(/\s+/);
      for (const flag of [...flagsOf(command.options), ...flagsOf(GLOBAL_OPTIONS)]) {
        t.true(words.includes(flag), `skiff ${key}: bash completion lacks ${flag}`);
      }
    }
  }
});

test('commandHelp mentions every flag of the command', (t) => {
  for (const command of COMMANDS) {
    const help = commandHelp(command);
    for (const flag of [...helpFlagsOf(command.options), ...helpFlagsOf(GLOBAL_OPTIONS)]) {
      t.true(mentions(help, flag), `${name(command)} --help lacks ${flag}`);
    }
  }
});
