import { LinuxKitError } from "../errors/errors";
import { startFileServer } from "../serve/file-server";
import { parseCommandArgs } from "./argv";

export const SERVE_USAGE = `usage: pulumi-linuxkit serve [DIR] [--port N | --port [ADDR]:N] [--listen ADDR]

Serves DIR (default: the current folder; LinuxKit's --directory DIR also
works) over HTTP, read-only, as \`linuxkit serve\` does: e.g. a MetalArtifacts
folder for machines that iPXE-boot. Dotfiles and dot-folders (.linuxkit/,
.env, build scratch) and Pulumi.*.yaml are never served. Default port 8080
on 127.0.0.1 only (unlike linuxkit serve): --listen 0.0.0.0 serves the
network. --port 0 picks a free port. Stop it with Ctrl-C.`;

/** `8080`, `:8080` or `127.0.0.1:8080` → host (if any) and port. */
export function parsePort(text: string): { host?: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LinuxKitError("USAGE", `--port ${text}: expected a port 0-65535, or ADDR:PORT`, {
      hint: "e.g. --port 8080, --port :8080 or --port 127.0.0.1:8080",
    });
  }
  const host = m[1]?.replace(/^\[(.*)\]$/, "$1");
  return host === undefined || host === "" ? { port } : { host, port };
}

export async function serveCommand(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      port: { type: "string" },
      listen: { type: "string" },
      directory: { type: "string" },
    },
    SERVE_USAGE,
  );
  if (positionals.length > 1 || (positionals.length === 1 && values.directory !== undefined)) {
    throw new LinuxKitError("USAGE", "serve takes one folder", { hint: SERVE_USAGE });
  }
  const dir = positionals[0] ?? values.directory ?? ".";
  const { host: portHost, port } = parsePort(values.port ?? "8080");
  // Loopback unless asked: a folder's files reach the network only on purpose.
  const host = values.listen ?? portHost ?? "127.0.0.1";
  const server = await startFileServer({ dir, port, host, log: err }).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LinuxKitError("USAGE", `cannot serve ${dir} on ${host}:${port}: ${String(e)}`, {
      hint:
        code === "EADDRINUSE"
          ? "that port is taken: pick another with --port"
          : code === "ENOENT"
            ? "the folder does not exist"
            : undefined,
      cause: e,
    });
  });
  out(`serving ${dir} at ${server.url}/ (listening on ${host}:${server.port})`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await server.close();
  return 0;
}
