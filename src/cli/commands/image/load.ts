import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { copyLines } from '../../output/progress.js';

export const loadCommand: CommandDefinition = {
  path: ['image', 'load'],
  aliases: [['load']],
  describe: 'Load image(s) from a tar archive',
  synopsis: '[options]',
  examples: [
    ['skiff load -i bb.tar', 'a docker-archive or oci-archive, as save writes them'],
    ['skiff load < bb.tar', 'from stdin'],
    ['skiff load -i ./bb-layout', 'an OCI layout directory'],
  ],
  options: {
    input: { alias: 'i', type: 'string', describe: 'Read from specified archive file or OCI layout directory (default: stdin)' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress the progress output' },
  },
  positionals: { min: 0, max: 0 },
  // Layers are extracted with their owners: root of the user namespace.
  userns: true,
  async run(args, global) {
    const input = args.input as string | undefined;
    if (input === undefined && process.stdin.isTTY) {
      throw new InvalidArgumentError('cannot read from terminal, use command-line redirection or the --input flag');
    }
    const { loadImages } = await import('../../../engine/image/load.js');
    const ctx = await engineContext(global);
    const quiet = Boolean(args.quiet);
    const say = copyLines(quiet);
    const images = await loadImages(ctx, {
      input,
      stdin: process.stdin,
      progress: (event) => {
        if (event.kind === 'blob' && event.state === 'exists') say(`Copying blob ${event.digest.slice(7, 19)} skipped: already exists`);
        else if (event.kind === 'blob') say(`Copying blob ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'config') say(`Copying config ${event.digest.slice(7, 19)} done`);
        else say('Writing manifest to image destination');
      },
    });
    printLines(images.flatMap((image) => (image.names.length ? image.names : [`sha256:${image.id}`]).map((name) => `Loaded image: ${name}`)));
    return 0;
  },
};
