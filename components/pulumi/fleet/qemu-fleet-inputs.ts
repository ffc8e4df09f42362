import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";

import { policyProblems } from "../../fleet";
import type { FleetForward } from "../../fleet/adapters/qemu-adapter";
import type { QemuAccelChoice } from "../../qemu/accel";
import { readinessProblems, type Readiness } from "../../qemu/readiness";
import { containsUnknown } from "../dynamic/unknowns";

/** When a fleet machine counts as healthy. At least one check is advised. */
export interface FleetHealth {
  /** A guest port that must accept and keep a connection (must be one of `forwards`' guest ports). */
  tcpPort?: number;
  /** An HTTP path that must answer 2xx, on `tcpPort` (default: the first forward's guest port). */
  httpPath?: string;
  /** A regular expression the serial console must show. */
  consolePattern?: string;
  /** Seconds a new machine gets to become healthy. Default 120. */
  timeoutSeconds?: number;
}

/** The QemuFleet resource's inputs after defaults. Paths relative to the program folder. */
export interface QemuFleetInputs {
  name: string;
  stateDir: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  imageHash: string;
  size: number;
  maxSurge: number;
  maxUnavailable: number;
  memoryMiB: number;
  cpus: number;
  accel: QemuAccelChoice;
  forwards: FleetForward[];
  health: FleetHealth;
  shutdownTimeoutSeconds: number;
}

export function fleetDefaults(news: Partial<QemuFleetInputs>): QemuFleetInputs {
  return {
    ...news,
    name: news.name ?? "fleet",
    stateDir: news.stateDir ?? ".linuxkit/fleets",
    kernel: news.kernel ?? "",
    initrd: news.initrd ?? "",
    cmdline: news.cmdline ?? "",
    imageHash: news.imageHash ?? "",
    size: news.size ?? 1,
    maxSurge: news.maxSurge ?? 1,
    maxUnavailable: news.maxUnavailable ?? 0,
    memoryMiB: news.memoryMiB ?? 1024,
    cpus: news.cpus ?? 1,
    accel: news.accel ?? "auto",
    forwards: news.forwards ?? [],
    health: news.health ?? {},
    shutdownTimeoutSeconds: news.shutdownTimeoutSeconds ?? 5,
  };
}

/** The readiness check of the qemu runtime for a fleet's health settings. */
export function readinessOf(i: Pick<QemuFleetInputs, "health" | "forwards">): Readiness {
  const h = i.health;
  const tcpPort = h.tcpPort ?? (h.httpPath !== undefined ? i.forwards[0]?.guestPort : undefined);
  return {
    consolePattern: h.consolePattern,
    tcpPort,
    httpPath: h.httpPath,
    timeoutSeconds: h.timeoutSeconds,
  };
}

/**
 * What a machine is made from: two machines with equal keys are
 * interchangeable; a new key rolls the fleet. The image's content hash,
 * the command line and the machine's size.
 */
export function machineKey(
  i: Pick<QemuFleetInputs, "imageHash" | "cmdline" | "memoryMiB" | "cpus" | "accel">,
): string {
  const key = JSON.stringify([i.imageHash, i.cmdline, i.memoryMiB, i.cpus, i.accel]);
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

type Failure = { property: string; reason: string };

/** Check failures for a fleet's inputs; values not known yet (preview) are checked on `up`. */
export function fleetProblems(i: QemuFleetInputs): Failure[] {
  const failures: Failure[] = [];
  const known = (v: unknown): boolean => !containsUnknown(v);
  if (known(i.size) && known(i.maxSurge) && known(i.maxUnavailable)) {
    for (const reason of policyProblems(i, i.size)) {
      failures.push({ property: /^size/.test(reason) ? "size" : "maxSurge", reason });
    }
  }
  for (const key of ["kernel", "initrd"] as const) {
    const file = i[key];
    if (!known(file)) continue;
    if (file === "") {
      failures.push({
        property: "image",
        reason: `the image has no ${key}: build the Image with the kernel+initrd format`,
      });
    } else if (!existsSync(path.resolve(file))) {
      failures.push({ property: "image", reason: `${key} ${file} does not exist` });
    }
  }
  if (known(i.memoryMiB) && (!Number.isInteger(i.memoryMiB) || i.memoryMiB < 64)) {
    failures.push({ property: "memoryMiB", reason: "memoryMiB must be an integer of at least 64" });
  }
  if (known(i.forwards) && known(i.size) && known(i.maxSurge)) {
    const span = i.size + i.maxSurge;
    const ranges = i.forwards.map((f) => [f.hostPortBase, f.hostPortBase + Math.max(span, 1) - 1]);
    for (const [n, f] of i.forwards.entries()) {
      const [lo, hi] = ranges[n]!;
      if (!(lo! > 0 && hi! < 65536) || !(f.guestPort > 0 && f.guestPort < 65536)) {
        failures.push({
          property: "forwards",
          reason: `forward ${f.hostPortBase}+i -> ${f.guestPort} needs host ports ${lo}-${hi} (size + maxSurge): out of range 1-65535`,
        });
      }
      for (const [m, other] of ranges.entries()) {
        if (m > n && lo! <= other[1]! && other[0]! <= hi!) {
          failures.push({
            property: "forwards",
            reason: `forwards ${n} and ${m} share host ports: each needs size + maxSurge = ${span} ports from its hostPortBase`,
          });
        }
      }
    }
  }
  if (known(i.health)) {
    for (const reason of readinessProblems(i.health, "health")) {
      failures.push({ property: "health", reason });
    }
  }
  if (known(i.health) && known(i.forwards)) {
    const r = readinessOf(i);
    if (r.tcpPort !== undefined && !i.forwards.some((f) => f.guestPort === r.tcpPort)) {
      failures.push({
        property: "health",
        reason: `health checks guest port ${r.tcpPort}, which no forward reaches: add { hostPortBase, guestPort: ${r.tcpPort} } to forwards`,
      });
    }
  }
  return failures;
}
