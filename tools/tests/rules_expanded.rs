//! `rules check --expanded --json`: each rule's condition with lists,
//! macros and exceptions written out. A rules file made of those texts
//! alone must behave exactly like the original (same alerts per rule), and
//! sysdig 0.29.3 must accept them as filters (replay/validate times them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sysreplay_testkit as testkit;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

fn run_ok(c: &mut Command) -> String {
    testkit::run_ok(c).0
}

/// (name, priority, enabled, expanded condition) of every rule.
fn expanded(rules: &[PathBuf]) -> Vec<(String, String, bool, String)> {
    let mut c = bin();
    c.args(["rules", "check", "--expanded", "--json"]);
    for r in rules {
        c.arg("-r").arg(r);
    }
    let doc: serde_json::Value = serde_json::from_str(&run_ok(&mut c)).unwrap();
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["priority"].as_str().unwrap().to_string(),
                r["enabled"].as_bool().unwrap(),
                r["condition"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A rules file of the expanded conditions only (no lists, no macros).
fn flat_rules_file(dir: &Path, rules: &[(String, String, bool, String)]) -> PathBuf {
    let mut y = String::new();
    for (name, prio, enabled, cond) in rules {
        // JSON strings are YAML double-quoted scalars.
        y.push_str(&format!(
            "- rule: {}\n  desc: expanded\n  condition: {}\n  output: \"%evt.num\"\n  priority: {}\n  enabled: {}\n",
            serde_json::to_string(name).unwrap(),
            serde_json::to_string(cond).unwrap(),
            prio,
            enabled
        ));
    }
    let p = dir.join("flat.yaml");
    std::fs::write(&p, y).unwrap();
    p
}

fn alerts_per_rule(trace: &Path, rules: &[PathBuf]) -> BTreeMap<String, usize> {
    let mut c = bin();
    c.arg("eval")
        .arg(trace)
        .args(["--json", "--rule-matching", "all"]);
    for r in rules {
        c.arg("-r").arg(r);
    }
    let mut m = BTreeMap::new();
    for l in run_ok(&mut c).lines() {
        let a: serde_json::Value = serde_json::from_str(l).unwrap();
        *m.entry(a["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

fn same_alerts(rules: &[PathBuf], traces: &[PathBuf]) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let ex = expanded(rules);
    assert!(!ex.is_empty());
    let flat = flat_rules_file(tmp.path(), &ex);
    let mut total = 0;
    for t in traces {
        let a = alerts_per_rule(t, rules);
        let b = alerts_per_rule(t, std::slice::from_ref(&flat));
        assert_eq!(a, b, "{}", t.display());
        total += a.values().sum::<usize>();
    }
    total
}

#[test]
fn expanded_bundled_rules_give_the_same_alerts() {
    let root = testkit::repo_root();
    let n = same_alerts(
        &[root.join("corpora/rules/sample_rules.yaml")],
        &[root.join("corpora/samples/synth-100k.srt")],
    );
    assert!(n > 0, "the sample raises alerts");
}

#[test]
fn expanded_upstream_rules_give_the_same_alerts() {
    let up = testkit::require!(
        testkit::upstream(),
        "expanded_upstream_rules_give_the_same_alerts"
    );
    let root = testkit::repo_root();
    let rules: Vec<PathBuf> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| up.join("rules").join(f))
    .collect();
    let n = same_alerts(
        &rules,
        &[
            root.join("corpora/samples/synth-100k.srt"),
            root.join("corpora/real/mixed/trace.srt"),
        ],
    );
    assert!(n > 0, "the traces raise alerts with the upstream rules");
}

#[test]
fn sysdig_accepts_the_expanded_bundled_rules() {
    let sysdig = testkit::require!(
        testkit::sysdig(),
        "sysdig_accepts_the_expanded_bundled_rules"
    );
    let root = testkit::repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let scap = tmp.path().join("s.scap");
    run_ok(
        bin()
            .arg("export")
            .arg(root.join("corpora/samples/synth-100k.srt"))
            .arg("-o")
            .arg(&scap),
    );
    // sysdig 0.29.3 reads neither kind of quote inside the other unescaped.
    let quotes = tmp.path().join("quotes.yaml");
    std::fs::write(
        &quotes,
        "- rule: quotes\n  desc: d\n  condition: evt.type = execve and (proc.cmdline contains \"python -c 'import socket\" or proc.cmdline contains 'say \"hi\"')\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    let mut rules = expanded(&[root.join("corpora/rules/sample_rules.yaml")]);
    rules.extend(expanded(&[quotes]));
    for (name, _, _, cond) in rules {
        let o = Command::new(&sysdig)
            .arg("-r")
            .arg(&scap)
            .args(["-n", "1000", &cond])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {cond}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
