#!/usr/bin/env bash
# The "mixed" workload: for DURATION seconds (default 4), in parallel,
#  - a small web server (python3 -m http.server on 127.0.0.1) hit by curl in a loop,
#  - find + grep over /usr/include,
#  - tar of /usr/include/linux into a temporary directory,
#  - a compile loop of a tiny C file (gcc), running the result.
# Re-runnable: everything it writes is in a fresh temporary directory that is
# removed at the end. Needs bash 5, python3 ($PYTHON, default /usr/bin/python3), curl, gcc, tar, find, grep.
set -euo pipefail

DURATION=${1:-4}
# The system interpreter: a pyenv shim would add a shell and several processes per start.
PY=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d /tmp/sysreplay-workload.XXXXXX)
srv=
cleanup() {
    if [[ -n $srv ]]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

mkdir www
printf '<html><body>hello</body></html>\n' > www/index.html
seq 1 20000 > www/numbers.txt   # ~110 KB, a few reads per request
printf 'int main(void) { return 0; }\n' > t.c

# A free port (a small race with other binders; fine on a test VM).
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
srv=$!
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.05
done

end=$(( ${EPOCHREALTIME/./} + DURATION * 1000000 ))
running() { (( ${EPOCHREALTIME/./} < end )); }

web() {
    while running; do
        curl -s -o /dev/null "http://127.0.0.1:$port/index.html"
        curl -s -o /dev/null "http://127.0.0.1:$port/numbers.txt"
    done
}
search() {
    while running; do
        find /usr/include -name '*.h' -newer /usr/include/stdio.h > /dev/null 2>&1 || true
        grep -rl --include='*.h' 'EXPORT_SYMBOL' /usr/include/linux > /dev/null 2>&1 || true
    done
}
archive() {
    while running; do
        tar -cf archive.tar -C /usr/include linux
        rm -f archive.tar
    done
}
compile() {
    while running; do
        gcc -O0 -o t t.c
        ./t
    done
}

pids=()
web & pids+=($!)
search & pids+=($!)
archive & pids+=($!)
compile & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
