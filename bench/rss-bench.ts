/**
 * Peak memory with a 1 GiB root filesystem: a YAML adding one 1 GiB file
 * (incompressible bytes, from `files[].source`) to a small image, built as
 * kernel+initrd with the CLI in a fresh process. Fails unless the peak RSS
 * stays under 300 MB: memory must stay flat whatever the image size.
 *
 * Usage: npm run build && node dist/bench/rss-bench.js   (needs ~4 GiB in $TMPDIR)
 */
import { randomBytes } from "node:crypto";
import { open, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { measure } from "./measure";
import { repoRoot } from "../test/helpers/paths";

const LIMIT_MB = 300;
const GIB = 1024 ** 3;

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-rss-bench-"));
  try {
    const blob = path.join(work, "blob");
    const fh = await open(blob, "w");
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < GIB / block.length; i++) {
      block.writeUInt32LE(i, 0); // every MiB differs
      await fh.write(block);
    }
    await fh.close();
    const yml = path.join(work, "big.yml");
    await writeFile(
      yml,
      `kernel:
  image: linuxkit-test/kernel:test
  cmdline: "console=ttyS0"
init:
  - linuxkit-test/init:test
files:
  - path: var/big/blob
    source: ./blob
    mode: "0644"
`,
    );
    const m = measure(process.execPath, [
      path.join(repoRoot, "bin", "pulumi-linuxkit.js"),
      "build",
      "--no-cache",
      "--dir",
      path.join(work, "out"),
      yml,
    ]);
    const rssMB = (m.rssMiB * 1048576) / 1e6;
    console.log("\n1 GiB root filesystem, kernel+initrd, one fresh process");
    console.log("| root fs | wall | CPU | peak RSS | limit |");
    console.log("|---|---:|---:|---:|---:|");
    console.log(
      `| 1 GiB file + kernel + init | ${m.wall.toFixed(1)} s | ${m.cpu.toFixed(1)} s | ${rssMB.toFixed(0)} MB | ${LIMIT_MB} MB |`,
    );
    if (rssMB >= LIMIT_MB) {
      throw new Error(`peak RSS ${rssMB.toFixed(0)} MB is over ${LIMIT_MB} MB`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
