/**
 * skiff's entry point: global flags, command lookup in the command table,
 * flag parsing with podman's rules, re-execution inside the rootless user
 * namespace for commands that need it, and error → exit code.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { GlobalOptions } from '../config/global-options.js';
import { defaultGraphRoot, defaultRunRoot } from '../config/paths.js';
import { SkiffError } from '../util/errors.js';
import { nodeChildEnv } from '../util/exec.js';
import type { ParsedArgs } from './command.js';
import { GLOBAL_OPTIONS, beforeVerbatim, parseCommandArgs } from './parse.js';
import { EXIT_ENGINE, exitCodeFor } from './exit-codes.js';
import { printError, printText } from './output/print.js';
import { isNamespacedCommand } from './namespaced.js';
import { preforkMonitor } from './prefork.js';
import { PARENT_FD, PARENT_FD_ENV, exitWithParent } from './parent-watch.js';

async function main(argv: string[]): Promise<number> {
  exitWithParent();
  const { globals, rest } = splitGlobals(argv);
  // For run, start the container's monitor before the command table loads (see prefork.ts).
  if ((rest[0] === 'run' || (rest[0] === 'container' && rest[1] === 'run')) && !rest.includes('--help')) {
    preforkMonitor(globalsBeforeCommand(globals));
  }
  // A namespaced command runs again inside the namespace, which parses and
  // reports everything itself: no need to load the command table out here.
  // (Store paths given after the command word take the slow path, which parses them.)
  const latePaths = rest.some((a) => /^--(root|runroot)(=|$)/.test(a));
  if (isNamespacedCommand(rest) && !rest.includes('--help') && !latePaths && needsReexec()) {
    return reexecInNamespace(globalsBeforeCommand(globals), argv);
  }
  // The command table and help load after that: they are most of the CLI's start-up.
  const [{ COMMANDS, findCommand }, { commandHelp, groupHelp, rootHelp }] = await Promise.all([import('./commands/index.js'), import('./help.js')]);
  if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
    printText(rootHelp(COMMANDS));
    return rest.length === 0 ? EXIT_ENGINE : 0;
  }
  if (rest[0] === '--version' || rest[0] === '-v') {
    printText('skiff version 0.1.0\n');
    return 0;
  }
  const found = findCommand(rest);
  const group = !found || (found.used === 1 && rest.length === 1) ? groupHelp(rest[0], COMMANDS) : undefined;
  if (group && (!found || found.command.path.length > 1)) {
    // As podman: the group's usage, then an error for the missing subcommand.
    printText(group);
    printError(`missing command 'skiff ${rest[0]} COMMAND'`);
    return EXIT_ENGINE;
  }
  if (!found) {
    printError(`unrecognized command \`skiff ${rest[0]}\``, 'run `skiff --help` for the list of commands');
    return EXIT_ENGINE;
  }
  const { command, used } = found;
  const commandArgs = rest.slice(used);
  if (commandArgs.includes('--help') && beforeVerbatim(commandArgs, command).includes('--help')) {
    printText(commandHelp(command));
    return 0;
  }
  const name = command.path.join(' ');
  try {
    const parsed = await parseCommandArgs(command, [...globals, ...commandArgs]);
    const global = toGlobalOptions(parsed);
    if (command.userns && needsReexec()) return await reexecInNamespace(global, argv);
    return await command.run(parsed, global);
  } catch (err) {
    if (err instanceof SkiffError) {
      // A sub-command (run's pull) may have printed it already.
      if (!('reported' in err && err.reported)) printError(err.message, err.hint);
      return exitCodeFor(err, name);
    }
    printError(`${(err as Error).message ?? err}`);
    if (process.env.SKIFF_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return EXIT_ENGINE;
  }
}

/** The global options from flags given before the command word, with defaults. */
function globalsBeforeCommand(globals: string[]): GlobalOptions {
  const value = (flag: string) => {
    const at = globals.findIndex((g) => g === `--${flag}` || g.startsWith(`--${flag}=`));
    if (at < 0) return undefined;
    return globals[at].includes('=') ? globals[at].slice(globals[at].indexOf('=') + 1) : globals[at + 1];
  };
  return {
    root: value('root') ?? defaultGraphRoot(),
    runroot: value('runroot') ?? defaultRunRoot(),
    storageDriver: value('storage-driver') as GlobalOptions['storageDriver'],
    runtime: value('runtime'),
    logLevel: 'warn',
  };
}

/** Takes global flags given before the command word. */
function splitGlobals(argv: string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i].startsWith('--')) {
    const flag = argv[i].slice(2).split('=')[0];
    if (!(flag in GLOBAL_OPTIONS)) break;
    globals.push(argv[i]);
    if (!argv[i].includes('=') && i + 1 < argv.length) globals.push(argv[++i]);
    i++;
  }
  return { globals, rest: argv.slice(i) };
}

function toGlobalOptions(args: ParsedArgs): GlobalOptions {
  return {
    root: (args.root as string | undefined) ?? defaultGraphRoot(),
    runroot: (args.runroot as string | undefined) ?? defaultRunRoot(),
    storageDriver: args['storage-driver'] as GlobalOptions['storageDriver'],
    runtime: args.runtime as string | undefined,
    logLevel: (args['log-level'] as GlobalOptions['logLevel']) ?? 'warn',
  };
}

function needsReexec(): boolean {
  return process.getuid?.() !== 0 && !process.env.SKIFF_USERNS_PID;
}

/**
 * Runs this same command again as root of the rootless user namespace
 * (podman does the same). The paths are passed explicitly: inside, HOME
 * and XDG_* would otherwise still point at the user's, which is what we
 * want, but uid 0 must not switch to the rootful defaults.
 */
async function reexecInNamespace(global: GlobalOptions, argv: string[]): Promise<number> {
  const { ensurePauseProcess, nsenterArgs, USERNS_ENV } = await import('../userns/pause.js');
  const pause = await ensurePauseProcess(global.runroot);
  for (const w of pause.warnings) process.stderr.write(`WARN[0000] ${w}\n`);
  const script = new URL(import.meta.url).pathname;
  const [cmd, ...args] = [...nsenterArgs(pause), process.execPath, script, '--root', global.root, '--runroot', global.runroot, ...argv];
  // fd 3 is the child's lifeline (parent-watch.ts): it stops when this process dies.
  const child = spawn(cmd, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: nodeChildEnv({ [USERNS_ENV]: String(pause.pid), [PARENT_FD_ENV]: String(PARENT_FD) }),
  });
  // A signal to this CLI is meant for the command: pass it on and exit as the child does.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      printError(`cannot enter the user namespace: ${err.message}`);
      resolve(EXIT_ENGINE);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + constants.signals[signal] : EXIT_ENGINE)));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // Flush stdout before exiting: a piped stdout is asynchronous.
    process.stdout.write('', () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`Error: ${(err as Error).stack ?? err}\n`);
    process.exit(EXIT_ENGINE);
  },
);
