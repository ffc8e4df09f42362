import net from "node:net";

/** A QMP command: its name, or its name with arguments. */
export type QmpCommand = string | { execute: string; arguments?: Record<string, unknown> };

/**
 * Sends QMP commands to a qemu control socket: the greeting is read, the
 * capabilities handshake done, then each command in turn. Resolves with
 * the responses; rejects when the socket cannot be reached or times out.
 */
export async function qmpCommands(
  socketPath: string,
  commands: QmpCommand[],
  timeoutMs = 3000,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    const replies: unknown[] = [];
    const queue: QmpCommand[] = ["qmp_capabilities", ...commands];
    let buffer = "";
    let greeted = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`QMP at ${socketPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const sendNext = (): void => {
      const next = queue.shift();
      if (next === undefined) {
        clearTimeout(timer);
        sock.end();
        resolve(replies.slice(1));
        return;
      }
      sock.write(`${JSON.stringify(typeof next === "string" ? { execute: next } : next)}\n`);
    };
    sock.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line === "") continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          clearTimeout(timer);
          sock.destroy();
          reject(
            new Error(`QMP at ${socketPath} sent something that is not JSON: ${line.slice(0, 80)}`),
          );
          return;
        }
        if (!greeted && "QMP" in msg) {
          greeted = true;
          sendNext();
        } else if ("return" in msg || "error" in msg) {
          replies.push(msg);
          sendNext();
        }
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      // Closed early (qemu exiting): what was answered. A no-op once settled.
      resolve(replies.slice(1));
    });
  });
}
