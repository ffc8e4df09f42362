/**
 * Puts images into a test registry through the distribution API (our own
 * push, no docker CLI push): blobs by monolithic upload, then the manifest.
 * Images come from the local engine's `docker save` (their config bytes
 * kept, so the registry image has the engine's image id), or are made up
 * (for multi-platform indexes and moved tags).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const run = promisify(execFile);

export const MT = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
} as const;

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

export function digestOf(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** `http://host` of a loopback registry, and optional extra headers (Basic auth). */
export interface Target {
  base: string;
  headers?: Record<string, string>;
}

export async function pushBlob(t: Target, repo: string, data: Buffer): Promise<string> {
  const digest = digestOf(data);
  const head = await fetch(`${t.base}/v2/${repo}/blobs/${digest}`, {
    method: "HEAD",
    headers: t.headers,
  });
  if (head.ok) return digest;
  const start = await fetch(`${t.base}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers: t.headers,
  });
  if (start.status !== 202)
    throw new Error(`upload start ${repo}: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get("location")!, t.base);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { ...t.headers, "content-type": "application/octet-stream" },
    body: data,
  });
  if (put.status !== 201)
    throw new Error(`upload ${repo} ${digest}: ${put.status} ${await put.text()}`);
  return digest;
}

export async function pushManifest(
  t: Target,
  repo: string,
  reference: string,
  doc: object,
  mediaType: string,
): Promise<Desc> {
  const data = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`${t.base}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { ...t.headers, "content-type": mediaType },
    body: data,
  });
  if (res.status !== 201)
    throw new Error(`manifest ${repo}:${reference}: ${res.status} ${await res.text()}`);
  return { mediaType, digest: digestOf(data), size: data.length };
}

/** Pushes config + gzip'd layers and a Docker v2 manifest under `tag`; returns the manifest's descriptor. */
export async function pushImage(
  t: Target,
  repo: string,
  tag: string,
  config: Buffer,
  layerTars: Buffer[],
): Promise<Desc & { configDigest: string; layers: Desc[] }> {
  const layers: Desc[] = [];
  for (const tarBytes of layerTars) {
    const gz = gzipSync(tarBytes, { level: 1 });
    layers.push({ mediaType: MT.layerGzip, digest: await pushBlob(t, repo, gz), size: gz.length });
  }
  const configDigest = await pushBlob(t, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: { mediaType: MT.config, digest: configDigest, size: config.length },
    layers,
  };
  const desc = await pushManifest(t, repo, tag, manifest, MT.manifest);
  return { ...desc, configDigest, layers };
}

/** An engine image as `docker save` has it: its config bytes (id = their digest) and layer tars. */
export async function savedImage(
  ref: string,
): Promise<{ config: Buffer; layers: Buffer[]; id: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lk-save-"));
  try {
    await run("sh", ["-c", `docker save "$1" | tar -x -C "$2"`, "sh", ref, dir], {
      maxBuffer: 1 << 20,
    });
    const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as {
      Config: string;
      Layers: string[];
    }[];
    const entry = manifest[0]!;
    const config = await readFile(path.join(dir, entry.Config));
    const layers = [];
    for (const l of entry.Layers) layers.push(await readFile(path.join(dir, l)));
    return { config, layers, id: digestOf(config) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Copies engine image `ref` to `repo:tag` on the registry; returns the engine's id and the manifest digest. */
export async function pushFromEngine(
  t: Target,
  ref: string,
  repo: string,
  tag: string,
): Promise<{ id: string; digest: string }> {
  const saved = await savedImage(ref);
  const pushed = await pushImage(t, repo, tag, saved.config, saved.layers);
  return { id: saved.id, digest: pushed.digest };
}

/** A minimal config for a made-up image of `architecture` whose rootfs is `layers`. */
export function makeConfig(
  architecture: string,
  layerTars: Buffer[],
  labels: Record<string, string> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture,
      os: "linux",
      config: { Labels: labels, Cmd: ["/bin/true"] },
      rootfs: { type: "layers", diff_ids: layerTars.map(digestOf) },
    }),
  );
}
