#!/usr/bin/env bash
# Generates the linuxkit SDKs from schema.json into sdk/<language> with
# `pulumi package gen-sdk` (nodejs, python, go, dotnet), then tidies the Go
# module. Run after `npm run schema`; a test fails while the committed
# SDKs and a fresh generation differ.
#
#   scripts/gen-sdks.sh [OUT_DIR]   (default: sdk)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-sdk}"
PULUMI_BIN="$(cat .pulumi-bin-path 2>/dev/null || true)"
PULUMI="${PULUMI_BIN:+$PULUMI_BIN/}pulumi"
export PULUMI_SKIP_UPDATE_CHECK=true

for lang in nodejs python go dotnet; do
	rm -rf "${OUT:?}/$lang"
	"$PULUMI" package gen-sdk schema.json --language "$lang" --out "$OUT" >/dev/null
done
# The Go SDK's module (gen-sdk writes the packages only).
cp -f scripts/sdk-go.mod "$OUT/go/go.mod"
cp -f scripts/sdk-go.sum "$OUT/go/go.sum" 2>/dev/null || true
