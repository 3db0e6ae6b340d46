import type { CommandDefinition } from '../../command.js';
import { printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';

export const versionCommand: CommandDefinition = {
  path: ['version'],
  aliases: [['system', 'version']],
  describe: 'Display the skiff version information',
  synopsis: '[options]',
  examples: [["skiff version --format '{{.Client.Version}}'", 'just the version number']],
  options: {
    format: { alias: 'f', type: 'string', describe: "Change the output format to JSON or a Go template" },
  },
  positionals: { min: 0, max: 0 },
  async run(args) {
    const { versionReport } = await import('../../../engine/system/info.js');
    const client = versionReport();
    if (args.format) {
      printText(await renderDocument({ Client: client }, args.format as string));
      return 0;
    }
    const rows: Array<[string, unknown]> = [['Version', client.Version], ['API Version', client.APIVersion], ['Node Version', process.version], ['OS/Arch', client.OsArch]];
    printText(rows.map(([k, v]) => `${(k + ':').padEnd(16)}${v}`).join('\n') + '\n');
    return 0;
  },
};
