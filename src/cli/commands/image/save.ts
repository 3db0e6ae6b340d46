import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { copyLines } from '../../output/progress.js';

export const saveCommand: CommandDefinition = {
  path: ['image', 'save'],
  aliases: [['save']],
  describe: 'Save image(s) to an archive',
  synopsis: '[options] IMAGE [IMAGE...]',
  examples: [
    ['skiff save -o bb.tar localhost/bb', 'a docker-archive, as docker save writes it'],
    ['skiff save --format oci-archive -o bb-oci.tar localhost/bb', 'an OCI image layout in a tar'],
    ['skiff save -m -o both.tar localhost/bb localhost/other', 'several images in one docker-archive'],
    ['skiff save localhost/bb | gzip > bb.tar.gz', 'to stdout'],
  ],
  options: {
    output: { alias: 'o', type: 'string', describe: 'Write to a specified file (default: stdout, which must be redirected)' },
    format: { type: 'string', default: 'docker-archive', choices: ['docker-archive', 'oci-archive', 'oci-dir'], describe: 'Save image to docker-archive, oci-archive (OCI layout in a tar) or oci-dir (OCI layout directory)' },
    'multi-image-archive': { alias: 'm', type: 'boolean', default: false, describe: 'Interpret additional arguments as images not tags and create a multi-image docker-archive' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress the output' },
  },
  positionals: { min: 1 },
  async run(args, global) {
    const output = args.output as string | undefined;
    // As podman: an archive on a terminal is garbage, so refuse it.
    if (!output && process.stdout.isTTY) {
      throw new InvalidArgumentError('refusing to save to terminal. Use -o flag or redirect');
    }
    const { saveImages } = await import('../../../engine/image/save.js');
    const ctx = await engineContext(global);
    const quiet = Boolean(args.quiet);
    const say = copyLines(quiet);
    await saveImages(ctx, {
      images: args._,
      format: args.format as 'docker-archive' | 'oci-archive' | 'oci-dir',
      multiImageArchive: Boolean(args['multi-image-archive']),
      output,
      stdout: process.stdout,
      progress: (event) => {
        if (event.kind === 'blob') say(`Copying blob ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'config') say(`Copying config ${event.digest.slice(7, 19)} done`);
        else say('Writing manifest to image destination');
      },
    });
    return 0;
  },
};
