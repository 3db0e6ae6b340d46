import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { printText } from '../../output/print.js';

export const rmiCommand: CommandDefinition = {
  path: ['image', 'rm'],
  aliases: [['rmi'], ['image', 'remove']],
  describe: 'Remove one or more images from local storage',
  synopsis: '[options] IMAGE [IMAGE...]',
  examples: [
    ['skiff rmi localhost/bb', 'remove an image no container uses'],
    ['skiff rmi -f localhost/bb', 'remove it and the containers that use it'],
    ['skiff rmi -i localhost/maybe', 'no error when the image is not there'],
  ],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Remove the image even when containers use it (those containers are removed); a missing image is no error' },
    ignore: { alias: 'i', type: 'boolean', default: false, describe: 'Ignore errors if a specified image does not exist' },
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all images' },
  },
  positionals: { min: 0 },
  // Layer files belong to sub-ids: deleting them needs the user namespace.
  userns: true,
  async run(args, global) {
    const { removeImage } = await import('../../../engine/image/manage.js');
    const ctx = await engineContext(global);
    let targets = args._;
    if (args.all) {
      const { listImages } = await import('../../../engine/image/images.js');
      targets = (await listImages(ctx)).map((i) => i.record.id);
    } else if (targets.length === 0) {
      const { InvalidArgumentError } = await import('../../../util/errors.js');
      throw new InvalidArgumentError('image name or ID must be specified');
    }
    const { NoSuchImageError } = await import('../../../engine/errors.js');
    return forEachTarget('image rm', targets, async (target) => {
      let report;
      try {
        report = await removeImage(ctx, target, { force: Boolean(args.force) });
      } catch (err) {
        // podman: --ignore, and --force too, pass over an image that is not there.
        if ((args.ignore || args.force) && err instanceof NoSuchImageError) return undefined;
        throw err;
      }
      printText(report.untagged.map((n) => `Untagged: ${n}\n`).join(''));
      return report.deleted.map((id) => `Deleted: ${id}`).join('\n') || undefined;
    });
  },
};
