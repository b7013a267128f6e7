# bench/deb_src.sh - sourced by run.sh and memcached.sh: apt-get source needs a
# deb-src line, which a fresh Debian machine often lacks.
#
# add_deb_src LOG: adds a deb-src line for the machine's own Debian mirror and
# release, so that apt-get source works; only when there is none (and only as
# root).  apt-get update's output goes to LOG.  Returns 1 when it added nothing.
add_deb_src() {
    local log_file=$1 file=/etc/apt/sources.list.d/concwatch-bench-src.list codename uri keyring=""
    [ "$(id -u)" = 0 ] || return 1
    [ -e "$file" ] && return 1   # already added: adding again will not help
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 1
    uri=$(apt-cache policy 2>/dev/null | awk -v want="$codename/main" '
        $3 == want && $2 ~ /^https?:/ { u = $2; getline; if ($0 ~ /o=Debian,/) { print u; exit } }')
    [ -n "$uri" ] || return 1
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] &&
        keyring="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
    echo "deb-src $keyring$uri $codename main" >"$file" || return 1
    echo "bench: added $file (deb-src $uri $codename main)" >&2
    apt-get update -o Dir::Etc::sourcelist="$file" -o Dir::Etc::sourceparts=- \
        -o APT::Get::List-Cleanup=0 >>"$log_file" 2>&1
}
