//! Live detections that need what the probe records at exec and fork: the
//! exe flags (a fileless exec from a memfd fires the upstream stable rule
//! "Fileless execution via memfd_create") and the task's cgroups (a process
//! that joins a container's cgroup during the recording gets its
//! container.id), and a failed open through `../../` fires the failed-
//! attempt half of "Directory traversal monitored file read". Each test
//! records its own process tree (`--pid`, `--follow-children`); they need
//! root (eBPF, cgroupfs) and kernel BTF and skip visibly otherwise. Run
//! under `flock /tmp/sysreplay-record.lock` where other recorders may run;
//! within this file one recorder runs at a time.

use std::io::{BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// One recorder at a time in this test binary.
static RECORDER: Mutex<()> = Mutex::new(());

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sysreplay"))
}

/// Why recording cannot run here, if it cannot.
fn cannot_record() -> Option<String> {
    if !sysreplay_testkit::is_root() {
        return Some("needs root (eBPF and cgroupfs)".into());
    }
    if let Some(m) = sysreplay_capture::privileges::missing() {
        return Some(format!("needs root or CAP_BPF+CAP_PERFMON (missing {m})"));
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Some("no kernel BTF".into());
    }
    None
}

/// What a live test of Falco's stable rules holds: the rules file, this
/// binary's recorder, a scratch directory.
struct StableRulesTest {
    rules: PathBuf,
    _one: std::sync::MutexGuard<'static, ()>,
    dir: tempfile::TempDir,
}

/// None (skipped visibly, by the testkit policy) where recording or the
/// upstream rules are not available.
fn stable_rules_test(name: &str) -> Option<StableRulesTest> {
    if let Some(why) = cannot_record() {
        sysreplay_testkit::skip(name, &why);
        return None;
    }
    let rules = match sysreplay_testkit::upstream_rules("falco_rules.yaml") {
        Ok(r) => r,
        Err(why) => {
            sysreplay_testkit::skip(name, &why);
            return None;
        }
    };
    Some(StableRulesTest {
        rules,
        _one: RECORDER.lock().unwrap_or_else(|e| e.into_inner()),
        dir: tempfile::tempdir().unwrap(),
    })
}

struct Rec {
    child: Child,
    err: BufReader<std::process::ChildStderr>,
}

/// Start recording this test process and its children into `trace`.
fn start(trace: &Path, extra: &[&str]) -> Rec {
    let r = sysreplay_testkit::start_recording(
        bin().args(["record", "-w"]).arg(trace).args(extra).args([
            "--pid",
            &std::process::id().to_string(),
            "--follow-children",
        ]),
    );
    Rec {
        child: r.child,
        err: r.stderr,
    }
}

impl Rec {
    fn stop(mut self) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let k = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(k.success());
        let mut rest = String::new();
        self.err.read_to_string(&mut rest).unwrap();
        assert!(self.child.wait().unwrap().success(), "{rest}");
    }
}

fn eval(trace: &Path, rules: &Path) -> String {
    let ev = bin()
        .arg("eval")
        .arg("--rules")
        .arg(rules)
        .arg("--")
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        ev.status.success(),
        "{}",
        String::from_utf8_lossy(&ev.stderr)
    );
    String::from_utf8_lossy(&ev.stdout).into_owned()
}

/// memfd_create + exec of /proc/self/fd/N: the executable exists only in
/// memory. The probe flags the image (PPM_EXE_FROM_MEMFD, from the exe
/// file's dentry) and names it `memfd:NAME`, so the stable rule fires, with
/// the flags in its output as Falco prints them.
#[test]
fn memfd_exec_fires_the_fileless_execution_rule() {
    let name = "memfd_exec_fires_the_fileless_execution_rule";
    let Some(StableRulesTest { rules, _one, dir }) = stable_rules_test(name) else {
        return;
    };
    let trace = dir.path().join("memfd.srt");

    // the payload: a copy of `true`, in a memfd the child inherits
    let image = std::fs::read(std::fs::canonicalize("/bin/true").unwrap()).unwrap();
    // SAFETY: memfd_create with a NUL-terminated name and no flags; the fd
    // it returns is owned here.
    let fd = unsafe { libc::memfd_create(c"sr_fileless".as_ptr(), 0) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    // SAFETY: fd was just returned by memfd_create and nothing else owns it.
    let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
    std::fs::write(format!("/proc/self/fd/{fd}"), &image).unwrap();

    let rec = start(&trace, &["--rules", rules.to_str().unwrap()]);
    let st = Command::new(format!("/proc/self/fd/{}", memfd.as_raw_fd()))
        .status()
        .unwrap();
    assert!(st.success());
    rec.stop();
    drop(memfd);

    let out = eval(&trace, &rules);
    let alert = out
        .lines()
        .find(|l| l.contains("Fileless execution via memfd_create"))
        .unwrap_or_else(|| panic!("no fileless-execution alert:\n{out}"));
    assert!(alert.contains("proc_exepath=memfd:sr_fileless"), "{alert}");
    assert!(alert.contains("EXE_FROM_MEMFD"), "{alert}");
    // the image is not on disk: nothing else of this recording fires it
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("Fileless execution via memfd_create"))
            .count(),
        1,
        "{out}"
    );
}

/// A cgroup hierarchy whose membership the probe records: a v1 hierarchy
/// with the pids, memory or cpu controller, or the v2 root when it hands
/// controllers to its children.
fn cgroup_root() -> Result<PathBuf, String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").map_err(|e| e.to_string())?;
    let mut v2 = None;
    for l in mounts.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let opts: Vec<&str> = f[3].split(',').collect();
        if f[2] == "cgroup" && ["pids", "memory", "cpu"].iter().any(|c| opts.contains(c)) {
            return Ok(PathBuf::from(f[1]));
        }
        if f[2] == "cgroup2" {
            let ctl = std::fs::read_to_string(Path::new(f[1]).join("cgroup.subtree_control"))
                .unwrap_or_default();
            if !ctl.trim().is_empty() {
                v2 = Some(PathBuf::from(f[1]));
            }
        }
    }
    v2.ok_or_else(|| "no cgroup hierarchy with a controller to join".into())
}

/// Removes the test's cgroups when done (their processes have exited).
struct CgroupDirs(Vec<PathBuf>);

impl Drop for CgroupDirs {
    fn drop(&mut self) {
        for d in self.0.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// A shell started on the host joins a container-like cgroup (a 64-hex
/// id, as docker/containerd name theirs) during the recording, then forks
/// and execs: both get the container's id from the cgroups recorded at
/// fork and exec, as libsinsp re-resolves it; before the join they do not.
#[test]
fn a_process_joining_a_container_cgroup_gets_its_container_id() {
    let name = "a_process_joining_a_container_cgroup_gets_its_container_id";
    if let Some(why) = cannot_record() {
        sysreplay_testkit::skip(name, &why);
        return;
    }
    let root = sysreplay_testkit::require!(cgroup_root(), name);
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("cgroup.srt");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let id = format!(
        "{:016x}{:016x}{:016x}{:016x}",
        now,
        std::process::id() as u64 * 0x9e37_79b9,
        now.rotate_left(17),
        0x5eed_5eed_5eed_5eedu64
    );
    let parent = root.join(format!("sysreplay-test-{}", std::process::id()));
    let cg = parent.join(format!("docker-{id}.scope"));
    std::fs::create_dir(&parent).unwrap();
    let _cleanup = CgroupDirs(vec![parent.clone(), cg.clone()]);
    std::fs::create_dir(&cg).unwrap();

    let rules = dir.path().join("container.yaml");
    std::fs::write(
        &rules,
        "- rule: Spawned\n  desc: every new program\n  condition: evt.type = execve and evt.dir = < and proc.name in (sr_before, sr_after, sr_child)\n  output: spawned %proc.name container=%container.id\n  priority: INFO\n",
    )
    .unwrap();
    // links give the programs names the rule can tell apart
    let true_bin = std::fs::canonicalize("/bin/true").unwrap();
    for n in ["sr_before", "sr_after", "sr_child"] {
        std::fs::copy(&true_bin, dir.path().join(n)).unwrap();
    }
    let script = format!(
        "{d}/sr_before && echo $$ > {procs} && {d}/sr_child && exec {d}/sr_after",
        d = dir.path().display(),
        procs = cg.join("cgroup.procs").display()
    );

    let rec = start(&trace, &[]);
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    rec.stop();
    assert!(st.success(), "{script}");

    let out = eval(&trace, &rules);
    let container = |prog: &str| {
        out.lines()
            .find(|l| l.contains(&format!("spawned {prog} ")))
            .and_then(|l| l.split("container=").nth(1))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no alert for {prog}:\n{out}"))
    };
    // before the join: where the test runs (`host`, or its own container)
    assert_ne!(container("sr_before"), &id[..12], "{out}");
    // forked after the join: the fork record's cgroups
    assert_eq!(container("sr_child"), &id[..12], "{out}");
    // the shell itself exec'd after the join: the exec record's cgroups
    assert_eq!(container("sr_after"), &id[..12], "{out}");
}

/// The procexec record of `./t` run from its directory: the exe item is
/// the kernel's path of the executable (what /proc/PID/exe shows, as the
/// drivers' trusted_exepath), not the name exec'd; the exe flags say the
/// file is writable by its owner (root made it) and on no memfd; the fork
/// and exec records carry the task's cgroups as /proc/PID/cgroup lists them.
/// proc.exepath follows the exe item.
#[test]
fn exec_records_carry_the_kernel_exe_path_flags_and_cgroups() {
    use sysreplay_format::record::{exe_flags, tag, Kind};
    let name = "exec_records_carry_the_kernel_exe_path_flags_and_cgroups";
    if let Some(why) = cannot_record() {
        sysreplay_testkit::skip(name, &why);
        return;
    }
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("exe.srt");
    let real_dir = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::copy(
        std::fs::canonicalize("/bin/true").unwrap(),
        dir.path().join("sr_t"),
    )
    .unwrap();
    let script = format!("cd {} && ./sr_t", dir.path().display());

    let rec = start(&trace, &[]);
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    rec.stop();
    assert!(st.success());

    let r = sysreplay_format::TraceReader::open(&trace).unwrap();
    let mut evs = Vec::new();
    r.for_each_event(|e| {
        evs.push(e.to_owned_event());
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let item =
        |e: &sysreplay_format::OwnedEvent, t: u8| e.as_event().item(t).map(|i| i.bytes.to_vec());
    let exec = evs
        .iter()
        .find(|e| {
            e.as_event().kind() == Some(Kind::ProcExec)
                && e.as_event().item(tag::COMM).map(|i| i.c_str()) == Some(b"sr_t".as_slice())
        })
        .expect("procexec of ./sr_t");
    let exe = item(exec, tag::EXE).unwrap();
    let want = format!("{}/sr_t\0", real_dir.display());
    assert_eq!(String::from_utf8_lossy(&exe), want);
    let flags = exec.as_event().exe_flags().expect("exe flags item");
    assert_eq!(
        flags & exe_flags::WRITABLE,
        exe_flags::WRITABLE,
        "{flags:#x}"
    );
    assert_eq!(flags & exe_flags::FROM_MEMFD, 0, "{flags:#x}");

    // "controller=path" entries, as /proc/self/cgroup ("N:a,b:path") has them
    let mine = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let listed: Vec<(String, String)> = mine
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, ctl, path) = (f.next()?, f.next()?, f.next()?);
            Some((ctl.to_string(), path.to_string()))
        })
        .collect();
    let pid = exec.header.pid;
    let fork = evs
        .iter()
        .find(|e| e.as_event().kind() == Some(Kind::ProcFork) && e.header.args[1] == pid as u64)
        .expect("procfork of ./sr_t");
    for rec in [exec, fork] {
        let cg = item(rec, tag::CGROUPS).expect("cgroups item");
        let entries: Vec<&[u8]> = cg.split(|&c| c == 0).filter(|s| !s.is_empty()).collect();
        assert!(!entries.is_empty());
        for e in entries {
            let e = String::from_utf8_lossy(e);
            let (ctl, path) = e.split_once('=').unwrap();
            // a controller of an unmounted v1 hierarchy is in the root
            let expect = listed
                .iter()
                .find(|(c, _)| c.split(',').any(|c| c == ctl))
                .map_or("/", |(_, p)| p.as_str());
            assert_eq!(path, expect, "{e} vs /proc/self/cgroup:\n{mine}");
        }
    }

    let rules = dir.path().join("exe.yaml");
    std::fs::write(
        &rules,
        "- rule: Exe\n  desc: d\n  condition: evt.type = execve and evt.dir = < and proc.name = sr_t\n  output: exepath=%proc.exepath flags=%evt.arg.flags\n  priority: INFO\n",
    )
    .unwrap();
    let out = eval(&trace, &rules);
    assert!(
        out.contains(&format!(
            "exepath={}/sr_t flags=EXE_WRITABLE",
            real_dir.display()
        )),
        "{out}"
    );
}

/// Unmounts the test's overlay when done.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// On an overlayfs, an executable copied in through the mount lives in the
/// upper layer and one only in the lower directory comes from a lower
/// layer: the probe tells them apart as the drivers do (the overlay inode's
/// upper dentry), which proc.is_exe_upper_layer and evt.arg.flags show.
#[test]
fn overlay_executables_are_flagged_by_layer() {
    use sysreplay_format::record::{exe_flags, tag, Kind};
    let name = "overlay_executables_are_flagged_by_layer";
    if let Some(why) = cannot_record() {
        sysreplay_testkit::skip(name, &why);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    for n in ["lower", "upper", "work", "merged"] {
        std::fs::create_dir(d(n)).unwrap();
    }
    let true_bin = std::fs::canonicalize("/bin/true").unwrap();
    std::fs::copy(&true_bin, d("lower").join("sr_lower")).unwrap();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        d("lower").display(),
        d("upper").display(),
        d("work").display()
    );
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &opts])
        .arg(d("merged"))
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        sysreplay_testkit::skip(name, "cannot mount an overlayfs here");
        return;
    }
    let _umount = Mounted(d("merged"));
    // written through the mount: a copy-up into the upper layer
    std::fs::copy(&true_bin, d("merged").join("sr_upper")).unwrap();
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    let trace = d("ov.srt");
    let rec = start(&trace, &[]);
    for n in ["sr_lower", "sr_upper"] {
        assert!(Command::new(d("merged").join(n))
            .status()
            .unwrap()
            .success());
    }
    rec.stop();

    let r = sysreplay_format::TraceReader::open(&trace).unwrap();
    let mut flags = std::collections::HashMap::new();
    r.for_each_event(|e| {
        if e.kind() == Some(Kind::ProcExec) {
            if let Some(c) = e.item(tag::COMM) {
                flags.insert(
                    String::from_utf8_lossy(c.c_str()).into_owned(),
                    e.exe_flags(),
                );
            }
        }
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let layer = |n: &str| {
        flags
            .get(n)
            .unwrap_or_else(|| panic!("no exec of {n}: {flags:?}"))
            .expect("exe flags item")
            & (exe_flags::UPPER_LAYER | exe_flags::LOWER_LAYER)
    };
    assert_eq!(layer("sr_lower"), exe_flags::LOWER_LAYER);
    assert_eq!(layer("sr_upper"), exe_flags::UPPER_LAYER);

    let rules = d("ov.yaml");
    std::fs::write(
        &rules,
        "- rule: Upper\n  desc: d\n  condition: evt.type = execve and evt.dir = < and proc.is_exe_upper_layer = true\n  output: upper %proc.name flags=%evt.arg.flags\n  priority: INFO\n",
    )
    .unwrap();
    let out = eval(&trace, &rules);
    let hits: Vec<&str> = out.lines().filter(|l| l.contains(" upper ")).collect();
    assert_eq!(hits.len(), 1, "{out}");
    assert!(
        hits[0].contains("upper sr_upper flags=EXE_WRITABLE|EXE_UPPER_LAYER"),
        "{out}"
    );
}

/// "Directory traversal monitored file read" (stable) has two halves: a
/// read open of /etc through `../../` and a failed open of the same kind
/// (upstream's `open_file_failed`: fd.num=-1, fd.typechar f, evt.res an
/// errno name). libs master keeps fd.num -1 on a failed open whatever errno
/// the syscall returned, so both fire on a live recording. `cat` is started
/// by this test, not by a shell (the rule excludes shell parents).
#[test]
fn traversal_opens_fire_the_directory_traversal_rule_failed_or_not() {
    let name = "traversal_opens_fire_the_directory_traversal_rule_failed_or_not";
    let Some(StableRulesTest { rules, _one, dir }) = stable_rules_test(name) else {
        return;
    };
    let trace = dir.path().join("traversal.srt");
    let missing = format!("/etc/../etc/../etc/sr_no_such_file_{}", std::process::id());
    assert!(!Path::new(&missing).exists());
    let present = "/etc/../etc/../etc/passwd";

    let rec = start(&trace, &["--rules", rules.to_str().unwrap()]);
    let failed = Command::new("cat").arg(&missing).output().unwrap();
    assert!(!failed.status.success());
    let read = Command::new("cat").arg(present).output().unwrap();
    assert!(read.status.success());
    rec.stop();

    let out = eval(&trace, &rules);
    let alerts: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("Read monitored file via directory traversal"))
        .collect();
    let failed_alert = alerts
        .iter()
        .find(|l| l.contains(&format!("fileraw={missing} ")))
        .unwrap_or_else(|| panic!("no alert for the failed open:\n{out}"));
    let missing_name = format!("file=/etc/sr_no_such_file_{} ", std::process::id());
    assert!(failed_alert.contains(&missing_name), "{failed_alert}");
    assert!(failed_alert.contains("process=cat"), "{failed_alert}");
    let read_alert = alerts
        .iter()
        .find(|l| l.contains(&format!("fileraw={present} ")))
        .unwrap_or_else(|| panic!("no alert for the read open:\n{out}"));
    assert!(read_alert.contains("file=/etc/passwd "), "{read_alert}");
}
