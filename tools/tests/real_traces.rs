//! The real recordings in corpora/real: each reads to its end with no
//! decode error, holds the number of events its README states, evaluates
//! with the bundled rules and with Falco's stable rules, and exports to a
//! .scap that sysdig 0.29.3 reads completely.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sysreplay_testkit as testkit;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

/// Every `corpora/real/<name>/` with a trace.
fn traces() -> Vec<PathBuf> {
    let dir = testkit::repo_root().join("corpora/real");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("trace.srt").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 3, "corpora/real holds {} traces", v.len());
    v
}

/// The `| events | N |` row of the trace's README.
fn readme_events(dir: &Path) -> u64 {
    let p = dir.join("README.md");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let row = text
        .lines()
        .find(|l| l.starts_with("| events |"))
        .unwrap_or_else(|| panic!("{}: no '| events | N |' row", p.display()));
    row.trim_matches(|c: char| c == '|' || c.is_whitespace())
        .trim_start_matches("events")
        .trim_matches(|c: char| c == '|' || c.is_whitespace())
        .parse()
        .unwrap_or_else(|e| panic!("{}: {row}: {e}", p.display()))
}

use sysreplay_testkit::run_ok;

/// `eval --stats`: the events it processed (the whole file, or it fails).
fn eval_events(trace: &Path, rules: &Path) -> u64 {
    let (_, err) = run_ok(
        bin()
            .arg("eval")
            .arg(trace)
            .arg("-r")
            .arg(rules)
            .arg("--stats"),
    );
    let line = err
        .lines()
        .find(|l| l.starts_with("events: "))
        .unwrap_or_else(|| panic!("no stats line in\n{err}"));
    line["events: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn real_traces_read_completely_with_the_stated_event_count() {
    for dir in traces() {
        let trace = dir.join("trace.srt");
        let (out, _) = run_ok(bin().args(["info", "--json"]).arg(&trace));
        let info: serde_json::Value = serde_json::from_str(&out).unwrap();
        let s = &info["summary"];
        assert!(
            s["truncated"].is_null(),
            "{}: {}",
            trace.display(),
            s["truncated"]
        );
        assert_eq!(s["events"], readme_events(&dir), "{}", trace.display());
        assert_eq!(
            info["header"]["source"],
            "ebpf",
            "{}: a real recording",
            trace.display()
        );
        // The sample rules: every event goes through the state engine.
        let rules = testkit::repo_root().join("corpora/rules/sample_rules.yaml");
        assert_eq!(
            eval_events(&trace, &rules),
            readme_events(&dir),
            "{}",
            trace.display()
        );
    }
}

#[test]
fn real_traces_evaluate_with_falcos_stable_rules() {
    let rules = testkit::require!(
        testkit::upstream_rules("falco_rules.yaml"),
        "real_traces_evaluate_with_falcos_stable_rules"
    );
    for dir in traces() {
        assert_eq!(
            eval_events(&dir.join("trace.srt"), &rules),
            readme_events(&dir),
            "{}",
            dir.display()
        );
    }
}

/// Real hosts have what synthetic traces lack (command lines over 4 KiB,
/// bpf and memfd fds): sysdig 0.29.3 once refused these exports whole.
#[test]
fn sysdig_reads_every_event_of_the_real_traces_exports() {
    let sysdig = testkit::require!(
        testkit::sysdig(),
        "sysdig_reads_every_event_of_the_real_traces_exports"
    );
    let tmp = tempfile::tempdir().unwrap();
    for dir in traces() {
        let scap = tmp.path().join("t.scap");
        let (out, _) = run_ok(
            bin()
                .arg("export")
                .arg(dir.join("trace.srt"))
                .arg("-o")
                .arg(&scap)
                .args(["--force", "--json", "--no-gzip"]),
        );
        let rep: serde_json::Value = serde_json::from_str(&out).unwrap();
        let events = rep["events"]
            .as_u64()
            .unwrap_or_else(|| panic!("no events in {out}"));
        // sysdig hides drop events (EC_INTERNAL in libscap 2022): one enter
        // and one exit per drop marker.
        let exported = events - 2 * rep["drop_markers"].as_u64().unwrap();
        // One line per event; `-p %evt.num` keeps the output small.
        let o = Command::new(&sysdig)
            .arg("-r")
            .arg(&scap)
            .args(["-p", "%evt.num"])
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{}: sysdig: {err}", dir.display());
        let lines = o.stdout.iter().filter(|&&c| c == b'\n').count() as u64;
        assert_eq!(lines, exported, "{}: sysdig: {err}", dir.display());
    }
}

/// `burst` is 1.5 s of quiet then 0.5 s of ~0.7 M events/s: under the
/// deterministic (counted) cost model it overflows Falco's smallest ring
/// (preset 1, 1 MiB) during the burst only, and not the default (preset 4).
#[test]
fn burst_overflows_a_small_buffer_preset_and_not_a_large_one() {
    let rules = testkit::require!(
        testkit::upstream_rules("falco_rules.yaml"),
        "burst_overflows_a_small_buffer_preset_and_not_a_large_one"
    );
    let trace = testkit::repo_root().join("corpora/real/burst/trace.srt");
    let drops = |preset: &str| -> serde_json::Value {
        let (out, _) = run_ok(bin().arg("replay").arg(&trace).arg("-r").arg(&rules).args([
            "--cost",
            "counted",
            "--buf-size-preset",
            preset,
            "--json",
        ]));
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        r["drops"].clone()
    };
    let small = drops("1");
    let n = small["n_drops"].as_u64().unwrap();
    assert!(n > 0, "{small}");
    let per_cat: u64 = small["per_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["drops"].as_u64().unwrap())
        .sum();
    assert_eq!(per_cat, n, "{small}");
    for w in small["windows"].as_array().unwrap() {
        assert!(
            w["start_ns"].as_u64().unwrap() >= 2_000_000_000,
            "drops only in the burst: {w}"
        );
    }
    // With the counted model calibrated on libsinsp, the burst overflows
    // Falco's default 8 MiB too (preset 4: ~3% drops); 16 MiB holds it.
    let large = drops("5");
    assert_eq!(large["n_drops"], 0, "{large}");
}
