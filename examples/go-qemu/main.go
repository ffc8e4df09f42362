// An Image built from LinuxKit YAML, booted as a local qemu VM with its
// port 80 on 127.0.0.1:<httpPort>, through the linuxkit provider plugin
// (`pulumi plugin install resource linuxkit <version> --file <tarball>`).
package main

import (
	"github.com/pulumi-linuxkit/pulumi-linuxkit/sdk/go/linuxkit"
	"github.com/pulumi-linuxkit/pulumi-linuxkit/sdk/go/linuxkit/qemu"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		yamlFile := conf.Get("yamlFile")
		if yamlFile == "" {
			yamlFile = "../qemu-local/linuxkit.yml"
		}
		httpPort := conf.GetInt("httpPort")
		if httpPort == 0 {
			httpPort = 8080
		}
		image, err := linuxkit.NewImage(ctx, "nginx", &linuxkit.ImageArgs{
			ConfigFiles: pulumi.StringArray{pulumi.String(yamlFile)},
		})
		if err != nil {
			return err
		}
		vm, err := qemu.NewVm(ctx, "nginx", &qemu.VmArgs{
			Kernel:    image.Kernel,
			Initrd:    image.Initrd,
			Cmdline:   image.Cmdline,
			ImageHash: image.ContentHash,
			MemoryMiB: pulumi.Int(512),
			Forwards: qemu.PortForwardArray{
				qemu.PortForwardArgs{HostPort: pulumi.Int(httpPort), GuestPort: pulumi.Int(80)},
			},
			Readiness: qemu.ReadinessArgs{
				ConsolePattern: pulumi.String("LINUXKIT-TEST: boot complete"),
				TcpPort:        pulumi.Int(80),
				TimeoutSeconds: pulumi.Float64(300),
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("contentHash", image.ContentHash)
		ctx.Export("pid", vm.Pid)
		ctx.Export("consoleLog", vm.ConsoleLog)
		return nil
	})
}
