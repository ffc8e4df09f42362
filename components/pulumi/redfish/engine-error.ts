import { LinuxKitError } from "../../errors/errors";

/**
 * An error for the engine: the hint on the same line as the message (the
 * engine shows only the message, and only its first line for a failed
 * delete), prefixed with what was being done.
 */
export function forEngine(e: unknown, doing: string): Error {
  if (e instanceof LinuxKitError) {
    const hint = e.hint === undefined ? "" : ` (hint: ${e.hint})`;
    return new Error(`${doing}: ${e.message}${hint}`, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new Error(`${doing}: ${message}`, { cause: e });
}

/**
 * An error that makes the engine record the resource as created (or
 * updated) but failed, with these outputs, instead of forgetting it.
 */
export function recordedFailure<O>(e: unknown, doing: string, id: string, properties: O): Error {
  const err = forEngine(e, doing) as Error & { id?: string; properties?: O; reasons?: string[] };
  err.id = id;
  err.properties = JSON.parse(JSON.stringify(properties)) as O;
  err.reasons = [err.message];
  return err;
}
