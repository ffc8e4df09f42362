#!/usr/bin/env bash
# Builds the Pulumi YAML and Python language hosts from Go modules and puts them
# beside the Pulumi CLI, so programs written in YAML and Python can use the
# linuxkit provider plugin on a machine without the official installer.
#
#   pulumi-language-yaml           github.com/pulumi/pulumi-yaml@YAML_VERSION, cmd/pulumi-language-yaml
#   pulumi-language-python         github.com/pulumi/pulumi/sdk/v3@PYTHON_HOST_SDK_VERSION,
#                                  python/cmd/pulumi-language-python (the last release that
#                                  shipped it inside sdk/v3; the separate module is not served
#                                  by the Go module proxy)
#   pulumi-language-python-exec    the script the Python host runs programs through (same module)
#
# Usage: install-language-hosts.sh BIN_DIR
# Existing hosts in BIN_DIR are kept (a user's official install already has them).
# Built binaries are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/language-hosts-*,
# so another checkout installs them in a blink. Stdout stays empty; progress goes to stderr.
#
# Environment:
#   PULUMI_LINUXKIT_LANGUAGE_HOSTS="yaml python"   which hosts to install (default both)
#   PULUMI_LINUXKIT_FORCE=1                        rebuild even if cached
set -euo pipefail

YAML_VERSION=1.25.0
PYTHON_HOST_SDK_VERSION=3.68.0

YAML_MODULE=github.com/pulumi/pulumi-yaml
YAML_PACKAGE=$YAML_MODULE/cmd/pulumi-language-yaml
SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
PYTHON_PACKAGE=$SDK_MODULE/python/cmd/pulumi-language-python

log() { printf '[install-language-hosts] %s\n' "$*" >&2; }
die() {
	printf '[install-language-hosts] ERROR: %s\n' "$*" >&2
	exit 1
}

[[ $# -eq 1 ]] || die "usage: $0 BIN_DIR (the folder of the pulumi CLI)"
BIN_DIR="$1"
mkdir -p "$BIN_DIR" || die "cannot create $BIN_DIR"
BIN_DIR="$(cd "$BIN_DIR" && pwd)"
[[ -n "${HOME:-}" || -n "${XDG_CACHE_HOME:-}" ]] || die "HOME is not set"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit"
HOSTS="${PULUMI_LINUXKIT_LANGUAGE_HOSTS:-yaml python}"

command -v go >/dev/null 2>&1 || {
	for d in /usr/local/go/bin /usr/lib/go/bin; do
		if [[ -x "$d/go" ]]; then
			PATH="$d:$PATH"
			break
		fi
	done
}

export GOWORK=off
export CGO_ENABLED="${CGO_ENABLED:-0}"
NICE=()
command -v nice >/dev/null 2>&1 && NICE=(nice -n 10)
gorun() { "${NICE[@]}" go "$@" >&2; }

# Copies $1 (a built or cached file) to $BIN_DIR/$2 atomically, executable.
install_file() {
	cp -f "$1" "$BIN_DIR/.$2.tmp.$$"
	chmod 0755 "$BIN_DIR/.$2.tmp.$$"
	mv -f "$BIN_DIR/.$2.tmp.$$" "$BIN_DIR/$2"
}

# Builds package $3 in a wrapper module requiring $1@$2 (plus replaces $4) into cache dir $5.
build_host() {
	local module="$1" version="$2" package="$3" replaces="$4" out_dir="$5" name start=$SECONDS
	name="$(basename "$package")"
	local src="$out_dir/src"
	mkdir -p "$src"
	{
		printf 'module pulumi-linuxkit.local/%s\n\ngo 1.24\n\nrequire %s v%s\n\n' "$name" "$module" "$version"
		[[ -n "$replaces" ]] && printf '%s\n\n' "$replaces"
		printf 'tool %s\n' "$package"
	} >"$src/go.mod.in"
	if ! [[ -f "$src/.tidy-ok" ]] || ! cmp -s "$src/go.mod.in" "$src/go.mod.used" 2>/dev/null; then
		rm -f "$src/.tidy-ok" "$src/go.sum"
		cp -f "$src/go.mod.in" "$src/go.mod"
		log "resolving modules for $name (go mod tidy in $src)"
		(cd "$src" && gorun mod tidy) || die "go mod tidy failed for $module@v$version (is the Go module proxy reachable?)"
		cp -f "$src/go.mod.in" "$src/go.mod.used"
		touch "$src/.tidy-ok"
	fi
	log "go build $package (first build takes a few minutes)"
	(cd "$src" && gorun build -trimpath -ldflags "-s -w" -o "$out_dir/.$name.tmp.$$" "$package") ||
		die "go build of $package failed (see above)"
	mv -f "$out_dir/.$name.tmp.$$" "$out_dir/$name"
	log "built $name in $((SECONDS - start))s"
}

install_yaml() {
	if [[ -x "$BIN_DIR/pulumi-language-yaml" && "${PULUMI_LINUXKIT_FORCE:-}" != 1 ]]; then
		return 0
	fi
	local dir="$CACHE/language-hosts-yaml-v$YAML_VERSION"
	if [[ ! -x "$dir/pulumi-language-yaml" || "${PULUMI_LINUXKIT_FORCE:-}" == 1 ]]; then
		command -v go >/dev/null 2>&1 || die "go not found: install Go >= 1.24 to build the YAML language host, or install the official Pulumi CLI (it ships the host)"
		mkdir -p "$dir"
		build_host "$YAML_MODULE" "$YAML_VERSION" "$YAML_PACKAGE" "" "$dir"
	fi
	install_file "$dir/pulumi-language-yaml" pulumi-language-yaml
	log "installed pulumi-language-yaml (pulumi-yaml v$YAML_VERSION) into $BIN_DIR"
}

install_python() {
	if [[ -x "$BIN_DIR/pulumi-language-python" && -x "$BIN_DIR/pulumi-language-python-exec" && "${PULUMI_LINUXKIT_FORCE:-}" != 1 ]]; then
		return 0
	fi
	local dir="$CACHE/language-hosts-python-v$PYTHON_HOST_SDK_VERSION"
	if [[ ! -x "$dir/pulumi-language-python" || ! -f "$dir/pulumi-language-python-exec" || "${PULUMI_LINUXKIT_FORCE:-}" == 1 ]]; then
		command -v go >/dev/null 2>&1 || die "go not found: install Go >= 1.24 to build the Python language host, or install the official Pulumi CLI (it ships the host)"
		mkdir -p "$dir"
		# sdk/v3's own go.mod pins golang.org/x/text with a replace; keep it.
		build_host "$SDK_MODULE" "$PYTHON_HOST_SDK_VERSION" "$PYTHON_PACKAGE" \
			"replace golang.org/x/text => golang.org/x/text v0.3.6" "$dir"
		local mod_dir
		mod_dir="$(cd "$dir/src" && go list -m -f '{{.Dir}}' "$SDK_MODULE")" ||
			die "cannot locate $SDK_MODULE@v$PYTHON_HOST_SDK_VERSION in the module cache"
		cp -f "$mod_dir/python/cmd/pulumi-language-python-exec" "$dir/pulumi-language-python-exec"
	fi
	install_file "$dir/pulumi-language-python" pulumi-language-python
	install_file "$dir/pulumi-language-python-exec" pulumi-language-python-exec
	log "installed pulumi-language-python (sdk v$PYTHON_HOST_SDK_VERSION) into $BIN_DIR"
}

for h in $HOSTS; do
	case "$h" in
	yaml) install_yaml ;;
	python) install_python ;;
	*) die "unknown language host '$h' (yaml, python)" ;;
	esac
done
