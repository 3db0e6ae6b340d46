import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines } from '../../output/print.js';

export const portCommand: CommandDefinition = {
  path: ['container', 'port'],
  aliases: [['port']],
  describe: 'List port mappings or a specific mapping for the container',
  synopsis: '[options] CONTAINER [PRIVATE[/PROTO]]',
  examples: [
    ['skiff port web', 'every published port of web, as 80/tcp -> 0.0.0.0:8080'],
    ['skiff port web 80/tcp', 'the host address that container port 80/tcp is published on'],
    ['skiff port -a', 'the published ports of all running containers'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Display port information for all containers' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
  },
  positionals: { min: 0, max: 2 },
  async run(args, global) {
    const { InvalidArgumentError, SkiffError } = await import('../../../util/errors.js');
    if (args.all && args.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
    if (args.all && args._.length) throw new InvalidArgumentError('no arguments are needed with --all');
    if (!args.all && !args.latest && !args._.length) throw new InvalidArgumentError('you must supply a running container name or id');
    if (args.latest && args._.length > 1) throw new InvalidArgumentError('with --latest, give only PRIVATE[/PROTO]');
    // With --latest the only argument is the port, as podman's.
    const portArg = args.latest ? args._[0] : args._[1];
    const { containerPorts, formatPorts, parsePortQuery } = await import('../../../engine/container/port.js');
    const query = portArg === undefined ? undefined : parsePortQuery(portArg);
    const reports = await containerPorts(await engineContext(global), args.latest ? undefined : args._[0], { all: Boolean(args.all), latest: Boolean(args.latest) });
    const { lines, found } = formatPorts(reports, { all: Boolean(args.all), query });
    printLines(lines);
    if (query && reports.length && !found) throw new SkiffError('ENOPORT', `failed to find published port "${portArg}"`);
    return 0;
  },
};
