#!/usr/bin/env bash
# The network benchmark: tanto's actions through the devserver's delay relay at 0, 50 and
# 150 ms round trip, each beside the one-shot floor (python3 imaplib) in the same run, with
# tanto's own count of IMAP round trips. Prints figures, asserts nothing; a few minutes.
# Usage: bench/network.sh [ROUND_TRIP_MS ...]   (default 0 50 150; REPS=7 runs per figure)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin tanto --example bench_network
exec python3 bench/network.py --tanto "$target/release/tanto" \
  --server "$target/release/examples/bench_network" --reps "${REPS:-7}" "$@"
