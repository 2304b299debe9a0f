#!/usr/bin/env bash
# Unpacks Cyrus IMAP (Debian's packages) for the tests, when missing. The packages are never
# installed: cyrus-imapd conflicts with dovecot-imapd, which the other tests use.
# `apt-get download` fetches them and `dpkg -x` unpacks them into one directory, reused by
# every later run; the harness (devserver/src/cyrus.rs) runs `master` from there with its own
# imapd.conf and cyrus.conf, and its users in a sasldb made with the unpacked `saslpasswd2`.
#
# The directory: $TANTO_CYRUS_ROOT, else as root /var/cache/tanto-devserver/cyrus, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/cyrus (see scripts/debs.sh). Quiet and quick
# when it is already there. Debian/Ubuntu (apt) only; fails loudly when something cannot be
# had.
set -euo pipefail

. "$(dirname "$0")/debs.sh"
root="$(debs_root cyrus TANTO_CYRUS_ROOT)"

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

# The harness's library path: the same directories, in this order.
libdirs=(usr/lib/MULTIARCH lib/MULTIARCH)

debs_unpack ensure-cyrus "$root"
