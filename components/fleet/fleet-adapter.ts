/**
 * What the rollout engine needs from one kind of machine. A new target
 * (qemu, Metal, ...) is one implementation of this interface; the engine,
 * its waves and its guarantees stay the same. `M` is the target's machine
 * handle: plain JSON, since it is kept in state.
 */
/** What a start asks for. */
export interface StartRequest {
  slot: number;
  image: string;
  surgeIndex?: number;
}

/**
 * Where a machine will be, known before it is started (qemu: its folder and
 * instance id): plain JSON, journaled before the start.
 */
export type StartIntent = Readonly<Record<string, string | number>>;

export interface FleetAdapter<M> {
  /**
   * Starts a machine for `slot` booting `image`. With `surgeIndex` the
   * machine runs beside the slot's current one (on qemu: on the surge
   * ports `hostPortBase + size + surgeIndex`) until {@link promote}. With
   * an `intent` from {@link intend}, the machine is made where it says.
   */
  start(req: StartRequest, intent?: StartIntent): Promise<M>;
  /**
   * Names the machine a start is about to make, before it exists. The
   * engine journals it as starting first, so a run cut short between the
   * start and the journal leaves a record the next run acts on
   * ({@link recoverStarting}), never a machine nobody knows of. Targets
   * without it are journaled once their start returns.
   */
  intend?(req: StartRequest): StartIntent;
  /**
   * Stops whatever a start journaled as `intent` left running (a run cut
   * short mid-start), and removes what it left; nothing there is no error.
   */
  recoverStarting?(intent: StartIntent): Promise<void>;
  /** Waits until the machine is healthy: undefined, or why it is not (timed out, died). */
  health(machine: M): Promise<string | undefined>;
  /** Stops the machine and removes what it left; a machine already gone is no error. */
  stop(machine: M): Promise<void>;
  /** A healthy surge machine takes over its slot once the slot's old machine stopped. */
  promote?(machine: M, slot: number): Promise<M>;
  /**
   * Moves an existing machine to `image` in place (Metal: a new iPXE
   * script and a reboot). Without it, in-place means stop, then start.
   */
  reimage?(machine: M, image: string): Promise<M>;
  /** Whether the machine still exists and runs (refresh). */
  alive(machine: M): Promise<boolean>;
  /** The machine's name in messages (id, pid, address). */
  describe(machine: M): string;
  /** The last lines of the machine's console, for error messages. */
  consoleTail(machine: M): Promise<string[]>;
  /**
   * Keep a machine that failed its check after an in-place change (recorded
   * `unhealthy`, replaced by the next run) instead of stopping it. Metal
   * keeps the device; qemu stops it. Default false.
   */
  keepFailed?: boolean;
}
