#!/usr/bin/env bash
# Record one of the real-workload traces of corpora/real (root; records the
# whole host).
#
#   corpora/real/record.sh NAME DURATION LEAD [sysreplay record options...]
#
# Starts `sysreplay record -w corpora/real/NAME/trace.srt --duration DURATION`
# with the given options, waits LEAD seconds (the recorder loads its probe and
# takes its /proc snapshot), runs corpora/real/NAME/workload.sh, waits for the
# recorder to stop, and writes corpora/real/NAME/README.md with the command,
# the date, the kernel, the CPU model and the trace's numbers. The whole run
# holds /tmp/sysreplay-record.lock, so only one recorder runs on the machine.
# Run from the repository root; SYSREPLAY overrides the binary
# (default target/release/sysreplay). An existing trace is kept unless FORCE=1.
set -euo pipefail

if (( $# < 3 )); then
    echo "usage: $0 NAME DURATION LEAD [sysreplay record options...]" >&2
    exit 2
fi
name=$1 duration=$2 lead=$3
shift 3
bin=${SYSREPLAY:-target/release/sysreplay}
dir=corpora/real/$name
[[ -x $dir/workload.sh ]] || { echo "$0: $dir/workload.sh: not found or not executable" >&2; exit 2; }
[[ -x $bin ]] || { echo "$0: $bin: not found (cargo build --release -p sysreplay)" >&2; exit 2; }
if [[ -e $dir/trace.srt && ${FORCE:-0} != 1 ]]; then
    echo "$0: $dir/trace.srt exists (FORCE=1 replaces it)" >&2
    exit 2
fi

tmp=$(mktemp -d /tmp/sysreplay-rec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
flock /tmp/sysreplay-record.lock bash -c '
    "$1" record -w "$2" --duration "$3" "${@:6}" & rec=$!
    sleep "$4"
    "$5"
    wait "$rec"
' record "$bin" "$tmp/trace.srt" "$duration" "$lead" "$dir/workload.sh" "$@" 2>&1 | tee "$tmp/record.log"

"$bin" info --json "$tmp/trace.srt" > "$tmp/info.json"
"$bin" info "$tmp/trace.srt" > "$tmp/info.txt"
mv -f "$tmp/trace.srt" "$dir/trace.srt"

kernel=$(uname -r)
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')
ncpu=$(nproc)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
desc=$(sed -n '2,/^set -euo pipefail/p' "$dir/workload.sh" | grep '^#' | sed 's/^# \{0,1\}//')

python3 - "$tmp/info.json" "$dir/README.md" "$name" "$duration" "$lead" "$date_utc" "$kernel" "$cpu" "$ncpu" "$rev" "$desc" "$*" <<'PY'
import json, sys
info, out, name, duration, lead, date, kernel, cpu, ncpu, rev, desc, opts = sys.argv[1:]
d = json.load(open(info))
s, h = d["summary"], d["header"]
drops = s["drops"]
top = sorted(s["per_syscall"], key=lambda x: -x[1])[:8] if s["per_syscall"] and isinstance(s["per_syscall"][0], list) else s["per_syscall"][:8]
def syscall_row(x):
    if isinstance(x, list):
        return f"{x[0]} {x[1]}"
    return f"{x.get('name')} {x.get('count')}"
lines = [
    f"# corpora/real/{name}",
    "",
    desc.strip(),
    "",
    "A real recording of this VM with `sysreplay record`. The recorder records the",
    "whole host, so whatever else ran (other people's builds, the agents' shells)",
    "is in the trace too, as on any real host. Regenerate with the command below",
    "(root); the numbers will differ, and the test `tools/tests/real_traces.rs`",
    "checks the event count of this file against the table, so update both.",
    "",
    "```sh",
    f"corpora/real/record.sh {name} {duration} {lead}{' ' + opts if opts else ''}",
    "```",
    "",
    "which runs, holding `/tmp/sysreplay-record.lock`:",
    "",
    "```sh",
    f"target/release/sysreplay record -w corpora/real/{name}/trace.srt --duration {duration}{' ' + opts if opts else ''} &",
    f"sleep {lead}; corpora/real/{name}/workload.sh",
    "```",
    "",
    "| | |",
    "|---|---|",
    f"| recorded | {date} |",
    f"| kernel | {kernel} |",
    f"| CPU | {cpu} ({ncpu} CPUs) |",
    f"| sysreplay | {h['tool_version']} (commit {rev}), trace format {h['format_version']} |",
    f"| syscalls selected | {len(h['config']['syscalls'])} |",
    f"| duration | {s['duration_ns'] / 1e9:.3f} s |",
    f"| events | {s['events']} |",
    f"| syscall events | {s['syscall_events']} |",
    f"| drops | {drops['lost']} events lost in {drops['markers']} drop markers |",
    f"| file size | {s['file_bytes']} bytes ({s['bytes_per_event']:.2f} bytes/event) |",
    f"| top syscalls | {', '.join(syscall_row(x) for x in top)} |",
    "",
]
open(out, "w").write("\n".join(lines))
PY
echo "wrote $dir/trace.srt and $dir/README.md"
