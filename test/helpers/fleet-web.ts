/**
 * The web fleet used by the QemuFleet test and bench: a LinuxKit YAML whose
 * httpd serves its version, and a probe that polls every port of the fleet
 * every 200 ms, telling machines apart by their kernel boot id.
 */
import net from "node:net";

/**
 * The smallest image here that serves HTTP: kernel, init, runc, one httpd
 * service (DHCP done by the test init). `/` says `fleet <version>`;
 * `/cgi-bin/id` adds the guest's boot id. `broken`: the service never listens.
 * `arch` arm64: the arm64 stand-ins (`:test-arm64`) and the PL011 console.
 */
export function webYaml(
  version: string,
  broken = false,
  arch: "amd64" | "arm64" = "amd64",
): string {
  const tag = arch === "arm64" ? "test-arm64" : "test";
  const console = arch === "arm64" ? "ttyAMA0" : "ttyS0";
  return `kernel:
  image: linuxkit-test/kernel:${tag}
  cmdline: "console=${console} linuxkit.test.dhcp=1"
init:
  - linuxkit-test/init:${tag}
  - linuxkit-test/runc:${tag}
services:
  - name: web
    image: linuxkit-test/httpd:${tag}
    capabilities: [CAP_NET_BIND_SERVICE, CAP_CHOWN, CAP_SETUID, CAP_SETGID, CAP_DAC_OVERRIDE]
    net: host
    binds:
      - /etc/fleet-www:/www
${broken ? '    command: ["/bin/sh", "-c", "echo web: broken on purpose; exec sleep 1000000"]\n' : ""}files:
  - path: etc/fleet-www/index.html
    contents: "fleet ${version}\\n"
    mode: "0644"
  - path: etc/fleet-www/cgi-bin/id
    contents: |
      #!/bin/sh
      printf 'Content-Type: text/plain\\r\\n\\r\\n'
      echo "fleet ${version} boot=$(cat /proc/sys/kernel/random/boot_id)"
    mode: "0755"
`;
}

export interface ProbeAnswer {
  port: number;
  version: string;
  boot: string;
}

export interface ProbeSample {
  /** ms since the probe started. */
  at: number;
  answers: ProbeAnswer[];
  /** Distinct machines (boot ids) answering. */
  machines: number;
}

async function ask(port: number, timeoutMs = 3000): Promise<ProbeAnswer | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/id`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const m = /fleet (\S+) boot=(\S+)/.exec(await res.text());
    return m ? { port, version: m[1]!, boot: m[2]! } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls every port every `everyMs`, one request at a time per port (qemu's
 * forwarded ports accept one pending connection: overlapping requests
 * would make the probe itself the cause of failures). A machine counts as
 * answering at a sample's instant when one of its answers (on any port)
 * completed within `windowMs` before or after it: a poller cannot know
 * better than its own round trip and polling interval (a machine that
 * starts serving is seen at its next poll, an answer under TCG on a
 * loaded machine can take over a second), and a machine that stops
 * answering for longer than twice the window shows. Samples are taken
 * every `everyMs` and judged once the window after them has passed.
 */
export class FleetProbe {
  /** Sample instants, ms since the probe started. */
  private readonly instants: number[] = [];
  private stoppedAt: number | undefined;
  /** Every answer: when it completed, on which port, from which machine. */
  readonly answers: (ProbeAnswer & { at: number })[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly ports: number[],
    private readonly everyMs = 200,
    private readonly windowMs = 1000,
  ) {}

  start(): this {
    this.running = true;
    this.loops = this.ports.map(async (port) => {
      // After a failed request the machine is down or booting: a connection
      // opened before its guest listens can hang on SYN retransmits for
      // seconds, so give up after 1 s and open a fresh one (a new machine is
      // seen within about a second of listening). After an answer, allow a
      // slow one (5 s): a serving guest under TCG can take over a second.
      let lastOk = false;
      while (this.running) {
        const t = Date.now();
        const a = await ask(port, lastOk ? 5000 : 1000);
        lastOk = a !== undefined;
        if (a !== undefined) this.answers.push({ ...a, at: Date.now() - this.started });
        await new Promise((r) => setTimeout(r, Math.max(0, this.everyMs - (Date.now() - t))));
      }
    });
    this.timer = setInterval(() => {
      const at = Date.now() - this.started;
      if (at >= this.windowMs) this.instants.push(at);
    }, this.everyMs);
    return this;
  }

  /** The samples whose window has passed: who answered around each instant. */
  get samples(): ProbeSample[] {
    const until = (this.stoppedAt ?? Date.now() - this.started) - this.windowMs;
    return this.instants
      .filter((at) => at <= until)
      .map((at) => {
        const near = this.answers.filter(
          (a) => a.at > at - this.windowMs && a.at <= at + this.windowMs,
        );
        const latest = new Map(near.filter((a) => a.at <= at).map((a) => [a.port, a]));
        return {
          at,
          answers: [...latest.values()],
          machines: new Set(near.map((a) => a.boot)).size,
        };
      });
  }

  /**
   * Keeps probing until every port has answered from a boot other than the
   * one `before` names for it (or `timeoutMs` passes): the last machine of a
   * rollout is ready when the rollout ends, but its first answer through the
   * probe may come a round trip later under TCG.
   */
  async untilNewBoots(before: string[], timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    const done = (): boolean =>
      this.ports.every((port, i) =>
        this.answers.some((a) => a.port === port && a.boot !== before[i]),
      );
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  }

  async stop(): Promise<ProbeSample[]> {
    this.running = false;
    clearInterval(this.timer);
    await Promise.all(this.loops);
    this.stoppedAt = Date.now() - this.started;
    return this.samples;
  }

  /** Fewest distinct machines answering in any sample. */
  min(): number {
    return Math.min(...this.samples.map((s) => s.machines));
  }

  /** Longest time between two answers on `port` (ms), over the probe's run. */
  longestSilence(port: number): number {
    const times = [0, ...this.answers.filter((a) => a.port === port).map((a) => a.at)];
    return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
  }

  /** The samples around the fewest, for a failure message. */
  aroundMin(): string {
    const i = this.samples.findIndex((s) => s.machines === this.min());
    return this.samples
      .slice(Math.max(0, i - 3), i + 4)
      .map((s) => `${s.at} ms: ${s.answers.map((a) => `${a.port}=${a.version}`).join(" ")}`)
      .join("; ");
  }
}

/** What each port answers right now. */
export async function askAll(ports: number[]): Promise<(ProbeAnswer | undefined)[]> {
  return Promise.all(ports.map((p) => ask(p, 10_000)));
}

/**
 * A base port with `count` free ports above it (checked by binding them),
 * below Linux's ephemeral range (32768 up): a port there can be taken by
 * any outgoing connection between this check and qemu binding it.
 */
export async function freePortRange(count: number, seed = process.pid): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + ((seed * 7 + attempt * 101) % (32768 - 20000 - count));
    const servers: net.Server[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once("error", () => resolve(false));
        s.listen(p, "127.0.0.1", () => resolve(true));
      });
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    if (ok) return base;
  }
  throw new Error(`no ${count} free ports in a row`);
}
