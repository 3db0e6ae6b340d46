import type { CommandDefinition } from '../../command.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';

export const infoCommand: CommandDefinition = {
  path: ['system', 'info'],
  aliases: [['info']],
  describe: 'Display skiff system information',
  synopsis: '[options]',
  examples: [["skiff info --format '{{.Host.OCIRuntime.Name}}'", 'the OCI runtime in use'], ['skiff info --format json', 'everything, as JSON']],
  options: {
    format: { alias: 'f', type: 'string', describe: "Change the output format to JSON or a Go template" },
  },
  positionals: { min: 0, max: 0 },
  async run(args, global) {
    const { systemInfo } = await import('../../../engine/system/info.js');
    const ctx = await engineContext(global);
    const info = await systemInfo(ctx);
    printWarnings(ctx);
    // podman prints YAML by default; JSON is its machine form and ours for both.
    printText(await renderDocument(info, args.format as string | undefined));
    return 0;
  },
};
