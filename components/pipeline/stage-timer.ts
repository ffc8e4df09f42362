/**
 * Stage timings of a build, printed to stderr when PULUMI_LINUXKIT_TIMINGS=1
 * (`plan 0.02 s, rootfs 0.21 s, ...`): for finding where a slow build
 * spends its time. Costs nothing when off.
 */
export class StageTimer {
  private readonly enabled = process.env.PULUMI_LINUXKIT_TIMINGS === "1";
  private readonly stages: string[] = [];
  private last = performance.now();
  private readonly start = this.last;

  /** Ends the current stage, naming it. */
  mark(stage: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    this.stages.push(`${stage} ${((now - this.last) / 1000).toFixed(3)} s`);
    this.last = now;
  }

  /** Prints the stages, the total, and the time since the process started. */
  report(): void {
    if (!this.enabled) return;
    const total = ((performance.now() - this.start) / 1000).toFixed(3);
    const sinceStart = (performance.now() / 1000).toFixed(3);
    process.stderr.write(
      `timings: ${this.stages.join(", ")}; build ${total} s, process ${sinceStart} s\n`,
    );
  }
}
