#!/usr/bin/env bash
# A cluster node's start (docker-compose.yml): installs the cluster's key pair from the `ssh`
# volume (made by the `keys` service at start) for root, then runs the command (sshd).
set -euo pipefail
mkdir -p /root/.ssh && chmod 700 /root/.ssh
if [ -s /ssh/id_ed25519 ]; then
    install -m 600 /ssh/id_ed25519 /root/.ssh/id_ed25519
    install -m 644 /ssh/id_ed25519.pub /root/.ssh/authorized_keys
fi
printf 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile /root/.ssh/known_hosts\n  LogLevel ERROR\n' \
    >/root/.ssh/config
exec "$@"
