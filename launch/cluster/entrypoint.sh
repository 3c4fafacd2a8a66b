#!/usr/bin/env bash
# A cluster node's start (docker-compose.yml): installs the cluster's key pair from the `ssh`
# volume (made by the `keys` service at start) for the user ($HOME: root in the image), then runs
# the command (sshd).
set -euo pipefail
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
if [ -s /ssh/id_ed25519 ]; then
    install -m 600 /ssh/id_ed25519 "$HOME/.ssh/id_ed25519"
    install -m 644 /ssh/id_ed25519.pub "$HOME/.ssh/authorized_keys"
fi
printf 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile %s\n  LogLevel ERROR\n' \
    "$HOME/.ssh/known_hosts" >"$HOME/.ssh/config"
exec "$@"
