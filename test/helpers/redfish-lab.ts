/**
 * Everything a Redfish test boots against, on loopback: sushy-tools over
 * libvirt with the test's own TCG domains, and a file server for the ISOs
 * (the web image of test/helpers/fleet-web.ts in each version asked for,
 * built as iso-bios by the CLI). `close()` removes the domains, stops the
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
  type SushyEmulator,
  type TestDomain,
} from "./redfish-emulator";

const execFileAsync = promisify(execFile);

export interface RedfishLab {
  dir: string;
  sushy: SushyEmulator;
  domains: TestDomain[];
  files: FileServer;
  /** URL of the iso-bios of web image `version` (built on first ask). */
  iso(version: string, broken?: boolean): Promise<string>;
  close(): Promise<void>;
}

export async function startRedfishLab(prefix: string, machines: number): Promise<RedfishLab> {
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
    await Promise.all(domains.map((d) => removeDomain(d.name)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < machines; i++) {
      domains.push(await defineDomain(dir, `${prefix}-${process.pid}-${i}`));
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
    iso(version, broken = false) {
      const name = `web-${version}${broken ? "-broken" : ""}`;
      let p = built.get(name);
      if (p === undefined) {
        p = (async () => {
          const yml = path.join(dir, `${name}.yml`);
          await writeFile(yml, webYaml(version, broken));
          await execFileAsync(process.execPath, [
            path.join(repoRoot, "bin", "pulumi-linuxkit.js"),
            "build",
            "--format",
            "iso-bios",
            "--dir",
            isoDir,
            "--name",
            name,
            yml,
          ]);
          return `${server.url}/${name}.iso`;
        })();
        built.set(name, p);
      }
      return p;
    },
    close,
  };
}
