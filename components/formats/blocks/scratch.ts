/** A private scratch directory under the context's tmpDir, removed afterwards. */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";

/** Runs `use` with a fresh directory inside `tmpDir` and removes it afterwards, whatever happens. */
export async function withScratchDir<T>(
  tmpDir: string,
  prefix: string,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  await mkdir(tmpDir, { recursive: true });
  const dir = await mkdtemp(path.join(tmpDir, `${prefix}-`));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
