// The current user's subordinate id ranges, read straight from /etc/subuid
// and /etc/subgid (matched by name or numeric id, as shadow-utils does), so
// tests expect the host's real mapping instead of one CI user's numbers.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';

export interface SubIdRange {
  start: number;
  count: number;
}

/**
 * The current user's ranges from /etc/subuid (or /etc/subgid), in file order.
 * Throws when there is none: the tests that call this check the sub-id
 * mapping, and CI always gives the test user a range, so a missing one is a
 * broken setup, not a reason to pass.
 */
export async function subIdRanges(kind: 'uid' | 'gid' = 'uid'): Promise<SubIdRange[]> {
  const file = `/etc/sub${kind}`;
  const { username, uid } = userInfo();
  const text = await readFile(file, 'utf8');
  const ranges: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== username && owner !== String(uid)) continue;
    ranges.push({ start: Number(start), count: Number(count) });
  }
  if (ranges.length === 0) throw new Error(`no ${file} range for ${username} (uid ${uid}): the test needs one`);
  return ranges;
}

/** The first host id of the user's first range: what id 1 in the container maps to. */
export async function subIdBase(kind: 'uid' | 'gid' = 'uid'): Promise<number> {
  return (await subIdRanges(kind))[0]!.start;
}
