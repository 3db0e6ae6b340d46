import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const containerExistsCommand: CommandDefinition = {
  path: ['container', 'exists'],
  aliases: [],
  describe: 'Check if a container exists in local storage (exit 0 if it does, 1 if not)',
  synopsis: '[options] CONTAINER',
  examples: [['skiff container exists web || skiff run -d --name web localhost/bb httpd -f', 'for scripts: no output, only the exit code']],
  options: {
    // podman's --external also finds containers other tools (buildah) keep in the same storage; skiff's store has none.
    external: { type: 'boolean', default: false, describe: 'Check external storage containers as well (skiff keeps none, so the answer is the same)' },
  },
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { containerExists } = await import('../../../engine/container/exists.js');
    return (await containerExists(await engineContext(global), args._[0])) ? 0 : 1;
  },
};
