/**
 * Bad input through the real command line: every mistake is one clear
 * error naming what is wrong (file:line:column, field, image) with a hint,
 * never a stack trace, and nothing is written to the output directory.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { runCli } from "../helpers/cli";
import { fixture } from "../helpers/paths";

/** A YAML that builds; the tests below break it one way each. */
const GOOD = readFileSync(fixture("builds", "httpd-motd.yml"), "utf8");

let work: string;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-cli-errors-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectFailure(
  yamlName: string,
  yaml: string | undefined,
  extraArgs: string[],
  expected: RegExp[],
  env?: NodeJS.ProcessEnv,
  exitCode = 1,
): Promise<void> {
  const file = yaml === undefined ? yamlName : path.join(work, yamlName);
  if (yaml !== undefined) await writeFile(file, yaml);
  const out = path.join(work, `out-${path.basename(yamlName, ".yml")}`);
  const r = await runCli(["build", "--dir", out, ...extraArgs, file], { env });
  assert.equal(r.code, exitCode, `exit code ${exitCode} expected, got ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, /^error: /);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `no stack trace:\n${r.stderr}`);
  assert.match(r.stderr, /hint: /, `a hint is given:\n${r.stderr}`);
  for (const re of expected) assert.match(r.stderr, re);
  const left = await readdir(out).catch(() => [] as string[]);
  assert.deepEqual(left, [], `nothing written to ${out}`);
}

describe("command line errors", () => {
  it("a missing image names the image and the YAML line using it", async () => {
    await expectFailure(
      "missing-image.yml",
      GOOD.replace("linuxkit-test/httpd:test", "linuxkit-test/nothere:v9"),
      [],
      [/missing-image\.yml:13:12: /, /services\[0\]/, /linuxkit-test\/nothere:v9/],
    );
  });

  it("an unreachable Docker engine (--source docker) says where it looked and how to fix it", async () => {
    await expectFailure(
      "no-engine.yml",
      GOOD,
      ["--source", "docker"],
      [/cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock/, /dockerd/],
      {
        DOCKER_HOST: "unix:///nonexistent.sock",
      },
    );
  });

  it("a files.source that does not exist names the field and line", async () => {
    await expectFailure(
      "no-source.yml",
      `${GOOD}  - path: etc/app.conf\n    source: ./no-such-file.conf\n`,
      [],
      [/no-source\.yml:18:\d+: /, /files\[1\]\.source/, /no-such-file\.conf/],
    );
  });

  it("a path escaping the root is refused", async () => {
    await expectFailure(
      "escape.yml",
      `${GOOD}  - path: ../../etc/passwd\n    contents: x\n`,
      [],
      [/escape\.yml:17:\d+: /, /files\[1\].*\.path/],
    );
  });

  it("an unknown format lists the valid ones before any work", async () => {
    await expectFailure(
      "bad-format.yml",
      GOOD,
      ["--format", "floppy"],
      [/unknown output format "floppy"/, /kernel\+initrd/],
    );
  });

  it("a format LinuxKit has but we do not yet is named as such", async () => {
    await expectFailure(
      "later-format.yml",
      GOOD,
      ["--format", "rpi3"],
      [/rpi3/, /not supported yet/],
    );
  });

  it("a YAML file that does not exist is a usage error naming it", async () => {
    await expectFailure(
      path.join(os.tmpdir(), "definitely-missing.yml"),
      undefined,
      [],
      [/definitely-missing\.yml/],
      undefined,
      2,
    );
  });

  const corpus = fixture("spec", "invalid");
  it("every broken YAML in the invalid corpus fails with its file and position", async () => {
    const files = (await readdir(corpus)).filter((f) => f.endsWith(".yml")).sort();
    assert.ok(files.length >= 20, "the corpus has at least 20 broken files");
    for (const f of files) {
      const r = await runCli([
        "build",
        "--dir",
        path.join(work, "corpus-out"),
        path.join(corpus, f),
      ]);
      assert.equal(r.code, 1, `${f}: exit 1\n${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`${f.replace(/\./g, "\\.")}(:\\d+:\\d+)?: `),
        `${f}: names the file\n${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${f}: no stack trace\n${r.stderr}`);
      assert.deepEqual(
        await readdir(path.join(work, "corpus-out")).catch(() => []),
        [],
        `${f}: nothing written`,
      );
    }
  });
});

describe("interrupted build", () => {
  it("Ctrl-C during a build leaves no partial artifact and no scratch folder", async () => {
    const file = path.join(work, "interrupt.yml");
    await writeFile(file, GOOD);
    const out = path.join(work, "out-interrupt");
    const r = await runCli(
      ["build", "--no-cache", "--format", "kernel+initrd", "--format", "tar", "--dir", out, file],
      {
        killWhen: (stdout) =>
          stdout.includes("Create outputs:") || stdout.includes("Add service containers:"),
      },
    );
    assert.notEqual(r.code, 0, "the build did not finish");
    const left = await readdir(out).catch(() => [] as string[]);
    assert.deepEqual(left, [], `nothing left in ${out}: ${left.join(", ")}`);
  });

  // issue 19, finding 7: the folders an image is unpacked in (`lk-image-*` in the temporary
  // folder) were removed only by a `finally`, which a signal does not run.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while an image is unpacked leaves no lk-image-* folder`, async () => {
      const file = path.join(work, `unpack-${signal}.yml`);
      await writeFile(file, GOOD);
      const out = path.join(work, `out-unpack-${signal}`);
      const tmp = await mkdtemp(path.join(work, `tmp-${signal}-`));
      const unpacking = (): boolean => readdirSync(tmp).some((e) => e.startsWith("lk-image-"));
      const r = await runCli(["build", "--no-cache", "--source", "docker", "--dir", out, file], {
        // the unpacked-image cache would skip the unpacking this test interrupts
        env: { TMPDIR: tmp, PULUMI_LINUXKIT_EXPORT_CACHE: "0" },
        killSignal: signal,
        killWhenSeen: unpacking,
      });
      assert.equal(r.code, signal === "SIGINT" ? 130 : 143, r.stderr);
      assert.match(r.stderr, new RegExp(`interrupted \\(${signal}\\): nothing was published`));
      assert.deepEqual(
        readdirSync(tmp).filter((e) => e.startsWith("lk-")),
        [],
        "no temporary folder left",
      );
      const left = await readdir(out).catch(() => [] as string[]);
      assert.deepEqual(left, [], `nothing left in ${out}: ${left.join(", ")}`);
    });
  }
});
