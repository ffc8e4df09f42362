/** Reads a root filesystem tar into path → {@link EntrySummary}, as extraction would leave it. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

import type { EntrySummary } from "./compare";

/** `./etc/` → `etc`. */
export function normalName(name: string): string {
  return name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
}

const JSON_FILE = /^containers\/(onboot|onshutdown|services)\/[^/]+\/(config|runtime)\.json$/;

/**
 * Summarises every path of the tar at `file`. A path written twice keeps
 * its last entry (LinuxKit writes some twice; extraction keeps the last);
 * a hard link is the file it names (one inode); a bundle's
 * config.json and runtime.json are parsed (a parse failure keeps the text's
 * digest, so it still compares).
 */
export async function summarizeTar(file: string): Promise<Map<string, EntrySummary>> {
  const out = new Map<string, EntrySummary>();
  const links: [string, string][] = [];
  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    const name = normalName(header.name);
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    const keepText = JSON_FILE.test(name);
    stream.on("data", (data: unknown) => {
      const c = data as Buffer;
      hash.update(c);
      if (keepText) chunks.push(c);
    });
    stream.on("end", () => {
      if (name !== "") {
        const e: EntrySummary = {
          type: header.type ?? "file",
          mode: (header.mode ?? 0) & 0o7777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
        };
        if (e.type === "symlink") e.linkname = header.linkname ?? "";
        if (e.type === "file" || e.type === "contiguous-file") {
          e.type = "file";
          e.sha256 = hash.digest("hex");
          if (keepText) {
            try {
              e.json = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
              delete e.sha256;
            } catch {
              // not JSON: compared by digest
            }
          }
        }
        if (e.type === "character-device" || e.type === "block-device")
          e.device = `${header.devmajor ?? 0}:${header.devminor ?? 0}`;
        if (e.type === "link") links.push([name, normalName(header.linkname ?? "")]);
        out.set(name, e);
      }
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(file), extract);
  for (const [name, target] of links) {
    const t = out.get(target);
    const e = out.get(name);
    if (e === undefined) continue;
    if (t === undefined) {
      e.linkname = `hard link to missing ${target}`;
      continue;
    }
    // one inode: the file's header is what extraction leaves
    out.set(name, { ...t });
  }
  return out;
}
