/**
 * A real Redfish service on loopback for tests: sushy-tools' emulator
 * (installed by scripts/setup-redfish-emulator.sh) over libvirt, exposing
 * only the test's own domains. Each domain is a TCG qemu machine with an
 * empty IDE CD-ROM (where virtual media goes), its serial console written
 * to a file, and user networking with loopback port forwards; BIOS
 * (SeaBIOS) or UEFI (OVMF from Debian's `ovmf`, no Secure Boot: its
 * variable store made by libvirt from the template). The emulator asks
 * for HTTP Basic credentials (bcrypt htpasswd file), and its boot-loader
 * map names the same OVMF, so a `BootSourceOverrideMode: UEFI` keeps it.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import { repoRoot } from "./paths";

const execFileAsync = promisify(execFile);
const VIRSH = ["-c", "qemu:///system"];

/** Runs scripts/setup-redfish-emulator.sh (idempotent): the venv's bin folder. */
export function ensureRedfishEmulator(): string {
  const out = execFileSync("bash", [path.join(repoRoot, "scripts", "setup-redfish-emulator.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop()!;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** OVMF without Secure Boot (4 MiB flash) and its variable store template. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

export type Firmware = "bios" | "efi";

export interface TestDomain {
  name: string;
  firmware: Firmware;
  uuid: string;
  consoleLog: string;
  /** Host port forwarded to the guest's port 80. */
  httpPort: number;
}

function domainXml(
  name: string,
  consoleLog: string,
  httpPort: number,
  memoryMiB: number,
  firmware: Firmware,
): string {
  // libvirt keeps the variable store (made from the template) in its own
  // nvram folder, where qemu may write; `undefine --nvram` removes it.
  // libvirt refuses UEFI on x86 without ACPI.
  const loader =
    firmware === "efi"
      ? `<loader readonly='yes' secure='no' type='pflash'>${OVMF_CODE}</loader><nvram template='${OVMF_VARS}'/>`
      : "";
  const features = firmware === "efi" ? "\n  <features><acpi/></features>" : "";
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>${loader}<boot dev='hd'/></os>${features}
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <serial type='file'>
      <source path='${consoleLog}' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=lknet0,hostfwd=tcp:127.0.0.1:${httpPort}-:80'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=lknet0'/>
  </qemu:commandline>
</domain>
`;
}

/** Defines (does not start) a domain; its console goes to `<dir>/<name>.console.log`. */
export async function defineDomain(
  dir: string,
  name: string,
  firmware: Firmware = "bios",
  memoryMiB = 512,
): Promise<TestDomain> {
  if (firmware === "efi" && !existsSync(OVMF_CODE)) {
    throw new Error(
      `a UEFI test machine needs ${OVMF_CODE}: install Debian's ovmf (scripts/setup.sh does)`,
    );
  }
  const consoleLog = path.join(dir, `${name}.console.log`);
  const httpPort = await freePort();
  const xml = path.join(dir, `${name}.xml`);
  await writeFile(xml, domainXml(name, consoleLog, httpPort, memoryMiB, firmware));
  await execFileAsync("virsh", [...VIRSH, "define", xml]);
  const { stdout } = await execFileAsync("virsh", [...VIRSH, "domuuid", name]);
  return { name, firmware, uuid: stdout.trim(), consoleLog, httpPort };
}

/**
 * Stops and removes a domain, its variable store and the media the
 * emulator downloaded for it into the `default` pool (sushy-tools names
 * them `<file>-<domain uuid>.img` and never deletes them). No error when
 * something is gone.
 */
export async function removeDomain(d: TestDomain): Promise<void> {
  await execFileAsync("virsh", [...VIRSH, "destroy", d.name]).catch(() => undefined);
  await execFileAsync("virsh", [...VIRSH, "undefine", "--nvram", d.name]).catch(() => undefined);
  // `vol-list` (libvirt 9.0 has no --name): a header, a rule, then "<name>  <path>" lines.
  const { stdout } = await execFileAsync("virsh", [
    ...VIRSH,
    "vol-list",
    "--pool",
    "default",
  ]).catch(() => ({ stdout: "" }));
  for (const vol of stdout.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "")) {
    if (!vol.endsWith(`-${d.uuid}.img`)) continue;
    await execFileAsync("virsh", [...VIRSH, "vol-delete", "--pool", "default", vol]).catch(
      () => undefined,
    );
  }
}

/** `virsh domstate`: `running`, `shut off`, ... */
export async function domainState(name: string): Promise<string> {
  const { stdout } = await execFileAsync("virsh", [...VIRSH, "domstate", name]);
  return stdout.trim();
}

/** Powers a domain off behind the BMC's back (as a power cut or a person would). */
export async function destroyDomain(name: string): Promise<void> {
  await execFileAsync("virsh", [...VIRSH, "destroy", name]);
}

export interface SushyEmulator {
  endpoint: string;
  username: string;
  password: string;
  /** The emulator's log (its request lines, `"POST /redfish/v1/... HTTP/1.1" 204`). */
  log(): string;
  /** Request lines `METHOD path` logged since `from` (an index into `requests()`). */
  requests(): string[];
  close(): Promise<void>;
}

/** Starts sushy-emulator on 127.0.0.1 exposing only `domains` (by UUID), with Basic auth. */
export async function startSushy(
  binDir: string,
  dir: string,
  domains: TestDomain[],
): Promise<SushyEmulator> {
  const username = "admin";
  const password = `pw-${randomBytes(9).toString("hex")}`;
  const htpasswd = path.join(dir, "htpasswd");
  const { stdout } = await execFileAsync("htpasswd", ["-nbB", username, password]);
  await writeFile(htpasswd, stdout, { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, "sushy.conf");
  await writeFile(
    config,
    [
      `SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'`,
      `SUSHY_EMULATOR_LISTEN_PORT = ${port}`,
      `SUSHY_EMULATOR_LIBVIRT_URI = 'qemu:///system'`,
      `SUSHY_EMULATOR_FEATURE_SET = 'vmedia'`,
      `SUSHY_EMULATOR_AUTH_FILE = '${htpasswd}'`,
      `SUSHY_EMULATOR_ALLOWED_INSTANCES = ${JSON.stringify(domains.map((d) => d.uuid))}`,
      `SUSHY_EMULATOR_VMEDIA_VERIFY_SSL = False`,
      // Its default UEFI loader is OVMF's Secure Boot build, which needs SMM
      // (q35); a UEFI override keeps the plain OVMF the domains start with.
      `SUSHY_EMULATOR_BOOT_LOADER_MAP = {'UEFI': {'x86_64': '${OVMF_CODE}'}, 'Legacy': {'x86_64': None}}`,
      `SUSHY_EMULATOR_SECURE_BOOT_DISABLED_NVRAM = '${OVMF_VARS}'`,
      "",
    ].join("\n"),
  );
  let log = "";
  const child: ChildProcess = spawn(path.join(binDir, "sushy-emulator"), ["--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SUSHY_EMULATOR_CONFIG: config },
  });
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sushy-emulator exited: ${log}`);
    const up = await fetch(`${endpoint}/redfish/v1/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`sushy-emulator did not answer within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    username,
    password,
    log: () => log,
    requests: () =>
      [
        ...log
          .split("\u001b")
          .join("")
          .replace(/\[[0-9;]*m/g, "")
          .matchAll(/"(GET|POST|PATCH|DELETE|PUT) (\S+) HTTP\/1\.\d" (\d+)/g),
      ].map((m) => `${m[1]} ${m[2]} ${m[3]}`),
    async close() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}
