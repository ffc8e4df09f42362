/**
 * The iPXE script `linuxkit run equinixmetal` serves as
 * `<name>-equinixmetal.ipxe`, reproduced byte for byte: a bare-metal
 * machine booted with `operating_system: custom_ipxe` fetches it, then the
 * kernel and initrd it names from the same base URL.
 */

/** CPU architectures the script has a shape for. */
export type IpxeArch = "x86_64" | "aarch64";

export interface IpxeScriptArgs {
  /** Base URL the files are served from, without a trailing slash (e.g. `https://example.com/images`). */
  baseUrl: string;
  /** Prefix of the served files: `<name>-kernel`, `<name>-initrd.img`. */
  name: string;
  /** Machine architecture. Default `x86_64`. */
  arch?: IpxeArch;
  /** The image's own kernel command line, appended to the iPXE kernel parameters. Default empty. */
  cmdline?: string;
}

/** The file names LinuxKit serves for an image called `name`. */
export function ipxeFileNames(name: string): { kernel: string; initrd: string; script: string } {
  return {
    kernel: `${name}-kernel`,
    initrd: `${name}-initrd.img`,
    script: `${name}-equinixmetal.ipxe`,
  };
}

/**
 * The script text. On x86_64 the serial console of Metal machines is ttyS1,
 * so `console=ttyS1,115200` is added unless the command line already names
 * ttyS1; aarch64 machines boot through EFI and need the initrd named and
 * `root=/dev/ram0`. Like LinuxKit's, the script ends with `boot` and no
 * trailing newline.
 */
export function ipxeScript(args: IpxeScriptArgs): string {
  const { baseUrl, name } = args;
  const arch = args.arch ?? "x86_64";
  const cmdline = args.cmdline ?? "";
  const files = ipxeFileNames(name);
  let script = "#!ipxe\n\n";
  script += "dhcp\n";
  script += `set base-url ${baseUrl}\n`;
  if (arch !== "aarch64") {
    const tty = cmdline.includes("console=ttyS1") ? "" : "console=ttyS1,115200";
    script += `set kernel-params ip=dhcp nomodeset ro serial ${tty} ${cmdline}\n`;
    script += `kernel \${base-url}/${files.kernel} \${kernel-params}\n`;
    script += `initrd \${base-url}/${files.initrd}\n`;
  } else {
    script += `initrd --name initrd \${base-url}/${files.initrd}\n`;
    script += `set kernel-params ip=dhcp nomodeset ro ${cmdline}\n`;
    script += `kernel \${base-url}/${files.kernel} initrd=initrd root=/dev/ram0 \${kernel-params}\n`;
  }
  script += "boot";
  return script;
}

/**
 * The architecture of a Metal plan: LinuxKit's rule (`baremetal_2a`,
 * `baremetal_2a2` are Arm) plus the newer `*.arm64` slugs (`c3.large.arm64`).
 */
export function archOfPlan(plan: string): IpxeArch {
  return plan === "baremetal_2a" || plan === "baremetal_2a2" || /\.arm64$/.test(plan)
    ? "aarch64"
    : "x86_64";
}

/** `baseUrl` joined with a file name, with exactly one slash between them. */
export function urlOf(baseUrl: string, file: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${file}`;
}
