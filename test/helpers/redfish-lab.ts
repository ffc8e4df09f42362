/**
 * Everything a Redfish test boots against, on loopback: sushy-tools over
 * libvirt with the test's own TCG domains (BIOS or UEFI, one firmware a
 * domain), and a file server for the ISOs (the web image of
 * test/helpers/fleet-web.ts in each version asked for, built as iso-bios
 * or iso-efi by the CLI). `close()` removes the domains, stops the
 * servers and deletes the scratch folder.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { startFileServer, type FileServer } from "../../components/serve/file-server";
import { ensureTestImages } from "./boot";
import { webYaml } from "./fleet-web";
import { repoRoot } from "./paths";
import {
  defineDomain,
  ensureRedfishEmulator,
  removeDomain,
  startSushy,
  type Firmware,
  type SushyEmulator,
  type TestDomain,
} from "./redfish-emulator";

const execFileAsync = promisify(execFile);

export interface RedfishLab {
  dir: string;
  sushy: SushyEmulator;
  domains: TestDomain[];
  files: FileServer;
  /** URL of the ISO of web image `version` (built on first ask; default iso-bios, working). */
  iso(version: string, options?: IsoOptions): Promise<string>;
  close(): Promise<void>;
}

export interface IsoOptions {
  /** The web service never listens (test/helpers/fleet-web.ts). */
  broken?: boolean;
  format?: "iso-bios" | "iso-efi";
}

/** A lab with one domain for each entry of `machines`, booting with that firmware. */
export async function startRedfishLab(prefix: string, machines: Firmware[]): Promise<RedfishLab> {
  const bin = ensureRedfishEmulator();
  await ensureTestImages();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  const isoDir = path.join(dir, "www");
  await execFileAsync("mkdir", ["-p", isoDir]);
  const domains: TestDomain[] = [];
  let sushy: SushyEmulator | undefined;
  let files: FileServer | undefined;
  const close = async (): Promise<void> => {
    await sushy?.close();
    await files?.close();
    await Promise.all(domains.map((d) => removeDomain(d)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, firmware] of machines.entries()) {
      domains.push(await defineDomain(dir, `${prefix}-${process.pid}-${i}`, firmware));
    }
    sushy = await startSushy(bin, dir, domains);
    files = await startFileServer({ dir: isoDir, port: 0, host: "127.0.0.1" });
  } catch (e) {
    await close();
    throw e;
  }
  const built = new Map<string, Promise<string>>();
  const server = files;
  return {
    dir,
    sushy,
    domains,
    files,
    iso(version, { broken = false, format = "iso-bios" } = {}) {
      const name = `web-${version}${broken ? "-broken" : ""}`;
      // The CLI names them <name>.iso and <name>-efi.iso.
      const file = `${name}${format === "iso-efi" ? "-efi" : ""}.iso`;
      let p = built.get(file);
      if (p === undefined) {
        p = (async () => {
          const yml = path.join(dir, `${file}.yml`);
          await writeFile(yml, webYaml(version, broken));
          await execFileAsync(process.execPath, [
            path.join(repoRoot, "bin", "pulumi-linuxkit.js"),
            "build",
            "--format",
            format,
            "--dir",
            isoDir,
            "--name",
            name,
            yml,
          ]);
          return `${server.url}/${file}`;
        })();
        built.set(file, p);
      }
      return p;
    },
    close,
  };
}
