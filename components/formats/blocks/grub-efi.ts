/**
 * A reproducible GRUB EFI boot loader (`BOOTX64.EFI`) and the GRUB
 * configuration that boots a kernel + initrd. Used by the EFI ISO formats
 * and the EFI disk formats.
 *
 * The loader is made with `grub-mkimage -O x86_64-efi` (grub-common) from
 * the modules of grub-efi-amd64-bin. Its output depends only on the module
 * files, the module list, the prefix and the embedded early config: no
 * timestamps (checked: two runs seconds apart give identical bytes).
 * `grub-mkstandalone` is not used: its memdisk tar carries the build
 * time, and it is 16 times larger.
 *
 * The embedded early config finds the file system holding the real
 * `grub.cfg` by UUID ({@link grubEarlyConfig}) and loads it. The UUID of an
 * ISO 9660 file system as GRUB sees it is xorriso's `-volume_date uuid`
 * (see {@link isoVolumeUuid}); of a FAT file system, its volume serial
 * (`XXXX-XXXX`, see {@link fatUuid}).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { LinuxKitError } from "../../errors/errors";
import type { WrittenFile } from "../../tar/file-sink";
import { hashFile } from "./fat-image";
import { runTool } from "./iso-tools";
import { requireTool } from "./tools";
import type { ToolRequirement } from "./types";
import { access } from "node:fs/promises";

/** The command {@link buildGrubEfi} runs. Its modules come from grub-efi-amd64-bin (checked separately). */
export const GRUB_EFI_TOOLS: readonly ToolRequirement[] = [
  { command: "grub-mkimage", debianPackage: "grub-common" },
];

/** Where Debian's grub-efi-amd64-bin keeps the x86_64 EFI modules. */
export const GRUB_EFI_MODULE_DIR = "/usr/lib/grub/x86_64-efi";

/** The EFI removable-media boot path for x86_64, inside an ESP or El Torito image. */
export const EFI_BOOT_PATH = "EFI/BOOT/BOOTX64.EFI";

/**
 * Modules built into the loader: enough to find a file system by UUID on a
 * CD or a GPT/MBR disk (ISO 9660, FAT, ext2), read a config, and boot Linux
 * (EFI handover) with a serial console. Dependencies are added by
 * grub-mkimage.
 */
export const GRUB_EFI_MODULES: readonly string[] = [
  "all_video",
  "configfile",
  "echo",
  "efi_gop",
  "ext2",
  "fat",
  "iso9660",
  "linux",
  "normal",
  "part_gpt",
  "part_msdos",
  "search",
  "search_fs_file",
  "search_fs_uuid",
  "serial",
  "terminal",
  "test",
];

/** Options for {@link buildGrubEfi}. */
export interface GrubEfiOptions {
  /** The config embedded in the loader, run first (usually {@link grubEarlyConfig}). */
  earlyConfig: string;
  /** GRUB's `$prefix` before the early config runs. Default `/EFI/BOOT`. */
  prefix?: string;
  /** Modules in addition to {@link GRUB_EFI_MODULES}. */
  extraModules?: readonly string[];
  /** Scratch directory for the early config file. */
  tmpDir: string;
  signal?: AbortSignal;
}

/** TOOL_MISSING unless grub-mkimage and the x86_64 EFI modules are installed. */
export async function requireGrubEfi(): Promise<string> {
  const mkimage = await requireTool("grub-mkimage", "grub-common");
  try {
    await access(path.join(GRUB_EFI_MODULE_DIR, "moddep.lst"));
  } catch {
    throw new LinuxKitError(
      "TOOL_MISSING",
      `GRUB x86_64 EFI modules not found in ${GRUB_EFI_MODULE_DIR}: install them with \`apt-get install grub-efi-amd64-bin\``,
      { hint: "run `apt-get install grub-efi-amd64-bin`" },
    );
  }
  return mkimage;
}

/**
 * Writes a GRUB x86_64 EFI loader to `outPath` and returns its size and
 * sha256. Same inputs (and same installed GRUB) → same bytes.
 */
export async function buildGrubEfi(outPath: string, opts: GrubEfiOptions): Promise<WrittenFile> {
  const mkimage = await requireGrubEfi();
  const cfg = path.join(opts.tmpDir, `grub-early-${path.basename(outPath)}.cfg`);
  await writeFile(cfg, opts.earlyConfig);
  const modules = [...new Set([...GRUB_EFI_MODULES, ...(opts.extraModules ?? [])])].sort();
  await runTool(
    mkimage,
    [
      "-O",
      "x86_64-efi",
      "-d",
      GRUB_EFI_MODULE_DIR,
      "-o",
      outPath,
      "-c",
      cfg,
      "-p",
      opts.prefix ?? "/EFI/BOOT",
      ...modules,
    ],
    { signal: opts.signal, purpose: "making the GRUB EFI loader" },
  );
  return hashFile(outPath, opts.signal);
}

/**
 * The early config: find the file system whose GRUB UUID is `uuid`, make
 * it `$root`, and run `configPath` (absolute on that file system) from it.
 * If the search fails GRUB says so and drops to its prompt.
 */
export function grubEarlyConfig(uuid: string, configPath: string): string {
  if (!/^[0-9A-Za-z-]+$/.test(uuid)) throw new Error(`bad GRUB uuid ${uuid}`);
  if (!/^\/[\w./-]+$/.test(configPath)) throw new Error(`bad GRUB config path ${configPath}`);
  const dir = path.posix.dirname(configPath);
  return [
    `search --no-floppy --fs-uuid --set=root ${uuid}`,
    `set prefix=($root)${dir}`,
    `configfile ($root)${configPath}`,
    "",
  ].join("\n");
}

/** What {@link grubBootConfig} boots. */
export interface GrubBootEntry {
  /** Absolute path of the kernel on `$root`, e.g. `/boot/kernel`. */
  kernel: string;
  /** Absolute path of the initrd on `$root`; omit for none. */
  initrd?: string;
  /** The kernel command line exactly as the image gives it. */
  cmdline: string;
  /** Menu entry title. Default `LinuxKit`. */
  title?: string;
}

/**
 * A `grub.cfg` that boots `entry` at once (timeout 0), with GRUB's own
 * input and output on both the serial port (ttyS0, 115200) and the
 * firmware console, so it never waits on a screen nobody sees. The
 * kernel's console is whatever the command line says.
 */
export function grubBootConfig(entry: GrubBootEntry): string {
  const lines = [
    "set timeout=0",
    "set default=0",
    "serial --unit=0 --speed=115200",
    "terminal_input serial console",
    "terminal_output serial console",
    "set gfxpayload=text",
    `menuentry '${(entry.title ?? "LinuxKit").replace(/'/g, "")}' {`,
    `\tlinux ${grubQuote(entry.kernel)}${grubCmdline(entry.cmdline)}`,
  ];
  if (entry.initrd !== undefined) lines.push(`\tinitrd ${grubQuote(entry.initrd)}`);
  lines.push("}", "");
  return lines.join("\n");
}

/**
 * A kernel command line as GRUB `linux` arguments that give the kernel the
 * same parameters. GRUB rebuilds the command line from its arguments: it
 * puts an argument containing a space in double quotes and backslash-escapes
 * `"`, `'` and `\\`. So each word is split the way the kernel splits
 * (whitespace outside double quotes), the double quotes the kernel would
 * strip anyway (around the word or the value) are dropped, and the word is
 * single-quoted for GRUB's parser when it has special characters:
 * `foo="a b"` reaches the kernel as `"foo=a b"`, which it reads the same.
 * A literal `'` or `\\`, or a `"` inside a value, cannot pass GRUB
 * unchanged (GRUB escapes it).
 */
export function grubCmdline(cmdline: string): string {
  return kernelWords(cmdline)
    .map((w) => ` ${grubQuote(unquoteKernelWord(w))}`)
    .join("");
}

/** The words of a kernel command line: whitespace separates them except inside double quotes. */
export function kernelWords(cmdline: string): string[] {
  const words: string[] = [];
  let current = "";
  let inQuote = false;
  for (const c of cmdline) {
    if (/\s/.test(c) && !inQuote) {
      if (current !== "") words.push(current);
      current = "";
      continue;
    }
    if (c === '"') inQuote = !inQuote;
    current += c;
  }
  if (current !== "") words.push(current);
  return words;
}

/**
 * What the kernel makes of one word (its `next_arg`): a leading `"` and the
 * matching last `"` are dropped, so are a `"` opening the value (after the
 * first `=`) and the last `"`. `p="a b"` and `"p=a b"` → `p=a b`.
 */
export function unquoteKernelWord(word: string): string {
  if (!word.includes('"')) return word;
  const quoted = word.startsWith('"');
  const rest = quoted ? word.slice(1) : word;
  let stripLast = quoted;
  const eq = rest.indexOf("=");
  let param = rest;
  let value: string | undefined;
  if (eq >= 0) {
    param = rest.slice(0, eq);
    value = rest.slice(eq + 1);
    if (value.startsWith('"')) {
      value = value.slice(1);
      stripLast = true;
    }
  }
  const dropEnd = (t: string): string => (stripLast && t.endsWith('"') ? t.slice(0, -1) : t);
  return value === undefined ? dropEnd(param) : `${param}=${dropEnd(value)}`;
}

function grubQuote(word: string): string {
  if (/^[A-Za-z0-9_./:,=+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A 16-digit ISO 9660 volume "uuid" (xorriso `-volume_date uuid`,
 * YYYYMMDDhhmmsscc) derived from a hex digest, always a valid date in
 * 2000-2999, so that different contents give different UUIDs and the same
 * content the same one.
 */
export function isoVolumeUuid(hexDigest: string): string {
  if (!/^[0-9a-fA-F]{16,}$/.test(hexDigest)) throw new Error(`not a hex digest: ${hexDigest}`);
  let n = BigInt(`0x${hexDigest.slice(0, 16)}`);
  const take = (m: number): number => {
    const v = Number(n % BigInt(m));
    n /= BigInt(m);
    return v;
  };
  const pad = (v: number, w: number): string => String(v).padStart(w, "0");
  const year = 2000 + take(1000);
  const month = 1 + take(12);
  const day = 1 + take(28);
  const hour = take(24);
  const minute = take(60);
  const second = take(60);
  const centi = take(100);
  return `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}${pad(hour, 2)}${pad(minute, 2)}${pad(second, 2)}${pad(centi, 2)}`;
}

/** How GRUB names the ISO 9660 UUID `isoVolumeUuid` gave: `YYYY-MM-DD-hh-mm-ss-cc`. */
export function grubIsoUuid(volumeUuid: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(volumeUuid);
  if (m === null) throw new Error(`bad ISO volume uuid ${volumeUuid}`);
  return m.slice(1).join("-");
}

/** How GRUB names a FAT file system with volume serial `serial`: `xxxx-xxxx`, lower-case hex as GRUB prints it. */
export function fatUuid(serial: number): string {
  const hex = serial.toString(16).padStart(8, "0");
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}
