/**
 * The fault tier's table (issue 19): per resource and kind of fault, how
 * many faults were injected, how many runs converged after the next `up`,
 * orphans (anything created that is neither in state nor deleted), fleet
 * floor breaches (a probe sample with fewer than size − maxUnavailable
 * machines answering during the recovery `up`; "-" where there is no
 * fleet) and secrets found (in artifacts, logs, state, errors or `ps`).
 * The goal: every fault converges, 0 orphans, 0 breaches, 0 leaks.
 */
export interface FaultRow {
  resource: string;
  /** What was injected, e.g. `503 until retries run out`. */
  fault: string;
  injected: number;
  converged: number;
  orphans: number;
  /** undefined: not a fleet (shown as "-"). */
  floorBreaches?: number;
  secrets: number;
  /** Seconds the row's runs took. */
  seconds?: number;
}

export class FaultTable {
  readonly rows: FaultRow[] = [];

  constructor(private readonly title: string) {}

  /** A new row, counted from zero, kept in the table. */
  row(resource: string, fault: string, fleet = false): FaultRow {
    const r: FaultRow = { resource, fault, injected: 0, converged: 0, orphans: 0, secrets: 0 };
    if (fleet) r.floorBreaches = 0;
    this.rows.push(r);
    return r;
  }

  /** Times `f` and adds its seconds to `row`. */
  async timed<T>(row: FaultRow, f: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      row.seconds = (row.seconds ?? 0) + (Date.now() - t0) / 1000;
    }
  }

  render(): string {
    const head = [
      "resource",
      "fault",
      "faults",
      "converged",
      "orphans",
      "floor breaches",
      "secrets found",
      "s",
    ];
    const cells = this.rows.map((r) => [
      r.resource,
      r.fault,
      String(r.injected),
      String(r.converged),
      String(r.orphans),
      r.floorBreaches === undefined ? "-" : String(r.floorBreaches),
      String(r.secrets),
      r.seconds === undefined ? "" : r.seconds.toFixed(1),
    ]);
    const total = [
      "total",
      "",
      ...[
        (r: FaultRow) => r.injected,
        (r: FaultRow) => r.converged,
        (r: FaultRow) => r.orphans,
        (r: FaultRow) => r.floorBreaches ?? 0,
        (r: FaultRow) => r.secrets,
      ].map((f) => String(this.rows.reduce((n, r) => n + f(r), 0))),
      this.rows.reduce((n, r) => n + (r.seconds ?? 0), 0).toFixed(1),
    ];
    const all = [head, ...cells, total];
    const widths = head.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
    const line = (c: string[]): string =>
      c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
    return `\n${this.title}\n${all.map(line).join("\n")}\n`;
  }

  print(): void {
    process.stdout.write(this.render());
  }
}
