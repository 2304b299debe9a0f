#!/usr/bin/env bash
# The reader's fuzzer: raw message bytes to what the reader draws (fuzz/fuzz_targets/reader.rs).
# A bench step, not a test: it runs for SECONDS (default 3600) and prints what it found.
#   bench/fuzz.sh [SECONDS]
# Installs cargo-fuzz and the nightly toolchain when they are missing. Seeds from the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-3600}"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
mkdir -p fuzz/corpus/reader
find tests/fixtures/corpus -name '*.eml' -exec cp -n {} fuzz/corpus/reader/ \;
start=$(date +%s)
status=0
cargo +nightly fuzz run reader fuzz/corpus/reader -- \
    -max_total_time="$secs" -max_len=262144 -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | tee fuzz/last-run.log | grep -E '^#[0-9]+.*(pulse|DONE)|^stat::|panicked|ERROR|SUMMARY' || status=$?
echo "fuzz: $(( $(date +%s) - start )) s; corpus $(ls fuzz/corpus/reader | wc -l) inputs"
slow=$(ls fuzz/artifacts/reader/slow-unit-* 2>/dev/null | wc -l)
[ "$slow" -gt 0 ] && echo "fuzz: $slow slow inputs (over 10 s in the instrumented build): fuzz/artifacts/reader/slow-unit-*"
if ls fuzz/artifacts/reader/crash-* fuzz/artifacts/reader/oom-* fuzz/artifacts/reader/timeout-* >/dev/null 2>&1; then
    echo "fuzz: found crashes: fuzz/artifacts/reader/ (reproduce: cargo +nightly fuzz run reader FILE)"
    exit 1
fi
echo "fuzz: no crash"
