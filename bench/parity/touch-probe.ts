/**
 * A probe of LinuxKit's `touch` and `replace` tables (moby/build/image.go):
 * the corpus's stand-ins all have plain root 0755 directories and no
 * `etc/mtab`, so they cannot show what happens to an image's own headers
 * of the touched paths. This image has every touched path with unusual
 * headers (odd modes and owners, its own `etc/mtab` link, `etc/hosts` and
 * `etc/resolv.conf` files with odd modes) and is used as an init image, a
 * container and a volume by one extra YAML of the parity run.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import tar from "tar-stream";

import type { CorpusYaml } from "./corpus";
import { STAND_IN_LABEL } from "./stand-ins";

export const PROBE_REF = "parity-probe/touched-paths:1";

interface ProbeEntry {
  name: string;
  type: "directory" | "file" | "symlink";
  mode: number;
  uid?: number;
  data?: string;
  linkname?: string;
}

/** Every path LinuxKit touches or replaces, with headers an image could have. */
const ENTRIES: ProbeEntry[] = [
  { name: "bin/", type: "directory", mode: 0o755 },
  { name: "bin/true", type: "file", mode: 0o755, data: "#!/bin/sh\n" },
  { name: "dev/", type: "directory", mode: 0o711, uid: 5 },
  { name: "dev/pts/", type: "directory", mode: 0o700 },
  { name: "dev/shm/", type: "directory", mode: 0o1777 },
  { name: "etc/", type: "directory", mode: 0o775, uid: 1 },
  { name: "etc/hosts", type: "file", mode: 0o600, uid: 7, data: "192.0.2.1 probe\n" },
  { name: "etc/mtab", type: "symlink", mode: 0o777, linkname: "/proc/self/mounts" },
  { name: "etc/resolv.conf", type: "file", mode: 0o640, uid: 3, data: "nameserver 192.0.2.53\n" },
  { name: "proc/", type: "directory", mode: 0o555 },
  { name: "sys/", type: "directory", mode: 0o555 },
];

async function probeTar(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of ENTRIES) {
    const uid = e.uid ?? 0;
    const header = { name: e.name, type: e.type, mode: e.mode, uid, gid: uid, mtime: new Date(0) };
    pack.entry(e.type === "symlink" ? { ...header, linkname: e.linkname } : header, e.data ?? "");
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * Imports the probe image into the engine as {@link PROBE_REF} and writes
 * its YAML (kernel `kernelRef`, the probe as init image, read-only onboot
 * container and volume) into `dir`.
 * @throws Error when the engine refuses the import.
 */
export async function makeTouchProbe(dir: string, kernelRef: string): Promise<CorpusYaml> {
  const r = spawnSync(
    "docker",
    ["import", "-c", `LABEL ${STAND_IN_LABEL}=${PROBE_REF}`, "-", PROBE_REF],
    { input: await probeTar(), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`docker import of the touch probe failed: ${r.stderr}`);
  const file = path.join(dir, "touched-paths.yml");
  writeFileSync(
    file,
    `kernel:
  image: ${kernelRef}
  cmdline: "console=ttyS0"
init:
  - ${PROBE_REF}
onboot:
  - name: probe
    image: ${PROBE_REF}
    readonly: true
    command: ["/bin/true"]
volumes:
  - name: probe
    image: ${PROBE_REF}
`,
  );
  return {
    file,
    label: "(probe) touched-paths.yml",
    images: new Map([
      [kernelRef, "kernel"],
      [PROBE_REF, "init"],
    ]),
    files: [],
    volumes: ["probe"],
  };
}
