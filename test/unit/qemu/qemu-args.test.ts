import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  buildQemuArgs,
  kernelMachineConfig,
  type QemuConfig,
} from "../../../components/qemu/qemu-args";

const KERNEL_INITRD: QemuConfig["media"] = {
  kind: "kernel+initrd",
  kernel: "out/web-kernel",
  initrd: "out/web-initrd.img",
  cmdline: "console=ttyS0 quiet",
};

/** The value following `flag` in `args` (the first occurrence). */
function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** Every value following `flag`. */
function all(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ""] : []));
}

describe("buildQemuArgs", () => {
  it("boots a kernel and initrd on an interactive console with kvm (the exact argument list)", () => {
    assert.deepEqual(
      buildQemuArgs({ media: KERNEL_INITRD, accel: "kvm", console: { kind: "stdio" } }),
      [
        "-machine",
        "pc,accel=kvm",
        "-cpu",
        "host",
        "-m",
        "1024",
        "-smp",
        "1",
        "-nographic",
        "-no-reboot",
        "-nodefaults",
        "-serial",
        "mon:stdio",
        "-netdev",
        "user,id=net0",
        "-device",
        "virtio-net-pci,netdev=net0",
        "-device",
        "virtio-rng-pci",
        "-kernel",
        "out/web-kernel",
        "-initrd",
        "out/web-initrd.img",
        "-append",
        "console=ttyS0 quiet",
      ],
    );
  });

  it("tcg has no -cpu host (qemu refuses it without kvm)", () => {
    const args = buildQemuArgs({
      media: KERNEL_INITRD,
      accel: "tcg",
      console: { kind: "stdio" },
      memoryMiB: 2048,
      cpus: 4,
    });
    assert.equal(after(args, "-machine"), "pc,accel=tcg");
    assert.equal(args.includes("-cpu"), false);
    assert.equal(after(args, "-m"), "2048");
    assert.equal(after(args, "-smp"), "4");
  });

  const media: {
    title: string;
    config: Partial<QemuConfig> & Pick<QemuConfig, "media">;
    expect: string[][];
    pflash: boolean;
  }[] = [
    {
      title: "a BIOS ISO boots from the CD-ROM",
      config: { media: { kind: "iso", path: "web.iso" } },
      expect: [
        ["-cdrom", "web.iso"],
        ["-boot", "d"],
      ],
      pflash: false,
    },
    {
      title: "an EFI ISO adds the OVMF firmware",
      config: {
        media: { kind: "iso", path: "web-efi.iso", uefi: true },
        ovmfCode: "/usr/share/OVMF/OVMF_CODE.fd",
      },
      expect: [["-cdrom", "web-efi.iso"]],
      pflash: true,
    },
    {
      title: "a qcow2 disk boots from a virtio drive",
      config: { media: { kind: "disk", path: "web.qcow2", format: "qcow2" } },
      expect: [
        ["-drive", "file=web.qcow2,format=qcow2,if=virtio"],
        ["-boot", "c"],
      ],
      pflash: false,
    },
    {
      title: "an EFI raw disk adds the firmware before the disk",
      config: {
        media: { kind: "disk", path: "web-efi.img", format: "raw", uefi: true },
        ovmfCode: "/fw/OVMF.fd",
      },
      expect: [["-drive", "file=web-efi.img,format=raw,if=virtio"]],
      pflash: true,
    },
  ];
  for (const m of media) {
    it(m.title, () => {
      const args = buildQemuArgs({ accel: "tcg", console: { kind: "stdio" }, ...m.config });
      for (const [flag, value] of m.expect)
        assert.ok(all(args, flag!).includes(value!), `${flag} ${value} in ${args.join(" ")}`);
      const drives = all(args, "-drive");
      assert.equal(
        drives.some((d) => d.startsWith("if=pflash,format=raw,readonly=on,file=")),
        m.pflash,
      );
      if (m.pflash)
        assert.equal(drives[0], `if=pflash,format=raw,readonly=on,file=${m.config.ovmfCode}`);
      assert.equal(args.includes("-kernel"), false);
    });
  }

  it("EFI media without a firmware path is refused", () => {
    assert.throws(
      () =>
        buildQemuArgs({
          media: { kind: "iso", path: "x.iso", uefi: true },
          accel: "tcg",
          console: { kind: "stdio" },
        }),
      /ovmfCode/,
    );
  });

  it("forwards become hostfwd rules bound to 127.0.0.1", () => {
    const args = buildQemuArgs({
      media: KERNEL_INITRD,
      accel: "tcg",
      console: { kind: "stdio" },
      forwards: [
        { hostPort: 8080, guestPort: 80 },
        { hostPort: 2222, guestPort: 22, protocol: "tcp" },
        { hostPort: 5353, guestPort: 53, protocol: "udp" },
      ],
    });
    assert.equal(
      after(args, "-netdev"),
      "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:127.0.0.1:5353-:53",
    );
  });

  it("networking none has no network device at all", () => {
    const args = buildQemuArgs({
      media: KERNEL_INITRD,
      accel: "tcg",
      console: { kind: "stdio" },
      networking: "none",
      forwards: [{ hostPort: 1, guestPort: 2 }],
    });
    assert.equal(args.includes("-netdev"), false);
    assert.equal(all(args, "-device").includes("virtio-net-pci,netdev=net0"), false);
  });

  it("a detached VM daemonizes with -display none (not -nographic), a file console, QMP and a pidfile", () => {
    const args = buildQemuArgs({
      media: KERNEL_INITRD,
      accel: "kvm",
      name: "pulumi-linuxkit-abc",
      console: { kind: "file", path: "/state/console.log" },
      qmpSocket: "/state/qmp.sock",
      pidFile: "/state/qemu.pid",
      daemonize: true,
    });
    assert.equal(args.includes("-nographic"), false, "qemu refuses -nographic with -daemonize");
    assert.equal(after(args, "-display"), "none");
    assert.ok(args.includes("-daemonize"));
    assert.equal(after(args, "-serial"), "file:/state/console.log");
    assert.equal(after(args, "-monitor"), "none");
    assert.equal(after(args, "-qmp"), "unix:/state/qmp.sock,server=on,wait=off");
    assert.equal(after(args, "-pidfile"), "/state/qemu.pid");
    assert.equal(after(args, "-name"), "pulumi-linuxkit-abc");
  });

  it("commas in paths inside option lists are doubled, so a folder name cannot add options", () => {
    // issue 19, finding 11: `-drive file=<path>,...` and `-qmp unix:<path>,...` are lists.
    const dir = "/p/a,b/x,snapshot=on";
    const args = buildQemuArgs({
      media: { kind: "disk", path: `${dir}/disk.raw`, format: "raw", uefi: true },
      accel: "tcg",
      console: { kind: "file", path: `${dir}/console.log` },
      qmpSocket: `${dir}/qmp.sock`,
      pidFile: `${dir}/qemu.pid`,
      ovmfCode: "/fw,1/OVMF_CODE.fd",
      daemonize: true,
    });
    assert.deepEqual(all(args, "-drive"), [
      "if=pflash,format=raw,readonly=on,file=/fw,,1/OVMF_CODE.fd",
      "file=/p/a,,b/x,,snapshot=on/disk.raw,format=raw,if=virtio",
    ]);
    assert.equal(after(args, "-qmp"), "unix:/p/a,,b/x,,snapshot=on/qmp.sock,server=on,wait=off");
    // These take the rest of the argument literally: doubling would name another file.
    assert.equal(after(args, "-serial"), `file:${dir}/console.log`);
    assert.equal(after(args, "-pidfile"), `${dir}/qemu.pid`);
  });

  it("paths qemu reads literally stay as they are (-kernel, -initrd, -cdrom)", () => {
    const kernelArgs = buildQemuArgs({
      media: { kind: "kernel+initrd", kernel: "/o,1/k", initrd: "/o,1/i", cmdline: "a,b" },
      accel: "tcg",
      console: { kind: "stdio" },
    });
    assert.equal(after(kernelArgs, "-kernel"), "/o,1/k");
    assert.equal(after(kernelArgs, "-initrd"), "/o,1/i");
    assert.equal(after(kernelArgs, "-append"), "a,b");
    const isoArgs = buildQemuArgs({
      media: { kind: "iso", path: "/o,1/x.iso" },
      accel: "tcg",
      console: { kind: "stdio" },
    });
    assert.equal(after(isoArgs, "-cdrom"), "/o,1/x.iso");
  });

  it("an interactive VM keeps -nographic and never daemonizes", () => {
    const args = buildQemuArgs({ media: KERNEL_INITRD, accel: "kvm", console: { kind: "stdio" } });
    assert.ok(args.includes("-nographic"));
    assert.equal(args.includes("-daemonize"), false);
    assert.equal(args.includes("-display"), false);
  });
});

describe("the command line through -readconfig (issue 19: secrets not in ps)", () => {
  const base: Omit<QemuConfig, "media"> = {
    accel: "tcg",
    console: { kind: "file", path: "c.log" },
    machineConfigFile: "/vm/qemu.machine.cfg",
  };

  it("with a machine config file, the argument list holds neither the command line nor the kernel", () => {
    const media = { ...KERNEL_INITRD, cmdline: "console=ttyS0 password=hunter2" };
    const args = buildQemuArgs({ ...base, media });
    assert.equal(after(args, "-readconfig"), "/vm/qemu.machine.cfg");
    assert.equal(args.includes("-append"), false);
    assert.ok(!args.join(" ").includes("hunter2"));
    assert.equal(
      kernelMachineConfig(media),
      "# written by pulumi-linuxkit: the guest's kernel, initrd and command line\n" +
        '[machine]\n  kernel = "out/web-kernel"\n  initrd = "out/web-initrd.img"\n' +
        '  append = "console=ttyS0 password=hunter2"\n',
    );
  });

  it("a command line qemu's config syntax cannot carry (a quote, 1024 bytes) goes on the argument list", () => {
    for (const cmdline of ['console=ttyS0 x="a b"', `console=ttyS0 ${"x".repeat(1100)}`]) {
      const media: QemuConfig["media"] = { ...KERNEL_INITRD, cmdline };
      assert.equal(kernelMachineConfig(media), undefined);
      assert.equal(after(buildQemuArgs({ ...base, media }), "-append"), cmdline);
    }
  });
});
