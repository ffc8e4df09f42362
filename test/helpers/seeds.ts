/**
 * The two seed documents (test/fixtures/seeds/) as the seed tests build
 * them: which local stand-in plays each image they name, what their
 * `outputs:` write, and what a boot's console must show.
 */
export interface Seed {
  /** The fixture under test/fixtures/seeds. */
  fixture: string;
  /** The file name the document's story builds (its outputs are named after it). */
  file: string;
  /** Each image name in the YAML → the stand-in (`linuxkit-test/<name>:test`) behaving like it. */
  images: Record<string, string>;
  /** The files `outputs:` makes the build write. */
  outputs: string[];
  /** Console lines a boot shows: in this order, and anywhere. */
  ordered: string[];
  unordered: string[];
}

export const SEEDS: Seed[] = [
  {
    fixture: "000-nginx.yml",
    file: "linuxkit.yml",
    images: {
      "mobylinux/kernel:4.9.x": "kernel",
      "linuxkit/init:42fe8cb1508b3afed39eb89821906e3cc7a70551": "init",
      "mobylinux/runc:b0fb122e10dbb7e4e45115177a61a3f8d68c19a9": "runc",
      // the test init plays containerd too; busybox's files are the init's own base
      "linuxkit/containerd:60e2486a74c665ba4df57e561729aec20758daed": "busybox",
      "mobylinux/ca-certificates:eabc5a6e59f05aa91529d80e9a595b85b046f935": "ca-certificates",
      "mobylinux/sysctl:2cf2f9d5b4d314ba1bfc22b2fe931924af666d8c": "sysctl",
      // one-shot onboot jobs: check reports and exits 0
      "linuxkit/binfmt:8881283ac627be1542811bd25c85e7782aebc692": "check",
      "linuxkit/dhcpcd:48e249ebef6a521eed886b3bce032db69fbb4afa": "dhcpcd",
      "mobylinux/rngd:3dad6dd43270fa632ac031e99d1947f20b22eec9": "rngd",
      "nginx:alpine": "httpd",
    },
    outputs: [
      "linuxkit-kernel",
      "linuxkit-initrd.img",
      "linuxkit-cmdline",
      "linuxkit.iso",
      "linuxkit-efi.iso",
    ],
    ordered: [
      "LINUXKIT-TEST: init started",
      "LINUXKIT-TEST: sysctl vm\\.swappiness=42 .* capeff=0000000000200000 readonly=yes pidns=host ipcns=host",
      "LINUXKIT-TEST: onboot 000-sysctl exit=0(\\s|$)",
      "LINUXKIT-TEST: check uid=0 capeff=0000000000000000 readonly=yes",
      "LINUXKIT-TEST: onboot 001-binfmt exit=0(\\s|$)",
      "LINUXKIT-TEST: dhcp bound eth0 \\d+\\.\\d+\\.\\d+\\.\\d+/\\d+",
      "LINUXKIT-TEST: onboot 002-dhcpcd exit=0(\\s|$)",
      "LINUXKIT-TEST: service nginx started",
      "LINUXKIT-TEST: service rngd started",
      "LINUXKIT-TEST: boot complete",
      "LINUXKIT-TEST: poweroff",
    ],
    unordered: [
      // YAML capabilities replace the label's: NET_BIND_SERVICE, CHOWN, SETUID, SETGID, DAC_OVERRIDE
      "LINUXKIT-TEST: httpd listening port=80 root=/www var-log=bound uid=0 capeff=00000000000004c3 ",
      "LINUXKIT-TEST: rngd uid=0 capeff=0000000000200000 readonly=yes .* oom=-800",
    ],
  },
  {
    fixture: "001-docker-sshd.yml",
    file: "docker-sshd.yml",
    images: {
      "linuxkit/kernel:4.9.x": "kernel",
      "linuxkit/init:63eed9ca7a09d2ce4c0c5e7238ac005fa44f564b": "init",
      "linuxkit/runc:b0fb122e10dbb7e4e45115177a61a3f8d68c19a9": "runc",
      "linuxkit/containerd:18eaf72f3f4f9a9f29ca1951f66df701f873060b": "busybox",
      "linuxkit/ca-certificates:e091a05fbf7c5e16f18b23602febd45dd690ba2f": "ca-certificates",
      "linuxkit/sysctl:1f5ec5d5e6f7a7a1b3d2ff9dd9e36fd6fb14756a": "sysctl",
      "linuxkit/sysfs:6c1d06f28ddd9681799d3950cddf044b930b221c": "check",
      "linuxkit/binfmt:c7e69ebd918a237dd086a5c58dd888df772746bd": "check",
      "linuxkit/format:53748000acf515549d398e6ae68545c26c0f3a2e": "check",
      "linuxkit/mount:d2669e7c8ddda99fa0618a414d44261eba6e299a": "mount",
      "linuxkit/rngd:c42fd499690b2cb6e4e6cb99e41dfafca1cf5b14": "rngd",
      "linuxkit/dhcpcd:57a8ef29d3a910645b2b24c124f9ce9ef53ce703": "dhcpcd",
      // a daemon that idles
      "linuxkit/openntpd:a570316d7fc49ca1daa29bd945499f4963d227af": "rngd",
      "linuxkit/docker-ce:741bf21513328f674e0cdcaa55492b0b75974e08": "docker",
      "linuxkit/sshd:e108d208adf692c8a0954f602743e0eec445364e": "sshd",
      // reports what it sees and exits, as a bench run would
      "linuxkit/test-docker-bench:2f941429d874c5dcf05e38005affb4f10192e1a8": "check",
    },
    outputs: [
      "docker-sshd-kernel",
      "docker-sshd-initrd.img",
      "docker-sshd-cmdline",
      "docker-sshd.iso",
    ],
    ordered: [
      "LINUXKIT-TEST: init started",
      "LINUXKIT-TEST: onboot 000-sysctl exit=0(\\s|$)",
      "LINUXKIT-TEST: onboot 001-sysfs exit=0(\\s|$)",
      "LINUXKIT-TEST: onboot 002-binfmt exit=0(\\s|$)",
      "LINUXKIT-TEST: check uid=0 capeff=0000000008200000 readonly=no",
      "LINUXKIT-TEST: onboot 003-format exit=0(\\s|$)",
      "LINUXKIT-TEST: mount /var/lib/docker fstype=tmpfs",
      "LINUXKIT-TEST: onboot 004-mount exit=0(\\s|$)",
      "LINUXKIT-TEST: service dhcpcd started",
      "LINUXKIT-TEST: service docker started",
      "LINUXKIT-TEST: service ntpd started",
      "LINUXKIT-TEST: service rngd started",
      "LINUXKIT-TEST: service sshd started",
      "LINUXKIT-TEST: service test-docker-bench started",
      "LINUXKIT-TEST: boot complete",
      "LINUXKIT-TEST: poweroff",
    ],
    unordered: [
      "LINUXKIT-TEST: dhcp bound eth0 \\d+\\.\\d+\\.\\d+\\.\\d+/\\d+",
      "LINUXKIT-TEST: docker uid=0 capeff=000001ffffffffff readonly=no pidns=new ipcns=host",
      "LINUXKIT-TEST: docker cgroup=tmpfs cgroup-rw=yes var-lib-docker=tmpfs mount-marker=yes modules=yes",
      "LINUXKIT-TEST: file /root/\\.ssh/authorized_keys mode=0600 uid=0 gid=0 size=7 ",
      "LINUXKIT-TEST: sshd openssh listening port=22",
      "LINUXKIT-TEST: check uid=0 capeff=000001ffffffffff readonly=no pidns=host ipcns=host",
    ],
  },
];
