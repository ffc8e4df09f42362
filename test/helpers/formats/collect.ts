/** Collecting a stream into memory (fine for test-sized archives). */
import { Writable } from "node:stream";

/** A Writable that keeps everything written; read `bytes()` after it finishes. */
export function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}
