#!/usr/bin/env bash
# Installs what tanto's integration tests need, when missing:
#   - Dovecot IMAP server (Debian/Ubuntu package dovecot-imapd; brings dovecot-core/doveadm)
#   - tmux (terminal UI tests)
#   - aiosmtpd for Debian's own Python (package python3-aiosmtpd: the SMTP server of the send
#     tests and of `tanto demo`;
#     checked with /usr/bin/python3, since the `python3` on PATH may be another build)
#   - Cyrus IMAP and Courier-IMAP, unpacked from Debian's packages without installing them
#     (they conflict with dovecot-imapd): scripts/ensure-cyrus.sh, scripts/ensure-courier.sh
#   - the OAuth2 tests need nothing more: their provider is a script of Python's standard
#     library (run by the same /usr/bin/python3), and Dovecot's oauth2 passdb is part of
#     dovecot-core
# Idempotent: quiet and quick when everything is already present. Debian/Ubuntu (apt) only.
# Runs `apt-get update` only when something has to be installed; uses sudo only if not root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# Cyrus and Courier first: they never install anything, and the early exit below must not
# skip them.
"$(dirname "$0")/ensure-cyrus.sh"
"$(dirname "$0")/ensure-courier.sh"

missing=()

# Dovecot: the binary usually lives in /usr/sbin, which may not be in a non-root PATH.
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    missing+=(dovecot-imapd)
elif ! command -v doveadm >/dev/null 2>&1 && [ ! -x /usr/bin/doveadm ]; then
    missing+=(dovecot-core)
fi

if ! command -v tmux >/dev/null 2>&1; then
    missing+=(tmux)
fi

# The send tests' SMTP server: aiosmtpd run by Debian's Python (the harness starts
# `/usr/bin/python3 -m aiosmtpd`-like scripts, never the `python3` on PATH).
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    missing+=(python3-aiosmtpd)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: missing ${missing[*]}, and apt-get is not available: install them by hand" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
fi

echo "ensure-deps: installing ${missing[*]}" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Note: where systemd runs, the package also starts a system-wide Dovecot on ports 143/993.
# The tests do not use it (each test starts its own server on a free port of 127.0.0.1).
