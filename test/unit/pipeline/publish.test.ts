/**
 * Publishing is all or nothing (issue 19, finding 9): whatever step of a
 * publish fails, or is cut short by SIGKILL, the output folder then holds
 * exactly the previous build or exactly the new one, each with its own
 * manifest; never old and new files mixed. A failure inside the process
 * restores the previous build before the error surfaces (what lets the
 * CLI say "nothing was published"); a killed process leaves a journal
 * that the next build of that name reads to finish the same restore.
 * Files of other builds and of the user are never touched. Artifacts
 * holding the image's files are written 0600 (finding 11).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { interruptedMessage } from "../../../components/cli/main";
import { publishedByThisProcess, recoverPublish } from "../../../components/pipeline/publish";
import {
  outputView,
  publishSet,
  viewOf,
  type ArtifactSetFixture,
} from "../../helpers/publish-sets";

const OLD: ArtifactSetFixture = {
  cacheKey: "o".repeat(64),
  files: { "lk-kernel": "old kernel", "lk-initrd.img": "old initrd", "lk-cmdline": "old" },
};
/** The new build has one file more than the old one (an ISO). */
const NEW: ArtifactSetFixture = {
  cacheKey: "n".repeat(64),
  files: {
    "lk-kernel": "new kernel",
    "lk-initrd.img": "new initrd",
    "lk-cmdline": "new",
    "lk.iso": "new iso",
  },
};
/** Not this build's: a user's file and another build's artifact. */
const OTHERS = { "notes.txt": "mine", "other-kernel": "another build" };

class Injected extends Error {}

async function assertOldOrNew(out: string, when: string): Promise<"old" | "new"> {
  const view = await outputView(out, "lk");
  const old = viewOf(OLD, OTHERS);
  const now = viewOf(NEW, OTHERS);
  if (JSON.stringify(view) === JSON.stringify(old)) return "old";
  if (JSON.stringify(view) === JSON.stringify(now)) return "new";
  assert.fail(`${when}: the output folder mixes builds:\n${JSON.stringify(view, null, 2)}`);
}

describe("publishing a build", () => {
  let out = "";
  const steps: string[] = [];

  beforeEach(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "lk-publish-"));
    for (const [f, text] of Object.entries(OTHERS)) await writeFile(path.join(out, f), text);
    await publishSet(out, "lk", OLD);
    if (steps.length === 0) {
      const probe = await mkdtemp(path.join(os.tmpdir(), "lk-publish-steps-"));
      await publishSet(probe, "lk", OLD);
      await publishSet(probe, "lk", NEW, (s) => void steps.push(s));
      await rm(probe, { recursive: true, force: true });
    }
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("publishes the new set over the old one, and the steps are known", async () => {
    await publishSet(out, "lk", NEW);
    assert.equal(await assertOldOrNew(out, "after a publish"), "new");
    assert.ok(steps.length >= 6, `steps: ${steps.join(", ")}`);
  });

  it("a failure at any step leaves exactly the old set, restored before the error surfaces", async () => {
    for (const step of steps) {
      await rm(out, { recursive: true, force: true });
      out = await mkdtemp(path.join(os.tmpdir(), "lk-publish-"));
      for (const [f, text] of Object.entries(OTHERS)) await writeFile(path.join(out, f), text);
      await publishSet(out, "lk", OLD);
      const publishing = publishSet(out, "lk", NEW, (s) => {
        if (s === step) throw new Injected(`fault before ${s}`);
      });
      if (step.startsWith("clean up")) {
        // After the commit point (the new manifest): published, and said so.
        await publishing;
        assert.equal(await assertOldOrNew(out, `failed before "${step}"`), "new");
        assert.equal(recoverPublish(out, "lk"), "completed", "the next build removes the rest");
      } else {
        await assert.rejects(publishing, Injected);
        assert.equal(await assertOldOrNew(out, `failed before "${step}"`), "old", step);
        assert.equal(recoverPublish(out, "lk"), "none", `nothing left to recover after "${step}"`);
      }
      const hidden = (await readdir(out)).filter((e) => e.startsWith(".lk."));
      assert.deepEqual(hidden, [".lk.linuxkit-build.json"], `left after "${step}": ${hidden}`);
    }
  });

  it("SIGKILL at any step, then the next build's recovery: exactly the old or the new set", async () => {
    for (const step of steps) {
      await rm(out, { recursive: true, force: true });
      out = await mkdtemp(path.join(os.tmpdir(), "lk-publish-"));
      for (const [f, text] of Object.entries(OTHERS)) await writeFile(path.join(out, f), text);
      await publishSet(out, "lk", OLD);
      const child = spawn(
        process.execPath,
        [
          path.join(__dirname, "../../helpers/publish-child.js"),
          out,
          "lk",
          JSON.stringify(NEW),
          step,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((r) =>
        child.once("exit", (_code, sig) => r(sig)),
      );
      assert.equal(signal, "SIGKILL", `the child died at "${step}" (${stderr})`);
      recoverPublish(out, "lk");
      await assertOldOrNew(out, `killed before "${step}", then recovered`);
      const hidden = (await readdir(out)).filter((e) => e.startsWith(".lk."));
      assert.deepEqual(hidden, [".lk.linuxkit-build.json"], `left after recovery: ${hidden}`);
    }
  });

  it("the next publish recovers a killed one first, then publishes", async () => {
    const child = spawn(process.execPath, [
      path.join(__dirname, "../../helpers/publish-child.js"),
      out,
      "lk",
      JSON.stringify(NEW),
      steps[Math.floor(steps.length / 2)]!,
    ]);
    await new Promise((r) => child.once("exit", r));
    const newer: ArtifactSetFixture = { ...NEW, cacheKey: "3".repeat(64) };
    await publishSet(out, "lk", newer);
    assert.deepEqual(await outputView(out, "lk"), viewOf(newer, OTHERS));
  });

  it("files holding the image's contents are 0600; the kernel keeps the writer's mode", async () => {
    const notesMode = (await stat(path.join(out, "notes.txt"))).mode;
    await publishSet(out, "lk", NEW);
    const mode = async (f: string): Promise<number> => (await stat(path.join(out, f))).mode & 0o777;
    assert.equal(await mode("lk-initrd.img"), 0o600);
    assert.equal(await mode("lk.iso"), 0o600);
    assert.equal(await mode("lk-cmdline"), 0o600, "a command line may hold secrets");
    assert.equal(await mode("lk-kernel"), 0o644);
    assert.equal((await stat(path.join(out, "notes.txt"))).mode, notesMode, "not the build's");
  });

  it("an interrupted CLI says the build was published once it was, and nothing before", async () => {
    const before = [...publishedByThisProcess()];
    assert.match(
      interruptedMessage("SIGINT", []),
      /^interrupted \(SIGINT\): nothing was published$/,
    );
    await publishSet(out, "lk", NEW);
    assert.deepEqual(publishedByThisProcess(), [...before, out]);
    assert.equal(
      interruptedMessage("SIGTERM", [out]),
      `interrupted (SIGTERM) after the build was published in ${out}`,
    );
  });
});
