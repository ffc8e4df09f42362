/**
 * What the test images take from this machine: the Debian cloud kernel and
 * a subset of its modules, busybox-static, and dynamically linked binaries
 * (jq, runc) with the shared libraries `ldd` names.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { Layout } from "./layout";

/** Root modules the guest may need; their modules.dep closure is shipped. */
export const KERNEL_MODULES: readonly string[] = [
  // read-write containers (overlay on tmpfs) and loop-mounted images
  "overlay",
  "loop",
  // ISO, squashfs and FAT (EFI system partition) root filesystems
  "isofs",
  "squashfs",
  "vfat",
  "nls_cp437",
  "nls_iso8859_1",
  "nls_utf8",
  "efivarfs",
  // virtio (qemu -device virtio-*-pci); VIRTIO_PCI itself is a module here
  "virtio_pci",
  "virtio_mmio",
  "virtio_blk",
  "virtio_scsi",
  "virtio_net",
  "virtio_rng",
  "virtio_console",
  // emulated IDE/SCSI disks and CD-ROMs (qemu -machine pc; no AHCI module in this kernel)
  "ata_piix",
  "ata_generic",
  "sd_mod",
  "sr_mod",
  "cdrom",
];

export interface Kernel {
  /** `uname -r` of the kernel, e.g. `6.1.0-56-cloud-amd64`. */
  readonly version: string;
  /** The bzImage on the host. */
  readonly image: string;
  /** `/lib/modules/<version>` on the host. */
  readonly modulesDir: string;
}

/**
 * The kernel to package from the Debian tree at `root` (`/`: this machine):
 * `$LINUXKIT_TEST_KERNEL_VERSION` if set (host only), else the newest
 * `boot/vmlinuz-*-<flavour>` with a matching `lib/modules` dir.
 */
export function findKernel(root = "/", flavour = "cloud-amd64"): Kernel {
  const wanted = root === "/" ? process.env.LINUXKIT_TEST_KERNEL_VERSION : undefined;
  const versions = readdirSync(path.join(root, "boot"))
    .filter((f) => f.startsWith("vmlinuz-"))
    .map((f) => f.slice("vmlinuz-".length))
    .filter((v) => existsSync(path.join(root, "lib/modules", v, "modules.dep")))
    .filter((v) => (wanted ? v === wanted : v.endsWith(`-${flavour}`)))
    .sort(compareVersions);
  const version = versions[versions.length - 1];
  if (version === undefined) {
    throw new Error(
      wanted
        ? `no /boot/vmlinuz-${wanted} with /lib/modules/${wanted}/modules.dep`
        : `no ${path.join(root, "boot")}/vmlinuz-*-${flavour} with modules: ` +
            (root === "/"
              ? `apt-get install -y linux-image-${flavour}`
              : "run scripts/fetch-debian-arm64.sh --force"),
    );
  }
  return {
    version,
    image: path.join(root, "boot", `vmlinuz-${version}`),
    modulesDir: path.join(root, "lib/modules", version),
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isInteger(nx) && Number.isInteger(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

/** `foo-bar.ko.xz` -> `foo_bar` (modprobe treats `-` and `_` alike). */
function moduleName(file: string): string {
  return path
    .basename(file)
    .replace(/\.ko(\.(xz|zst|gz))?$/, "")
    .replace(/-/g, "_");
}

/** Reads a module, decompressing `.ko.xz`/`.ko.zst`/`.ko.gz` (busybox insmod wants plain `.ko`). */
function readModule(hostPath: string): Buffer {
  if (hostPath.endsWith(".ko")) return readFileSync(hostPath);
  if (hostPath.endsWith(".gz")) return gunzipSync(readFileSync(hostPath));
  const tool = hostPath.endsWith(".xz") ? "xz" : "zstd";
  const r = spawnSync(tool, ["-dc", hostPath], { maxBuffer: 1 << 28 });
  if (r.status !== 0)
    throw new Error(`${tool} -dc ${hostPath} failed: ${r.stderr?.toString() ?? r.error}`);
  return r.stdout;
}

/**
 * `lib/modules/<version>/...` holding `names` and everything they depend on,
 * plus modules.dep/alias/symbols/softdep/order/builtin* filtered to match,
 * so busybox `modprobe <name>` works. Compressed modules are stored
 * decompressed as `.ko` and the index files say so.
 */
export function kernelModules(kernel: Kernel, names: readonly string[] = KERNEL_MODULES): Layout {
  const depText = readFileSync(path.join(kernel.modulesDir, "modules.dep"), "utf8");
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of depText.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const file = line.slice(0, colon);
    const list = line.slice(colon + 1).trim();
    deps.set(moduleName(file), { file, deps: list === "" ? [] : list.split(/\s+/) });
  }
  const builtin = new Set(
    readIfExists(path.join(kernel.modulesDir, "modules.builtin"))
      .split("\n")
      .filter((l) => l !== "")
      .map(moduleName),
  );

  const files = new Set<string>();
  const visit = (name: string): void => {
    const m = deps.get(name);
    if (m === undefined) {
      if (builtin.has(name)) return;
      throw new Error(
        `kernel ${kernel.version} has no module ${name} (neither in modules.dep nor built in)`,
      );
    }
    if (files.has(m.file)) return;
    files.add(m.file);
    for (const d of m.deps) visit(moduleName(d));
  };
  for (const n of names) visit(n.replace(/-/g, "_"));
  const shipped = new Set([...files].map(moduleName));
  const plain = (file: string): string => file.replace(/\.ko\.(xz|zst|gz)$/, ".ko");

  const root = `lib/modules/${kernel.version}`;
  const out = new Layout();
  for (const file of [...files].sort()) {
    out.file(`${root}/${plain(file)}`, readModule(path.join(kernel.modulesDir, file)));
  }
  const depLines = [...files].sort().map((f) => {
    const d = deps.get(moduleName(f))?.deps ?? [];
    return `${plain(f)}:${d.length ? " " + d.map(plain).join(" ") : ""}`;
  });
  out.file(`${root}/modules.dep`, depLines.join("\n") + "\n");
  // `alias <pattern> <module>` and `alias symbol:<sym> <module>`: keep those naming a shipped module
  const namesShipped = (line: string): boolean =>
    line.startsWith("alias ") &&
    shipped.has((line.trim().split(/\s+/).pop() ?? "").replace(/-/g, "_"));
  for (const index of ["modules.alias", "modules.symbols"]) {
    const kept = readIfExists(path.join(kernel.modulesDir, index)).split("\n").filter(namesShipped);
    out.file(`${root}/${index}`, kept.length ? kept.join("\n") + "\n" : "");
  }
  const softdep = readIfExists(path.join(kernel.modulesDir, "modules.softdep"))
    .split("\n")
    .filter(
      (l) => l.startsWith("softdep ") && shipped.has((l.split(/\s+/)[1] ?? "").replace(/-/g, "_")),
    );
  out.file(`${root}/modules.softdep`, softdep.length ? softdep.join("\n") + "\n" : "");
  const shippedFiles = new Set([...files].map(plain));
  const order = readIfExists(path.join(kernel.modulesDir, "modules.order"))
    .split("\n")
    .filter((l) => l !== "" && shippedFiles.has(plain(l)))
    .map(plain);
  out.file(`${root}/modules.order`, order.length ? order.join("\n") + "\n" : "");
  for (const index of ["modules.builtin", "modules.builtin.modinfo"]) {
    const hostPath = path.join(kernel.modulesDir, index);
    if (existsSync(hostPath)) out.copy(hostPath, `${root}/${index}`, 0o644);
  }
  return out;
}

function readIfExists(p: string): string {
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

/**
 * busybox-static and a symlink for each applet at its usual place
 * (`busybox --list-full`). `applets` is the binary that prints the list
 * (default: `hostPath` itself); a foreign-architecture busybox cannot run
 * here, so its list comes from this machine's busybox of the same version.
 */
export function busybox(hostPath = "/bin/busybox", applets = hostPath): Layout {
  if (!existsSync(hostPath))
    throw new Error(`${hostPath} missing: apt-get install -y busybox-static`);
  const r = spawnSync(applets, ["--list-full"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${applets} --list-full failed: ${r.stderr}`);
  const out = new Layout().copy(hostPath, "bin/busybox", 0o755);
  for (const applet of r.stdout.split("\n").sort()) {
    // `linuxrc` (no folder) is the initrd entry point of busybox images: not wanted
    if (!applet.includes("/") || applet === "bin/busybox") continue;
    out.symlink(applet, "/bin/busybox");
  }
  return out;
}

/**
 * A dynamically linked host binary at `dest` plus every shared library
 * `ldd` lists, each at the path `ldd` prints (the loader included), as
 * regular files.
 */
export function dynamicBinary(hostPath: string, dest: string): Layout {
  if (!existsSync(hostPath)) throw new Error(`${hostPath} missing`);
  const r = spawnSync("ldd", [hostPath], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ldd ${hostPath} failed: ${r.stdout}${r.stderr}`);
  const out = new Layout().copy(hostPath, dest, 0o755);
  for (const line of r.stdout.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const m = /^\s*(?:\S+\s+=>\s+)?(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/.exec(line);
    const lib = m?.[1];
    if (lib === undefined) continue;
    out.copy(lib, lib, 0o755);
  }
  return out;
}
