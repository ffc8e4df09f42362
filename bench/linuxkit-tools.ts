/**
 * What LinuxKit's ISO and disk formats would add to its build, measured
 * here without its containers. LinuxKit makes `iso-bios` and `raw-bios`
 * by piping a tar into its `linuxkit/mkimage-iso-bios` and
 * `linuxkit/mkimage-raw-bios` images, which this machine cannot pull. The
 * scripts those images run (tools/mkimage-iso-bios/make-iso and
 * tools/mkimage-raw-bios/make-bios in linuxkit/linuxkit) are replayed
 * here step by step with the same tools from Debian, so LinuxKit's time
 * for those formats can be estimated as the time of the build that feeds
 * the container plus this tool time. Container start-up is not counted,
 * which flatters LinuxKit.
 *
 * Differences from the scripts, none of which makes the work smaller:
 * GNU tar instead of bsdtar; `xorriso -as mkisofs` (with its isohybrid
 * MBR option) instead of genisoimage + isohybrid, which Debian no longer
 * pairs with syslinux; the disk is written to a file, not to stdout.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import { measure, type Measured } from "./measure";

const SYSLINUX_BIOS = "/usr/lib/syslinux/modules/bios";
const ISOLINUX = "/usr/lib/ISOLINUX";
const ALTMBR = "/usr/lib/syslinux/mbr/altmbr.bin";

/** True when every tool the replays need is installed. */
export function linuxKitToolsPresent(): boolean {
  const tools = ["xorriso", "mkfs.vfat", "mcopy", "syslinux", "sfdisk", "tar", "dd"];
  const found = tools.every(
    (t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status === 0,
  );
  try {
    statSync(path.join(ISOLINUX, "isolinux.bin"));
    statSync(ALTMBR);
    return found;
  } catch {
    return false;
  }
}

/** Runs `script` with bash under GNU time, in `cwd`. */
function timedScript(script: string, cwd: string): Measured {
  return measure("bash", ["-euo", "pipefail", "-c", `cd ${JSON.stringify(cwd)}\n${script}`]);
}

/**
 * make-iso on LinuxKit's root filesystem tar (`build --format tar`):
 * unpack the tree, add isolinux booting /boot/kernel with root=/dev/sr0,
 * make a hybrid ISO of the tree.
 */
export function isoBiosToolTime(rootfsTar: string, work: string): Measured {
  mkdirSync(work, { recursive: true });
  return timedScript(
    `rm -rf iso out.iso && mkdir iso && cd iso
tar xf ${JSON.stringify(rootfsTar)}
CMDLINE="$(cat boot/cmdline)"
echo "$CMDLINE" | grep -q 'root=' || CMDLINE="$CMDLINE root=/dev/sr0"
rm boot/cmdline
mkdir -p isolinux
cp ${ISOLINUX}/isolinux.bin ${SYSLINUX_BIOS}/ldlinux.c32 isolinux/
printf 'DEFAULT linux\\nLABEL linux\\n    KERNEL /boot/kernel\\n    APPEND %s\\n' "$CMDLINE" > isolinux/isolinux.cfg
xorriso -as mkisofs -quiet -o ../out.iso -l -J -R -c isolinux/boot.cat -b isolinux/isolinux.bin \\
  -no-emul-boot -boot-load-size 4 -boot-info-table -joliet-long -input-charset utf8 \\
  -V LinuxKit -isohybrid-mbr ${ISOLINUX}/isohdpfx.bin .`,
    work,
  );
}

/**
 * make-bios on LinuxKit's kernel, initrd and command line: a FAT file
 * system just big enough, syslinux installed in it, put in a partitioned
 * disk with altmbr.
 */
export function rawBiosToolTime(
  kernel: string,
  initrd: string,
  cmdline: string,
  work: string,
): Measured {
  mkdirSync(work, { recursive: true });
  writeFileSync(
    path.join(work, "syslinux.cfg"),
    `DEFAULT linux\nLABEL linux\n    KERNEL /kernel\n    INITRD /initrd.img\n    APPEND ${readFileSync(cmdline, "utf8")}\n`,
  );
  return timedScript(
    `rm -f boot.img disk.img
K=${JSON.stringify(kernel)}; I=${JSON.stringify(initrd)}
ESP=$(( $(stat -c %s "$K") + $(stat -c %s "$I") + 1024 * 1024 ))
ESP_KB=$(( ( ( (ESP + 1023) / 1024 ) + 1023) / 1024 * 1024 ))
ESP_SECTORS=$(( ESP_KB * 2 ))
mkfs.vfat -C boot.img $ESP_KB > /dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i boot.img syslinux.cfg ::/
mcopy -i boot.img "$K" ::/kernel
mcopy -i boot.img "$I" ::/initrd.img
syslinux --install boot.img
MB=$(( ( $(stat -c %s boot.img) + 4 * 1048576 ) / 1048576 ))
dd if=/dev/zero of=disk.img bs=1M count=$MB status=none
echo ",$ESP_SECTORS,;" | sfdisk -q disk.img > /dev/null
dd if=boot.img of=disk.img bs=512 count=$ESP_SECTORS conv=notrunc seek=2048 status=none
dd if=${ALTMBR} bs=439 count=1 conv=notrunc of=disk.img status=none
printf '\\1' | dd bs=1 count=1 seek=439 conv=notrunc of=disk.img status=none
sfdisk -q -A disk.img 1 > /dev/null 2>&1`,
    work,
  );
}
