import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { archOfPlan, ipxeFileNames, ipxeScript, urlOf } from "../../../components/ipxe/ipxe-script";

// The expected texts are LinuxKit's equinixmetalIPXEScript output for the same
// inputs, written out by hand: no trailing newline after `boot`.
describe("ipxeScript", () => {
  it("x86_64: adds the ttyS1 serial console before the image's own cmdline", () => {
    const text = ipxeScript({
      name: "nginx",
      baseUrl: "https://example.com/images",
      arch: "x86_64",
      cmdline: "console=tty0 console=ttyS0",
    });
    assert.equal(
      text,
      [
        "#!ipxe",
        "",
        "dhcp",
        "set base-url https://example.com/images",
        "set kernel-params ip=dhcp nomodeset ro serial console=ttyS1,115200 console=tty0 console=ttyS0",
        "kernel ${base-url}/nginx-kernel ${kernel-params}",
        "initrd ${base-url}/nginx-initrd.img",
        "boot",
      ].join("\n"),
    );
  });

  it("x86_64 is the default arch", () => {
    assert.equal(
      ipxeScript({ name: "a", baseUrl: "http://h", cmdline: "x" }),
      ipxeScript({ name: "a", baseUrl: "http://h", cmdline: "x", arch: "x86_64" }),
    );
  });

  it("x86_64: leaves the console alone when the cmdline already names ttyS1 (two spaces, as LinuxKit)", () => {
    const text = ipxeScript({ name: "n", baseUrl: "http://h", cmdline: "console=ttyS1" });
    assert.match(text, /\nset kernel-params ip=dhcp nomodeset ro serial {2}console=ttyS1\n/);
    assert.equal(text.match(/ttyS1/g)?.length, 1);
  });

  it("x86_64 with an empty cmdline keeps LinuxKit's trailing space", () => {
    const text = ipxeScript({ name: "n", baseUrl: "http://h" });
    assert.ok(
      text.includes("set kernel-params ip=dhcp nomodeset ro serial console=ttyS1,115200 \n"),
    );
  });

  it("aarch64: names the initrd and roots on /dev/ram0, no ttyS1", () => {
    const text = ipxeScript({
      name: "nginx",
      baseUrl: "http://10.0.2.2:8000",
      arch: "aarch64",
      cmdline: "console=ttyAMA0",
    });
    assert.equal(
      text,
      [
        "#!ipxe",
        "",
        "dhcp",
        "set base-url http://10.0.2.2:8000",
        "initrd --name initrd ${base-url}/nginx-initrd.img",
        "set kernel-params ip=dhcp nomodeset ro console=ttyAMA0",
        "kernel ${base-url}/nginx-kernel initrd=initrd root=/dev/ram0 ${kernel-params}",
        "boot",
      ].join("\n"),
    );
  });
});

describe("ipxe helpers", () => {
  it("file names follow linuxkit run equinixmetal", () => {
    assert.deepEqual(ipxeFileNames("web"), {
      kernel: "web-kernel",
      initrd: "web-initrd.img",
      script: "web-equinixmetal.ipxe",
    });
  });
  it("Arm plans are aarch64, the rest x86_64", () => {
    assert.equal(archOfPlan("baremetal_2a"), "aarch64");
    assert.equal(archOfPlan("baremetal_2a2"), "aarch64");
    assert.equal(archOfPlan("c3.large.arm64"), "aarch64");
    assert.equal(archOfPlan("c3.small.x86"), "x86_64");
  });
  it("urlOf joins with one slash", () => {
    assert.equal(urlOf("http://h/x/", "f"), "http://h/x/f");
    assert.equal(urlOf("http://h/x", "f"), "http://h/x/f");
  });
});
