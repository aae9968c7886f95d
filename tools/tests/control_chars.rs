//! Control characters in recorded strings (a newline in an argv, a file
//! name or a comm) never reach text output raw: `cat` prints one line per
//! event and `eval` one line per alert, so a process cannot forge lines.

use std::path::Path;

use sysreplay_format::record::{push_item, tag, Creds, Kind};
use sysreplay_format::*;
use sysreplay_syscalls as syscalls;

const FORGED: &str = "12:00:00.000000000: Critical forged alert";

fn write_trace(path: &Path) {
    let header = TraceHeader {
        tool_version: "test".into(),
        hostname: "h".into(),
        arch: "x86_64".into(),
        num_cpus: 1,
        source: "test".into(),
        ..Default::default()
    };
    let snapshot = ProcessSnapshot {
        threads: vec![ThreadInfo {
            tid: 100,
            pid: 100,
            comm: "sh".into(),
            exe: "/bin/sh".into(),
            args: vec!["sh".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut w = TraceWriter::create(path, &header, &snapshot, WriterOptions::default()).unwrap();
    let argv = format!("evil\0arg\n{FORGED}\0");
    let mut push = |ts: u64, kind: Kind, nr: u16, ret: i64, data: Vec<u8>| {
        let h = RecordHeader {
            ts_ns: ts,
            tid: 100,
            pid: 100,
            kind: kind as u16,
            cpu: 0,
            nr,
            data_len: data.len() as u16,
            ret,
            args: [0; 6],
        };
        w.write_record(&h, &data).unwrap();
    };
    let mut d = Vec::new();
    push_item(&mut d, tag::EXE, 0, b"/tmp/evil\0");
    push_item(&mut d, tag::COMM, 0, b"ev\nil\0");
    push_item(&mut d, tag::CREDS, 0, &Creds::default().encode());
    push_item(&mut d, tag::ARGV, 0, argv.as_bytes());
    push(1_000, Kind::ProcExec, 0, 0, d);
    let mut d = Vec::new();
    push_item(&mut d, 0, 0, b"/tmp/evil\0");
    push_item(&mut d, tag::ARGV, 0, argv.as_bytes());
    push(
        2_000,
        Kind::Syscall,
        syscalls::number("execve").unwrap(),
        0,
        d,
    );
    let mut d = Vec::new();
    push_item(&mut d, 1, 0, format!("/tmp/x\n{FORGED}\0").as_bytes());
    push(
        3_000,
        Kind::Syscall,
        syscalls::number("openat").unwrap(),
        3,
        d,
    );
    w.finish().unwrap();
}

fn sysreplay(args: &[&str]) -> String {
    let o = sysreplay_testkit::cli!()
        .command()
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn cat_prints_one_line_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.srt");
    write_trace(&t);
    let out = sysreplay(&["cat", t.to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("{} ", i + 1)), "{l}");
    }
    assert!(out.contains(&format!("arg.{FORGED}")), "{out}");
    assert!(out.contains(&format!("/tmp/x.{FORGED}")), "{out}");
    assert!(out.contains("ev.il"), "{out}");
    // JSON keeps the real values (escaped by JSON itself)
    let js = sysreplay(&["cat", "--json", t.to_str().unwrap()]);
    assert_eq!(js.lines().count(), 3);
    assert!(js.contains(&format!("/tmp/x\\n{FORGED}")), "{js}");
}

#[test]
fn eval_prints_one_line_per_alert() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.srt");
    write_trace(&t);
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: exec seen\n  desc: d\n  condition: evt.type = execve\n  output: \"exec cmdline=%proc.cmdline name=%proc.name\"\n  priority: WARNING\n",
    )
    .unwrap();
    let out = sysreplay(&["eval", t.to_str().unwrap(), "-r", rules.to_str().unwrap()]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains(&format!("arg.{FORGED}")), "{out}");
    let js = sysreplay(&[
        "eval",
        "--json",
        t.to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(js.lines().count(), 1, "{js}");
    let v: serde_json::Value = serde_json::from_str(js.trim()).unwrap();
    let cmdline = v["output_fields"]["proc.cmdline"].as_str().unwrap();
    assert!(cmdline.contains(&format!("arg\n{FORGED}")), "{cmdline}");
    assert!(!v["output"].as_str().unwrap().contains('\n'));
}
