import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';

export const systemPruneCommand: CommandDefinition = {
  path: ['system', 'prune'],
  aliases: [],
  describe: 'Remove unused data: stopped containers, dangling (with -a all unused) images, and temp data of killed commands',
  synopsis: '[options]',
  examples: [['skiff system prune -f', 'without asking'], ['skiff system prune -af', 'also every image no container uses']],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all unused images, not just dangling ones' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      const images = args.all ? 'all images without at least one container associated with them' : 'all dangling images';
      const question = `WARNING! This command removes:\n\t- all stopped containers\n\t- ${images}\n\t- temporary data left by interrupted commands\n\nAre you sure you want to continue? [y/N] `;
      if (!(await confirm(question))) return 0;
    }
    const [{ systemPrune }, { humanSize }] = await Promise.all([import('../../../engine/system/prune.js'), import('../../output/humanize.js')]);
    const report = await systemPrune(await engineContext(global), { all: Boolean(args.all) });
    let out = '';
    if (report.containers.length) out += `Deleted Containers\n${report.containers.join('\n')}\n`;
    if (report.images.length) out += `Deleted Images\n${report.images.join('\n')}\n`;
    out += `Total reclaimed space: ${humanSize(report.reclaimedBytes)}\n`;
    printText(out);
    return 0;
  },
};
