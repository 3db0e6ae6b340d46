import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const commitCommand: CommandDefinition = {
  path: ['container', 'commit'],
  aliases: [['commit']],
  describe: 'Create new image based on the changed container',
  synopsis: '[options] CONTAINER [IMAGE]',
  examples: [
    ['skiff commit web localhost/web:v2', "the container's changes as a new layer of localhost/web:v2"],
    ["skiff commit -f docker -c 'CMD [\"/bin/httpd\",\"-f\"]' -m 'add the site' -a 'Ann <ann@example.com>' web web:v2", 'with a new default command, a message and an author'],
    ['skiff commit --squash -q web web:flat', 'one layer holding the whole file system; prints the id only'],
  ],
  options: {
    change: { alias: 'c', type: 'string', array: true, describe: 'Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | USER | WORKDIR' },
    message: { alias: 'm', type: 'string', describe: 'Set commit message for imported image (with --format docker only)' },
    author: { alias: 'a', type: 'string', describe: 'Set the author for the image committed' },
    pause: { alias: 'p', type: 'boolean', default: true, describe: 'Pause container during commit' },
    format: { alias: 'f', type: 'string', default: 'oci', describe: '`Format` of the image manifest and metadata (oci or docker)' },
    squash: { type: 'boolean', default: false, describe: 'Squash the image layers into a single layer' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress output' },
  },
  positionals: { min: 1, max: 2 },
  // Files of sub-ids are read, and the new layer extracted with its owners.
  userns: true,
  async run(args, global) {
    const format = String(args.format ?? 'oci');
    if (format !== 'oci' && format !== 'docker') throw new InvalidArgumentError(`unrecognized image format "${format}"`);
    // As podman: the OCI config has no place for a commit message.
    if (args.message !== undefined && format !== 'docker') throw new InvalidArgumentError('messages are only compatible with the docker image format (-f docker)');
    const { commitContainer } = await import('../../../engine/container/commit.js');
    const { blobDoneLine, configDoneLine, copyLines, WRITING_MANIFEST } = await import('../../output/progress.js');
    const say = copyLines(Boolean(args.quiet));
    const report = await commitContainer(await engineContext(global), {
      container: args._[0],
      reference: args._[1],
      changes: ((args.change as string[] | undefined) ?? []).map(String),
      message: args.message as string | undefined,
      author: args.author as string | undefined,
      pause: args.pause !== false,
      format,
      squash: Boolean(args.squash),
      progress: (event) => {
        if (event.kind === 'blob') say(blobDoneLine(event.digest));
        else if (event.kind === 'config') say(configDoneLine(event.digest));
        else say(WRITING_MANIFEST);
      },
    });
    printText(`${report.id}\n`);
    return 0;
  },
};
