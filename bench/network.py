#!/usr/bin/env python3
"""The network benchmark's driver (run by bench/network.sh): tanto's actions through a delay
relay at several round trips, each beside the one-shot floor measured in the same run.

Prints figures, asserts nothing. For each round trip and each action -- resync with no
change, claim, lost claim, note, done -- tanto's wall time (median of REPS runs, each run
alternating with one run of the floor), the floor's median, the ratio, and the IMAP round
trips and connections tanto reports with TANTO_TRACE=1.

The floors, Python imaplib timed inside the script (no interpreter start-up):
  - compare-and-set: connect, LOGIN, SELECT INBOX (CONDSTORE), one
    UID STORE n (UNCHANGEDSINCE m) +FLAGS/-FLAGS (\\Flagged), LOGOUT (waited for);
  - resync: connect, LOGIN, SELECT INBOX, then the socket is closed.
The CAPABILITY round trip imaplib makes after the greeting is skipped (Dovecot's greeting
carries the capabilities), so the floor is 4 round trips and the greeting (3 for the resync).
tanto is timed as a process, start-up included, and does not wait for its LOGOUT.

Usage: network.py --tanto PATH --server PATH [--reps N] [ROUND_TRIP_MS ...]
"""

import argparse
import imaplib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

LOST_RACE = 3  # tanto's exit code when someone else holds the conversation


class OneShot(imaplib.IMAP4):
    """imaplib without its CAPABILITY round trip: the greeting's capabilities are used."""

    def _get_capabilities(self):
        m = re.search(rb"\[CAPABILITY ([^\]]*)\]", self.welcome or b"")
        if not m:
            return super()._get_capabilities()
        self.capabilities = tuple(m.group(1).decode("ascii").upper().split())


def floor_cas(port, user, password, uid, n):
    """connect, LOGIN, SELECT (CONDSTORE), one conditional UID STORE, LOGOUT: seconds."""
    started = time.perf_counter()
    m = OneShot("127.0.0.1", port)
    m.login(user, password)
    typ, _ = m._simple_command("SELECT", "INBOX (CONDSTORE)")
    assert typ == "OK", typ
    m.state = "SELECTED"
    modseq = int(m.untagged_responses["HIGHESTMODSEQ"][-1])
    op = "+FLAGS" if n % 2 == 0 else "-FLAGS"
    typ, dat = m.uid("STORE", str(uid), f"(UNCHANGEDSINCE {modseq})", op, "(\\Flagged)")
    assert typ == "OK", (typ, dat)
    m.logout()
    took = time.perf_counter() - started
    return took


def floor_select(port, user, password):
    """connect, LOGIN, SELECT, close: seconds."""
    started = time.perf_counter()
    m = OneShot("127.0.0.1", port)
    m.login(user, password)
    typ, _ = m.select("INBOX")
    assert typ == "OK", typ
    took = time.perf_counter() - started
    m.shutdown()
    return took


TRACE = re.compile(r"tanto: trace: (\d+) IMAP round trips, (\d+) connections")


def tanto(binary, config, password, args, expect=0):
    """Runs tanto: (seconds, round trips, connections)."""
    env = dict(os.environ, TANTO_TEST_PASSWORD=password, TANTO_TRACE="1", LANG="C.UTF-8")
    for k in ("LC_ALL", "LC_MESSAGES", "TANTO_CONFIG"):
        env.pop(k, None)
    started = time.perf_counter()
    p = subprocess.run(
        [binary, "--config", config] + args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    took = time.perf_counter() - started
    if p.returncode != expect:
        sys.exit(
            f"tanto {' '.join(args)}: exit {p.returncode}, expected {expect}\n{p.stdout}{p.stderr}"
        )
    m = TRACE.search(p.stderr)
    if not m:
        sys.exit(f"tanto {' '.join(args)}: no trace line\n{p.stderr}")
    return took, int(m.group(1)), int(m.group(2))


def conversations(binary, config, password):
    """Subject -> conversation id, from `tanto list --json`."""
    env = dict(os.environ, TANTO_TEST_PASSWORD=password, LANG="C.UTF-8")
    out = subprocess.run(
        [binary, "--config", config, "list", "--json"],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return {c["subject"]: c["id"] for c in json.loads(out)}


IN_PROGRESS = re.compile(r"In progress (\d+)")


def tui_claims(binary, config, password, reps):
    """The terminal UI in tmux on `config`: for `reps` claims (after one to warm up), the
    seconds from the `c` key to the screen showing one more conversation in progress."""
    work = tempfile.mkdtemp()
    sock = os.path.join(work, "tmux.sock")
    tmux = lambda *args: subprocess.run(
        ["tmux", "-S", sock] + list(args), check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    line = (
        f"env TANTO_TEST_PASSWORD={password} LANG=C.UTF-8 TZ=UTC {binary} --config {config}"
        f" 2>{work}/stderr"
    )
    tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", line)

    def in_progress(timeout=30):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            m = IN_PROGRESS.search(tmux("capture-pane", "-p", "-t", "t"))
            if m:
                return int(m.group(1))
            time.sleep(0.01)
        sys.exit("the terminal UI showed no tabs:\n" + tmux("capture-pane", "-p", "-t", "t"))

    try:
        deadline = time.perf_counter() + 30
        while "connected" not in tmux("capture-pane", "-p", "-t", "t"):
            if time.perf_counter() > deadline:
                sys.exit("the terminal UI did not connect")
            time.sleep(0.05)
        times = []
        for i in range(reps + 1):
            before = in_progress()
            started = time.perf_counter()
            tmux("send-keys", "-t", "t", "c")
            while in_progress() != before + 1:
                if time.perf_counter() - started > 30:
                    sys.exit("a claim never showed:\n" + tmux("capture-pane", "-p", "-t", "t"))
                time.sleep(0.002)
            if i > 0:
                times.append(time.perf_counter() - started)
            time.sleep(0.3)
        return times
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], stderr=subprocess.DEVNULL)


def counted(values):
    """`8` when every run gave 8, `8 ×6, 11 ×1` when they differed."""
    values = sorted(values)
    seen = sorted(set(values))
    if len(seen) == 1:
        return str(seen[0])
    return ", ".join(f"{v} ×{values.count(v)}" for v in seen)


def ms(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tanto", required=True)
    ap.add_argument("--server", required=True, help="the bench_network example")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("rtts", nargs="*", type=int)
    a = ap.parse_args()
    server = subprocess.Popen(
        [a.server] + [str(r) for r in a.rtts],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run(a, json.loads(server.stdout.readline()))
    finally:
        server.stdin.close()
        server.wait()


def run(a, setup):
    pw, fuser, fuid = setup["password"], setup["floor_user"], setup["floor_uid"]
    reps = a.reps
    rows = []
    tui = []
    stores = 0
    for k, link in enumerate(setup["links"]):
        rtt, port = link["rtt_ms"], link["port"]
        alice, bob = link["alice"], link["bob"]
        print(f"round trip {rtt} ms: warming up…", file=sys.stderr)
        for cfg in (alice, bob):
            tanto(a.tanto, cfg, pw, ["sync", "--once"])
        ids = conversations(a.tanto, alice, pw)
        # Conversations of their own for each round trip: the first warms the paths up
        # (the log folder, the server's caches), the others are timed.
        convs = [ids[f"Question {10 + k * (reps + 3) + j}"] for j in range(reps + 1)]
        warm, timed = convs[0], convs[1:]
        tanto(a.tanto, alice, pw, ["claim", warm])
        tanto(a.tanto, bob, pw, ["claim", warm], expect=LOST_RACE)
        tanto(a.tanto, alice, pw, ["note", warm, "-m", "warm-up"])
        tanto(a.tanto, alice, pw, ["done", warm])
        floor_cas(port, fuser, pw, fuid, stores)
        stores += 1
        floor_select(port, fuser, pw)
        for cfg in (alice, bob):
            tanto(a.tanto, cfg, pw, ["sync", "--once"])

        samples = {name: ([], [], []) for name in ACTIONS}

        def pair(name, cfg, args, expect=0):
            nonlocal stores
            floors, times, traces = samples[name]
            if name == "resync":
                floors.append(floor_select(port, fuser, pw))
            else:
                floors.append(floor_cas(port, fuser, pw, fuid, stores))
                stores += 1
            took, rts, conns = tanto(a.tanto, cfg, pw, args, expect)
            times.append(took)
            traces.append((rts, conns))

        print(f"round trip {rtt} ms: timing…", file=sys.stderr)
        for _ in range(reps):
            pair("resync", alice, ["sync", "--once"])
        for i, conv in enumerate(timed):
            # Bob's cache has not seen Alice's claim: he finds out by trying.
            pair("claim", alice, ["claim", conv])
            pair("lost claim", bob, ["claim", conv], expect=LOST_RACE)
            pair("note", alice, ["note", conv, "-m", f"called back {i}"])
            pair("done", alice, ["done", conv])
        for name in ACTIONS:
            floors, times, traces = samples[name]
            f, t = statistics.median(floors), statistics.median(times)
            rts = counted(r for r, _ in traces)
            conns = counted(c for _, c in traces)
            rows.append((rtt, name, t, f, t / f, rts, conns))
        print(f"round trip {rtt} ms: the terminal UI…", file=sys.stderr)
        tui.append((rtt, statistics.median(tui_claims(a.tanto, alice, pw, reps))))

    print()
    print(f"tanto through the delay relay, median of {reps} (each run alternating with the floor)")
    print()
    print("| round trip | action | tanto | floor | ratio | tanto's IMAP round trips | connections |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rtt, name, t, f, ratio, rts, conns in rows:
        floor_kind = "S" if name == "resync" else "C"
        print(f"| {rtt} ms | {name} | {ms(t)} | {ms(f)} {floor_kind} | {ratio:.2f}x | {rts} | {conns} |")
    print()
    print("The terminal UI (a warm session): from the `c` key to the screen showing the claim,")
    print(f"median of {reps}, and what that is in round trips of the link:")
    print()
    print("| round trip | key to screen | in round trips |")
    print("| --- | --- | --- |")
    for rtt, t in tui:
        rounds = f"{t * 1000 / rtt:.1f}" if rtt else "-"
        print(f"| {rtt} ms | {ms(t)} | {rounds} |")
    print()
    print("floor C: connect, LOGIN, SELECT (CONDSTORE), UID STORE (UNCHANGEDSINCE), LOGOUT:")
    print("  the greeting and 4 round trips; floor S: connect, LOGIN, SELECT: the greeting and 2")
    print("  (python3 imaplib, taking the capabilities from the greeting). The relay does not")
    print("  delay the TCP handshake (see bench/README.md).")


ACTIONS = ["resync", "claim", "lost claim", "note", "done"]

if __name__ == "__main__":
    main()
