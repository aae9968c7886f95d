#!/usr/bin/env python3
"""Spearman rank correlation between sysreplay's per-rule cost and sysdig's.

Usage: spearman.py OURS.json SYSDIG.tsv [--json] [--top N]

OURS.json   the output of `sysreplay replay TRACE -r RULES --speed max --profile --json`;
            its "rules" array holds {"name", "evaluations", "matches", "cost_ns",
            "work", "share"} per rule (cost_ns: measured time, work: counted
            deterministic work).
SYSDIG.tsv  the output of sysdig_rule_cost.sh: a header line, then
            `rule<TAB>sysdig_cost_ms` (NA where sysdig could not compile the rule).

OURS may also be a second sysdig TSV (a file starting with "rule<TAB>"): the
two sysdig runs are then compared with each other, which measures how
repeatable the sysdig side is, the ceiling for any agreement with it.

Two correlations are reported: sysdig's cost against our `cost_ns`, and
against our `work`. Rules are paired by name; a rule that is in only one
file, has NA on the sysdig side, or was never evaluated by sysreplay
(evaluations == 0: it costs nothing in Falco's event-type index, so there is
nothing to rank) is left out, and the report says how many. Ties get their
average rank (the usual definition); rho is Pearson's r of the ranks. The
p-value is two-sided, from 20,000 random permutations with a fixed seed (so
the output is deterministic). Standard library only.
"""

import argparse
import json
import math
import random
import sys


def fail(msg):
    print(f"spearman.py: {msg}", file=sys.stderr)
    sys.exit(2)


def ranks(xs):
    """Average ranks (1-based) with ties sharing the mean of their positions."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            r[order[k]] = avg
        i = j + 1
    return r


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sa = math.sqrt(sum((x - ma) ** 2 for x in a))
    sb = math.sqrt(sum((y - mb) ** 2 for y in b))
    if sa == 0 or sb == 0:
        return float("nan")
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (sa * sb)


def spearman(a, b):
    return pearson(ranks(a), ranks(b))


def permutation_p(a, b, rho, rounds=20000, seed=12):
    """Two-sided p: the share of shuffles with |rho'| >= |rho|."""
    if math.isnan(rho):
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    rng = random.Random(seed)
    rb = list(rb)
    hits = 0
    for _ in range(rounds):
        rng.shuffle(rb)
        if abs(pearson(ra, rb)) >= abs(rho) - 1e-12:
            hits += 1
    return (hits + 1) / (rounds + 1)


def load_ours(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(5)
    except OSError as e:
        fail(f"{path}: {e}")
    if head == "rule\t":
        costs, _ = load_sysdig(path)
        return {n: {"evaluations": 1, "cost_ns": c, "work": c} for n, c in costs.items()}
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list):
        fail(f'{path}: expected a JSON object with a "rules" array (sysreplay replay --profile --json)')
    out = {}
    for i, r in enumerate(rules):
        try:
            name = r["name"]
            out[name] = {
                "evaluations": int(r["evaluations"]),
                "cost_ns": float(r["cost_ns"]),
                "work": float(r["work"]),
            }
        except (KeyError, TypeError, ValueError) as e:
            fail(f'{path}: rules[{i}]: expected "name", "evaluations", "cost_ns" and "work" ({e!r})')
    return out


def load_sysdig(path):
    out, na = {}, []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        fail(f"{path}: {e}")
    if not lines or not lines[0].startswith("rule\t"):
        fail(f"{path}: line 1: expected the header 'rule<TAB>sysdig_cost_ms'")
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            fail(f"{path}: line {n}: expected 'rule<TAB>sysdig_cost_ms'")
        name, v = parts[0], parts[1]
        if v == "NA":
            na.append(name)
            continue
        try:
            out[name] = float(v)
        except ValueError:
            fail(f"{path}: line {n}: '{v}' is not a number or NA")
    return out, na


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ours")
    ap.add_argument("sysdig")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--top", type=int, default=10, help="rules listed per side (default 10)")
    a = ap.parse_args()
    ours = load_ours(a.ours)
    sysdig, na = load_sysdig(a.sysdig)

    never = sorted(n for n, r in ours.items() if r["evaluations"] == 0)
    paired = sorted(n for n in ours if n in sysdig and ours[n]["evaluations"] > 0)
    only_ours = sorted(n for n in ours if n not in sysdig and n not in na)
    only_sysdig = sorted(n for n in sysdig if n not in ours)
    if len(paired) < 3:
        fail(f"only {len(paired)} rule(s) in both files with evaluations > 0; need at least 3")

    s = [sysdig[n] for n in paired]
    result = {"n": len(paired)}
    for key in ("cost_ns", "work"):
        o = [ours[n][key] for n in paired]
        rho = spearman(o, s)
        result[key] = {"rho": rho, "p_permutation": permutation_p(o, s, rho)}
    result["left_out"] = {
        "never_evaluated": never,
        "sysdig_na": sorted(na),
        "only_in_ours": only_ours,
        "only_in_sysdig": only_sysdig,
    }
    top = a.top
    result["top_sysdig"] = sorted(paired, key=lambda n: -sysdig[n])[:top]
    result["top_cost_ns"] = sorted(paired, key=lambda n: -ours[n]["cost_ns"])[:top]
    result["top_work"] = sorted(paired, key=lambda n: -ours[n]["work"])[:top]

    if a.json:
        print(json.dumps(result, indent=2))
        return
    print(f"n = {result['n']} rules (evaluated by sysreplay and timed by sysdig)")
    for key in ("cost_ns", "work"):
        r = result[key]
        print(f"Spearman rho, sysdig cost vs our {key}: {r['rho']:.3f} (permutation p = {r['p_permutation']:.4f})")
    lo = result["left_out"]
    print(
        f"left out: {len(lo['never_evaluated'])} never evaluated, {len(lo['sysdig_na'])} NA in sysdig, "
        f"{len(lo['only_in_ours'])} only in ours, {len(lo['only_in_sysdig'])} only in sysdig"
    )
    print()
    print(f"top {top} by sysdig cost (ms) | our cost_ns rank | our work rank")
    rc = {n: i + 1 for i, n in enumerate(sorted(paired, key=lambda n: -ours[n]["cost_ns"]))}
    rw = {n: i + 1 for i, n in enumerate(sorted(paired, key=lambda n: -ours[n]["work"]))}
    for n in result["top_sysdig"]:
        print(f"  {sysdig[n]:9.1f}  {rc[n]:>4}  {rw[n]:>4}  {n}")


if __name__ == "__main__":
    main()
