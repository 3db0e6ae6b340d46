/**
 * One range of a user namespace's id map: `size` ids from `containerID`
 * inside are `hostID`.. in the namespace the runtime runs in. Rootless,
 * that is skiff's own user namespace (0 = the user, 1.. = the user's
 * /etc/subuid range), not the host: as podman's --uidmap.
 */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface IdMappings {
  uidMap: IdMap[];
  gidMap: IdMap[];
}

/**
 * The id in skiff's namespace that container id `id` is, under `map`; the
 * overflow id 65534 when it is not mapped (as the kernel shows it).
 */
export function toOuterId(map: readonly IdMap[], id: number): number {
  for (const m of map) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return 65534;
}

/** The inverse of toOuterId: the container id an id of skiff's namespace appears as; 65534 when unmapped. */
export function toInnerId(map: readonly IdMap[], id: number): number {
  for (const m of map) if (id >= m.hostID && id < m.hostID + m.size) return m.containerID + (id - m.hostID);
  return 65534;
}
