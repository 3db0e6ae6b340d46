import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const systemMigrateCommand: CommandDefinition = {
  path: ['system', 'migrate'],
  aliases: [],
  describe: 'Migrate containers: stop them and end the rootless user namespace, so that the next command makes it afresh (after a change of /etc/subuid or /etc/subgid); with --new-runtime move every container to another OCI runtime',
  synopsis: '[options]',
  examples: [
    ['skiff system migrate', 'after editing /etc/subuid: running containers are stopped, the namespace is made again'],
    ['skiff system migrate --new-runtime crun', 'every container runs with crun from now on'],
  ],
  options: {
    'new-runtime': { type: 'string', describe: 'Specify a new runtime for all containers (a name or a path)' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    const { systemMigrate } = await import('../../../engine/system/migrate.js');
    const newRuntime = args['new-runtime'] === undefined ? undefined : String(args['new-runtime']);
    await systemMigrate(await engineContext(global), { newRuntime });
    return 0;
  },
};
