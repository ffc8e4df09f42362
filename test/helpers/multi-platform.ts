/**
 * The local stand-ins as multi-platform images in a loopback registry: the
 * engine's amd64 (`linuxkit-test/<name>:test`) and arm64 (`:test-arm64`,
 * from Debian's arm64 packages) versions of a stand-in pushed under one tag
 * as an OCI index with two platforms, as a multi-platform image on Docker
 * Hub is. Each platform's manifest is pushed by digest only (no tag of its
 * own); its config bytes are the engine's, so each platform's image id is
 * the engine's id of that version.
 */
import type { Arch } from "../../components/arch";
import {
  digestOf,
  MT,
  pushBlob,
  pushManifest,
  savedImage,
  type Desc,
  type Target,
} from "./oci-push";
import { gzipSync } from "node:zlib";

/** The OCI platform each test architecture is published as. */
const PLATFORMS: Record<Arch, NonNullable<Desc["platform"]>> = {
  amd64: { os: "linux", architecture: "amd64" },
  arm64: { os: "linux", architecture: "arm64", variant: "v8" },
};

export interface PushedPlatform {
  /** The engine's image id (the config digest). */
  id: string;
  /** The platform's manifest digest. */
  digest: string;
}

/**
 * Pushes one engine image (by id or reference) to `repo` as a Docker v2
 * manifest, by digest only; returns its descriptor and the image id.
 */
export async function pushByDigest(
  t: Target,
  ref: string,
  repo: string,
): Promise<{ desc: Desc; id: string }> {
  const saved = await savedImage(ref);
  const layers: Desc[] = [];
  for (const tarBytes of saved.layers) {
    const gz = gzipSync(tarBytes, { level: 1 });
    layers.push({ mediaType: MT.layerGzip, digest: await pushBlob(t, repo, gz), size: gz.length });
  }
  const configDigest = await pushBlob(t, repo, saved.config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: { mediaType: MT.config, digest: configDigest, size: saved.config.length },
    layers,
  };
  const digest = digestOf(Buffer.from(JSON.stringify(manifest)));
  const desc = await pushManifest(t, repo, digest, manifest, MT.manifest);
  return { desc, id: saved.id };
}

/**
 * Pushes the engine's images `ids` (one per architecture; by id, since the
 * stand-ins' tags may be rebuilt by another checkout meanwhile: see
 * `testImageId`) to `repo:tag` as an OCI index listing both platforms.
 */
export async function pushMultiPlatform(
  t: Target,
  ids: Record<Arch, string>,
  repo: string,
  tag: string,
): Promise<{ index: Desc; platforms: Record<Arch, PushedPlatform> }> {
  const platforms = {} as Record<Arch, PushedPlatform>;
  const manifests: Desc[] = [];
  for (const arch of ["amd64", "arm64"] as const) {
    const id = ids[arch];
    const pushed = await pushByDigest(t, id, repo);
    if (pushed.id !== id) throw new Error(`docker save of ${id} gave config ${pushed.id}`);
    platforms[arch] = { id, digest: pushed.desc.digest };
    manifests.push({ ...pushed.desc, platform: PLATFORMS[arch] });
  }
  const index = await pushManifest(
    t,
    repo,
    tag,
    { schemaVersion: 2, mediaType: MT.ociIndex, manifests },
    MT.ociIndex,
  );
  return { index, platforms };
}
