import type { CommandDefinition } from '../../command.js';
import { CREATE_OPTIONS, toCreateOptions } from '../../options/create-options.js';
import { PULL_OPTIONS, applyPullPolicy } from '../../options/pull-options.js';
import { consoleSize, terminalStreams } from '../../terminal.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION, SIG_PROXY_OPTION } from '../../options/attach-options.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { takePreforkedMonitor } from '../../prefork.js';

export const runCommand: CommandDefinition = {
  path: ['container', 'run'],
  aliases: [['run']],
  describe: 'Run a command in a new container',
  synopsis: '[options] IMAGE [COMMAND [ARG...]]',
  examples: [
    ['skiff run --rm localhost/bb echo hello', 'run a command and remove the container afterwards'],
    ['skiff run -it --rm localhost/bb sh', 'an interactive shell with a terminal'],
    ['skiff run -d --name web localhost/bb httpd -f -p 8080', 'a detached server; prints its id'],
    ['skiff run -it --detach-keys ctrl-a,x --name box localhost/bb sh', 'ctrl-a then x detaches, leaving the shell running'],
  ],
  options: {
    ...CREATE_OPTIONS,
    ...PULL_OPTIONS,
    detach: { alias: 'd', type: 'boolean', default: false, describe: 'Run the container in the background and print its ID' },
    'detach-keys': DETACH_KEYS_OPTION,
    'sig-proxy': SIG_PROXY_OPTION,
  },
  positionals: { min: 1 },
  stopAfterPositionals: 1,
  async run(args, global) {
    // The monitor is forked first (by main, or here), before the pull check
    // and the create code load: its Node start-up (~100 ms) then overlaps
    // all of the CLI's remaining work.
    const { forkMonitor, startContainer } = await import('../../../engine/container/start.js');
    const ctx = await engineContext(global);
    const monitor = (await takePreforkedMonitor(global.runroot)) ?? (await forkMonitor(ctx));
    let created;
    let detachKeys: Buffer;
    try {
      // Checked before anything is created: a bad spec leaves nothing behind.
      detachKeys = parseDetachKeys(String(args['detach-keys']));
      const { imageExists } = await import('../../../engine/image/images.js');
      await applyPullPolicy(args, global, () => imageExists(ctx, String(args._[0])));
      const options = toCreateOptions(args, args.tty ? consoleSize() : undefined);
      const { createContainer } = await import('../../../engine/container/create.js');
      created = await createContainer(ctx, options);
    } catch (err) {
      monitor.abort();
      throw err;
    }
    printWarnings(ctx);
    const options = { tty: Boolean(args.tty), interactive: Boolean(args.interactive) };
    if (args.detach) {
      // A failed start of a --rm container is removed by its monitor.
      await startContainer(ctx, created.id, { monitor });
      printText(created.id + '\n');
      return 0;
    }
    const terminal = terminalStreams({ ...options, detachKeys, sigProxy: Boolean(args['sig-proxy']) });
    try {
      const report = await startContainer(ctx, created.id, { attach: terminal.streams, monitor });
      // Detached: podman prints nothing and exits 0; the container runs on.
      return report.exitCode ?? 0;
    } finally {
      terminal.restore();
    }
  },
};
