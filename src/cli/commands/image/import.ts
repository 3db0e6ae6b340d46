import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';

export const importCommand: CommandDefinition = {
  path: ['image', 'import'],
  aliases: [['import']],
  describe: 'Import a tarball to create a filesystem image',
  synopsis: '[options] PATH|URL [REFERENCE]',
  examples: [
    ['skiff import busybox-rootfs.tar localhost/bb', 'a root filesystem tarball becomes the image localhost/bb:latest'],
    ['skiff import http://127.0.0.1:8000/rootfs.tar.gz localhost/web', 'downloads an http(s) URL first, then imports it'],
    ["skiff import -c 'CMD [\"/bin/sh\"]' - bb < rootfs.tar", 'from stdin, with a default command'],
  ],
  options: {
    change: { alias: 'c', type: 'string', array: true, describe: 'Apply the given Containerfile instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE)' },
    message: { alias: 'm', type: 'string', describe: 'Set commit message for imported image' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress the progress output' },
  },
  positionals: { min: 1, max: 2 },
  // Extraction must chown files to the tar's owners: root in the user namespace.
  userns: true,
  async run(args, global) {
    const { importImage } = await import('../../../engine/image/images.js');
    const { blobDoneLine, configDoneLine, copyLines, WRITING_MANIFEST } = await import('../../output/progress.js');
    const ctx = await engineContext(global);
    // As podman: the copy progress on stderr unless -q; the id alone on stdout.
    const say = copyLines(Boolean(args.quiet));
    const image = await importImage(ctx, {
      source: args._[0],
      reference: args._[1],
      changes: ((args.change as string[] | undefined) ?? []).map(String),
      message: args.message as string | undefined,
      progress: (event) => {
        if (event.kind === 'blob') say(blobDoneLine(event.digest));
        else if (event.kind === 'config') say(configDoneLine(event.digest));
        else say(WRITING_MANIFEST);
      },
    });
    printText(`sha256:${image.id}\n`);
    return 0;
  },
};
