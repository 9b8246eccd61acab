#!/usr/bin/env bash
# Install the real agent CLIs the end-to-end tests drive, each by exact version, into
# .ci/agents/<name>-<version>/ (gitignored):
#   - Claude Code: the newest published (the `latest` dist-tag of @anthropic-ai/claude-code)
#     and the oldest we support (CLAUDE_OLDEST below);
#   - Codex: the newest published (the `latest` dist-tag of @openai/codex).
# The platform packages carry native binaries and run on any Node, so npm never picks an
# older release for us because of an `engines` field (it did: 2.1.197 on Node 20).
# Idempotent. A failure is a warning: the tests that need that agent then skip and say why.
set -uo pipefail
cd "$(dirname "$0")/.."

CLAUDE_OLDEST=2.1.197
root=.ci/agents
mkdir -p "$root"

warn() { echo "WARNING: $*; the end-to-end tests with it will be skipped." >&2; }

if ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm \
        || warn "apt-get install nodejs npm failed"
fi
echo "node $(node --version 2>/dev/null || echo missing), npm $(npm --version 2>/dev/null || echo missing)"

case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) warn "no agent packages for $(uname -m)"; exit 0 ;;
esac

latest() { npm view "$1" dist-tags.latest 2>/dev/null; }

# install NAME VERSION PACKAGE@VERSION BINARY-PATH-INSIDE-THE-PREFIX
install() {
    local name=$1 version=$2 spec=$3 binary=$4
    local prefix="$root/$name-$version"
    if [ ! -x "$prefix/$binary" ]; then
        rm -rf "$prefix"
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --ignore-scripts "$spec" \
            || { warn "npm install $spec failed"; rm -rf "$prefix"; return 0; }
    fi
    if "$prefix/$binary" --version >/dev/null 2>&1; then
        echo "$name $version: $("$prefix/$binary" --version 2>&1 | head -1)"
    else
        warn "$prefix/$binary does not run"
        rm -rf "$prefix"
    fi
}

claude_newest=$(latest @anthropic-ai/claude-code) || true
[ -n "$claude_newest" ] || warn "npm view @anthropic-ai/claude-code failed: the newest Claude Code is not known"
for version in $claude_newest "$CLAUDE_OLDEST"; do
    install claude "$version" "@anthropic-ai/claude-code-linux-$arch@$version" \
        "node_modules/@anthropic-ai/claude-code-linux-$arch/claude"
done

codex_newest=$(latest @openai/codex) || true
if [ -n "$codex_newest" ]; then
    triple=$([ "$arch" = x64 ] && echo x86_64-unknown-linux-musl || echo aarch64-unknown-linux-musl)
    install codex "$codex_newest" "@openai/codex@$codex_newest-linux-$arch" \
        "node_modules/@openai/codex/vendor/$triple/bin/codex"
else
    warn "npm view @openai/codex failed"
fi

# The versions to test, newest first: tests/agents.py reads this.
{
    [ -n "$claude_newest" ] && echo "claude $claude_newest newest-published"
    echo "claude $CLAUDE_OLDEST oldest-supported"
    [ -n "$codex_newest" ] && echo "codex $codex_newest newest-published"
} > "$root/versions.txt"
cat "$root/versions.txt"
