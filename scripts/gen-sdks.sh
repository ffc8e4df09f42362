#!/usr/bin/env bash
# Generates the linuxkit SDKs for Node.js, Python and Go from schema.json
# into sdk/<language>, with Pulumi's own code generators (the code
# `pulumi package gen-sdk` runs inside each language host: the CLI built
# here from Go modules has no host that implements it). Run after
# `npm run schema`; a test fails while the committed SDKs and a fresh
# generation differ. C# is not generated: Pulumi's C# generator lives in
# pulumi-dotnet, whose modules the Go module proxy does not serve.
#
#   scripts/gen-sdks.sh [OUT_DIR]   (default: sdk)
#
# The generator (scripts/sdkgen/main.go) is built once in a wrapper module
# in ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/sdkgen-v<pulumi version>,
# requiring github.com/pulumi/pulumi/pkg/v3 at the CLI's pinned version with
# the CLI build's module list (scripts/install-pulumi.sh), so it costs a link.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-sdk}"
PULUMI_VERSION="$(sed -n 's/^DEFAULT_PULUMI_VERSION=//p' scripts/install-pulumi.sh)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit"
GEN_DIR="$CACHE/sdkgen-v$PULUMI_VERSION"
CLI_MOD="${PULUMI_LINUXKIT_PULUMI_SRC:-$CACHE/pulumi-src}/cli"
log() { printf '[gen-sdks] %s\n' "$*" >&2; }

command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
if [[ ! -x "$GEN_DIR/sdkgen" ]] || ! cmp -s scripts/sdkgen/main.go "$GEN_DIR/main.go"; then
	[[ -f "$CLI_MOD/go.mod" && -f "$CLI_MOD/go.sum" ]] || {
		log "ERROR: $CLI_MOD has no go.mod: run scripts/install-pulumi.sh first (it resolves pkg/v3@v$PULUMI_VERSION)"
		exit 1
	}
	mkdir -p "$GEN_DIR"
	sed -e 's|^module .*|module pulumi-linuxkit.local/sdkgen|' -e '/^tool /d' "$CLI_MOD/go.mod" >"$GEN_DIR/go.mod"
	cp -f "$CLI_MOD/go.sum" "$GEN_DIR/go.sum"
	cp -f scripts/sdkgen/main.go "$GEN_DIR/main.go"
	log "building the SDK generator in $GEN_DIR"
	(cd "$GEN_DIR" && GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o sdkgen .)
fi

# sdk/go/go.mod and go.sum are ours (the generators write packages only): kept.
rm -rf "${OUT:?}/nodejs" "$OUT/python" "$OUT/go/linuxkit"
"$GEN_DIR/sdkgen" schema.json "$OUT" nodejs python go
log "wrote $OUT/nodejs $OUT/python $OUT/go/linuxkit"
