/** A real early-microcode cpio, made by GNU cpio the way distributions make one. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { run } from "./run";
import { pseudoRandom } from "../tar-kit";

/** Bytes of a newc cpio holding kernel/x86/microcode/GenuineIntel.bin (built in `dir`). */
export async function makeUcodeCpio(dir: string): Promise<Buffer> {
  const root = path.join(dir, "ucode-root");
  await mkdir(path.join(root, "kernel/x86/microcode"), { recursive: true });
  await writeFile(
    path.join(root, "kernel/x86/microcode/GenuineIntel.bin"),
    pseudoRandom(3001, "ucode"),
  );
  const list = [
    "kernel",
    "kernel/x86",
    "kernel/x86/microcode",
    "kernel/x86/microcode/GenuineIntel.bin",
  ].join("\n");
  return run("cpio", ["-o", "-H", "newc", "--quiet", "--reproducible"], {
    input: Buffer.from(list + "\n"),
    cwd: root,
  });
}
