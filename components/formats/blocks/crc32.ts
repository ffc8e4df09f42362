/** CRC-32 (the gzip/zip one), continued from `previous`: zlib's when Node has it (20.15+). */
import * as zlib from "node:zlib";

type Crc32 = (data: Buffer, previous?: number) => number;

let table: Uint32Array | undefined;

function tableCrc32(data: Buffer, previous = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;

/** The CRC-32 of `data`, continuing a CRC-32 `previous` of the bytes before it (default 0). */
export const crc32: Crc32 = native ?? tableCrc32;
