#!/usr/bin/env bash
# The whole validation in one command: export the real recordings to .scap,
# time every rule in sysdig, profile the same rules with `sysreplay replay`
# (measured and counted cost models) and print the rank correlations.
#
#   replay/validate/run.sh [-n RUNS] OUTDIR RULES.yaml [RULES.yaml...]
#
# Traces: corpora/real/*/trace.srt (override with TRACES="a.srt b.srt").
# Writes into OUTDIR (created; must not exist): the .scap exports,
# sysdig.tsv (+ sysdig.details.tsv), a second sysdig run sysdig2.tsv (the
# sysdig side's repeatability), ours-measured-*.json, ours-counted-*.json,
# and result.txt / result.json. Run from the repository root after
# `cargo build --release -p sysreplay`; needs sysdig 0.29.3 and python3.
set -euo pipefail

runs=5
while getopts "n:h" opt; do
    case $opt in
        n) runs=$OPTARG ;;
        *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
(( $# >= 2 )) || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
out=$1
shift
rules=("$@")
bin=${SYSREPLAY:-target/release/sysreplay}
here=$(dirname "$0")
[[ -x $bin ]] || { echo "$0: $bin: not found (cargo build --release -p sysreplay)" >&2; exit 2; }
mkdir "$out"   # fails if it exists: never mix two runs

read -r -a traces <<< "${TRACES:-$(ls corpora/real/*/trace.srt | tr '\n' ' ')}"
rargs=()
for r in "${rules[@]}"; do rargs+=(-r "$r"); done
scaps=()
for t in "${traces[@]}"; do
    name=$(basename "$(dirname "$t")")
    "$bin" export "$t" -o "$out/$name.scap" > /dev/null
    scaps+=("$out/$name.scap")
    "$bin" replay "$t" "${rargs[@]}" --speed max --cost measured --profile --json > "$out/ours-measured-$name.json"
    "$bin" replay "$t" "${rargs[@]}" --speed max --cost counted --profile --json > "$out/ours-counted-$name.json"
done
"$here/sysdig_rule_cost.sh" -a -n "$runs" -b "$bin" -o "$out/sysdig.tsv" "${scaps[@]}" -- "${rules[@]}" 2> "$out/sysdig.log"
"$here/sysdig_rule_cost.sh" -n "$runs" -b "$bin" -o "$out/sysdig2.tsv" "${scaps[@]}" -- "${rules[@]}" 2> "$out/sysdig2.log"
{
    echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ); kernel $(uname -r); CPU: $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs); $(sysdig --version 2>&1 | head -1); runs: $runs"
    echo "== traces: ${traces[*]}"
    echo "== rules: ${rules[*]}"
    echo "== sysdig (rule on its event types) vs ours"
    "$here/spearman.py" "$out"/ours-measured-*.json "$out"/ours-counted-*.json "$out/sysdig.tsv"
    echo "== sysdig (rule on every event, all_events_cost_ms) vs ours"
    "$here/spearman.py" "$out"/ours-measured-*.json "$out"/ours-counted-*.json "$out/sysdig.details.tsv" --column all_events_cost_ms
    echo "== repeatability: sysdig run 2 vs run 1"
    "$here/spearman.py" "$out/sysdig2.tsv" "$out/sysdig.tsv" --top 0
} | tee "$out/result.txt"
"$here/spearman.py" "$out"/ours-measured-*.json "$out"/ours-counted-*.json "$out/sysdig.tsv" --json > "$out/result.json"
