#!/usr/bin/env bash
# The "burst" workload: QUIET seconds (default 1.5) of nothing, then BURST
# seconds (default 0.5) of as many syscalls as two CPUs give:
#  - two processes opening and closing files in a tight loop (os.open/os.close
#    on /etc/hostname and on files of a temporary directory),
#  - two loops spawning short-lived processes (/bin/true) with fork+exec.
# For replay tests: a burst that overflows a small buffer preset and not a
# large one. Re-runnable: it writes only in a fresh temporary directory,
# removed at the end. Needs bash 5 and python3 ($PYTHON, default /usr/bin/python3).
set -euo pipefail

QUIET=${1:-1.5}
BURST=${2:-0.5}
PY=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d /tmp/sysreplay-workload.XXXXXX)
trap 'rm -rf "$work"' EXIT
for i in $(seq 0 63); do : > "$work/f$i"; done

# Start the interpreters before the quiet phase so the burst is the loops alone.
opener='
import os, sys, time
work, quiet, burst = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
paths = ["/etc/hostname"] + [f"{work}/f{i}" for i in range(64)]
time.sleep(quiet)
end = time.monotonic() + burst
n = 0
while time.monotonic() < end:
    for p in paths:
        os.close(os.open(p, os.O_RDONLY))
    n += len(paths)
print(n, file=sys.stderr)
'
"$PY" -c "$opener" "$work" "$QUIET" "$BURST" &
o1=$!
"$PY" -c "$opener" "$work" "$QUIET" "$BURST" &
o2=$!

sleep "$QUIET"
burst_us=$(awk -v b="$BURST" 'BEGIN { printf "%d", b * 1000000 }')
end=$(( ${EPOCHREALTIME/./} + burst_us ))
spawn() {
    while (( ${EPOCHREALTIME/./} < end )); do
        /bin/true
    done
}
spawn & s1=$!
spawn & s2=$!
wait "$o1" "$o2" "$s1" "$s2"
