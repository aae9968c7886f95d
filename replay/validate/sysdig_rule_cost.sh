#!/usr/bin/env bash
# Per-rule CPU cost of Falco rules in libsinsp, measured with sysdig
# (0.29.3, the version the project validates against).
#
#   replay/validate/sysdig_rule_cost.sh [options] FILE.scap [FILE.scap...] -- RULES.yaml [RULES.yaml...]
#
# Options:
#   -n RUNS     runs per rule and file, the best (least CPU) is kept (default 5)
#   -o OUT.tsv  where to write `rule<TAB>sysdig_cost_ms` (default: stdout);
#               OUT.details.tsv gets the raw numbers beside it
#   -b BIN      the sysreplay binary (default target/release/sysreplay)
#   -s SYSDIG   the sysdig binary (default sysdig)
#   -k COPIES   time each condition repeated COPIES times, or-ed (default 50;
#               fewer for a condition too long for one argument)
#   -a          also time each rule as a plain filter on every event
#
# Method (see replay/validate/README.md):
# 1. `sysreplay rules check -r RULES... --expanded --json` gives every enabled
#    rule's condition with lists substituted, macros expanded and exceptions
#    appended, every and/or group bracketed (sysdig refuses unbracketed
#    mixes), and the rule's event types.
# 2. Each condition is compiled once by sysdig (`-n 1`); a rule sysdig cannot
#    compile (a field newer than 0.29.3) gets NA, with sysdig's error in the
#    details file.
# 3. Falco evaluates a rule only on events of its types (its ruleset is
#    indexed by event type); sysdig evaluates a filter on every event. So each
#    rule is timed as `evt.type in (<its types>) and (<condition>)`, and its
#    type baseline as `evt.type in (<its types>) and evt.num=0`: both pay the
#    same reading, parsing, state engine, filter machinery and type test on
#    every event; the difference is what the rule's condition costs on the
#    events of its types, as in Falco. A rule without event types (all
#    events) is timed bare against the `evt.num=0` baseline. To lift the
#    rules that see few events above the noise of a shared machine, the
#    condition is repeated COPIES times, or-ed (`(C) or (C) or ...`): on an
#    event it does not match every copy is evaluated in full (libsinsp
#    0.29.3 caches no field values), and the difference is divided by
#    COPIES (fewer copies for a condition so long that COPIES of them would
#    not fit in one argument; the details' copies column). On a matching
#    event only the first copy runs, so a rule with many matches (the
#    details' matches column) is underestimated.
# 4. For each file, RUNS rounds; a round times the baselines and every rule
#    (`sysdig -r FILE "<filter>" -p %evt.num`), so that drift on a shared
#    machine hits all alike. The time is the child's user+sys CPU time
#    (wait4's rusage, kept to the scheduler's precision), not wall time. Each
#    filter keeps its best (least) run; a rule's cost is its best minus its
#    baseline's best, summed over the files, in ms (sysdig_cost_ms). With -a,
#    each rule is also timed bare on every event against `evt.num=0` (a
#    filter that never matches and costs one integer comparison per event):
#    all_events_cost_ms in the details, the rule as a plain sysdig filter.
set -euo pipefail

runs=5 out= bin=target/release/sysreplay sysdig=sysdig all=0 copies=50
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:o:b:s:k:ah" opt; do
    case $opt in
        a) all=1 ;;
        k) copies=$OPTARG ;;
        n) runs=$OPTARG ;;
        o) out=$OPTARG ;;
        b) bin=$OPTARG ;;
        s) sysdig=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
scaps=() rules=()
while (( $# )) && [[ $1 != -- ]]; do scaps+=("$1"); shift; done
(( $# )) && shift
rules=("$@")
(( ${#scaps[@]} && ${#rules[@]} )) || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n: expected a positive integer, got '$runs'" >&2; exit 2; }
[[ $copies =~ ^[1-9][0-9]*$ ]] || { echo "$0: -k: expected a positive integer, got '$copies'" >&2; exit 2; }
for f in "${scaps[@]}" "${rules[@]}"; do
    [[ -r $f ]] || { echo "$0: $f: not readable" >&2; exit 2; }
done
command -v "$sysdig" > /dev/null || { echo "$0: $sysdig not found (apt-get install -y --no-install-recommends sysdig)" >&2; exit 2; }
[[ -x $bin ]] || { echo "$0: $bin: not found (cargo build --release -p sysreplay)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/sysdig-rule-cost.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rargs=()
for r in "${rules[@]}"; do rargs+=(-r "$r"); done
"$bin" rules check "${rargs[@]}" --expanded --json > "$tmp/rules.json"

echo "sysdig: $("$sysdig" --version 2>&1 | head -1); runs: $runs; copies: $copies; files: ${scaps[*]}" >&2
python3 - "$tmp/rules.json" "$runs" "$sysdig" "${out:-}" "$all" "$copies" "${scaps[@]}" <<'PY'
import json, os, subprocess, sys, time

rules_json, runs, sysdig, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
all_events, copies = sys.argv[5] == "1", int(sys.argv[6])
scaps = sys.argv[7:]
rules = [r for r in json.load(open(rules_json))["rules"] if r["enabled"]]
FMT = ["-p", "%evt.num"]
BASELINE = "evt.num=0"


def cpu_run(path, cond):
    """(user+sys CPU seconds of sysdig, lines printed, exit status, stderr)."""
    p = subprocess.Popen([sysdig, "-r", path, cond] + FMT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = 0
    for chunk in iter(lambda: p.stdout.read(1 << 16), b""):
        lines += chunk.count(b"\n")
    err = p.stderr.read().decode(errors="replace").strip()
    _, status, ru = os.wait4(p.pid, 0)
    return ru.ru_utime + ru.ru_stime, lines, os.waitstatus_to_exitcode(status), err


def compiles(cond):
    """None, or sysdig's first error line."""
    try:
        p = subprocess.run([sysdig, "-r", scaps[0], "-n", "1", cond] + FMT,
                           capture_output=True, text=True)
    except OSError as e:  # E2BIG: over the kernel's 128 KiB per argument
        return f"cannot run sysdig with this filter ({len(cond)} bytes): {e}"
    if p.returncode == 0:
        return None
    return (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[0]


def types_test(rule):
    q = ", ".join('"%s"' % t for t in rule["event_types"])
    return f"evt.type in ({q})" if rule["event_types"] else None


# Linux takes at most 128 KiB per argument (MAX_ARG_STRLEN).
MAX_FILTER = 127 * 1024


def rule_copies(rule):
    """`copies`, or fewer for a long condition, to fit in one argument."""
    return max(1, min(copies, (MAX_FILTER - 1024) // (len(rule["condition"]) + 6)))


def indexed(rule):
    """The rule as Falco runs it: only on the events of its types; its
    condition rule_copies() times, or-ed (each copy is evaluated in full
    unless an earlier one matched: see the matches column)."""
    t = types_test(rule)
    c = " or ".join([f"({rule['condition']})"] * rule_copies(rule))
    return f"{t} and ({c})" if t else f"({c})"


def type_baseline(rule):
    t = types_test(rule)
    return f"{t} and evt.num=0" if t else BASELINE


na = {}
for r in rules:
    e = compiles(indexed(r))
    if e is None:
        e = compiles(type_baseline(r))
        if e is not None:
            e = "type baseline: " + e
    if e is not None:
        na[r["name"]] = e
timed = [r for r in rules if r["name"] not in na]
filters = {"<baseline>": BASELINE}
for r in timed:
    filters.setdefault("<types> " + type_baseline(r), type_baseline(r))
for r in timed:
    filters[r["name"]] = indexed(r)
    if all_events:
        filters["<all> " + r["name"]] = r["condition"]
print(f"{len(rules)} enabled rules, {len(timed)} compile in sysdig, {len(na)} NA; "
      f"{len({type_baseline(r) for r in timed})} event-type baselines", file=sys.stderr)

best = {}      # (file, key) -> best CPU seconds
matches = {}   # (file, key) -> lines printed
t0 = time.monotonic()
for rnd in range(runs):
    for path in scaps:
        for key, cond in filters.items():
            cpu, lines, rc, err = cpu_run(path, cond)
            if rc != 0:
                sys.exit(f"sysdig_rule_cost: sysdig failed on {path} with '{key}': {err}")
            k = (path, key)
            best[k] = min(best.get(k, float("inf")), cpu)
            matches[k] = lines
    print(f"round {rnd + 1}/{runs} done ({time.monotonic() - t0:.0f} s)", file=sys.stderr)


def total(key):
    return sum(best[(f, key)] for f in scaps)


rows, details = [], []
for r in rules:
    n = r["name"]
    types = ",".join(r["event_types"])
    if n in na:
        rows.append((n, "NA"))
        details.append([n, "NA", "NA", "", "", "", "", "", types, na[n]])
        continue
    tkey = "<types> " + type_baseline(r)
    cost = (total(n) - total(tkey)) / rule_copies(r)
    all_cost = f"{(total('<all> ' + n) - total('<baseline>')) * 1000:.3f}" if all_events else ""
    m = sum(matches[(f, n)] for f in scaps)
    rows.append((n, f"{cost * 1000:.3f}"))
    details.append([n, f"{cost * 1000:.3f}", all_cost, f"{total(n) * 1000:.3f}",
                    f"{total(tkey) * 1000:.3f}", f"{total('<baseline>') * 1000:.3f}",
                    str(rule_copies(r)), str(m), types, ""])

text = "rule\tsysdig_cost_ms\n" + "".join(f"{n}\t{c}\n" for n, c in rows)
if out:
    with open(out, "w") as f:
        f.write(text)
    with open(os.path.splitext(out)[0] + ".details.tsv", "w") as f:
        f.write("rule\tsysdig_cost_ms\tall_events_cost_ms\tbest_cpu_ms\ttype_baseline_cpu_ms"
                "\tbaseline_cpu_ms\tcopies\tmatches\tevent_types\tsysdig_error\n")
        for d in details:
            f.write("\t".join(d) + "\n")
else:
    sys.stdout.write(text)

ranked = sorted((float(c), n) for n, c in rows if c != "NA")[::-1]
print("\ncostliest rules in sysdig (ms of CPU over all files, on their event types):", file=sys.stderr)
for c, n in ranked[:10]:
    print(f"  {c:9.1f}  {n}", file=sys.stderr)
PY
