import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printError, printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';
import { InvalidArgumentError, SkiffError } from '../../../util/errors.js';

export const volumeInspectCommand: CommandDefinition = {
  path: ['volume', 'inspect'],
  aliases: [],
  describe: 'Display detailed information on one or more volumes',
  synopsis: '[options] VOLUME [VOLUME...]',
  examples: [
    ['skiff volume inspect data', "the volume's JSON document"],
    ["skiff volume inspect --format '{{.Mountpoint}}' data", 'where its data is on the host'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Inspect all volumes' },
    format: { alias: 'f', type: 'string', describe: "Format volume output using JSON or a Go template ('{{.Name}}')" },
  },
  positionals: { min: 0 },
  async run(args, global) {
    if (args.all && args._.length) throw new InvalidArgumentError('when using the --all switch, you may not pass any volume names or IDs');
    if (!args.all && !args._.length) throw new InvalidArgumentError('provide one or more volume names or use --all');
    const { getVolume, listVolumes, volumeStore } = await import('../../../engine/volume/volumes.js');
    const { VolumeView } = await import('../../output/views/volume-view.js');
    const ctx = await engineContext(global);
    const store = volumeStore(ctx);
    const found = args.all ? await listVolumes(ctx) : [];
    let code = 0;
    for (const target of args._.map(String)) {
      try {
        found.push(await getVolume(ctx, target));
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        printError(`inspecting object: no such volume ${target}`);
        code = 125;
      }
    }
    const views = found.map((v) => new VolumeView(v, store.dataDir(v.name)));
    const format = args.format as string | undefined;
    if (!format || format === 'json') printText(JSON.stringify(views, null, 5) + '\n');
    else for (const v of views) printText(await renderDocument(v, format));
    return code;
  },
};
