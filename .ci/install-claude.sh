#!/usr/bin/env bash
# Install the Claude Code CLI into .ci/node/ (gitignored) for the end-to-end tests in
# tests/test_claude_e2e.py. Idempotent. A failure is only a warning: those tests then skip.
set -uo pipefail
cd "$(dirname "$0")/.."

prefix=.ci/node
claude="$prefix/node_modules/.bin/claude"

warn() {
    echo "WARNING: could not install the Claude Code CLI ($1); the end-to-end tests with it will be skipped." >&2
    exit 0
}

if ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq || warn "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm || warn "apt-get install nodejs npm failed"
fi
echo "node $(node --version 2>/dev/null || echo missing), npm $(npm --version 2>/dev/null || echo missing)"

if ! "$claude" --version >/dev/null 2>&1; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code \
        || warn "npm install failed"
    # npm may skip the package's postinstall, which puts the native binary in place
    if ! "$claude" --version >/dev/null 2>&1 && [ -f "$prefix/node_modules/@anthropic-ai/claude-code/install.cjs" ]; then
        (cd "$prefix/node_modules/@anthropic-ai/claude-code" && node install.cjs) || true
    fi
fi

"$claude" --version || warn "$claude does not run"
