//! A deterministic, realistic event mix for benchmarks and end-to-end tests:
//! a process snapshot (init, sshd, shells, a web server, a Python app) and a
//! stream dominated by I/O syscalls, with opens of libraries, /proc and /etc
//! files, closes, network connects and accepts, and short-lived children
//! that fork, exec (with `PROC_EXEC` records) and exit.

use sysreplay_format::meta::{
    FdInfo, FdType, ProcessSnapshot, SocketTuple, ThreadInfo, TraceHeader,
};
use sysreplay_format::record::{push_item, tag, Creds, Kind, RecordHeader};
use sysreplay_format::{syscalls, OwnedEvent};

/// A small deterministic PRNG (xorshift64*).
#[derive(Clone)]
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut ip = [0u8; 16];
    ip[10] = 0xff;
    ip[11] = 0xff;
    ip[12..].copy_from_slice(&a);
    ip
}

fn proc_info(tid: u32, ppid: u32, comm: &str, exe: &str, args: &[&str], uid: u32) -> ThreadInfo {
    ThreadInfo {
        tid,
        pid: tid,
        ppid,
        comm: comm.into(),
        exe: exe.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd: if uid == 0 {
            "/root".into()
        } else {
            "/home/dev".into()
        },
        uid,
        gid: uid,
        euid: uid,
        egid: uid,
        loginuid: if uid == 0 { u32::MAX } else { uid },
        start_ns: 1_000_000,
        cap_effective: if uid == 0 { (1 << 41) - 1 } else { 0 },
        cap_permitted: if uid == 0 { (1 << 41) - 1 } else { 0 },
        fds: vec![
            FdInfo {
                fd: 0,
                fd_type: FdType::File,
                name: "/dev/null".into(),
                ..Default::default()
            },
            FdInfo {
                fd: 1,
                fd_type: FdType::Pipe,
                name: "pipe:[100]".into(),
                ..Default::default()
            },
            FdInfo {
                fd: 2,
                fd_type: FdType::Pipe,
                name: "pipe:[100]".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// The trace header used by the workload.
pub fn header() -> TraceHeader {
    TraceHeader {
        tool_version: "sysreplay workload".into(),
        hostname: "bench-host".into(),
        arch: "x86_64".into(),
        num_cpus: 2,
        boot_to_wall_ns: 1_700_000_000_000_000_000,
        source: "synth".into(),
        ..Default::default()
    }
}

/// Long-lived processes: (pid, comm) of those that generate events.
pub const ACTORS: &[u32] = &[100, 200, 210, 300, 301, 302, 400, 500];

/// The starting process table.
pub fn snapshot() -> ProcessSnapshot {
    let mut threads = vec![
        proc_info(
            1,
            0,
            "systemd",
            "/usr/lib/systemd/systemd",
            &["/sbin/init"],
            0,
        ),
        proc_info(
            100,
            1,
            "sshd",
            "/usr/sbin/sshd",
            &["sshd:", "dev", "[priv]"],
            0,
        ),
        proc_info(200, 100, "bash", "/usr/bin/bash", &["-bash"], 1000),
        proc_info(210, 100, "bash", "/usr/bin/bash", &["-bash"], 1000),
        proc_info(
            300,
            1,
            "nginx",
            "/usr/sbin/nginx",
            &["nginx:", "master", "process"],
            0,
        ),
        proc_info(
            301,
            300,
            "nginx",
            "/usr/sbin/nginx",
            &["nginx:", "worker", "process"],
            33,
        ),
        proc_info(
            302,
            300,
            "nginx",
            "/usr/sbin/nginx",
            &["nginx:", "worker", "process"],
            33,
        ),
        proc_info(
            400,
            1,
            "python3",
            "/usr/bin/python3.11",
            &["python3", "/srv/app.py"],
            1001,
        ),
        proc_info(
            500,
            1,
            "cron",
            "/usr/sbin/cron",
            &["/usr/sbin/cron", "-f"],
            0,
        ),
    ];
    for t in threads.iter_mut() {
        if matches!(t.tid, 200 | 210) {
            t.tty = 34816;
            t.sid = t.tid;
            t.pgid = t.tid;
        }
        if matches!(t.tid, 301 | 302) {
            t.fds.push(FdInfo {
                fd: 6,
                fd_type: FdType::Ipv4Socket,
                name: "0.0.0.0:80".into(),
                socket: Some(SocketTuple {
                    l4proto: 6,
                    local_ip: v4([0, 0, 0, 0]),
                    local_port: 80,
                    listening: true,
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    }
    // python has worker threads
    for i in 0..3 {
        let mut t = proc_info(
            400,
            1,
            "python3",
            "/usr/bin/python3.11",
            &["python3", "/srv/app.py"],
            1001,
        );
        t.tid = 401 + i;
        t.fds.clear();
        threads.push(t);
    }
    ProcessSnapshot {
        taken_at_ns: 0,
        threads,
        ..Default::default()
    }
}

struct Gen {
    rng: Rng,
    ts: u64,
    out: Vec<OwnedEvent>,
    next_pid: u32,
    /// open fds per actor (pid -> next fd number)
    next_fd: std::collections::HashMap<u32, i32>,
}

impl Gen {
    fn ev(
        &mut self,
        name: &str,
        tid: u32,
        pid: u32,
        ret: i64,
        args: [u64; 6],
        items: &[(u8, &[u8])],
    ) {
        self.ts += 200 + self.rng.below(2_000);
        let mut data = Vec::new();
        for (t, b) in items {
            push_item(&mut data, *t, 0, b);
        }
        self.out.push(OwnedEvent {
            header: RecordHeader {
                ts_ns: self.ts,
                tid,
                pid,
                kind: Kind::Syscall as u16,
                cpu: (self.rng.below(2)) as u16,
                nr: syscalls::number(name).expect("known syscall"),
                data_len: data.len() as u16,
                ret,
                args,
            },
            data,
        });
    }
    fn rec(&mut self, kind: Kind, tid: u32, pid: u32, args: [u64; 6], items: &[(u8, &[u8])]) {
        self.ts += 100;
        let mut data = Vec::new();
        for (t, b) in items {
            push_item(&mut data, *t, 0, b);
        }
        self.out.push(OwnedEvent {
            header: RecordHeader {
                ts_ns: self.ts,
                tid,
                pid,
                kind: kind as u16,
                data_len: data.len() as u16,
                args,
                ..Default::default()
            },
            data,
        });
    }
    fn tid_of(&mut self, pid: u32) -> u32 {
        if pid == 400 {
            400 + self.rng.below(4) as u32
        } else {
            pid
        }
    }
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn sockaddr(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut b = vec![2u8, 0];
    b.extend_from_slice(&port.to_be_bytes());
    b.extend_from_slice(&ip);
    b.extend_from_slice(&[0; 8]);
    b
}

const OPEN_PATHS: &[&str] = &[
    "/etc/ld.so.cache",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libpthread.so.0",
    "/proc/self/stat",
    "/proc/meminfo",
    "/srv/static/index.html",
    "/var/log/nginx/access.log",
    "/tmp/app-cache.json",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/usr/share/zoneinfo/UTC",
    "/etc/passwd",
];

const CHILDREN: &[(&str, &str, &[u8])] = &[
    ("ls", "/usr/bin/ls", b"ls\0-la\0/srv\0"),
    ("cat", "/usr/bin/cat", b"cat\0/srv/app.log\0"),
    ("grep", "/usr/bin/grep", b"grep\0-r\0TODO\0/srv\0"),
    ("git", "/usr/bin/git", b"git\0status\0"),
    ("sh", "/usr/bin/sh", b"sh\0-c\0date\0"),
    ("date", "/usr/bin/date", b"date\0"),
];

/// Generate `n` events (about; a child's lifecycle is emitted whole).
pub fn events(n: usize, seed: u64) -> Vec<OwnedEvent> {
    let mut g = Gen {
        rng: Rng::new(seed),
        ts: 10_000_000_000,
        out: Vec::with_capacity(n + 16),
        next_pid: 10_000,
        next_fd: ACTORS.iter().map(|&p| (p, 10)).collect(),
    };
    while g.out.len() < n {
        let pid = ACTORS[g.rng.below(ACTORS.len() as u64) as usize];
        let tid = g.tid_of(pid);
        let roll = g.rng.below(1000);
        match roll {
            0..=549 => {
                // I/O on an existing fd
                let fd = g.rng.below(3);
                let name = if g.rng.below(2) == 0 { "read" } else { "write" };
                let len = 1 + g.rng.below(4096) as i64;
                g.ev(name, tid, pid, len, [fd, 0, len as u64, 0, 0, 0], &[]);
            }
            550..=719 => {
                // open + fstat + read + close
                let p = OPEN_PATHS[g.rng.below(OPEN_PATHS.len() as u64 - 1) as usize];
                let p = if g.rng.below(2000) == 0 {
                    OPEN_PATHS[OPEN_PATHS.len() - 1]
                } else {
                    p
                };
                let fd = *g.next_fd.get(&pid).unwrap_or(&10);
                let flags = if p.starts_with("/tmp") || p.starts_with("/var/log") {
                    0o2000101u64
                } else {
                    0o2000000
                };
                let path = cstr(p);
                g.ev(
                    "openat",
                    tid,
                    pid,
                    fd as i64,
                    [(-100i64) as u64, 0, flags, 0o644, 0, 0],
                    &[(1, &path)],
                );
                g.ev("fstat", tid, pid, 0, [fd as u64, 0, 0, 0, 0, 0], &[]);
                g.ev("read", tid, pid, 512, [fd as u64, 0, 4096, 0, 0, 0], &[]);
                g.ev("close", tid, pid, 0, [fd as u64, 0, 0, 0, 0, 0], &[]);
            }
            720..=819 => {
                // misc syscalls without rules
                let name = [
                    "futex",
                    "epoll_wait",
                    "clock_gettime",
                    "mmap",
                    "getpid",
                    "rt_sigprocmask",
                ][g.rng.below(6) as usize];
                g.ev(name, tid, pid, 0, [0; 6], &[]);
            }
            820..=869 => {
                // outbound connection from python
                let fd = 20;
                g.ev("socket", 400, 400, fd, [2, 1, 0, 0, 0, 0], &[]);
                let sa = sockaddr([10, 0, 0, 5 + g.rng.below(3) as u8], 5432);
                g.ev(
                    "connect",
                    400,
                    400,
                    0,
                    [fd as u64, 0, 16, 0, 0, 0],
                    &[(1, &sa)],
                );
                g.ev("sendto", 400, 400, 100, [fd as u64, 0, 100, 0, 0, 0], &[]);
                g.ev(
                    "recvfrom",
                    400,
                    400,
                    300,
                    [fd as u64, 0, 4096, 0, 0, 0],
                    &[],
                );
                g.ev("close", 400, 400, 0, [fd as u64, 0, 0, 0, 0, 0], &[]);
            }
            870..=939 => {
                // nginx accepts a client
                let w = if g.rng.below(2) == 0 { 301 } else { 302 };
                let peer = sockaddr(
                    [192, 168, 1, 10 + g.rng.below(50) as u8],
                    40000 + g.rng.below(2000) as u16,
                );
                g.ev(
                    "accept4",
                    w,
                    w,
                    7,
                    [6, 0, 0, 0x800, 0, 0],
                    &[(tag::RESULT_ADDR, &peer)],
                );
                g.ev("recvfrom", w, w, 400, [7, 0, 4096, 0, 0, 0], &[]);
                g.ev("writev", w, w, 1200, [7, 0, 2, 0, 0, 0], &[]);
                g.ev("close", w, w, 0, [7, 0, 0, 0, 0, 0], &[]);
            }
            _ => {
                // a shell runs a short-lived command
                let parent = if g.rng.below(2) == 0 { 200 } else { 210 };
                let child = g.next_pid;
                g.next_pid += 1;
                let (comm, exe, argv) = CHILDREN[g.rng.below(CHILDREN.len() as u64) as usize];
                g.ev(
                    "clone",
                    parent,
                    parent,
                    child as i64,
                    [0x1200011, 0, 0, 0, 0, 0],
                    &[],
                );
                let creds = Creds {
                    uid: 1000,
                    gid: 1000,
                    euid: 1000,
                    egid: 1000,
                    loginuid: 1000,
                    tty: 34816,
                    ppid: parent,
                    ..Default::default()
                }
                .encode();
                g.rec(
                    Kind::ProcFork,
                    parent,
                    parent,
                    [child as u64, child as u64, 0, 0, 0, 0],
                    &[(tag::COMM, b"bash\0"), (tag::CREDS, &creds)],
                );
                g.ev("clone", child, child, 0, [0x1200011, 0, 0, 0, 0, 0], &[]);
                let exe_c = cstr(exe);
                let comm_c = cstr(comm);
                g.rec(
                    Kind::ProcExec,
                    child,
                    child,
                    [child as u64, 0, 0, 0, 0, 0],
                    &[
                        (tag::EXE, &exe_c),
                        (tag::COMM, &comm_c),
                        (tag::CREDS, &creds),
                        (tag::ARGV, argv),
                    ],
                );
                g.ev(
                    "execve",
                    child,
                    child,
                    0,
                    [0; 6],
                    &[(0, &exe_c), (tag::ARGV, argv)],
                );
                for p in ["/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6"] {
                    let path = cstr(p);
                    g.ev(
                        "openat",
                        child,
                        child,
                        3,
                        [(-100i64) as u64, 0, 0o2000000, 0, 0, 0],
                        &[(1, &path)],
                    );
                    g.ev(
                        "mmap",
                        child,
                        child,
                        0x7f00_0000_0000,
                        [0, 8192, 1, 2, 3, 0],
                        &[],
                    );
                    g.ev("close", child, child, 0, [3, 0, 0, 0, 0, 0], &[]);
                }
                for _ in 0..4 {
                    g.ev("write", child, child, 80, [1, 0, 80, 0, 0, 0], &[]);
                }
                g.ev("exit_group", child, child, 0, [0; 6], &[]);
                g.rec(Kind::ProcExit, child, child, [0; 6], &[]);
            }
        }
    }
    g.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let a = events(5_000, 7);
        let b = events(5_000, 7);
        assert_eq!(a, b);
        assert!(a.len() >= 5_000);
        for e in &a {
            sysreplay_format::record::validate_items(&e.data).unwrap();
        }
        assert!(a.windows(2).all(|w| w[0].header.ts_ns < w[1].header.ts_ns));
    }
}
