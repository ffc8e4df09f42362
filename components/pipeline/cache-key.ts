import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

import type { ResolvedImage } from "../sources/image-source";
import { resolveSourcePath } from "../rootfs/files-layer";
import type { LinuxKitSpec } from "../config/types";

/** Bump when the build's output changes for the same inputs, so old caches miss. */
export const BUILD_FORMAT_VERSION = 2;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return hash.digest("hex");
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? "error"}`;
  }
}

export interface CacheKeyInput {
  specHash: string;
  spec: LinuxKitSpec;
  images: Map<string, ResolvedImage>;
  name: string;
  formats: string[];
  /** Options that change artifact bytes (disk size, compression level). */
  options: Record<string, unknown>;
  /** Directory relative `files[].source` paths are read from. */
  baseDir?: string;
}

/**
 * The content key of a build: the resolved spec, the content id of every
 * image (so a tag that moved is a miss), the bytes of every `files[].source`,
 * and the requested outputs. Equal keys mean byte-identical artifacts.
 */
export async function buildCacheKey(input: CacheKeyInput): Promise<string> {
  // Keyed by the path written in the image and the bytes, not by where the
  // source sits on this machine: another checkout of the same project
  // builds the same key.
  const sources: [string, string][] = [];
  for (const f of input.spec.files) {
    if (f.source === undefined || f.source === "") continue;
    const p = resolveSourcePath(f.source, input.baseDir);
    sources.push([f.path, await sha256OfFile(p)]);
  }
  const images = [...input.images.entries()].map(([ref, img]) => [ref, img.id]).sort();
  const doc = JSON.stringify({
    v: BUILD_FORMAT_VERSION,
    spec: input.specHash,
    images,
    sources,
    name: input.name,
    formats: [...new Set(input.formats)].sort(),
    options: Object.keys(input.options)
      .sort()
      .map((k) => [k, input.options[k] ?? null]),
  });
  return createHash("sha256").update(doc).digest("hex");
}
