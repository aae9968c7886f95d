//! A closed stderr (its pipe's reader gone) never panics a command: the
//! diagnostics are dropped, the work is done, the exit status is success
//! (it was 101: `eprintln!` panics on EPIPE).

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;

/// The write end of a pipe whose read end is closed: every write is EPIPE.
pub fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { libc::close(fds[0]) };
    Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) })
}

fn run_closed_stderr(args: &[&str]) -> std::process::ExitStatus {
    sysreplay_testkit::cli!()
        .command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .status()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn synth_import_export_eval_survive_a_closed_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let (t, scap, back) = (
        dir.path().join("t.srt"),
        dir.path().join("t.scap"),
        dir.path().join("back.srt"),
    );
    let st = run_closed_stderr(&[
        "synth",
        "-o",
        s(&t),
        "--events",
        "5000",
        "--drop-windows",
        "1",
    ]);
    assert!(st.success(), "synth: {st}");
    let st = run_closed_stderr(&["export", s(&t), "-o", s(&scap), "--json"]);
    assert!(st.success(), "export: {st}");
    let st = run_closed_stderr(&["import", s(&scap), "-o", s(&back), "--json"]);
    assert!(st.success(), "import: {st}");
    assert!(sysreplay_format::TraceReader::open(&back)
        .unwrap()
        .index()
        .is_some());
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: opens\n  desc: d\n  condition: evt.type = openat\n  output: \"open %fd.name\"\n  priority: WARNING\n- rule: unused\n  desc: d\n  condition: evt.type = openat and proc.name = nosuchproc\n  output: x\n  priority: WARNING\n  enabled: false\n",
    )
    .unwrap();
    let st = run_closed_stderr(&[
        "eval",
        s(&t),
        "-r",
        s(&rules),
        "--stats",
        "-v",
        "--enable",
        "no-such-rule",
    ]);
    assert!(st.success(), "eval: {st}");
    let st = run_closed_stderr(&["info", s(&t)]);
    assert!(st.success(), "info: {st}");
}
