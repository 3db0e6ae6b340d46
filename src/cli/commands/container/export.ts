import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const exportCommand: CommandDefinition = {
  path: ['container', 'export'],
  aliases: [['export']],
  describe: "Export a container's filesystem contents as a tar archive",
  synopsis: '[options] CONTAINER',
  examples: [
    ['skiff export -o rootfs.tar web', 'the root filesystem of the container web'],
    ['skiff export web | tar -t', 'to stdout'],
  ],
  options: {
    output: { alias: 'o', type: 'string', describe: 'Write to a specified file (default: stdout, which must be redirected)' },
  },
  positionals: { min: 1, max: 1 },
  // Every file must be readable and owners seen as the container sees them.
  userns: true,
  async run(args, global) {
    const output = args.output as string | undefined;
    if (!output && process.stdout.isTTY) {
      throw new InvalidArgumentError('refusing to export to terminal. Use -o flag or redirect');
    }
    const { exportContainer } = await import('../../../engine/container/export.js');
    const ctx = await engineContext(global);
    await exportContainer(ctx, { container: args._[0], output, stdout: process.stdout });
    return 0;
  },
};
