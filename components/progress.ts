/**
 * Progress of a long operation (a build's stages, a VM's readiness wait, a
 * rollout's waves, a Metal device's provisioning), told to whoever runs it.
 * The provider plugin sets a listener per engine call, which forwards each
 * line to `pulumi up`'s output; elsewhere (dynamic resources, the CLI's own
 * logging aside) the lines go nowhere. Runtime-neutral: no Pulumi imports.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type ProgressListener = (line: string) => void;

const listeners = new AsyncLocalStorage<ProgressListener>();

/** Runs `work` with `listener` receiving every {@link progress} line it reports. */
export function withProgress<T>(listener: ProgressListener, work: () => Promise<T>): Promise<T> {
  return listeners.run(listener, work);
}

/** Reports one line of progress to the current operation's listener, if any. */
export function progress(line: string): void {
  const listener = listeners.getStore();
  if (listener === undefined) return;
  try {
    listener(line);
  } catch {
    // Progress is advisory: a listener that fails never fails the operation.
  }
}
