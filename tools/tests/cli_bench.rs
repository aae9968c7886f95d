//! The bench commands run end to end and report consistent numbers (no
//! timing assertions: machines are shared and noisy).

use std::path::PathBuf;

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = sysreplay_testkit::cli!()
        .command()
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn bench_format_reports_sizes_and_rates() {
    let v = run_json(&[
        "bench", "format", "--events", "50000", "--runs", "1", "--json",
    ]);
    assert_eq!(v["events"], 50000);
    let on_disk = v["bytes_per_event"].as_f64().unwrap();
    let raw = v["raw_bytes_per_event"].as_f64().unwrap();
    assert!(on_disk > 0.0 && on_disk < raw, "{v}");
    assert!((v["compression_ratio"].as_f64().unwrap() - raw / on_disk).abs() < 1e-6);
    for k in [
        "write_one_core_events_per_sec",
        "write_events_per_sec",
        "read_one_core_events_per_sec",
        "read_events_per_sec",
    ] {
        assert!(v[k].as_f64().unwrap() > 0.0, "{k}: {v}");
    }
}

#[test]
fn bench_rules_over_the_bundled_sample() {
    let v = run_json(&[
        "bench",
        "rules",
        "-r",
        "corpora/rules/sample_rules.yaml",
        "--trace",
        "corpora/samples/synth-100k.srt",
        "--passes",
        "1",
        "--json",
    ]);
    assert_eq!(v["enabled_rules"], 4);
    // Every pass starts from the snapshot, so it fires exactly what eval does.
    assert_eq!(v["alerts_per_pass"], 34);
    assert!(v["events_per_sec"].as_f64().unwrap() > 0.0);
    assert!(v["threads"].as_u64().unwrap() > 0 && v["bytes_per_fd"].as_u64().unwrap() > 0);
}

#[test]
fn bench_replay_compares_with_eval_on_the_bundled_sample() {
    let v = run_json(&[
        "bench",
        "replay",
        "corpora/samples/synth-100k.srt",
        "-r",
        "corpora/rules/sample_rules.yaml",
        "--rounds",
        "1",
        "--json",
    ]);
    // Both sides see the same alerts: the replay's selection keeps every
    // event these rules can fire on.
    assert_eq!(v["eval_alerts"], 34, "{v}");
    assert_eq!(v["replay_alerts"], 34, "{v}");
    assert!(v["eval_s"].as_f64().unwrap() > 0.0);
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 4, "{v}");
    for x in variants {
        let s = x["seconds"].as_f64().unwrap();
        let o = x["overhead_perc"].as_f64().unwrap();
        let want = 100.0 * (s / v["eval_s"].as_f64().unwrap() - 1.0);
        assert!((o - want).abs() < 1e-6, "{x}");
    }
    assert!(!v["cpu_model"].as_str().unwrap().is_empty());
}

#[test]
fn bench_format_text_lines_up() {
    let out = sysreplay_testkit::cli!()
        .command()
        .args(["bench", "format", "--events", "20000", "--runs", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // every measurement's number ends in the same column, no trailing blanks
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("events/s") || l.contains("bytes/event"))
        .collect();
    assert_eq!(rows.len(), 7, "{text}");
    let ends: Vec<usize> = rows
        .iter()
        .map(|l| l.find(" M events/s").or(l.find(" bytes/event")).unwrap())
        .collect();
    assert!(ends.iter().all(|&e| e == ends[0]), "{text}");
    assert!(text.lines().all(|l| l == l.trim_end()), "{text:?}");
}
