//! Messages that used to send users the wrong way: each names what the
//! file or option is and what to do instead.

fn sample() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_trace())
}
fn rules() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_rules())
}

/// (exit code, stdout, stderr)
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    sysreplay_testkit::cli!().run(args)
}

#[test]
fn info_on_a_capture_says_run_import() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample();
    for (name, extra) in [("c.scap.gz", &[][..]), ("c.scap", &["--no-gzip"][..])] {
        let p = dir.path().join(name).display().to_string();
        let mut a = vec!["export", s.as_str(), "-o", p.as_str()];
        a.extend_from_slice(extra);
        assert_eq!(run(&a).0, Some(0));
        for cmd in [&["info", p.as_str()][..], &["cat", p.as_str()][..]] {
            let (c, _, e) = run(cmd);
            assert_eq!(c, Some(2), "{e}");
            assert!(e.contains("sysdig/Falco capture"), "{e}");
            assert!(e.contains("sysreplay import"), "{e}");
            assert!(!e.contains("zstd"), "no block-layout talk: {e}");
        }
    }
}

#[test]
fn import_says_what_the_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.srt").display().to_string();
    let (c, _, e) = run(&["import", &sample(), "-o", &out]);
    assert_eq!(c, Some(2));
    assert!(e.contains("sysreplay trace (.srt) already"), "{e}");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "remember the milk\n").unwrap();
    let (c, _, e) = run(&["import", notes.to_str().unwrap(), "-o", &out]);
    assert_eq!(c, Some(2));
    // what the file is, first; the block reader's details after
    assert!(
        e.contains("notes.txt: this is a text file, not a readable scap file"),
        "{e}"
    );
    assert!(!dir.path().join("o.srt").exists());
}

#[test]
fn option_values_list_or_suggest_the_valid_ones() {
    let (c, _, e) = run(&["eval", &sample(), "-r", &rules(), "--min-priority", "warn"]);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("warning") && e.contains("informational") && e.contains("debug"),
        "{e}"
    );
    let (c, _, e) = run(&["cat", &sample(), "-s", "opnat"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("did you mean 'openat'"), "{e}");
    let (c, _, e) = run(&["cat", &sample(), "-s", "qqqqqqqq"]);
    assert_eq!(c, Some(2));
    assert!(!e.contains("did you mean"), "{e}");
}

#[test]
fn disabling_every_rule_is_an_error() {
    let (c, out, e) = run(&["eval", &sample(), "-r", &rules(), "--disable", "*"]);
    assert_eq!(c, Some(2), "{out}");
    assert!(
        e.contains("--disable '*'") && e.contains("nothing to evaluate"),
        "{e}"
    );
}

#[test]
fn rules_check_lists_all_and_points_output_errors_at_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.yaml");
    std::fs::write(
        &r,
        "- rule: any event\n  desc: d\n  condition: proc.name=x\n  output: ok\n  priority: WARNING\n",
    )
    .unwrap();
    let (c, out, e) = run(&["rules", "check", "-r", r.to_str().unwrap()]);
    assert_eq!(c, Some(0), "{e}");
    let line = out.lines().find(|l| l.contains("any event")).unwrap();
    assert!(line.ends_with("] all"), "{line}");
    std::fs::write(
        &r,
        "- rule: bad output\n  desc: d\n  condition: evt.type=openat\n  priority: WARNING\n  output: >\n    opened\n    %proc.nme\n",
    )
    .unwrap();
    let (c, _, e) = run(&["rules", "check", "-r", r.to_str().unwrap()]);
    assert_eq!(c, Some(2));
    // at the bad token (line 7 of a folded output), not the rule's first line
    assert!(e.contains("r.yaml:7:5:"), "{e}");
    assert!(e.contains("proc.nme"), "{e}");
}

#[test]
fn a_print_format_without_fields_is_warned_about() {
    // `-p 1234` meant as a pid (sysdig's -p is the format, as here)
    let (c, out, e) = run(&["cat", &sample(), "-p", "1234", "-n", "2"]);
    assert_eq!(c, Some(0), "{e}");
    assert_eq!(out, "1234\n1234\n");
    assert!(
        e.contains("-p '1234' has no %field") && e.contains("--pid selects a process"),
        "{e}"
    );
    let (_, _, e) = run(&["cat", &sample(), "-p", "%evt.num", "-n", "1"]);
    assert!(!e.contains("warning"), "{e}");
}
