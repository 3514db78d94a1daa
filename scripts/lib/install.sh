# Installs what the scripts need, quietly: Debian packages with apt-get, Python packages with pip
# into a virtual environment under .local/. POSIX sh, so the sh and the bash scripts can source it
# (from the repository's root folder, where every script starts):
#
#   . scripts/lib/install.sh
#   install_packages PACKAGE[:PROBE]...       Debian packages that are missing
#   install_venv DIR REQUIREMENT...           a virtual environment at DIR with these pip requirements
#
# PROBE tells whether a package is there: a command name, or an absolute path that must exist;
# without one, dpkg is asked. Only what is missing is installed, and each install prints one line
# on stderr, what and how long; the full apt-get, dpkg and pip output goes to INSTALL_LOG
# (.local/logs/install.log), whose last lines are shown when an install fails. Debian packages go
# in without their recommendations and without starting the distribution's services (the scripts
# run their own servers, on the same default ports). apt-get needs root: without it the functions
# say what to install and return 1.

INSTALL_LOG="${INSTALL_LOG:-$(pwd)/.local/logs/install.log}"

# install_begin WHAT: starts the line of one install.
install_begin() {
    mkdir -p "$(dirname "$INSTALL_LOG")"
    install_started=$(date +%s)
    printf '== %s (log: %s) %s\n' "$(date '+%F %T')" "$INSTALL_LOG" "$1" >>"$INSTALL_LOG"
    printf 'install: %s ... ' "$1" >&2
}

# install_end STATUS: ends the line with the time taken, or with the end of the log on failure.
install_end() {
    if [ "$1" = 0 ]; then
        echo "$(($(date +%s) - install_started)) s" >&2
        return 0
    fi
    echo "FAILED after $(($(date +%s) - install_started)) s; the end of $INSTALL_LOG:" >&2
    tail -n 20 "$INSTALL_LOG" | sed 's/^/    /' >&2
    return 1
}

# install_apt PACKAGE...: apt-get install, with an update first unless one ran within the last
# 6 hours (and again, then retried, when an install on older lists fails).
install_apt() {
    install_stamp="$(dirname "$INSTALL_LOG")/apt-updated"
    if [ -n "$(find "$install_stamp" -mmin -360 2>/dev/null)" ] && install_apt_get "$@"; then
        return 0
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$INSTALL_LOG" 2>&1 || return 1
    touch "$install_stamp"
    install_apt_get "$@"
}

install_apt_get() {
    # The distribution's services must not start on install (policy-rc.d: 101 forbids it).
    install_policy=/usr/sbin/policy-rc.d
    install_own_policy=""
    if [ ! -e "$install_policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$install_policy" && chmod +x "$install_policy" && install_own_policy=1
    fi
    install_status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$INSTALL_LOG" 2>&1 || install_status=$?
    [ -z "$install_own_policy" ] || rm -f "$install_policy"
    return "$install_status"
}

install_packages() {
    install_missing=""
    for install_wanted in "$@"; do
        install_package=${install_wanted%%:*}
        install_probe=${install_wanted#*:}
        case $install_wanted in
            *:/*) [ -e "$install_probe" ] && continue ;;
            *:*) command -v "$install_probe" >/dev/null 2>&1 && continue ;;
            *) dpkg-query -W -f='${Status}' "$install_package" 2>/dev/null | grep -q 'ok installed' && continue ;;
        esac
        install_missing="$install_missing $install_package"
    done
    [ -n "$install_missing" ] || return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "install: missing Debian packages; install them with: sudo apt-get install -y$install_missing" >&2
        return 1
    fi
    install_begin "apt-get install$install_missing"
    # shellcheck disable=SC2086 # a list of package names
    install_apt $install_missing
    install_end $?
}

install_venv() {
    install_dir=$1
    shift
    # Up to date when every requirement is met (read with the packaging library pip carries).
    if [ -x "$install_dir/bin/python" ] &&
        "$install_dir/bin/python" -c 'import sys
from importlib.metadata import version, PackageNotFoundError
from pip._vendor.packaging.requirements import Requirement
for text in sys.argv[1:]:
    requirement = Requirement(text)
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        sys.exit(1)
    if not requirement.specifier.contains(installed, prereleases=True):
        sys.exit(1)' "$@" 2>/dev/null; then
        return 0
    fi
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        install_packages python3:python3 python3-venv || return 1
    fi
    install_begin "pip install $* into $install_dir"
    install_status=0
    if [ ! -x "$install_dir/bin/python" ]; then
        rm -rf "$install_dir"
        python3 -m venv "$install_dir" >>"$INSTALL_LOG" 2>&1 || install_status=$?
    fi
    [ "$install_status" != 0 ] ||
        "$install_dir/bin/python" -m pip install --disable-pip-version-check --no-input "$@" >>"$INSTALL_LOG" 2>&1 || install_status=$?
    install_end "$install_status"
}
