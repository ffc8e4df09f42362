/**
 * Pulumi benchmark of examples/qemu-local, from one run:
 *
 * - no-op cost: `pulumi preview` of the unchanged example stack (after an
 *   `up`) against `pulumi preview` of a program with no resources
 *   (test/fixtures/pulumi/empty) on the same backend and environment,
 *   median of N each, run alternately; the difference is what the
 *   LocalMachine (its Image and QemuVm) adds to a no-op. The Image
 *   provider's own check+diff, called directly, is shown beside it.
 * - `up` split into build and boot: a fresh `up` after `destroy`, with the
 *   Image's create (the build) and the QemuVm's create (boot until ready)
 *   timed from the engine's events as they arrive.
 *
 * Usage: npm run build && node dist/bench/pulumi-bench.js
 * (BENCH_REPEATS=5 for more samples). Needs the Pulumi CLI, Docker with the
 * linuxkit-test/* images and qemu, as the integration tests do. Destroys
 * everything it made at the end.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";

import type { ImageInputs } from "../components/pulumi/image/image-inputs";
import { imageProvider, type ImageOutputs } from "../components/pulumi/image/image-provider";
import { repoRoot } from "../test/helpers/paths";
import { folderStack } from "../test/helpers/pulumi-env";

const EXAMPLE = path.join(repoRoot, "examples", "qemu-local");
const EMPTY = path.join(repoRoot, "test", "fixtures", "pulumi", "empty");
const STACK = `bench${process.pid}`;
const IMAGE_TYPE = "pulumi-nodejs:dynamic/linuxkit:Image";
const VM_TYPE = "pulumi-nodejs:dynamic/linuxkit:QemuVm";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function progress(line: string): void {
  process.stderr.write(`[pulumi-bench] ${line}\n`);
}

function quiet(): void {
  /* engine output is not part of the measurement */
}

/** A port nobody listens on right now, for the example's HTTP forward. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Wall time from each resource's step start to its outputs, per resource type, as events arrive. */
class StepTimer {
  private readonly started = new Map<string, number>();
  readonly durations = new Map<string, number>();

  readonly onEvent = (e: EngineEvent): void => {
    const now = performance.now();
    const pre = e.resourcePreEvent?.metadata;
    if (pre !== undefined) this.started.set(pre.urn, now);
    const done = e.resOutputsEvent?.metadata;
    if (done !== undefined) {
      const start = this.started.get(done.urn);
      if (start !== undefined) this.durations.set(done.type, now - start);
    }
  };

  of(type: string): number {
    const ms = this.durations.get(type);
    if (ms === undefined) throw new Error(`no step events for ${type}`);
    return ms;
  }
}

/** The Image provider's own no-op work (check + diff), called directly on the stack's stored state. */
async function imageNoOpMs(
  stack: Stack,
  repeats: number,
): Promise<{ ms: number; changes: boolean }> {
  const { deployment } = (await stack.exportStack()) as unknown as {
    deployment: {
      resources: { type: string; id: string; inputs: ImageInputs; outputs: ImageOutputs }[];
    };
  };
  const image = deployment.resources.find((r) => r.type === IMAGE_TYPE);
  if (image === undefined) throw new Error("no Image in the state");
  const samples: number[] = [];
  let changes = true;
  for (let i = 0; i < repeats; i++) {
    samples.push(
      await timeIt(async () => {
        const { inputs } = await imageProvider.check(image.inputs, image.inputs);
        changes = (await imageProvider.diff(image.id, image.outputs, inputs)).changes;
      }),
    );
  }
  return { ms: median(samples), changes };
}

function row(cells: string[], widths: number[]): string {
  return `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [row(header, widths), rule, ...rows.map((r) => row(r, widths))].join("\n");
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-pulumi-bench-"));
  const yamlFile = path.join(work, "linuxkit.yml");
  await copyFile(path.join(EXAMPLE, "linuxkit.yml"), yamlFile);
  const example = await folderStack(EXAMPLE, STACK, path.join(work, "state"));
  const empty = await folderStack(EMPTY, STACK, path.join(work, "state"));
  try {
    await example.setAllConfig({
      yamlFile: { value: yamlFile },
      workDir: { value: path.join(work, "lk") },
      httpPort: { value: String(await freePort()) },
    });

    progress("first up of the example (warms the build and the TypeScript compile)");
    const firstTimer = new StepTimer();
    const firstUp = await timeIt(() =>
      example.up({ onOutput: quiet, onEvent: firstTimer.onEvent }),
    );
    progress("up of the empty program");
    await empty.up({ onOutput: quiet });

    const examplePreviews: number[] = [];
    const emptyPreviews: number[] = [];
    for (let i = 0; i < repeats; i++) {
      progress(`previews, round ${i + 1} of ${repeats}`);
      examplePreviews.push(
        await timeIt(async () => {
          const p = await example.preview({ onOutput: quiet });
          const changed = Object.entries(p.changeSummary).filter(([k, n]) => k !== "same" && n > 0);
          if (changed.length > 0)
            throw new Error(
              `the example stack is not unchanged: ${JSON.stringify(p.changeSummary)}`,
            );
        }),
      );
      emptyPreviews.push(await timeIt(() => empty.preview({ onOutput: quiet })));
    }
    const imageNoOp = await imageNoOpMs(example, repeats);
    if (imageNoOp.changes)
      throw new Error("the Image provider's diff reports a change on an unchanged stack");

    progress("destroy, then a fresh up timed per resource");
    const destroy = await timeIt(() => example.destroy({ onOutput: quiet }));
    const timer = new StepTimer();
    const freshUp = await timeIt(() => example.up({ onOutput: quiet, onEvent: timer.onEvent }));
    const build = timer.of(IMAGE_TYPE);
    const boot = timer.of(VM_TYPE);

    const exampleMedian = median(examplePreviews);
    const emptyMedian = median(emptyPreviews);
    const samples = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(", ");
    const rows: string[][] = [
      ["preview, unchanged examples/qemu-local", samples(examplePreviews), sec(exampleMedian)],
      ["preview, empty program", samples(emptyPreviews), sec(emptyMedian)],
      ["  difference: LocalMachine on a no-op", "", sec(exampleMedian - emptyMedian)],
      ["  of which Image check+diff (direct call)", "", sec(imageNoOp.ms)],
      ["fresh up (after destroy)", "", sec(freshUp)],
      ["  Image create (build)", "", sec(build)],
      ["  QemuVm create (boot until ready)", "", sec(boot)],
      ["  rest (engine, program, component)", "", sec(freshUp - build - boot)],
      ["first up (cold process caches)", "", sec(firstUp)],
      ["  Image create (build)", "", sec(firstTimer.of(IMAGE_TYPE))],
      ["  QemuVm create (boot until ready)", "", sec(firstTimer.of(VM_TYPE))],
      ["destroy", "", sec(destroy)],
    ];
    process.stdout.write(
      `\n${table(["measure", `samples (s), n=${repeats}`, "median / time"], rows)}\n`,
    );
    process.stdout.write(
      `\nqemu accel tcg (LINUXKIT_QEMU_ACCEL in the stack environment); ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}\n`,
    );
  } finally {
    progress("cleaning up");
    await example
      .destroy({ onOutput: quiet })
      .catch((e: unknown) => progress(`destroy failed: ${String(e)}`));
    await empty.destroy({ onOutput: quiet }).catch(() => undefined);
    await example.workspace.removeStack(STACK).catch(() => undefined);
    await empty.workspace.removeStack(STACK).catch(() => undefined);
    await rm(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), { force: true });
    await rm(path.join(EMPTY, `Pulumi.${STACK}.yaml`), { force: true });
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
