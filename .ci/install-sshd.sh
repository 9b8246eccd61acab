#!/usr/bin/env bash
# Install Debian's openssh-server for the remote-host tests (tests/fakes/sshd.py): each test
# starts its own /usr/sbin/sshd on 127.0.0.1 at a free port, so the system's sshd is neither
# needed nor wanted. The package is installed without starting its service (a policy-rc.d that
# refuses, for the length of the install, unless one exists already), and a service it started
# anyway is stopped: nothing listens on port 22 because of us.
# Idempotent. A failure is only a warning: those tests then skip and say why.
set -uo pipefail

warn() {
    echo "WARNING: could not install openssh-server ($1); the remote-host tests will be skipped." >&2
    exit 0
}

# Run as root, sshd needs its privilege separation folder, which only its service would make.
if [ "$(id -u)" -eq 0 ]; then mkdir -p -m 0755 /run/sshd || true; fi

if [ -x /usr/sbin/sshd ]; then
    echo "sshd already installed: $(/usr/sbin/sshd -V 2>&1 | head -1)"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || warn "not root, and sudo is missing"
    sudo="sudo -n"  # never wait for a password: CI has no terminal
fi
command -v apt-get >/dev/null 2>&1 || warn "apt-get is missing (not a Debian system)"

policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then  # exit 101: "action forbidden", so dpkg starts no service
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
fi
cleanup() { [ -z "$made_policy" ] || $sudo rm -f "$policy"; }
trap cleanup EXIT

$sudo apt-get update -qq || warn "apt-get update failed"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server \
    || warn "apt-get install openssh-server failed"
[ -x /usr/sbin/sshd ] || warn "/usr/sbin/sshd is still missing after the install"

# Where a service manager started it regardless, stop it and keep it from starting at boot.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
elif [ -x /etc/init.d/ssh ]; then
    $sudo /etc/init.d/ssh stop >/dev/null 2>&1 || true
fi
echo "sshd installed: $(/usr/sbin/sshd -V 2>&1 | head -1)"
