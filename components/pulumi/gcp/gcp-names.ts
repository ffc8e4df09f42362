/**
 * Names of GCP things derived from a component's name and a content hash.
 * Compute Engine names (images, tags, instance name prefixes) must match
 * `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`: lower-case letters, digits and
 * hyphens, starting with a letter, at most 63 characters. Pure functions.
 */
import { createHash } from "node:crypto";

/** Longest Compute Engine resource name. */
export const GCE_NAME_MAX = 63;
/** Hex digits of a content hash kept in names (64 bits). */
export const HASH_DIGITS = 16;
const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `name` is a valid Compute Engine resource name. */
export function isGceName(name: string): boolean {
  return GCE_NAME.test(name);
}

/**
 * `name` made into a Compute Engine name of at most `max` characters:
 * lower-cased, runs of other characters turned into one hyphen, `lk-`
 * prefixed when it does not start with a letter, no trailing hyphen.
 */
export function gceSlug(name: string, max = GCE_NAME_MAX): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "");
  if (!/^[a-z]/.test(s)) s = `lk-${s}`;
  s = s.slice(0, max).replace(/-+$/, "");
  return s === "" || s === "lk" ? "lk" : s;
}

/** `<slug of name>-<first 16 hex digits of hash>`, a valid Compute Engine name. */
export function contentName(name: string, hash: string): string {
  if (!/^[0-9a-f]{16,}$/.test(hash)) throw new Error(`not a hex content hash: ${hash}`);
  const suffix = hash.slice(0, HASH_DIGITS);
  return `${gceSlug(name, GCE_NAME_MAX - suffix.length - 1)}-${suffix}`;
}

/**
 * The digest that names a compute image: the uploaded artifact's sha256
 * together with the settings that cannot change on an existing image
 * (family, guest OS features, licenses, description). Same artifact and
 * settings give the same name (no change); a new build or a new setting
 * gives a new name, so the new image is created before the old one goes.
 */
export function imageDigest(artifactSha256: string, settings: Record<string, unknown>): string {
  const keys = Object.keys(settings).sort();
  const canonical = JSON.stringify(keys.map((k) => [k, settings[k] ?? null]));
  return createHash("sha256").update(`${artifactSha256}\n${canonical}`).digest("hex");
}

/** The public URL of an object in Cloud Storage. */
export function objectUrl(bucket: string, object: string): string {
  return `https://storage.googleapis.com/${bucket}/${object
    .split("/")
    .map(encodeURIComponent)
    .join("/")}`;
}
