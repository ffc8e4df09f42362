import type { Readable } from "node:stream";

import { FIXED_MTIME, forEachTarEntry, type EntryHeader } from "./tar-entry";
import type { TarSpool } from "./tar-spool";

/** Paths Docker adds to every exported container that must not reach the image. */
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

/** Files whose content Docker controls; they are replaced with neutral content. */
const REPLACED: Record<string, string> = { "etc/hosts": HOSTS, "etc/resolv.conf": RESOLV_CONF };

/** Paths every image must have, created when the image lacks them. */
const ENSURED: ReadonlyArray<Omit<EntryHeader, "size" | "uid" | "gid" | "mtime">> = [
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
 * Adds an exported image filesystem to the spool below `prefix`, filtered
 * as LinuxKit filters images: Docker's injected files dropped, hosts and
 * resolv.conf neutralised, and the directories a container needs ensured.
 */
export async function addImageLayer(
  spool: TarSpool,
  rootfs: Readable,
  options: ImageLayerOptions,
): Promise<void> {
  const { prefix } = options;
  const seen = new Set<string>();
  const addReplacement = async (
    h: Pick<EntryHeader, "name" | "mode" | "uid" | "gid">,
  ): Promise<void> => {
    const target = join(prefix, h.name);
    if (h.name === "etc/resolv.conf" && options.resolvConfSymlink !== undefined) {
      await spool.addBuffer({
        ...h,
        name: target,
        type: "symlink",
        linkname: options.resolvConfSymlink,
        mtime: FIXED_MTIME,
      });
    } else {
      await spool.addBuffer(
        { ...h, name: target, type: "file", mtime: FIXED_MTIME },
        Buffer.from(REPLACED[h.name] ?? ""),
      );
    }
  };
  await forEachTarEntry(rootfs, async (header, body) => {
    const name = header.name;
    if (EXCLUDED.has(name) || name.startsWith("dev/pts/") || name.startsWith("dev/shm/")) return;
    seen.add(name);
    if (REPLACED[name] !== undefined) {
      await addReplacement(header);
      return;
    }
    const moved: EntryHeader = {
      ...header,
      name: join(prefix, name),
      linkname: header.type === "link" ? join(prefix, header.linkname ?? "") : header.linkname,
    };
    if (ENSURED.some((e) => e.name === name)) moved.mtime = FIXED_MTIME;
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
    if (seen.has(e.name)) continue;
    if (REPLACED[e.name] !== undefined) {
      await addReplacement({ name: e.name, mode: e.mode, uid: 0, gid: 0 });
    } else {
      await spool.addBuffer({
        ...e,
        name: join(prefix, e.name),
        uid: 0,
        gid: 0,
        mtime: FIXED_MTIME,
      });
    }
  }
}
