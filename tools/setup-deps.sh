#!/bin/sh
# Installs the Debian packages benchgate needs, only those missing.
# Uses sudo when not root. Called by `make bench` and `make test`.
set -eu

PKGS="meson ninja-build pkg-config gcc libgsl-dev libcjson-dev libgit2-dev libcmocka-dev gnuplot-nox git valgrind"
# Headless Chromium loads the HTML report in tests (tests/test_report_browser.py).
PKGS="$PKGS chromium"
# Linux perf: the bench binary's --profile (flamegraphs from the cpu-clock event).
PKGS="$PKGS linux-perf"
# The GitLab CI files are parsed in CI (tools/check-ci-files.sh).
PKGS="$PKGS python3-yaml"
[ "${BG_WITH_CLANG:-0}" = 1 ] && PKGS="$PKGS clang"
[ "${BG_WITH_SCIPY:-0}" = 1 ] && PKGS="$PKGS python3-scipy python3-numpy"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "benchgate: missing packages:$missing" >&2
    echo "benchgate: this is not a Debian-like system; install the equivalents by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "benchgate: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
echo "benchgate: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
