// LinuxKit images as Pulumi resources: build LinuxKit YAML into bootable artifacts and run them on qemu and Metal.
package linuxkit
