#!/usr/bin/env bash
# Load and soak: 20 agents on two simulated hosts act at random for SECONDS (default 600)
# while the server restarts and answers are cut; prints double owners, lost or duplicated
# events, duplicate sends, actions per second and each action's p99. Asserts nothing.
# Usage: bench/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin tanto --example bench_soak
TANTO_BIN="$PWD/$target/release/tanto" exec "$target/release/examples/bench_soak" "$@"
