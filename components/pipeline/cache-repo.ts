/**
 * Finished builds shared through a registry: the artifacts of a build are
 * an OCI artifact in the cache repository, tagged by the build's content
 * key. Its manifest has our own `artifactType`, the empty config, and one
 * layer per artifact file (our own media type, the file name in the
 * standard title annotation, the format in ours). Before building, the key
 * is looked up there; on a hit the files are pulled (each verified against
 * its digest) instead of building; after a build they are pushed.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";

import { LinuxKitError } from "../errors/errors";
import { parseImageRef } from "../sources/image-ref";
import { MEDIA, type ImageManifest } from "../sources/registry/media-types";
import type { RegistryClient, Repository } from "../sources/registry/registry-client";
import { RegistryError } from "../sources/registry/registry-errors";
import { pushBlob, pushManifest } from "../sources/registry/registry-push";
import type { ArtifactRecord } from "./manifest";

export const BUILD_ARTIFACT_TYPE = "application/vnd.pulumi-linuxkit.build.v1";
export const ARTIFACT_FILE_MEDIA_TYPE = "application/vnd.pulumi-linuxkit.artifact.v1";
const TITLE = "org.opencontainers.image.title";
const FORMAT = "dev.pulumi-linuxkit.format";
const KEY = "dev.pulumi-linuxkit.content-key";
const EMPTY_CONFIG = {
  mediaType: "application/vnd.oci.empty.v1+json",
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
};

/** `registry/path` of a cache repository, or a USAGE error naming the flag or input. */
export function parseCacheRepo(text: string, what = "--cache-repo"): Repository {
  const parsed = parseImageRef(text);
  if (typeof parsed === "string" || parsed.digest !== undefined || /:[^/]*$/.test(text)) {
    throw new LinuxKitError(
      "USAGE",
      `${what} ${JSON.stringify(text)} is not a repository${typeof parsed === "string" ? `: ${parsed}` : " (no tag or digest: builds are tagged by content key)"}`,
      { hint: "name a repository, e.g. ghcr.io/acme/linuxkit-builds or 127.0.0.1:5000/builds" },
    );
  }
  return { domain: parsed.domain, path: parsed.path };
}

/** The tag a build's artifacts have in the cache repository. */
export function cacheRepoTag(cacheKey: string): string {
  return `lk-${cacheKey}`;
}

const SAFE_FILE = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/**
 * The artifacts of content key `cacheKey`, pulled into `stageDir`, or
 * undefined when the repository has none. Every file is verified against
 * its digest while it streams; a bad one is an error.
 */
export async function fetchFromCacheRepo(
  client: RegistryClient,
  repo: Repository,
  cacheKey: string,
  stageDir: string,
): Promise<ArtifactRecord[] | undefined> {
  let manifest: ImageManifest;
  try {
    const res = await client.send(repo, `manifests/${cacheRepoTag(cacheKey)}`, {
      headers: { accept: MEDIA.ociManifest },
    });
    manifest = (await res.json()) as ImageManifest;
  } catch (e) {
    if (e instanceof RegistryError && e.failure === "not-found") return undefined;
    throw e;
  }
  if (manifest.artifactType !== BUILD_ARTIFACT_TYPE || manifest.annotations?.[KEY] !== cacheKey) {
    throw new Error(
      `${cacheRepoTag(cacheKey)} in ${repo.domain}/${repo.path} is not a build of this content`,
    );
  }
  const records: ArtifactRecord[] = [];
  for (const layer of manifest.layers) {
    const file = layer.annotations?.[TITLE] ?? "";
    const format = layer.annotations?.[FORMAT] ?? "";
    if (layer.mediaType !== ARTIFACT_FILE_MEDIA_TYPE || !SAFE_FILE.test(file) || format === "") {
      throw new Error(
        `${cacheRepoTag(cacheKey)}: layer ${layer.digest} is not an artifact file of ours`,
      );
    }
    const res = await client.send(repo, `blobs/${layer.digest}`);
    const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream);
    const hash = createHash("sha256");
    let size = 0;
    const out = await open(path.join(stageDir, file), "w");
    try {
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        await out.write(chunk as Buffer);
      }
    } finally {
      await out.close();
    }
    const hex = hash.digest("hex");
    if (`sha256:${hex}` !== layer.digest || size !== layer.size) {
      throw new Error(
        `${file} from ${repo.domain}/${repo.path} does not match its digest ${layer.digest}`,
      );
    }
    records.push({ format, file, size, sha256: hex });
  }
  return records;
}

/** Pushes the published artifacts `records` in `outputDir` as the build of `cacheKey`. */
export async function pushToCacheRepo(
  client: RegistryClient,
  repo: Repository,
  cacheKey: string,
  outputDir: string,
  records: readonly ArtifactRecord[],
): Promise<void> {
  await pushBlob(client, repo, EMPTY_CONFIG.digest, 2, () => Readable.from([Buffer.from("{}")]));
  for (const r of records) {
    const file = path.join(outputDir, r.file);
    await pushBlob(client, repo, `sha256:${r.sha256}`, r.size, () =>
      createReadStream(file, { highWaterMark: 1 << 20 }),
    );
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType: BUILD_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: records.map((r) => ({
      mediaType: ARTIFACT_FILE_MEDIA_TYPE,
      digest: `sha256:${r.sha256}`,
      size: r.size,
      annotations: { [TITLE]: r.file, [FORMAT]: r.format },
    })),
    annotations: { [KEY]: cacheKey },
  };
  await pushManifest(
    client,
    repo,
    cacheRepoTag(cacheKey),
    Buffer.from(JSON.stringify(manifest)),
    MEDIA.ociManifest,
  );
}
