#!/usr/bin/env bash
# The TUI benchmark on a warm cache of the realistic workload (100k messages by default):
# time from start to the first full frame, peak memory, and key-to-redraw latency (move,
# page, switch tab, filter character), median and p99. Prints figures, asserts nothing.
# Usage: bench/tui.sh [N]   (N: the workload size, default 100000; mailboxes as bench/sync.sh)
# Tools: tmux, /usr/bin/time, python3 (for the median and p99). tanto writes its frame times
# when TANTO_TRACE_FRAMES names a file ("first T", "key K T", microseconds).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
default_base=/tmp/tanto-bench
[ -d /dev/shm ] && default_base=/dev/shm/tanto-bench
base="${TANTO_BENCH_DIR:-$default_base}"
maildir="$base/m$n/Maildir"
[ -d "$base/m100k/Maildir/cur" ] && [ "$n" = 100000 ] && [ ! -d "$maildir/cur" ] && maildir="$base/m100k/Maildir"
if [ ! -d "$maildir/cur" ]; then
  gen="${GEN_MAILBOX:-$PWD/bench/gen_mailbox.py}"
  mkdir -p "$(dirname "$maildir")"
  python3 "$gen" --n "$n" --maildir "$maildir" --seed 1 >&2
fi
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin tanto --example bench_sync
tanto="$PWD/$target/release/tanto"
[ -x "$tanto" ] || tanto="$target/release/tanto"

work=$(mktemp -d)
server_pid=
cleanup() {
  tmux -S "$work/tmux.sock" kill-server 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Serve the mailbox (bench_sync --serve prints the config it wrote) and warm the cache.
"$target/release/examples/bench_sync" --serve "$maildir" > "$work/serve.out" &
server_pid=$!
while [ ! -s "$work/serve.out" ]; do sleep 0.2; done
config=$(head -n1 "$work/serve.out")
echo "warming the cache (tanto sync of $n messages)…" >&2
"$tanto" --config "$config" sync --once > /dev/null

trace="$work/frames.txt"
tm() { tmux -S "$work/tmux.sock" "$@"; }
lines() { [ -f "$trace" ] && wc -l < "$trace" || echo 0; }
wait_lines() { # wait until the trace has $1 lines (10 s at most)
  for _ in $(seq 1 1000); do [ "$(lines)" -ge "$1" ] && return 0; sleep 0.01; done
  echo "timed out waiting for frame $1; the screen:" >&2; tm capture-pane -p -t bench >&2; return 1
}
start_us=$(( $(date +%s%N) / 1000 ))
tm new-session -d -x 120 -y 40 -s bench \
  "env TANTO_TRACE_FRAMES=$trace /usr/bin/time -v -o $work/time.txt $tanto --config $config; echo tanto exited \$?; sleep 600"
wait_lines 1
first_us=$(awk '$1=="first"{print $2; exit}' "$trace")
sleep 1 # let the watcher's first sync settle

phase() { # phase NAME COUNT KEY... : press the keys COUNT times, one frame each
  local name=$1 count=$2; shift 2
  local from; from=$(lines)
  for i in $(seq 1 "$count"); do
    tm send-keys -t bench "$@"
    wait_lines $((from + i))
    sleep 0.02
  done
  echo "$name $from $(lines)" >> "$work/phases.txt"
}
phase move 200 j
phase page 100 PageDown
phase tab 50 Tab
tm send-keys -t bench 1
sleep 0.5
tm send-keys -t bench /
sleep 0.3
from=$(lines)
i=0
for c in o r d e r s h i p p i n g r e f u n d i n v o i c e; do
  i=$((i + 1)); tm send-keys -t bench -l "$c"; wait_lines $((from + i)); sleep 0.02
done
echo "filter $from $(lines)" >> "$work/phases.txt"
tm send-keys -t bench Escape
sleep 0.3
tm send-keys -t bench Escape
sleep 0.3
tm send-keys -t bench q
for _ in $(seq 1 100); do [ -s "$work/time.txt" ] && break; sleep 0.1; done

python3 - "$trace" "$work/phases.txt" "$work/time.txt" "$start_us" "$first_us" "$n" <<'PY'
import sys
trace, phases, timef, start, first, n = sys.argv[1:]
keys = [l.split() for l in open(trace) if l.startswith("key ")]
lines = open(trace).read().splitlines()
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
print(f"tanto TUI on a warm cache of {n} messages")
print(f"  first full frame: {(int(first) - int(start)) / 1000:.1f} ms after launch (target < 100 ms)")
rss = [l for l in open(timef) if "Maximum resident" in l]
if rss:
    print(f"  peak memory: {int(rss[0].split()[-1]) / 1024:.1f} MB (target < 100 MB)")
for p in open(phases):
    name, a, b = p.split()
    ms = []
    for l in lines[int(a):int(b)]:
        f = l.split()
        if f[0] == "key":
            ms.append((int(f[2]) - int(f[1])) / 1000)
    if ms:
        print(f"  key to frame, {name:6} ({len(ms)} keys): median {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms, max {max(ms):.2f} ms")
        if name == "filter":
            print("    each filter key, in order: " + " ".join(f"{x:.1f}" for x in ms))
print("  targets: median < 16 ms, p99 < 50 ms")
PY
