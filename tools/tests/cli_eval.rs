//! `sysreplay eval` and `sysreplay rules check` end to end: a synthetic trace
//! written with the trace writer, the upstream stable rules, alerts in text
//! and Falco JSON, bad input giving exit code 2 with file:line:column, and
//! the syscall selection `rules check` and `record --dry-run` both print.
//! Tests that need the upstream rules skip without ../shared (a SKIP line on
//! stderr; a failure under SYSREPLAY_REQUIRE=all).

use std::path::PathBuf;
use std::process::Command;

use sysreplay_synth::{self as synth, SynthConfig};

use sysreplay_testkit::run_ok;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

use sysreplay_testkit::stable_rules;

fn synth_trace(dir: &tempfile::TempDir, events: u64) -> (PathBuf, synth::SynthSummary) {
    let path = dir.path().join("t.srt");
    let cfg = SynthConfig::new(21, events);
    let s = synth::write_file(&cfg, &synth::header(&cfg), &path).unwrap();
    (path, s)
}

#[test]
fn eval_prints_falco_alerts_for_the_stable_rules() {
    let Some(rules) = stable_rules("eval_prints_falco_alerts_for_the_stable_rules") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (trace, summary) = synth_trace(&dir, 200_000);
    assert!(summary.sensitive_reads > 0);
    let (text, _) = run_ok(bin().arg("eval").arg(&trace).arg("-r").arg(&rules));
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Sensitive file opened for reading by non-trusted program"))
        .collect();
    assert_eq!(lines.len() as u64, summary.sensitive_reads);
    assert!(
        lines[0].contains(": Warning ") && lines[0].contains("file=/etc/shadow"),
        "{}",
        lines[0]
    );

    let out = bin()
        .arg("eval")
        .arg(&trace)
        .arg("-r")
        .arg(&rules)
        .args(["--json", "--rule-matching", "all"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for k in [
            "time",
            "rule",
            "priority",
            "output",
            "output_fields",
            "tags",
            "source",
            "hostname",
        ] {
            assert!(v.get(k).is_some(), "missing {k} in {l}");
        }
        assert_eq!(v["source"], "syscall");
        if v["rule"] == "Read sensitive file untrusted" {
            n += 1;
            assert_eq!(v["output_fields"]["fd.name"], "/etc/shadow");
            assert_eq!(v["output_fields"]["proc.name"], "cat");
        }
    }
    assert_eq!(n, summary.sensitive_reads);
}

#[test]
fn rules_check_lists_rules_and_the_syscall_sets() {
    let Some(rules) = stable_rules("rules_check_lists_rules_and_the_syscall_sets") else {
        return;
    };
    let (text, _) = run_ok(bin().args(["rules", "check", "-r"]).arg(&rules));
    assert!(
        text.contains("Read sensitive file untrusted [Warning] open,openat,openat2"),
        "{text}"
    );
    assert!(text.contains("(19) syscalls in rules:"));
    assert!(text.contains("(72) syscalls selected in total (final set):"));
    // container metadata: only container records (imported captures) give it
    let recs = text
        .split_once("Fields with a value only from container records")
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("container-record fields are reported: {text}"));
    assert!(recs.contains("  container.image.repository: "), "{text}");
    let out = bin()
        .args(["rules", "check", "--repair", "-r"])
        .arg(&rules)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("+(22) repaired syscalls:"), "{text}");
    assert!(
        text.contains("(41) syscalls selected in total (final set):"),
        "{text}"
    );
}

/// Runs `sysreplay ARGS RULES EXTRA`; stdout and stderr.
fn run_with_rules(args: &[&str], rules: &PathBuf, extra: &[&str]) -> (String, String) {
    let o = bin().args(args).arg(rules).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// `record --dry-run --rules` (no probe loaded, so no root needed) prints the
/// selection lines `rules check` prints: one implementation, Falco's names.
#[test]
fn record_dry_run_and_rules_check_print_the_same_selection() {
    let Some(rules) = stable_rules("record_dry_run_and_rules_check_print_the_same_selection")
    else {
        return;
    };
    for (extra, total) in [(&[][..], 72), (&["--repair"][..], 41)] {
        let (out, _) = run_with_rules(&["rules", "check", "-r"], &rules, extra);
        let (_, block) = out
            .split_once("Syscall selection (as `falco --dry-run` computes it):\n")
            .expect("rules check prints the selection");
        let check: Vec<&str> = block
            .lines()
            .map(|l| l.strip_prefix("  ").expect("indented"))
            .collect();
        let (rec_out, _) = run_with_rules(&["record", "--dry-run", "--rules"], &rules, extra);
        let record: Vec<&str> = rec_out.lines().collect();
        // Falco's lines, then what record records of them
        assert_eq!(
            check,
            record[..check.len().min(record.len())],
            "options {extra:?}"
        );
        assert!(
            record[check.len()..]
                .first()
                .is_some_and(|l| l.contains("x86_64 syscalls recorded: ")),
            "{record:?}"
        );
        assert_eq!(check.len(), 3, "{check:?}");
        assert!(check[0].starts_with("(19) syscalls in rules: connect, dup,"));
        let last = format!("({total}) syscalls selected in total (final set): ");
        assert!(check[2].starts_with(&last), "{}", check[2]);
        // Falco's spelling on both sides
        assert!(check[2].contains("sched_process_exit") && !out.contains("prlimit64"));
    }
}

#[test]
fn bad_rules_exit_2_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- rule: X\n  desc: d\n  condition: evt.type=open and\n    proc.name fooo bar\n  output: o\n  priority: INFO\n").unwrap();
    let bad_s = sysreplay_testkit::arg(&bad);
    let kit = sysreplay_testkit::cli!();
    let (code, _, err) = kit.run(&["rules", "check", "-r", &bad_s]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bad.yaml:4:15: error"), "{err}");
    assert!(err.contains("rule 'X'"), "{err}");
    std::fs::write(&bad, "- list: [unclosed\n").unwrap();
    assert_eq!(kit.run(&["rules", "check", "-r", &bad_s]).0, Some(2));
    let (trace, _) = synth_trace(&dir, 1000);
    let trace = sysreplay_testkit::arg(&trace);
    let (code, _, err) = kit.run(&["eval", &trace, "-r", &bad_s]);
    assert_eq!(code, Some(2));
    assert!(!err.contains("panicked"));
}

/// The exe flags are recorded (format 1.3): `rules check` no longer lists
/// proc.is_exe_writable/upper_layer among the fields with no value; the
/// executable's inode data still is.
#[test]
fn rules_check_lists_only_fields_the_trace_cannot_give() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("exe.yaml");
    let mut y = String::new();
    for (i, c) in [
        "proc.is_exe_writable = true",
        "proc.is_exe_upper_layer = true",
        "proc.is_exe_from_memfd = true",
        "proc.exe_ino.ctime > 0",
    ]
    .iter()
    .enumerate()
    {
        y.push_str(&format!(
            "- rule: R{i}\n  desc: d\n  condition: spawned_process and {c}\n  output: o\n  priority: INFO\n"
        ));
    }
    std::fs::write(
        &f,
        format!("- macro: spawned_process\n  condition: evt.type = execve and evt.dir = <\n{y}"),
    )
    .unwrap();
    let out = bin()
        .args(["rules", "check", "-r"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let (_, offline) = text
        .split_once("Fields with no value offline")
        .unwrap_or_else(|| panic!("{text}"));
    let offline = offline.split("\n\n").next().unwrap();
    assert!(offline.contains("proc.exe_ino.ctime: 1 rule"), "{offline}");
    for f in [
        "proc.is_exe_writable",
        "proc.is_exe_upper_layer",
        "proc.is_exe_from_memfd",
    ] {
        assert!(!offline.contains(f), "{f} in {offline}");
    }
}
