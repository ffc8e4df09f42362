/**
 * Groups small buffers (cpio headers, padding, small files) into larger
 * chunks so each downstream write (a gzip call on the thread pool, a file
 * write) carries a useful amount of data. Large buffers pass through
 * uncopied.
 */
export class ChunkBatcher {
  private parts: Buffer[] = [];
  private size = 0;

  /** @param target bytes to gather before a batch is released. */
  constructor(private readonly target: number) {}

  /** Adds `buf`; returns the chunks now ready to be written, in order (often none). */
  push(buf: Buffer): Buffer[] {
    if (buf.length === 0) return NONE;
    if (buf.length >= this.target) {
      const pending = this.take();
      return pending === undefined ? [buf] : [pending, buf];
    }
    this.parts.push(buf);
    this.size += buf.length;
    if (this.size < this.target) return NONE;
    const batch = this.take();
    return batch === undefined ? NONE : [batch];
  }

  /** Everything gathered so far as one buffer, or `undefined` when empty. */
  take(): Buffer | undefined {
    if (this.size === 0) return undefined;
    const out = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

const NONE: Buffer[] = [];
