#!/usr/bin/env python3
"""Spearman rank correlation between sysreplay's per-rule cost and sysdig's.

Usage: spearman.py OURS.json [OURS.json...] SYSDIG.tsv [--json] [--top N]

OURS.json   the output of `sysreplay replay TRACE -r RULES --speed max --json`
            with --profile; its per-rule array ("rules", at the top or under
            "profile") holds {"name", "evaluations", "matches", "cost_ns",
            "work", "share"}. cost_ns is measured time under
            `--cost measured --profile` and counted work in reference ns under
            the default `--cost counted`, where "work" holds the raw count
            (0 under the measured model). Give both runs: our cost_ns is taken
            from the measured one and our work from the counted one (with one
            file, both come from it). Several reports of one model (one per
            trace, as sysdig_rule_cost.sh sums over its files) add up by rule.
SYSDIG.tsv  the output of sysdig_rule_cost.sh: a header line, then
            `rule<TAB>sysdig_cost_ms` (NA where sysdig could not compile the rule);
            --column picks another column of a TSV with a header (its
            .details.tsv has all_events_cost_ms).

OURS may also be a second sysdig TSV (a file starting with "rule<TAB>"): the
two sysdig runs are then compared with each other, which measures how
repeatable the sysdig side is, the ceiling for any agreement with it.

Two correlations are reported: sysdig's cost against our `cost_ns`, and
against our `work`. Rules are paired by name; a rule that is in only one
file, has NA on the sysdig side, or was never evaluated by sysreplay
(evaluations == 0: no event of its types, so nothing to rank) is left out,
and the report says how many. Ties get their average rank (the usual
definition); rho is Pearson's r of the ranks. The p-value is two-sided, from
20,000 random permutations with a fixed seed (so the output is
deterministic). Standard library only.
"""

import argparse
import json
import math
import random
import signal
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
    """(cost model, {name: {"evaluations", "cost_ns", "work"}})."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(5)
    except OSError as e:
        fail(f"{path}: {e}")
    if head == "rule\t":
        costs, _ = load_sysdig(path)
        return "sysdig", {n: {"evaluations": 1, "cost_ns": c, "work": c} for n, c in costs.items()}
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
    rules = None
    if isinstance(doc, dict):
        rules = doc.get("rules")
        if rules is None and isinstance(doc.get("profile"), dict):
            rules = doc["profile"].get("rules")
    if not isinstance(rules, list):
        fail(f'{path}: expected a JSON object with a "rules" array, at the top or under "profile" '
             "(sysreplay replay --profile --json)")
    model = (doc.get("config") or {}).get("cost_model", "unknown")
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
    return model, out


def load_sysdig(path, column="sysdig_cost_ms"):
    """({rule: cost}, [NA rules]) from a TSV with a header naming its columns."""
    out, na = {}, []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        fail(f"{path}: {e}")
    head = lines[0].split("\t") if lines else []
    if not head or head[0] != "rule" or column not in head:
        fail(f"{path}: line 1: expected a header 'rule<TAB>...' with a '{column}' column")
    col = head.index(column)
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) <= col:
            fail(f"{path}: line {n}: expected {len(head)} tab-separated columns")
        name, v = parts[0], parts[col]
        if v == "NA":
            na.append(name)
            continue
        try:
            out[name] = float(v)
        except ValueError:
            fail(f"{path}: line {n}: '{v}' is not a number or NA")
    return out, na


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ours", nargs="+", metavar="OURS.json", help="replay reports (measured and/or counted)")
    ap.add_argument("sysdig", metavar="SYSDIG.tsv")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--top", type=int, default=10, help="rules listed per side (default 10)")
    ap.add_argument("--column", default="sysdig_cost_ms",
                    help="the SYSDIG.tsv column to rank (e.g. all_events_cost_ms of a .details.tsv)")
    a = ap.parse_args()
    # Reports of the same cost model (one per trace) add up by rule name.
    groups = {}
    for p in a.ours:
        model, rules = load_ours(p)
        g = groups.setdefault(model, (model, [], {}))
        g[1].append(p)
        for n, r in rules.items():
            acc = g[2].setdefault(n, {"evaluations": 0, "cost_ns": 0.0, "work": 0.0})
            for k in acc:
                acc[k] += r[k]
    first = groups[load_ours(a.ours[0])[0]]
    sysdig, na = load_sysdig(a.sysdig, a.column)
    # cost_ns from measured runs and work from counted ones, when both are given.
    src = {
        "cost_ns": groups.get("measured", first),
        "work": groups.get("counted", first),
    }
    src = {k: (", ".join(g[1]), g[0], g[2]) for k, g in src.items()}
    ours = src["cost_ns"][2]
    if set(src["cost_ns"][2]) != set(src["work"][2]):
        fail("the measured and the counted reports profile different rules")

    never = sorted(n for n, r in ours.items() if r["evaluations"] == 0)
    paired = sorted(n for n in ours if n in sysdig and ours[n]["evaluations"] > 0)
    only_ours = sorted(n for n in ours if n not in sysdig and n not in na)
    only_sysdig = sorted(n for n in sysdig if n not in ours)
    if len(paired) < 3:
        fail(f"only {len(paired)} rule(s) in both files with evaluations > 0; need at least 3")

    s = [sysdig[n] for n in paired]
    result = {"n": len(paired)}
    for key in ("cost_ns", "work"):
        o = [src[key][2][n][key] for n in paired]
        rho = spearman(o, s)
        result[key] = {
            "rho": rho,
            "p_permutation": permutation_p(o, s, rho),
            "from": src[key][0],
            "cost_model": src[key][1],
        }
    result["left_out"] = {
        "never_evaluated": never,
        "sysdig_na": sorted(na),
        "only_in_ours": only_ours,
        "only_in_sysdig": only_sysdig,
    }
    top = a.top
    result["top_sysdig"] = sorted(paired, key=lambda n: -sysdig[n])[:top]
    result["top_cost_ns"] = sorted(paired, key=lambda n: -ours[n]["cost_ns"])[:top]
    result["top_work"] = sorted(paired, key=lambda n: -src["work"][2][n]["work"])[:top]

    if a.json:
        # NaN (a side with no spread, e.g. work under the measured model) is null.
        for key in ("cost_ns", "work"):
            for k in ("rho", "p_permutation"):
                if math.isnan(result[key][k]):
                    result[key][k] = None
        print(json.dumps(result, indent=2))
        return
    print(f"n = {result['n']} rules (evaluated by sysreplay and timed by sysdig)")
    for key in ("cost_ns", "work"):
        r = result[key]
        if math.isnan(r["rho"]):
            print(f"Spearman rho, sysdig cost vs our {key} ({r['cost_model']}, {r['from']}): "
                  f"undefined (all of our {key} values are equal)")
            continue
        # 5e-05 (1/20001) is the smallest p 20,000 permutations can give.
        print(f"Spearman rho, sysdig cost vs our {key} ({r['cost_model']}, {r['from']}): "
              f"{r['rho']:.3f} (permutation p = {r['p_permutation']:.2g})")
    lo = result["left_out"]
    print(
        f"left out: {len(lo['never_evaluated'])} never evaluated, {len(lo['sysdig_na'])} NA in sysdig, "
        f"{len(lo['only_in_ours'])} only in ours, {len(lo['only_in_sysdig'])} only in sysdig"
    )
    if top <= 0:
        return
    print()
    print(f"top {top} by sysdig {a.column} (ms) | our cost_ns rank | our work rank")
    rc = {n: i + 1 for i, n in enumerate(sorted(paired, key=lambda n: -ours[n]["cost_ns"]))}
    rw = {n: i + 1 for i, n in enumerate(sorted(paired, key=lambda n: -src["work"][2][n]["work"]))}
    for n in result["top_sysdig"]:
        print(f"  {sysdig[n]:9.1f}  {rc[n]:>4}  {rw[n]:>4}  {n}")


if __name__ == "__main__":
    main()
