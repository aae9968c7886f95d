//! End-to-end tests of `sysreplay synth`, `info` and `cat` (no root needed).

use std::path::{Path, PathBuf};
use std::process::Output;

fn run(args: &[&str]) -> Output {
    sysreplay_testkit::cli!().output(args)
}

fn ok(args: &[&str]) -> String {
    sysreplay_testkit::cli!().ok(args)
}

fn synth(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let p = dir.join(name);
    let mut a = vec![
        "synth",
        "-o",
        p.to_str().unwrap(),
        "--events",
        "50000",
        "--seed",
        "7",
    ];
    a.extend_from_slice(extra);
    ok(&a);
    p
}

#[test]
fn synth_then_info_reports_counts_drops_and_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let p = synth(dir.path(), "s.srt", &["--drop-windows", "3"]);
    let j: serde_json::Value =
        serde_json::from_str(&ok(&["info", "--json", p.to_str().unwrap()])).unwrap();
    let s = &j["summary"];
    let markers = s["drops"]["markers"].as_u64().unwrap();
    assert_eq!(markers, 3, "three injected drop windows: {s}");
    assert_eq!(s["events"].as_u64().unwrap() - markers, 50_000);
    assert!(s["drops"]["lost"].as_u64().unwrap() > 0);
    let per_cat: u64 = s["drops"]["per_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_u64().unwrap())
        .sum();
    assert_eq!(
        per_cat + s["drops"]["other"].as_u64().unwrap(),
        s["drops"]["lost"].as_u64().unwrap()
    );
    assert!(
        s["per_syscall"].as_array().unwrap().len() > 10,
        "a realistic mix"
    );
    assert!(s["bytes_per_event"].as_f64().unwrap() < s["record_bytes_per_event"].as_f64().unwrap());
    assert_eq!(j["header"]["source"], "synth");
    assert!(s["truncated"].is_null());

    let text = ok(&["info", p.to_str().unwrap()]);
    assert!(text.contains("events:"), "{text}");
    assert!(text.contains("n_drops_buffer_open_exit"), "{text}");
    assert!(text.contains("bytes/event on disk"), "{text}");
}

#[test]
fn cat_filters_by_syscall_pid_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = synth(dir.path(), "s.srt", &[]);
    let f = p.to_str().unwrap();
    let all = ok(&["cat", f]);
    assert_eq!(all.lines().count(), 50_000);

    let opens = ok(&["cat", f, "-s", "openat"]);
    assert!(opens.lines().count() > 100);
    for l in opens.lines() {
        assert!(l.contains(" openat "), "{l}");
    }
    assert!(opens.contains("/etc/"), "opens show decoded paths");

    let execs = ok(&["cat", f, "-s", "execve,procexec"]);
    assert!(execs.lines().any(|l| l.contains(" procexec ")));

    let json = ok(&["cat", f, "--json", "-n", "200"]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    let pid = lines[150]["pid"].as_u64().unwrap();
    let by_pid = ok(&["cat", f, "--json", "--pid", &pid.to_string()]);
    assert!(!by_pid.is_empty());
    for l in by_pid.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["pid"].as_u64().unwrap(), pid);
    }

    // A time window is a strict subset, in order.
    let win = ok(&["cat", f, "--json", "--from", "0.05", "--to", "0.1"]);
    let ts: Vec<u64> = win
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["ts_ns"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(!ts.is_empty() && ts.len() < 50_000);
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn synth_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = synth(dir.path(), "a.srt", &[]);
    let b = synth(dir.path(), "b.srt", &[]);
    assert_eq!(
        ok(&["cat", a.to_str().unwrap()]),
        ok(&["cat", b.to_str().unwrap()])
    );
    let c = dir.path().join("c.srt");
    ok(&[
        "synth",
        "-o",
        c.to_str().unwrap(),
        "--events",
        "50000",
        "--seed",
        "8",
    ]);
    assert_ne!(
        ok(&["cat", a.to_str().unwrap()]),
        ok(&["cat", c.to_str().unwrap()])
    );
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let p = synth(dir.path(), "s.srt", &[]);
    let o = run(&["synth", "-o", p.to_str().unwrap(), "--events", "10"]);
    // an existing output without --force is a usage error (README "Exit codes")
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    ok(&[
        "synth",
        "-o",
        p.to_str().unwrap(),
        "--events",
        "10",
        "--force",
    ]);
}

#[test]
fn bad_and_truncated_input() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.srt");
    std::fs::write(&junk, b"this is not a trace at all").unwrap();
    let o = run(&["info", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("junk.srt")
            && err.contains("offset 0")
            && err.contains("not a sysreplay trace"),
        "{err}"
    );
    assert!(!err.contains("panicked"));

    let p = synth(dir.path(), "s.srt", &[]);
    let bytes = std::fs::read(&p).unwrap();
    let cut = dir.path().join("cut.srt");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let o = run(&["info", cut.to_str().unwrap()]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("TRUNCATED"), "{out}");
    let o = run(&["cat", cut.to_str().unwrap()]);
    assert!(o.status.success());
    let n = String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(n > 0 && n < 50_000, "{n}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated"));

    // Every command that reads events says when the file was cut short.
    let rules = sysreplay_testkit::sample_rules();
    let scap = dir.path().join("cut.scap");
    for args in [
        vec!["eval", cut.to_str().unwrap(), "-r", rules.to_str().unwrap()],
        vec![
            "export",
            cut.to_str().unwrap(),
            "-o",
            scap.to_str().unwrap(),
        ],
    ] {
        let o = run(&args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("warning") && err.contains("truncated"),
            "{args:?}: {err}"
        );
    }

    let o = run(&["cat", p.to_str().unwrap(), "-s", "notasyscall"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown syscall 'notasyscall'"));
}

#[test]
fn info_reports_the_files_own_format_version() {
    // the compat sample was written by format 1.0; new files are 2.0
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/samples/compat/synth-100k-format-1.0.srt");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["info", "--json", sample.to_str().unwrap()])).unwrap();
    assert_eq!(v["header"]["format_version"], "1.0");
    assert_eq!(
        v["columns"].as_array().unwrap().len(),
        11,
        "{}",
        v["columns"]
    );
    let dir = tempfile::tempdir().unwrap();
    let p = synth(dir.path(), "v.srt", &[]);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["info", "--json", p.to_str().unwrap()])).unwrap();
    assert_eq!(v["header"]["format_version"], "2.2");
    // where the bytes go: the 13 columns of a 2.0 file, adding up to the blocks
    let cols = v["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 13);
    assert_eq!(cols[12]["column"], "argdelta");
    let stored: u64 = cols.iter().map(|c| c["bytes"].as_u64().unwrap()).sum();
    assert!(stored > 0 && stored < v["summary"]["file_bytes"].as_u64().unwrap());
    assert!(ok(&["info", p.to_str().unwrap()]).contains("sysreplay trace 2.2"));
}

/// Every command that writes a trace or capture takes `-w FILE`, as
/// `record -w` and sysdig/tcpdump do, besides its `-o FILE`.
#[test]
fn writing_commands_take_dash_w_like_record() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("w.srt");
    let scap = dir.path().join("w.scap");
    let back = dir.path().join("back.srt");
    ok(&["synth", "-w", srt.to_str().unwrap(), "--events", "200"]);
    ok(&[
        "export",
        srt.to_str().unwrap(),
        "-w",
        scap.to_str().unwrap(),
    ]);
    ok(&[
        "import",
        scap.to_str().unwrap(),
        "--write",
        back.to_str().unwrap(),
    ]);
    for p in [&srt, &scap, &back] {
        assert!(std::fs::metadata(p).unwrap().len() > 0, "{}", p.display());
    }
    let info: serde_json::Value =
        serde_json::from_str(&ok(&["info", "--json", back.to_str().unwrap()])).unwrap();
    assert!(info["summary"]["events"].as_u64().unwrap() > 0, "{info}");
    let help = ok(&["synth", "--help"]);
    assert!(help.contains("-w") && help.contains("--write"), "{help}");
}

#[test]
fn info_says_unknown_for_what_an_import_does_not_record() {
    // the sample exported to .scap and imported back: no ring size, no
    // snap length and (the synthetic host) no kernel release
    let dir = tempfile::tempdir().unwrap();
    let sample =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpora/samples/synth-100k.srt");
    let scap = dir.path().join("s.scap");
    let back = dir.path().join("back.srt");
    ok(&[
        "export",
        sample.to_str().unwrap(),
        "-o",
        scap.to_str().unwrap(),
    ]);
    ok(&[
        "import",
        scap.to_str().unwrap(),
        "-o",
        back.to_str().unwrap(),
    ]);
    let text = ok(&["info", back.to_str().unwrap()]);
    assert!(text.contains("(kernel unknown, "), "{text}");
    assert!(
        text.contains(", buffer unknown, snaplen unknown, "),
        "{text}"
    );
    // a recording says what it had
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpora/real/burst/trace.srt");
    let text = ok(&["info", real.to_str().unwrap()]);
    assert!(
        text.contains("buffer 8388608 bytes per 2 CPU(s), snaplen 80"),
        "{text}"
    );
}
