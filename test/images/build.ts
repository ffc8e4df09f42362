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
import { importChanges, importRootfs, inspectLabels } from "./engine";
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

/** Builds `images` (default: all) unless up to date; returns what happened to each. */
export async function buildTestImages(
  options: {
    docker?: Docker;
    images?: readonly TestImage[];
    force?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<BuildResult[]> {
  const docker = options.docker ?? new Docker();
  const log = options.log ?? ((line: string) => console.log(line));
  const host = new HostInputs();
  const results: BuildResult[] = [];
  for (const image of options.images ?? TEST_IMAGES) {
    const start = process.hrtime.bigint();
    const ref = testImageRef(image.name);
    const layout = await image.contents(host);
    const config = image.config(host);
    const hash = layout.digest({ format: FORMAT_VERSION, changes: importChanges(config) });
    const existing = await inspectLabels(docker, ref);
    const seconds = (): number => Number(process.hrtime.bigint() - start) / 1e9;
    if (!options.force && existing?.labels[HASH_LABEL] === hash) {
      results.push({ ref, hash, built: false, seconds: seconds() });
      log(`${ref}: up to date (${hash.slice(0, 12)})`);
      continue;
    }
    const labels = { ...config.labels, [HASH_LABEL]: hash };
    await importRootfs(docker, ref, layout.tarStream(), { ...config, labels });
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
export async function testImageId(name: string, docker: Docker = new Docker()): Promise<string> {
  const image = TEST_IMAGES.find((i) => i.name === name);
  if (image === undefined) throw new Error(`no test image ${name}`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [result] = await buildTestImages({ docker, images: [image], log: () => undefined });
    const info = result && (await inspectLabels(docker, result.ref));
    if (info !== undefined && info.labels[HASH_LABEL] === result?.hash) return info.id;
  }
  throw new Error(`${testImageRef(name)} keeps being replaced by another version while building`);
}

async function main(argv: string[]): Promise<void> {
  const force = argv.includes("--force");
  const names = argv.filter((a) => !a.startsWith("--"));
  const unknownFlag = argv.find((a) => a.startsWith("--") && a !== "--force" && a !== "--list");
  if (unknownFlag)
    throw new Error(`unknown option ${unknownFlag}; usage: build [--force] [--list] [NAME...]`);
  if (argv.includes("--list")) {
    for (const i of TEST_IMAGES) console.log(`${testImageRef(i.name)}\t${i.summary}`);
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
  const results = await buildTestImages({ images, force });
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
