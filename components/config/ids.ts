/**
 * Container uids/gids. LinuxKit gives each container an id, counting up
 * from 100 through `onboot`, then `onshutdown`, then `services` (init
 * images and volumes get none), so `uid: <name>` in an entry or a file
 * refers to that container's id. A name used twice maps to the id of its
 * last use, as in LinuxKit.
 */
import type { LinuxKitSpec, LinuxKitSpecFragment } from "./types";

/** The first id handed out. */
export const FIRST_CONTAINER_ID = 100;

/** Container name → id, for `uid`/`gid`/`additionalGids` given by name. */
export function resolveContainerIds(
  spec: Pick<LinuxKitSpec | LinuxKitSpecFragment, "onboot" | "onshutdown" | "services">,
): Map<string, number> {
  const ids = new Map<string, number>();
  let next = FIRST_CONTAINER_ID;
  for (const entry of [...spec.onboot, ...spec.onshutdown, ...spec.services]) {
    // A missing name only happens while collecting errors; its id is still used up.
    if (typeof entry.name === "string") ids.set(entry.name, next);
    next++;
  }
  return ids;
}

/**
 * A numeric id for a `uid`/`gid` value: numbers as they are, `""` and
 * `root` → 0, unset → 0, other strings looked up in `ids`. Undefined when
 * the name is unknown (a quoted number such as `"1000"` is a name, as in
 * LinuxKit).
 */
export function resolveId(
  value: number | string | undefined,
  ids: ReadonlyMap<string, number>,
): number | undefined {
  if (value === undefined || value === "" || value === "root") return 0;
  if (typeof value === "number") return value;
  return ids.get(value);
}
