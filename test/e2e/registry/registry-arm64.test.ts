/**
 * arm64 through the registry source, with the seed document 000-nginx.yml
 * (test/fixtures/seeds/) verbatim: every image it names is a two-platform
 * OCI index in a loopback registry standing in for Docker Hub (a mirror),
 * holding the amd64 (`linuxkit-test/<name>:test`) and arm64 (`:test-arm64`,
 * Debian's arm64 packages) stand-ins under the seed's own names. Nothing is
 * tagged in the engine under those names, so this runs beside the amd64
 * seed test (which tags the amd64 stand-ins there).
 *
 * - arm64 from the tags: every image is the index's arm64 entry (the
 *   engine's arm64 image id) and the root filesystem (tar) is byte for
 *   byte the engine source's arm64 build of the same stand-ins; amd64 from
 *   the same tags: the amd64 entries and the engine's amd64 tar.
 * - A single-platform image of the other architecture is refused naming
 *   the image, its YAML line and both platforms, as the engine source does.
 * - The arm64 kernel+initrd built from the registry boots under
 *   qemu-system-aarch64 (virt, TCG): every onboot job ran and succeeded,
 *   every service started (the seed's own console checks).
 *
 * Registry builds run with DOCKER_HOST at a socket that does not exist:
 * no image can come from the engine.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Arch } from "../../../components/arch";
import { parseSpec } from "../../../components/config";
import { isLinuxKitError } from "../../../components/errors/errors";
import { build, type BuildResult } from "../../../components/pipeline/pipeline";
import { ensureTestImages, startGuest, tail } from "../../helpers/boot";
import { pushMultiPlatform, pushByDigest, type PushedPlatform } from "../../helpers/multi-platform";
import { fixture } from "../../helpers/paths";
import { TestRegistry } from "../../helpers/registry";
import { SEEDS } from "../../helpers/seeds";
import { testImageId } from "../../images/build";
import { checkConsole } from "../../images/expect";

const NO_ENGINE = "unix:///nonexistent/pulumi-linuxkit-test/docker.sock";
const SEED = SEEDS.find((s) => s.fixture === "000-nginx.yml")!;
/** The test init's switches on arm64: its markers on the PL011 (the last console= is /dev/console). */
const ARM64_SWITCHES = "console=ttyAMA0 linuxkit.test.delay=3";
const BOOT_TIMEOUT_MS = 360_000;
const FORBIDDEN = ["LINUXKIT-TEST: (ERROR|WARN)", "runc run failed", "Kernel panic"];

let work: string;
let hub: TestRegistry;
let seedYaml: string;
/** Seed image name → its two platforms as pushed. */
const pushed = new Map<string, Record<Arch, PushedPlatform>>();
const saved = { ...process.env };

const sha256 = async (file: string): Promise<string> =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

/** The seed YAML with each image name replaced by its stand-in's engine tag for `arch`. */
function engineYaml(arch: Arch): string {
  let yaml = seedYaml;
  for (const [name, standIn] of Object.entries(SEED.images)) {
    const tag = arch === "arm64" ? "test-arm64" : "test";
    yaml = yaml.split(name).join(`linuxkit-test/${standIn}:${tag}`);
  }
  return yaml;
}

async function buildYaml(
  yaml: string,
  name: string,
  arch: Arch,
  sourceKind: "docker" | "registry",
  formats: string[],
): Promise<BuildResult> {
  const parsed = parseSpec(yaml, `${name}.yml`);
  const run = (): Promise<BuildResult> =>
    build({
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: work,
      name,
      outputDir: path.join(work, name),
      formats,
      arch,
      noCache: true,
      sourceKind,
      ociCacheDir: path.join(work, "oci"),
    });
  if (sourceKind === "docker") return run();
  process.env.DOCKER_HOST = NO_ENGINE;
  try {
    return await run();
  } finally {
    if (saved.DOCKER_HOST === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved.DOCKER_HOST;
  }
}

const tarOf = (r: BuildResult): string => r.artifacts.find((a) => a.format === "tar")!.path;

before(async () => {
  await ensureTestImages(); // both architectures (the arm64 ones from Debian's arm64 packages, cached)
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-reg-arm64-"));
  hub = await TestRegistry.start();
  seedYaml = await readFile(fixture("seeds", SEED.fixture), "utf8");
  const target = { base: `http://${hub.host}` };
  for (const [name, standIn] of Object.entries(SEED.images)) {
    const colon = name.lastIndexOf(":");
    const repo = name.slice(0, colon).includes("/")
      ? name.slice(0, colon)
      : `library/${name.slice(0, colon)}`;
    const ids = {
      amd64: await testImageId(standIn, undefined, "amd64"),
      arm64: await testImageId(standIn, undefined, "arm64"),
    };
    const { platforms } = await pushMultiPlatform(target, ids, repo, name.slice(colon + 1));
    pushed.set(name, platforms);
  }
  // one single-platform image of each architecture
  await pushByDigest(target, await testImageId("check", undefined, "amd64"), "lk/only-amd64").then(
    (p) => pushTag(target, "lk/only-amd64", p.desc),
  );
  await pushByDigest(target, await testImageId("check", undefined, "arm64"), "lk/only-arm64").then(
    (p) => pushTag(target, "lk/only-arm64", p.desc),
  );
  process.env.PULUMI_LINUXKIT_REGISTRY_MIRRORS = `http://${hub.host}`;
  process.env.PULUMI_LINUXKIT_EXPORT_CACHE = "0"; // each source reads its own trees
  process.env.DOCKER_CONFIG = path.join(work, "no-docker-config");
});

/** Tags a pushed manifest `v1` (its bytes fetched back and put under the tag). */
async function pushTag(
  target: { base: string },
  repo: string,
  desc: { digest: string; mediaType: string },
): Promise<void> {
  const res = await fetch(`${target.base}/v2/${repo}/manifests/${desc.digest}`, {
    headers: { accept: desc.mediaType },
  });
  const put = await fetch(`${target.base}/v2/${repo}/manifests/v1`, {
    method: "PUT",
    headers: { "content-type": desc.mediaType },
    body: Buffer.from(await res.arrayBuffer()),
  });
  assert.equal(put.status, 201, `tag ${repo}:v1: ${await put.text()}`);
}

after(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await hub?.stop();
  await rm(work, { recursive: true, force: true });
});

describe(
  "the seed's images as two-platform indexes in a loopback registry",
  { timeout: 900_000 },
  () => {
    let arm64: BuildResult;

    it("arm64: each image is the index's arm64 entry; the tar is byte-identical to the engine source's arm64 build", async (t) => {
      const started = Date.now();
      arm64 = await buildYaml(seedYaml, "seed-arm64", "arm64", "registry", [
        "tar",
        "kernel+initrd",
      ]);
      t.diagnostic(
        `registry build (tar + kernel+initrd) ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const [name, platforms] of pushed) {
        assert.equal(arm64.images[name], platforms.arm64.id, `${name} is the arm64 stand-in`);
        assert.notEqual(platforms.arm64.id, platforms.amd64.id);
      }
      const engine = await buildYaml(engineYaml("arm64"), "engine-arm64", "arm64", "docker", [
        "tar",
      ]);
      assert.equal(arm64.arch, "arm64");
      assert.equal(await sha256(tarOf(arm64)), await sha256(tarOf(engine)), "byte-identical tar");
    });

    it("amd64 from the same tags: the amd64 entries, byte-identical to the engine source's amd64 build", async () => {
      const amd64 = await buildYaml(seedYaml, "seed-amd64", "amd64", "registry", ["tar"]);
      for (const [name, platforms] of pushed) {
        assert.equal(amd64.images[name], platforms.amd64.id, `${name} is the amd64 stand-in`);
      }
      const engine = await buildYaml(engineYaml("amd64"), "engine-amd64", "amd64", "docker", [
        "tar",
      ]);
      assert.equal(await sha256(tarOf(amd64)), await sha256(tarOf(engine)), "byte-identical tar");
      assert.notEqual(await sha256(tarOf(amd64)), await sha256(tarOf(arm64)));
    });

    it("a single-platform image of the other architecture is refused naming the image, its line and both platforms", async () => {
      const cases: { arch: Arch; ref: string; has: string; want: string }[] = [
        {
          arch: "arm64",
          ref: `${hub.host}/lk/only-amd64:v1`,
          has: "linux/amd64",
          want: "linux/arm64",
        },
        {
          arch: "amd64",
          ref: `${hub.host}/lk/only-arm64:v1`,
          has: "linux/arm64",
          want: "linux/amd64",
        },
      ];
      for (const c of cases) {
        const yaml = `${seedYaml}\nonshutdown:\n  - name: other\n    image: ${c.ref}\n`;
        const line = yaml.split("\n").findIndex((l) => l.includes(c.ref)) + 1;
        await assert.rejects(
          buildYaml(yaml, `other-${c.arch}`, c.arch, "registry", ["tar"]),
          (e: unknown) => {
            assert.ok(isLinuxKitError(e), String(e));
            assert.equal(e.code, "IMAGE_PLATFORM", e.message);
            assert.equal(e.image, c.ref);
            assert.equal(e.line, line);
            assert.ok(
              e.message.startsWith("onshutdown[0]") &&
                e.message.includes(`: image ${c.ref} is for ${c.has}, not ${c.want}`),
              e.message,
            );
            assert.match(e.hint ?? "", new RegExp(`--arch ${c.has.slice(6)}`));
            return true;
          },
        );
      }
    });

    it("the arm64 kernel+initrd from the registry boots under qemu-system-aarch64: every onboot ran, every service started", async (t) => {
      assert.ok(arm64, "the arm64 build ran");
      const file = (f: string): string => arm64.artifacts.find((a) => a.file === f)!.path;
      const cmdline = (await readFile(file("seed-arm64-cmdline"), "utf8")).trim();
      const ordered = SEED.ordered.filter((p) => !/poweroff/.test(p));
      const guest = startGuest({
        arch: "arm64",
        kernel: file("seed-arm64-kernel"),
        initrd: file("seed-arm64-initrd.img"),
        cmdline: `${cmdline} ${ARM64_SWITCHES}`,
        memoryMiB: 1024,
        consoleFile: path.join(work, "seed-arm64.console.log"),
      });
      try {
        await guest
          .waitFor([...ordered, ...SEED.unordered], BOOT_TIMEOUT_MS)
          .catch((e: unknown) => {
            throw new Error(`${(e as Error).message}\n${tail(guest.console, 120)}`);
          });
        t.diagnostic(`arm64 seed: every check seen after ${guest.elapsedSeconds.toFixed(1)} s`);
        const problems = checkConsole(
          {
            fixture: SEED.fixture,
            append: ARM64_SWITCHES,
            qemu: { memoryMiB: 1024, network: "user", nic: "virtio-net-pci" },
            timeoutSeconds: BOOT_TIMEOUT_MS / 1000,
            ordered,
            unordered: SEED.unordered,
            forbidden: FORBIDDEN,
          },
          guest.console,
        );
        assert.deepEqual(
          problems,
          [],
          `${problems.join("\n")}\n--- console ---\n${tail(guest.console, 120)}`,
        );
        assert.match(guest.console, /Booting Linux on physical CPU/, "an aarch64 kernel booted");
      } finally {
        await guest.stop();
      }
    });
  },
);
