import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import {
  TerminalProgress, WRITING_MANIFEST, blobBarLine, blobDoneLine, blobExistsLine, configDoneLine, progressMode,
} from '../../output/progress.js';
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
    const { pullImageFromRegistry } = await import('../../../engine/image/pull.js');
    const ctx = await engineContext(global);
    const mode = progressMode(Boolean(args.quiet), process.stderr.isTTY);
    // On a terminal, bars redrawn in place; otherwise podman's plain lines.
    const terminal = mode === 'tty' ? new TerminalProgress(process.stderr) : undefined;
    const say = (line: string) => {
      if (terminal) terminal.log(line);
      else if (mode === 'plain') process.stderr.write(line + '\n');
    };
    let image;
    try {
      image = await pullImageFromRegistry(ctx, {
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
          if (event.kind === 'blob') {
            if (terminal) {
              if (event.state === 'copying') terminal.set(event.digest, blobBarLine(event.digest, 0, event.size, terminal.columns), true);
              else if (event.state === 'progress') terminal.set(event.digest, blobBarLine(event.digest, event.done, event.size, terminal.columns), true);
              else terminal.set(event.digest, event.state === 'exists' ? blobExistsLine(event.digest) : blobDoneLine(event.digest), false);
            } else if (event.state === 'exists') say(blobExistsLine(event.digest));
            else if (event.state === 'done') say(blobDoneLine(event.digest));
          } else if (event.kind === 'config') say(configDoneLine(event.digest));
          else if (event.kind === 'writing') say(WRITING_MANIFEST);
        },
      });
    } finally {
      terminal?.finish();
    }
    printText(`${image.id}\n`);
    return 0;
  },
};
