//! The three upstream Falco rules files load and compile with no error.
//! Each test skips (a SKIP line on stderr; a failure under
//! SYSREPLAY_REQUIRE=all) when `<repo>/../shared/upstream` is absent.

use std::path::PathBuf;

use sysreplay_ruleeval::{load_rules, Ruleset};

/// The upstream rules directory, or None after reporting `test` skipped.
fn upstream_rules_dir(test: &str) -> Option<PathBuf> {
    let rules = sysreplay_testkit::stable_rules(test)?;
    rules.parent().map(|d| d.to_path_buf())
}

fn load(test: &str, files: &[&str]) -> Option<Ruleset> {
    let d = upstream_rules_dir(test)?;
    let paths: Vec<PathBuf> = files.iter().map(|f| d.join(f)).collect();
    let rs = load_rules(&paths);
    for e in rs.diags.errors() {
        eprintln!("{e}");
    }
    Some(rs)
}

#[test]
fn stable_rules_compile_without_errors() {
    let Some(rs) = load("stable_rules_compile_without_errors", &["falco_rules.yaml"]) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 25);
    assert_eq!(rs.enabled_rules().count(), 25);
    assert_eq!(rs.required_engine_version, Some((0, 57, 0)));
    // the syscall sets of Falco's dry run (`falco --dry-run` with these rules)
    let rules_sc = rs.rule_syscalls();
    assert_eq!(rules_sc.len(), 19, "{rules_sc:?}");
    assert_eq!(rs.syscall_selection(false).final_set.len(), 72);
    assert_eq!(rs.syscall_selection(true).final_set.len(), 41);
    let r = rs
        .rules
        .iter()
        .find(|r| r.name == "Read sensitive file untrusted")
        .unwrap();
    assert_eq!(r.types.names(), vec!["open", "openat", "openat2"]);
}

#[test]
fn incubating_rules_compile_without_errors() {
    let Some(rs) = load(
        "incubating_rules_compile_without_errors",
        &["falco-incubating_rules.yaml"],
    ) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 31);
    assert_eq!(rs.rule_syscalls().len(), 25, "{:?}", rs.rule_syscalls());
}

#[test]
fn sandbox_rules_compile_without_errors() {
    let Some(rs) = load(
        "sandbox_rules_compile_without_errors",
        &["falco-sandbox_rules.yaml"],
    ) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 37);
    assert_eq!(rs.enabled_rules().count(), 25);
    let enabled: Vec<String> = rs.rule_syscalls().into_iter().collect();
    assert_eq!(
        enabled,
        [
            "execve",
            "execveat",
            "mkdir",
            "mkdirat",
            "open",
            "openat",
            "openat2",
            "rename",
            "renameat",
            "renameat2",
            "rmdir",
            "unlink",
            "unlinkat",
            "userfaultfd"
        ]
    );
}

#[test]
fn all_three_together_compile_without_errors() {
    let Some(rs) = load(
        "all_three_together_compile_without_errors",
        &[
            "falco_rules.yaml",
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ],
    ) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 25 + 31 + 37);
    // no rule matches every event type
    assert!(
        rs.rules.iter().all(|r| !r.types.is_all()),
        "a rule has no evt.type restriction"
    );
}

#[test]
fn damaged_rules_files_give_errors_not_panics() {
    let Some(d) = upstream_rules_dir("damaged_rules_files_give_errors_not_panics") else {
        return;
    };
    let text = std::fs::read_to_string(d.join("falco_rules.yaml")).unwrap();
    let mut rng = sysreplay_synth::Rng::new(99);
    for i in 0..60 {
        // cut the file short at a random character boundary
        let mut cut = rng.below(text.len() as u64) as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = sysreplay_ruleeval::load_rules_str(&[("cut.yaml", &text[..cut])]);
        // flip a few bytes to YAML/condition punctuation
        let mut b = text.clone().into_bytes();
        for _ in 0..1 + i % 4 {
            let at = rng.below(b.len() as u64) as usize;
            if b[at].is_ascii() {
                const PUNCT: &[u8] = b"()[]{}:,'\"-= \n!%";
                b[at] = PUNCT[rng.below(PUNCT.len() as u64) as usize];
            }
        }
        let s = String::from_utf8_lossy(&b).into_owned();
        let rs = sysreplay_ruleeval::load_rules_str(&[("flip.yaml", &s)]);
        for e in rs.diags.errors() {
            assert!(e.loc.is_some(), "error without a location: {e}");
        }
    }
}

/// "Terminal shell in container" needs no container metadata: the container
/// id comes from the cgroup path in the snapshot, and the shell's parent is
/// the container runtime.
#[test]
fn terminal_shell_in_container_fires_offline() {
    use sysreplay_format::meta::{ProcessSnapshot, ThreadInfo, TraceHeader};
    use sysreplay_format::record::{push_item, tag, Creds, Kind, RecordHeader};
    use sysreplay_format::OwnedEvent;
    use sysreplay_ruleeval::{Engine, RuleMatching};

    let Some(rs) = load(
        "terminal_shell_in_container_fires_offline",
        &["falco_rules.yaml"],
    ) else {
        return;
    };
    let cg = format!(
        "0::/system.slice/docker-{}.scope",
        &"c0ffee".repeat(11)[..64]
    );
    let t = |tid: u32, ppid: u32, comm: &str, cgroup: &str| ThreadInfo {
        tid,
        pid: tid,
        ppid,
        comm: comm.into(),
        exe: format!("/usr/bin/{comm}"),
        args: vec![comm.into()],
        cwd: "/".into(),
        cgroup: cgroup.into(),
        loginuid: u32::MAX,
        ..Default::default()
    };
    let snap = ProcessSnapshot {
        taken_at_ns: 0,
        threads: vec![
            t(1, 0, "systemd", ""),
            t(50, 1, "containerd-shim", ""),
            t(60, 50, "runc:[1:CHILD]", &cg),
        ],
        ..Default::default()
    };
    let mut e = Engine::new(rs, RuleMatching::First);
    e.start_trace(&TraceHeader::default(), &snap);
    let mut fired = Vec::new();
    let exec = |tid: u32, tty: u32| {
        let mut data = Vec::new();
        let creds = Creds {
            tty,
            ppid: 60,
            loginuid: u32::MAX,
            ..Default::default()
        };
        push_item(&mut data, tag::EXE, 0, b"/bin/bash\0");
        push_item(&mut data, tag::COMM, 0, b"bash\0");
        push_item(&mut data, tag::CREDS, 0, &creds.encode());
        push_item(&mut data, tag::ARGV, 0, b"bash\0");
        let pe = OwnedEvent {
            header: RecordHeader {
                tid,
                pid: tid,
                kind: Kind::ProcExec as u16,
                data_len: data.len() as u16,
                ..Default::default()
            },
            data,
        };
        let mut d2 = Vec::new();
        push_item(&mut d2, 0, 0, b"/bin/bash\0");
        push_item(&mut d2, tag::ARGV, 0, b"bash\0");
        let sc = OwnedEvent {
            header: RecordHeader {
                tid,
                pid: tid,
                kind: Kind::Syscall as u16,
                nr: sysreplay_syscalls::number("execve").unwrap(),
                data_len: d2.len() as u16,
                ..Default::default()
            },
            data: d2,
        };
        (pe, sc)
    };
    // the runtime's child execs a shell with a terminal: fires
    let (pe, sc) = exec(60, 34816);
    e.process(&pe.as_event(), |_| {});
    e.process(&sc.as_event(), |h| fired.push(h.alert()));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule, "Terminal shell in container");
    assert_eq!(fired[0].priority, "Notice");
    assert!(
        fired[0].output.contains("process=bash"),
        "{}",
        fired[0].output
    );
    // on the host (no container cgroup) the same exec does not fire
    let (pe, sc) = exec(50, 34816);
    e.process(&pe.as_event(), |_| {});
    e.process(&sc.as_event(), |h| fired.push(h.alert()));
    assert_eq!(fired.len(), 1);
}

/// Stable rules that read syscall arguments (`evt.arg.*`) and socket
/// fields fire on hand-built events.
#[test]
fn argument_and_network_rules_fire() {
    use sysreplay_format::meta::{ProcessSnapshot, ThreadInfo, TraceHeader};
    use sysreplay_format::record::{push_item, Kind, RecordHeader};
    use sysreplay_format::OwnedEvent;
    use sysreplay_ruleeval::{Engine, RuleMatching};

    let Some(rs) = load("argument_and_network_rules_fire", &["falco_rules.yaml"]) else {
        return;
    };
    let snap = ProcessSnapshot {
        taken_at_ns: 0,
        threads: vec![
            ThreadInfo {
                tid: 1,
                pid: 1,
                comm: "systemd".into(),
                ..Default::default()
            },
            ThreadInfo {
                tid: 70,
                pid: 70,
                ppid: 1,
                comm: "evil".into(),
                exe: "./evil".into(),
                args: vec!["./evil".into()],
                cwd: "/tmp".into(),
                uid: 1000,
                euid: 1000,
                ..Default::default()
            },
            ThreadInfo {
                tid: 80,
                pid: 80,
                ppid: 1,
                comm: "ssh".into(),
                exe: "ssh".into(),
                args: vec!["ssh".into()],
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let mut e = Engine::new(rs, RuleMatching::First);
    e.start_trace(&TraceHeader::default(), &snap);
    let ev = |tid: u32, name: &str, ret: i64, args: [u64; 6], items: &[(u8, &[u8])]| {
        let mut data = Vec::new();
        for (t, b) in items {
            push_item(&mut data, *t, 0, b);
        }
        OwnedEvent {
            header: RecordHeader {
                tid,
                pid: tid,
                kind: Kind::Syscall as u16,
                nr: sysreplay_syscalls::number(name).unwrap(),
                data_len: data.len() as u16,
                ret,
                args,
                ..Default::default()
            },
            data,
        }
    };
    let mut fired = Vec::new();
    let mut feed = |o: OwnedEvent| {
        let mut v = Vec::new();
        e.process(&o.as_event(), |h| v.push(h.rule.name.clone()));
        fired.push(v);
    };
    feed(ev(
        70,
        "symlink",
        0,
        [0; 6],
        &[(0, b"/etc/shadow\0"), (1, b"/tmp/s\0")],
    ));
    feed(ev(
        70,
        "linkat",
        0,
        [(-100i64) as u64, 0, (-100i64) as u64, 0, 0, 0],
        &[(1, b"/etc/shadow\0"), (3, b"/tmp/h\0")],
    ));
    feed(ev(70, "ptrace", 0, [16, 1234, 0, 0, 0, 0], &[])); // PTRACE_ATTACH
    feed(ev(70, "ptrace", 0, [2, 1234, 0, 0, 0, 0], &[])); // PTRACE_PEEKDATA: not an attach
                                                           // ssh to a public address on port 443 (a non-standard ssh port), then to loopback
    let sa = |ip: [u8; 4], port: u16| {
        let mut b = vec![2u8, 0];
        b.extend_from_slice(&port.to_be_bytes());
        b.extend_from_slice(&ip);
        b.extend_from_slice(&[0; 8]);
        b
    };
    feed(ev(80, "socket", 3, [2, 1, 0, 0, 0, 0], &[]));
    // the recorder captures the address the kernel gave this side
    // (LOCAL_ADDR): libs master's fd.ip/fd.net compare both ends
    feed(ev(
        80,
        "connect",
        0,
        [3, 0, 16, 0, 0, 0],
        &[
            (1, &sa([93, 184, 216, 34], 443)),
            (
                sysreplay_format::record::tag::LOCAL_ADDR,
                &sa([192, 0, 2, 7], 40000),
            ),
        ],
    ));
    feed(ev(80, "socket", 4, [2, 1, 0, 0, 0, 0], &[]));
    feed(ev(
        80,
        "connect",
        0,
        [4, 0, 16, 0, 0, 0],
        &[
            (1, &sa([127, 0, 0, 1], 443)),
            (
                sysreplay_format::record::tag::LOCAL_ADDR,
                &sa([127, 0, 0, 1], 40001),
            ),
        ],
    ));
    let names: Vec<Vec<&str>> = fired
        .iter()
        .map(|v| v.iter().map(|s| s.as_str()).collect())
        .collect();
    assert_eq!(
        names,
        vec![
            vec!["Create Symlink Over Sensitive Files"],
            vec!["Create Hardlink Over Sensitive Files"],
            vec!["PTRACE attached to process"],
            vec![],
            vec![],
            vec!["Disallowed SSH Connection Non Standard Port"],
            vec![],
            vec![],
        ]
    );
}
