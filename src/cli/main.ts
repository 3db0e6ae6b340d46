/**
 * skiff's entry point: global flags, command lookup in the command table,
 * flag parsing with podman's rules, re-execution inside the rootless user
 * namespace for commands that need it, and error → exit code.
 */
import { createWriteStream } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { CLI_SCRIPT } from '../config/entry-points.js';
import type { GlobalOptions } from '../config/global-options.js';
import { defaultGraphRoot, defaultRunRoot } from '../config/paths.js';
import { SkiffError } from '../util/errors.js';
import { nodeChildEnv } from '../util/exec.js';
import { LOG_LEVELS, isLogLevel, log, setLogLevel } from '../util/log.js';
import { signalExitCode } from '../util/signals.js';
import type { ParsedArgs } from './command.js';
import { GLOBAL_OPTIONS, beforeVerbatim, parseCommandArgs } from './parse.js';
import { EXIT_ENGINE, exitCodeFor } from './exit-codes.js';
import { printError, printText } from './output/print.js';
import { isNamespacedCommand } from './namespaced.js';
import { preforkMonitor } from './prefork.js';
import { PARENT_FD, PARENT_FD_ENV, exitWithParent } from './parent-watch.js';

declare global {
  /** Set by bin/skiff: whether V8 used the build's code cache for the bundle. */
  var skiffCodeCache: 'absent' | 'rejected' | 'used' | undefined;
}

async function main(argv: string[]): Promise<number> {
  restoreCallerCwd();
  exitWithParent();
  const { globals, rest } = splitGlobals(argv);
  // The level is set as early as it is known, so start-up is logged too.
  if (!applyLogLevel(flagValue(globals, 'log-level'))) return EXIT_ENGINE;
  log.debug(`Called skiff ${argv.join(' ')}`);
  if (globalThis.skiffCodeCache) log.debug(`Code cache of the CLI: ${globalThis.skiffCodeCache}`);
  // For run, start and restart, start a container's monitor before the command table loads (see
  // prefork.ts); restart runs inside the user namespace, so only the command re-run there does.
  const verb = rest[0] === 'container' ? rest[1] : rest[0];
  if ((verb === 'run' || verb === 'start' || (verb === 'restart' && !needsReexec())) && !rest.includes('--help')) {
    const early = await earlyGlobals(globals);
    if (!early) return EXIT_ENGINE;
    preforkMonitor(early);
  }
  // A namespaced command runs again inside the namespace, which parses and
  // reports everything itself: no need to load the command table out here.
  // (Store paths given after the command word take the slow path, which parses them.)
  const latePaths = rest.some((a) => /^--(root|runroot)(=|$)/.test(a));
  if (isNamespacedCommand(rest) && !rest.includes('--help') && !latePaths && needsReexec()) {
    const early = await earlyGlobals(globals);
    if (!early) return EXIT_ENGINE;
    return reexecInNamespace(early, argv);
  }
  if (rest[0] === '--version' || rest[0] === '-v') {
    const { SKIFF_VERSION } = await import('../config/version.js');
    printText(`skiff version ${SKIFF_VERSION}\n`);
    return 0;
  }
  // The command table and help load after that: they are most of the CLI's start-up.
  const [{ COMMANDS, findCommand }, { commandHelp, groupHelp, rootHelp }] = await Promise.all([import('./commands/index.js'), import('./help.js')]);
  if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
    printText(rootHelp(COMMANDS));
    return rest.length === 0 ? EXIT_ENGINE : 0;
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
  // Checked before the flags are parsed: podman's message, not the generic one for a bad choice.
  if (!applyLogLevel(flagValue([...globals, ...beforeVerbatim(commandArgs, command)], 'log-level'))) return EXIT_ENGINE;
  try {
    const parsed = await parseCommandArgs(command, [...globals, ...commandArgs]);
    const global = await toGlobalOptions(parsed);
    log.debug(`Using graph root ${global.root}`);
    log.debug(`Using run root ${global.runroot}`);
    if (global.storageDriver) log.debug(`Using storage driver ${global.storageDriver}`);
    if (global.runtime) log.debug(`Using OCI runtime ${global.runtime}`);
    if ((command.userns || command.usernsWhen?.(parsed)) && needsReexec()) return await reexecInNamespace(global, argv);
    if (parsed.noout) silenceStdout();
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

/** The value of the last `--flag V` or `--flag=V` among tokens (a repeated flag keeps its last value, as pflag). */
function flagValue(tokens: string[], flag: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === `--${flag}`) found = tokens[++i];
    else if (tokens[i].startsWith(`--${flag}=`)) found = tokens[i].slice(flag.length + 3);
  }
  return found;
}

/** Sets the log level when one is given; false (after printing podman's error) when it is not a level. */
function applyLogLevel(level: string | undefined): boolean {
  if (level === undefined) return true;
  if (!isLogLevel(level)) {
    printError(`Log Level "${level}" is not supported, choose from: ${LOG_LEVELS.join(', ')}`);
    return false;
  }
  setLogLevel(level);
  return true;
}

/** The global options from flags given before the command word, with storage.conf and defaults; undefined after printing an error. */
async function earlyGlobals(globals: string[]): Promise<GlobalOptions | undefined> {
  const value = (flag: string) => flagValue(globals, flag);
  try {
    return await withStorageConf({
      root: value('root'), runroot: value('runroot'), driver: value('storage-driver'), opts: flagValues(globals, 'storage-opt'),
      runtime: value('runtime'), logLevel: (value('log-level') as GlobalOptions['logLevel'] | undefined) ?? 'warn',
    });
  } catch (err) {
    if (!(err instanceof SkiffError)) throw err;
    printError(err.message, err.hint);
    return undefined;
  }
}

/** Every value of a repeated `--flag V` / `--flag=V` among tokens. */
function flagValues(tokens: string[], flag: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === `--${flag}`) found.push(tokens[++i] ?? '');
    else if (tokens[i].startsWith(`--${flag}=`)) found.push(tokens[i].slice(flag.length + 3));
  }
  return found;
}

/**
 * The global options: flags over storage.conf (read only here, by commands
 * that reach the engine) over defaults. Throws SkiffError for a bad file or
 * a bad --storage-opt.
 */
async function withStorageConf(flags: {
  root?: string; runroot?: string; driver?: string; opts: string[]; runtime?: string; logLevel: GlobalOptions['logLevel'];
}): Promise<GlobalOptions> {
  const { readStorageConf, resolveStorageSettings, userStorageConfFile } = await import('../config/storage-conf.js');
  const conf = await readStorageConf();
  const { driver, settings } = resolveStorageSettings(conf, flags.driver, flags.opts, conf?.file ?? userStorageConfFile());
  if (conf) log.debug(`Read storage configuration ${conf.file}`);
  return {
    root: absolute(flags.root) ?? conf?.graphRoot ?? defaultGraphRoot(),
    runroot: absolute(flags.runroot) ?? conf?.runRoot ?? defaultRunRoot(),
    storageDriver: driver,
    storage: settings,
    runtime: flags.runtime,
    logLevel: flags.logLevel,
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
    if (GLOBAL_OPTIONS[flag].type !== 'boolean' && !argv[i].includes('=') && i + 1 < argv.length) globals.push(argv[++i]);
    i++;
  }
  return { globals, rest: argv.slice(i) };
}

function toGlobalOptions(args: ParsedArgs): Promise<GlobalOptions> {
  return withStorageConf({
    root: args.root as string | undefined,
    runroot: args.runroot as string | undefined,
    driver: args['storage-driver'] as string | undefined,
    opts: ((args['storage-opt'] as unknown[] | undefined) ?? []).map(String),
    runtime: args.runtime as string | undefined,
    logLevel: (args['log-level'] as GlobalOptions['logLevel']) ?? 'warn',
  });
}

/**
 * --noout: podman points its stdout at /dev/null, so results and an
 * attached container's output alike go nowhere; errors still reach stderr.
 */
function silenceStdout(): void {
  const devNull = createWriteStream('/dev/null');
  Object.defineProperty(process, 'stdout', { value: devNull, configurable: true, enumerable: true });
}

/** Set for the worker re-executed in the namespace: the caller's working directory. */
const CWD_ENV = 'SKIFF_CWD';

/** The caller's working directory, unless it is gone. */
function callerCwd(): Record<string, string> {
  try {
    return { [CWD_ENV]: process.cwd() };
  } catch {
    return {};
  }
}

/**
 * In the re-executed worker: back to the caller's working directory. Best
 * effort: one it cannot reach from the namespace leaves it in /, where only
 * relative paths fail, as nsenter --wd would fail the whole command.
 */
function restoreCallerCwd(): void {
  const cwd = process.env[CWD_ENV];
  if (cwd === undefined) return;
  delete process.env[CWD_ENV];
  try {
    process.chdir(cwd);
  } catch {
    // stay in /
  }
}

/** A store path given relative to the cwd, made absolute: namespaced workers run elsewhere. */
function absolute(path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolvePath(path);
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
  let pause;
  try {
    pause = await ensurePauseProcess(global.runroot);
  } catch (err) {
    if (!(err instanceof SkiffError)) throw err;
    printError(err.message, err.hint);
    return EXIT_ENGINE;
  }
  for (const w of pause.warnings) log.warn(w);
  // `--` ends Node's options: Node 20 reads `--env-file` even after the script (see bin/skiff).
  const [cmd, ...args] = [...nsenterArgs(pause), process.execPath, '--', CLI_SCRIPT, '--root', global.root, '--runroot', global.runroot, ...argv];
  log.debug(`Running the command again inside the user namespace: ${[cmd, ...args].join(' ')}`);
  // nsenter starts in / of the namespace; relative paths in argv (an import's FILE, a late --root) mean the caller's cwd.
  // fd 3 is the child's lifeline (parent-watch.ts): it stops when this process dies.
  // Loaded here, not at start-up: only the commands run inside the namespace need it.
  const { spawn } = await import('node:child_process');
  const child = spawn(cmd, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: nodeChildEnv({ [USERNS_ENV]: String(pause.pid), [PARENT_FD_ENV]: String(PARENT_FD), ...callerCwd() }),
  });
  // A signal to this CLI is meant for the command: pass it on and exit as the child does.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      printError(`cannot enter the user namespace: ${err.message}`);
      resolve(EXIT_ENGINE);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? signalExitCode(signal) : EXIT_ENGINE)));
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
