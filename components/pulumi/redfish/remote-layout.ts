/**
 * Where RemoteArtifacts puts an image's artifacts on the user's host and
 * the URLs they are served at: one folder per build, named by the Image's
 * content hash, so a new build gets new URLs (machines booting the old
 * ones are re-imaged by the URL change) and an unchanged build copies
 * nothing. Pure.
 */
import path from "node:path";

import type { ImageArtifact } from "../image/image-provider";

export interface RemoteLayout {
  /** The version's folder on the host. */
  remotePath: string;
  /** URL of the version's folder. */
  baseUrl: string;
  /** URL of each artifact, by file name. */
  files: Record<string, string>;
  /** URL of the first artifact of each format, by format. */
  byFormat: Record<string, string>;
}

/** The version folder's name: the first 16 hex digits of the content hash. */
export function versionFolder(contentHash: string): string {
  return contentHash.slice(0, 16);
}

export function remoteLayout(
  remoteDir: string,
  baseUrl: string,
  contentHash: string,
  artifacts: readonly ImageArtifact[],
): RemoteLayout {
  const folder = versionFolder(contentHash);
  const base = `${baseUrl.replace(/\/+$/, "")}/${folder}`;
  const files: Record<string, string> = {};
  const byFormat: Record<string, string> = {};
  for (const a of artifacts) {
    const url = `${base}/${encodeURIComponent(path.basename(a.path))}`;
    files[path.basename(a.path)] = url;
    byFormat[a.format] ??= url;
  }
  return { remotePath: path.posix.join(remoteDir, folder), baseUrl: base, files, byFormat };
}
