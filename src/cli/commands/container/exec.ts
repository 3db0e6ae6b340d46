import type { CommandDefinition, ParsedArgs } from '../../command.js';
import type { ContainerExecOptions } from '../../../engine/container/exec.js';
import { engineContext, printWarnings } from '../../context.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION } from '../../options/attach-options.js';
import { printText } from '../../output/print.js';
import { consoleSize, terminalStreams } from '../../terminal.js';

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
    ['skiff exec -it --detach-keys ctrl-a,x web top', 'ctrl-a then x detaches, leaving top running'],
    ['skiff exec -dt web sh -c "tty > /tmp/tty; sleep 60"', 'a background process on its own terminal'],
  ],
  options: {
    detach: { alias: 'd', type: 'boolean', default: false, describe: 'Run the exec session in detached mode (backgrounded)' },
    'detach-keys': DETACH_KEYS_OPTION,
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
    const options = toExecOptions(args);
    const detachKeys = parseDetachKeys(String(args['detach-keys']));
    const { execInContainer } = await import('../../../engine/container/exec.js');
    const ctx = await engineContext(global);
    if (options.detach) {
      const report = await execInContainer(ctx, options);
      printWarnings(ctx);
      printText(report.execId + '\n');
      return 0;
    }
    // Detaching needs a terminal to hand over: only -it watches for the keys.
    const terminal = terminalStreams({ tty: options.tty, interactive: options.interactive, detachKeys: options.tty ? detachKeys : undefined });
    try {
      const report = await execInContainer(ctx, options, terminal.streams);
      printWarnings(ctx);
      // Detached: podman returns 0 and prints nothing; the process runs on.
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
