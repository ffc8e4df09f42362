import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkBatcher } from "../../../../components/formats/blocks/chunk-batcher";
import {
  encodeNewcHeader,
  encodeNewcTrailer,
  padLength,
  S_IFREG,
} from "../../../../components/formats/blocks/newc";
import { normaliseName } from "../../../../components/tar/tar-header";

describe("encodeNewcHeader", () => {
  it("writes magic, thirteen 8-digit hex fields, the name, its NUL and padding to 4 bytes", () => {
    const buf = encodeNewcHeader({
      ino: 0x1234,
      mode: S_IFREG | 0o644,
      uid: 1,
      gid: 2,
      nlink: 1,
      mtime: 0x65936c25,
      fileSize: 5,
      devMajor: 0,
      devMinor: 0,
      rdevMajor: 0,
      rdevMinor: 0,
      name: "ab",
    });
    const text = buf.toString("latin1");
    assert.equal(
      text.slice(0, 110),
      "070701" +
        ["00001234", "000081a4", "00000001", "00000002", "00000001", "65936c25", "00000005"].join(
          "",
        ) +
        ["00000000", "00000000", "00000000", "00000000", "00000003", "00000000"].join(""),
    );
    assert.equal(text.slice(110), "ab\0\0\0\0"); // 110 + 3 = 113, padded to 116
    assert.equal(buf.length % 4, 0);
  });

  it("counts the name in bytes, not characters", () => {
    const buf = encodeNewcHeader({ ...encodeFields(), name: "ü" });
    assert.equal(buf.toString("latin1", 94, 102), "00000003");
  });

  it("refuses values that do not fit in 32 bits", () => {
    assert.throws(() => encodeNewcHeader({ ...encodeFields(), fileSize: 2 ** 32 }), RangeError);
  });

  it("encodes the trailer with nlink 1 and everything else zero", () => {
    const t = encodeNewcTrailer().toString("latin1");
    assert.equal(t.slice(0, 6), "070701");
    assert.equal(t.slice(38, 46), "00000001");
    assert.ok(t.includes("TRAILER!!!\0"));
  });

  it("pads to the requested alignment", () => {
    assert.deepEqual(
      [padLength(0), padLength(1), padLength(4), padLength(513, 512)],
      [0, 3, 0, 511],
    );
  });
});

function encodeFields(): Parameters<typeof encodeNewcHeader>[0] {
  return {
    ino: 1,
    mode: S_IFREG,
    uid: 0,
    gid: 0,
    nlink: 1,
    mtime: 0,
    fileSize: 0,
    devMajor: 0,
    devMinor: 0,
    rdevMajor: 0,
    rdevMinor: 0,
    name: "x",
  };
}

describe("normaliseName", () => {
  it("strips ./, leading and trailing slashes", () => {
    assert.deepEqual(
      ["./etc/", "etc", "/etc/hosts", "./", ".", "boot/", "a//"].map(normaliseName),
      ["etc", "etc", "etc/hosts", "", "", "boot", "a"],
    );
  });
});

describe("ChunkBatcher", () => {
  it("gathers small buffers, passes large ones through uncopied, and keeps order", () => {
    const b = new ChunkBatcher(8);
    assert.deepEqual(b.push(Buffer.from("abc")), []);
    const big = Buffer.from("0123456789");
    const out = b.push(big);
    assert.equal(out.length, 2);
    assert.equal(out[0]?.toString(), "abc");
    assert.equal(out[1], big);
    assert.deepEqual(b.push(Buffer.from("defgh")), []);
    assert.equal(b.push(Buffer.from("ijk"))[0]?.toString(), "defghijk");
    assert.equal(b.take(), undefined);
  });
});
