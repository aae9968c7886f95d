//! replay/validate: spearman.py's statistics and sysdig_rule_cost.sh end to
//! end on the bundled sample (needs python3; the second test also sysdig);
//! benches/sysdig_side_by_side.sh end to end on the same sample.

use std::path::{Path, PathBuf};
use std::process::Command;

use sysreplay_testkit as testkit;

fn python3() -> Result<PathBuf, String> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(PathBuf::from("python3"))
    } else {
        Err("needs python3".into())
    }
}

fn spearman(py: &Path, ours: &Path, sysdig: &Path) -> serde_json::Value {
    let o = Command::new(py)
        .arg(testkit::repo_root().join("replay/validate/spearman.py"))
        .arg(ours)
        .arg(sysdig)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn spearman_ranks_with_ties_and_leaves_out_what_it_must() {
    let py = testkit::require!(
        python3(),
        "spearman_ranks_with_ties_and_leaves_out_what_it_must"
    );
    let tmp = tempfile::tempdir().unwrap();
    // cost_ns ranks as sysdig does; work exactly reversed; "e" ties "d" in
    // work; "never" is not evaluated; "na" is NA in sysdig; "solo" is ours only.
    let ours = serde_json::json!({ "rules": [
        {"name": "a", "evaluations": 10, "matches": 0, "cost_ns": 100.0, "work": 50, "share": 0.1},
        {"name": "b", "evaluations": 10, "matches": 0, "cost_ns": 200.0, "work": 40, "share": 0.1},
        {"name": "c", "evaluations": 10, "matches": 1, "cost_ns": 300.0, "work": 30, "share": 0.1},
        {"name": "d", "evaluations": 10, "matches": 0, "cost_ns": 400.0, "work": 20, "share": 0.1},
        {"name": "e", "evaluations": 10, "matches": 0, "cost_ns": 500.0, "work": 20, "share": 0.1},
        {"name": "never", "evaluations": 0, "matches": 0, "cost_ns": 0.0, "work": 0, "share": 0.0},
        {"name": "na", "evaluations": 5, "matches": 0, "cost_ns": 9.0, "work": 9, "share": 0.0},
        {"name": "solo", "evaluations": 5, "matches": 0, "cost_ns": 9.0, "work": 9, "share": 0.0}
    ]});
    let op = tmp.path().join("ours.json");
    std::fs::write(&op, ours.to_string()).unwrap();
    let sp = tmp.path().join("sysdig.tsv");
    std::fs::write(
        &sp,
        "rule\tsysdig_cost_ms\na\t1.5\nb\t2\nc\t3.25\nd\t4\ne\t5\nnever\t7\nna\tNA\n",
    )
    .unwrap();
    let r = spearman(&py, &op, &sp);
    assert_eq!(r["n"], 5);
    assert!(
        (r["cost_ns"]["rho"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "{r}"
    );
    // work ranks 5,4,3,1.5,1.5 against 1..5: rho = -0.9746794344808963
    let w = r["work"]["rho"].as_f64().unwrap();
    assert!((w + 0.974_679_434_480_896_3).abs() < 1e-9, "{r}");
    assert_eq!(
        r["left_out"]["never_evaluated"],
        serde_json::json!(["never"])
    );
    assert_eq!(r["left_out"]["sysdig_na"], serde_json::json!(["na"]));
    assert_eq!(r["left_out"]["only_in_ours"], serde_json::json!(["solo"]));
    assert_eq!(r["top_sysdig"][0], "e");

    // A measured and two counted reports (one per trace): cost_ns comes
    // from the measured one, work from the counted ones, summed by rule.
    let report = |model: &str, rows: &[(&str, f64, u64)]| {
        serde_json::json!({
            "config": {"cost_model": model},
            "profile": {"rules": rows.iter().map(|(n, c, w)| serde_json::json!({
                "name": n, "evaluations": 3, "matches": 0, "cost_ns": c, "work": w, "share": 0.0
            })).collect::<Vec<_>>()}
        })
        .to_string()
    };
    let m = tmp.path().join("measured.json");
    let c1 = tmp.path().join("counted1.json");
    let c2 = tmp.path().join("counted2.json");
    std::fs::write(
        &m,
        report("measured", &[("a", 3.0, 0), ("b", 2.0, 0), ("c", 1.0, 0)]),
    )
    .unwrap();
    // Summed: a 10, b 20, c 30 (each alone would rank otherwise).
    std::fs::write(
        &c1,
        report("counted", &[("a", 9.0, 9), ("b", 1.0, 1), ("c", 0.0, 0)]),
    )
    .unwrap();
    std::fs::write(
        &c2,
        report(
            "counted",
            &[("a", 1.0, 1), ("b", 19.0, 19), ("c", 30.0, 30)],
        ),
    )
    .unwrap();
    std::fs::write(
        &sp,
        "rule\tother\tsysdig_cost_ms\na\t1\t30\nb\t2\t20\nc\t3\t10\n",
    )
    .unwrap();
    let o = Command::new(&py)
        .arg(testkit::repo_root().join("replay/validate/spearman.py"))
        .args([&m, &c1, &c2, &sp])
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["cost_ns"]["cost_model"], "measured");
    assert_eq!(r["work"]["cost_model"], "counted");
    assert!(
        (r["cost_ns"]["rho"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "{r}"
    );
    assert!(
        (r["work"]["rho"].as_f64().unwrap() + 1.0).abs() < 1e-12,
        "{r}"
    );
    // --column ranks another column of the TSV.
    let o = Command::new(&py)
        .arg(testkit::repo_root().join("replay/validate/spearman.py"))
        .args([&m, &sp])
        .args(["--json", "--column", "other"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        (r["cost_ns"]["rho"].as_f64().unwrap() + 1.0).abs() < 1e-12,
        "{r}"
    );
    // The measured report's work is all 0: no ranking, null rather than NaN.
    assert!(r["work"]["rho"].is_null(), "{r}");

    // Bad input: a clear message naming the file and line, exit 2.
    std::fs::write(&sp, "rule\tsysdig_cost_ms\na\tfast\n").unwrap();
    let o = Command::new(&py)
        .arg(testkit::repo_root().join("replay/validate/spearman.py"))
        .arg(&op)
        .arg(&sp)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sysdig.tsv: line 2: 'fast' is not a number"),
        "{err}"
    );
}

#[test]
fn sysdig_rule_cost_times_every_enabled_rule() {
    let py = testkit::require!(python3(), "sysdig_rule_cost_times_every_enabled_rule");
    testkit::require!(
        testkit::sysdig(),
        "sysdig_rule_cost_times_every_enabled_rule"
    );
    let root = testkit::repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let scap = tmp.path().join("s.scap");
    let o = sysreplay_testkit::cli!()
        .command()
        .arg("export")
        .arg(root.join("corpora/samples/synth-100k.srt"))
        .arg("-o")
        .arg(&scap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tsv = tmp.path().join("cost.tsv");
    let o = Command::new(root.join("replay/validate/sysdig_rule_cost.sh"))
        .args(["-n", "1", "-b", env!("CARGO_BIN_EXE_sysreplay"), "-o"])
        .arg(&tsv)
        .arg(&scap)
        .arg("--")
        .arg(root.join("corpora/rules/sample_rules.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("costliest rules in sysdig"), "{err}");
    let text = std::fs::read_to_string(&tsv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("rule\tsysdig_cost_ms"));
    let rows: Vec<(&str, f64)> = lines
        .map(|l| {
            let (n, c) = l.split_once('\t').unwrap();
            (n, c.parse().unwrap_or_else(|e| panic!("{l}: {e}")))
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        [
            "Shadow file read by an unexpected program",
            "Shell started by cron",
            "Outbound connection by a download tool",
            "File written under /tmp"
        ]
    );
    let details = std::fs::read_to_string(tmp.path().join("cost.details.tsv")).unwrap();
    assert_eq!(details.lines().count(), 5, "{details}");
    // The same file on both sides agrees with itself.
    let r = spearman(&py, &tsv, &tsv);
    assert_eq!(r["n"], 4);
    assert!(
        (r["cost_ns"]["rho"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "{r}"
    );
}

#[test]
fn sysdig_side_by_side_prints_both_cpu_times_and_their_ratio() {
    let name = "sysdig_side_by_side_prints_both_cpu_times_and_their_ratio";
    testkit::require!(python3(), name);
    testkit::require!(testkit::sysdig(), name);
    let root = testkit::repo_root();
    let run = |json: bool| {
        let mut c = Command::new(root.join("benches/sysdig_side_by_side.sh"));
        c.args(["-n", "1", "-b", env!("CARGO_BIN_EXE_sysreplay")]);
        if json {
            c.arg("-j");
        }
        c.arg(root.join("corpora/samples/synth-100k.srt"))
            .arg(root.join("corpora/rules/sample_rules.yaml"))
            .output()
            .unwrap()
    };
    let o = run(true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"], 100_002);
    assert_eq!(v["rules"], 4, "{v}");
    assert_eq!(v["left_out"], serde_json::json!({}));
    let (s, e) = (
        v["sysdig_cpu_s"].as_f64().unwrap(),
        v["eval_cpu_s"].as_f64().unwrap(),
    );
    assert!(s > 0.0 && e > 0.0, "{v}");
    assert!((v["eval_over_sysdig"].as_f64().unwrap() - e / s).abs() < 1e-9);
    // the sample's shadow reads, cron shells and /tmp writes alert on both sides
    assert!(v["eval_alerts"].as_u64().unwrap() > 0, "{v}");
    assert!(v["sysdig_matches"].as_u64().unwrap() > 0, "{v}");
    assert!(v["cpu"].as_str().is_some_and(|c| !c.is_empty()), "{v}");
    let o = run(false);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("eval / sysdig CPU time: "), "{text}");

    // -B: a second build in the same rotation (here the same binary: the
    // same alerts), with every side's least and median time.
    let o = Command::new(root.join("benches/sysdig_side_by_side.sh"))
        .args(["-n", "2", "-j", "-b", env!("CARGO_BIN_EXE_sysreplay")])
        .args(["-B", env!("CARGO_BIN_EXE_sysreplay")])
        .arg(root.join("corpora/samples/synth-100k.srt"))
        .arg(root.join("corpora/rules/sample_rules.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["other_eval_alerts"], v["eval_alerts"], "{v}");
    for side in ["sysdig", "eval", "other_eval"] {
        let best = v[format!("{side}_cpu_s")].as_f64().unwrap();
        let median = v[format!("{side}_cpu_median_s")].as_f64().unwrap();
        assert!(best > 0.0 && median >= best, "{side}: {v}");
    }
    let (s, o2) = (
        v["sysdig_cpu_s"].as_f64().unwrap(),
        v["other_eval_cpu_s"].as_f64().unwrap(),
    );
    assert!((v["other_over_sysdig"].as_f64().unwrap() - o2 / s).abs() < 1e-9);
    let o = Command::new(root.join("benches/sysdig_side_by_side.sh"))
        .args(["-b", env!("CARGO_BIN_EXE_sysreplay")])
        .args(["-B", "/nonexistent-sysreplay"])
        .arg(root.join("corpora/samples/synth-100k.srt"))
        .arg(root.join("corpora/rules/sample_rules.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("-B /nonexistent-sysreplay"));

    // -t: eval of a second trace with the same events in the same rotation
    // (the sample as format 1.0 wrote it: the same alerts); a trace of
    // other events is refused.
    let sample = root.join("corpora/samples/synth-100k.srt");
    let compat = |f: &str| root.join("corpora/samples/compat").join(f);
    let o = Command::new(root.join("benches/sysdig_side_by_side.sh"))
        .args(["-n", "1", "-j", "-b", env!("CARGO_BIN_EXE_sysreplay"), "-t"])
        .arg(compat("synth-100k-format-1.0.srt"))
        .arg(&sample)
        .arg(root.join("corpora/rules/sample_rules.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let other_trace = compat("synth-100k-format-1.0.srt");
    assert_eq!(v["other_trace"], other_trace.to_str().unwrap(), "{v}");
    assert_eq!(v["other"], env!("CARGO_BIN_EXE_sysreplay"), "{v}");
    assert_eq!(v["other_eval_alerts"], v["eval_alerts"], "{v}");
    assert!(v["other_eval_cpu_s"].as_f64().unwrap() > 0.0, "{v}");
    let o = Command::new(root.join("benches/sysdig_side_by_side.sh"))
        .args(["-n", "1", "-b", env!("CARGO_BIN_EXE_sysreplay"), "-t"])
        .arg(compat("synth-10k-format-2.0.srt"))
        .arg(&sample)
        .arg(root.join("corpora/rules/sample_rules.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("10002 events, not the 100002"), "{err}");

    // A trace that is not there: a clear message, exit 2.
    let o = Command::new(root.join("benches/sysdig_side_by_side.sh"))
        .arg("/nonexistent.srt")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.srt: not readable"));
}
