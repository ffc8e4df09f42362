/**
 * The `pulumi-resource-linuxkit` plugin: `@pulumi/pulumi/provider`'s main()
 * serving the linuxkit provider. The launcher script runs this (bundled)
 * with the engine's address as its argument.
 */
import { main } from "@pulumi/pulumi/provider";

import { setEngineAddress } from "./engine-log";
import { linuxkitProvider } from "./linuxkit-provider";
import { installServiceHooks } from "./service-hooks";
import { pluginVersion } from "./version";

const args = process.argv.slice(2);
setEngineAddress(args);
const served = linuxkitProvider(pluginVersion());
installServiceHooks(served);
void main(served.provider, args);
