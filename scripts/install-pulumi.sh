#!/usr/bin/env bash
# Make the Pulumi CLI available to this project, without needing network access
# beyond the Go module proxy.
#
# Puts these into one bin directory:
#   pulumi                          the CLI (pinned version)
#   pulumi-language-nodejs          the Node.js language host
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin script (copied from
#                                   the npm package @pulumi/pulumi, if installed)
#   pulumi-analyzer-policy          likewise, if that package ships it
# and prints the directory's path as the last line of stdout. All other output goes
# to stderr, so `PULUMI_BIN="$(scripts/install-pulumi.sh | tail -n1)"` works.
#
# It never replaces a CLI the user installed. How it gets one, first success wins:
#   0. a `pulumi` the user already has (on PATH, or in the official location
#      ~/.pulumi/bin) that is at least MIN_PULUMI_VERSION and has the Node.js
#      language host and dynamic-provider plugin beside it: used as it is,
#      nothing is written;
#   1. already in the project-local tools folder at the pinned version, or in
#      the build cache (copied from there): well under a second;
#   2. the official installer (get.pulumi.com), when that host is reachable;
#   3. built from Go modules through GOPROXY: a small wrapper module in the cache
#      directory requires github.com/pulumi/pulumi/pkg/v3 and sdk/v3 at the pinned
#      version and `go build`s cmd/pulumi. For the Node.js language host it first
#      tries the module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#      (untagged: the pseudo-version of the pinned release commit); if the proxy
#      does not serve it, it builds the last language host that shipped inside
#      sdk/v3 itself (sdk/v3/nodejs/cmd/pulumi-language-nodejs, v3.68.0), which
#      speaks the same gRPC protocol and runs current @pulumi/pulumi programs.
#      Go's module and build caches are kept, so a rebuild is quick.
#
# Environment:
#   PULUMI_LINUXKIT_PULUMI_DIR      bin directory (default: <repo>/.tools/pulumi/bin)
#   PULUMI_LINUXKIT_OWN_CLI=1       skip step 0: always use the project's pinned CLI
#   PULUMI_LINUXKIT_PULUMI_VERSION  CLI version (default below; with or without "v")
#   PULUMI_LINUXKIT_PULUMI_SRC      wrapper-module directory
#                                   (default: ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/pulumi-src)
#   PULUMI_LINUXKIT_NODE_SDK_DIR    directory of the npm package @pulumi/pulumi
#                                   (default: found from this repo's node_modules)
#   PULUMI_LINUXKIT_NODEJS_HOST_VERSION
#                                   version of the language-host module to try first
#                                   (default: derived from the pinned release)
#   PULUMI_LINUXKIT_NO_OFFICIAL_INSTALLER=1   skip step 2
#   PULUMI_LINUXKIT_FORCE=1         rebuild/reinstall even if the fast path would apply
#   GOPROXY, GOFLAGS, GOTOOLCHAIN, ... are honoured as usual by go.
set -euo pipefail

# The pinned CLI version. It has to exist as Go modules pkg/v3 and sdk/v3 (both
# .mod and .zip served by the proxy) and, ideally, equal the @pulumi/pulumi version
# in package.json.
DEFAULT_PULUMI_VERSION=3.259.0
# Last sdk/v3 release that still contained the Node.js language host as a package.
LEGACY_NODEJS_HOST_SDK_VERSION=3.68.0
# The oldest CLI this project is tested to work with when the user has one.
MIN_PULUMI_VERSION=3.150.0

PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
CLI_PACKAGE=$PKG_MODULE/cmd/pulumi
NODEJS_HOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LEGACY_NODEJS_HOST_PACKAGE=$SDK_MODULE/nodejs/cmd/pulumi-language-nodejs
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

log() { printf '[install-pulumi] %s\n' "$*" >&2; }
die() {
	printf '[install-pulumi] ERROR: %s\n' "$*" >&2
	exit 1
}

PULUMI_VERSION="${PULUMI_LINUXKIT_PULUMI_VERSION:-$DEFAULT_PULUMI_VERSION}"
PULUMI_VERSION="${PULUMI_VERSION#v}"
[[ "$PULUMI_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
	die "PULUMI_LINUXKIT_PULUMI_VERSION must look like 3.259.0, got '$PULUMI_VERSION'"

if [[ -z "${PULUMI_LINUXKIT_PULUMI_DIR:-}" || -z "${PULUMI_LINUXKIT_PULUMI_SRC:-}" ]]; then
	[[ -n "${HOME:-}" ]] || die "HOME is not set: set PULUMI_LINUXKIT_PULUMI_DIR and PULUMI_LINUXKIT_PULUMI_SRC"
fi
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
BIN_DIR="${PULUMI_LINUXKIT_PULUMI_DIR:-$REPO_ROOT/.tools/pulumi/bin}"
SRC_DIR="${PULUMI_LINUXKIT_PULUMI_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/pulumi-src}"
# Built binaries are kept here too, so another checkout installs in a blink.
CACHE_BIN="$(dirname "$SRC_DIR")/bin-v$PULUMI_VERSION"

# `pulumi version` must not try to phone home.
export PULUMI_SKIP_UPDATE_CHECK=true

# ---------------------------------------------------------------------------
# Helpers

# Prints the version that $1/pulumi reports, or nothing.
reported_version() {
	[[ -x "$1/pulumi" ]] || return 0
	"$1/pulumi" version 2>/dev/null </dev/null | tail -n1 | tr -d '[:space:]' || true
}

is_installed() {
	[[ -x "$BIN_DIR/pulumi-language-nodejs" ]] &&
		[[ "$(reported_version "$BIN_DIR")" == "v$PULUMI_VERSION" ]]
}

# "v3.259.0" or "3.259.0-dev" -> "003259000" for comparisons; nothing if unparsable.
semver_key() {
	local v="${1#v}" IFS=. a b c
	v="${v%%[-+]*}"
	[[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 0
	read -r a b c <<<"$v"
	printf '%03d%03d%03d' "$((10#$a))" "$((10#$b))" "$((10#$c))"
}

# Step 0: the user's own CLI, if it is new enough and complete. Prints its folder.
users_cli() {
	[[ "${PULUMI_LINUXKIT_OWN_CLI:-}" == 1 ]] && return 1
	local candidates=() dir v key
	command -v pulumi >/dev/null 2>&1 && candidates+=("$(dirname "$(command -v pulumi)")")
	[[ -n "${HOME:-}" ]] && candidates+=("$HOME/.pulumi/bin")
	for dir in "${candidates[@]}"; do
		[[ "$dir" -ef "$BIN_DIR" ]] && continue
		[[ -x "$dir/pulumi" && -x "$dir/pulumi-language-nodejs" && -x "$dir/pulumi-resource-pulumi-nodejs" ]] || continue
		v="$(reported_version "$dir")"
		key="$(semver_key "$v")"
		if [[ -n "$key" && ! "$key" < "$(semver_key "$MIN_PULUMI_VERSION")" ]]; then
			log "using the Pulumi CLI already installed in $dir ($v); set PULUMI_LINUXKIT_OWN_CLI=1 to use the project's pinned v$PULUMI_VERSION instead"
			printf '%s\n' "$(cd "$dir" && pwd)"
			return 0
		fi
		log "the Pulumi CLI in $dir is ${v:-of unknown version}, older than $MIN_PULUMI_VERSION: installing the project's own into $BIN_DIR"
	done
	return 1
}

# Copies a complete set of binaries from the build cache, if it has one.
from_cache() {
	[[ "$(reported_version "$CACHE_BIN")" == "v$PULUMI_VERSION" && -x "$CACHE_BIN/pulumi-language-nodejs" ]] || return 1
	mkdir -p "$BIN_DIR"
	cp -f "$CACHE_BIN/pulumi-language-nodejs" "$BIN_DIR/.pulumi-language-nodejs.tmp.$$"
	mv -f "$BIN_DIR/.pulumi-language-nodejs.tmp.$$" "$BIN_DIR/pulumi-language-nodejs"
	cp -f "$CACHE_BIN/pulumi" "$BIN_DIR/.pulumi.tmp.$$"
	mv -f "$BIN_DIR/.pulumi.tmp.$$" "$BIN_DIR/pulumi"
	log "installed pulumi v$PULUMI_VERSION into $BIN_DIR from the build cache $CACHE_BIN"
}

# Keeps the binaries just installed in the build cache for other checkouts.
to_cache() {
	mkdir -p "$CACHE_BIN" 2>/dev/null || return 0
	cp -f "$BIN_DIR/pulumi-language-nodejs" "$BIN_DIR/pulumi" "$CACHE_BIN/" 2>/dev/null || true
}

# Directory of the npm package @pulumi/pulumi, or nothing.
find_node_sdk() {
	local d
	for d in "${PULUMI_LINUXKIT_NODE_SDK_DIR:-}" \
		"$REPO_ROOT/node_modules/@pulumi/pulumi" \
		"$PWD/node_modules/@pulumi/pulumi"; do
		if [[ -n "$d" && -f "$d/package.json" ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	if command -v node >/dev/null 2>&1; then
		d="$(cd "$REPO_ROOT" && node -e \
			'try{console.log(require("path").dirname(require.resolve("@pulumi/pulumi/package.json")))}catch(e){}' \
			2>/dev/null)" || true
		[[ -n "$d" && -f "$d/package.json" ]] && printf '%s\n' "$d"
	fi
	return 0
}

# Copies the plugin scripts that ship in the npm package (they are plain shell
# scripts that resolve @pulumi/pulumi from the program's directory at run time).
install_node_plugins() {
	local sdk f copied=0
	sdk="$(find_node_sdk)"
	if [[ -z "$sdk" ]]; then
		if [[ ! -x "$BIN_DIR/pulumi-resource-pulumi-nodejs" ]]; then
			log "warning: @pulumi/pulumi not found (run 'npm ci' first, or set PULUMI_LINUXKIT_NODE_SDK_DIR):"
			log "         pulumi-resource-pulumi-nodejs is not installed, so dynamic resources will fail;"
			log "         run this script again after 'npm ci'."
		fi
		return 0
	fi
	for f in pulumi-resource-pulumi-nodejs pulumi-analyzer-policy; do
		[[ -f "$sdk/$f" ]] || continue
		if ! cmp -s "$sdk/$f" "$BIN_DIR/$f" 2>/dev/null; then
			cp -f "$sdk/$f" "$BIN_DIR/.$f.tmp.$$"
			chmod 0755 "$BIN_DIR/.$f.tmp.$$"
			mv -f "$BIN_DIR/.$f.tmp.$$" "$BIN_DIR/$f"
			copied=1
		fi
	done
	if [[ $copied == 1 ]]; then
		log "copied plugin scripts from $sdk"
	fi
	return 0
}

finish() {
	install_node_plugins
	printf '%s\n' "$(cd "$BIN_DIR" && pwd)"
	exit 0
}

# ---------------------------------------------------------------------------
# 0. The user's own CLI

if [[ "${PULUMI_LINUXKIT_FORCE:-}" != 1 ]] && users_cli; then
	exit 0
fi

# ---------------------------------------------------------------------------
# 1. Fast path

if [[ "${PULUMI_LINUXKIT_FORCE:-}" != 1 ]] && { is_installed || from_cache; }; then
	finish
fi

mkdir -p "$BIN_DIR" "$SRC_DIR" || die "cannot create $BIN_DIR or $SRC_DIR"
BIN_DIR="$(cd "$BIN_DIR" && pwd)"

# Only one installer at a time per cache directory (parallel test runners).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$SRC_DIR/.lock"
	flock 9
	if [[ "${PULUMI_LINUXKIT_FORCE:-}" != 1 ]] && is_installed; then
		finish
	fi
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/install-pulumi.XXXXXX")"
trap 'rm -rf "$WORK"; rm -f "$BIN_DIR"/.*.tmp.$$' EXIT

# ---------------------------------------------------------------------------
# 2. Official installer

try_official_installer() {
	[[ "${PULUMI_LINUXKIT_NO_OFFICIAL_INSTALLER:-}" == 1 ]] && return 1
	command -v curl >/dev/null 2>&1 || return 1
	log "trying the official installer (get.pulumi.com) for v$PULUMI_VERSION"
	if ! curl -fsSL --max-time 15 -o "$WORK/get-pulumi.sh" https://get.pulumi.com 2>"$WORK/curl.err"; then
		log "official installer not reachable ($(tr '\n' ' ' <"$WORK/curl.err" | cut -c1-120)); building from Go modules"
		return 1
	fi
	local to=()
	command -v timeout >/dev/null 2>&1 && to=(timeout 600)
	if ! "${to[@]}" sh "$WORK/get-pulumi.sh" --version "$PULUMI_VERSION" \
		--install-root "$WORK/official" --no-edit-path </dev/null >&2; then
		log "official installer failed; building from Go modules"
		return 1
	fi
	[[ "$(reported_version "$WORK/official/bin")" == "v$PULUMI_VERSION" ]] || {
		log "official installer did not produce pulumi v$PULUMI_VERSION; building from Go modules"
		return 1
	}
	local f
	for f in "$WORK/official/bin/"*; do
		[[ "$(basename "$f")" == pulumi ]] && continue
		cp -f "$f" "$BIN_DIR/"
	done
	cp -f "$WORK/official/bin/pulumi" "$BIN_DIR/.pulumi.tmp.$$"
	mv -f "$BIN_DIR/.pulumi.tmp.$$" "$BIN_DIR/pulumi"
	return 0
}

if try_official_installer; then
	is_installed || die "official install into $BIN_DIR did not give pulumi v$PULUMI_VERSION with a Node.js language host"
	log "installed pulumi v$PULUMI_VERSION from the official installer"
	to_cache
	finish
fi

# ---------------------------------------------------------------------------
# 3. Build from Go modules

command -v go >/dev/null 2>&1 || {
	for d in /usr/local/go/bin /usr/lib/go/bin; do
		if [[ -x "$d/go" ]]; then
			PATH="$d:$PATH"
			break
		fi
	done
}
command -v go >/dev/null 2>&1 ||
	die "go not found: install Go >= 1.25 (https://go.dev/dl, or apt-get install golang on a Debian/Ubuntu release that has Go >= 1.21, which can fetch a newer toolchain itself) or install the official Pulumi CLI (https://www.pulumi.com/docs/install/) into $BIN_DIR"

export GOWORK=off
export CGO_ENABLED="${CGO_ENABLED:-0}"
NICE=()
command -v nice >/dev/null 2>&1 && NICE=(nice -n 10)

# Runs go with its stdout sent to stderr (our stdout is reserved for the path).
gorun() { "${NICE[@]}" go "$@" >&2; }

# "1.25.11" -> "001025011" for comparisons.
vkey() {
	local IFS=. a b c
	read -r a b c <<<"$1"
	printf '%03d%03d%03d' "$((10#${a:-0}))" "$((10#${b:-0}))" "$((10#${c:-0}))"
}

go_version="$(go env GOVERSION 2>/dev/null || true)"
go_version="${go_version#go}"
go_version="${go_version%% *}"
[[ "$go_version" =~ ^[0-9]+\.[0-9]+ ]] || die "cannot tell the version of $(command -v go) ('$go_version')"

# Prints the string field $1 of the last `go mod download -json` output.
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" "$WORK/download.json" | head -n1; }

# Downloads module@version (module and zip); prints the path of its go.mod. Fails,
# with the reason in $WORK/download.err, if the proxy does not serve it.
download_mod() {
	if ! (cd "$WORK" && go mod download -json "$1@$2" >"$WORK/download.json" 2>"$WORK/download.err"); then
		json_field Error | sed 's/\\n\\t/ /g' >>"$WORK/download.err"
		return 1
	fi
	json_field GoMod
}

# The `go` directive of a go.mod file.
go_directive() { sed -n 's/^go \([0-9][0-9.]*\)[[:space:]]*$/\1/p' "$1" | head -n1; }

# Prints the non-local replace directives of a go.mod file, one "old[ ver] => new ver"
# per line (local ones, "=> ../sdk", only make sense inside pulumi's repository).
nonlocal_replaces() {
	awk '
		{ sub(/\/\/.*/, "") }
		/^replace[ \t]*\([ \t]*$/ { inblock = 1; next }
		inblock && /^[ \t]*\)/ { inblock = 0; next }
		inblock { line = $0 }
		!inblock && /^replace[ \t]/ { line = $0; sub(/^replace[ \t]+/, "", line) }
		line != "" {
			n = split(line, f, /[ \t]+/)
			out = ""
			for (i = 1; i <= n; i++) if (f[i] != "") out = out (out == "" ? "" : " ") f[i]
			m = split(out, g, / => /)
			if (m == 2 && split(g[2], rhs, " ") == 2 && rhs[1] !~ /^(\.|\/)/) print out
			line = ""
		}
	' "$1"
}

# Writes a wrapper go.mod from "$1" (a file with the body) and runs `go mod tidy`
# unless the same input was already tidied.
prepare_module() {
	local dir="$1" input="$2"
	mkdir -p "$dir"
	if [[ -f "$dir/go.mod.in" && -f "$dir/go.sum" && -f "$dir/.tidy-ok" ]] &&
		cmp -s "$input" "$dir/go.mod.in"; then
		return 0
	fi
	rm -f "$dir/.tidy-ok" "$dir/go.sum"
	cp -f "$input" "$dir/go.mod.in"
	cp -f "$input" "$dir/go.mod"
	log "resolving modules in $dir (go mod tidy)"
	(cd "$dir" && gorun mod tidy) || return 1
	touch "$dir/.tidy-ok"
}

log "building pulumi v$PULUMI_VERSION from Go modules (GOPROXY=$(go env GOPROXY)) with go $go_version"

pkg_gomod="$(download_mod "$PKG_MODULE" "v$PULUMI_VERSION")" ||
	die "the Go module proxy does not serve $PKG_MODULE@v$PULUMI_VERSION: $(tail -n3 "$WORK/download.err" | tr '\n' ' ')
       Pick a version whose pkg/v3 and sdk/v3 modules are both available (PULUMI_LINUXKIT_PULUMI_VERSION), or install the official Pulumi CLI."
sdk_gomod="$(download_mod "$SDK_MODULE" "v$PULUMI_VERSION")" ||
	die "the Go module proxy does not serve $SDK_MODULE@v$PULUMI_VERSION: $(tail -n3 "$WORK/download.err" | tr '\n' ' ')"

# Go version check (the go directive of pkg/v3 is the minimum).
go_required="$(go_directive "$pkg_gomod")"
go_required="${go_required:-1.24}"
# The wrapper modules use the `tool` directive, which needs go >= 1.24.
if [[ "$(vkey "$go_required")" < "$(vkey 1.24)" ]]; then
	go_required=1.24.0
fi
if [[ "$(vkey "$go_version")" < "$(vkey "$go_required")" ]]; then
	if [[ "$(vkey "$go_version")" < "$(vkey 1.21)" ]]; then
		die "go $go_version is too old: pulumi v$PULUMI_VERSION needs Go >= $go_required. Install a newer Go (https://go.dev/dl) or the official Pulumi CLI."
	fi
	tc="go$go_required"
	[[ "$go_required" =~ ^[0-9]+\.[0-9]+$ ]] && tc="$tc.0"
	log "go $go_version is older than the required $go_required: using GOTOOLCHAIN=$tc (fetched through GOPROXY)"
	export GOTOOLCHAIN="$tc"
fi

# The Node.js language host: the separate module first, at the pseudo-version of
# the release commit (v3.0.0-<commit time UTC>-<12-char hash>) ...
host_version="${PULUMI_LINUXKIT_NODEJS_HOST_VERSION:-}"
if [[ -z "$host_version" ]]; then
	download_mod "$PKG_MODULE" "v$PULUMI_VERSION" >/dev/null || true
	hash="$(json_field Hash)"
	info_file="$(json_field Info)"
	commit_time=""
	[[ -n "$info_file" && -f "$info_file" ]] &&
		commit_time="$(sed -n 's/.*"Time": *"\([0-9T:-]*\)Z\{0,1\}".*/\1/p' "$info_file" | tr -d 'T:-')"
	if [[ ${#hash} -ge 12 && ${#commit_time} == 14 ]]; then
		host_version="v3.0.0-$commit_time-${hash:0:12}"
	fi
fi
host_gomod=""
if [[ -n "$host_version" ]]; then
	if host_gomod="$(download_mod "$NODEJS_HOST_MODULE" "$host_version")"; then
		log "using $NODEJS_HOST_MODULE@$host_version"
	else
		host_gomod=""
		log "$NODEJS_HOST_MODULE@$host_version is not available from the proxy ($(tail -n1 "$WORK/download.err" | sed 's/.*: //'))"
	fi
fi

# The CLI wrapper module (it also builds the language host when that module is served).
{
	printf 'module pulumi-linuxkit.local/pulumi-cli\n\ngo %s\n\nrequire (\n' "$go_required"
	printf '\t%s v%s\n' "$PKG_MODULE" "$PULUMI_VERSION" "$SDK_MODULE" "$PULUMI_VERSION"
	if [[ -n "$host_gomod" ]]; then
		printf '\t%s %s\n' "$NODEJS_HOST_MODULE" "$host_version"
	fi
	printf ')\n\n'
	{
		nonlocal_replaces "$pkg_gomod"
		nonlocal_replaces "$sdk_gomod"
		if [[ -n "$host_gomod" ]]; then
			nonlocal_replaces "$host_gomod"
		fi
	} | awk '!seen[$1]++ { print "replace " $0 }'
	printf '\ntool %s\n' "$CLI_PACKAGE"
	if [[ -n "$host_gomod" ]]; then
		printf 'tool %s\n' "$NODEJS_HOST_MODULE"
	fi
} >"$WORK/cli.go.mod"

cli_dir="$SRC_DIR/cli"
prepare_module "$cli_dir" "$WORK/cli.go.mod" ||
	die "go mod tidy failed in $cli_dir (a dependency may be missing from the module proxy; see above)"

build() { # dir, package, version stamp, output name
	local dir="$1" pkg="$2" stamp="$3" out="$4" start=$SECONDS
	log "go build $pkg -> $BIN_DIR/$out (first build takes a few minutes)"
	(cd "$dir" && gorun build -trimpath \
		-ldflags "-s -w -X $VERSION_VAR=$stamp" \
		-o "$BIN_DIR/.$out.tmp.$$" "$pkg") || die "go build of $pkg failed (see above)"
	log "built $out in $((SECONDS - start))s"
}

build "$cli_dir" "$CLI_PACKAGE" "v$PULUMI_VERSION" pulumi

if [[ -n "$host_gomod" ]]; then
	build "$cli_dir" "$NODEJS_HOST_MODULE" "v$PULUMI_VERSION" pulumi-language-nodejs
else
	# ... else the last language host that shipped inside sdk/v3, in its own
	# wrapper module (it needs that old sdk/v3, the CLI needs the new one).
	legacy="$LEGACY_NODEJS_HOST_SDK_VERSION"
	log "falling back to the Node.js language host from $SDK_MODULE@v$legacy"
	legacy_gomod="$(download_mod "$SDK_MODULE" "v$legacy")" ||
		die "the Go module proxy serves neither $NODEJS_HOST_MODULE nor $SDK_MODULE@v$legacy: cannot build the Node.js language host. (Automation API inline programs work without it.)"
	{
		printf 'module pulumi-linuxkit.local/pulumi-language-nodejs\n\ngo %s\n\n' "$go_required"
		printf 'require %s v%s\n\n' "$SDK_MODULE" "$legacy"
		nonlocal_replaces "$legacy_gomod" | awk '!seen[$1]++ { print "replace " $0 }'
		printf '\ntool %s\n' "$LEGACY_NODEJS_HOST_PACKAGE"
	} >"$WORK/host.go.mod"
	host_dir="$SRC_DIR/language-nodejs-legacy"
	prepare_module "$host_dir" "$WORK/host.go.mod" ||
		die "go mod tidy failed in $host_dir (see above)"
	build "$host_dir" "$LEGACY_NODEJS_HOST_PACKAGE" "v$legacy" pulumi-language-nodejs
fi

# Install: language host first, the CLI last, so a complete CLI means a complete install.
mv -f "$BIN_DIR/.pulumi-language-nodejs.tmp.$$" "$BIN_DIR/pulumi-language-nodejs"
mv -f "$BIN_DIR/.pulumi.tmp.$$" "$BIN_DIR/pulumi"

got="$(reported_version "$BIN_DIR")"
[[ "$got" == "v$PULUMI_VERSION" ]] || die "built $BIN_DIR/pulumi reports '$got', expected v$PULUMI_VERSION"
log "installed pulumi $got into $BIN_DIR"
to_cache
finish
