//! Recording tests: they load the real probe, so they need root (or
//! CAP_BPF+CAP_PERFMON) and a kernel with BTF. Without them each test skips
//! by the testkit policy (a SKIP line; a failure under SYSREPLAY_REQUIRE=all).
//!
//! The recorder follows this test process and its descendants
//! (`--pid <me> --follow-children`): assertions concern the tests' own
//! processes, not what the rest of the host does meanwhile. Drops still come
//! from everyone (the rings are shared): tests assert on the drop markers.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use sysreplay_format::record::{tag, Kind};
use sysreplay_format::{OwnedEvent, TraceReader};
use sysreplay_syscalls as syscalls;

const BIN: &str = env!("CARGO_BIN_EXE_sysreplay");

/// `sysreplay record`, to which each test adds its options.
fn recorder() -> Command {
    let mut c = Command::new(BIN);
    c.arg("record");
    c
}

/// None when BPF can be used here; otherwise the reason (printed as SKIP).
fn skip_reason() -> Option<String> {
    if let Some(m) = sysreplay_capture::privileges::missing() {
        return Some(format!("needs root or CAP_BPF+CAP_PERFMON (missing {m})"));
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Some("the kernel has no BTF (/sys/kernel/btf/vmlinux)".into());
    }
    None
}

/// One recorder at a time: each records the whole host, so recorders run
/// side by side would record each other's storms, and on a 2-core machine
/// the extra load turns timing margins into flaky failures.
static ONE_RECORDER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Skip (one line) when BPF cannot be used; otherwise hold ONE_RECORDER for
/// the rest of the test.
macro_rules! require_bpf {
    ($name:expr) => {
        if let Some(why) = skip_reason() {
            sysreplay_testkit::skip($name, &why);
            return;
        }
        let _one_recorder = ONE_RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    };
}

struct Rec {
    child: Child,
    path: PathBuf,
    stderr_rest: Option<BufReader<ChildStderr>>,
}

/// Start the recorder and wait for its "recording to" line (probe attached).
fn start(path: &Path, extra: &[&str]) -> Rec {
    start_with_env(path, extra, &[])
}

fn start_with_env(path: &Path, extra: &[&str], env: &[(&str, &str)]) -> Rec {
    let me = std::process::id().to_string();
    let follow: &[&str] = if extra.contains(&"--pid") {
        &[]
    } else {
        &["--pid", &me, "--follow-children"]
    };
    let r = sysreplay_testkit::start_recording(
        recorder()
            .arg("-w")
            .arg(path)
            .args(follow)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null()),
    );
    Rec {
        child: r.child,
        path: path.to_path_buf(),
        stderr_rest: Some(r.stderr),
    }
}

impl Rec {
    /// Storm with getppid until the recorder stops by itself; its exit
    /// status and the rest of its stderr.
    fn storm_until_exit(&mut self) -> (std::process::ExitStatus, String) {
        let child = &mut self.child;
        storm_until(|| matches!(child.try_wait(), Ok(Some(_))));
        self.wait()
    }

    fn signal(&mut self, sig: i32) -> (std::process::ExitStatus, String) {
        // SAFETY: our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
        self.wait()
    }

    /// The exit status and the rest of stderr.
    fn wait(&mut self) -> (std::process::ExitStatus, String) {
        let mut rest = String::new();
        if let Some(mut e) = self.stderr_rest.take() {
            e.read_to_string(&mut rest).unwrap();
        }
        (self.child.wait().unwrap(), rest)
    }
}

fn read_all(path: &Path) -> (TraceReader, Vec<OwnedEvent>) {
    let r = TraceReader::open(path).expect("trace opens");
    let mut v = Vec::new();
    r.for_each_event(|e| {
        v.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    (r, v)
}

fn nr(name: &str) -> u16 {
    syscalls::number(name).unwrap()
}

fn item(e: &OwnedEvent, t: u8) -> Option<&[u8]> {
    sysreplay_format::record::Items::new(&e.data)
        .find(|i| i.tag == t)
        .map(|i| i.bytes)
}

fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    }
}

fn argv(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    b.split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn sockaddr_in(b: &[u8]) -> Option<(std::net::Ipv4Addr, u16)> {
    if b.len() < 8 || u16::from_ne_bytes([b[0], b[1]]) != libc::AF_INET as u16 {
        return None;
    }
    Some((
        std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]),
        u16::from_be_bytes([b[2], b[3]]),
    ))
}

/// File `i` of a rotated recording into `base`: `base` itself, then
/// `base1`, `base2`, ... (no number on the first, as tcpdump and sysdig).
fn rotated(base: &Path, i: u32) -> PathBuf {
    if i == 0 {
        return base.to_path_buf();
    }
    PathBuf::from(format!("{}{}", base.display(), i))
}

/// The files the final message says the recording went into.
fn files_in_summary(err: &str) -> Vec<String> {
    let line = err
        .lines()
        .find(|l| l.starts_with("recorded "))
        .unwrap_or_else(|| panic!("no summary line: {err}"));
    let after = line.split(" into ").nth(1).unwrap();
    let list = &after[..after.rfind(" (").unwrap()];
    list.split(", ").map(String::from).collect()
}

fn is(e: &OwnedEvent, k: Kind) -> bool {
    e.header.kind == k as u16
}

#[test]
fn records_known_commands_with_pids_paths_argv_addresses_and_tree() {
    require_bpf!("records_known_commands_with_pids_paths_argv_addresses_and_tree");
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.txt");
    std::fs::write(&known, b"sysreplay known content\n").unwrap();
    let out_file = dir.path().join("out.txt");
    // Every check below wants its event. The recorder follows this test
    // process's tree in the probe, so a neighbour flooding syscalls does not
    // fill the ring: any drop here is the recorder's fault.
    let trace = dir.path().join("t.srt");
    let stats = dir.path().join("stats.json");
    let mut rec = start(
        &trace,
        &[
            "--syscalls",
            "all",
            "--stats-interval",
            "200ms",
            "--stats-json",
            stats.to_str().unwrap(),
        ],
    );

    // 1. cat of a known file
    let cat = Command::new("cat").arg(&known).output().unwrap();
    assert_eq!(cat.stdout, b"sysreplay known content\n");
    let cat_pid = {
        // Command::output() hides the pid; run again through spawn for it
        let c = Command::new("cat")
            .arg(&known)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = c.id();
        assert!(c.wait_with_output().unwrap().status.success());
        pid
    };
    // 2. sh -c writing a file
    let sh = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo hello-sysreplay > {}", out_file.display()))
        .spawn()
        .unwrap();
    let sh_pid = sh.id();
    assert!(sh.wait_with_output().unwrap().status.success());
    // 3. TCP connect to a listener on 127.0.0.1
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client_port = c.local_addr().unwrap().port();
    let (mut s, peer) = l.accept().unwrap();
    assert_eq!(peer.port(), client_port);
    c.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).unwrap();
    drop((c, s, l));
    // 4. fork + exec chain: sh -> sh -> echo, outer exit code 7
    let chain = Command::new("/bin/sh")
        .arg("-c")
        .arg("/bin/sh -c '/bin/echo chain-sysreplay; true'; exit 7")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let chain_pid = chain.id();
    assert_eq!(chain.wait_with_output().unwrap().status.code(), Some(7));

    // let the probe's last events reach a drain, then stop with SIGINT
    std::thread::sleep(Duration::from_millis(100));
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "recorder failed: {err}");
    let (r, evs) = read_all(&rec.path);
    assert!(
        r.truncation().is_none() && r.index().is_some(),
        "SIGINT leaves a complete file"
    );
    assert_eq!(
        lost_in_drop_markers(&evs),
        0,
        "the kernel dropped events of the followed processes"
    );
    let recorder_pid = rec.child.id();
    let me = std::process::id();

    // --- 1: cat
    let exec_cat = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.nr == nr("execve")
                && e.header.pid == cat_pid
                && e.header.ret == 0
        })
        .expect("successful execve of cat");
    assert_eq!(exec_cat.header.ret, 0);
    let av = argv(item(exec_cat, tag::ARGV).expect("argv item"));
    assert_eq!(av, vec!["cat".to_string(), known.display().to_string()]);
    let fname = c_str(item(exec_cat, tag::ARG0).expect("filename"));
    assert!(
        fname.ends_with(b"/cat"),
        "{}",
        String::from_utf8_lossy(fname)
    );
    let pexec = evs
        .iter()
        .find(|e| is(e, Kind::ProcExec) && e.header.pid == cat_pid)
        .expect("procexec of cat");
    assert!(c_str(item(pexec, tag::EXE).unwrap()).ends_with(b"/cat"));
    assert_eq!(c_str(item(pexec, tag::COMM).unwrap()), b"cat");
    let cr = sysreplay_format::record::Creds::decode(item(pexec, tag::CREDS).unwrap()).unwrap();
    assert_eq!(cr.ppid, me, "cat's parent is this test");
    assert_eq!(cr.uid, unsafe { libc::getuid() });
    let open = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.pid == cat_pid
                && e.header.nr == nr("openat")
                && item(e, 1).map(c_str) == Some(known.as_os_str().as_encoded_bytes())
        })
        .expect("openat of the known file by cat");
    assert!(open.header.ret >= 0);
    let fd = open.header.ret as u64;
    let rd = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.pid == cat_pid
                && e.header.nr == nr("read")
                && e.header.args[0] == fd
                && e.header.ts_ns > open.header.ts_ns
        })
        .expect("read by cat");
    assert_eq!(rd.header.ret, 24);
    assert_eq!(item(rd, 1).unwrap(), b"sysreplay known content\n");
    assert!(evs
        .iter()
        .any(|e| is(e, Kind::ProcExit) && e.header.pid == cat_pid && e.header.args[0] == 0));

    // --- 2: sh -c writing a file
    let o = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.pid == sh_pid
                && e.header.nr == nr("openat")
                && item(e, 1).map(c_str) == Some(out_file.as_os_str().as_encoded_bytes())
        })
        .expect("openat of the output file by sh");
    let flags = o.header.args[2] as i32;
    assert!(o.header.ret >= 0);
    assert_eq!(flags & libc::O_CREAT, libc::O_CREAT);
    assert_eq!(flags & libc::O_ACCMODE, libc::O_WRONLY);
    let w = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.pid == sh_pid
                && e.header.nr == nr("write")
                && item(e, 1) == Some(b"hello-sysreplay\n".as_slice())
        })
        .expect("write of the text by sh");
    assert_eq!(w.header.ret, 16);

    // --- 3: TCP
    let conn = evs
        .iter()
        .find(|e| {
            is(e, Kind::Syscall)
                && e.header.pid == me
                && e.header.nr == nr("connect")
                && item(e, 1).and_then(sockaddr_in) == Some((std::net::Ipv4Addr::LOCALHOST, port))
        })
        .expect("connect to the listener");
    assert_eq!(conn.header.ret, 0);
    // the address the kernel gave the client's side
    assert_eq!(
        item(conn, tag::LOCAL_ADDR).and_then(sockaddr_in),
        Some((std::net::Ipv4Addr::LOCALHOST, client_port)),
        "connect carries its local address"
    );
    let acc = evs.iter().find(|e| {
        is(e, Kind::Syscall)
            && e.header.pid == me
            && (e.header.nr == nr("accept4") || e.header.nr == nr("accept"))
            && e.header.ret >= 0
            && item(e, tag::RESULT_ADDR).and_then(sockaddr_in)
                == Some((std::net::Ipv4Addr::LOCALHOST, client_port))
    });
    let acc = acc.expect("accept with the client's address");
    assert_eq!(
        item(acc, tag::LOCAL_ADDR).and_then(sockaddr_in),
        Some((std::net::Ipv4Addr::LOCALHOST, port)),
        "accept carries the accepted socket's own address"
    );
    let bind = evs.iter().find(|e| {
        is(e, Kind::Syscall)
            && e.header.pid == me
            && e.header.nr == nr("bind")
            && item(e, 1).and_then(sockaddr_in) == Some((std::net::Ipv4Addr::LOCALHOST, 0))
    });
    assert!(bind.is_some(), "bind to 127.0.0.1:0");

    // --- 4: fork/exec chain and the process tree
    let mut parent_of: HashMap<u32, u32> = HashMap::new();
    for e in &evs {
        if is(e, Kind::ProcFork) && e.header.args[0] == e.header.args[1] {
            parent_of.insert(e.header.args[1] as u32, e.header.pid);
        }
    }
    let echo = evs
        .iter()
        .find(|e| {
            is(e, Kind::ProcExec)
                && item(e, tag::ARGV).map(argv)
                    == Some(vec!["/bin/echo".into(), "chain-sysreplay".into()])
        })
        .expect("exec of /bin/echo");
    let mut chain = vec![echo.header.pid];
    let mut cur = echo.header.pid;
    while let Some(&p) = parent_of.get(&cur) {
        chain.push(p);
        if p == chain_pid {
            break;
        }
        cur = p;
    }
    assert_eq!(
        chain.last(),
        Some(&chain_pid),
        "echo descends from the outer sh: {chain:?}"
    );
    assert!(chain.len() >= 3, "sh -> sh -> echo: {chain:?}");
    assert_eq!(parent_of.get(&chain_pid), Some(&me));
    let inner_exec = evs
        .iter()
        .find(|e| is(e, Kind::ProcExec) && e.header.pid == chain[1])
        .expect("exec of the inner sh");
    let inner_creds =
        sysreplay_format::record::Creds::decode(item(inner_exec, tag::CREDS).unwrap()).unwrap();
    assert_eq!(inner_creds.ppid, chain_pid);
    let outer_exit = evs
        .iter()
        .find(|e| is(e, Kind::ProcExit) && e.header.tid == chain_pid)
        .expect("exit of the outer sh");
    assert_eq!(outer_exit.header.args[0], 7 << 8, "wait status of exit(7)");
    // the fork syscall's return value is the child
    assert!(evs.iter().any(|e| is(e, Kind::Syscall)
        && e.header.pid == chain_pid
        && (e.header.nr == nr("clone")
            || e.header.nr == nr("clone3")
            || e.header.nr == nr("fork")
            || e.header.nr == nr("vfork"))
        && e.header.ret == chain[1] as i64));

    // ordering, header and snapshot
    assert!(evs
        .windows(2)
        .all(|w| w[0].header.ts_ns <= w[1].header.ts_ns));
    let h = r.header();
    assert_eq!(h.source, "ebpf");
    assert!(h.num_cpus >= 1 && !h.kernel_release.is_empty());
    assert!(r.snapshot().threads.iter().any(|t| t.pid == me));
    // the recorder does not record itself
    assert!(!evs
        .iter()
        .any(|e| e.header.pid == recorder_pid && is(e, Kind::Syscall)));
    // stats: Falco metric names, one JSON object per line
    let js = std::fs::read_to_string(&stats).unwrap();
    let last: serde_json::Value = serde_json::from_str(js.lines().last().unwrap()).unwrap();
    for k in [
        "scap.n_evts",
        "scap.n_drops",
        "scap.evts_rate_sec",
        "scap.n_drops_perc",
        "scap.n_drops_buffer_open_exit",
        "sysreplay.bytes_written",
    ] {
        assert!(last.get(k).is_some(), "{k} in {last}");
    }
    // mode 0600
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&trace).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn tiny_buffer_storm_drop_markers_equal_kernel_counters() {
    require_bpf!("tiny_buffer_storm_drop_markers_equal_kernel_counters");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("drops.srt");
    let stats = dir.path().join("stats.json");
    let mut rec = start(
        &trace,
        &[
            "--syscalls",
            "getppid",
            "--buf-size",
            "4096",
            "--drain-interval",
            "50ms",
            "--stats-json",
            stats.to_str().unwrap(),
        ],
    );
    // storm from this process until drops have certainly happened
    let t0 = Instant::now();
    let mut calls = 0u64;
    while t0.elapsed() < Duration::from_millis(500) {
        for _ in 0..10_000 {
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        calls += 10_000;
    }
    let (st, err) = rec.signal(libc::SIGTERM);
    assert!(st.success(), "{err}");
    let (_r, evs) = read_all(&trace);
    let markers: Vec<_> = evs.iter().filter(|e| is(e, Kind::Drop)).collect();
    assert!(
        !markers.is_empty(),
        "a 4 KiB ring under {calls} syscalls must drop"
    );
    let lost: u64 = markers.iter().map(|e| e.header.args[1]).sum();
    let cat_total: u64 = markers
        .iter()
        .map(|e| {
            sysreplay_format::record::DropCounts::decode(item(e, tag::DROP_COUNTS).unwrap())
                .unwrap()
                .total()
        })
        .sum();
    // the final stats sample is the last kernel counter read
    let js = std::fs::read_to_string(&stats).unwrap();
    let last: serde_json::Value = serde_json::from_str(js.lines().last().unwrap()).unwrap();
    let k_drops = last["scap.n_drops"].as_u64().unwrap();
    let k_evts = last["scap.n_evts"].as_u64().unwrap();
    assert!(lost > 0);
    assert_eq!(lost, k_drops, "sum of drop markers == kernel n_drops");
    assert_eq!(cat_total, lost, "per-category counts add up");
    // every event seen is in the trace or counted lost
    assert_eq!(
        number_after(&err, "in the kernel of ", " seen"),
        k_evts,
        "{err}"
    );
    assert_every_event_accounted(&evs, &err);
    for m in &markers {
        assert!(
            m.header.args[0] <= m.header.ts_ns,
            "window start before marker"
        );
        assert!(m.header.args[2] >= m.header.args[1], "seen >= lost");
    }
}

#[test]
fn kill_9_leaves_a_truncated_but_readable_file() {
    require_bpf!("kill_9_leaves_a_truncated_but_readable_file");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("k.srt");
    let mut rec = start(&trace, &["--syscalls", "getppid,openat"]);
    // generate events until at least one block is on disk (the recorder
    // seals a block every second)
    let t0 = Instant::now();
    loop {
        for _ in 0..1000 {
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        if let Ok(r) = TraceReader::open(&trace) {
            if r.event_count() > 0 {
                break;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no block written in 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (st, _) = rec.signal(libc::SIGKILL);
    assert!(!st.success());
    let (r, evs) = read_all(&trace);
    assert!(r.index().is_none(), "no index after kill -9");
    assert!(r.truncation().is_some() || !evs.is_empty());
    assert!(evs
        .iter()
        .any(|e| e.header.nr == nr("getppid") && e.header.pid == std::process::id()));
}

#[test]
fn refuses_to_overwrite_without_force() {
    require_bpf!("refuses_to_overwrite_without_force");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("exists.srt");
    std::fs::write(&trace, b"keep me").unwrap();
    let o = recorder()
        .args(["-w", trace.to_str().unwrap(), "--duration", "1ms"])
        .output()
        .unwrap();
    // Bad input, as for every command (README: exit codes).
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(&trace).unwrap(), b"keep me");
    let o = recorder()
        .args([
            "-w",
            trace.to_str().unwrap(),
            "--duration",
            "100ms",
            "--force",
            "--max-events",
            "5",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_r, evs) = read_all(&trace);
    assert!(evs.iter().filter(|e| !is(e, Kind::Drop)).count() <= 5);
}

/// A symlink planted at `-w` or `--stats-json` (to a file, or dangling) is
/// refused with or without --force, before anything is recorded; its target
/// is untouched and nothing is created where a dangling link points.
#[test]
fn symlinked_output_paths_are_refused() {
    // refused before the probe loads: no BPF needed
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let nowhere = dir.path().join("nowhere");
    let to_victim = dir.path().join("to-victim.srt");
    let dangling = dir.path().join("dangling.srt");
    symlink(&victim, &to_victim).unwrap();
    symlink(&nowhere, &dangling).unwrap();
    let fresh = dir.path().join("fresh.srt");
    for force in [false, true] {
        for (w, stats) in [
            (&to_victim, None),
            (&dangling, None),
            (&fresh, Some(&to_victim)),
            (&fresh, Some(&dangling)),
        ] {
            let mut c = recorder();
            c.args(["-w", w.to_str().unwrap(), "--duration", "100ms"]);
            if let Some(s) = stats {
                c.args(["--stats-json", s.to_str().unwrap()]);
            }
            if force {
                c.arg("--force");
            }
            let o = c.output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            // A path that is not a regular file is bad input (exit 2).
            assert_eq!(
                o.status.code(),
                Some(2),
                "force={force} {w:?} {stats:?}: {err}"
            );
            assert!(err.contains("symbolic link"), "{err}");
            assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
            assert_eq!(
                std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
                0o644
            );
            assert!(!nowhere.exists(), "created where a dangling link points");
            assert!(
                !fresh.exists(),
                "a trace was written despite a refused --stats-json"
            );
        }
    }
}

/// The trace and the stats file are 0600 whatever the umask, also when
/// --force replaces existing files (a new file renamed into place).
#[test]
fn trace_and_stats_files_are_private_with_force() {
    require_bpf!("trace_and_stats_files_are_private_with_force");
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.srt");
    let stats = dir.path().join("stats.json");
    for p in [&trace, &stats] {
        std::fs::write(p, b"old").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let mut c = recorder();
    c.args([
        "-w",
        trace.to_str().unwrap(),
        "--force",
        "--duration",
        "300ms",
    ])
    .args([
        "--syscalls",
        "getppid",
        "--stats-json",
        stats.to_str().unwrap(),
    ]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for p in [&trace, &stats] {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600,
            "{p:?}"
        );
    }
    let (r, _) = read_all(&trace);
    assert!(r.index().is_some());
    let js = std::fs::read_to_string(&stats).unwrap();
    assert!(!js.starts_with("old"), "the stats file was replaced: {js}");
    assert!(js.lines().count() >= 1);
}

/// A closed stderr (the reader of its pipe gone) neither kills nor cuts a
/// recording: the stats and summary lines are dropped, the file is complete.
#[test]
fn a_closed_stderr_does_not_stop_a_recording() {
    require_bpf!("a_closed_stderr_does_not_stop_a_recording");
    use std::os::fd::{FromRawFd, OwnedFd};
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.srt");
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own; the read end is closed.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { libc::close(fds[0]) };
    let t0 = Instant::now();
    let st = recorder()
        .args(["-w", trace.to_str().unwrap(), "--syscalls", "getppid"])
        .args(["--duration", "1500ms", "--stats-interval", "100ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) }))
        .status()
        .unwrap();
    assert!(st.success(), "{st}");
    assert!(t0.elapsed() >= Duration::from_millis(1500), "stopped early");
    let (r, _) = read_all(&trace);
    assert!(r.index().is_some(), "complete file");
}

/// SIGHUP (a closed terminal or ssh session) ends a recording like SIGTERM:
/// a complete file with its index.
#[test]
fn sighup_stops_with_a_complete_file() {
    require_bpf!("sighup_stops_with_a_complete_file");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("hup.srt");
    let mut rec = start(&trace, &["--syscalls", "getppid"]);
    storm_until({
        let t = Instant::now();
        move || t.elapsed() > Duration::from_millis(200)
    });
    let (st, err) = rec.signal(libc::SIGHUP);
    assert!(st.success(), "{st}: {err}");
    assert!(err.contains("recorded "), "{err}");
    let (r, evs) = read_all(&trace);
    assert!(r.index().is_some(), "complete file");
    assert!(!evs.is_empty());
}

/// A --min-free-mb too large for bytes in 64 bits is an input error (it
/// wrapped to a small floor and silently disabled the disk guard), and the
/// largest valid value stops the recording at once: no disk has that much.
#[test]
fn huge_min_free_mb_is_an_error_or_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.srt");
    for mb in ["17592186044417", "18446744073709551615"] {
        let o = recorder()
            .args(["-w", trace.to_str().unwrap(), "--duration", "300ms"])
            .args(["--min-free-mb", mb])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{mb}: {err}");
        assert!(
            err.contains("--min-free-mb") && err.contains("too large"),
            "{err}"
        );
        assert!(!trace.exists());
    }
    let o = recorder()
        .args([
            "-w",
            trace.to_str().unwrap(),
            "--duration",
            "300ms",
            "-C",
            "17592186044417",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    require_bpf!("huge_min_free_mb_is_an_error_or_stops_at_once");
    let t0 = Instant::now();
    let o = recorder()
        .args(["-w", trace.to_str().unwrap(), "--duration", "20s"])
        .args(["--syscalls", "getppid", "--min-free-mb", "17592186044415"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("disk full"), "{err}");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "the guard stopped it"
    );
    let (r, _) = read_all(&trace);
    assert!(r.index().is_some());
}

/// Thread-group ids of `root` and every process forked below it, from the
/// trace's fork records.
fn tree_of(evs: &[OwnedEvent], root: u32) -> std::collections::HashSet<u32> {
    let mut set = std::collections::HashSet::from([root]);
    for e in evs {
        if is(e, Kind::ProcFork) && set.contains(&e.header.pid) {
            set.insert(e.header.args[1] as u32);
        }
    }
    set
}

/// `record -- COMMAND`: only the command and its descendants are recorded
/// (a grandchild included, this test's own storm left out), and the
/// recording stops when the command exits, saying so.
#[test]
fn a_command_is_recorded_with_its_descendants_only() {
    require_bpf!("a_command_is_recorded_with_its_descendants_only");
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("grandchild.txt");
    std::fs::write(&known, b"x").unwrap();
    let trace = dir.path().join("cmd.srt");
    let script = format!(
        "sleep 0.3; sh -c 'cat {} > /dev/null'; exit 3",
        known.display()
    );
    let child = recorder()
        .args([
            "-w",
            trace.to_str().unwrap(),
            "--syscalls",
            "openat,getppid",
        ])
        .args(["--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let recorder = child.id();
    let t0 = Instant::now();
    let mut child = child;
    // calls of this process meanwhile (not a storm: drops could take the
    // command's own fork records), which must be left out
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the recording did not stop"
        );
        for _ in 0..100 {
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("the command exited (exit status: 3)"), "{err}");
    let (_r, evs) = read_all(&trace);
    let recorded: Vec<&OwnedEvent> = evs.iter().filter(|e| !is(e, Kind::Drop)).collect();
    let root = recorded.first().expect("events of the command").header.pid;
    let tree = tree_of(&evs, root);
    assert!(tree.len() >= 3, "sh, sleep, sh, cat: {tree:?}");
    for e in &recorded {
        assert!(
            tree.contains(&e.header.pid),
            "pid {} is not in the tree",
            e.header.pid
        );
        assert_ne!(
            e.header.pid,
            std::process::id(),
            "the test's storm is left out"
        );
        assert_ne!(e.header.pid, recorder);
    }
    let opened = recorded.iter().any(|e| {
        e.header.nr == nr("openat")
            && item(e, 1).map(c_str) == Some(known.to_str().unwrap().as_bytes())
    });
    assert!(opened, "the grandchild's open is recorded");
    assert!(
        err.contains("events of processes not followed left out by the probe"),
        "{err}"
    );
}

/// Following is done in the probe: a neighbour flooding syscalls (a thread
/// of this test process, not followed) while `record -- COMMAND` runs with
/// a small ring does not make the kernel drop the command's events, because
/// its events never reach the ring (filtered in user space only, they
/// filled the 64 KiB ring every drain and the command's records were lost).
#[test]
fn a_flooding_neighbour_does_not_cost_the_followed_command_events() {
    require_bpf!("a_flooding_neighbour_does_not_cost_the_followed_command_events");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("neighbour.srt");
    // 300 writes by the command, 100 by a grandchild; sleeps so the flood
    // runs before, between and after them
    let script = "sleep 0.2; i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done > /dev/null; \
                  sleep 0.1; sh -c 'j=0; while [ $j -lt 100 ]; do echo g$j; j=$((j+1)); done > /dev/null'; sleep 0.2";
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut calls = 0u64;
            let devnull = std::fs::File::create("/dev/null").unwrap();
            use std::os::fd::AsRawFd;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for _ in 0..1000 {
                    unsafe {
                        libc::syscall(libc::SYS_getppid);
                        libc::write(devnull.as_raw_fd(), b"x".as_ptr().cast(), 1);
                    }
                }
                calls += 2000;
            }
            calls
        })
    };
    let o = recorder()
        .args(["-w", trace.to_str().unwrap()])
        .args(["--syscalls", "getppid,write", "--buf-size", "65536"])
        .args(["--", "sh", "-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls = flood.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(calls > 100_000, "the neighbour flooded: {calls} calls");
    assert_eq!(
        number_after(&err, "drop markers, ", " events lost"),
        0,
        "{err}"
    );
    // the probe saw the flood and left it out
    let left_out = number_before(&err, " events of processes not followed left out");
    assert!(left_out > 100_000, "{left_out} events left out: {err}");
    let (_r, evs) = read_all(&trace);
    assert_eq!(lost_in_drop_markers(&evs), 0);
    assert!(!evs.iter().any(|e| is(e, Kind::Drop)), "no drop marker");
    let root = evs.first().expect("events of the command").header.pid;
    let tree = tree_of(&evs, root);
    for e in &evs {
        assert!(
            tree.contains(&e.header.pid),
            "pid {} is not in the tree {tree:?}",
            e.header.pid
        );
    }
    let writes = |pred: &dyn Fn(u32) -> bool| {
        evs.iter()
            .filter(|e| is(e, Kind::Syscall) && e.header.nr == nr("write") && pred(e.header.pid))
            .count()
    };
    assert_eq!(writes(&|p| p == root), 300, "every write of the command");
    assert_eq!(writes(&|p| p != root), 100, "every write of the grandchild");
    assert_every_event_accounted(&evs, &err);
}

/// `--pid PID`: only that process; with --follow-children its descendants
/// too. The recording stops when the followed processes have exited.
#[test]
fn pid_follows_a_process_and_its_children_only_when_asked() {
    require_bpf!("pid_follows_a_process_and_its_children_only_when_asked");
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("child.txt");
    std::fs::write(&known, b"x").unwrap();
    for children in [false, true] {
        let trace = dir.path().join(format!("pid{children}.srt"));
        // the process waits until the recorder runs, then reads the file
        // itself and in a child
        let go = dir.path().join(format!("go{children}"));
        let script = format!(
            "while [ ! -e {go} ]; do sleep 0.05; done; read x < {k}; cat {k} > /dev/null",
            go = go.display(),
            k = known.display()
        );
        let mut target = Command::new("sh").args(["-c", &script]).spawn().unwrap();
        let pid = target.id().to_string();
        let mut extra = vec!["--syscalls", "openat", "--pid", &pid];
        if children {
            extra.push("--follow-children");
        }
        let mut rec = start(&trace, &extra);
        std::fs::write(&go, b"").unwrap();
        assert!(target.wait().unwrap().success());
        let t0 = Instant::now();
        while rec.child.try_wait().unwrap().is_none() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "did not stop by itself"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let (st, err) = rec.wait();
        assert!(st.success(), "{err}");
        assert!(err.contains("the followed processes exited"), "{err}");
        let (_r, evs) = read_all(&trace);
        let opens: Vec<u32> = evs
            .iter()
            .filter(|e| {
                e.header.nr == nr("openat")
                    && item(e, 1).map(c_str) == Some(known.to_str().unwrap().as_bytes())
            })
            .map(|e| e.header.pid)
            .collect();
        let me: u32 = pid.parse().unwrap();
        assert!(opens.contains(&me), "the shell's own open: {opens:?}");
        assert_eq!(
            opens.iter().any(|&p| p != me),
            children,
            "the child's open only with --follow-children: {opens:?}"
        );
        for e in evs.iter().filter(|e| !is(e, Kind::Drop)) {
            if !children {
                assert_eq!(e.header.pid, me);
            }
        }
    }
}

/// `--nice N`: every thread of the recorder (drain loop, snapshot,
/// compression) runs at nice N.
#[test]
fn nice_applies_to_every_recorder_thread() {
    require_bpf!("nice_applies_to_every_recorder_thread");
    let dir = tempfile::tempdir().unwrap();
    for n in ["-5", "7"] {
        let trace = dir.path().join(format!("nice{n}.srt"));
        let mut rec = start(&trace, &["--syscalls", "getppid", "--nice", n]);
        let pid = rec.child.id();
        let t0 = Instant::now();
        storm_until(|| t0.elapsed() > Duration::from_millis(1200)); // a block is sealed
        let mut threads = 0;
        for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
            let stat = std::fs::read_to_string(t.unwrap().path().join("stat")).unwrap();
            // after "(comm)": state is field 3; nice is field 19
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            let nice = rest.split_whitespace().nth(16).unwrap();
            assert_eq!(nice, n, "a recorder thread at nice {nice}: {stat}");
            threads += 1;
        }
        assert!(threads >= 2, "the drain loop and the compression thread");
        let (st, err) = rec.signal(libc::SIGINT);
        assert!(st.success(), "{err}");
    }
}

/// Scheduling policy and real-time priority of each thread of `pid`
/// (/proc/PID/task/TID/stat fields 41 and 40), the main thread first.
fn thread_policies(pid: u32) -> Vec<(u32, u32, u32)> {
    let mut v = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let t = t.unwrap();
        let tid: u32 = t.file_name().to_str().unwrap().parse().unwrap();
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap();
        // after "(comm) ": field 3 is nth(0)
        let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
            .split_whitespace()
            .collect();
        v.push((tid, f[41 - 3].parse().unwrap(), f[40 - 3].parse().unwrap()));
    }
    v.sort_by_key(|&(tid, _, _)| tid != pid);
    v
}

/// The drain thread (the recorder's main thread) runs SCHED_FIFO at
/// priority 1 by default, `fifo:N` at N, and the threads it starts
/// (compression, snapshot) stay ordinary; `--sched other` leaves every
/// thread SCHED_OTHER. Under CPU contention an ordinary drain thread was
/// preempted mid-pass for tens of ms and the kernel dropped (BENCH.md).
#[test]
fn the_drain_thread_alone_is_realtime_unless_asked_otherwise() {
    require_bpf!("the_drain_thread_alone_is_realtime_unless_asked_otherwise");
    let dir = tempfile::tempdir().unwrap();
    for (extra, want) in [
        (&[][..], Some(1)),
        (&["--sched", "fifo:5"][..], Some(5)),
        (&["--sched", "other"][..], None),
    ] {
        let trace = dir.path().join("sched.srt");
        let _ = std::fs::remove_file(&trace);
        let mut args = vec!["--syscalls", "getppid"];
        args.extend_from_slice(extra);
        let mut rec = start(&trace, &args);
        let pid = rec.child.id();
        let t0 = Instant::now();
        // a block is sealed: the compression thread exists
        storm_until(|| t0.elapsed() > Duration::from_millis(1200));
        let th = thread_policies(pid);
        let (st, err) = rec.signal(libc::SIGINT);
        assert!(st.success(), "{err}");
        assert!(
            th.len() >= 2,
            "the drain loop and the compression thread: {th:?}"
        );
        let (main_tid, policy, prio) = th[0];
        assert_eq!(main_tid, pid);
        match want {
            Some(p) => assert_eq!((policy, prio), (1, p), "SCHED_FIFO {p}: {th:?} {extra:?}"),
            None => assert_eq!((policy, prio), (0, 0), "SCHED_OTHER: {th:?}"),
        }
        for &(tid, policy, _) in &th[1..] {
            assert_eq!(
                policy, 0,
                "thread {tid} is an ordinary one: {th:?} {extra:?}"
            );
        }
    }
}

#[test]
fn dry_run_prints_falcos_three_lines() {
    // no BPF needed
    let o = recorder()
        .args([
            "--dry-run",
            "--syscalls",
            "openat,ptrace,!close",
            "--repair",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    // on stdout, to be piped (`rules check` prints there too)
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let e = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines[0], "(0) syscalls in rules: ");
    assert!(lines[1].starts_with("+(2) syscalls added (base_syscalls override): openat, ptrace"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("+(") && l.contains("repaired syscalls: ")));
    let last = lines
        .iter()
        .find(|l| l.contains("syscalls selected in total (final set): "))
        .unwrap();
    assert!(last.contains("execve") && last.contains("ptrace") && !last.contains(" close,"));
}

/// `--dry-run` prints what `record` records: Falco's final set counts
/// names that record nothing of their own (sched_process_exit is not a
/// syscall, umount is x86_64's umount2), and the recorded line counts
/// what `record` says it records.
#[test]
fn dry_run_lists_what_record_records_and_explains_the_difference() {
    let o = recorder().arg("--dry-run").output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let count = |l: &str| -> usize {
        l[l.find('(').unwrap() + 1..l.find(')').unwrap()]
            .parse()
            .unwrap()
    };
    let names = |l: &str| -> Vec<String> {
        l.split(": ")
            .nth(1)
            .unwrap()
            .split(", ")
            .map(String::from)
            .collect()
    };
    let final_line = out
        .lines()
        .find(|l| l.contains("(final set)"))
        .unwrap_or_else(|| panic!("{out}"));
    let recorded = out
        .lines()
        .find(|l| l.contains("x86_64 syscalls recorded: "))
        .unwrap_or_else(|| panic!("{out}"));
    let not_syscalls = out
        .lines()
        .find(|l| l.contains("record nothing of their own"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(count(recorded), names(recorded).len());
    assert!(count(recorded) < count(final_line), "{out}");
    assert_eq!(
        count(recorded) + count(not_syscalls),
        count(final_line),
        "{out}"
    );
    assert!(
        not_syscalls.contains("sched_process_exit (a scheduler event, not a syscall")
            && not_syscalls.contains("umount (the same x86_64 syscall as umount2)"),
        "{out}"
    );
    for n in names(recorded) {
        assert!(
            names(final_line).contains(&n),
            "{n} is in Falco's final set"
        );
    }
}

/// `--all` without rules or --syscalls keeps nothing more, though it reads
/// as "record everything": a notice says so and names `--syscalls all`;
/// where it does change the selection, no notice.
#[test]
fn all_that_changes_nothing_says_so_and_names_syscalls_all() {
    let o = recorder().args(["--dry-run", "--all"]).output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--all changes nothing here") && err.contains("--syscalls all"),
        "{err}"
    );
    // named in --syscalls, read is kept anyway
    let o = recorder()
        .args(["--dry-run", "--all", "--syscalls", "read,openat"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--all changes nothing"));
    // a rule on read: --all keeps it
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: reads\n  desc: d\n  condition: evt.type = read\n  output: o\n  priority: WARNING\n",
    )
    .unwrap();
    let o = recorder()
        .args(["--dry-run", "--all", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(" read,"));
    let h = recorder().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&h.stdout);
    assert!(
        help.contains("NOT \"record every syscall\" (that is `--syscalls all`)"),
        "{help}"
    );
}

#[test]
fn records_staged_on_a_quiet_cpu_come_out_during_the_recording() {
    require_bpf!("records_staged_on_a_quiet_cpu_come_out_during_the_recording");
    // The probe stages fixed-size records per CPU; a CPU that goes quiet
    // after a few must still deliver them within a drain interval or two
    // (the recorder flushes it), not when the recording stops.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("quiet.srt");
    let mut rec = start(&trace, &["--syscalls", "getppid"]);
    // A thread of its own (other tests of this process call getppid too)
    // that stays alive and blocked: a thread's exit would flush its CPU.
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (end_tx, end_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        for _ in 0..5 {
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        tid_tx.send(unsafe { libc::gettid() as u32 }).unwrap();
        let _ = end_rx.recv();
    });
    let tid = tid_rx.recv().unwrap();
    // Blocks are sealed every second: after 2.5 s the file on disk, still
    // being written, must hold them.
    std::thread::sleep(Duration::from_millis(2500));
    let (_r, evs) = read_all(&trace);
    let ours = |evs: &[OwnedEvent]| {
        evs.iter()
            .filter(|e| e.header.tid == tid && e.header.nr == nr("getppid"))
            .count()
    };
    let before_stop = ours(&evs);
    let (st, err) = rec.signal(libc::SIGTERM);
    end_tx.send(()).unwrap();
    worker.join().unwrap();
    assert!(st.success(), "{err}");
    assert_eq!(
        before_stop, 5,
        "5 getppid calls 2.5 s ago are not in the trace yet"
    );
    let (_r, evs) = read_all(&trace);
    assert_eq!(ours(&evs), 5, "each getppid once");
}

/// Run getppid in a loop until `done` says so (or 60 s pass).
fn storm_until(done: impl FnMut() -> bool) {
    storm_syscall_until(libc::SYS_getppid, done)
}

/// Run syscall `nr` (no arguments) in a loop until `done` says so (or 60 s
/// pass).
fn storm_syscall_until(nr: libc::c_long, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        for _ in 0..20_000 {
            unsafe { libc::syscall(nr) };
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "condition not reached in 60 s"
        );
    }
}

/// The number after `key` in `text` ("... of 123 seen" with key "of ").
fn number_after(text: &str, key: &str, until: &str) -> u64 {
    let i = text
        .find(key)
        .unwrap_or_else(|| panic!("no {key:?} in {text}"))
        + key.len();
    let j = text[i..].find(until).unwrap() + i;
    text[i..j].trim().parse().unwrap()
}

/// The number right before `key` in `text` ("; 123 events ..." with key " events").
fn number_before(text: &str, key: &str) -> u64 {
    let j = text
        .find(key)
        .unwrap_or_else(|| panic!("no {key:?} in {text}"));
    let i = text[..j].rfind(' ').map_or(0, |i| i + 1);
    text[i..j].parse().unwrap()
}

/// The events the drop markers of `evs` say were lost.
fn lost_in_drop_markers(evs: &[OwnedEvent]) -> u64 {
    evs.iter()
        .filter(|e| is(e, Kind::Drop))
        .map(|e| e.header.args[1])
        .sum()
}

/// Every event the kernel counted is in the file, or in a drop marker's
/// `lost`: nothing is lost without a word.
fn assert_every_event_accounted(evs: &[OwnedEvent], err: &str) {
    // the kernel counts only the followed processes' events (the probe
    // leaves the others out before counting)
    let seen = number_after(err, "in the kernel of ", " seen");
    let written = evs.iter().filter(|e| !is(e, Kind::Drop)).count() as u64;
    let lost = lost_in_drop_markers(evs);
    assert_eq!(
        written + lost,
        seen,
        "{written} written + {lost} in drop markers vs {seen} seen by the kernel: {err}"
    );
}

/// A recorder far behind when it is told to stop (here: stopped with
/// SIGSTOP while a storm fills a 512 MiB ring) drains the rings fully
/// before closing (a drain pass takes at most 64 MiB of a ring: one pass
/// left the rest unread while the summary said nothing was lost).
#[test]
fn a_backlog_at_stop_is_drained_fully() {
    require_bpf!("a_backlog_at_stop_is_drained_fully");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("backlog.srt");
    let mut rec = start(
        &trace,
        &["--syscalls", "getppid", "--buf-size", "536870912"],
    );
    let pid = rec.child.id() as i32;
    // SAFETY: our own child.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let t0 = Instant::now();
    storm_until(|| t0.elapsed() > Duration::from_millis(3000));
    unsafe {
        libc::kill(pid, libc::SIGINT);
        libc::kill(pid, libc::SIGCONT);
    }
    let (st, err) = rec.wait();
    assert!(st.success(), "{err}");
    let (r, evs) = read_all(&trace);
    assert!(r.index().is_some());
    // all read, none given up as "could not be read" (the stop path made
    // four 64 MiB passes: a larger backlog was left in the ring)
    assert!(!err.contains("could not be read"), "{err}");
    let written = evs.iter().filter(|e| !is(e, Kind::Drop)).count();
    assert!(written > 1_000_000, "a backlog built up: {written} events");
    assert_every_event_accounted(&evs, &err);
}

#[test]
fn rotation_by_size_keeps_the_last_n_files() {
    require_bpf!("rotation_by_size_keeps_the_last_n_files");
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rot.srt");
    let mut rec = start(
        &base,
        &[
            "--syscalls",
            "getppid",
            "-C",
            "1",
            "-W",
            "2",
            "--zstd-level",
            "1",
        ],
    );
    let name = |i: u32| rotated(&base, i);
    storm_until(|| name(3).exists());
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "{err}");
    assert!(
        !name(0).exists() && !name(1).exists(),
        "only the last 2 files are kept"
    );
    let mut prev: Vec<OwnedEvent> = Vec::new();
    let mut idx_seen = Vec::new();
    for i in 2..=3 {
        let (r, evs) = read_all(&name(i));
        assert!(r.index().is_some(), "rotated file {i} is complete");
        let note = r
            .header()
            .config
            .notes
            .iter()
            .find(|(k, _)| k == "rotation_index")
            .cloned();
        idx_seen.push(note.map(|(_, v)| v));
        assert!(!evs.is_empty());
        // The next file's snapshot is taken while the current file goes on;
        // the next file repeats everything from the snapshot's start, so
        // nothing falls between two files.
        let first = evs[0].header.ts_ns;
        let key = |e: &OwnedEvent| (e.header.ts_ns, e.header.tid, e.header.nr);
        let here: std::collections::HashSet<_> = evs.iter().map(key).collect();
        let missing = prev
            .iter()
            .filter(|e| e.header.ts_ns >= first && !is(e, Kind::Drop))
            .filter(|e| !here.contains(&key(e)))
            .count();
        assert_eq!(missing, 0, "file {i} repeats the previous file's tail");
        assert!(
            prev.last()
                .is_none_or(|p| first <= p.header.ts_ns + 1_000_000_000),
            "file {i} starts where the previous one ends"
        );
        prev = evs;
        assert!(
            !r.snapshot().threads.is_empty(),
            "each file has its own /proc snapshot"
        );
    }
    assert_eq!(idx_seen, vec![Some("2".to_string()), Some("3".to_string())]);
    // the final message names only the files that are left
    let listed = files_in_summary(&err);
    assert!(!listed.is_empty());
    for f in &listed {
        assert!(
            Path::new(f).exists(),
            "{f} is listed but -W deleted it: {err}"
        );
    }
    assert!(listed.contains(&name(3).display().to_string()), "{err}");
    assert!(std::fs::metadata(name(2)).unwrap().len() >= 1 << 20);
}

/// `-C 100 -W 5` with a recording that never reaches 100 MB writes FILE as
/// asked (no `FILE0`), and the final message names that file.
#[test]
fn rotation_that_never_happens_writes_file_as_named() {
    require_bpf!("rotation_that_never_happens_writes_file_as_named");
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rot.srt");
    let mut rec = start(
        &base,
        &[
            "--syscalls",
            "getppid",
            "-C",
            "100",
            "-W",
            "5",
            "--duration",
            "300ms",
        ],
    );
    let (st, err) = rec.storm_until_exit();
    assert!(st.success(), "{err}");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["rot.srt".to_string()], "{err}");
    assert_eq!(files_in_summary(&err), vec![base.display().to_string()]);
    let (r, _) = read_all(&base);
    assert!(r.index().is_some());
}

/// On a terminal, `record` says how to stop it and keeps one status line
/// (events/s, drops, file size) rewritten in place; piped, only the
/// how-to-stop line.
#[test]
fn says_how_to_stop_and_shows_a_live_status_on_a_terminal() {
    require_bpf!("says_how_to_stop_and_shows_a_live_status_on_a_terminal");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("live.srt");
    let me = std::process::id().to_string();
    let cmd = format!(
        "{BIN} record -w {} --syscalls getppid --pid {me} --duration 2500ms",
        trace.display()
    );
    // `script` runs it on a pseudo-terminal and copies what it printed
    let o = match Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            sysreplay_testkit::skip(
                "says_how_to_stop_and_shows_a_live_status_on_a_terminal",
                &format!("no `script` ({e})"),
            );
            return;
        }
    };
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{tty}");
    assert!(tty.contains("stop with Ctrl-C"), "{tty}");
    assert!(tty.contains("stops by itself after 2.500s"), "{tty}");
    let status: Vec<&str> = tty
        .split("\r\x1b[K")
        .filter(|l| l.starts_with("recording ") && l.contains("events/s"))
        .collect();
    assert!(status.len() >= 2, "a status line each second: {tty}");
    assert!(
        status
            .iter()
            .all(|l| l.contains(" drops, ") && l.ends_with('B') && !l.contains('\n')),
        "{tty}"
    );
    // piped: no status line, no escape sequences
    let o = recorder()
        .args(["-w", dir.path().join("piped.srt").to_str().unwrap()])
        .args([
            "--syscalls",
            "getppid",
            "--pid",
            &me,
            "--duration",
            "1500ms",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("stop with Ctrl-C"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains("events/s"), "{err}");
}

/// Names the rotation will want, created first by someone else (a symlink
/// to a victim file, a regular file, a dangling symlink), neither stop the
/// recording nor get written: it goes on with the next free name.
#[test]
fn rotation_skips_names_someone_else_created_first() {
    require_bpf!("rotation_skips_names_someone_else_created_first");
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rot.srt");
    let name = |i: u32| rotated(&base, i);
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    symlink(&victim, name(1)).unwrap();
    std::fs::write(name(2), b"planted").unwrap();
    symlink(dir.path().join("nowhere"), name(3)).unwrap();
    let mut rec = start(&base, &["--syscalls", "getppid", "-C", "1"]);
    storm_until(|| name(5).exists());
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "{err}");
    assert!(err.contains("taken by another file"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(std::fs::read(name(2)).unwrap(), b"planted");
    assert!(!dir.path().join("nowhere").exists());
    for i in [0, 4, 5] {
        let (r, evs) = read_all(&name(i));
        assert!(r.index().is_some(), "file {i} is complete");
        assert!(!evs.is_empty());
    }
}

/// A rotation whose new file cannot be created at all (here: a tmpfs with
/// no inode left) does not stop the recording: it goes on into the current
/// file, says so, and ends cleanly with that file complete.
#[test]
fn a_rotation_that_cannot_create_its_file_keeps_recording() {
    require_bpf!("a_rotation_that_cannot_create_its_file_keeps_recording");
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m,nr_inodes=2", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        sysreplay_testkit::skip(
            "a_rotation_that_cannot_create_its_file_keeps_recording",
            "cannot mount a tmpfs",
        );
        return;
    }
    let _m = Tmpfs(dir.path().to_path_buf());
    let base = dir.path().join("r.srt");
    let name = |i: u32| rotated(&base, i);
    // the root directory and the first file take the two inodes
    let mut rec = start(
        &base,
        &["--syscalls", "getppid", "-G", "1", "--min-free-mb", "1"],
    );
    let t0 = Instant::now();
    storm_until(|| t0.elapsed() > Duration::from_millis(2500));
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "{err}");
    assert!(
        err.contains("cannot rotate") && err.contains("recording goes on"),
        "{err}"
    );
    assert!(!name(1).exists());
    let (r, evs) = read_all(&name(0));
    assert!(r.index().is_some(), "the current file is complete");
    // it holds the whole recording, not just the first second
    let ours: Vec<_> = evs.iter().filter(|e| !is(e, Kind::Drop)).collect();
    let span = ours.last().unwrap().header.ts_ns - ours.first().unwrap().header.ts_ns;
    assert!(
        span > 2_000_000_000,
        "recorded on past the failed rotation: {span} ns"
    );
}

#[test]
fn a_slow_snapshot_on_rotation_loses_nothing() {
    require_bpf!("a_slow_snapshot_on_rotation_loses_nothing");
    // Each file's /proc snapshot takes 1 s more than it would: the
    // recorder goes on draining into the current file meanwhile, and the
    // next file starts with everything since its snapshot began.
    // If one drain pass outlasts the whole snapshot (a loaded 2-core
    // machine, seen in CI with a 400 ms delay), file 0 gets no tail at all:
    // hence the long delay, and getpgrp, which nothing else on the host
    // calls in a storm.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("slow.srt");
    let mut rec = start_with_env(
        &base,
        &["--syscalls", "getpgrp", "-G", "1"],
        &[("SYSREPLAY_TEST_SNAPSHOT_DELAY_MS", "1000")],
    );
    let name = |i: u32| rotated(&base, i);
    storm_syscall_until(libc::SYS_getpgrp, || name(2).exists());
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "{err}");
    let (_, f0) = read_all(&name(0));
    let (r1, f1) = read_all(&name(1));
    let key = |e: &OwnedEvent| (e.header.ts_ns, e.header.tid, e.header.nr);
    let in_f1: std::collections::HashSet<_> = f1.iter().map(key).collect();
    // everything file 0 got after file 1's snapshot began is in file 1 too
    let snap_at = r1.snapshot().taken_at_ns;
    let tail: Vec<_> = f0
        .iter()
        .filter(|e| e.header.ts_ns >= snap_at && !is(e, Kind::Drop))
        .collect();
    assert!(
        tail.len() > 100,
        "file 0 went on during file 1's snapshot ({} events)",
        tail.len()
    );
    assert!(
        tail.iter().all(|e| in_f1.contains(&key(e))),
        "file 1 repeats them"
    );
}

#[test]
fn rotation_by_time() {
    require_bpf!("rotation_by_time");
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("g.srt");
    let mut rec = start(&base, &["--syscalls", "getppid", "-G", "1"]);
    let name = |i: u32| rotated(&base, i);
    storm_until(|| name(2).exists());
    let (st, err) = rec.signal(libc::SIGINT);
    assert!(st.success(), "{err}");
    for i in 0..=2 {
        let (r, _) = read_all(&name(i));
        assert!(r.index().is_some(), "file {i} complete");
    }
}

struct Tmpfs(PathBuf);
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn small_tmpfs(dir: &Path, size: &str) -> Option<Tmpfs> {
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then(|| Tmpfs(dir.to_path_buf()))
}

#[test]
fn full_disk_floor_stops_with_a_complete_file_and_a_clear_message() {
    require_bpf!("full_disk_floor_stops_with_a_complete_file_and_a_clear_message");
    let dir = tempfile::tempdir().unwrap();
    let Some(_m) = small_tmpfs(dir.path(), "3m") else {
        sysreplay_testkit::skip(
            "full_disk_floor_stops_with_a_complete_file_and_a_clear_message",
            "cannot mount a tmpfs",
        );
        return;
    };
    // 1. below the free-space floor: a clean stop, complete file
    let trace = dir.path().join("a.srt");
    let mut rec = start(&trace, &["--syscalls", "getppid", "--min-free-mb", "2"]);
    let (st, err) = rec.storm_until_exit();
    assert_eq!(st.code(), Some(1), "{err}");
    assert!(err.contains("disk full"), "{err}");
    let (r, evs) = read_all(&trace);
    assert!(
        r.index().is_some(),
        "stopped before the disk filled: complete file"
    );
    assert!(!evs.is_empty());
}

#[test]
fn enospc_mid_block_leaves_a_readable_file() {
    require_bpf!("enospc_mid_block_leaves_a_readable_file");
    let dir = tempfile::tempdir().unwrap();
    let Some(_m) = small_tmpfs(dir.path(), "3m") else {
        sysreplay_testkit::skip(
            "enospc_mid_block_leaves_a_readable_file",
            "cannot mount a tmpfs",
        );
        return;
    };
    // no free-space floor: the write fails with ENOSPC; the writer cuts the
    // partial block and the file reads up to its last complete block (a
    // writer that truncates with set_len but keeps writing at the old file
    // position leaves a hole of zeros, which readers reject)
    let trace = dir.path().join("b.srt");
    let mut rec = start(
        &trace,
        &[
            "--syscalls",
            "getppid",
            "--min-free-mb",
            "0",
            "--zstd-level",
            "1",
        ],
    );
    let (st, err) = rec.storm_until_exit();
    assert_eq!(st.code(), Some(1), "{err}");
    assert!(
        err.contains("disk full") && err.contains("No space left"),
        "{err}"
    );
    let (r, evs) = read_all(&trace);
    assert!(
        !evs.is_empty(),
        "the blocks written before the disk filled are readable"
    );
    // what could not be written is counted: a drop marker ends the file
    // (when it and the index fit, as on this tmpfs), and the summary says so
    assert!(r.index().is_some(), "the index fits: {err}");
    assert!(
        err.contains(
            "records could not be written (a drop marker at the end of the file counts them)"
        ),
        "{err}"
    );
    assert!(
        !err.contains("compression"),
        "no ratio for an incomplete file: {err}"
    );
    assert!(
        is(evs.last().unwrap(), Kind::Drop),
        "ends with a drop marker"
    );
    assert_every_event_accounted(&evs, &err);
}

#[test]
fn missing_privileges_give_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("np.srt");
    // unprivileged already: run as is; as root: drop every capability with
    // setpriv (staying uid 0), so the check has something to name
    let mut cmd = if sysreplay_capture::privileges::missing().is_some() {
        recorder()
    } else {
        let mut c = Command::new("setpriv");
        c.args(["--inh-caps=-all", "--bounding-set=-all", "--"])
            .args([BIN, "record"]);
        c
    };
    let o = match cmd
        .args(["-w", trace.to_str().unwrap(), "--duration", "1s"])
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            sysreplay_testkit::skip(
                "missing_privileges_give_one_clear_line",
                &format!("no setpriv ({e})"),
            );
            return;
        }
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("CAP_BPF") && err.contains("CAP_PERFMON") && err.contains("root"),
        "{err}"
    );
    assert!(!trace.exists(), "nothing is created without privileges");
}

/// With CAP_BPF+CAP_PERFMON only, as a user other than root, tracefs (mode
/// 0700) is out of reach: the error names CAP_DAC_READ_SEARCH (it said
/// "tracefs not found"), and with it added the recording works.
#[test]
fn bpf_and_perfmon_alone_name_the_missing_dac_read_search() {
    sysreplay_testkit::require!(
        sysreplay_testkit::root(),
        "bpf_and_perfmon_alone_name_the_missing_dac_read_search"
    );
    require_bpf!("bpf_and_perfmon_alone_name_the_missing_dac_read_search");
    use std::os::unix::fs::PermissionsExt;
    if !Path::new("/sys/kernel/tracing/events").exists() {
        let _ = Command::new("mount")
            .args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
            .status();
    }
    let dir = tempfile::tempdir().unwrap();
    // the unprivileged user writes here
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = |caps: &str, name: &str| {
        let trace = dir.path().join(name);
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(format!("--inh-caps=-all,{caps}"))
            .arg(format!("--ambient-caps=-all,{caps}"))
            .arg("--")
            .args([BIN, "record"])
            .args(["-w", trace.to_str().unwrap(), "--syscalls", "getppid"])
            .args(["--duration", "300ms"])
            .output();
        (o, trace)
    };
    let (o, trace) = run("+bpf,+perfmon", "a.srt");
    let o = match o {
        Ok(o) => o,
        Err(e) => {
            sysreplay_testkit::skip(
                "bpf_and_perfmon_alone_name_the_missing_dac_read_search",
                &format!("no setpriv ({e})"),
            );
            return;
        }
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("CAP_DAC_READ_SEARCH"), "{err}");
    assert!(!err.contains("not found"), "{err}");
    assert!(!trace.exists());
    let (o, trace) = run("+bpf,+perfmon,+dac_read_search", "b.srt");
    let o = o.unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // no CAP_SYS_NICE: the drain thread stays SCHED_OTHER, and says so
    assert!(
        err.contains("warning: cannot run the drain thread SCHED_FIFO"),
        "{err}"
    );
    let (r, _) = read_all(&trace);
    assert!(r.index().is_some());
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn udp_addresses_and_environment_only_with_capture_env() {
    require_bpf!("udp_addresses_and_environment_only_with_capture_env");
    let dir = tempfile::tempdir().unwrap();
    let me = std::process::id();
    for capture_env in [false, true] {
        let trace = dir.path().join(format!("env{capture_env}.srt"));
        let mut args = vec!["--syscalls", "execve,sendto,recvmsg"];
        if capture_env {
            args.push("--capture-env");
        }
        let mut rec = start(&trace, &args);
        let secret = format!("s3cr3t-{capture_env}-value");
        let st = Command::new("/bin/true")
            .env("SR_SECRET_TOKEN", &secret)
            .status()
            .unwrap();
        assert!(st.success());
        // UDP: sendto names the destination, recvmsg returns the source
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let (ap, bp) = (
            a.local_addr().unwrap().port(),
            b.local_addr().unwrap().port(),
        );
        b.send_to(b"dgram", ("127.0.0.1", ap)).unwrap();
        let mut buf = [0u8; 16];
        let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = &mut name as *mut _ as *mut libc::c_void;
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        use std::os::fd::AsRawFd;
        let n = unsafe { libc::recvmsg(a.as_raw_fd(), &mut msg, 0) };
        assert_eq!(n, 5);
        std::thread::sleep(Duration::from_millis(100));
        let (st, err) = rec.signal(libc::SIGINT);
        assert!(st.success(), "{err}");
        let (r, evs) = read_all(&trace);

        let sent = evs.iter().find(|e| {
            e.header.pid == me
                && e.header.nr == nr("sendto")
                && item(e, 4).and_then(sockaddr_in) == Some((std::net::Ipv4Addr::LOCALHOST, ap))
        });
        assert!(sent.is_some(), "sendto with its destination");
        assert_eq!(item(sent.unwrap(), 1), Some(b"dgram".as_slice()));
        let got = evs.iter().find(|e| {
            e.header.pid == me
                && e.header.nr == nr("recvmsg")
                && e.header.ret == 5
                && item(e, tag::RESULT_ADDR).and_then(sockaddr_in)
                    == Some((std::net::Ipv4Addr::LOCALHOST, bp))
        });
        assert!(got.is_some(), "recvmsg with the sender's address");

        // the exe item is the kernel's path of the executable (/usr/bin/true
        // where /bin is a link to usr/bin)
        let true_path = std::fs::canonicalize("/bin/true").unwrap();
        let true_exec = evs
            .iter()
            .find(|e| {
                is(e, Kind::ProcExec)
                    && item(e, tag::EXE).map(c_str)
                        == Some(true_path.as_os_str().as_encoded_bytes())
            })
            .expect("exec of /bin/true");
        let leaked = evs.iter().any(|e| contains(&e.data, secret.as_bytes()));
        let snap_env = r.snapshot().threads.iter().any(|t| t.env.is_some());
        if capture_env {
            let env = item(true_exec, tag::ENV).expect("env item with --capture-env");
            assert!(contains(
                env,
                format!("SR_SECRET_TOKEN={secret}").as_bytes()
            ));
            assert!(snap_env, "the snapshot has environments with --capture-env");
        } else {
            assert!(!leaked, "environment captured without --capture-env");
            assert!(item(true_exec, tag::ENV).is_none());
            assert!(!snap_env);
            assert!(!r.header().config.capture_env);
        }
    }
}

#[test]
fn max_events_stops_after_exactly_n_events() {
    require_bpf!("max_events_stops_after_exactly_n_events");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("max.srt");
    let mut rec = start(&trace, &["--syscalls", "getppid", "--max-events", "1000"]);
    let (st, err) = rec.storm_until_exit();
    assert!(st.success(), "{err}");
    let (r, evs) = read_all(&trace);
    assert!(r.index().is_some());
    assert_eq!(evs.iter().filter(|e| !is(e, Kind::Drop)).count(), 1000);
}

/// `record --bench N --bench-contention`: the storm is paced at the rate
/// asked (never above it), the spinner really takes CPU 0's time, and the
/// report's counts add up (no timing target asserted: machines are shared).
#[test]
fn bench_contention_paces_the_storm_and_reports_drops() {
    require_bpf!("bench_contention_paces_the_storm_and_reports_drops");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        sysreplay_testkit::skip(
            "bench_contention_paces_the_storm_and_reports_drops",
            "needs 2 CPUs",
        );
        return;
    }
    let o = recorder()
        .args([
            "--bench",
            "2",
            "--bench-contention",
            "--bench-rate",
            "200000",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("paced at 200000 /s"), "{out}");
    let storm = number_after(&out, "\nstorm ", " calls/s");
    assert!(
        storm <= 200_000 * 11 / 10 && storm > 0,
        "paced at 200k/s: {storm}"
    );
    let spinner = number_after(&out, "; spinner ", "% of a core");
    assert!(spinner >= 20, "the spinner shares CPU 0: {out}");
    let events = number_after(&out, "recorded ", " events in");
    let seen = number_after(&out, "kernel seen ", " lost");
    let lost = number_after(&out, " lost ", " (");
    let markers = number_after(&out, "%) in ", " drop markers");
    assert!(events > 0, "{out}");
    // every event the kernel saw is in the trace or lost (the written
    // events include the drop markers)
    assert_eq!(events - markers + lost, seen, "{out}");
}
