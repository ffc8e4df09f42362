/**
 * Identifiers disk images carry (MBR disk signature, GPT disk and
 * partition GUIDs, FAT volume serial, VHD UUID, VMDK CID) derived from a
 * content hash instead of a random source, so the same root filesystem
 * always gives the same bytes, while different contents get different ids.
 */
import { createHash } from "node:crypto";

/** `length` bytes derived from `contentHash` for the purpose `label` (sha256 of both). */
export function derivedBytes(contentHash: string, label: string, length: number): Buffer {
  if (length > 32) throw new RangeError("at most 32 derived bytes");
  return createHash("sha256")
    .update(`pulumi-linuxkit:${label}:${contentHash}`)
    .digest()
    .subarray(0, length);
}

/** A 32-bit number derived from `contentHash` for `label`. */
export function derivedU32(contentHash: string, label: string): number {
  return derivedBytes(contentHash, label, 4).readUInt32BE(0);
}

/**
 * A UUID derived from `contentHash` for `label`, in the RFC 4122 form of a
 * random (version 4, variant 10) UUID so tools accept it as one.
 * Lower case, e.g. `8c0a7c5e-2f1b-4d3a-9e6f-0123456789ab`.
 */
export function derivedUuid(contentHash: string, label: string): string {
  const b = Buffer.from(derivedBytes(contentHash, label, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The 16 bytes of a UUID string in network (big-endian) order, as VHD stores it. */
export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, "hex");
}
