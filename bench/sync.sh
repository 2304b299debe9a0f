#!/usr/bin/env bash
# The sync benchmark: prints figures beside the floor, asserts nothing.
# Usage: bench/sync.sh [--sdbox] [--rtt MS] [--mbit N] [N ...]   (default 10000 100000;
# --rtt, --mbit: through the devserver's relay with that round trip and bandwidth, tanto and
# the floor alike)
# The mailboxes come from bench/gen_mailbox.py (override with GEN_MAILBOX), written
# once per size under $TANTO_BENCH_DIR (default /dev/shm/tanto-bench, else /tmp/tanto-bench) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh
gen="${GEN_MAILBOX:-$PWD/bench/gen_mailbox.py}"
# On the file system of the servers' temp dirs (/dev/shm when there is one), so that each
# server gets hard links, not a copy.
default_base=/tmp/tanto-bench
[ -d /dev/shm ] && default_base=/dev/shm/tanto-bench
base="${TANTO_BENCH_DIR:-$default_base}"
flags=()
sizes=()
want_rtt=
for a in "$@"; do
  if [ -n "$want_rtt" ]; then flags+=("$a"); want_rtt=; continue; fi
  case "$a" in
    --rtt|--mbit) flags+=("$a"); want_rtt=1 ;;
    --*) flags+=("$a") ;;
    *) sizes+=("$a") ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
dirs=()
for n in "${sizes[@]}"; do
  d="$base/m$n/Maildir"
  if [ ! -d "$d/cur" ]; then
    mkdir -p "$base/m$n"
    python3 "$gen" --n "$n" --maildir "$d" --seed 1 >&2
  fi
  dirs+=("$d")
done
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin tanto --example bench_sync
TANTO_BIN="$target/release/tanto" exec "$target/release/examples/bench_sync" "${flags[@]}" "${dirs[@]}"
