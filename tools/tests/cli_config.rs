//! Rules directories, `-c falco.yaml` and `-o key=value`, as a Falco user
//! writes them.

use std::path::Path;

fn sample() -> String {
    sysreplay_testkit::arg(sysreplay_testkit::sample_trace())
}

fn sysreplay(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    sysreplay_testkit::cli!().run_in(dir, args)
}

/// rules.d/ with the sample rules, then a file that disables one of them
/// (it must load second), and a non-YAML file that must be skipped.
fn rules_dir(dir: &Path) {
    let d = dir.join("rules.d");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(sysreplay_testkit::sample_rules(), d.join("10-sample.yaml")).unwrap();
    std::fs::write(
        d.join("20-tune.yaml"),
        "- rule: Shell started by cron\n  enabled: false\n  override:\n    enabled: replace\n",
    )
    .unwrap();
    std::fs::write(d.join("README.txt"), "- not: yaml rules\n").unwrap();
}

#[test]
fn a_rules_directory_loads_its_yaml_files_in_name_order() {
    let t = tempfile::tempdir().unwrap();
    rules_dir(t.path());
    let (c, out, e) = sysreplay(t.path(), &["rules", "check", "-r", "rules.d"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(out.contains("from 2 file(s)"), "{out}");
    assert!(
        out.contains("Shell started by cron [Informational, disabled]"),
        "{out}"
    );
    let (c, out, e) = sysreplay(t.path(), &["eval", &sample(), "-r", "rules.d"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(
        !out.is_empty() && !out.contains("cron started a shell"),
        "{out}"
    );
}

#[test]
fn falco_yaml_and_overrides() {
    let t = tempfile::tempdir().unwrap();
    rules_dir(t.path());
    std::fs::write(
        t.path().join("falco.yaml"),
        "rules_files:\n  - rules.d\npriority: warning\ntime_format_iso_8601: true\njson_output: false\nappend_output:\n  - match:\n      source: syscall\n    extra_output: \"on cpu %evt.cpu\"\nstdout_output:\n  enabled: true\nengine:\n  kind: modern_ebpf\n  modern_ebpf:\n    buf_size_preset: 1\n    cpus_for_each_buffer: 1\n",
    )
    .unwrap();
    let s = sample();
    let (c, out, e) = sysreplay(t.path(), &["eval", &s, "-c", "falco.yaml"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(
        e.contains("ignoring keys this command does not use: engine, stdout_output"),
        "{e}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for l in &lines {
        // priority: warning keeps only the Warning rule; ISO times; append_output
        assert!(l.starts_with("2026-") && l.contains("Z: Warning "), "{l}");
        assert!(l.contains(" on cpu "), "{l}");
    }
    // evt.cpu read only by the output still gets each event's cpu (eval
    // skips the cpu column only when nothing reads it)
    assert!(lines.iter().any(|l| !l.ends_with(" on cpu 0")), "{lines:?}");
    // -o overrides the file, as Falco's
    let (c, out, e) = sysreplay(
        t.path(),
        &[
            "eval",
            &s,
            "-c",
            "falco.yaml",
            "-o",
            "json_output=true",
            "-o",
            "json_include_output_property=false",
            "-o",
            "priority=notice",
        ],
    );
    assert_eq!(c, Some(0), "{e}");
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(v.len() > lines.len());
    assert!(v
        .iter()
        .all(|a| a.get("output").is_none() && a["rule"].is_string()));
    // append_output.extra_fields: a field's value, and a fixed value with
    // ${VAR} from the environment, in output_fields only
    std::fs::write(
        t.path().join("extra.yaml"),
        "rules_files: [rules.d]\njson_output: true\nappend_output:\n  - match:\n      tags: [network]\n    extra_fields:\n      - evt.hostname\n      - team: \"${SR_TEST_TEAM}-sec\"\n",
    )
    .unwrap();
    let o = sysreplay_testkit::cli!()
        .command()
        .args(["eval", &s, "-c", "extra.yaml"])
        .env("SR_TEST_TEAM", "blue")
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let is_net = |a: &serde_json::Value| a["tags"].as_array().unwrap().contains(&"network".into());
    assert!(v.iter().any(is_net));
    for a in &v {
        if is_net(a) {
            assert_eq!(a["output_fields"]["evt.hostname"], "synth-host", "{a}");
            assert_eq!(a["output_fields"]["team"], "blue-sec", "{a}");
            assert!(!a["output"].as_str().unwrap().contains("blue"), "{a}");
        } else {
            assert!(a["output_fields"].get("team").is_none(), "{a}");
        }
    }
    // replay takes the engine settings
    let (c, out, e) = sysreplay(
        t.path(),
        &["replay", &s, "-c", "falco.yaml", "--speed", "max", "--json"],
    );
    assert_eq!(c, Some(0), "{e}");
    assert!(e.contains("ignoring keys this command does not use: json_output, stdout_output, time_format_iso_8601"), "{e}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["config"]["buf_size_preset"], 1, "{}", r["config"]);
    assert_eq!(r["config"]["cpus_for_each_buffer"], 1, "{}", r["config"]);
    // the command line wins over the file
    let (_, out, _) = sysreplay(
        t.path(),
        &[
            "replay",
            &s,
            "-c",
            "falco.yaml",
            "--speed",
            "max",
            "--json",
            "--buf-size-preset",
            "3",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["config"]["buf_size_preset"], 3);
    // an old config's rules_file
    std::fs::write(
        t.path().join("old.yaml"),
        "rules_file:\n  - rules.d/10-sample.yaml\n",
    )
    .unwrap();
    let (c, out, e) = sysreplay(t.path(), &["rules", "check", "-c", "old.yaml"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(
        out.contains("4 rules loaded from 1 file(s), 4 enabled"),
        "{out}"
    );
}

#[test]
fn bad_configs_are_input_errors() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("bad.yaml"), "rules_files: [a\npriority: x\n").unwrap();
    let (c, _, e) = sysreplay(t.path(), &["rules", "check", "-c", "bad.yaml"]);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("bad.yaml:") && e.contains("not valid YAML"),
        "{e}"
    );
    std::fs::write(
        t.path().join("p.yaml"),
        "engine:\n  modern_ebpf:\n    buf_size_preset: 12\n",
    )
    .unwrap();
    let (c, _, e) = sysreplay(
        t.path(),
        &["replay", &sample(), "-c", "p.yaml", "-r", "x.yaml"],
    );
    assert_eq!(c, Some(2));
    assert!(e.contains("buf_size_preset"), "{e}");
    let (c, _, e) = sysreplay(t.path(), &["eval", &sample(), "-o", "novalue"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("KEY=VALUE"), "{e}");
    let (c, _, e) = sysreplay(t.path(), &["eval", &sample()]);
    assert_eq!(c, Some(2));
    assert!(e.contains("no rules"), "{e}");
}

/// `record -c falco.yaml` takes the rules whose syscalls to record and
/// `base_syscalls` from the config (a dry run: no root needed).
#[test]
fn record_reads_rules_and_base_syscalls_from_falco_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let rules = sysreplay_testkit::sample_rules();
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files:\n  - {}\nbase_syscalls:\n  custom_set: [openat, execve, chmod]\n  repair: false\nwebserver:\n  enabled: true\n",
            rules.display()
        ),
    )
    .unwrap();
    let (code, out, err) = sysreplay(
        dir.path(),
        &["record", "-c", cfg.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(code, Some(0), "{err}");
    // The sample rules need connect; the custom set adds chmod.
    let last = out
        .lines()
        .find(|l| l.contains("x86_64 syscalls recorded"))
        .unwrap();
    for sc in ["connect", "openat", "execve", "chmod"] {
        assert!(last.contains(sc), "{sc} in {last}");
    }
    assert!(
        err.contains("ignoring keys") && err.contains("webserver"),
        "{err}"
    );
    // The command line wins over the config.
    let (code, out, _) = sysreplay(
        dir.path(),
        &[
            "record",
            "-c",
            cfg.to_str().unwrap(),
            "--syscalls",
            "close",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(0));
    let last = out
        .lines()
        .find(|l| l.contains("x86_64 syscalls recorded"))
        .unwrap();
    assert!(last.contains("close") && !last.contains("chmod"), "{last}");
}
