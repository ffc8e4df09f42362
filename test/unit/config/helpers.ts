import assert from "node:assert/strict";
import { LinuxKitError, LinuxKitErrors } from "../../../components/errors/errors";

/** The errors `fn` throws (a LinuxKitErrors' list, or the one LinuxKitError); fails if it does not throw one. */
export function errorsOf(fn: () => unknown): LinuxKitError[] {
  try {
    fn();
  } catch (e) {
    return unpack(e);
  }
  assert.fail("expected a LinuxKitError to be thrown");
}

/** Like {@link errorsOf} for a promise. */
export async function errorsOfAsync(promise: Promise<unknown>): Promise<LinuxKitError[]> {
  try {
    await promise;
  } catch (e) {
    return unpack(e);
  }
  assert.fail("expected a LinuxKitError to be thrown");
}

function unpack(e: unknown): LinuxKitError[] {
  if (e instanceof LinuxKitErrors) return e.errors;
  if (e instanceof LinuxKitError) return [e];
  throw e;
}
