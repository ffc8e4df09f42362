/**
 * Builds the linuxkit-test/* images into the local Docker engine.
 *
 *   node dist/test/images/build.js [--force] [--list] [NAME...]
 *
 * (normally through scripts/build-test-images.sh). Each image's content
 * hash (files, modes, config) is stored in the HASH_LABEL label; an image
 * whose tag already carries the same hash is left alone, so a second run
 * does no work.
 */
import Docker from "dockerode";
import { parseTestArch, TEST_ARCHES, type TestArch } from "./arch";
import { importChanges, importRootfs, inspectLabels, loadRootfs } from "./engine";
import {
  FORMAT_VERSION,
  HASH_LABEL,
  HostInputs,
  TEST_IMAGES,
  testImageRef,
  type TestImage,
} from "./images";

export interface BuildResult {
  readonly ref: string;
  readonly hash: string;
  readonly built: boolean;
  readonly seconds: number;
}

/**
 * Builds `images` (default: all) for `arch` (default amd64) unless up to
 * date; returns what happened to each. Images not made for `arch` are skipped.
 */
export async function buildTestImages(
  options: {
    docker?: Docker;
    images?: readonly TestImage[];
    arch?: TestArch;
    force?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<BuildResult[]> {
  const docker = options.docker ?? new Docker();
  const log = options.log ?? ((line: string) => console.log(line));
  const arch = options.arch ?? "amd64";
  const host = new HostInputs(arch);
  const results: BuildResult[] = [];
  for (const image of options.images ?? TEST_IMAGES) {
    if (image.arches !== undefined && !image.arches.includes(arch)) continue;
    const start = process.hrtime.bigint();
    const ref = testImageRef(image.name, arch);
    const layout = await image.contents(host);
    const config = image.config(host);
    // amd64 keeps the hash input it always had, so its images are not rebuilt
    const hash = layout.digest(
      arch === "amd64"
        ? { format: FORMAT_VERSION, changes: importChanges(config) }
        : { format: FORMAT_VERSION, arch, changes: importChanges(config) },
    );
    const existing = await inspectLabels(docker, ref);
    const seconds = (): number => Number(process.hrtime.bigint() - start) / 1e9;
    if (!options.force && existing?.labels[HASH_LABEL] === hash) {
      results.push({ ref, hash, built: false, seconds: seconds() });
      log(`${ref}: up to date (${hash.slice(0, 12)})`);
      continue;
    }
    const labels = { ...config.labels, [HASH_LABEL]: hash };
    if (arch === "amd64")
      await importRootfs(docker, ref, layout.tarStream(), { ...config, labels });
    else await loadRootfs(docker, ref, await layout.tarBuffer(), { ...config, labels }, arch);
    results.push({ ref, hash, built: true, seconds: seconds() });
    log(`${ref}: built (${hash.slice(0, 12)}) in ${seconds().toFixed(1)}s`);
  }
  return results;
}

/**
 * The id of the image `name` as this tree defines it: built if the tag is
 * missing or differs, then read back by its content-hash label. Tests that
 * need this tree's version tag the id (immutable) rather than use
 * `linuxkit-test/<name>:test`, which another checkout may rebuild at any
 * time.
 */
export async function testImageId(
  name: string,
  docker: Docker = new Docker(),
  arch: TestArch = "amd64",
): Promise<string> {
  const image = TEST_IMAGES.find((i) => i.name === name);
  if (image === undefined) throw new Error(`no test image ${name}`);
  if (image.arches !== undefined && !image.arches.includes(arch))
    throw new Error(`test image ${name} is not made for ${arch}`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [result] = await buildTestImages({ docker, images: [image], arch, log: () => undefined });
    const info = result && (await inspectLabels(docker, result.ref));
    if (info !== undefined && info.labels[HASH_LABEL] === result?.hash) return info.id;
  }
  throw new Error(
    `${testImageRef(name, arch)} keeps being replaced by another version while building`,
  );
}

async function main(argv: string[]): Promise<void> {
  const usage = "usage: build [--force] [--list] [--arch amd64|arm64|all] [NAME...]";
  let archArg = "all";
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--arch") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`--arch needs a value; ${usage}`);
      archArg = v;
    } else if (a.startsWith("--arch=")) archArg = a.slice("--arch=".length);
    else rest.push(a);
  }
  const arches = archArg === "all" ? TEST_ARCHES : [parseTestArch(archArg)];
  const force = rest.includes("--force");
  const names = rest.filter((a) => !a.startsWith("--"));
  const unknownFlag = rest.find((a) => a.startsWith("--") && a !== "--force" && a !== "--list");
  if (unknownFlag) throw new Error(`unknown option ${unknownFlag}; ${usage}`);
  if (rest.includes("--list")) {
    for (const arch of arches)
      for (const i of TEST_IMAGES.filter((i) => i.arches?.includes(arch) ?? true))
        console.log(`${testImageRef(i.name, arch)}\t${i.summary}`);
    return;
  }
  const unknown = names.filter((n) => !TEST_IMAGES.some((i) => i.name === n));
  if (unknown.length) {
    throw new Error(
      `no test image ${unknown.join(", ")}; known: ${TEST_IMAGES.map((i) => i.name).join(", ")}`,
    );
  }
  const images = names.length ? TEST_IMAGES.filter((i) => names.includes(i.name)) : TEST_IMAGES;
  const start = Date.now();
  const results: BuildResult[] = [];
  for (const arch of arches) results.push(...(await buildTestImages({ images, arch, force })));
  const built = results.filter((r) => r.built).length;
  console.log(
    `${built} built, ${results.length - built} up to date, ${((Date.now() - start) / 1000).toFixed(1)}s`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`build-test-images: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
