//! `eval` puts Falco's "syscall event drop" alerts in the alert stream for a
//! trace with drop markers: once-per-second deltas, the threshold, the
//! 1-per-30-s rate limit, Falco's text and JSON shapes.

use std::path::Path;

fn sysreplay(args: &[&str]) -> (Option<i32>, String, String) {
    sysreplay_testkit::cli!().run(args)
}

fn rules() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_rules())
}

/// A synthetic trace with drop windows (lost counts from the generator).
fn trace(dir: &Path, events: &str, rate: &str) -> String {
    let p = dir.join(format!("t{events}.srt")).display().to_string();
    let (c, _, e) = sysreplay(&[
        "synth",
        "-o",
        &p,
        "--events",
        events,
        "--rate",
        rate,
        "--drop-windows",
        "3",
    ]);
    assert_eq!(c, Some(0), "{e}");
    p
}

fn drop_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.contains("Falco internal: syscall event drop"))
        .collect()
}

#[test]
fn drop_alert_text_json_threshold_and_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let t = trace(dir.path(), "20000", "2000");
    let r = rules();
    // The generator loses ~15 of ~2000 events in a second: under Falco's
    // default threshold (10%), no alert.
    let (c, out, e) = sysreplay(&["eval", &t, "-r", &r]);
    assert_eq!(c, Some(0), "{e}");
    assert!(drop_lines(&out).is_empty(), "{out}");
    // Threshold 0: three drop windows within 10 s, one alert (the bucket
    // refills one token per 30 s).
    let (c, out, e) = sysreplay(&["eval", &t, "-r", &r, "--drop-threshold", "0", "--stats"]);
    assert_eq!(c, Some(0), "{e}");
    let d = drop_lines(&out);
    assert_eq!(d.len(), 1, "{out}");
    assert!(
        e.contains("3 occurrences over the threshold, 1 alerts"),
        "{e}"
    );
    let l = d[0];
    assert!(
        l.contains(": Debug Falco internal: syscall event drop. 15 system calls dropped in last second. (ebpf_enabled=\"1\" n_drops=\"15\" "),
        "{l}"
    );
    assert!(
        l.contains("n_drops_buffer_total=\"15\"") && l.ends_with(')'),
        "{l}"
    );
    // one stream, in time order
    let times: Vec<&str> = out.lines().map(|l| l.split(": ").next().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    // JSON: Falco's handle_msg shape
    let (_, out, _) = sysreplay(&["eval", &t, "-r", &r, "--drop-threshold", "0", "--json"]);
    let d: Vec<serde_json::Value> = drop_lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["priority"], "Debug");
    assert_eq!(d[0]["source"], "internal");
    assert_eq!(d[0]["rule"], "Falco internal: syscall event drop");
    assert_eq!(d[0]["output_fields"]["n_drops"], "15");
    assert_eq!(
        d[0]["output"],
        "Falco internal: syscall event drop. 15 system calls dropped in last second."
    );
    // The drop alerts of `eval` over the trace with options `extra`.
    let alerts = |extra: &[&str]| -> usize {
        let args: Vec<&str> = ["eval", &t, "-r", &r]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let (_, out, _) = sysreplay(&args);
        drop_lines(&out).len()
    };
    // Falco's config can turn the alert action off; so can the option.
    let threshold_0 = "syscall_event_drops.threshold=0";
    let log_only = "syscall_event_drops.actions=[log]";
    assert_eq!(alerts(&["-o", threshold_0, "-o", log_only]), 0);
    assert_eq!(alerts(&["-o", threshold_0]), 1);
    assert_eq!(alerts(&["--drop-threshold", "0", "--no-drop-alerts"]), 0);
    // --from/--to: only the checks inside the window (the first drop, at
    // 1.7 s, is checked at 2.0 s after the first event)
    assert_eq!(alerts(&["--drop-threshold", "0", "--to", "1.9s"]), 0);
    assert_eq!(alerts(&["--drop-threshold", "0", "--from", "1.9s"]), 1);
}

#[test]
fn the_rate_limit_refills_over_event_time() {
    let dir = tempfile::tempdir().unwrap();
    // drop windows ~20 s apart: the second finds 0.67 token, suppressed
    let t = trace(dir.path(), "40000", "500");
    let (_, out, e) = sysreplay(&[
        "eval",
        &t,
        "-r",
        &rules(),
        "--drop-threshold",
        "0",
        "--stats",
    ]);
    assert_eq!(drop_lines(&out).len(), 1, "{out}");
    assert!(
        e.contains("2 occurrences over the threshold, 1 alerts"),
        "{e}"
    );
    // a faster bucket lets both through
    let (_, out, _) = sysreplay(&[
        "eval",
        &t,
        "-r",
        &rules(),
        "--drop-threshold",
        "0",
        "-o",
        "syscall_event_drops.rate=1",
    ]);
    assert_eq!(drop_lines(&out).len(), 2, "{out}");
}
