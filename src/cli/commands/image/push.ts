import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { REGISTRY_OPTIONS } from '../../options/pull-options.js';

export const pushCommand: CommandDefinition = {
  path: ['image', 'push'],
  aliases: [['push']],
  describe: 'Push an image to a registry',
  synopsis: '[options] IMAGE [DESTINATION]',
  examples: [
    ['skiff push --tls-verify=false 127.0.0.1:5000/bb:latest', 'to the registry in the image name'],
    ['skiff push localhost/bb docker://quay.io/me/bb:1.0', 'under another name'],
    ['skiff push --compression-format zstd --digestfile d.txt quay.io/me/bb', 'with zstd layers, saving the manifest digest'],
  ],
  options: {
    ...REGISTRY_OPTIONS,
    'compression-format': { type: 'string', choices: ['gzip', 'zstd'], describe: 'Compression format to use for the layers: uncompressed ones are compressed to it (gzip by default), compressed ones recompressed' },
    digestfile: { type: 'string', describe: 'Write the digest of the pushed image manifest to the specified file' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress output information when pushing images' },
  },
  positionals: { min: 1, max: 2 },
  async run(args, global) {
    const { pushImageToRegistry } = await import('../../../engine/image/push.js');
    const ctx = await engineContext(global);
    const quiet = Boolean(args.quiet);
    const say = (line: string) => {
      if (!quiet) process.stderr.write(line + '\n');
    };
    say('Getting image source signatures');
    await pushImageToRegistry(ctx, {
      image: args._[0],
      destination: args._[1],
      tlsVerify: args['tls-verify'] as boolean | undefined,
      creds: args.creds as string | undefined,
      certDir: args['cert-dir'] as string | undefined,
      compressionFormat: args['compression-format'] as 'gzip' | 'zstd' | undefined,
      digestFile: args.digestfile as string | undefined,
      progress: (event) => {
        if (event.kind === 'blob' && event.state === 'exists') say(`Copying blob ${event.digest.slice(7, 19)} skipped: already exists`);
        else if (event.kind === 'blob' && event.state === 'done') say(`Copying blob ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'config') say(`Copying config ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'writing') say('Writing manifest to image destination');
      },
    });
    return 0;
  },
};
