#!/usr/bin/env bash
# sysreplay eval against libsinsp (sysdig 0.29.3) on the same events, with
# the same rules: prints the CPU time of each and their ratio.
#
#   benches/sysdig_side_by_side.sh [options] [TRACE.srt [RULES.yaml...]]
#
# TRACE defaults to corpora/real/mixed/trace.srt, RULES to Falco's stable
# rules (../shared/upstream/rules/falco_rules.yaml).
#
# Options:
#   -n RUNS     runs of each side; the least and the median CPU time are
#               kept (default 15)
#   -b BIN      the sysreplay binary (default target/release/sysreplay)
#   -B OTHER    a second sysreplay binary (an A/B of two builds): its eval
#               runs in the same rotation, on the same export and rules
#   -t OTHER    a second trace with the same events (the same recording in
#               another format version): eval of it runs in the same
#               rotation too (with -B, by the second binary)
#   -s SYSDIG   the sysdig binary (default sysdig)
#   -j          print one JSON object on stdout instead of text
#
# Method:
# 1. `sysreplay export` writes the trace as a .scap file (the same events;
#    sysdig reads them completely, tools/tests/real_traces.rs checks that).
# 2. `sysreplay rules check --expanded --json` gives every enabled rule's
#    condition with lists and macros expanded, exceptions appended and every
#    and/or group bracketed (the form sysdig accepts), and its event types.
#    Falco evaluates a rule only on the events of its types, so each rule
#    becomes `evt.type in (<types>) and (<condition>)`, and the rules are
#    or-ed into one sysdig filter: libsinsp reads, parses and tracks state
#    for every event and evaluates the rules on it, stopping at the first
#    that matches, as `sysreplay eval` does by default (rule_matching
#    first). Rules sysdig 0.29.3 cannot compile (fields newer than it) are
#    left out of both sides (`eval --disable`).
# 3. Each side runs RUNS times, alternating; the time is the child's
#    user+sys CPU time (wait4's rusage, all threads), not wall time, so a
#    busy machine disturbs it less; the median of the runs is given too
#    (steadier than the least when the machine is busy and RUNS is 15 or
#    more). Both print one line per match (sysdig
#    `-p %evt.num`, eval its alerts); the counts are shown side by side.
#    They differ where a rule also matches enter events: the export holds
#    an enter and an exit event per syscall, and sysdig evaluates both (as
#    Falco does with enter+exit drivers), eval one record per syscall.
set -euo pipefail

runs=15 bin=target/release/sysreplay other= other_trace= sysdig=sysdig json=0
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:b:B:t:s:jh" opt; do
    case $opt in
        n) runs=$OPTARG ;;
        b) bin=$OPTARG ;;
        B) other=$OPTARG ;;
        t) other_trace=$OPTARG ;;
        s) sysdig=$OPTARG ;;
        j) json=1 ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
trace=${1:-corpora/real/mixed/trace.srt}
(( $# )) && shift
rules=("$@")
(( ${#rules[@]} )) || rules=(../shared/upstream/rules/falco_rules.yaml)
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n: expected a positive integer, got '$runs'" >&2; exit 2; }
for f in "$trace" ${other_trace:+"$other_trace"} "${rules[@]}"; do
    [[ -r $f ]] || { echo "$0: $f: not readable" >&2; exit 2; }
done
command -v "$sysdig" > /dev/null || { echo "$0: $sysdig not found (apt-get install -y --no-install-recommends sysdig)" >&2; exit 2; }
[[ -x $bin ]] || { echo "$0: $bin: not found (cargo build --release -p sysreplay)" >&2; exit 2; }
[[ -z $other || -x $other ]] || { echo "$0: -B $other: not an executable" >&2; exit 2; }

tmp=$(mktemp -d /tmp/sysdig-side-by-side.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$bin" export "$trace" -o "$tmp/trace.scap" > /dev/null 2> "$tmp/export.err" \
    || { cat "$tmp/export.err" >&2; exit 1; }
rargs=()
for r in "${rules[@]}"; do rargs+=(-r "$r"); done
"$bin" rules check "${rargs[@]}" --expanded --json > "$tmp/rules.json"

python3 - "$bin" "$other" "$other_trace" "$sysdig" "$runs" "$json" "$trace" "$tmp/trace.scap" "$tmp/rules.json" "${rargs[@]}" <<'PY'
import json, os, platform, statistics, subprocess, sys

bin_, other, other_trace, sysdig, runs, as_json, trace, scap, rules_json = sys.argv[1:10]
runs, rargs = int(runs), sys.argv[10:]
rules = [r for r in json.load(open(rules_json))["rules"] if r["enabled"]]


def events_of(t):
    info = json.loads(subprocess.run([bin_, "info", "--json", t], capture_output=True,
                                     text=True, check=True).stdout)
    return info["summary"]["events"]


events = events_of(trace)
if other_trace and (n := events_of(other_trace)) != events:
    print(f"sysdig_side_by_side: -t {other_trace}: {n} events, not the {events} of {trace}",
          file=sys.stderr)
    sys.exit(2)


def indexed(r):
    q = ", ".join('"%s"' % t for t in r["event_types"])
    return f"evt.type in ({q}) and ({r['condition']})" if q else f"({r['condition']})"


def sysdig_error(cond):
    """None when sysdig compiles `cond`, else its first error line."""
    p = subprocess.run([sysdig, "-r", scap, "-n", "1", cond, "-p", "%evt.num"],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else (p.stderr.strip().splitlines() or ["?"])[0]


left_out = {r["name"]: e for r in rules if (e := sysdig_error(indexed(r)))}
kept = [r for r in rules if r["name"] not in left_out]
filt = " or ".join(f"({indexed(r)})" for r in kept)
if len(filt) > 127 * 1024:
    sys.exit(f"sysdig_side_by_side: the filter is {len(filt)} bytes, over one argument's 128 KiB")


def cpu_run(cmd):
    """(user+sys CPU seconds of the child, lines it printed)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = 0
    for chunk in iter(lambda: p.stdout.read(1 << 16), b""):
        lines += chunk.count(b"\n")
    err = p.stderr.read().decode(errors="replace").strip()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"sysdig_side_by_side: {cmd[0]} failed: {err}")
    return ru.ru_utime + ru.ru_stime, lines


disable = [a for r in left_out for a in ("--disable", r)]
sides = {
    "sysdig": [sysdig, "-r", scap, filt, "-p", "%evt.num"],
    "eval": [bin_, "eval", *rargs, *disable, "--no-drop-alerts", trace],
}

has_other = bool(other or other_trace)
if has_other:
    sides["other_eval"] = [other or bin_, *sides["eval"][1:-1], other_trace or trace]
times = {k: [] for k in sides}
lines = {}
for _ in range(runs):
    for k, cmd in sides.items():
        t, n = cpu_run(cmd)
        times[k].append(t)
        lines[k] = n
best = {k: min(v) for k, v in times.items()}
median = {k: statistics.median(v) for k, v in times.items()}

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), platform.processor() or "?")
sysdig_ver = subprocess.run([sysdig, "--version"], capture_output=True,
                            text=True).stdout.strip()
res = {
    "trace": trace, "events": events, "cpu": cpu, "cores": os.cpu_count(), "runs": runs,
    "sysdig": sysdig_ver, "rules": len(kept), "left_out": left_out,
    "sysdig_cpu_s": best["sysdig"], "eval_cpu_s": best["eval"],
    "sysdig_matches": lines["sysdig"], "eval_alerts": lines["eval"],
    "eval_over_sysdig": best["eval"] / best["sysdig"],
    "sysdig_cpu_median_s": median["sysdig"], "eval_cpu_median_s": median["eval"],
    "eval_over_sysdig_median": median["eval"] / median["sysdig"],
}
if has_other:
    res.update({
        "other": other or bin_, "other_trace": other_trace or trace,
        "other_eval_cpu_s": best["other_eval"],
        "other_eval_cpu_median_s": median["other_eval"],
        "other_eval_alerts": lines["other_eval"],
        "other_over_sysdig": best["other_eval"] / best["sysdig"],
        "other_over_sysdig_median": median["other_eval"] / median["sysdig"],
    })
if as_json == "1":
    print(json.dumps(res, indent=1))
else:
    print(f"{trace}: {events} events; {len(kept)} rules as one filter "
          f"({len(left_out)} left out: sysdig cannot compile them); {cpu}, {os.cpu_count()} cores; least and median of {runs} runs")
    for k in sides:
        n = "matches" if k == "sysdig" else "alerts"
        print(f"  {k:10} {best[k]:7.3f} s CPU, median {median[k]:.3f} "
              f"({events / best[k] / 1e6:5.2f} M events/s of CPU, {lines[k]} {n})")
    print(f"  eval / sysdig CPU time: {res['eval_over_sysdig']:.3f} "
          f"(libsinsp uses {1 / res['eval_over_sysdig']:.1f}x the CPU); "
          f"of the medians {res['eval_over_sysdig_median']:.3f}")
    if has_other:
        print(f"  other_eval / sysdig: {res['other_over_sysdig']:.3f}, "
              f"of the medians {res['other_over_sysdig_median']:.3f}")
    for r, e in left_out.items():
        print(f"  left out: {r}: {e}", file=sys.stderr)
PY
