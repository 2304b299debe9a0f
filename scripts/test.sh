#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Dovecot, tmux), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
# Integration tests each start their own Dovecot; two at a time suit a 2-core machine.
cargo test --all-targets -- --test-threads=2
