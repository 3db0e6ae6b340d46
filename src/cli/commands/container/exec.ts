import type { CommandDefinition, ParsedArgs } from '../../command.js';
import type { ContainerExecOptions } from '../../../engine/container/exec.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { consoleSize, terminalStreams } from '../../terminal.js';

/** podman's default; detaching from an exec session is not implemented, so only it (and none) is accepted. */
const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

export const execCommand: CommandDefinition = {
  path: ['container', 'exec'],
  aliases: [['exec']],
  describe: 'Run a process in a running container',
  synopsis: '[options] CONTAINER COMMAND [ARG...]',
  examples: [
    ['skiff exec web cat /etc/hostname', "run a command in web; exits with the command's code"],
    ['skiff exec -it -w /tmp web sh', 'an interactive shell in /tmp with a terminal'],
    ['skiff exec -i web sh -c "cat > /tmp/in" < notes.txt', 'copy what skiff reads on stdin into a file in the container'],
    ['skiff exec -d -u nobody web sleep 60', 'a background process as user nobody; prints the session id'],
  ],
  options: {
    detach: { alias: 'd', type: 'boolean', default: false, describe: 'Run the exec session in detached mode (backgrounded)' },
    'detach-keys': { type: 'string', default: DEFAULT_DETACH_KEYS, describe: `Key sequence for detaching; only the default ("${DEFAULT_DETACH_KEYS}") and "" are supported` },
    env: { alias: 'e', type: 'string', array: true, describe: 'Set environment variables (KEY=VALUE, or KEY to copy from the caller)' },
    'env-file': { type: 'string', array: true, describe: 'Read in a file of environment variables' },
    interactive: { alias: 'i', type: 'boolean', default: false, describe: 'Keep STDIN open even if not attached' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
    privileged: { type: 'boolean', default: false, describe: 'Give the process extended Linux capabilities inside the container' },
    tty: { alias: 't', type: 'boolean', default: false, describe: 'Allocate a pseudo-TTY' },
    user: { alias: 'u', type: 'string', describe: 'Username or UID and optionally group name or GID for the command (format: <name|uid>[:<group|gid>])' },
    workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  },
  positionals: { min: 1 },
  stopAfterPositionals: 1,
  async run(args, global) {
    const { InvalidArgumentError } = await import('../../../util/errors.js');
    const options = toExecOptions(args);
    const keys = String(args['detach-keys']);
    if (keys !== DEFAULT_DETACH_KEYS && keys !== '') {
      throw new InvalidArgumentError(`--detach-keys "${keys}" is not supported: detaching from an exec session is not implemented`, { hint: `leave the default "${DEFAULT_DETACH_KEYS}", or use -d` });
    }
    if (options.detach && options.tty) {
      throw new InvalidArgumentError('--detach and --tty cannot be used together: a detached exec session gets no terminal', { hint: 'drop -t, or drop -d to use the terminal' });
    }
    const { execInContainer } = await import('../../../engine/container/exec.js');
    const ctx = await engineContext(global);
    if (options.detach) {
      const report = await execInContainer(ctx, options);
      printWarnings(ctx);
      printText(report.execId + '\n');
      return 0;
    }
    const terminal = terminalStreams({ tty: options.tty, interactive: options.interactive });
    try {
      const report = await execInContainer(ctx, options, terminal.streams);
      printWarnings(ctx);
      return report.exitCode ?? 0;
    } finally {
      terminal.restore();
    }
  },
};

/** The only place exec reads raw argv: with -l every positional is the command. */
function toExecOptions(args: ParsedArgs): ContainerExecOptions {
  const list = (key: string) => ((args[key] as string[] | undefined) ?? []).map(String);
  const positionals = args._.map(String);
  const latest = Boolean(args.latest);
  const tty = Boolean(args.tty);
  return {
    container: latest ? undefined : positionals[0],
    latest,
    command: latest ? positionals : positionals.slice(1),
    env: list('env'),
    envFiles: list('env-file'),
    workdir: args.workdir as string | undefined,
    user: args.user as string | undefined,
    privileged: Boolean(args.privileged),
    tty,
    interactive: Boolean(args.interactive),
    detach: Boolean(args.detach),
    consoleSize: tty ? consoleSize() : undefined,
  };
}
