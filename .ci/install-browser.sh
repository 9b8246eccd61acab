#!/usr/bin/env bash
# Install Debian's chromium for the real-browser tests (tests/web/test_browser.py) and the web
# screenshots; Playwright drives it at /usr/bin/chromium and never downloads a browser.
# Idempotent. A failure is only a warning: those tests then skip and say why.
set -uo pipefail

warn() {
    echo "WARNING: could not install chromium ($1); the browser tests will be skipped." >&2
    exit 0
}

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: /usr/bin/chromium"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || warn "not root, and sudo is missing"
    sudo="sudo -n"  # never wait for a password: CI has no terminal
fi
command -v apt-get >/dev/null 2>&1 || warn "apt-get is missing (not a Debian system)"
$sudo apt-get update -qq || warn "apt-get update failed"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
    || warn "apt-get install chromium failed"
[ -x /usr/bin/chromium ] || warn "/usr/bin/chromium is still missing after the install"
echo "chromium installed: /usr/bin/chromium"
