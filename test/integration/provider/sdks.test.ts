/**
 * The committed SDKs (sdk/) are what scripts/gen-sdks.sh generates from
 * schema.json today, file for file, and each one compiles or loads: the Go
 * SDK builds and vets, and so does a Go program using it (examples/go-qemu;
 * no Go language host runs here, so it is not run), the Node.js SDK
 * type-checks against @pulumi/pulumi,
 * the Python SDK imports under Pulumi's Python SDK. With the schema test
 * (schema.json equals the TypeScript table, which the compiler holds to
 * the input types) this fails whenever schema, SDKs and inputs drift. C#
 * is not generated here (see scripts/gen-sdks.sh).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { repoRoot } from "../../helpers/paths";
import { pythonVenv } from "../../helpers/provider-plugin";

let fresh: string;

/** Go as scripts/install-pulumi.sh finds it (the official tarball's place if not on PATH). */
function goEnv(): NodeJS.ProcessEnv {
  const PATH = `${process.env.PATH ?? ""}:/usr/local/go/bin:/usr/lib/go/bin`;
  return { ...process.env, PATH, GOWORK: "off" };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .filter((f) => !f.startsWith(`go${path.sep}go.`))
    .sort();
}

before(async () => {
  fresh = await mkdtemp(path.join(os.tmpdir(), "lk-sdks-"));
  execFileSync("bash", [path.join(repoRoot, "scripts", "gen-sdks.sh"), fresh], { stdio: "pipe" });
});
after(() => rm(fresh, { recursive: true, force: true }));

describe("generated SDKs", () => {
  it("sdk/ is what gen-sdks.sh generates from schema.json (run it after `npm run schema`)", async () => {
    const committed = path.join(repoRoot, "sdk");
    const want = await files(fresh);
    // The checkout's files as git sees them (what the SDKs' .gitignore
    // leaves out, e.g. an editable install's egg-info, is not the SDK).
    const have = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "sdk"], {
      cwd: repoRoot,
      encoding: "utf8",
    })
      .split("\n")
      .filter((f) => f !== "")
      .map((f) => path.relative("sdk", f))
      .filter((f) => !f.startsWith(`go${path.sep}go.`))
      .sort();
    assert.deepEqual(have, want);
    const differ = want.filter(
      (f) =>
        readFileSync(path.join(fresh, f), "utf8") !== readFileSync(path.join(committed, f), "utf8"),
    );
    assert.deepEqual(differ, []);
  });

  it("the Go SDK builds and vets", () => {
    const env = { ...goEnv(), GOFLAGS: "-mod=mod" };
    const cwd = path.join(repoRoot, "sdk", "go");
    execFileSync("go", ["build", "./..."], { cwd, env, stdio: "pipe" });
    execFileSync("go", ["vet", "./..."], { cwd, env, stdio: "pipe" });
  });

  it("a Go program using the SDK (examples/go-qemu: Image and qemu.Vm) builds and vets", () => {
    // -mod=readonly: its committed go.mod and go.sum must already be complete.
    const env = { ...goEnv(), GOFLAGS: "-mod=readonly" };
    const cwd = path.join(repoRoot, "examples", "go-qemu");
    execFileSync("go", ["build", "-o", os.devNull, "."], { cwd, env, stdio: "pipe" });
    execFileSync("go", ["vet", "."], { cwd, env, stdio: "pipe" });
  });

  it("the Node.js SDK type-checks", () => {
    execFileSync(
      process.execPath,
      [
        path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        path.join(repoRoot, "sdk", "nodejs"),
        "--noEmit",
      ],
      { stdio: "pipe" },
    );
  });

  it("the Python SDK imports, with every resource class", () => {
    const out = execFileSync(
      path.join(pythonVenv(), "bin", "python"),
      [
        "-c",
        "import pulumi_linuxkit as l; print(l.Image.__name__, l.qemu.Vm.__name__, l.qemu.Fleet.__name__, l.qemu.LocalMachine.__name__, l.metal.Device.__name__, l.metal.Fleet.__name__)",
      ],
      {
        env: { ...process.env, PYTHONPATH: path.join(repoRoot, "sdk", "python") },
        encoding: "utf8",
      },
    );
    assert.equal(out.trim(), "Image Vm Fleet LocalMachine Device Fleet");
  });
});
