import { parseArgs, type ParseArgsConfig } from "node:util";

import { LinuxKitError } from "../errors/errors";

/**
 * LinuxKit's own CLI takes Go-style single-dash long flags (`-format`,
 * `-dir`); accept them too, so existing scripts work unchanged.
 */
export function normaliseFlags(args: string[], longNames: string[]): string[] {
  const names = new Set(longNames);
  return args.map((a) => {
    const m = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(a);
    return m && names.has(m[1]!) ? `-${a}` : a;
  });
}

/** node:util parseArgs with LinuxKit-style flags and errors as USAGE errors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({
      args: normaliseFlags(args, Object.keys(options)),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new LinuxKitError("USAGE", (e as Error).message, { hint: usage });
  }
}
