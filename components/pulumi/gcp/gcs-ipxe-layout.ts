/**
 * Where GcsIpxeArtifacts puts the files an iPXE machine boots: one folder
 * per version in the bucket, named by a hash of everything the files and
 * the script depend on. Pure.
 */
import { createHash } from "node:crypto";

import { ipxeFileNames, ipxeScript, urlOf, type IpxeArch } from "../../ipxe/ipxe-script";
import { objectUrl } from "./gcp-names";

export interface GcsIpxeLayoutInputs {
  bucket: string;
  /** Folder in the bucket, without a trailing slash; "" for the top level. */
  prefix: string;
  /** File prefix: `<name>-kernel`, ... (the Image's `name`). */
  name: string;
  /** The Image's content hash. */
  contentHash: string;
  cmdline: string;
  arch: IpxeArch;
}

export interface GcsIpxeLayout {
  /** 16 hex digits naming this version's folder. */
  version: string;
  /** Object names. */
  kernelObject: string;
  initrdObject: string;
  scriptObject: string;
  /** Public URL of the version's folder: the script's `base-url`. */
  baseUrl: string;
  ipxeScriptUrl: string;
  ipxeScript: string;
}

/** The version of a set of inputs: a new image, command line or arch is a new folder. */
export function gcsIpxeVersion(i: GcsIpxeLayoutInputs): string {
  const doc = JSON.stringify([i.name, i.contentHash, i.cmdline, i.arch]);
  return createHash("sha256").update(doc).digest("hex").slice(0, 16);
}

/** Object names, URLs and the script text for one version. */
export function gcsIpxeLayout(i: GcsIpxeLayoutInputs): GcsIpxeLayout {
  const version = gcsIpxeVersion(i);
  const folder = i.prefix === "" ? version : `${i.prefix.replace(/\/+$/, "")}/${version}`;
  const files = ipxeFileNames(i.name);
  const baseUrl = objectUrl(i.bucket, folder);
  return {
    version,
    kernelObject: `${folder}/${files.kernel}`,
    initrdObject: `${folder}/${files.initrd}`,
    scriptObject: `${folder}/${files.script}`,
    baseUrl,
    ipxeScriptUrl: urlOf(baseUrl, files.script),
    ipxeScript: ipxeScript({ name: i.name, baseUrl, arch: i.arch, cmdline: i.cmdline }),
  };
}
