import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).map(String);

/** KEY=VALUE flags (--label, --opt) into a record; a bare KEY has an empty value. */
function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    if (at === 0) throw new InvalidArgumentError(`invalid ${flag} "${v}": the key is empty`);
    out[at < 0 ? v : v.slice(0, at)] = at < 0 ? '' : v.slice(at + 1);
  }
  return out;
}

export const volumeCreateCommand: CommandDefinition = {
  path: ['volume', 'create'],
  aliases: [],
  describe: 'Create a new volume',
  synopsis: '[options] [NAME]',
  examples: [
    ['skiff volume create data', 'a volume named data, kept until removed'],
    ['skiff volume create -l app=web -o uid=1000 -o gid=1000 cache', 'labelled, its data owned by 1000:1000 inside containers'],
    ['skiff volume create -o type=tmpfs -o device=tmpfs -o o=size=64m scratch', 'a tmpfs mounted while containers use it'],
  ],
  options: {
    driver: { alias: 'd', type: 'string', default: 'local', describe: 'Volume driver (local, the only one)' },
    label: { alias: 'l', type: 'string', array: true, describe: 'Set metadata for a volume (KEY=VALUE)' },
    opt: { alias: 'o', type: 'string', array: true, describe: 'Set driver specific options: type=, device=, o= (mount options), uid=, gid=, size=, nocopy' },
    ignore: { type: 'boolean', default: false, describe: "Don't fail if the volume already exists" },
  },
  positionals: { min: 0, max: 1 },
  async run(args, global) {
    const { createVolume } = await import('../../../engine/volume/volumes.js');
    const volume = await createVolume(await engineContext(global), {
      name: args._[0] === undefined ? undefined : String(args._[0]),
      driver: String(args.driver ?? 'local'),
      labels: keyValues(list(args.label), 'label'),
      options: keyValues(list(args.opt), 'option'),
      anonymous: false,
      ignore: Boolean(args.ignore),
    });
    printText(volume.name + '\n');
    return 0;
  },
};
