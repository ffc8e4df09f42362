/**
 * Docker image references, normalised the way the Docker engine and
 * LinuxKit read them: `nginx:alpine` is `docker.io/library/nginx:alpine`,
 * a reference with no tag or digest means `:latest`.
 */
export interface ImageRef {
  /** Registry host, e.g. `docker.io` or `localhost:5000`. */
  domain: string;
  /** Repository path, e.g. `library/nginx`. */
  path: string;
  tag?: string;
  /** `sha256:<hex>` when the reference pins a digest. */
  digest?: string;
}

const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Parses a reference; returns an error message instead of throwing. */
export function parseImageRef(input: string): ImageRef | string {
  if (input.trim() !== input || input === "") return "an image reference cannot be empty or padded";
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return `invalid digest "${digest}"`;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return `invalid tag "${tag}"`;
  }
  let domain = "docker.io";
  const firstSlash = rest.indexOf("/");
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      domain = first;
      rest = rest.slice(firstSlash + 1);
    }
  }
  if (domain === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  for (const part of rest.split("/")) {
    if (!PATH_COMPONENT_RE.test(part)) {
      return `invalid repository name "${rest}" (lowercase letters, digits and separators . _ - only)`;
    }
  }
  if (tag === undefined && digest === undefined) tag = "latest";
  return { domain, path: rest, tag, digest };
}

/** The fully qualified form, e.g. `docker.io/library/nginx:alpine`. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}${ref.tag === undefined ? "" : `:${ref.tag}`}${
    ref.digest === undefined ? "" : `@${ref.digest}`
  }`;
}

/**
 * The short form the Docker engine accepts and shows for local images:
 * `docker.io/library/` and `docker.io/` are dropped.
 */
export function familiarImageRef(ref: ImageRef): string {
  let name = `${ref.domain}/${ref.path}`;
  if (ref.domain === "docker.io") {
    name = ref.path.startsWith("library/") ? ref.path.slice("library/".length) : ref.path;
  }
  return `${name}${ref.tag === undefined ? "" : `:${ref.tag}`}${
    ref.digest === undefined ? "" : `@${ref.digest}`
  }`;
}
