#!/usr/bin/env bash
# Unpacks Courier-IMAP (Debian's packages) for the tests, when missing. The packages are
# never installed: courier-imap conflicts with dovecot-imapd, which the other tests use.
# `apt-get download` fetches them and `dpkg -x` unpacks them into one directory, reused by
# every later run; the harness (devserver/src/courier.rs) runs them from there in a mount
# namespace of its own (see there).
#
# The directory: $TANTO_COURIER_ROOT, else as root /var/cache/tanto-devserver/courier, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/courier (see scripts/debs.sh). Quiet and
# quick when it is already there. Debian/Ubuntu (apt) only; fails loudly when something
# cannot be had (it also needs a C compiler, for the libfam below).
set -euo pipefail

. "$(dirname "$0")/debs.sh"
root="$(debs_root courier TANTO_COURIER_ROOT)"

# The server, its login and authentication (authdaemond with the userdb module), and the
# libraries they link that a Debian system with Dovecot lacks. Each is unpacked, whatever
# the system has installed.
packages=(courier-imap courier-base courier-authlib courier-authlib-userdb
    libcourier-unicode4 libgamin0 libidn12 libltdl7)
# What the harness runs; each must find every library it links.
binaries=(usr/bin/imapd usr/sbin/couriertcpd usr/lib/courier/courier/imaplogin
    usr/lib/courier/courier-authlib/authdaemond usr/lib/courier/courier-authlib/makedatprog
    usr/lib/courier-authlib/libauthuserdb.so usr/lib/tanto-nofam/libfam.so.0)
# The library path inside the harness's namespace (the tree is laid over /usr there).
libdirs=(usr/lib/tanto-nofam usr/lib usr/lib/courier-authlib usr/lib/MULTIARCH)

# Debian's imapd is built with FAM (gamin) and waits for a maildir's dot-lock to go away
# through it: when the lock goes between imapd's try and its FAM request, no event ever
# comes and the session stalls 120-135 s (measured: 8 sessions appending to one folder
# stall within seconds). Courier without FAM polls the lock every second instead. The
# harness runs imapd with this libfam (LD_LIBRARY_PATH), which reports FAM unavailable.
nofam() {
    local tree="$1" work="$2"
    if ! command -v cc >/dev/null 2>&1; then
        echo "ensure-courier: cc is missing: it builds the libfam the harness runs imapd with" >&2
        return 1
    fi
    mkdir -p "$tree/usr/lib/tanto-nofam"
    cat >"$work/nofam.c" <<'C'
/* FAM that is never available: Courier-IMAP then polls its locks (scripts/ensure-courier.sh). */
#include <errno.h>
typedef struct { int fd; void *client; } FAMConnection;
int FAMErrno = 0;
int FAMOpen(FAMConnection *fc) { (void)fc; errno = EIO; return -1; }
int FAMOpen2(FAMConnection *fc, const char *app) { (void)fc; (void)app; errno = EIO; return -1; }
int FAMClose(FAMConnection *fc) { (void)fc; return 0; }
int FAMMonitorFile(FAMConnection *fc, const char *f, void *r, void *u) { (void)fc; (void)f; (void)r; (void)u; errno = EIO; return -1; }
int FAMMonitorDirectory(FAMConnection *fc, const char *f, void *r, void *u) { (void)fc; (void)f; (void)r; (void)u; errno = EIO; return -1; }
int FAMCancelMonitor(FAMConnection *fc, void *r) { (void)fc; (void)r; errno = EIO; return -1; }
int FAMNextEvent(FAMConnection *fc, void *e) { (void)fc; (void)e; errno = EIO; return -1; }
int FAMPending(FAMConnection *fc) { (void)fc; return 0; }
C
    cc -shared -fPIC -Wl,-soname,libfam.so.0 -o "$tree/usr/lib/tanto-nofam/libfam.so.0" "$work/nofam.c"
}

debs_unpack ensure-courier "$root" nofam
