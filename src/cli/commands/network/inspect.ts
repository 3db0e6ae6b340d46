import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printError, printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';
import { SkiffError } from '../../../util/errors.js';

export const networkInspectCommand: CommandDefinition = {
  path: ['network', 'inspect'],
  aliases: [],
  describe: 'Display the configuration of one or more networks',
  synopsis: '[options] NETWORK [NETWORK...]',
  examples: [["skiff network inspect --format '{{range .Subnets}}{{.Subnet}} {{end}}' app", 'the subnets of the network app']],
  options: {
    format: { alias: 'f', type: 'string', describe: "Pretty-print network to JSON or using a Go template ('{{.Name}}')" },
  },
  positionals: { min: 1 },
  async run(args, global) {
    const { inspectNetwork } = await import('../../../engine/network/networks.js');
    const { NetworkView } = await import('../../output/views/network-view.js');
    const ctx = await engineContext(global);
    const found = [];
    let code = 0;
    for (const target of args._) {
      try {
        found.push(await inspectNetwork(ctx, String(target)));
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        printError(`inspecting object: network ${target}: ${err.message}`);
        code = 125;
      }
    }
    const format = args.format as string | undefined;
    if (!format || format === 'json') printText(JSON.stringify(found, null, 5) + '\n');
    else for (const n of found) printText(await renderDocument(new NetworkView(n), format));
    return code;
  },
};
