/**
 * Rollout time of a qemu fleet for size 1, 2 and 3 (maxSurge 1,
 * maxUnavailable 0): the rollout engine with the qemu adapter, as
 * QemuFleet runs it, without the Pulumi engine and image build around it.
 * Two versions of the web image are built once; for each size a fleet is
 * created on v1 (not timed), rolled to v2 (timed, with the 200 ms probe
 * running) and stopped. Prints a table; compare a rollout with
 * size x (boot + health) of one machine.
 *
 * Usage: npm run bench:fleet   (LINUXKIT_QEMU_ACCEL=tcg forced)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { rollout, stopAll, type FleetState } from "../components/fleet";
import { qemuFleetAdapter, type QemuFleetMachine } from "../components/fleet/adapters/qemu-adapter";
import { loadSpecFiles } from "../components/config";
import { build } from "../components/pipeline/pipeline";
import { FleetProbe, freePortRange, webYaml } from "../test/helpers/fleet-web";

process.env.LINUXKIT_QEMU_ACCEL = "tcg";

async function buildImage(work: string, version: string) {
  const file = path.join(work, `${version}.yml`);
  await writeFile(file, webYaml(version));
  const parsed = await loadSpecFiles([file]);
  const r = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: work,
    name: `web-${version}`,
    outputDir: path.join(work, "images", version),
  });
  const find = (suffix: string): string => r.artifacts.find((a) => a.file.endsWith(suffix))!.path;
  return {
    hash: r.cacheKey,
    kernel: find("-kernel"),
    initrd: find("-initrd.img"),
    cmdline: r.cmdline,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-fleet-bench-"));
  const sizes = (process.argv[2] ?? "1,2,3").split(",").map(Number);
  const rows: string[] = [];
  try {
    const images = { v1: await buildImage(work, "v1"), v2: await buildImage(work, "v2") };
    for (const size of sizes) {
      const base = await freePortRange(size + 1);
      const fleetDir = path.join(work, `fleet-${size}`);
      const adapter = (v: "v1" | "v2") =>
        qemuFleetAdapter({
          name: `bench${size}`,
          fleetDir,
          media: { kind: "kernel+initrd", ...images[v] },
          imageHash: images[v].hash,
          size,
          memoryMiB: 256,
          cpus: 1,
          accel: "tcg",
          forwards: [{ hostPortBase: base, guestPort: 80 }],
          health: { httpPath: "/", tcpPort: 80, timeoutSeconds: 300 },
          shutdownTimeoutSeconds: 0,
        });
      const policy = { maxSurge: 1, maxUnavailable: 0 };
      let state: FleetState<QemuFleetMachine> = { slots: [] };
      try {
        state = await rollout(adapter("v1"), state, { size, image: "v1" }, policy);
        const created = state.slots.map((s) => s.readySeconds ?? 0);
        const probe = new FleetProbe(Array.from({ length: size + 1 }, (_, i) => base + i)).start();
        const t0 = Date.now();
        state = await rollout(adapter("v2"), state, { size, image: "v2" }, policy);
        const seconds = (Date.now() - t0) / 1000;
        await probe.stop();
        const rolled = state.slots.map((s) => s.readySeconds ?? 0);
        const one = created.reduce((a, b) => a + b, 0) / created.length;
        rows.push(
          `| ${size} | ${seconds.toFixed(1)} | ${(size * one).toFixed(1)} | ${rolled.map((r) => r.toFixed(1)).join(", ")} | ${(seconds - rolled.reduce((a, b) => a + b, 0)).toFixed(1)} | ${probe.min()} of ${size} |`,
        );
        process.stderr.write(`size ${size}: ${seconds.toFixed(1)} s\n`);
      } finally {
        await stopAll(adapter("v2"), state);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(
    [
      `Rollout v1 -> v2, maxSurge 1, maxUnavailable 0, TCG, 256 MiB guests, ${os.cpus().length} host cores, load ${os.loadavg()[0]!.toFixed(1)}`,
      "",
      "| size | rollout (s) | size x (boot + health) of one machine at create (s) | each new machine boot + health (s) | rest: stop old + take over ports (s) | fewest machines answering (200 ms probe) |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
    ].join("\n"),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
