import type { CommandDefinition } from '../../command.js';
import { CREATE_OPTIONS, containersConfEtc, toCreateOptions } from '../../options/create-options.js';
import { PULL_OPTIONS, applyPullPolicy, loadArchiveImage } from '../../options/pull-options.js';
import { consoleSize } from '../../terminal.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { replaceContainer } from '../../options/replace-option.js';

export const createCommand: CommandDefinition = {
  path: ['container', 'create'],
  aliases: [['create']],
  describe: 'Create but do not start a container',
  synopsis: '[options] IMAGE [COMMAND [ARG...]]',
  examples: [['skiff create --name web localhost/bb httpd -f -p 8080', 'create a container to start later with `skiff start web`']],
  options: { ...CREATE_OPTIONS, ...PULL_OPTIONS },
  positionals: { min: 1 },
  stopAfterPositionals: 1,
  async run(args, global) {
    const { createContainer } = await import('../../../engine/container/create.js');
    const { imageExists } = await import('../../../engine/image/images.js');
    const ctx = await engineContext(global);
    if (args.replace) await replaceContainer(ctx, global, args.name as string | undefined);
    // An archive transport is loaded instead of pulled; the container is made from what it held.
    const archived = await loadArchiveImage(String(args._[0]), global);
    if (archived !== undefined) args._[0] = archived;
    else await applyPullPolicy(args, global, () => imageExists(ctx, String(args._[0])));
    const created = await createContainer(ctx, toCreateOptions(args, args.tty ? consoleSize() : undefined, await containersConfEtc()));
    printWarnings(ctx);
    printText(created.id + '\n');
    return 0;
  },
};
