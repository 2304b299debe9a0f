#!/usr/bin/env bash
# Quick start: tanto on a local demo server. Installs what is missing (Dovecot, tmux, aiosmtpd), builds
# the release binary when needed, and runs `tanto demo`: sample mail in English and Japanese,
# the terminal UI as agent "you", and a simulated teammate (hanako) at work.
# Extra arguments go to `tanto demo`, e.g. --agents 2 (two agents side by side in tmux),
# --no-teammate, --keep (no UI; the server stays up for other terminals).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo build --release --quiet --bin tanto
exec "${CARGO_TARGET_DIR:-target}/release/tanto" demo "$@"
