/**
 * Waiting for a condition in tests without guessing how long it takes:
 * the condition is checked at once, then every `everyMs` until it holds or
 * the deadline passes, and a timeout names what was awaited. For what has
 * no promise or event to wait on (another process's state in /proc, files
 * a component removes in the background).
 */

export interface WaitOptions {
  /** What is awaited, for the timeout message ("the scratch folder to be empty"). */
  what: string;
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Pause between checks. Default 20 ms. */
  everyMs?: number;
}

/** Resolves once `condition()` is true; rejects naming `what` after the deadline. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { what, timeoutMs = 10_000, everyMs = 20 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
