/** Finding the external commands some formats run (mkfs, xorriso, qemu-img, ...). */
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { LinuxKitError } from "../../errors/errors";

/** The absolute path of `command` on `searchPath` (default `$PATH`), or undefined. */
export async function findOnPath(
  command: string,
  searchPath: string = process.env.PATH ?? "",
): Promise<string | undefined> {
  const candidates = command.includes("/")
    ? [path.resolve(command)]
    : searchPath
        .split(path.delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/**
 * The absolute path of `command`; a TOOL_MISSING error naming the Debian
 * package to install when it is not on `$PATH`.
 */
export async function requireTool(
  command: string,
  debianPackage: string,
  searchPath?: string,
): Promise<string> {
  const found = await findOnPath(command, searchPath);
  if (found !== undefined) return found;
  const install = `apt-get install ${debianPackage}`;
  throw new LinuxKitError("TOOL_MISSING", `${command} not found: install it with \`${install}\``, {
    hint: `run \`${install}\` (or put ${command} on PATH)`,
  });
}
