/**
 * The `__provider` module our dynamic resources put in state: Pulumi's
 * dynamic-provider host compiles it (require-from-string, as the host
 * does) and calls `handler()`; the provider it returns runs the
 * implementation of `pulumi-linuxkit/providers` installed next to the
 * program, whatever folder that is. The text names no path, so state
 * stays portable, and it is the same on every machine and run.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { providerModule } from "../../../components/pulumi/dynamic/dynamic";
import { repoRoot } from "../../helpers/paths";

let program: string;

before(async () => {
  // A program folder elsewhere, with the package installed (linked) in its node_modules.
  program = await mkdtemp(path.join(os.tmpdir(), "lk-dynamic-"));
  await mkdir(path.join(program, "node_modules"));
  await symlink(repoRoot, path.join(program, "node_modules", "pulumi-linuxkit"));
});

after(async () => {
  await rm(program, { recursive: true, force: true });
});

/** Runs `body` in a fresh node in the program folder with `provider` compiled from `providerModule(name)`. */
function inHost(name: "image" | "qemuVm", body: string): unknown {
  const script = `
    const requireFromString = require(${JSON.stringify(require.resolve("require-from-string", { paths: [repoRoot] }))});
    const provider = requireFromString(${JSON.stringify(providerModule(name))}).handler();
    (async () => { ${body} })().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
  `;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: program, encoding: "utf8" });
  return JSON.parse(out) as unknown;
}

describe("the __provider module", () => {
  it("names the implementation only: no path, small, the same every time", () => {
    const text = providerModule("image");
    assert.match(text, /"pulumi-linuxkit\/providers"/);
    assert.match(text, /\.loadProvider\("image"\)/);
    assert.equal(text.includes(repoRoot), false, "no path of this checkout");
    assert.equal(text.includes(os.tmpdir()), false, "no temporary path");
    assert.ok(text.length < 2048, `${text.length} characters`);
    assert.equal(providerModule("image"), text);
    assert.notEqual(providerModule("qemuVm"), text);
  });

  it("gives the host every operation of a provider", () => {
    assert.deepEqual(
      inHost("image", "return Object.entries(provider).map(([k, v]) => [k, typeof v]).sort();"),
      [
        ["check", "function"],
        ["configure", "function"],
        ["create", "function"],
        ["delete", "function"],
        ["diff", "function"],
        ["read", "function"],
        ["update", "function"],
      ],
    );
  });

  it("runs the implementation installed next to the program", () => {
    const result = inHost(
      "qemuVm",
      "await provider.configure({ config: {} }); return provider.check({}, { name: 'x' });",
    ) as { failures: { property: string; reason: string }[] };
    assert.deepEqual(
      result.failures.map((f) => f.reason),
      ["set exactly one of kernel+initrd, iso or disk"],
    );
  });

  it("loads its implementation on first use only, not when the host compiles it", () => {
    const loaded = inHost(
      "image",
      "return Object.keys(require.cache).filter((k) => k.includes('image-provider')).length;",
    );
    assert.equal(loaded, 0);
  });
});
