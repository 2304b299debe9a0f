#!/usr/bin/env bash
# The sync benchmark: prints figures, asserts nothing. Usage: bench/sync.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo build --release --quiet --bin tanto --example bench_sync
TANTO_BIN="$PWD/target/release/tanto" exec ./target/release/examples/bench_sync "$@"
