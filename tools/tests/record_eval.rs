//! `sysreplay record --rules` then `sysreplay eval` on the live trace: the
//! recorder selects what the rules need and the alerts come out of a real
//! recording. Needs root (or CAP_BPF+CAP_PERFMON) and kernel BTF; otherwise
//! it skips by the testkit policy. The recorder follows this test's own
//! processes (`--pid`, `--follow-children`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

fn rules() -> PathBuf {
    sysreplay_testkit::sample_rules()
}

#[test]
fn record_with_rules_then_eval_finds_the_alerts() {
    let name = "record_with_rules_then_eval_finds_the_alerts";
    if let Some(m) = sysreplay_capture::privileges::missing() {
        sysreplay_testkit::skip(
            name,
            &format!("needs root or CAP_BPF+CAP_PERFMON (missing {m})"),
        );
        return;
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        sysreplay_testkit::skip(name, "no kernel BTF");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("live.srt");
    let written = dir.path().join("written-by-sh.txt");

    // the dry run shows what the rules need
    let dry = bin()
        .args(["record", "--dry-run", "--rules"])
        .arg(rules())
        .output()
        .unwrap();
    assert!(dry.status.success());
    // on stdout, as `rules check` prints it
    let lines = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(lines.starts_with("("), "{lines}");
    assert!(
        lines.contains("syscalls in rules: ") && lines.contains("(final set)"),
        "{lines}"
    );
    assert!(lines.contains("openat"), "{lines}");
    let recorded = lines
        .lines()
        .find(|l| l.contains("x86_64 syscalls recorded: "))
        .unwrap_or_else(|| panic!("{lines}"));
    let n_recorded = &recorded[1..recorded.find(')').unwrap()];

    let started = sysreplay_testkit::start_recording(
        bin()
            .args(["record", "-w"])
            .arg(&trace)
            .arg("--rules")
            .arg(rules())
            // this test's processes only: the host's other activity stays out
            .args([
                "--pid",
                &std::process::id().to_string(),
                "--follow-children",
            ]),
    );
    let (mut rec, mut err, line) = (started.child, started.stderr, started.started);
    // the dry run's count is what record says it records
    assert!(
        line.contains(&format!("({n_recorded} syscalls,")),
        "{line} vs {recorded}"
    );
    // what the sample rules look for
    let shadow = Path::new("/etc/shadow").exists();
    if shadow {
        let o = Command::new("cat").arg("/etc/shadow").output().unwrap();
        assert!(o.status.success());
    }
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo e2e > {}", written.display()))
        .status()
        .unwrap();
    assert!(st.success());
    std::thread::sleep(std::time::Duration::from_millis(100));
    let k = Command::new("kill")
        .args(["-INT", &rec.id().to_string()])
        .status()
        .unwrap();
    assert!(k.success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rec.wait().unwrap().success(), "{rest}");

    let ev = bin()
        .arg("eval")
        .arg("--rules")
        .arg(rules())
        .arg("--")
        .arg(&trace)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&ev.stdout);
    assert!(
        ev.status.success(),
        "{}",
        String::from_utf8_lossy(&ev.stderr)
    );
    if shadow {
        assert!(
            out.lines()
                .any(|l| l.contains("/etc/shadow read") && l.contains("process=cat")),
            "{out}"
        );
    } else {
        println!("note: no /etc/shadow here, the shadow rule is not exercised");
    }
    // the temp dir is not under /tmp everywhere; the rule matches /tmp/ only
    if written.starts_with("/tmp/") {
        assert!(
            out.lines()
                .any(|l| l.contains(&format!("sh wrote {}", written.display()))),
            "{out}"
        );
    }
}
