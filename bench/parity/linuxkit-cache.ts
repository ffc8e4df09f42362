/**
 * A LinuxKit image cache (an OCI image layout, what `linuxkit build
 * --cache DIR` reads) filled from the Docker engine, so LinuxKit can build
 * without `--docker`: its default path, which reads an image's own layers
 * as ours does, where `--docker` reads `docker export` of a created
 * container (Docker's init layer included).
 *
 * Each image is `docker save`d (the engine's format: manifest.json, the
 * config, uncompressed layer tars) and written as an OCI manifest with
 * gzip'd layers, listed in index.json under the name LinuxKit looks
 * it up by (`org.opencontainers.image.ref.name` = the expanded reference).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** LinuxKit's util.ReferenceExpand: `alpine:3.20` → `docker.io/library/alpine:3.20`, `linuxkit/x:y` → `docker.io/linuxkit/x:y`. */
export function expandReference(ref: string): string {
  const parts = ref.split("/");
  if (parts.length === 1) return `docker.io/library/${ref}`;
  const first = parts[0] ?? "";
  if (parts.length === 2 && !first.includes(".") && !first.includes(":") && first !== "localhost")
    return `docker.io/${ref}`;
  return ref;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function putBlob(cacheDir: string, bytes: Buffer): { digest: string; size: number } {
  const hex = createHash("sha256").update(bytes).digest("hex");
  const file = path.join(cacheDir, "blobs", "sha256", hex);
  if (!existsSync(file)) writeFileSync(file, bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Writes every reference the engine has into a fresh cache at `cacheDir`.
 * Returns the references that could not be saved, with why.
 */
export function fillLinuxKitCache(cacheDir: string, refs: readonly string[]): Map<string, string> {
  const failed = new Map<string, string>();
  mkdirSync(path.join(cacheDir, "blobs", "sha256"), { recursive: true });
  writeFileSync(path.join(cacheDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const manifests: Descriptor[] = [];
  for (const ref of refs) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "linuxkit-cache-"));
    try {
      const saved = spawnSync("sh", ["-c", 'docker save "$1" | tar -x -C "$2"', "sh", ref, tmp], {
        encoding: "utf8",
      });
      if (saved.status !== 0) {
        failed.set(ref, saved.stderr.trim());
        continue;
      }
      const [entry] = JSON.parse(readFileSync(path.join(tmp, "manifest.json"), "utf8")) as {
        Config: string;
        Layers: string[];
      }[];
      if (entry === undefined) {
        failed.set(ref, "docker save wrote no manifest");
        continue;
      }
      const config = putBlob(cacheDir, readFileSync(path.join(tmp, entry.Config)));
      const layers = entry.Layers.map((l) => ({
        // gzip'd: go-containerregistry's validation (run on every cached image) reads layers as gzip
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        ...putBlob(cacheDir, gzipSync(readFileSync(path.join(tmp, l)), { level: 1 })),
      }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers,
        }),
      );
      manifests.push({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...putBlob(cacheDir, manifest),
        annotations: { "org.opencontainers.image.ref.name": expandReference(ref) },
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  writeFileSync(
    path.join(cacheDir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests,
    }),
  );
  return failed;
}
