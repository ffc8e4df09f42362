/**
 * A read-only HTTP file server for a build folder, as `linuxkit serve`
 * runs: GET and HEAD of the files under one folder, directory listings,
 * nothing outside the folder (no `..`, no symlinks pointing out), and
 * nothing private inside it: no dotfile or dot-folder (`.linuxkit/` state,
 * `.env`, a build's `.linuxkit-tmp-*` scratch) and no Pulumi project or
 * stack file (`Pulumi.<stack>.yaml` holds the stack's encrypted secrets).
 * Machines that iPXE-boot fetch their script, kernel and initrd from it.
 */
import { createReadStream } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";

export interface FileServerOptions {
  /** Folder to serve. */
  dir: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1` (`0.0.0.0` for all interfaces, as `linuxkit serve`). */
  host?: string;
  /** Called once per request with `METHOD /path STATUS`. */
  log?: (line: string) => void;
}

export interface FileServer {
  /** `http://host:port` (with 127.0.0.1 for a wildcard address). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".ipxe": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json",
  ".yml": "text/plain; charset=utf-8",
  ".yaml": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8",
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Names never served nor listed: dotfiles and dot-folders, Pulumi project and stack files. */
export function isPrivateName(name: string): boolean {
  return name.startsWith(".") || /^Pulumi(\.[^/]*)?\.ya?ml$/i.test(name);
}

/** The file under `root` a URL path names, or undefined when it points outside `root` or at a private name. */
export async function resolveUnder(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const clean = path.posix.normalize(`/${decoded}`);
  if (clean.split("/").some((part) => part !== "" && isPrivateName(part))) return undefined;
  const candidate = path.join(root, clean);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return candidate; // missing: answered with 404 by the caller
  }
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) return undefined;
  // A symlink inside the folder may still name a private file.
  const inside = path.relative(root, real).split(path.sep);
  return inside.some((part) => part !== "" && isPrivateName(part)) ? undefined : real;
}

async function answer(root: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return 405;
  }
  const urlPath = new URL(req.url ?? "/", "http://x").pathname;
  const file = await resolveUnder(root, urlPath);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || info === undefined) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
    return 404;
  }
  if (info.isDirectory()) {
    if (!urlPath.endsWith("/")) {
      // Built from the folder's place under the root, never from the request: a path like
      // `/x/..//evil.example` must not become `Location: //evil.example/` (another host).
      const rel = path
        .relative(root, file)
        .split(path.sep)
        .filter((p) => p !== "");
      const location = `/${rel.map(encodeURIComponent).join("/")}${rel.length > 0 ? "/" : ""}`;
      res.writeHead(301, { Location: location }).end();
      return 301;
    }
    const entries = (await readdir(file, { withFileTypes: true }))
      .filter((e) => !isPrivateName(e.name))
      .map((e) => ({ name: e.name, dir: e.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // `./` first and every character encoded: a file named `javascript:...` is a relative link.
    const body = `<pre>\n${entries
      .map((e) => {
        const href = `./${encodeURIComponent(e.name)}${e.dir ? "/" : ""}`;
        return `<a href="${escapeHtml(href)}">${escapeHtml(e.name)}${e.dir ? "/" : ""}</a>`;
      })
      .join("\n")}\n</pre>\n`;
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(req.method === "HEAD" ? undefined : body);
    return 200;
  }
  res.writeHead(200, {
    "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "Content-Length": String(info.size),
    "Last-Modified": info.mtime.toUTCString(),
  });
  if (req.method === "HEAD") {
    res.end();
    return 200;
  }
  await pipeline(createReadStream(file), res);
  return 200;
}

/** Starts serving `dir`; resolves once it listens. */
export async function startFileServer(opts: FileServerOptions): Promise<FileServer> {
  const root = await realpath(opts.dir);
  const server: Server = createServer((req, res) => {
    answer(root, req, res).then(
      (status) => opts.log?.(`${req.method} ${req.url} ${status}`),
      (e: unknown) => {
        const hungUp = (e as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE";
        opts.log?.(
          `${req.method} ${req.url} ${hungUp ? "200 (client hung up)" : `failed: ${(e as Error).message}`}`,
        );
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = ["0.0.0.0", "::"].includes(address.address)
    ? "127.0.0.1"
    : address.family === "IPv6"
      ? `[${address.address}]`
      : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
