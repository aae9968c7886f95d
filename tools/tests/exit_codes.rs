//! The exit-code table (README "Exit codes") over every subcommand: 0 ok,
//! 1 runtime failure, 2 usage or bad input (a missing input, an existing
//! output without --force, a bad option).

use std::path::PathBuf;
use std::process::Stdio;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn code(args: &[&str]) -> (Option<i32>, String) {
    let o = sysreplay_testkit::cli!()
        .command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sysreplay");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn expect(want: i32, args: &[&str]) {
    let (c, err) = code(args);
    assert_eq!(c, Some(want), "sysreplay {args:?}: {err}");
    if want != 0 {
        assert!(!err.trim().is_empty(), "sysreplay {args:?} says why");
    }
}

#[test]
fn every_subcommand_follows_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    let sample = root()
        .join("corpora/samples/synth-100k.srt")
        .display()
        .to_string();
    let rules = root()
        .join("corpora/rules/sample_rules.yaml")
        .display()
        .to_string();
    let (missing_trace, missing_rules, missing_scap) = (d("no.srt"), d("no.yaml"), d("no.scap"));
    let existing = d("exists.out");
    std::fs::write(&existing, b"keep me").unwrap();
    let out = d("out.srt");

    // Usage errors: clap's own, for every subcommand.
    for sub in [
        &["info"][..],
        &["cat"],
        &["synth"],
        &["import"],
        &["export"],
        &["eval"],
        &["replay"],
        &["rules", "check"],
        &["bench", "format"],
        &["bench", "rules"],
        &["record"],
        &["fields"],
        &["completions"],
        &["man"],
    ] {
        let mut a = sub.to_vec();
        a.push("--no-such-option");
        expect(2, &a);
    }

    // A missing input.
    expect(2, &["info", &missing_trace]);
    expect(2, &["cat", &missing_trace]);
    expect(2, &["eval", &missing_trace, "-r", &rules]);
    expect(2, &["replay", &missing_trace, "-r", &rules]);
    expect(2, &["export", &missing_trace, "-o", &d("x.scap")]);
    expect(2, &["import", &missing_scap, "-o", &d("x.srt")]);
    expect(
        2,
        &["bench", "rules", "-r", &rules, "--trace", &missing_trace],
    );
    // A missing rules file.
    expect(2, &["rules", "check", "-r", &missing_rules]);
    expect(2, &["eval", &sample, "-r", &missing_rules]);
    expect(2, &["replay", &sample, "-r", &missing_rules]);
    expect(2, &["bench", "rules", "-r", &missing_rules]);
    expect(2, &["record", "--rules", &missing_rules, "--dry-run"]);
    // A directory where a trace is expected.
    expect(2, &["info", &dir.path().display().to_string()]);

    // An existing output without --force, and the file is untouched.
    expect(2, &["synth", "-o", &existing, "--events", "10"]);
    expect(2, &["export", &sample, "-o", &existing]);
    let scap = d("s.scap");
    expect(0, &["export", &sample, "-o", &scap]);
    expect(2, &["import", &scap, "-o", &existing]);
    if sysreplay_testkit::is_root() {
        // Refused before the probe is loaded.
        expect(2, &["record", "-w", &existing, "--duration", "1s"]);
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");

    // Success.
    expect(0, &["synth", "-o", &out, "--events", "10"]);
    expect(0, &["info", &out]);
    expect(0, &["cat", &out]);
    expect(0, &["import", &scap, "-o", &d("back.srt")]);
    expect(0, &["rules", "check", "-r", &rules]);
    expect(0, &["eval", &out, "-r", &rules]);
    expect(0, &["replay", &out, "-r", &rules, "--speed", "max"]);
    expect(0, &["fields"]);
    expect(0, &["completions", "bash"]);
    expect(0, &["man"]);
}

#[test]
fn a_failure_while_running_is_1() {
    // stdout on a full device: the write fails mid-run, not the command line.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        sysreplay_testkit::skip("a_failure_while_running_is_1", "no /dev/full");
        return;
    };
    let sample = root().join("corpora/samples/synth-100k.srt");
    let st = sysreplay_testkit::cli!()
        .command()
        .arg("cat")
        .arg(&sample)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn swapped_trace_and_rules_or_no_rule_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("corpora/samples/synth-100k.srt");
    let rules = root().join("corpora/rules/sample_rules.yaml");
    let (sample, rules) = (sample.to_str().unwrap(), rules.to_str().unwrap());
    // the trace given to -r and the rules as the trace
    for cmd in ["eval", "replay"] {
        let (c, err) = code(&[cmd, rules, "-r", sample]);
        assert_eq!(c, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("synth-100k.srt: this is a sysreplay trace (.srt), not a rules file")
                && err.contains("swapped?"),
            "{cmd}: {err}"
        );
    }
    // rules read from a pipe reach the loader unread by the sniffer
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sysreplay"))
        .args(["rules", "check", "-r", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(root().join("corpora/rules/sample_rules.yaml")).unwrap();
    {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&text).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.starts_with("4 rules loaded from 1 file(s)"), "{out}");
    // an empty rules file: named, for eval (an error) and rules check (a warning)
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_str().unwrap();
    let (c, err) = code(&["eval", sample, "-r", empty]);
    assert_eq!(c, Some(2), "{err}");
    assert!(
        err.contains(&format!("no rule in {empty}: nothing to evaluate")),
        "{err}"
    );
    let (c, err) = code(&["rules", "check", "-r", empty]);
    assert_eq!(c, Some(0), "{err}");
    assert!(
        err.contains(&format!("warning: no rule in {empty}")),
        "{err}"
    );
}
