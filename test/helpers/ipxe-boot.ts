/**
 * A diskless qemu machine that boots from the network the way a Packet /
 * Equinix Metal machine does: SeaBIOS runs qemu's built-in iPXE ROM for
 * the virtio NIC, user-mode networking's DHCP hands out `bootfile` (an
 * http URL; the host's loopback is 10.0.2.2), iPXE fetches and runs that
 * script. Two serial ports, as on Metal: ttyS1 (the Metal console) is
 * captured as `console`, ttyS0 into a file. Always TCG; `-no-reboot`, so a
 * guest that powers off or reboots ends the run. Started and stopped by
 * the one launcher (`qemu-launch.ts`).
 */
import { readFileSync } from "node:fs";

import { runQemuUntilExit } from "./qemu-launch";

export interface NetworkBootOptions {
  /** URL DHCP gives iPXE as the boot file. */
  bootfile: string;
  /** Where to write ttyS0. */
  ttyS0File: string;
  /** Also write the ttyS1 console here when qemu is gone. */
  consoleFile?: string;
  /** The NIC's MAC address: the same machine keeps it across boots. */
  mac?: string;
  memoryMiB?: number;
}

export interface NetworkBootResult {
  /** ttyS1, CR removed. */
  console: string;
  /** ttyS0 (firmware and anything the guest writes there). */
  ttyS0: string;
  code: number | null;
  timedOut: boolean;
  seconds: number;
}

/** The qemu arguments of a diskless network boot. */
export function networkBootArgs(o: NetworkBootOptions): string[] {
  if (o.bootfile.includes(","))
    throw new Error(`a bootfile URL cannot hold a comma: ${o.bootfile}`);
  return [
    "-accel",
    "tcg",
    "-m",
    String(o.memoryMiB ?? 1024),
    "-display",
    "none",
    "-monitor",
    "none",
    "-no-reboot",
    "-serial",
    `file:${o.ttyS0File}`,
    "-serial",
    "stdio",
    "-netdev",
    `user,id=net0,bootfile=${o.bootfile}`,
    "-device",
    `virtio-net-pci,netdev=net0,mac=${o.mac ?? "52:54:00:4d:45:54"}`,
    "-boot",
    "n",
  ];
}

/** Boots until the guest powers off or `timeoutMs`; qemu never outlives the call. */
export async function bootFromNetwork(
  o: NetworkBootOptions,
  timeoutMs: number,
): Promise<NetworkBootResult> {
  const r = await runQemuUntilExit(
    { args: networkBootArgs(o), consoleFile: o.consoleFile },
    timeoutMs,
  );
  let ttyS0 = "";
  try {
    ttyS0 = readFileSync(o.ttyS0File, "utf8");
  } catch {
    /* never written */
  }
  return { console: r.console, ttyS0, code: r.code, timedOut: r.timedOut, seconds: r.seconds };
}
