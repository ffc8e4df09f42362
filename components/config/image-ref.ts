/**
 * Image reference spelling, as LinuxKit normalises it before pulling and
 * before writing `metadata` files.
 */

/**
 * Expands a short Docker Hub reference to its full form: `nginx:alpine` →
 * `docker.io/library/nginx:alpine`, `linuxkit/init:v1` →
 * `docker.io/linuxkit/init:v1`. A first component containing `.` or `:`,
 * or equal to `localhost`, is a registry and is kept. No tag is added.
 */
export function expandImageRef(ref: string): string {
  const parts = ref.split("/");
  if (parts.length === 1) return `docker.io/library/${ref}`;
  const first = parts[0] ?? "";
  if (parts.length === 2 && !first.includes(".") && !first.includes(":") && first !== "localhost") {
    return `docker.io/${ref}`;
  }
  return ref;
}
