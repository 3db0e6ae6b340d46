import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';

export const systemPruneCommand: CommandDefinition = {
  path: ['system', 'prune'],
  aliases: [],
  describe: 'Remove unused data: stopped containers, unused networks, dangling (with -a all unused) images, with --volumes unused volumes, and temp data of killed commands',
  synopsis: '[options]',
  examples: [
    ['skiff system prune -f', 'without asking'],
    ['skiff system prune -af --volumes', 'also every image and every volume no container uses'],
    ['skiff system prune -f --filter label=tmp', 'only the stopped containers and unused networks labelled tmp (images as without a filter)'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all unused images, not just dangling ones' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
    volumes: { type: 'boolean', default: false, describe: 'Prune volumes no container uses' },
    filter: { type: 'string', array: true, describe: 'Provide filter values: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION (containers and networks; volumes: label)' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      const images = args.all ? 'all images without at least one container associated with them' : 'all dangling images';
      const volumes = args.volumes ? '\t- all volumes not used by at least one container\n' : '';
      const question = `WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n${volumes}\t- ${images}\n\t- temporary data left by interrupted commands\n\nAre you sure you want to continue? [y/N] `;
      if (!(await confirm(question))) return 0;
    }
    const [{ systemPrune }, { humanSize }] = await Promise.all([import('../../../engine/system/prune.js'), import('../../output/humanize.js')]);
    const report = await systemPrune(await engineContext(global), {
      all: Boolean(args.all),
      volumes: Boolean(args.volumes),
      filters: ((args.filter as string[] | undefined) ?? []).map(String),
    });
    let out = '';
    if (report.containers.length) out += `Deleted Containers\n${report.containers.join('\n')}\n`;
    if (report.networks.length) out += `Deleted Networks\n${report.networks.join('\n')}\n`;
    if (report.volumes.length) out += `Deleted Volumes\n${report.volumes.join('\n')}\n`;
    if (report.images.length) out += `Deleted Images\n${report.images.join('\n')}\n`;
    out += `Total reclaimed space: ${humanSize(report.reclaimedBytes)}\n`;
    printText(out);
    return 0;
  },
};
