#!/usr/bin/env bash
# The send benchmark: prints figures, asserts only that each reply went out once.
# Usage: bench/reply.sh [N]   (default 200 replies)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo build --release --quiet --example bench_reply
exec "${CARGO_TARGET_DIR:-target}/release/examples/bench_reply" "$@"
