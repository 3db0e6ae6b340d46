import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { PLATFORM_OPTIONS, REGISTRY_OPTIONS } from '../../options/pull-options.js';

export const pullCommand: CommandDefinition = {
  path: ['image', 'pull'],
  aliases: [['pull']],
  describe: 'Pull an image from a registry',
  synopsis: '[options] IMAGE',
  examples: [
    ['skiff pull 127.0.0.1:5000/bb:latest --tls-verify=false', 'from a local plain-HTTP registry'],
    ['skiff pull --platform linux/arm64 docker.io/library/alpine', 'another platform of a multi-arch image'],
  ],
  options: {
    ...REGISTRY_OPTIONS,
    ...PLATFORM_OPTIONS,
    os: { type: 'string', describe: 'Use OS instead of the running OS for choosing images' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress output information when pulling images' },
  },
  positionals: { min: 1, max: 1 },
  // Layers are extracted with their owners: root of the user namespace.
  userns: true,
  async run(args, global) {
    const { pullImageFromRegistry } = await import('../../../engine/image-pull.js');
    const ctx = await engineContext(global);
    const quiet = Boolean(args.quiet);
    const say = (line: string) => {
      if (!quiet) process.stderr.write(line + '\n');
    };
    const image = await pullImageFromRegistry(ctx, {
      reference: args._[0],
      tlsVerify: args['tls-verify'] as boolean | undefined,
      creds: args.creds as string | undefined,
      certDir: args['cert-dir'] as string | undefined,
      platform: args.platform as string | undefined,
      os: args.os as string | undefined,
      arch: args.arch as string | undefined,
      variant: args.variant as string | undefined,
      // One line per candidate: a short name is tried on each search registry.
      onTrying: (name) => {
        say(`Trying to pull ${name}...`);
        say('Getting image source signatures');
      },
      progress: (event) => {
        if (event.kind === 'blob' && event.state === 'exists') say(`Copying blob ${event.digest.slice(7, 19)} skipped: already exists`);
        else if (event.kind === 'blob' && event.state === 'done') say(`Copying blob ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'config') say(`Copying config ${event.digest.slice(7, 19)} done`);
        else if (event.kind === 'writing') say('Writing manifest to image destination');
      },
    });
    printText(`${image.id}\n`);
    return 0;
  },
};
