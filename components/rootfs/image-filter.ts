import type { Readable } from "node:stream";

import { forEachTarEntry } from "../tar/tar-entry";
import { FIXED_MTIME, type NewTarHeader, type TarHeader } from "../tar/tar-header";
import type { TarSpool } from "../tar/tar-spool";

/**
 * Names LinuxKit drops from every image (moby/build/image.go `exclude`):
 * what `docker export` used to add. Matched exactly, as LinuxKit matches
 * them against the flattened image's (cleaned) names: `dev/pts` and
 * `dev/shm` themselves go, and are created again below as plain 0755
 * directories.
 */
const EXCLUDED = new Set([
  ".dockerenv",
  "Dockerfile",
  "dev/console",
  "dev/pts",
  "dev/shm",
  "etc/hostname",
]);

const HOSTS = `127.0.0.1       localhost
::1     localhost ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;

const RESOLV_CONF = `
# no resolv.conf configured
`;

/** Files whose content LinuxKit replaces with neutral content (`replace`). */
const REPLACED: Record<string, string> = { "etc/hosts": HOSTS, "etc/resolv.conf": RESOLV_CONF };

/**
 * LinuxKit's `touch` entries: every image ends up with these, as written
 * here (root-owned, fixed mtime). LinuxKit writes an entry again after the
 * image's own unless it found it in the image, and it finds only
 * `etc/mtab` (its other keys carry a trailing `/` the flattened image's
 * names never have, and a replaced file is not counted as found). So the
 * directories and `etc/hosts`/`etc/resolv.conf` always get these headers,
 * while an image's own `etc/mtab` stays.
 */
const ENSURED: ReadonlyArray<Omit<NewTarHeader, "size" | "uid" | "gid" | "mtime">> = [
  { name: "dev", type: "directory", mode: 0o755 },
  { name: "dev/pts", type: "directory", mode: 0o755 },
  { name: "dev/shm", type: "directory", mode: 0o755 },
  { name: "etc", type: "directory", mode: 0o755 },
  { name: "etc/hosts", type: "file", mode: 0o644 },
  { name: "etc/mtab", type: "symlink", mode: 0o755, linkname: "/proc/mounts" },
  { name: "etc/resolv.conf", type: "file", mode: 0o644 },
  { name: "proc", type: "directory", mode: 0o755 },
  { name: "sys", type: "directory", mode: 0o755 },
];

/** The only ensured path an image's own entry satisfies. */
const KEPT_IF_PRESENT = "etc/mtab";

export interface ImageLayerOptions {
  /** Directory the image lands in, e.g. `containers/onboot/000-x/lower`; "" for `/`. */
  prefix: string;
  /**
   * When set, `etc/resolv.conf` becomes a symlink to this path (init images
   * point it at a writable place, as LinuxKit does).
   */
  resolvConfSymlink?: string;
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}/${name}`;
}

/**
 * Adds an image's root filesystem (its layers applied) to the spool below
 * `prefix`, with the rules LinuxKit applies to every image: excluded names
 * dropped, `etc/hosts` and `etc/resolv.conf` replaced by neutral 0644
 * files (init images: `etc/resolv.conf` a symlink to a writable place),
 * and the directories a container needs present as 0755 root directories.
 *
 * One deliberate difference: where an image's own `etc/hosts` or
 * `etc/resolv.conf` is a symlink, it is kept (LinuxKit fails the build
 * with "archive/tar: write too long" writing replacement bytes into a
 * symlink entry); in init images `etc/resolv.conf` still becomes the
 * symlink to `resolvConfSymlink`.
 */
export async function addImageLayer(
  spool: TarSpool,
  rootfs: Readable,
  options: ImageLayerOptions,
): Promise<void> {
  const { prefix } = options;
  let ownMtab = false;
  const keptSymlinks = new Set<string>();
  await forEachTarEntry(rootfs, async (header, body) => {
    const name = header.name;
    if (EXCLUDED.has(name)) return;
    if (REPLACED[name] !== undefined) {
      const initResolv = name === "etc/resolv.conf" && options.resolvConfSymlink !== undefined;
      if (header.type === "symlink" && !initResolv) {
        keptSymlinks.add(name);
        await spool.addBuffer({ ...header, name: join(prefix, name), mtime: FIXED_MTIME });
      }
      return;
    }
    const moved: TarHeader = {
      ...header,
      name: join(prefix, name),
      linkname: header.type === "link" ? join(prefix, header.linkname) : header.linkname,
    };
    if (name === KEPT_IF_PRESENT) {
      ownMtab = true;
      moved.mtime = FIXED_MTIME;
    }
    await spool.addStream(moved, body);
  });
  if (prefix !== "" && !spool.has(prefix)) {
    await spool.addBuffer({
      name: prefix,
      type: "directory",
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: FIXED_MTIME,
    });
  }
  for (const e of ENSURED) {
    if ((e.name === KEPT_IF_PRESENT && ownMtab) || keptSymlinks.has(e.name)) continue;
    const h = { ...e, name: join(prefix, e.name), uid: 0, gid: 0, mtime: FIXED_MTIME };
    if (e.name === "etc/resolv.conf" && options.resolvConfSymlink !== undefined) {
      await spool.addBuffer({ ...h, type: "symlink", linkname: options.resolvConfSymlink });
    } else if (REPLACED[e.name] !== undefined) {
      await spool.addBuffer(h, Buffer.from(REPLACED[e.name]!));
    } else {
      await spool.addBuffer(h);
    }
  }
}
