import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestEnv } from '../../helpers/skiff.js';

/**
 * Records in a created container that it mounts `volume` at `destination`,
 * as `create -v NAME:DEST` records it (ContainerRecord.volumes). The
 * volume commands read only that record to find a volume's users; this
 * lets their tests run on their own until `-v` can make such containers.
 */
export async function recordVolumeUse(env: TestEnv, id: string, volume: string, destination = '/data'): Promise<void> {
  const file = join(env.root, 'containers', id, 'config.json');
  const record = JSON.parse(await readFile(file, 'utf8')) as { volumes?: unknown[] };
  record.volumes = [...(record.volumes ?? []), { name: volume, destination, anonymous: false }];
  await writeFile(file, JSON.stringify(record));
}
