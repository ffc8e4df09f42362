#!/usr/bin/env bash
# A Python virtual environment with Pulumi's Python SDK, for Python programs
# that use the linuxkit provider (the integration tests, bench:pulumi, the
# README's quick start). Idempotent; prints the venv's folder as its last line.
#
#   PULUMI_LINUXKIT_PYTHON_VENV   venv folder (default: <repo>/.tools/python-venv)
#   PULUMI_LINUXKIT_PYTHON        Python >= 3.9 to make it with (default: python3)
set -euo pipefail

PULUMI_PY_VERSION=3.272.0
# What the generated SDK (sdk/python/pyproject.toml) needs besides pulumi.
SDK_DEPS=("parver==1.0.1.post0" "semver==3.1.1")

cd "$(dirname "$0")/.."
VENV="${PULUMI_LINUXKIT_PYTHON_VENV:-$PWD/.tools/python-venv}"
PY="${PULUMI_LINUXKIT_PYTHON:-python3}"
log() { printf '[install-python-sdk] %s\n' "$*" >&2; }

command -v "$PY" >/dev/null 2>&1 || {
	log "ERROR: $PY not found: install Python 3 with venv (apt-get install python3 python3-venv)"
	exit 1
}
if [[ ! -x "$VENV/bin/python" ]]; then
	log "creating $VENV"
	"$PY" -m venv "$VENV" || {
		log "ERROR: '$PY -m venv' failed: install python3-venv (apt-get install python3-venv)"
		exit 1
	}
fi
have="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pulumi"), m.version("parver"), m.version("semver"))' 2>/dev/null || true)"
if [[ "$have" != "$PULUMI_PY_VERSION 1.0.1.post0 3.1.1" ]]; then
	log "installing pulumi==$PULUMI_PY_VERSION ${SDK_DEPS[*]} into $VENV"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pulumi==$PULUMI_PY_VERSION" "${SDK_DEPS[@]}" >&2
fi
# The generated SDK, editable: programs import sdk/python as it is now.
if ! "$VENV/bin/python" -c 'import importlib.metadata as m; m.version("pulumi_linuxkit")' >/dev/null 2>&1; then
	log "installing sdk/python (editable) into $VENV"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e sdk/python >&2
fi
printf '%s\n' "$VENV"
