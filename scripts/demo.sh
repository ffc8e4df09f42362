#!/usr/bin/env bash
# The demo: set everything up, then `pulumi up` the project's root program
# (Pulumi.yaml, index.ts, linuxkit.yml) with the local file backend that
# Pulumi.yaml names (no Pulumi account): it builds LinuxKit's nginx example
# from local stand-in images and boots it as a detached qemu VM. Run it again
# after editing linuxkit.yml to see the image rebuilt and the VM replaced;
# `scripts/demo.sh destroy` removes everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

PULUMI_BIN="$(cat .pulumi-bin-path)"
export PATH="$PULUMI_BIN:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
# KVM guests hang on nested machines like the ones this project is developed on; TCG always works.
export LINUXKIT_QEMU_ACCEL="${LINUXKIT_QEMU_ACCEL:-tcg}"

pulumi stack select demo --create --non-interactive >/dev/null

if [ "${1:-up}" = "destroy" ]; then
  pulumi destroy --yes --non-interactive
  exit 0
fi

pulumi up --yes --non-interactive
cat <<MSG

The VM is running (accelerator: $LINUXKIT_QEMU_ACCEL).
  console:  tail -f $(pulumi stack output consoleLog)
  web:      curl $(pulumi stack output url)
  again:    edit linuxkit.yml, then scripts/demo.sh (or: pulumi up)
  remove:   scripts/demo.sh destroy
MSG
