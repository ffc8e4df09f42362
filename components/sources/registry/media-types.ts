/**
 * The documents of the OCI image and distribution specs (and Docker's v2
 * schema 2, which has the same shape under other media types).
 */
export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** What a manifest GET accepts: both index kinds and both manifest kinds. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.dockerList,
  MEDIA.ociManifest,
  MEDIA.dockerManifest,
].join(", ");

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The fields of an image config (OCI or Docker) a build reads. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
  };
  rootfs?: { type: string; diff_ids: string[] };
}

export function isIndex(mediaType: string | undefined, doc: unknown): doc is ImageIndex {
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList) return true;
  return (
    typeof doc === "object" &&
    doc !== null &&
    Array.isArray((doc as ImageIndex).manifests) &&
    (doc as ImageManifest).config === undefined
  );
}

export function isManifest(mediaType: string | undefined, doc: unknown): doc is ImageManifest {
  if (mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest) return true;
  return (
    typeof doc === "object" &&
    doc !== null &&
    typeof (doc as ImageManifest).config === "object" &&
    Array.isArray((doc as ImageManifest).layers)
  );
}

/** The layer media types whose bytes the layer applier reads (plain or gzip'd tar). */
export function isReadableLayer(mediaType: string): boolean {
  return (
    mediaType === MEDIA.ociLayer ||
    mediaType === MEDIA.ociLayerGzip ||
    mediaType === MEDIA.dockerLayer ||
    mediaType === MEDIA.dockerLayerGzip ||
    mediaType === "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
    mediaType === "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
  );
}
