/**
 * A value inside a qemu option list (`-drive file=…,format=…`, `-qmp
 * unix:…,server=on`): qemu splits such lists at commas and reads `,,` as
 * one literal comma, so every comma of the value is doubled. Without it a
 * folder named `a,b` breaks the option, and one named
 * `x,snapshot=on` adds options of its own. Only for options qemu parses
 * as a list: `-serial file:`, `-pidfile`, `-kernel`, `-cdrom` and
 * `-readconfig` take the rest of the argument literally (doubling would
 * name another file).
 */
export function qemuOptValue(value: string): string {
  return value.replaceAll(",", ",,");
}
