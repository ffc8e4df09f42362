/**
 * Looking inside the ISO and FAT images the ISO formats write, with the
 * same Debian tools a user would use (xorriso, mtools). For the iso-*
 * tests and test/e2e/boot-iso.test.ts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

function tool(command: string, args: string[]): string {
  const r = spawnSync(command, args, {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1", LC_ALL: "C", TZ: "UTC" },
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** One entry of an ISO's Rock Ridge tree. */
export interface IsoEntry {
  path: string;
  /** `ls -l` style, e.g. `-r--r--r--`. */
  mode: string;
  uid: number;
  gid: number;
  size: number;
  /** `ls -l` style date, one space between parts, e.g. `Jan 1 1980`. */
  date: string;
  /** Symlink target. */
  target?: string;
}

/** Every file and directory in `iso` (xorriso `-find / -exec lsdl`), in xorriso's (sorted) order. */
export function isoTree(iso: string): IsoEntry[] {
  const out = tool("xorriso", ["-indev", iso, "-find", "/", "-exec", "lsdl", "--"]);
  const entries: IsoEntry[] = [];
  for (const line of out.split("\n")) {
    const m =
      /^(\S+)\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\w{3}\s+\d+\s+[\d:]+)\s+'(.*?)'(?: -> '(.*)')?$/.exec(
        line,
      );
    if (m === null) continue;
    entries.push({
      mode: m[1] ?? "",
      uid: Number(m[2]),
      gid: Number(m[3]),
      size: Number(m[4]),
      date: (m[5] ?? "").replace(/\s+/g, " "),
      path: m[6] ?? "",
      ...(m[7] === undefined ? {} : { target: m[7] }),
    });
  }
  return entries;
}

/** One El Torito boot image as xorriso reports it. */
export interface ElToritoImage {
  platform: string;
  bootable: boolean;
  emulation: string;
  /** Load size in 512-byte sectors. */
  loadSize: number;
  /** Start in 2048-byte blocks. */
  lba: number;
  /** ISO path of the image, when it is visible in the tree. */
  path?: string;
  options?: string;
}

/** xorriso `-report_el_torito plain`, parsed. */
export function elTorito(iso: string): { catalogLba: number | undefined; images: ElToritoImage[] } {
  const out = tool("xorriso", ["-indev", iso, "-report_el_torito", "plain"]);
  const images = new Map<number, ElToritoImage>();
  let catalogLba: number | undefined;
  for (const line of out.split("\n")) {
    const cat = /^El Torito catalog\s*:\s*(\d+)/.exec(line);
    if (cat) catalogLba = Number(cat[1]);
    const img =
      /^El Torito boot img\s*:\s*(\d+)\s+(\S+)\s+([yn])\s+(\S+)\s+\S+\s+\S+\s+(\d+)\s+(\d+)/.exec(
        line,
      );
    if (img) {
      images.set(Number(img[1]), {
        platform: img[2] ?? "",
        bootable: img[3] === "y",
        emulation: img[4] ?? "",
        loadSize: Number(img[5]),
        lba: Number(img[6]),
      });
    }
    const p = /^El Torito img path\s*:\s*(\d+)\s+(\S+)/.exec(line);
    const pImage = p ? images.get(Number(p[1])) : undefined;
    if (p && pImage) pImage.path = p[2];
    const o = /^El Torito img opts\s*:\s*(\d+)\s+(.*)$/.exec(line);
    const oImage = o ? images.get(Number(o[1])) : undefined;
    if (o && oImage) oImage.options = o[2]?.trim();
  }
  return { catalogLba, images: [...images.values()] };
}

/** The primary volume descriptor fields xorriso `-pvd_info` prints, by name. */
export function pvdInfo(iso: string): Map<string, string> {
  const out = tool("xorriso", ["-indev", iso, "-pvd_info"]);
  const fields = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^([^:]+?)\s*:\s?(.*)$/.exec(line);
    if (m) fields.set(m[1] ?? "", m[2] ?? "");
  }
  return fields;
}

/** The contents of the file `isoPath` in `iso`. */
export function isoFile(iso: string, isoPath: string, scratchFile: string): Buffer {
  tool("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", isoPath, scratchFile]);
  return readFileSync(scratchFile);
}

/** `mdir -/ -a` of the FAT file system at byte `offset` of `image`. */
export function fatListing(image: string, offset = 0): string {
  return tool("mdir", ["-/", "-a", "-i", `${image}@@${offset}`, "::"]);
}

/** `minfo` of the FAT file system at byte `offset` of `image`. */
export function fatInfo(image: string, offset = 0): string {
  return tool("minfo", ["-i", `${image}@@${offset}`, "::"]);
}

/** The bytes of the file `fatPath` in the FAT file system at `offset` of `image`. */
export function fatFile(image: string, fatPath: string, offset = 0): Buffer {
  const r = spawnSync("mcopy", ["-n", "-i", `${image}@@${offset}`, `::${fatPath}`, "-"], {
    maxBuffer: 1 << 26,
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  if (r.status !== 0)
    throw new Error(`mcopy ${fatPath} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}
