# Sourced by scripts/ensure-cyrus.sh and scripts/ensure-courier.sh: unpacks Debian packages
# of a mail server into a directory of their own, never installing them (they conflict with
# dovecot-imapd, which the other tests use). `apt-get download` fetches them and `dpkg -x`
# unpacks them, once; later runs find the directory complete and return at once.

# The directory for server NAME: $VAR if set, else as root /var/cache/tanto-devserver/NAME
# (the servers run as `nobody`, who must reach it: root's home is closed to others), else
# ${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/NAME. devserver/src/sys.rs looks in the same
# place.
debs_root() {
    local name="$1" var="$2"
    if [ -n "${!var:-}" ]; then
        echo "${!var}"
    elif [ "$(id -u)" -eq 0 ]; then
        echo "/var/cache/tanto-devserver/$name"
    else
        echo "${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/$name"
    fi
}

# debs_unpack TAG ROOT [HOOK]: unpacks the packages of the array `packages` into ROOT unless
# it is complete; checks that each file of the array `binaries` is there and finds every
# library it links in the system or in the directories of `libdirs` (under ROOT; `MULTIARCH`
# stands for x86_64-linux-gnu or the like). HOOK, if given, is a function called with the
# unpacked tree and a scratch directory before the checks. TAG prefixes the messages. Fails
# loudly when something cannot be had.
debs_unpack() {
    local tag="$1" root="$2" hook="${3:-}"
    if [ -f "$root/.complete" ]; then
        return 0
    fi
    local tool
    for tool in apt-get dpkg-deb; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$tag: $tool is missing: the server comes from Debian's packages" >&2
            return 1
        fi
    done
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    echo "$tag: unpacking ${packages[0]} into $root" >&2
    local work
    work="$(mktemp -d)"
    # As root apt would download as the user _apt, which cannot write into a fresh temp
    # dir: download as the caller.
    local download=(apt-get download -q -o APT::Sandbox::User="$(id -un)" "${packages[@]}")
    if ! (cd "$work" && "${download[@]}") >"$work/apt.log" 2>&1; then
        # A fresh machine has no package lists yet.
        if ! $sudo apt-get update -qq || ! (cd "$work" && "${download[@]}") >"$work/apt.log" 2>&1; then
            echo "$tag: apt-get download ${packages[*]} failed:" >&2
            cat "$work/apt.log" >&2
            rm -rf "$work"
            return 1
        fi
    fi

    rm -rf "$root.tmp"
    mkdir -p "$root.tmp"
    # Readable by the unprivileged user the server runs as, whatever the umask.
    chmod 755 "$(dirname "$root")" "$root.tmp"
    local deb
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$root.tmp"
    done
    if [ -n "$hook" ]; then
        "$hook" "$root.tmp" "$work"
    fi

    local multiarch libs="" dir bin missing
    multiarch="$(basename "$(ls -d "$root.tmp"/usr/lib/*-linux-gnu* | head -n1)")"
    for dir in "${libdirs[@]}"; do
        libs="$libs${libs:+:}$root.tmp/${dir/MULTIARCH/$multiarch}"
    done
    for bin in "${binaries[@]}"; do
        bin="${bin/MULTIARCH/$multiarch}"
        if [ ! -e "$root.tmp/$bin" ]; then
            echo "$tag: $bin is not in the unpacked packages" >&2
            rm -rf "$work"
            return 1
        fi
        missing="$(LD_LIBRARY_PATH="$libs" ldd "$root.tmp/$bin" 2>&1 | grep 'not found' || true)"
        if [ -n "$missing" ]; then
            echo "$tag: $bin needs libraries that neither the system nor the unpacked packages have:" >&2
            echo "$missing" >&2
            echo "(add their Debian packages to \`packages\` in scripts/$tag.sh)" >&2
            rm -rf "$work"
            return 1
        fi
    done
    chmod -R go+rX "$root.tmp"
    ls "$work"/*.deb | xargs -n1 basename >"$root.tmp/.complete"
    rm -rf "$work" "$root"
    mv "$root.tmp" "$root"
}
