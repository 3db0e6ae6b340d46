import { InvalidArgumentError } from '../../../util/errors.js';
import type { CommandDefinition } from '../../command.js';
import { printText } from '../../output/print.js';

export const logoutCommand: CommandDefinition = {
  path: ['logout'],
  aliases: [],
  describe: 'Log out of a container registry',
  synopsis: '[options] [REGISTRY]',
  examples: [
    ['skiff logout quay.io', 'removes the stored credentials for quay.io'],
    ['skiff logout --all', 'removes the credentials for every registry'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove the cached credentials for all registries in the auth file' },
    authfile: { type: 'string', describe: 'Path of the authentication file (default $REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)' },
  },
  positionals: { min: 0, max: 1 },
  async run(args) {
    const { logout } = await import('../../../engine/system/login.js');
    const all = Boolean(args.all);
    if (all && args._.length) throw new InvalidArgumentError('--all takes no registry');
    if (!all && !args._.length) throw new InvalidArgumentError('a registry must be given, or --all');
    const key = await logout({ registry: args._[0], all, authFile: args.authfile as string | undefined });
    printText(all ? 'Removed login credentials for all registries\n' : `Removed login credentials for ${key}\n`);
    return 0;
  },
};
