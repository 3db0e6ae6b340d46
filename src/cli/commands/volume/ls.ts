import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const volumeListCommand: CommandDefinition = {
  path: ['volume', 'ls'],
  aliases: [['volume', 'list']],
  describe: 'List volumes',
  synopsis: '[options]',
  examples: [
    ['skiff volume ls', 'every volume: DRIVER and VOLUME NAME'],
    ["skiff volume ls --filter label=app=web --format '{{.Name}} {{.Mountpoint}}'", 'names and host paths of the volumes labelled app=web'],
    ['skiff volume ls -q --filter dangling=true', 'the names of volumes no container uses'],
  ],
  options: {
    filter: { alias: 'f', type: 'string', array: true, describe: 'Filter volume output: name=REGEX, driver=local, scope=local, label=KEY[=VALUE], label!=KEY[=VALUE], opt=KEY[=VALUE], dangling=true|false, until=TIMESTAMP|DURATION' },
    format: { type: 'string', describe: 'Format volume output using JSON or a Go template' },
    noheading: { alias: 'n', type: 'boolean', default: false, describe: 'Do not print headers' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Print volume output in quiet mode (names only)' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, global) {
    const { listVolumes, parseVolumeFilters, volumeStore } = await import('../../../engine/volume/volumes.js');
    const { VolumeView, VOLUME_COLUMNS } = await import('../../output/views/volume-view.js');
    const filters = parseVolumeFilters(((args.filter as string[] | undefined) ?? []).map(String));
    const ctx = await engineContext(global);
    const store = volumeStore(ctx);
    const volumes = await listVolumes(ctx, filters);
    printText(await renderListing(volumes.map((v) => new VolumeView(v, store.dataDir(v.name))), VOLUME_COLUMNS, {
      format: args.format as string | undefined,
      quiet: Boolean(args.quiet),
      quietField: 'Name',
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
