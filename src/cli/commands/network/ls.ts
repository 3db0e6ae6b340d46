import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const networkListCommand: CommandDefinition = {
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  describe: 'List networks',
  synopsis: '[options]',
  examples: [
    ['skiff network ls', 'every network, the default podman one included'],
    ["skiff network ls --filter label=app=web --format '{{.Name}} {{.Subnets}}'", 'names and subnets of the networks labelled app=web'],
    ['skiff network ls -q --filter dangling=true', 'the names of networks no container uses'],
  ],
  options: {
    filter: { alias: 'f', type: 'string', array: true, describe: 'Provide filter values: name=REGEX, id=PREFIX, driver=bridge, label=KEY[=VALUE], label!=KEY[=VALUE], dangling=true|false, until=TIMESTAMP|DURATION' },
    format: { type: 'string', describe: 'Pretty-print networks to JSON or using a Go template' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate the network ID' },
    noheading: { type: 'boolean', default: false, describe: 'Do not print headers' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Display only network names' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, global) {
    const { listNetworks, parseNetworkFilters } = await import('../../../engine/network/networks.js');
    const { NetworkView, NETWORK_COLUMNS } = await import('../../output/views/network-view.js');
    const filters = parseNetworkFilters(((args.filter as string[] | undefined) ?? []).map(String));
    const networks = await listNetworks(await engineContext(global), filters);
    printText(await renderListing(networks.map((n) => new NetworkView(n, Boolean(args['no-trunc']))), NETWORK_COLUMNS, {
      format: args.format as string | undefined,
      // podman's -q lists names, not ids.
      quiet: Boolean(args.quiet),
      quietField: 'Name',
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
