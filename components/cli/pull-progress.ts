import type { PullProgress } from "../sources/image-source";

/**
 * Prints pull progress: the start and end of each image's pull as lines;
 * on a terminal also a live byte count on one line, rewritten in place.
 */
export function pullProgressPrinter(
  out: (line: string) => void,
  tty: { isTTY?: boolean; write(s: string): boolean } = process.stderr,
): (p: PullProgress) => void {
  let live = false;
  const clear = (): void => {
    if (live) tty.write("\r\x1b[K");
    live = false;
  };
  return (p) => {
    if (p.status === "Downloading") {
      if (tty.isTTY) {
        tty.write(`\r\x1b[KPull image: ${p.ref}: ${p.detail ?? ""}`);
        live = true;
      }
      return;
    }
    if (/Pulling from|Pull complete|Downloaded newer|Status:/.test(p.status)) {
      clear();
      out(
        `Pull image: ${p.ref}: ${p.status}${p.detail && !/complete/.test(p.status) ? ` (${p.detail})` : ""}`,
      );
    }
  };
}
