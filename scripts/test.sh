#!/usr/bin/env bash
# All set-up, then every test: unit, end-to-end (real Docker engine, real
# qemu boots) and integration (the real Pulumi engine via the Automation API),
# after the lint (eslint, prettier, and the dependency-cruiser layer rules).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export LINUXKIT_QEMU_ACCEL=tcg
npm run lint
npm test
