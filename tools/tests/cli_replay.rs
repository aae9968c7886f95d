//! `sysreplay replay` end to end on synthetic traces (and the committed
//! real recordings): drops appear under a small buffer and not a large one,
//! categories and CPUs add up, the counted model is deterministic, a what-if
//! that disables the costliest rule lowers drops, recorder drops stay
//! separate, and bad options and a trace lacking selected syscalls are said
//! clearly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sysreplay_format::TraceReader;
use sysreplay_synth::{self as synth, SynthConfig};
use sysreplay_syscalls as syscalls;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

use sysreplay_testkit::{sample_rules, sample_trace};

fn synth_trace(dir: &Path, events: u64, syscalls_recorded: &[&str]) -> PathBuf {
    let path = dir.join(format!("t-{events}-{}.srt", syscalls_recorded.len()));
    let cfg = SynthConfig::new(9, events);
    let mut header = synth::header(&cfg);
    header.config.syscalls = syscalls_recorded
        .iter()
        .map(|n| syscalls::number(n).unwrap())
        .collect();
    synth::write_file(&cfg, &header, &path).unwrap();
    path
}

fn replay(args: &[&str]) -> Output {
    bin().arg("replay").args(args).output().unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let o = replay(&a);
    assert!(
        o.status.success(),
        "replay {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn a_burst_overflows_a_small_preset_and_not_a_large_one() {
    let t = sample_trace();
    let r = sample_rules();
    let (t, r) = (t.to_str().unwrap(), r.to_str().unwrap());
    for driver in ["modern-ebpf", "kmod"] {
        let small = json(&[
            t,
            "-r",
            r,
            "--rate",
            "3M",
            "--buf-size-preset",
            "1",
            "--driver",
            driver,
        ]);
        let large = json(&[
            t,
            "-r",
            r,
            "--rate",
            "3M",
            "--buf-size-preset",
            "8",
            "--driver",
            driver,
        ]);
        assert!(
            u(&small["drops"]["n_drops"]) > 0,
            "{driver}: {}",
            small["drops"]
        );
        assert_eq!(u(&large["drops"]["n_drops"]), 0, "{driver}");
        assert_eq!(small["drops"]["n_evts"], large["drops"]["n_evts"]);
        // Dropped events never reach the engine.
        assert!(u(&small["consumer"]["engine_events"]) < u(&large["consumer"]["engine_events"]));
        // Drops per category and per CPU add up to the total.
        let sum = |list: &str, key: &str| -> u64 {
            let rows = small["drops"][list].as_array().unwrap();
            rows.iter().map(|c| u(&c[key])).sum()
        };
        let cats = sum("per_category", "drops");
        let cpus = sum("per_cpu", "n_drops");
        let windows = sum("windows", "drops");
        let total = u(&small["drops"]["n_drops"]);
        assert_eq!((cats, cpus, windows), (total, total, total), "{driver}");
        // Falco's categories are there by their metric names.
        assert!(small["drops"]["per_category"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["metric"] == "scap.n_drops_buffer_open_exit" && u(&c["drops"]) > 0));
    }
}

#[test]
fn the_counted_model_gives_identical_output_twice() {
    let t = sample_trace();
    let r = sample_rules();
    let args = [
        t.to_str().unwrap(),
        "-r",
        r.to_str().unwrap(),
        "--rate",
        "2.5M",
        "--buf-size-preset",
        "1",
    ];
    let a = replay(&args);
    let b = replay(&args);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let text = String::from_utf8_lossy(&a.stdout);
    assert!(text.contains("VERDICT: DROPS"), "{text}");
    assert!(text.contains("counted work"), "the model is stated: {text}");
    assert!(
        text.contains("--profile adds"),
        "how to see inside rules: {text}"
    );
    let ja = json(&args);
    let jb = json(&args);
    assert_eq!(ja, jb);
    assert_eq!(ja["schema"], 1);
    // The parts add up: rules + fixed = total (counted models exactly).
    let p = &ja["profile"];
    let sum = p["rules_cost_ns"].as_f64().unwrap() + p["fixed_cost_ns"].as_f64().unwrap();
    let total = p["total_cost_ns"].as_f64().unwrap();
    assert!((sum - total).abs() <= total * 1e-9, "{sum} vs {total}");
    // Without --profile no rule is split into its sub-conditions.
    assert!(p["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["parts"].as_array().unwrap().is_empty()));
    // --profile adds the sub-conditions and changes no other number.
    let mut profiled_args = args.to_vec();
    profiled_args.push("--profile");
    let mut jp = json(&profiled_args);
    let p = jp["profile"].clone();
    for r in jp["profile"]["rules"].as_array_mut().unwrap() {
        r["parts"] = serde_json::json!([]);
    }
    assert_eq!(jp, ja, "--profile changed a result");
    // Inside a rule: its sub-conditions' work adds up to the rule's.
    let mut with_parts = 0;
    for r in p["rules"].as_array().unwrap() {
        let parts = r["parts"].as_array().unwrap();
        if parts.is_empty() {
            continue;
        }
        with_parts += 1;
        let w: u64 = parts.iter().map(|x| u(&x["work"])).sum();
        assert_eq!(w, u(&r["work"]), "{}", r["name"]);
        assert!(parts[0]["condition"].as_str().unwrap().len() > 3);
    }
    assert!(with_parts > 0, "{}", p["rules"]);
}

/// A rules file with one deliberately costly rule (many string checks on
/// every network read/write) next to the sample rules.
fn costly_rules(dir: &Path) -> PathBuf {
    let mut cond = String::from("evt.type in (recvfrom, sendto) and (");
    for i in 0..40 {
        if i > 0 {
            cond.push_str(" or ");
        }
        cond.push_str(&format!("proc.cmdline contains \"needle-{i}\""));
    }
    cond.push(')');
    let text = format!(
        "{}\n- rule: Costly network rule\n  desc: many checks on every network event\n  condition: {cond}\n  output: \"costly %proc.name\"\n  priority: NOTICE\n  tags: [costly]\n",
        std::fs::read_to_string(sample_rules()).unwrap()
    );
    let p = dir.join("costly.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn disabling_the_costliest_rule_lowers_drops_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let rules = costly_rules(dir.path());
    let t = sample_trace();
    let base = [
        t.to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--rate",
        "1.5M",
        "--buf-size-preset",
        "1",
    ];
    let j = json(&base);
    assert_eq!(j["profile"]["rules"][0]["name"], "Costly network rule");
    let mut w = base.to_vec();
    w.extend(["--what-if", "disable=Costly network rule"]);
    let j = json(&w);
    let before = u(&j["base"]["drops"]["n_drops"]);
    let after = u(&j["what_if"]["report"]["drops"]["n_drops"]);
    assert!(before > 0 && after < before, "{before} -> {after}");
    // The text report shows both columns.
    let o = replay(&w);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("what-if: disable=Costly network rule"),
        "{text}"
    );
    assert!(
        text.contains("original") && text.contains("what-if"),
        "{text}"
    );
    // the rows' numbers line up under the column heads (no label overflows)
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("what-if:"))
        .skip(1)
        .take_while(|l| !l.contains("top rules"))
        .collect();
    assert!(table.len() > 8, "{text}");
    let width = table[0].len();
    assert!(table.iter().all(|l| l.len() == width), "{table:#?}");
    // A larger buffer as the what-if also helps.
    let mut w2 = base.to_vec();
    w2.extend(["--what-if", "buf-size-preset=8"]);
    let j = json(&w2);
    assert_eq!(u(&j["what_if"]["report"]["drops"]["n_drops"]), 0);
}

#[test]
fn recorder_drop_markers_are_reported_apart_from_falco_drops() {
    let t = sample_trace();
    let r = sample_rules();
    let j = json(&[t.to_str().unwrap(), "-r", r.to_str().unwrap()]);
    // The bundled sample has two recorder drop windows (1,404 events lost).
    assert_eq!(u(&j["recorder"]["markers"]), 2);
    assert_eq!(u(&j["recorder"]["events_lost"]), 1404);
    assert_eq!(u(&j["drops"]["n_drops"]), 0, "at 1x nothing drops in Falco");
    let o = replay(&[t.to_str().unwrap(), "-r", r.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("VERDICT: no drops"), "{text}");
    assert!(
        text.contains("recorder drops (in the trace itself, not caused by these rules): 1404"),
        "{text}"
    );
}

#[test]
fn a_trace_lacking_selected_syscalls_is_said_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let t = synth_trace(dir.path(), 20_000, &["openat", "execve", "clone", "close"]);
    let o = replay(&[t.to_str().unwrap(), "-r", sample_rules().to_str().unwrap()]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("WARNING: the selection needs"), "{err}");
    assert!(err.contains("did not record"), "{err}");
    assert!(err.contains("connect"), "names the missing syscalls: {err}");
    assert!(
        err.contains("under-states the load"),
        "says the bias: {err}"
    );
    // eval names the syscalls and the rules they silence.
    let o = bin()
        .args([
            "eval",
            t.to_str().unwrap(),
            "-r",
            sample_rules().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did not record"), "{err}");
    assert!(
        err.contains("connect: Outbound connection by a download tool"),
        "{err}"
    );
    let j = json(&[t.to_str().unwrap(), "-r", sample_rules().to_str().unwrap()]);
    assert!(j["missing_syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "connect"));
}

#[test]
fn bad_options_are_clear_errors() {
    let t = sample_trace();
    let t = t.to_str().unwrap();
    let r = sample_rules();
    let r = r.to_str().unwrap();
    for (args, want) in [
        (
            vec![t, "-r", r, "--buf-size-preset", "0"],
            "0 is not in 1..=10",
        ),
        (vec![t, "-r", r, "--speed", "fast"], "is not a speed"),
        (vec![t, "-r", r, "--rate=-5"], "is not a rate"),
        (vec![t, "-r", r, "--what-if", "colour=red"], "unknown key"),
        (
            vec![t, "-r", r, "--what-if", "disable=No such rule"],
            "no rule matches",
        ),
        (
            vec![t, "-r", r, "--base-syscalls", "openat,nosuchcall"],
            "nosuchcall",
        ),
        (vec![t, "-r", r, "--buf-size", "1000"], "power of two"),
        (vec![t, "-r", r, "--cost", "flat"], "--event-cost-ns"),
        (vec!["/nonexistent.srt", "-r", r], "/nonexistent.srt"),
    ] {
        let o = replay(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn layouts_drivers_sweep_ramp_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let t = sample_trace();
    let t = t.to_str().unwrap();
    let r = sample_rules();
    let r = r.to_str().unwrap();
    // Older libs write enter and exit events: more events, more bytes.
    let new = json(&[t, "-r", r]);
    let old = json(&[t, "-r", r, "--events", "enter-exit"]);
    assert!(u(&old["drops"]["n_evts"]) > u(&new["drops"]["n_evts"]));
    assert_eq!(new["config"]["event_layout"], "exit-only");
    // At the consumer's own pace only the count of ring events is taken
    // (no ring can fill): the same count, the same records processed.
    let max = json(&[t, "-r", r, "--speed", "max"]);
    assert_eq!(max["drops"]["n_evts"], new["drops"]["n_evts"]);
    assert_eq!(
        max["consumer"]["engine_events"],
        new["consumer"]["engine_events"]
    );
    assert_eq!(u(&max["drops"]["n_drops"]), 0);
    // kmod: one ring per CPU; modern_ebpf: one per 2 CPUs by default.
    let k = json(&[t, "-r", r, "--driver", "kmod"]);
    assert_eq!(k["config"]["rings"], 4);
    assert_eq!(new["config"]["rings"], 2);
    let one = json(&[t, "-r", r, "--cpus", "1"]);
    assert_eq!(one["config"]["rings"], 1);
    // The sweep: the guide's six tests across presets.
    let o = replay(&[
        t,
        "-r",
        r,
        "--sweep",
        "--rate",
        "2.5M",
        "--sweep-presets",
        "1,8",
    ]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for step in [
        "1 spawned_process",
        "2 + repair",
        "3 + accept",
        "4 + connect",
        "5 + open",
        "6 your rules",
    ] {
        assert!(text.contains(step), "{text}");
    }
    assert!(
        text.contains("smallest configuration under 1% drops"),
        "{text}"
    );
    // On 2 CPUs, 2 and 4 CPUs per ring are the same single ring: the
    // smaller setting is the one named; on 4, 4 per ring is fewer rings.
    let smallest = |cpus: &str| -> String {
        let o = replay(&[
            t,
            "-r",
            r,
            "--sweep",
            "--sweep-presets",
            "8",
            "--sweep-cpus-for-each-buffer",
            "4,2",
            "--cpus",
            cpus,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.contains("6 your rules") && l.contains("buf_size_preset"));
        line.unwrap_or_else(|| panic!("{text}")).to_string()
    };
    assert!(
        smallest("2").ends_with("cpus_for_each_buffer 2"),
        "{}",
        smallest("2")
    );
    assert!(
        smallest("4").ends_with("cpus_for_each_buffer 4"),
        "{}",
        smallest("4")
    );
    // The ramp: a positive rate the consumer sustains (at most its capacity).
    let ramp = json(&[t, "-r", r, "--ramp"]);
    let max = ramp["max_rate"].as_f64().unwrap();
    let cap = new["consumer"]["sustainable_evts_per_sec"]
        .as_f64()
        .unwrap();
    assert!(max > 0.0 && max <= cap * 1.05, "{max} vs {cap}");
    // Falco-shaped metrics on the simulated clock, mode 0600.
    let m = dir.path().join("metrics.json");
    let o = replay(&[
        t,
        "-r",
        r,
        "--metrics-interval",
        "100ms",
        "--metrics-json",
        m.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&m).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&m).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 5, "{}", lines.len());
    for k in [
        "scap.n_evts",
        "scap.n_drops",
        "scap.n_drops_perc",
        "scap.evts_rate_sec",
        "falco.cpu_usage_perc",
    ] {
        assert!(lines[1].get(k).is_some(), "{k} in {}", lines[1]);
    }
    assert!(lines[1].get("falco.evts_rate_sec").is_some());
    // Refuses to overwrite.
    let o = replay(&[
        t,
        "-r",
        r,
        "--metrics-interval",
        "1s",
        "--metrics-json",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_falco_metrics_snapshot_calibrates_the_cost() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("falco-metrics.json");
    // 50% of a CPU at 100k events/s: 5 us per event.
    std::fs::write(
        &m,
        r#"{"output_fields":{"falco.cpu_usage_perc":50.0,"falco.evts_rate_sec":100000.0,"falco.host_num_cpus":4},"rule":"Falco internal: metrics snapshot"}"#,
    )
    .unwrap();
    let t = sample_trace();
    let j = json(&[
        t.to_str().unwrap(),
        "-r",
        sample_rules().to_str().unwrap(),
        "--speed",
        "max",
        "--calibrate-falco",
        m.to_str().unwrap(),
    ]);
    let mean = j["consumer"]["mean_cost_ns"].as_f64().unwrap();
    assert!((mean - 5000.0).abs() < 50.0, "{mean}");
    assert_eq!(u(&j["drops"]["n_drops"]), 0, "max speed never drops");
}

/// The committed real recordings replay without error (when present).
#[test]
fn real_recordings_replay() {
    let real = sysreplay_testkit::repo_root().join("corpora/real");
    let Ok(rd) = std::fs::read_dir(&real) else {
        sysreplay_testkit::skip(
            "real_recordings_replay",
            "no corpora/real recordings in this checkout",
        );
        return;
    };
    let mut n = 0;
    for d in rd.flatten() {
        let t = d.path().join("trace.srt");
        if !t.is_file() {
            continue;
        }
        let j = json(&[
            t.to_str().unwrap(),
            "-r",
            sample_rules().to_str().unwrap(),
            "--speed",
            "max",
        ]);
        let recs = TraceReader::open(&t).unwrap().event_count();
        assert_eq!(u(&j["trace"]["records"]), recs);
        assert_eq!(u(&j["drops"]["n_drops"]), 0);
        assert!(u(&j["consumer"]["engine_events"]) > 0);
        // `--speed max` takes a lean path unless metrics snapshots are
        // asked for; both paths give the same report.
        let mut general = json(&[
            t.to_str().unwrap(),
            "-r",
            sample_rules().to_str().unwrap(),
            "--speed",
            "max",
            "--metrics-interval",
            "100ms",
        ]);
        assert!(!general["metrics"].as_array().unwrap().is_empty());
        general.as_object_mut().unwrap().remove("metrics");
        general["config"] = j["config"].clone();
        assert_eq!(general, j, "{}", t.display());
        n += 1;
    }
    assert!(n > 0, "corpora/real has no trace.srt");
}

#[test]
fn the_driver_is_spelled_as_in_falco_or_with_a_hyphen() {
    let t = sample_trace();
    let r = sample_rules();
    let (t, r) = (t.to_str().unwrap(), r.to_str().unwrap());
    let run = |driver: &str| json(&[t, "-r", r, "--rate", "3M", "--driver", driver]);
    // Falco's engine.kind is modern_ebpf; clap's own spelling is modern-ebpf
    assert_eq!(run("modern_ebpf")["drops"], run("modern-ebpf")["drops"]);
}
