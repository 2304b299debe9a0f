#!/usr/bin/env bash
# Unpacks Cyrus IMAP (Debian's packages) for the tests, when missing. The packages are never
# installed: cyrus-imapd conflicts with dovecot-imapd, which the other tests use.
# `apt-get download` fetches them and `dpkg -x` unpacks them into one directory, reused by
# every later run; the harness (devserver/src/cyrus.rs) runs `master` from there with its own
# imapd.conf and cyrus.conf, and its users in a sasldb made with the unpacked `saslpasswd2`.
#
# The directory: $TANTO_CYRUS_ROOT, else as root /var/cache/tanto-devserver/cyrus (the server
# then runs as `nobody`, who must reach it: root's home is closed to others), else
# ${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/cyrus (the harness looks in the same place).
# Quiet and quick when it is already there. Debian/Ubuntu (apt) only; fails loudly when
# something cannot be had.
set -euo pipefail

if [ -n "${TANTO_CYRUS_ROOT:-}" ]; then
    root="$TANTO_CYRUS_ROOT"
elif [ "$(id -u)" -eq 0 ]; then
    root=/var/cache/tanto-devserver/cyrus
else
    root="${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/cyrus"
fi

# The server (cyrus-common has master, imapd, idled, ctl_cyrusdb), saslpasswd2, the sasldb
# plugin the logins are checked with and the mechanisms' plugins (AUTH=PLAIN), and the libraries they link that a Debian system with
# Dovecot may lack. Each is unpacked, whatever the system has installed, and used first.
# (cyradm, in cyrus-admin, needs Cyrus's Perl modules: the harness creates the mailboxes and
# sets their ACLs over IMAP as the admin instead.)
packages=(cyrus-imapd cyrus-common sasl2-bin libsasl2-2 libsasl2-modules libsasl2-modules-db libdb5.3
    libpcre3 libical3 libxapian30 libjansson4 libpq5 libsqlite3-0 libxml2 libwrap0)
# What the harness runs; each must find every library it links.
# (`MULTIARCH` is the libraries' directory name, x86_64-linux-gnu on amd64.)
binaries=(usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/idled
    usr/lib/cyrus/bin/ctl_cyrusdb usr/sbin/saslpasswd2 usr/lib/MULTIARCH/sasl2/libsasldb.so)

if [ -f "$root/.complete" ]; then
    exit 0
fi

for tool in apt-get dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ensure-cyrus: $tool is missing: Cyrus IMAP comes from Debian's packages" >&2
        exit 1
    fi
done
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
else
    SUDO="sudo"
fi

echo "ensure-cyrus: unpacking Cyrus IMAP into $root" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
download() {
    # As root apt would download as the user _apt, which cannot write into a fresh temp
    # dir: download as the caller.
    (cd "$work" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "${packages[@]}") >"$work/apt.log" 2>&1
}
if ! download; then
    # A fresh machine has no package lists yet.
    if ! $SUDO apt-get update -qq || ! download; then
        echo "ensure-cyrus: apt-get download ${packages[*]} failed:" >&2
        cat "$work/apt.log" >&2
        exit 1
    fi
fi

rm -rf "$root.tmp"
mkdir -p "$root.tmp"
# Readable by the unprivileged user the server runs as, whatever the umask.
chmod 755 "$(dirname "$root")" "$root.tmp"
for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$root.tmp"
done

multiarch="$(basename "$(ls -d "$root.tmp"/usr/lib/*-linux-gnu* | head -n1)")"
# The harness's library path: the same directories, in this order.
libs="$root.tmp/usr/lib/$multiarch:$root.tmp/lib/$multiarch"
for bin in "${binaries[@]}"; do
    bin="${bin/MULTIARCH/$multiarch}"
    if [ ! -e "$root.tmp/$bin" ]; then
        echo "ensure-cyrus: $bin is not in the unpacked packages" >&2
        exit 1
    fi
    missing="$(LD_LIBRARY_PATH="$libs" ldd "$root.tmp/$bin" 2>&1 | grep 'not found' || true)"
    if [ -n "$missing" ]; then
        echo "ensure-cyrus: $bin needs libraries that neither the system nor the unpacked packages have:" >&2
        echo "$missing" >&2
        echo "(add their Debian packages to \`packages\` in $0)" >&2
        exit 1
    fi
done
chmod -R go+rX "$root.tmp"
ls "$work"/*.deb | xargs -n1 basename >"$root.tmp/.complete"
rm -rf "$root"
mv "$root.tmp" "$root"
