import { createReadStream } from "node:fs";

import { parseCommandArgs } from "./argv";
import { LinuxKitError } from "../errors/errors";
import { formatImageRef, parseImageRef } from "../sources/image-ref";
import { exportLayout, importLayout } from "../sources/registry/oci-archive";
import { defaultOciCacheDir, OciLayout, REF_NAME } from "../sources/registry/oci-layout";

export const CACHE_USAGE = `usage: pulumi-linuxkit cache ls|rm|prune|export|import [--dir DIR] [ARGS]

The registry source's image cache, an OCI image layout (default
~/.cache/pulumi-linuxkit/oci, or $PULUMI_LINUXKIT_OCI_CACHE).

  cache ls                     the images in the cache: name, digest, size
  cache rm IMAGE...            forget images (their blobs go with the next prune)
  cache prune                  remove blobs no image uses, and leftovers of killed pulls
  cache export FILE.tar [IMAGE...]
                               the images (default all) as an OCI layout tar, for
                               machines without network access
  cache import FILE.tar        add the images of an OCI layout tar (every blob verified)
  --dir DIR                    another cache folder`;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A reference as the cache names it: the full form (`docker.io/library/alpine:3.20`). */
function cacheName(ref: string): string {
  const parsed = parseImageRef(ref);
  if (typeof parsed === "string") {
    throw new LinuxKitError("USAGE", `invalid image reference "${ref}": ${parsed}`, {
      hint: "name images as `cache ls` shows them, or as the YAML does",
    });
  }
  return formatImageRef(parsed);
}

export async function cacheCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { dir: { type: "string", short: "d" } },
    CACHE_USAGE,
  );
  const [verb, ...rest] = positionals;
  const layout = new OciLayout(values.dir ?? defaultOciCacheDir());
  switch (verb) {
    case "ls": {
      const index = await layout.readIndex();
      if (index.manifests.length === 0) out(`(no images in ${layout.dir})`);
      for (const m of index.manifests) {
        const size = await layout.sizeOf(await layout.reachable([m]));
        out(`${m.annotations?.[REF_NAME] ?? "(unnamed)"}  ${m.digest}  ${mb(size)}`);
      }
      return 0;
    }
    case "rm": {
      if (rest.length === 0)
        throw new LinuxKitError("USAGE", "cache rm needs an image", { hint: CACHE_USAGE });
      const names = new Set(rest.map(cacheName));
      const present = new Set(
        (await layout.readIndex()).manifests.map((m) => m.annotations?.[REF_NAME]),
      );
      const absent = [...names].filter((n) => !present.has(n));
      if (absent.length > 0) {
        throw new LinuxKitError("USAGE", `not in the cache ${layout.dir}: ${absent.join(", ")}`, {
          hint: "`pulumi-linuxkit cache ls` lists what it holds",
        });
      }
      await layout.updateIndex((entries) =>
        entries.filter((m) => !names.has(m.annotations?.[REF_NAME] ?? "")),
      );
      for (const n of names) out(`Removed ${n}`);
      return 0;
    }
    case "prune": {
      const { blobs, bytes } = await layout.prune();
      out(`Pruned ${blobs} blob(s), ${mb(bytes)} from ${layout.dir}`);
      return 0;
    }
    case "export": {
      const [file, ...images] = rest;
      if (file === undefined)
        throw new LinuxKitError("USAGE", "cache export needs a file", { hint: CACHE_USAGE });
      const done = await exportLayout(layout, file, images.map(cacheName)).catch((e: Error) => {
        throw new LinuxKitError("USAGE", `cache export: ${e.message}`, {
          hint: "`pulumi-linuxkit cache ls` lists what it holds",
        });
      });
      out(`Exported ${done.images} image(s), ${done.blobs} blob(s), ${mb(done.bytes)} to ${file}`);
      return 0;
    }
    case "import": {
      const [file] = rest;
      if (file === undefined)
        throw new LinuxKitError("USAGE", "cache import needs a file", { hint: CACHE_USAGE });
      let names: string[];
      try {
        names = await importLayout(layout, createReadStream(file));
      } catch (e) {
        throw new LinuxKitError(
          "BUILD",
          `cache import of ${file} failed: ${(e as Error).message}`,
          {
            hint: "import a tar that `pulumi-linuxkit cache export` (or another OCI layout writer) made; nothing bad was kept",
            cause: e,
          },
        );
      }
      for (const n of names) out(`Imported ${n}`);
      return 0;
    }
    default:
      throw new LinuxKitError(
        "USAGE",
        `cache ${verb ?? ""}: expected ls, rm, prune, export or import`,
        {
          hint: CACHE_USAGE,
        },
      );
  }
}
