import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const cpCommand: CommandDefinition = {
  path: ['container', 'cp'],
  aliases: [['cp']],
  describe: 'Copy files/folders between a container and the local filesystem',
  synopsis: '[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH',
  examples: [
    ['skiff cp ./app.conf web:/etc/app/', 'copy a host file into the directory /etc/app of the container web'],
    ['skiff cp web:/var/log/. ./logs', 'copy what /var/log holds into ./logs (created when missing)'],
    ['skiff cp web:/etc - | tar -t', 'a tar stream of /etc on stdout'],
    ['skiff cp - web:/srv < site.tar', 'unpack a tar archive from stdin into /srv'],
  ],
  options: {
    archive: { alias: 'a', type: 'boolean', default: true, describe: 'Chown copied files to the primary uid/gid of the destination container' },
    overwrite: { type: 'boolean', default: false, describe: 'Allow to overwrite directories with non-directories and vice versa' },
    // Accepted for podman's scripts; nothing here can freeze a container yet.
    pause: { type: 'boolean', default: true, describe: 'Pause the container while copying (podman\'s default); skiff copies from and into a running container without freezing it, either way' },
  },
  positionals: { min: 2, max: 2 },
  // Files of every sub-id must be readable and writable, and a stopped container's rootfs mounted.
  userns: true,
  async run(args, global) {
    const [source, destination] = args._;
    if (destination === '-' && process.stdout.isTTY) {
      throw new InvalidArgumentError('refusing to write a tar archive to a terminal: redirect stdout');
    }
    const { copyContainerFiles } = await import('../../../engine/container/cp.js');
    const ctx = await engineContext(global);
    await copyContainerFiles(ctx, {
      source,
      destination,
      archive: args.archive !== false,
      overwrite: Boolean(args.overwrite),
      stdin: process.stdin,
      stdout: process.stdout,
    });
    return 0;
  },
};
