import { StringDecoder } from "node:string_decoder";

import { EngineReplyError } from "./docker-errors";
import type { PullEvent } from "./engine";

/**
 * Reads the engine's pull progress (one JSON object a line) to its end,
 * passing each event on. Resolves when the pull succeeded; rejects with
 * the engine's words when a line carries `error`/`errorDetail`, and with
 * the stream's error when the connection breaks.
 */
export async function followPull(
  stream: AsyncIterable<Buffer | string>,
  onEvent?: (event: PullEvent) => void,
): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let failure: string | undefined;
  const take = (line: string): void => {
    const text = line.trim();
    if (text === "") return;
    let event: PullEvent;
    try {
      event = JSON.parse(text) as PullEvent;
    } catch {
      throw new EngineReplyError(
        `the engine's pull progress has a line that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (failure === undefined && (event.error !== undefined || event.errorDetail !== undefined)) {
      failure = event.errorDetail?.message || event.error || "the engine reported a failed pull";
    }
    onEvent?.(event);
  };
  for await (const chunk of stream) {
    pending += typeof chunk === "string" ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      take(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  }
  take(pending + decoder.end());
  if (failure !== undefined) throw new EngineReplyError(failure);
}
