#!/usr/bin/env bash
# Quick start: build tanto and run its demo (a local Dovecot with a sample mailbox).
# Installs Dovecot when missing. Extra arguments go to `tanto demo` (e.g. --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo build --release --quiet --bin tanto
exec ./target/release/tanto demo "$@"
