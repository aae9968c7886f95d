//! End-to-end tests of filter expressions (`cat TRACE FILTER`, `-p FORMAT`,
//! per-field JSON, `eval --filter/--from/--to`, `replay --filter`) on the
//! bundled sample trace and rules.

use std::process::Output;

fn sample() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_trace())
}
fn rules() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_rules())
}

fn run(args: &[&str]) -> Output {
    sysreplay_testkit::cli!().output(args)
}

fn ok(args: &[&str]) -> String {
    sysreplay_testkit::cli!().ok(args)
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn cat_filter_selects_what_the_plain_listing_shows() {
    let s = sample();
    let all = json_lines(&ok(&["cat", &s, "--json"]));
    let expected: Vec<u64> = all
        .iter()
        .filter(|v| v["type"] == "openat" && v["proc"] == "cat")
        .map(|v| v["num"].as_u64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    let got: Vec<u64> = json_lines(&ok(&[
        "cat",
        &s,
        "--json",
        "evt.type=openat and proc.name=cat",
    ]))
    .iter()
    .map(|v| v["num"].as_u64().unwrap())
    .collect();
    assert_eq!(got, expected);
    // The words of a filter may come as separate arguments, as with sysdig.
    let words: Vec<u64> = json_lines(&ok(&[
        "cat",
        &s,
        "--json",
        "evt.type=openat",
        "and",
        "proc.name=cat",
    ]))
    .iter()
    .map(|v| v["num"].as_u64().unwrap())
    .collect();
    assert_eq!(words, expected);
}

#[test]
fn cat_filter_uses_state_fields_and_p_format() {
    let s = sample();
    let out = ok(&[
        "cat",
        &s,
        "-p",
        "%evt.num %proc.name %fd.name",
        "proc.name=cat and fd.name startswith /etc",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    let mut last = 0u64;
    for l in &lines {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f.len(), 3, "{l}");
        let n: u64 = f[0].parse().unwrap();
        assert!(n > last, "event numbers increase: {l}");
        last = n;
        assert_eq!(f[1], "cat", "{l}");
        assert!(f[2].starts_with("/etc"), "{l}");
    }
    // fd.name comes from the state engine: read/fstat/close of the fd
    // match too, not only the openat that named the file.
    assert!(
        ok(&["cat", &s, "proc.name=cat and fd.name startswith /etc"])
            .lines()
            .any(|l| !l.contains(" openat ")),
        "non-open syscalls on an /etc fd match"
    );
    // -p with --json: the format's fields, typed.
    let j = json_lines(&ok(&[
        "cat",
        &s,
        "--json",
        "-n",
        "3",
        "-p",
        "%evt.num %proc.name %fd.num",
        "evt.type=openat",
    ]));
    assert_eq!(j.len(), 3);
    assert!(
        j[0]["evt.num"].is_u64() || j[0]["evt.num"].is_i64(),
        "{}",
        j[0]
    );
    assert!(j[0]["proc.name"].is_string(), "{}", j[0]);
}

#[test]
fn cat_filter_uses_lists_and_macros_of_rules_files() {
    let s = sample();
    let r = rules();
    let with_macro = ok(&[
        "cat",
        &s,
        "-r",
        &r,
        "-p",
        "%evt.num",
        "open_call and proc.name in (shell_binaries)",
    ]);
    let expanded = ok(&[
        "cat",
        &s,
        "-p",
        "%evt.num",
        "evt.type in (open, openat, openat2) and proc.name in (sh, bash, dash, zsh)",
    ]);
    assert!(!expanded.is_empty());
    assert_eq!(with_macro, expanded);
}

#[test]
fn cat_json_has_one_key_per_argument() {
    let s = sample();
    let j = json_lines(&ok(&[
        "cat",
        &s,
        "--json",
        "-n",
        "1",
        "evt.type=openat and evt.res>=0",
    ]));
    let a = &j[0]["args"];
    assert!(a["fd"].is_i64(), "{a}");
    assert!(a["name"].as_str().unwrap().starts_with('/'), "{a}");
    assert!(a["dirfd"].is_string(), "-100(AT_FDCWD) stays text: {a}");
    let j = json_lines(&ok(&["cat", &s, "--json", "-n", "1", "-s", "procexec"]));
    assert!(j[0]["args"]["args"].is_array(), "{}", j[0]);
}

#[test]
fn bad_filter_and_format_are_input_errors_with_a_position() {
    let s = sample();
    let o = run(&["cat", &s, "proc.name=cat and"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("filter:1:"), "{e}");
    let o = run(&["cat", &s, "proc.nme=cat"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("proc.nme"));
    let o = run(&["cat", &s, "-p", "%evt.num %foo.bar"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("foo.bar") && e.contains("character 10"), "{e}");
}

#[test]
fn eval_filter_and_window_limit_the_evaluated_events() {
    let (s, r) = (sample(), rules());
    let all = json_lines(&ok(&["eval", &s, "-r", &r, "--json"]));
    assert!(all.iter().any(|a| a["output_fields"]["proc.name"] == "cat"));
    let f = json_lines(&ok(&[
        "eval",
        &s,
        "-r",
        &r,
        "--json",
        "--filter",
        "proc.name != cat",
    ]));
    assert!(!f.is_empty());
    assert!(f.iter().all(|a| a["output_fields"]["proc.name"] != "cat"));
    let expected: Vec<_> = all
        .iter()
        .filter(|a| a["output_fields"]["proc.name"] != "cat")
        .collect();
    assert_eq!(f.iter().collect::<Vec<_>>(), expected);

    // A window: the alerts of the whole run whose time falls in it (the
    // state engine still saw the events before).
    // The times of the first events at 100 ms and 300 ms bound the alerts
    // (ISO times of one day compare as strings).
    let at = |off: &str| -> String {
        json_lines(&ok(&["cat", &s, "--json", "-n", "1", "--from", off]))[0]["time"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (lo, hi) = (at("100ms"), at("300ms"));
    let w = json_lines(&ok(&[
        "eval", &s, "-r", &r, "--json", "--from", "100ms", "--to", "300ms",
    ]));
    let in_window: Vec<_> = all
        .iter()
        .filter(|a| {
            let t = a["time"].as_str().unwrap();
            t >= lo.as_str() && t < hi.as_str()
        })
        .collect();
    assert!(
        !w.is_empty() && w.len() < all.len(),
        "{} of {}",
        w.len(),
        all.len()
    );
    assert_eq!(w.iter().collect::<Vec<_>>(), in_window);
}

#[test]
fn replay_filter_replays_only_matching_records() {
    let (s, r) = (sample(), rules());
    let rep = |extra: &[&str]| -> serde_json::Value {
        let mut a = vec!["replay", &s, "-r", &r, "--speed", "max", "--json"];
        a.extend_from_slice(extra);
        serde_json::from_str(&ok(&a)).unwrap()
    };
    let all = rep(&[]);
    let some = rep(&["--filter", "proc.name != nginx"]);
    let n_all = all["drops"]["n_evts"].as_u64().unwrap();
    let n_some = some["drops"]["n_evts"].as_u64().unwrap();
    assert!(n_some > 0 && n_some < n_all, "{n_some} of {n_all}");
    assert_eq!(all["config"]["records_filtered_out"], 0);
    let out = some["config"]["records_filtered_out"].as_u64().unwrap();
    let nginx = ok(&["cat", &s, "-p", "%evt.num", "proc.name = nginx"])
        .lines()
        .count() as u64;
    // nginx's records are left out, and those without a proc.name (a
    // missing field makes every check false, `!=` too, as in Falco)
    assert!(out >= nginx && out > 0, "{out} {nginx}");
    // What the filter keeps is what `cat` with the same filter lists,
    // among the syscalls Falco selects.
    let none = rep(&["--filter", "proc.name = no-such-process"]);
    assert_eq!(none["drops"]["n_evts"].as_u64().unwrap(), 0);
}

#[test]
fn time_windows_read_alike_and_an_empty_one_is_an_error() {
    let (s, r) = (sample(), rules());
    // replay takes the units eval and cat take (it took bare seconds only)
    let rep = |from: &str, to: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&[
            "replay", &s, "-r", &r, "--speed", "max", "--json", "--from", from, "--to", to,
        ]))
        .unwrap()
    };
    let (a, b) = (rep("100ms", "0.3"), rep("0.1", "300ms"));
    assert_eq!(a["drops"]["n_evts"], b["drops"]["n_evts"]);
    let n = a["drops"]["n_evts"].as_u64().unwrap();
    let whole: serde_json::Value =
        serde_json::from_str(&ok(&["replay", &s, "-r", &r, "--speed", "max", "--json"])).unwrap();
    assert!(
        n > 0 && n < whole["drops"]["n_evts"].as_u64().unwrap(),
        "{n}"
    );
    // A window past the trace's end, or one that ends before it starts,
    // holds no event: exit 2 with the reason, in every command.
    let refused = |cmd: &[&str], window: &[&str], why: &str| {
        let args = [cmd, window].concat();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    };
    for cmd in [
        vec!["eval", &s, "-r", &r],
        vec!["cat", &s],
        vec!["replay", &s, "-r", &r],
    ] {
        refused(
            &cmd,
            &["--from", "1h"],
            "--from 1h is past the trace's end (",
        );
        refused(
            &cmd,
            &["--from", "200ms", "--to", "100ms"],
            "--to 100ms is not after --from 200ms",
        );
        // --to alone counts from the first event too
        refused(&cmd, &["--to", "0"], "--to 0 ends at the first event");
        // an offset past u64 nanoseconds is past the end, not a backwards window
        refused(
            &cmd,
            &["--from", "10000000h", "--to", "20000000h"],
            "--from 10000000h is past the trace's end",
        );
    }
    // --to alone keeps the events before it
    let w = ok(&["cat", &s, "-p", "%evt.num", "--to", "100ms"]);
    assert!(w.lines().count() > 0 && w.starts_with("1\n"), "{w}");
}
