#!/bin/sh
# Differential harness: our rule engine against sysdig 0.29.3 (libsinsp) on
# every upstream capture in ../shared/upstream and on exports of a recorded
# (corpora/real/burst) and a synthetic trace. Prints the agreement table of
# README.md's "Fidelity" section; fails on a difference that
# tools/tests/fidelity/known.tsv does not classify.
#   tools/fidelity.sh            everything (about 12 minutes, debug build)
#   tools/fidelity.sh --subset   the bounded subset CI runs
#   SYSREPLAY_FIDELITY_VERBOSE=1 tools/fidelity.sh   also every classified difference
#   SYSREPLAY_FIDELITY_ONLY=ping_sendto,export:synthetic tools/fidelity.sh   only these corpora
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--subset" ]; then
    unset SYSREPLAY_FIDELITY
else
    export SYSREPLAY_FIDELITY=full
fi
exec cargo test -p sysreplay --test fidelity -- --nocapture
