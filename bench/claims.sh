#!/usr/bin/env bash
# The coordination benchmark: prints figures, asserts nothing. Usage: bench/claims.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
cargo build --release --quiet --example bench_claims
exec ./target/release/examples/bench_claims "$@"
