#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Dovecot, tmux, aiosmtpd; Cyrus and
# Courier unpacked, not installed), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# Integration tests each start their own Dovecot; two at a time suit a 2-core machine.
# Build first, then run under a time limit: a hung test must fail, not eat CI's 90 minutes.
cargo test --workspace --all-targets --no-run --quiet
timeout 1200 cargo test --workspace --all-targets --no-fail-fast -- --test-threads=2
