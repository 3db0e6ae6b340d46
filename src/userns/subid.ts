import { readFileSync } from 'node:fs';

export interface SubIdRange {
  start: number;
  count: number;
}

/**
 * Parses /etc/subuid or /etc/subgid content and returns the ranges that belong
 * to the user, matched by name or by numeric id as shadow-utils does.
 */
export function parseSubIds(content: string, userName: string, id: number): SubIdRange[] {
  const ranges: SubIdRange[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [owner, start, count] = line.split(':');
    if (owner !== userName && owner !== String(id)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (Number.isInteger(range.start) && Number.isInteger(range.count) && range.count > 0) ranges.push(range);
  }
  return ranges;
}

export function readSubIds(file: string, userName: string, id: number): SubIdRange[] {
  try {
    return parseSubIds(readFileSync(file, 'utf8'), userName, id);
  } catch {
    return [];
  }
}

/**
 * The newuidmap/newgidmap arguments that map 0 to the user and 1.. to the
 * user's subordinate ranges, in order, up to 65536 ids in all (as podman does).
 */
export function idMapArgs(ownId: number, ranges: SubIdRange[]): string[] {
  const args = ['0', String(ownId), '1'];
  let inside = 1;
  for (const r of ranges) {
    args.push(String(inside), String(r.start), String(r.count));
    inside += r.count;
  }
  return args;
}
