//! A deterministic synthetic workload: a busy Linux host's syscall stream,
//! generated from a seed, for tests and benchmarks that cannot record.
//!
//! [`snapshot`] gives the process table at the start (systemd, journald,
//! resolved, cron, sshd with a brute-force bot knocking, two ssh sessions with
//! bash shells (one user, one `sudo -i` root), nginx, a gunicorn app with
//! threads, postgres backends), each with open fds named as Falco names them.
//! [`generate`] then plays that host forward: servers accept connections and
//! move data, shells fork and exec short commands (`ls`, `cat`, `grep`, `ps`,
//! `curl`, `id`, `touch`, `rm`, now and then `cat /etc/shadow`), cron runs
//! jobs as `sh -c` then `run-parts`, commands exit and their parent reaps
//! them. Records follow the eBPF recorder's conventions (see
//! `capture/bpf/probe.bpf.c`): PROC_FORK then the parent's and the child's
//! clone exits; PROC_EXEC then the execve exit with ARG0 + ARGV; PROC_EXIT
//! only (exit_group never returns, so the recorder has no exit record for it);
//! paths with their NUL; read/recvfrom data up to the snap length; accept and
//! recvfrom peers in RESULT_ADDR; the socket's own address after inet
//! connect and accept in LOCAL_ADDR; pipe fds in FDS.
//!
//! Injected drop windows remove the events a CPU would have lost and put a
//! DROP marker (window start, lost, seen, per-category counts) on that CPU
//! when the window ends, like the recorder does.
//!
//! Determinism: everything derives from `SynthConfig` through a seeded
//! xoshiro256** ([`Rng`]); no wall clock, no floating-point functions whose
//! results could differ between platforms. Generation reuses one data buffer
//! (no allocation per event). This is no substitute for a real recording.

use std::fmt::Write as _;

use sysreplay_format::meta::{
    FdInfo, FdType, ProcessSnapshot, RecordingConfig, SocketTuple, ThreadInfo, TraceHeader,
};
use sysreplay_format::record::{
    tag, Creds, DropCounts, Kind, RecordHeader, DROP_CATEGORIES, ITEM_HEADER_SIZE, ITEM_TRUNCATED,
};
use sysreplay_syscalls as syscalls;
use sysreplay_syscalls::decode::{O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NONBLOCK, O_RDWR};
use sysreplay_syscalls::decode::{O_RDONLY, O_WRONLY};

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

/// xoshiro256** seeded through splitmix64: small, fast, and the same on
/// every platform.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }
    /// Uniform in `0..n` (0 when n == 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `num / 1000`.
    #[inline]
    pub fn permille(&mut self, num: u64) -> bool {
        self.below(1000) < num
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// An index into `weights`, chosen in proportion to the weights.
    pub fn weighted<T>(&mut self, table: &[(T, u32)]) -> usize {
        let total: u64 = table.iter().map(|&(_, w)| w as u64).sum();
        let mut r = self.below(total);
        for (i, &(_, w)) in table.iter().enumerate() {
            if r < w as u64 {
                return i;
            }
            r -= w as u64;
        }
        table.len() - 1
    }
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// One injected drop window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropWindow {
    /// Where the window starts, as a fraction of the nominal duration
    /// (`events / rate_per_sec`).
    pub start_frac: f64,
    pub len_ms: f64,
    /// The CPU whose buffer overflows.
    pub cpu: u16,
    /// Permille of that CPU's events lost inside the window (the rest got
    /// through while user space drained the buffer).
    pub loss_permille: u16,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Records to emit, not counting DROP markers (events lost in drop
    /// windows come on top).
    pub events: u64,
    /// Mean event rate of the host.
    pub rate_per_sec: f64,
    pub cpus: u16,
    /// Approximate size of the initial process table.
    pub processes: usize,
    pub drop_windows: Vec<DropWindow>,
    /// CLOCK_BOOTTIME of the first event (the host's uptime).
    pub start_boot_ns: u64,
    /// Bytes captured per buffer item (Falco's default snaplen is 80).
    pub snaplen: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            events: 1_000_000,
            rate_per_sec: 200_000.0,
            cpus: 4,
            processes: 48,
            drop_windows: Vec::new(),
            start_boot_ns: 5_400_000_000_000,
            snaplen: 80,
        }
    }
}

impl SynthConfig {
    pub fn new(seed: u64, events: u64) -> SynthConfig {
        SynthConfig {
            seed,
            events,
            ..Default::default()
        }
    }

    /// Replace the drop windows with `n` windows spread over the run, each on
    /// a seeded CPU, 1–5% of the nominal duration long (at most 50 ms).
    pub fn with_drop_windows(mut self, n: usize) -> SynthConfig {
        let mut rng = Rng::new(self.seed ^ 0xd209_5eed);
        let dur_ms = self.nominal_duration_ns() as f64 / 1e6;
        self.drop_windows = (0..n)
            .map(|i| {
                let slot = 0.9 / n as f64;
                let jitter = rng.below(1000) as f64 / 1000.0 * 0.5;
                let pct = rng.range(10, 50) as f64 / 1000.0;
                DropWindow {
                    start_frac: 0.05 + slot * (i as f64 + jitter),
                    len_ms: (dur_ms * pct).clamp(0.01, 50.0),
                    cpu: rng.below(self.cpus.max(1) as u64) as u16,
                    loss_permille: rng.range(700, 980) as u16,
                }
            })
            .collect();
        self
    }

    /// `events / rate_per_sec`, in nanoseconds.
    pub fn nominal_duration_ns(&self) -> u64 {
        let rate = if self.rate_per_sec > 0.0 {
            self.rate_per_sec
        } else {
            200_000.0
        };
        (self.events as f64 / rate * 1e9) as u64
    }

    fn mean_gap_ns(&self) -> f64 {
        if self.rate_per_sec > 0.0 {
            1e9 / self.rate_per_sec
        } else {
            5000.0
        }
    }
}

/// What [`generate`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Records handed to the sink, DROP markers excluded.
    pub events: u64,
    pub syscalls: u64,
    pub forks: u64,
    pub execs: u64,
    pub exits: u64,
    pub drop_markers: u64,
    /// Events lost in drop windows (not handed to the sink).
    pub lost: u64,
    /// Successful opens of /etc/shadow by `cat` (what "Read sensitive file
    /// untrusted" should catch), counting only recorded ones.
    pub sensitive_reads: u64,
    pub first_ts_ns: u64,
    pub last_ts_ns: u64,
    /// Bytes of variable data handed to the sink.
    pub data_bytes: u64,
}

// Syscall numbers: the one table, `sysreplay_syscalls::nr`.
use sysreplay_syscalls::nr;

const AT_FDCWD: u64 = (-100i64) as u64;
const ENOENT: i64 = -2;
const EACCES: i64 = -13;
const EAGAIN: i64 = -11;
const ETIMEDOUT: i64 = -110;
const EEXIST: i64 = -17;
const CLONE_FORK_FLAGS: u64 = 0x0120_0011; // CHILD_SETTID|CHILD_CLEARTID|SIGCHLD
const ROOT_CAPS: u64 = 0x1ff_ffff_ffff;
const NO_LOGIN: u32 = u32::MAX;
const SERVER_IP: [u8; 4] = [10, 0, 0, 5];
const LOCALHOST: [u8; 4] = [127, 0, 0, 1];
const DB_DATA: &str = "/var/lib/postgresql/16/main/base/16384/";

fn pts(n: u32) -> u32 {
    (136 << 8) | n
}

// ---------------------------------------------------------------------------
// Content captured in buffers (compressible like real traffic: it repeats)
// ---------------------------------------------------------------------------

const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\npostgres:x:113:121:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\nsystemd-resolve:x:991:991:systemd Resolver:/:/usr/sbin/nologin\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
const GROUP: &[u8] =
    b"root:x:0:\nadm:x:4:syslog,alice\nsudo:x:27:alice\nwww-data:x:33:\npostgres:x:121:\nsystemd-resolve:x:991:\nalice:x:1000:\n";
const SHADOW: &[u8] = b"root:$y$j9T$Tb0m3Q2n1xC7dE$Qw8xV3LkN0pZr5sT1uY2iO9aS4dF6gH7jK8lM0nB1c2:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n";
const HOSTS: &[u8] = b"127.0.0.1 localhost\n127.0.1.1 synth-host\n10.0.0.20 db.internal\n::1 ip6-localhost ip6-loopback\n";
const RESOLV: &[u8] = b"nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch internal\n";
const NSSWITCH: &[u8] =
    b"passwd: files systemd\ngroup: files systemd\nshadow: files\nhosts: files dns\n";
const OS_RELEASE: &[u8] =
    b"PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\n";
const ELF: &[u8] = b"\x7fELF\x02\x01\x01\x03\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0\x50\x9f\x02\0\0\0\0\0@\0\0\0\0\0\0\0\x98\x3b\x1e\0\0\0\0\0\0\0\0\0@\08\0\x0e\0@\0\x40\0\x3f\0";
const LD_CACHE: &[u8] = b"glibc-ld.so.cache1.1\x9c\x05\0\0\x03\x03\0\0\xa8\x6b\0\0";
const SYSLOG: &[u8] = b"Nov 28 12:00:01 synth-host CRON[2345]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)\nNov 28 12:00:02 synth-host sshd[4242]: Failed password for invalid user admin from 10.0.9.77 port 51234 ssh2\n";
const ACCESS_LOG: &[u8] = b"10.0.3.17 - - [28/Nov/2026:12:00:01 +0000] \"GET /index.html HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n";
const HTTP_REQ: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: 10.0.0.5\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n\r\n";
const HTTP_API_REQ: &[u8] =
    b"GET /api/v1/items?page=2 HTTP/1.0\r\nHost: app\r\nX-Forwarded-For: 10.0.3.17\r\n\r\n";
const HTTP_RESP: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\nContent-Length: 612\r\nConnection: keep-alive\r\n\r\n<!DOCTYPE html>\n<html><head><title>Welcome</title></head>";
const JSON_RESP: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"items\":[{\"id\":42,\"name\":\"widget\"},{\"id\":43,\"name\":\"gadget\"}],\"page\":2}";
const INDEX_HTML: &[u8] =
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\n";
const PG_QUERY: &[u8] =
    b"Q\0\0\0\x3bSELECT id, name, price FROM items ORDER BY id LIMIT 20 OFFSET 20;\0";
const PG_ROWS: &[u8] = b"T\0\0\0\x4a\0\x03id\0\0\0\x40\x02\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0D\0\0\0\x1c\0\x03\0\0\0\x0242\0\0\0\x06widget\0\0\0\x041999C\0\0\0\x0eSELECT 20\0Z\0\0\0\x05I";
const PG_PAGE: &[u8] = b"\0\0\0\0\x48\x35\x9a\x01\0\0\x04\0\x0c\x02\x80\x0f\0 \x04 \0\0\0\0\xe0\x9f\x3c\0\xc0\x9f\x3c\0";
const JOURNAL: &[u8] = b"LPKSHHRH\x02\0\0\0\0\0\0\0MESSAGE=Started session-7.scope - Session 7 of User alice.\n_PID=1\n";
const DNS_Q: &[u8] = b"\x1a\x2b\x01\x20\0\x01\0\0\0\0\0\x01\x02db\x08internal\0\0\x01\0\x01";
const DNS_A: &[u8] = b"\x1a\x2b\x81\x80\0\x01\0\x01\0\0\0\x01\x02db\x08internal\0\0\x01\0\x01\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04\x0a\0\0\x14";
const PROC_STAT: &[u8] = b"1234 (bash) S 1200 1234 1234 34816 1234 4194304 1046 0 0 0 2 1 0 0 20 0 1 0 5400 8962048 1280 18446744073709551615\n";
const PROC_STATUS: &[u8] =
    b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1234\nPid:\t1234\nPPid:\t1200\n";
const MEMINFO: &[u8] =
    b"MemTotal:       16318464 kB\nMemFree:         9231872 kB\nMemAvailable:   13021184 kB\n";
const LOADAVG: &[u8] = b"0.52 0.61 0.58 3/412 23456\n";
const DIRENTS: &[u8] =
    b"\x01\x10\0\0\0\0\0\0\x9a\x3c\x1d\x05\0\0\0\0\x18\0\x04.\0\0\0\0\x02\0\0\0\0\0\0\0";
const KEYS: &[u8] = b"ls -la\ncat /etc/hosts\ncd /var/log\ngrep sshd syslog\nps aux\n";
const PROMPT: &[u8] = b"\x1b]0;alice@synth-host: ~\x07alice@synth-host:~$ ";

/// "Encrypted" ssh payload: a fixed pseudo-random table; records take slices
/// of it, so blocks see repeats like a long capture would.
static NOISE: [u8; 4096] = {
    let mut t = [0u8; 4096];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut i = 0;
    while i < 4096 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t[i] = x as u8;
        i += 1;
    }
    t
};

// ---------------------------------------------------------------------------
// The simulated host
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    S(&'static str),
    /// `/proc/<pid>/<leaf>`.
    Proc(u32, &'static str),
    /// `/tmp/tmp.<n>`.
    Tmp(u32),
    /// A postgres relation file under [`DB_DATA`].
    Rel(u32),
}

impl Name {
    fn write(&self, out: &mut String) {
        match *self {
            Name::S(s) => out.push_str(s),
            Name::Proc(pid, leaf) => {
                let _ = write!(out, "/proc/{pid}/{leaf}");
            }
            Name::Tmp(n) => {
                let _ = write!(out, "/tmp/tmp.{n:08x}");
            }
            Name::Rel(n) => {
                let _ = write!(out, "{DB_DATA}{n}");
            }
        }
    }
}

type Addr = ([u8; 4], u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FdKind {
    File {
        name: Name,
        content: &'static [u8],
        size: u32,
        pos: u32,
        flags: u64,
    },
    Dir(Name),
    Tty(u32),
    Null,
    Listen(Addr),
    /// A TCP connection, Falco-style client -> server.
    Conn {
        cli: Addr,
        srv: Addr,
        server_side: bool,
        proto: Proto,
    },
    Udp(Addr),
    Unix(&'static str),
    Pipe {
        ino: u32,
        write: bool,
    },
    Epoll,
    EventFd,
    Netlink,
}

/// What flows on a connection (picks the buffer contents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    Http,
    Upstream,
    Pg,
    Ssh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fd {
    fd: i32,
    kind: FdKind,
    cloexec: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Systemd,
    Journald,
    Resolved,
    Cron,
    Sshd,
    SshSession,
    Shell,
    Idle,
    Nginx,
    App,
    AppThread,
    PgMain,
    Pg,
    /// A short-lived process running a script.
    Cmd(Cmd),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Ls,
    Cat(&'static str),
    Grep,
    Ps,
    Curl,
    Id,
    Touch,
    Rm,
    Mkdir,
    /// cron's child: `sh -c "cd / && run-parts --report /etc/cron.hourly"`.
    CronSh,
    RunParts,
    /// sshd's per-connection child for a bot that fails to log in.
    SshAuth,
}

impl Cmd {
    fn program(self) -> (&'static str, &'static str) {
        match self {
            Cmd::Ls => ("/usr/bin/ls", "ls"),
            Cmd::Cat(_) => ("/usr/bin/cat", "cat"),
            Cmd::Grep => ("/usr/bin/grep", "grep"),
            Cmd::Ps => ("/usr/bin/ps", "ps"),
            Cmd::Curl => ("/usr/bin/curl", "curl"),
            Cmd::Id => ("/usr/bin/id", "id"),
            Cmd::Touch => ("/usr/bin/touch", "touch"),
            Cmd::Rm => ("/usr/bin/rm", "rm"),
            Cmd::Mkdir => ("/usr/bin/mkdir", "mkdir"),
            Cmd::CronSh => ("/usr/bin/sh", "sh"),
            Cmd::RunParts => ("/usr/bin/run-parts", "run-parts"),
            Cmd::SshAuth => ("/usr/sbin/sshd", "sshd"),
        }
    }
}

#[derive(Clone, Debug)]
struct Proc {
    tid: u32,
    pid: u32,
    ppid: u32,
    /// Slab index of the thread-group leader (owner of the fd table).
    leader: usize,
    role: Role,
    comm: &'static str,
    exe: &'static str,
    args: &'static [&'static str],
    cwd: &'static str,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
    cgroup: &'static str,
    start_ns: u64,
    cpu: u16,
    fds: Vec<Fd>,
    /// Script progress for `Role::Cmd`.
    step: u16,
    /// The fd a script works on.
    cur: i32,
    /// A child this (shell) process waits for; it does nothing meanwhile.
    waiting_for: Option<u32>,
    /// Base of this process's I/O buffers (argument registers repeat).
    buf: u64,
    /// Per-process counter for variety (tmp names, offsets).
    n: u32,
    /// A pipe (read end, write end) for `$(command)`: the child writes its
    /// stdout into it, the shell reads it after reaping the child.
    pipe: Option<(i32, i32)>,
    /// Next mmap address (going down).
    mmap_top: u64,
}

impl Proc {
    fn weight(&self) -> u64 {
        if self.waiting_for.is_some() {
            return 0;
        }
        match self.role {
            Role::Systemd => 3,
            Role::Journald => 10,
            Role::Resolved => 5,
            Role::Cron => 2,
            Role::Sshd => 2,
            Role::SshSession => 12,
            Role::Shell => 6,
            Role::Idle => 0,
            Role::Nginx => 40,
            Role::App => 30,
            Role::AppThread => 16,
            Role::PgMain => 2,
            Role::Pg => 20,
            Role::Cmd(_) => 120,
        }
    }
}

struct World {
    procs: Vec<Option<Proc>>,
    free: Vec<usize>,
    next_pid: u32,
    next_ino: u32,
    next_port: u16,
    /// UDP sockets' ports, counted apart from TCP's so that adding them
    /// left every other port of a seed's trace as it was.
    next_udp_port: u16,
    total_weight: u64,
}

impl World {
    fn get(&self, i: usize) -> &Proc {
        self.procs[i].as_ref().expect("live process")
    }
    fn get_mut(&mut self, i: usize) -> &mut Proc {
        self.procs[i].as_mut().expect("live process")
    }
    fn add(&mut self, p: Proc) -> usize {
        self.total_weight += p.weight();
        match self.free.pop() {
            Some(i) => {
                self.procs[i] = Some(p);
                i
            }
            None => {
                self.procs.push(Some(p));
                self.procs.len() - 1
            }
        }
    }
    fn remove(&mut self, i: usize) -> Proc {
        let p = self.procs[i].take().expect("live process");
        self.total_weight -= p.weight();
        self.free.push(i);
        p
    }
    /// Change a process's state, keeping the weight total right.
    fn update<R>(&mut self, i: usize, f: impl FnOnce(&mut Proc) -> R) -> R {
        let p = self.procs[i].as_mut().expect("live process");
        let before = p.weight();
        let r = f(p);
        let after = p.weight();
        self.total_weight = self.total_weight - before + after;
        r
    }
    fn find_pid(&self, tid: u32) -> Option<usize> {
        self.procs
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.tid == tid))
    }
    fn pick(&self, rng: &mut Rng) -> usize {
        let mut r = rng.below(self.total_weight);
        for (i, p) in self.procs.iter().enumerate() {
            if let Some(p) = p {
                let w = p.weight();
                if r < w {
                    return i;
                }
                r -= w;
            }
        }
        unreachable!("weights out of sync")
    }
    fn alloc_pid(&mut self, rng: &mut Rng) -> u32 {
        // Other (unrecorded) tasks take pids too.
        self.next_pid += 1 + rng.below(3) as u32;
        self.next_pid
    }
    fn ephemeral_port(&mut self) -> u16 {
        next_port_from(&mut self.next_port, 32768)
    }
    fn udp_port(&mut self) -> u16 {
        next_port_from(&mut self.next_udp_port, 53000)
    }
}

/// The next port after `*last` in `first..=60999` (Linux's default
/// ephemeral range ends at 60999), wrapping to `first`.
fn next_port_from(last: &mut u16, first: u16) -> u16 {
    *last = if *last >= 60999 { first } else { *last + 1 };
    *last
}

fn fds_of(w: &World, i: usize) -> &Vec<Fd> {
    &w.get(w.get(i).leader).fds
}

fn lowest_free_fd(fds: &[Fd]) -> i32 {
    let mut fd = 0;
    while fds.iter().any(|f| f.fd == fd) {
        fd += 1;
    }
    fd
}

fn std_fds(tty: Option<u32>) -> Vec<Fd> {
    (0..3)
        .map(|fd| Fd {
            fd,
            kind: match tty {
                Some(t) => FdKind::Tty(t),
                None => FdKind::Null,
            },
            cloexec: false,
        })
        .collect()
}

fn file(name: &'static str, content: &'static [u8], flags: u64) -> FdKind {
    FdKind::File {
        name: Name::S(name),
        content,
        size: 1 << 20,
        pos: 0,
        flags,
    }
}

struct Spec {
    role: Role,
    comm: &'static str,
    exe: &'static str,
    args: &'static [&'static str],
    cwd: &'static str,
    uid: u32,
    loginuid: u32,
    tty: u32,
    cgroup: &'static str,
}

fn initial_world(cfg: &SynthConfig, rng: &mut Rng) -> World {
    let mut w = World {
        procs: Vec::new(),
        free: Vec::new(),
        next_pid: 0,
        next_ino: 20000 + rng.below(10000) as u32,
        next_port: 32768 + rng.below(20000) as u16,
        next_udp_port: 53000,
        total_weight: 0,
    };
    let cpus = cfg.cpus.max(1) as u64;
    let t0 = cfg.start_boot_ns;
    let add = |w: &mut World,
               rng: &mut Rng,
               pid: u32,
               tid: u32,
               ppid: u32,
               leader: Option<usize>,
               s: &Spec,
               fds: Vec<Fd>|
     -> usize {
        let start_ns = if pid < 100 {
            1_500_000_000
        } else {
            t0.saturating_sub(rng.range(1_000_000_000, t0.max(2_000_000_000) - 1))
        };
        let i = w.add(Proc {
            tid,
            pid,
            ppid,
            leader: usize::MAX,
            role: s.role,
            comm: s.comm,
            exe: s.exe,
            args: s.args,
            cwd: s.cwd,
            uid: s.uid,
            gid: s.uid,
            loginuid: s.loginuid,
            tty: s.tty,
            cgroup: s.cgroup,
            start_ns,
            cpu: rng.below(cpus) as u16,
            fds: if leader.is_some() { Vec::new() } else { fds },
            step: 0,
            cur: -1,
            waiting_for: None,
            buf: 0x5555_0000_0000 + ((pid as u64) << 20) + ((tid as u64 & 0xff) << 12),
            n: 0,
            pipe: None,
            mmap_top: 0x7f00_0000_0000 + ((pid as u64 & 0xfff) << 28),
        });
        w.get_mut(i).leader = leader.unwrap_or(i);
        i
    };
    let daemon = |role: Role,
                  comm: &'static str,
                  exe: &'static str,
                  args: &'static [&'static str],
                  uid: u32,
                  cgroup: &'static str| Spec {
        role,
        comm,
        exe,
        args,
        cwd: "/",
        uid,
        loginuid: NO_LOGIN,
        tty: 0,
        cgroup,
    };
    let tcp = |cli: Addr, srv: Addr, server_side: bool, proto: Proto| FdKind::Conn {
        cli,
        srv,
        server_side,
        proto,
    };
    let fd = |fd: i32, kind: FdKind| Fd {
        fd,
        kind,
        cloexec: true,
    };

    let mut v = std_fds(None);
    v.extend([
        fd(3, FdKind::Epoll),
        fd(4, FdKind::Unix("/run/systemd/notify")),
        fd(5, FdKind::Netlink),
        fd(6, FdKind::Unix("/run/systemd/private")),
    ]);
    add(
        &mut w,
        rng,
        1,
        1,
        0,
        None,
        &daemon(
            Role::Systemd,
            "systemd",
            "/usr/lib/systemd/systemd",
            &["/sbin/init", "splash"],
            0,
            "/init.scope",
        ),
        v,
    );
    let mut v = std_fds(None);
    v.extend([
        fd(3, FdKind::Unix("/run/systemd/journal/socket")),
        fd(4, FdKind::Unix("/dev/log")),
        fd(5, FdKind::Epoll),
        fd(
            6,
            file(
                "/var/log/journal/5f2c8e0d1b7a4c3e9d6f0a1b2c3d4e5f/system.journal",
                JOURNAL,
                O_RDWR | O_CLOEXEC,
            ),
        ),
    ]);
    add(
        &mut w,
        rng,
        312,
        312,
        1,
        None,
        &daemon(
            Role::Journald,
            "systemd-journal",
            "/usr/lib/systemd/systemd-journald",
            &["/usr/lib/systemd/systemd-journald"],
            0,
            "/system.slice/systemd-journald.service",
        ),
        v,
    );
    let mut v = std_fds(None);
    v.extend([
        fd(3, FdKind::Epoll),
        fd(4, FdKind::Netlink),
        fd(12, FdKind::Udp(([127, 0, 0, 53], 53))),
    ]);
    add(
        &mut w,
        rng,
        521,
        521,
        1,
        None,
        &daemon(
            Role::Resolved,
            "systemd-resolve",
            "/usr/lib/systemd/systemd-resolved",
            &["/usr/lib/systemd/systemd-resolved"],
            991,
            "/system.slice/systemd-resolved.service",
        ),
        v,
    );
    let mut v = std_fds(None);
    v.push(fd(3, file("/run/crond.pid", b"640\n", O_RDWR | O_CREAT)));
    add(
        &mut w,
        rng,
        640,
        640,
        1,
        None,
        &daemon(
            Role::Cron,
            "cron",
            "/usr/sbin/cron",
            &["/usr/sbin/cron", "-f", "-P"],
            0,
            "/system.slice/cron.service",
        ),
        v,
    );
    let mut v = std_fds(None);
    v.extend([
        fd(3, FdKind::Listen(([0, 0, 0, 0], 22))),
        fd(4, FdKind::Epoll),
    ]);
    add(
        &mut w,
        rng,
        702,
        702,
        1,
        None,
        &daemon(
            Role::Sshd,
            "sshd",
            "/usr/sbin/sshd",
            &["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"],
            0,
            "/system.slice/ssh.service",
        ),
        v,
    );

    // nginx: a master and workers sharing its listening socket and logs.
    let mut nginx_fds = std_fds(None);
    nginx_fds.extend([
        Fd {
            fd: 4,
            kind: file(
                "/var/log/nginx/access.log",
                ACCESS_LOG,
                O_WRONLY | O_APPEND | O_CREAT,
            ),
            cloexec: false,
        },
        Fd {
            fd: 5,
            kind: file(
                "/var/log/nginx/error.log",
                SYSLOG,
                O_WRONLY | O_APPEND | O_CREAT,
            ),
            cloexec: false,
        },
        Fd {
            fd: 6,
            kind: FdKind::Listen(([0, 0, 0, 0], 80)),
            cloexec: false,
        },
    ]);
    add(
        &mut w,
        rng,
        901,
        901,
        1,
        None,
        &daemon(
            Role::Idle,
            "nginx",
            "/usr/sbin/nginx",
            &["nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"],
            0,
            "/system.slice/nginx.service",
        ),
        nginx_fds.clone(),
    );
    // gunicorn app: master and workers, each worker with threads.
    let app_fds = {
        let mut v = std_fds(None);
        v.push(Fd {
            fd: 5,
            kind: FdKind::Listen((LOCALHOST, 8000)),
            cloexec: false,
        });
        v
    };
    // postgres main.
    let mut v = std_fds(None);
    v.extend([
        fd(6, FdKind::Listen((LOCALHOST, 5432))),
        fd(7, FdKind::Epoll),
    ]);
    add(
        &mut w,
        rng,
        1102,
        1102,
        1,
        None,
        &daemon(
            Role::PgMain,
            "postgres",
            "/usr/lib/postgresql/16/bin/postgres",
            &[
                "/usr/lib/postgresql/16/bin/postgres",
                "-D",
                "/var/lib/postgresql/16/main",
            ],
            113,
            "/system.slice/system-postgresql.slice/postgresql@16-main.service",
        ),
        v,
    );
    add(
        &mut w,
        rng,
        1201,
        1201,
        1,
        None,
        &daemon(
            Role::Idle,
            "gunicorn",
            "/usr/bin/python3.12",
            &[
                "/usr/bin/python3",
                "/usr/local/bin/gunicorn",
                "app:app",
                "-b",
                "127.0.0.1:8000",
            ],
            1001,
            "/system.slice/app.service",
        ),
        app_fds.clone(),
    );

    // ssh sessions: alice's bash, and a root shell she got with `sudo -i`.
    let session = |n: u32, client_port: u16| -> Vec<Fd> {
        let mut v = std_fds(None);
        v.extend([
            fd(
                4,
                tcp(
                    ([10, 0, 0, 9], client_port),
                    (SERVER_IP, 22),
                    true,
                    Proto::Ssh,
                ),
            ),
            fd(9, FdKind::Tty(pts(n))),
            fd(10, FdKind::Unix("/run/systemd/journal/dev-log")),
        ]);
        v
    };
    let shell_fds = |n: u32| {
        let mut v = std_fds(Some(pts(n)));
        v.push(Fd {
            fd: 255,
            kind: FdKind::Tty(pts(n)),
            cloexec: true,
        });
        v
    };
    let user_shell = |role: Role,
                      comm: &'static str,
                      exe: &'static str,
                      args: &'static [&'static str],
                      cwd: &'static str,
                      uid: u32,
                      n: u32| Spec {
        role,
        comm,
        exe,
        args,
        cwd,
        uid,
        loginuid: 1000,
        tty: pts(n),
        cgroup: "/user.slice/user-1000.slice/session-7.scope",
    };
    add(
        &mut w,
        rng,
        2211,
        2211,
        702,
        None,
        &user_shell(
            Role::SshSession,
            "sshd",
            "/usr/sbin/sshd",
            &["sshd: alice@pts/0"],
            "/",
            1000,
            0,
        ),
        session(0, 51234),
    );
    add(
        &mut w,
        rng,
        2212,
        2212,
        2211,
        None,
        &user_shell(
            Role::Shell,
            "bash",
            "/usr/bin/bash",
            &["-bash"],
            "/home/alice",
            1000,
            0,
        ),
        shell_fds(0),
    );
    add(
        &mut w,
        rng,
        2301,
        2301,
        702,
        None,
        &user_shell(
            Role::SshSession,
            "sshd",
            "/usr/sbin/sshd",
            &["sshd: alice@pts/1"],
            "/",
            1000,
            1,
        ),
        session(1, 51377),
    );
    let b = add(
        &mut w,
        rng,
        2302,
        2302,
        2301,
        None,
        &user_shell(
            Role::Shell,
            "bash",
            "/usr/bin/bash",
            &["-bash"],
            "/home/alice",
            1000,
            1,
        ),
        shell_fds(1),
    );
    // alice's second shell waits for `sudo -i`, which waits for root's bash.
    w.update(b, |p| p.waiting_for = Some(2344));
    add(
        &mut w,
        rng,
        2344,
        2344,
        2302,
        None,
        &user_shell(
            Role::Idle,
            "sudo",
            "/usr/bin/sudo",
            &["sudo", "-i"],
            "/home/alice",
            0,
            1,
        ),
        std_fds(Some(pts(1))),
    );
    add(
        &mut w,
        rng,
        2345,
        2345,
        2344,
        None,
        &user_shell(
            Role::Shell,
            "bash",
            "/usr/bin/bash",
            &["-bash"],
            "/root",
            0,
            1,
        ),
        shell_fds(1),
    );

    // Scale out nginx workers, app workers (+ threads) and postgres backends.
    let base = w.procs.len();
    let extra = cfg.processes.saturating_sub(base).max(6);
    let nginx_n = (extra / 4).max(1);
    let app_n = (extra / 8).max(1);
    let pg_n = extra.saturating_sub(nginx_n + app_n * 3).max(1);
    let mut pid = 3000;
    for k in 0..nginx_n {
        pid += 1;
        let mut v = nginx_fds.clone();
        v.extend([fd(8, FdKind::Epoll), fd(9, FdKind::EventFd)]);
        // Keep-alive connections from clients and one upstream connection.
        for c in 0..2 {
            let cli = (
                [10, 0, 3, 10 + (k * 7 + c * 3) as u8 % 200],
                w.ephemeral_port(),
            );
            v.push(fd(
                10 + c as i32,
                tcp(cli, (SERVER_IP, 80), true, Proto::Http),
            ));
        }
        let up = (LOCALHOST, w.ephemeral_port());
        v.push(fd(12, tcp(up, (LOCALHOST, 8000), false, Proto::Upstream)));
        add(
            &mut w,
            rng,
            pid,
            pid,
            901,
            None,
            &daemon(
                Role::Nginx,
                "nginx",
                "/usr/sbin/nginx",
                &["nginx: worker process"],
                33,
                "/system.slice/nginx.service",
            ),
            v,
        );
    }
    for _ in 0..app_n {
        pid += 1;
        let leader_pid = pid;
        let mut v = app_fds.clone();
        v.extend([fd(6, FdKind::Epoll), fd(7, FdKind::EventFd)]);
        let db = (LOCALHOST, w.ephemeral_port());
        v.push(fd(8, tcp(db, (LOCALHOST, 5432), false, Proto::Pg)));
        let spec = daemon(
            Role::App,
            "gunicorn",
            "/usr/bin/python3.12",
            &[
                "/usr/bin/python3",
                "/usr/local/bin/gunicorn",
                "app:app",
                "-b",
                "127.0.0.1:8000",
            ],
            1001,
            "/system.slice/app.service",
        );
        let li = add(&mut w, rng, pid, pid, 1201, None, &spec, v);
        for _ in 0..2 {
            pid += 1;
            let spec = Spec {
                role: Role::AppThread,
                ..spec
            };
            add(
                &mut w,
                rng,
                leader_pid,
                pid,
                1201,
                Some(li),
                &spec,
                Vec::new(),
            );
        }
        // The postgres backend serving this worker's connection.
        pid += 1;
        let mut v = std_fds(None);
        v.extend([
            fd(9, tcp(db, (LOCALHOST, 5432), true, Proto::Pg)),
            fd(10, FdKind::Epoll),
            fd(
                11,
                FdKind::File {
                    name: Name::Rel(1259),
                    content: PG_PAGE,
                    size: 8 << 20,
                    pos: 0,
                    flags: O_RDWR,
                },
            ),
        ]);
        add(
            &mut w,
            rng,
            pid,
            pid,
            1102,
            None,
            &daemon(
                Role::Pg,
                "postgres",
                "/usr/lib/postgresql/16/bin/postgres",
                &["postgres: 16/main: app appdb 127.0.0.1(43122) idle"],
                113,
                "/system.slice/system-postgresql.slice/postgresql@16-main.service",
            ),
            v,
        );
    }
    for k in 0..pg_n.saturating_sub(app_n) {
        pid += 1;
        let mut v = std_fds(None);
        let cli = (LOCALHOST, w.ephemeral_port());
        v.extend([
            fd(9, tcp(cli, (LOCALHOST, 5432), true, Proto::Pg)),
            fd(10, FdKind::Epoll),
            fd(
                11,
                FdKind::File {
                    name: Name::Rel(16384 + k as u32),
                    content: PG_PAGE,
                    size: 8 << 20,
                    pos: 0,
                    flags: O_RDWR,
                },
            ),
        ]);
        add(
            &mut w,
            rng,
            pid,
            pid,
            1102,
            None,
            &daemon(
                Role::Pg,
                "postgres",
                "/usr/lib/postgresql/16/bin/postgres",
                &["postgres: 16/main: autovacuum launcher"],
                113,
                "/system.slice/system-postgresql.slice/postgresql@16-main.service",
            ),
            v,
        );
    }
    w.next_pid = pid + 1000 + rng.below(1000) as u32;
    w
}

fn render_fd_name(k: &FdKind, out: &mut String) {
    let addr = |a: &Addr, out: &mut String| {
        let _ = write!(out, "{}.{}.{}.{}:{}", a.0[0], a.0[1], a.0[2], a.0[3], a.1);
    };
    match k {
        FdKind::File { name, .. } | FdKind::Dir(name) => name.write(out),
        FdKind::Tty(t) => {
            let _ = write!(out, "/dev/pts/{}", t & 0xff);
        }
        FdKind::Null => out.push_str("/dev/null"),
        FdKind::Listen(a) | FdKind::Udp(a) => addr(a, out),
        FdKind::Conn { cli, srv, .. } => {
            addr(cli, out);
            out.push_str("->");
            addr(srv, out);
        }
        FdKind::Unix(p) => out.push_str(p),
        FdKind::Pipe { ino, .. } => {
            let _ = write!(out, "pipe:[{ino}]");
        }
        FdKind::Epoll => out.push_str("anon_inode:[eventpoll]"),
        FdKind::EventFd => out.push_str("anon_inode:[eventfd]"),
        FdKind::Netlink => out.push_str("netlink"),
    }
}

fn mapped(ip: [u8; 4]) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[10] = 0xff;
    m[11] = 0xff;
    m[12..].copy_from_slice(&ip);
    m
}

fn fd_info(f: &Fd) -> FdInfo {
    let mut name = String::new();
    render_fd_name(&f.kind, &mut name);
    let (fd_type, open_flags, socket) = match f.kind {
        FdKind::File { flags, .. } => (FdType::File, flags as u32, None),
        FdKind::Dir(_) => (FdType::Directory, (O_DIRECTORY) as u32, None),
        FdKind::Tty(_) | FdKind::Null => (FdType::File, O_RDWR as u32, None),
        FdKind::Listen(a) => (
            FdType::Ipv4Socket,
            0,
            Some(SocketTuple {
                l4proto: 6,
                local_ip: mapped(a.0),
                local_port: a.1,
                remote_ip: [0; 16],
                remote_port: 0,
                listening: true,
            }),
        ),
        FdKind::Udp(a) => (
            FdType::Ipv4Socket,
            0,
            Some(SocketTuple {
                l4proto: 17,
                local_ip: mapped(a.0),
                local_port: a.1,
                remote_ip: [0; 16],
                remote_port: 0,
                listening: false,
            }),
        ),
        FdKind::Conn {
            cli,
            srv,
            server_side,
            ..
        } => {
            let (l, r) = if server_side { (srv, cli) } else { (cli, srv) };
            (
                FdType::Ipv4Socket,
                0,
                Some(SocketTuple {
                    l4proto: 6,
                    local_ip: mapped(l.0),
                    local_port: l.1,
                    remote_ip: mapped(r.0),
                    remote_port: r.1,
                    listening: false,
                }),
            )
        }
        FdKind::Unix(_) => (FdType::UnixSocket, 0, None),
        FdKind::Pipe { .. } => (FdType::Pipe, 0, None),
        FdKind::Epoll => (FdType::Other, 0, None),
        FdKind::EventFd => (FdType::Event, 0, None),
        FdKind::Netlink => (FdType::Netlink, 0, None),
    };
    let ino = match f.kind {
        FdKind::Pipe { ino, .. } => ino as u64,
        _ => 0,
    };
    FdInfo {
        fd: f.fd,
        fd_type,
        name,
        open_flags: open_flags | if f.cloexec { O_CLOEXEC as u32 } else { 0 },
        ino,
        socket,
    }
}

fn creds_of(p: &Proc) -> Creds {
    Creds {
        uid: p.uid,
        gid: p.gid,
        euid: p.uid,
        egid: p.gid,
        loginuid: p.loginuid,
        tty: p.tty,
        ppid: p.ppid,
        pad: 0,
        cap_effective: if p.uid == 0 { ROOT_CAPS } else { 0 },
        cap_permitted: if p.uid == 0 { ROOT_CAPS } else { 0 },
        cap_inheritable: 0,
    }
}

/// The process table at the start of the synthetic trace.
pub fn snapshot(cfg: &SynthConfig) -> ProcessSnapshot {
    let mut rng = Rng::new(cfg.seed);
    let w = initial_world(cfg, &mut rng);
    let mut threads: Vec<ThreadInfo> = w
        .procs
        .iter()
        .flatten()
        .map(|p| ThreadInfo {
            tid: p.tid,
            pid: p.pid,
            ppid: p.ppid,
            comm: p.comm.to_string(),
            exe: p.exe.to_string(),
            args: p.args.iter().map(|s| s.to_string()).collect(),
            cwd: p.cwd.to_string(),
            uid: p.uid,
            gid: p.gid,
            euid: p.uid,
            egid: p.gid,
            loginuid: p.loginuid,
            start_ns: p.start_ns,
            cgroup: p.cgroup.to_string(),
            tty: p.tty,
            sid: if p.tty != 0 { p.pid } else { 1 },
            pgid: p.pid,
            cap_effective: if p.uid == 0 { ROOT_CAPS } else { 0 },
            cap_permitted: if p.uid == 0 { ROOT_CAPS } else { 0 },
            cap_inheritable: 0,
            env: None,
            fds: p.fds.iter().map(fd_info).collect(),
            // no pid namespaces in the synthetic host: unknown, the pids
            vtid: 0,
            vpid: 0,
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    ProcessSnapshot {
        taken_at_ns: cfg.start_boot_ns,
        threads,
        users: sysreplay_format::meta::parse_passwd(
            std::str::from_utf8(PASSWD).unwrap_or_default(),
        ),
        groups: sysreplay_format::meta::parse_group(std::str::from_utf8(GROUP).unwrap_or_default()),
    }
}

/// The trace header of the synthetic trace: deterministic, no wall clock.
pub fn header(cfg: &SynthConfig) -> TraceHeader {
    let mut rng = Rng::new(cfg.seed ^ 0x0c10_c4ea);
    // Some moment in 2026, fixed by the seed.
    let boot_to_wall_ns = 1_767_225_600_000_000_000i64
        + (rng.below(300 * 86_400) as i64) * 1_000_000_000
        - cfg.start_boot_ns as i64;
    TraceHeader {
        tool_version: format!("sysreplay {}", env!("CARGO_PKG_VERSION")),
        created_unix_ns: boot_to_wall_ns + cfg.start_boot_ns as i64,
        hostname: "synth-host".into(),
        kernel_release: "6.8.0-synth".into(),
        arch: "x86_64".into(),
        num_cpus: cfg.cpus.max(1) as u32,
        boot_to_wall_ns,
        source: "synth".into(),
        config: RecordingConfig {
            syscalls: Vec::new(),
            buf_size_bytes: 8 << 20,
            cpus_for_each_buffer: 1,
            snaplen: cfg.snaplen,
            capture_env: false,
            notes: vec![
                ("synth.seed".into(), cfg.seed.to_string()),
                ("synth.events".into(), cfg.events.to_string()),
                ("synth.rate_per_sec".into(), cfg.rate_per_sec.to_string()),
                ("synth.processes".into(), cfg.processes.to_string()),
                (
                    "synth.drop_windows".into(),
                    cfg.drop_windows.len().to_string(),
                ),
            ],
        },
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

struct Win {
    start: u64,
    end: u64,
    cpu: u16,
    loss: u64,
    lost: u64,
    seen: u64,
    counts: DropCounts,
    flushed: bool,
}

struct Gen<'c, F> {
    cfg: &'c SynthConfig,
    rng: Rng,
    w: World,
    clock: u64,
    /// Mean gap in 1/65536 ns, divided by 1.5 (see `gap`).
    gap_q: u64,
    data: Vec<u8>,
    scratch: String,
    sink: F,
    wins: Vec<Win>,
    done: bool,
    sum: SynthSummary,
}

enum Out {
    Kept,
    Lost,
}

/// A whole synthetic trace in memory: header, snapshot and records (with
/// DROP markers), in timestamp order.
pub fn in_memory(
    cfg: &SynthConfig,
) -> (
    TraceHeader,
    ProcessSnapshot,
    Vec<sysreplay_format::OwnedEvent>,
) {
    let mut v = Vec::new();
    let pushed = generate::<std::convert::Infallible, _>(cfg, |h, d| {
        v.push(sysreplay_format::OwnedEvent {
            header: *h,
            data: d.to_vec(),
        });
        Ok(())
    });
    if let Err(never) = pushed {
        match never {}
    }
    (header(cfg), snapshot(cfg), v)
}

/// Write the workload of `cfg` as a trace file at `path` with `header`
/// (usually [`header`]`(cfg)`), for tests and benchmarks.
pub fn write_file(
    cfg: &SynthConfig,
    header: &TraceHeader,
    path: &std::path::Path,
) -> Result<SynthSummary, sysreplay_format::TraceError> {
    let mut w = sysreplay_format::writer::TraceWriter::create(
        path,
        header,
        &snapshot(cfg),
        Default::default(),
    )?;
    let s = generate(cfg, |h: &RecordHeader, d: &[u8]| w.write_record(h, d))?;
    w.finish()?;
    Ok(s)
}

/// Generate `cfg.events` records (plus DROP markers) into `sink`, in
/// timestamp order. The sink gets each record's header (with `data_len` set)
/// and its variable data.
pub fn generate<E, F>(cfg: &SynthConfig, sink: F) -> Result<SynthSummary, E>
where
    F: FnMut(&RecordHeader, &[u8]) -> Result<(), E>,
{
    let mut rng = Rng::new(cfg.seed);
    let w = initial_world(cfg, &mut rng);
    let dur = cfg.nominal_duration_ns();
    let mut wins: Vec<Win> = cfg
        .drop_windows
        .iter()
        .map(|d| {
            let start = cfg.start_boot_ns + (dur as f64 * d.start_frac.clamp(0.0, 1.0)) as u64;
            Win {
                start,
                end: start + (d.len_ms.max(0.0) * 1e6) as u64,
                cpu: d.cpu,
                loss: d.loss_permille.min(1000) as u64,
                lost: 0,
                seen: 0,
                counts: DropCounts::default(),
                flushed: false,
            }
        })
        .collect();
    wins.sort_by_key(|w| (w.end, w.start, w.cpu));
    let mut g = Gen {
        cfg,
        rng,
        w,
        clock: cfg.start_boot_ns,
        gap_q: ((cfg.mean_gap_ns() / 1.5) * 65536.0) as u64,
        data: Vec::with_capacity(8192),
        scratch: String::with_capacity(256),
        sink,
        wins,
        done: cfg.events == 0,
        sum: SynthSummary::default(),
    };
    while !g.done {
        // A process runs a burst of syscalls on its CPU before another one
        // gets a turn, as on a real host.
        let i = g.w.pick(&mut g.rng);
        let burst = 1 + g.rng.below(6);
        for _ in 0..burst {
            match &g.w.procs[i] {
                Some(p) if p.weight() > 0 && !g.done => g.step(i)?,
                _ => break,
            }
        }
    }
    g.flush_windows(u64::MAX)?;
    if g.sum.events == 0 {
        g.sum.first_ts_ns = 0;
    }
    Ok(g.sum)
}

macro_rules! pick {
    ($rng:expr, [$(($w:expr, $v:expr)),+ $(,)?]) => {{
        let table = [$(($v, $w)),+];
        let i = $rng.weighted(&table);
        table[i].0
    }};
}

impl<E, F> Gen<'_, F>
where
    F: FnMut(&RecordHeader, &[u8]) -> Result<(), E>,
{
    /// An exponential-like gap without floating-point functions:
    /// (geometric(1/2) + uniform) has mean 1.5.
    #[inline]
    fn gap(&mut self) -> u64 {
        let r = self.rng.next_u64();
        let tz = ((r & ((1 << 48) - 1)) | (1 << 48)).trailing_zeros() as u64;
        let u = r >> 48;
        ((self.gap_q as u128 * ((tz << 16) | u) as u128) >> 32) as u64
    }

    fn flush_windows(&mut self, before: u64) -> Result<(), E> {
        for k in 0..self.wins.len() {
            let w = &self.wins[k];
            if w.flushed || w.end >= before || w.start > self.clock {
                continue;
            }
            self.wins[k].flushed = true;
            let w = &self.wins[k];
            if w.lost == 0 {
                continue;
            }
            let ts = w.end.min(self.clock).max(self.sum.last_ts_ns);
            let h = RecordHeader {
                ts_ns: ts,
                tid: 0,
                pid: 0,
                kind: Kind::Drop as u16,
                cpu: w.cpu,
                nr: 0,
                data_len: (ITEM_HEADER_SIZE + sysreplay_format::record::DROP_COUNTS_SIZE) as u16,
                ret: 0,
                args: [w.start, w.lost, w.seen, 0, 0, 0],
            };
            let mut d = [0u8; ITEM_HEADER_SIZE + sysreplay_format::record::DROP_COUNTS_SIZE];
            d[0] = tag::DROP_COUNTS;
            d[2..4].copy_from_slice(
                &(sysreplay_format::record::DROP_COUNTS_SIZE as u16).to_le_bytes(),
            );
            d[4..].copy_from_slice(&w.counts.encode());
            (self.sink)(&h, &d)?;
            self.sum.drop_markers += 1;
            self.sum.last_ts_ns = ts;
        }
        Ok(())
    }

    /// Emit one record for process `i` with the data built in `self.data`
    /// (which is cleared afterwards).
    fn emit(&mut self, i: usize, kind: Kind, nr: u16, ret: i64, args: [u64; 6]) -> Result<Out, E> {
        let out = self.emit_inner(i, kind, nr, ret, args);
        self.data.clear();
        out
    }

    fn emit_inner(
        &mut self,
        i: usize,
        kind: Kind,
        nr: u16,
        ret: i64,
        args: [u64; 6],
    ) -> Result<Out, E> {
        if self.done {
            return Ok(Out::Lost);
        }
        let cpus = self.cfg.cpus.max(1) as u64;
        let p = self.w.get_mut(i);
        if cpus > 1 && self.rng.permille(3) {
            p.cpu = self.rng.below(cpus) as u16;
        }
        let (tid, pid, cpu) = (p.tid, p.pid, p.cpu);
        self.clock += self.gap();
        let ts = self.clock;
        if !self.wins.is_empty() {
            self.flush_windows(ts)?;
            let mut lost = false;
            for w in self.wins.iter_mut() {
                if w.cpu == cpu && ts >= w.start && ts < w.end {
                    w.seen += 1;
                    if !lost && self.rng.below(1000) < w.loss {
                        lost = true;
                        w.lost += 1;
                        let cat = match kind {
                            Kind::Syscall => syscalls::name(nr).and_then(syscalls::drop_category),
                            Kind::ProcFork => Some(0),
                            Kind::ProcExec => Some(1),
                            Kind::ProcExit => Some(9),
                            Kind::Drop | Kind::Container => None,
                        };
                        match cat {
                            Some(c) if c < DROP_CATEGORIES => w.counts.n[c] += 1,
                            _ => w.counts.n_other += 1,
                        }
                    }
                }
            }
            if lost {
                self.sum.lost += 1;
                return Ok(Out::Lost);
            }
        }
        let h = RecordHeader {
            ts_ns: ts,
            tid,
            pid,
            kind: kind as u16,
            cpu,
            nr,
            data_len: self.data.len() as u16,
            ret,
            args,
        };
        (self.sink)(&h, &self.data)?;
        let s = &mut self.sum;
        if s.events == 0 {
            s.first_ts_ns = ts;
        }
        s.events += 1;
        s.last_ts_ns = ts;
        s.data_bytes += self.data.len() as u64;
        match kind {
            Kind::Syscall => s.syscalls += 1,
            Kind::ProcFork => s.forks += 1,
            Kind::ProcExec => s.execs += 1,
            Kind::ProcExit => s.exits += 1,
            Kind::Drop | Kind::Container => {}
        }
        if s.events >= self.cfg.events {
            self.done = true;
        }
        Ok(Out::Kept)
    }

    fn sys(&mut self, i: usize, nr: u16, ret: i64, args: [u64; 6]) -> Result<Out, E> {
        self.emit(i, Kind::Syscall, nr, ret, args)
    }

    // ---- item builders (into self.data) ----

    fn item(&mut self, t: u8, bytes: &[u8]) {
        sysreplay_format::record::push_item(&mut self.data, t, 0, bytes);
    }

    /// A C string item (with its NUL).
    fn item_str(&mut self, t: u8, s: &[u8]) {
        self.data.push(t);
        self.data.push(0);
        self.data
            .extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        self.data.extend_from_slice(s);
        self.data.push(0);
    }

    /// A path item from a `Name`.
    fn item_name(&mut self, t: u8, n: Name) {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        n.write(&mut s);
        self.item_str(t, s.as_bytes());
        self.scratch = s;
    }

    /// A buffer item of `len` bytes (cut at the snap length) cycling over
    /// `content` from `offset`.
    fn item_buf(&mut self, t: u8, content: &[u8], offset: usize, len: u64) {
        if content.is_empty() || len == 0 {
            return;
        }
        let snap = (self.cfg.snaplen as u64).min(u16::MAX as u64);
        let n = len.min(snap) as usize;
        self.data.push(t);
        self.data.push(if len > snap { ITEM_TRUNCATED } else { 0 });
        self.data.extend_from_slice(&(n as u16).to_le_bytes());
        let mut o = offset % content.len();
        let mut left = n;
        while left > 0 {
            let k = left.min(content.len() - o);
            self.data.extend_from_slice(&content[o..o + k]);
            left -= k;
            o = 0;
        }
    }

    fn item_sockaddr(&mut self, t: u8, a: Addr) {
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&sysreplay_syscalls::decode::AF_INET.to_le_bytes());
        b[2..4].copy_from_slice(&a.1.to_be_bytes());
        b[4..8].copy_from_slice(&a.0);
        self.item(t, &b);
    }

    fn item_creds(&mut self, i: usize) {
        let c = creds_of(self.w.get(i)).encode();
        self.item(tag::CREDS, &c);
    }

    // ---- fd table helpers ----

    fn leader(&self, i: usize) -> usize {
        self.w.get(i).leader
    }

    fn add_fd(&mut self, i: usize, kind: FdKind, cloexec: bool) -> i32 {
        let l = self.leader(i);
        let p = self.w.get_mut(l);
        let fd = lowest_free_fd(&p.fds);
        p.fds.push(Fd { fd, kind, cloexec });
        fd
    }

    fn remove_fd(&mut self, i: usize, fd: i32) -> Option<Fd> {
        let l = self.leader(i);
        let p = self.w.get_mut(l);
        let k = p.fds.iter().position(|f| f.fd == fd)?;
        Some(p.fds.swap_remove(k))
    }

    fn get_fd(&self, i: usize, fd: i32) -> Option<Fd> {
        fds_of(&self.w, i).iter().find(|f| f.fd == fd).copied()
    }

    fn set_fd(&mut self, i: usize, f: Fd) {
        let l = self.leader(i);
        if let Some(x) = self.w.get_mut(l).fds.iter_mut().find(|x| x.fd == f.fd) {
            *x = f;
        }
    }

    /// A random fd of the process matching `pred`.
    fn find_fd(&mut self, i: usize, pred: impl Fn(&FdKind) -> bool) -> Option<Fd> {
        let fds = fds_of(&self.w, i);
        let n = fds.iter().filter(|f| pred(&f.kind)).count();
        if n == 0 {
            return None;
        }
        let k = self.rng.below(n as u64) as usize;
        fds_of(&self.w, i)
            .iter()
            .filter(|f| pred(&f.kind))
            .nth(k)
            .copied()
    }

    fn count_fds(&self, i: usize, pred: impl Fn(&FdKind) -> bool) -> usize {
        fds_of(&self.w, i).iter().filter(|f| pred(&f.kind)).count()
    }

    // ---- syscall building blocks ----

    fn buf(&self, i: usize) -> u64 {
        self.w.get(i).buf
    }

    fn open(
        &mut self,
        i: usize,
        name: Name,
        flags: u64,
        mode: u64,
        ret_err: Option<i64>,
    ) -> Result<i32, E> {
        self.item_name(1, name);
        let buf = self.buf(i);
        match ret_err {
            Some(e) => {
                self.sys(i, nr::OPENAT, e, [AT_FDCWD, buf + 0x800, flags, mode, 0, 0])?;
                Ok(-1)
            }
            None => {
                let content = content_of(name);
                let kind = if flags & O_DIRECTORY != 0 {
                    FdKind::Dir(name)
                } else {
                    FdKind::File {
                        name,
                        content,
                        size: size_of(name),
                        pos: 0,
                        flags,
                    }
                };
                let fd = self.add_fd(i, kind, flags & O_CLOEXEC != 0);
                let out = self.sys(
                    i,
                    nr::OPENAT,
                    fd as i64,
                    [AT_FDCWD, buf + 0x800, flags, mode, 0, 0],
                )?;
                if matches!(out, Out::Kept)
                    && name == Name::S("/etc/shadow")
                    && self.w.get(i).comm == "cat"
                {
                    self.sum.sensitive_reads += 1;
                }
                Ok(fd)
            }
        }
    }

    fn close(&mut self, i: usize, fd: i32) -> Result<(), E> {
        let ret = if self.remove_fd(i, fd).is_some() {
            0
        } else {
            -9
        };
        self.sys(i, nr::CLOSE, ret, [fd as u64, 0, 0, 0, 0, 0])?;
        Ok(())
    }

    /// read(2) on a file fd; returns the bytes read.
    fn read_file(&mut self, i: usize, f: Fd, want: u64, nr_: u16) -> Result<i64, E> {
        let FdKind::File {
            content, size, pos, ..
        } = f.kind
        else {
            return Ok(0);
        };
        let n = want.min((size - pos.min(size)) as u64);
        self.item_buf(1, content, pos as usize, n);
        let buf = self.buf(i);
        let args = if nr_ == nr::PREAD64 {
            [f.fd as u64, buf, want, pos as u64, 0, 0]
        } else {
            [f.fd as u64, buf, want, 0, 0, 0]
        };
        self.sys(i, nr_, n as i64, args)?;
        if let FdKind::File {
            name,
            content,
            size,
            flags,
            ..
        } = f.kind
        {
            self.set_fd(
                i,
                Fd {
                    kind: FdKind::File {
                        name,
                        content,
                        size,
                        pos: pos + n as u32,
                        flags,
                    },
                    ..f
                },
            );
        }
        Ok(n as i64)
    }

    fn write_fd(&mut self, i: usize, fd: i32, content: &[u8], len: u64) -> Result<(), E> {
        let off = self.rng.below(content.len() as u64) as usize;
        let off = if content.len() > 512 { off } else { 0 };
        self.item_buf(1, content, off, len);
        let buf = self.buf(i) + 0x1000;
        self.sys(i, nr::WRITE, len as i64, [fd as u64, buf, len, 0, 0, 0])?;
        Ok(())
    }

    fn stat(&mut self, i: usize, path: &'static str, ret: i64) -> Result<(), E> {
        self.item_str(1, path.as_bytes());
        let buf = self.buf(i);
        self.sys(
            i,
            nr::NEWFSTATAT,
            ret,
            [AT_FDCWD, buf + 0x800, buf + 0x900, 0, 0, 0],
        )?;
        Ok(())
    }

    fn fstat(&mut self, i: usize, fd: i32) -> Result<(), E> {
        let buf = self.buf(i);
        self.sys(i, nr::FSTAT, 0, [fd as u64, buf + 0x900, 0, 0, 0, 0])?;
        Ok(())
    }

    fn mmap(&mut self, i: usize, len: u64, prot: u64, flags: u64, fd: i32) -> Result<(), E> {
        // Mappings stack downwards from the top of the mmap area.
        let step = (len + 0xfff) & !0xfff;
        let addr = self.w.update(i, |p| {
            p.mmap_top -= step;
            p.mmap_top
        });
        self.sys(
            i,
            nr::MMAP,
            addr as i64,
            [0, len, prot, flags, fd as i64 as u64, 0],
        )?;
        Ok(())
    }

    fn epoll_wait(&mut self, i: usize) -> Result<(), E> {
        let Some(ep) = self.find_fd(i, |k| matches!(k, FdKind::Epoll)) else {
            return self.futex(i);
        };
        let ret = pick!(self.rng, [(3, 0i64), (10, 1), (4, 2), (1, 3), (1, -4)]);
        let buf = self.buf(i);
        self.sys(
            i,
            nr::EPOLL_WAIT,
            ret,
            [ep.fd as u64, buf + 0x2000, 512, u64::MAX, 0, 0],
        )?;
        Ok(())
    }

    fn futex(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        let (op, ret) = pick!(
            self.rng,
            [
                (5, (128u64, 0i64)),
                (2, (128, EAGAIN)),
                (1, (128 | 9, ETIMEDOUT)),
                (5, (129, 1)),
                (2, (129, 0))
            ]
        );
        let addr = buf + 0x40 * self.rng.below(4);
        self.sys(i, nr::FUTEX, ret, [addr, op, 1, 0, 0, 0])?;
        Ok(())
    }

    /// Receive on a connection: recvfrom with no source address (as recv(2)
    /// does), or EAGAIN.
    fn recv(&mut self, i: usize, f: Fd) -> Result<(), E> {
        let FdKind::Conn {
            cli,
            srv,
            server_side,
            proto,
        } = f.kind
        else {
            return Ok(());
        };
        let peer = if server_side { cli } else { srv };
        let buf = self.buf(i) + 0x4000;
        // sshd uses read(2)/write(2) on its socket; the others recv/send.
        let rw = proto == Proto::Ssh;
        if self.rng.permille(150) {
            let call = if rw { nr::READ } else { nr::RECVFROM };
            self.sys(i, call, EAGAIN, [f.fd as u64, buf, 4096, 0x40, 0, 0])?;
            return Ok(());
        }
        let (content, n) = match (proto, server_side) {
            (Proto::Http, true) => (HTTP_REQ, HTTP_REQ.len() as u64),
            (Proto::Http, false) => (HTTP_RESP, *self.rng.pick(&[850, 1448, 2896, 4096])),
            (Proto::Upstream, true) => (HTTP_API_REQ, HTTP_API_REQ.len() as u64),
            (Proto::Upstream, false) => (JSON_RESP, JSON_RESP.len() as u64),
            (Proto::Pg, true) => (PG_QUERY, PG_QUERY.len() as u64),
            (Proto::Pg, false) => (PG_ROWS, *self.rng.pick(&[118, 342, 1024, 2048])),
            (Proto::Ssh, _) => (&NOISE[..], 36 + 16 * self.rng.below(8)),
        };
        let off = if proto == Proto::Ssh {
            self.rng.below(4096) as usize
        } else {
            0
        };
        self.item_buf(1, content, off, n);
        if rw {
            self.sys(i, nr::READ, n as i64, [f.fd as u64, buf, 16384, 0, 0, 0])?;
            return Ok(());
        }
        // Connected TCP sockets are read with recv(2), i.e. recvfrom with
        // a NULL source address: the kernel writes no peer back.
        let _ = peer;
        self.sys(
            i,
            nr::RECVFROM,
            n as i64,
            [f.fd as u64, buf, 65536, 0, 0, 0],
        )?;
        Ok(())
    }

    /// Send on a connection (sendto without an address, or writev for HTTP).
    fn send(&mut self, i: usize, f: Fd) -> Result<(), E> {
        let FdKind::Conn {
            server_side, proto, ..
        } = f.kind
        else {
            return Ok(());
        };
        let (content, n): (&[u8], u64) = match (proto, server_side) {
            // The site's few files: index.html, app.js, style.css, a 304.
            (Proto::Http, true) => (HTTP_RESP, *self.rng.pick(&[850, 48513, 7611, 189])),
            (Proto::Http, false) => (HTTP_REQ, HTTP_REQ.len() as u64),
            (Proto::Upstream, true) => (JSON_RESP, JSON_RESP.len() as u64),
            (Proto::Upstream, false) => (HTTP_API_REQ, HTTP_API_REQ.len() as u64),
            (Proto::Pg, true) => (PG_ROWS, *self.rng.pick(&[118, 342, 1024, 2048])),
            (Proto::Pg, false) => (PG_QUERY, PG_QUERY.len() as u64),
            (Proto::Ssh, _) => (&NOISE[..], 36 + 16 * self.rng.below(8)),
        };
        let buf = self.buf(i) + 0x8000;
        if proto == Proto::Http && server_side {
            // nginx writes header + body with writev; no data captured.
            self.sys(i, nr::WRITEV, n as i64, [f.fd as u64, buf, 2, 0, 0, 0])?;
            return Ok(());
        }
        let off = if proto == Proto::Ssh {
            self.rng.below(4096) as usize
        } else {
            0
        };
        self.item_buf(1, content, off, n);
        if proto == Proto::Ssh {
            self.sys(i, nr::WRITE, n as i64, [f.fd as u64, buf, n, 0, 0, 0])?;
        } else {
            self.sys(i, nr::SENDTO, n as i64, [f.fd as u64, buf, n, 0x4000, 0, 0])?;
        }
        Ok(())
    }

    fn is_conn(k: &FdKind) -> bool {
        matches!(k, FdKind::Conn { .. })
    }

    // ---- process lifecycle ----

    /// fork(): PROC_FORK, the parent's clone exit, the child's clone exit.
    fn fork(&mut self, i: usize, child_role: Role) -> Result<usize, E> {
        let child_pid = self.w.alloc_pid(&mut self.rng);
        let parent = self.w.get(i);
        let l = parent.leader;
        let mut child = parent.clone();
        child.tid = child_pid;
        child.pid = child_pid;
        child.ppid = parent.pid;
        child.role = child_role;
        child.step = 0;
        child.cur = -1;
        child.waiting_for = None;
        child.fds = self.w.get(l).fds.clone();
        child.start_ns = self.clock;
        child.buf = 0x5555_0000_0000 + ((child_pid as u64) << 20);
        child.mmap_top = 0x7f00_0000_0000 + ((child_pid as u64 & 0xfff) << 28);
        child.cpu = self.rng.below(self.cfg.cpus.max(1) as u64) as u16;
        let ci = self.w.add(child);
        self.w.get_mut(ci).leader = ci;

        let comm = self.w.get(ci).comm;
        self.item_str(tag::COMM, comm.as_bytes());
        self.item_creds(ci);
        self.emit(
            i,
            Kind::ProcFork,
            0,
            0,
            [child_pid as u64, child_pid as u64, 0, 0, 0, 0],
        )?;
        self.sys(
            i,
            nr::CLONE,
            child_pid as i64,
            [CLONE_FORK_FLAGS, 0, 0, 0, 0, 0],
        )?;
        self.sys(ci, nr::CLONE, 0, [CLONE_FORK_FLAGS, 0, 0, 0, 0, 0])?;
        Ok(ci)
    }

    /// execve(): PROC_EXEC then the execve exit with ARG0 + ARGV.
    fn exec(
        &mut self,
        i: usize,
        exe: &'static str,
        comm: &'static str,
        argv: &[&[u8]],
    ) -> Result<(), E> {
        self.w.update(i, |p| {
            p.exe = exe;
            p.comm = comm;
            p.fds.retain(|f| !f.cloexec);
        });
        let tid = self.w.get(i).tid;
        self.item_str(tag::EXE, exe.as_bytes());
        self.item_str(tag::COMM, comm.as_bytes());
        self.item_creds(i);
        self.item_argv(argv);
        self.emit(i, Kind::ProcExec, 0, 0, [tid as u64, 0, 0, 0, 0, 0])?;
        self.item_str(0, exe.as_bytes());
        self.item_argv(argv);
        let sp = 0x7ffc_0000_0000 + ((tid as u64 & 0xffff) << 12);
        self.sys(
            i,
            nr::EXECVE,
            0,
            [sp + 0x100, sp + 0x200, sp + 0x300, 0, 0, 0],
        )?;
        Ok(())
    }

    fn item_argv(&mut self, argv: &[&[u8]]) {
        let len: usize = argv.iter().map(|a| a.len() + 1).sum();
        self.data.push(tag::ARGV);
        self.data.push(0);
        self.data.extend_from_slice(&(len as u16).to_le_bytes());
        for a in argv {
            self.data.extend_from_slice(a);
            self.data.push(0);
        }
    }

    /// The process exits: PROC_EXIT; its parent (if it waits) reaps it.
    fn exit(&mut self, i: usize, code: u32) -> Result<(), E> {
        let p = self.w.get(i);
        let (pid, ppid) = (p.pid, p.ppid);
        self.emit(
            i,
            Kind::ProcExit,
            0,
            0,
            [(code as u64) << 8, 1, ppid as u64, 0, 0, 0],
        )?;
        self.w.remove(i);
        if let Some(pi) = self.w.find_pid(ppid) {
            if self.w.get(pi).waiting_for == Some(pid) {
                self.w.update(pi, |p| p.waiting_for = None);
                let buf = self.buf(pi);
                self.sys(
                    pi,
                    nr::WAIT4,
                    pid as i64,
                    [u64::MAX, buf + 0x10, 2, 0, 0, 0],
                )?;
                if let Some((r, _)) = self.w.update(pi, |p| p.pipe.take()) {
                    let out: &[u8] =
                        b"uid=1000(alice) gid=1000(alice) groups=1000(alice),4(adm),27(sudo)\n";
                    self.item_buf(1, out, 0, out.len() as u64);
                    self.sys(
                        pi,
                        nr::READ,
                        out.len() as i64,
                        [r as u64, buf + 0x4000, 128, 0, 0, 0],
                    )?;
                    self.sys(pi, nr::READ, 0, [r as u64, buf + 0x4000, 128, 0, 0, 0])?;
                    self.close(pi, r)?;
                }
            }
        }
        Ok(())
    }

    // ---- the loop ----

    fn step(&mut self, i: usize) -> Result<(), E> {
        match self.w.get(i).role {
            Role::Systemd => self.systemd(i),
            Role::Journald => self.journald(i),
            Role::Resolved => self.resolved(i),
            Role::Cron => self.cron(i),
            Role::Sshd => self.sshd(i),
            Role::SshSession => self.ssh_session(i),
            Role::Shell => self.shell(i),
            Role::Idle | Role::PgMain => self.epoll_wait(i),
            Role::Nginx => self.nginx(i),
            Role::App => self.app(i),
            Role::AppThread => self.app_thread(i),
            Role::Pg => self.pg(i),
            Role::Cmd(c) => self.cmd(i, c),
        }
    }

    fn systemd(&mut self, i: usize) -> Result<(), E> {
        match pick!(self.rng, [(5, 0), (2, 1), (2, 2), (1, 3)]) {
            0 => self.epoll_wait(i),
            1 => {
                let buf = self.buf(i);
                self.sys(i, nr::RECVMSG, 30, [4, buf, 0x40, 0, 0, 0])?;
                Ok(())
            }
            2 => {
                // Reads a unit's cgroup state under /proc.
                let pid = [312u32, 521, 640, 702, 901, 1102][self.rng.below(6) as usize];
                let fd = self.open(i, Name::Proc(pid, "cgroup"), O_RDONLY | O_CLOEXEC, 0, None)?;
                if let Some(f) = self.get_fd(i, fd) {
                    self.read_file(i, f, 1024, nr::READ)?;
                }
                self.close(i, fd)
            }
            _ => {
                let buf = self.buf(i);
                self.sys(i, nr::CLOCK_NANOSLEEP, 0, [1, 0, buf, 0, 0, 0])?;
                Ok(())
            }
        }
    }

    fn journald(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        match pick!(self.rng, [(4, 0), (5, 1), (4, 2), (1, 3)]) {
            0 => self.epoll_wait(i),
            1 => {
                let n = *self.rng.pick(&[87i64, 112, 143, 256]);
                self.sys(i, nr::RECVMSG, n, [4, buf, 0x40, 0, 0, 0])?;
                Ok(())
            }
            2 => {
                let n = *self.rng.pick(&[64u64, 96, 128, 240, 512]);
                self.item_buf(1, JOURNAL, 0, n);
                // Appends to the journal file.
                let at = self.w.update(i, |p| {
                    p.n = p.n.wrapping_add(n as u32);
                    p.n
                });
                let off = 0x10_0000 + at as u64;
                self.sys(i, nr::PWRITE64, n as i64, [6, buf, n, off, 0, 0])?;
                Ok(())
            }
            _ => self.fstat(i, 6),
        }
    }

    fn resolved(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        match pick!(self.rng, [(3, 0), (2, 1)]) {
            0 => self.epoll_wait(i),
            _ => {
                // A query from a local client, and the answer.
                let peer = (LOCALHOST, self.w.ephemeral_port());
                self.item_buf(1, DNS_Q, 0, DNS_Q.len() as u64);
                self.item_sockaddr(tag::RESULT_ADDR, peer);
                let n = DNS_Q.len() as i64;
                self.sys(
                    i,
                    nr::RECVFROM,
                    n,
                    [12, buf, 4096, 0, buf + 0x100, buf + 0x180],
                )?;
                self.item_buf(1, DNS_A, 0, DNS_A.len() as u64);
                self.item_sockaddr(4, peer);
                let n = DNS_A.len() as u64;
                self.sys(
                    i,
                    nr::SENDTO,
                    n as i64,
                    [12, buf + 0x1000, n, 0x4000, buf + 0x100, 16],
                )?;
                Ok(())
            }
        }
    }

    fn cron(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        match pick!(self.rng, [(6, 0), (3, 1), (1, 2)]) {
            0 => {
                self.sys(i, nr::CLOCK_NANOSLEEP, 0, [0, 0, buf, buf + 0x10, 0, 0])?;
                Ok(())
            }
            1 => {
                let p =
                    *self
                        .rng
                        .pick(&["/etc/crontab", "/etc/cron.d", "/var/spool/cron/crontabs"]);
                self.stat(i, p, 0)
            }
            _ => {
                self.fork(i, Role::Cmd(Cmd::CronSh))?;
                Ok(())
            }
        }
    }

    fn sshd(&mut self, i: usize) -> Result<(), E> {
        match pick!(self.rng, [(3, 0), (1, 1)]) {
            0 => self.epoll_wait(i),
            _ => {
                // A bot connects; a child handles (and fails) its login.
                let peer = (
                    [10, 0, 9, 77 + self.rng.below(4) as u8],
                    self.w.ephemeral_port(),
                );
                let conn = FdKind::Conn {
                    cli: peer,
                    srv: (SERVER_IP, 22),
                    server_side: true,
                    proto: Proto::Ssh,
                };
                let fd = self.add_fd(i, conn, false);
                self.item_sockaddr(tag::RESULT_ADDR, peer);
                self.item_sockaddr(tag::LOCAL_ADDR, (SERVER_IP, 22));
                let buf = self.buf(i);
                self.sys(i, nr::ACCEPT4, fd as i64, [3, buf, buf + 0x80, 0, 0, 0])?;
                let ci = self.fork(i, Role::Cmd(Cmd::SshAuth))?;
                self.w.update(ci, |c| {
                    c.cur = fd;
                    c.comm = "sshd";
                });
                self.close(i, fd)
            }
        }
    }

    fn ssh_session(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        let Some(sock) = self.find_fd(i, Self::is_conn) else {
            return self.epoll_wait(i);
        };
        match pick!(self.rng, [(4, 0), (4, 1), (3, 2), (3, 3), (2, 4)]) {
            0 => self.recv(i, sock),
            1 => self.send(i, sock),
            2 => {
                // Keystrokes to the pty master.
                let n = self.rng.range(1, 8);
                let off = self.rng.below(KEYS.len() as u64) as usize;
                self.item_buf(1, KEYS, off, n);
                self.sys(i, nr::WRITE, n as i64, [9, buf, n, 0, 0, 0])?;
                Ok(())
            }
            3 => {
                let n = *self.rng.pick(&[1u64, 2, 27, 64, 180]);
                self.item_buf(1, PROMPT, 0, n);
                self.sys(i, nr::READ, n as i64, [9, buf + 0x4000, 16384, 0, 0, 0])?;
                Ok(())
            }
            _ => {
                self.sys(i, nr::POLL, 1, [buf + 0x100, 2, u64::MAX, 0, 0, 0])?;
                Ok(())
            }
        }
    }

    fn shell(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        let root = self.w.get(i).uid == 0;
        match pick!(
            self.rng,
            [(10, 0), (4, 1), (3, 2), (1, 3), (2, 4), (1, 5), (1, 6)]
        ) {
            0 => {
                // bash reads the terminal one byte at a time.
                let k = self.rng.below(KEYS.len() as u64) as usize;
                self.item_buf(1, KEYS, k, 1);
                self.sys(i, nr::READ, 1, [0, buf, 1, 0, 0, 0])?;
                Ok(())
            }
            1 => {
                let n = self.rng.range(1, 40);
                self.write_fd(i, 2, PROMPT, n)
            }
            2 => {
                self.sys(
                    i,
                    nr::RT_SIGPROCMASK,
                    0,
                    [0, buf + 0x20, buf + 0xa0, 8, 0, 0],
                )?;
                Ok(())
            }
            3 => {
                self.sys(i, nr::IOCTL, 0, [255, 0x5401, buf + 0x300, 0, 0, 0])?;
                Ok(())
            }
            4 => {
                let p = *self
                    .rng
                    .pick(&["/home/alice/.bash_history", "/usr/bin/ls", "/tmp"]);
                self.stat(i, p, 0)
            }
            5 => {
                let d = *self.rng.pick(&["/var/log", "/tmp", "/home/alice", "/etc"]);
                self.item_str(0, d.as_bytes());
                self.sys(i, nr::CHDIR, 0, [buf + 0x800, 0, 0, 0, 0, 0])?;
                self.w.update(i, |p| p.cwd = d);
                Ok(())
            }
            _ => {
                // Run a command and wait for it.
                let cmd = if root {
                    pick!(
                        self.rng,
                        [
                            (3, Cmd::Ls),
                            (2, Cmd::Cat("/etc/shadow")),
                            (2, Cmd::Cat("/etc/hosts")),
                            (2, Cmd::Grep),
                            (1, Cmd::Ps),
                            (1, Cmd::Id),
                            (1, Cmd::Mkdir),
                        ]
                    )
                } else {
                    pick!(
                        self.rng,
                        [
                            (4, Cmd::Ls),
                            (2, Cmd::Cat("/etc/os-release")),
                            (2, Cmd::Cat("/etc/passwd")),
                            (1, Cmd::Cat("/etc/shadow")),
                            (2, Cmd::Grep),
                            (2, Cmd::Ps),
                            (2, Cmd::Curl),
                            (1, Cmd::Id),
                            (2, Cmd::Touch),
                            (1, Cmd::Rm),
                        ]
                    )
                };
                // `x=$(id)`: the output comes back through a pipe.
                let pipe = if cmd == Cmd::Id {
                    let ino = self.w.next_ino;
                    self.w.next_ino += 1;
                    let r = self.add_fd(i, FdKind::Pipe { ino, write: false }, false);
                    let w = self.add_fd(i, FdKind::Pipe { ino, write: true }, false);
                    let mut fds = [0u8; 8];
                    fds[..4].copy_from_slice(&r.to_le_bytes());
                    fds[4..].copy_from_slice(&w.to_le_bytes());
                    self.item(tag::FDS, &fds);
                    self.sys(i, nr::PIPE2, 0, [buf + 0x40, 0, 0, 0, 0, 0])?;
                    Some((r, w))
                } else {
                    None
                };
                let ci = self.fork(i, Role::Cmd(cmd))?;
                let cpid = self.w.get(ci).pid;
                self.w.update(ci, |c| c.pipe = pipe);
                if let Some((_, w)) = pipe {
                    self.close(i, w)?;
                }
                self.w.update(i, |p| {
                    p.waiting_for = Some(cpid);
                    p.pipe = pipe;
                });
                Ok(())
            }
        }
    }

    fn nginx(&mut self, i: usize) -> Result<(), E> {
        let conns = self.count_fds(i, |k| {
            matches!(
                k,
                FdKind::Conn {
                    server_side: true,
                    ..
                }
            )
        });
        let files = self.count_fds(
            i,
            |k| matches!(k, FdKind::File { name: Name::S(p), .. } if p.starts_with("/var/www")),
        );
        let buf = self.buf(i);
        match pick!(
            self.rng,
            [
                (10, 0),
                (1, 1),
                (12, 2),
                (8, 3),
                (4, 4),
                (3, 5),
                (4, 6),
                (1, 7),
                (2, 8),
                (1, 9)
            ]
        ) {
            0 => self.epoll_wait(i),
            1 if conns < 24 => {
                let peer = (
                    [
                        10,
                        0,
                        3 + self.rng.below(4) as u8,
                        self.rng.range(2, 250) as u8,
                    ],
                    self.w.ephemeral_port(),
                );
                let fd = self.add_fd(
                    i,
                    FdKind::Conn {
                        cli: peer,
                        srv: (SERVER_IP, 80),
                        server_side: true,
                        proto: Proto::Http,
                    },
                    false,
                );
                self.item_sockaddr(tag::RESULT_ADDR, peer);
                self.item_sockaddr(tag::LOCAL_ADDR, (SERVER_IP, 80));
                self.sys(i, nr::ACCEPT4, fd as i64, [6, buf, buf + 0x80, 0x800, 0, 0])?;
                Ok(())
            }
            1 | 2 => match self.find_fd(i, |k| {
                matches!(
                    k,
                    FdKind::Conn {
                        server_side: true,
                        ..
                    }
                )
            }) {
                Some(f) => self.recv(i, f),
                None => self.epoll_wait(i),
            },
            3 => match self.find_fd(i, |k| {
                matches!(
                    k,
                    FdKind::Conn {
                        server_side: true,
                        ..
                    }
                )
            }) {
                Some(f) => self.send(i, f),
                None => self.epoll_wait(i),
            },
            4 if files < 8 => {
                let (p, ok) = *self.rng.pick(&[
                    ("/var/www/html/index.html", true),
                    ("/var/www/html/index.html", true),
                    ("/var/www/html/static/app.js", true),
                    ("/var/www/html/static/style.css", true),
                    ("/var/www/html/favicon.ico", false),
                    ("/var/www/html/.env", false),
                ]);
                let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
                let fd = self.open(i, Name::S(p), flags, 0, (!ok).then_some(ENOENT))?;
                if fd >= 0 {
                    self.fstat(i, fd)?;
                }
                Ok(())
            }
            4 | 5 => match self.find_fd(
                i,
                |k| matches!(k, FdKind::File { name: Name::S(p), .. } if p.starts_with("/var/www")),
            ) {
                Some(f) => {
                    if self.rng.permille(500) {
                        self.read_file(i, f, 32768, nr::PREAD64)?;
                    }
                    self.close(i, f.fd)
                }
                None => self.epoll_wait(i),
            },
            6 => {
                let n = *self.rng.pick(&[112u64, 118, 131, 146]);
                self.write_fd(i, 4, ACCESS_LOG, n)
            }
            7 if conns > 2 => match self.find_fd(i, |k| {
                matches!(
                    k,
                    FdKind::Conn {
                        server_side: true,
                        ..
                    }
                )
            }) {
                Some(f) => self.close(i, f.fd),
                None => Ok(()),
            },
            8 => match self.find_fd(i, |k| {
                matches!(
                    k,
                    FdKind::Conn {
                        server_side: false,
                        ..
                    }
                )
            }) {
                Some(f) => {
                    self.send(i, f)?;
                    self.recv(i, f)
                }
                None => self.epoll_wait(i),
            },
            _ => self.futex(i),
        }
    }

    fn app(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        let client = |k: &FdKind| {
            matches!(
                k,
                FdKind::Conn {
                    server_side: true,
                    ..
                }
            )
        };
        let conns = self.count_fds(i, client);
        match pick!(
            self.rng,
            [
                (6, 0),
                (2, 1),
                (6, 2),
                (5, 3),
                (6, 4),
                (2, 5),
                (3, 6),
                (2, 7),
                (1, 8)
            ]
        ) {
            0 => self.epoll_wait(i),
            1 if conns < 8 => {
                let peer = (LOCALHOST, self.w.ephemeral_port());
                let fd = self.add_fd(
                    i,
                    FdKind::Conn {
                        cli: peer,
                        srv: (LOCALHOST, 8000),
                        server_side: true,
                        proto: Proto::Upstream,
                    },
                    true,
                );
                self.item_sockaddr(tag::RESULT_ADDR, peer);
                self.item_sockaddr(tag::LOCAL_ADDR, (LOCALHOST, 8000));
                self.sys(
                    i,
                    nr::ACCEPT4,
                    fd as i64,
                    [5, buf, buf + 0x80, 0x80000, 0, 0],
                )?;
                Ok(())
            }
            1 | 2 => match self.find_fd(i, client) {
                Some(f) => self.recv(i, f),
                None => self.futex(i),
            },
            3 => match self.find_fd(i, client) {
                Some(f) => {
                    self.send(i, f)?;
                    if self.rng.permille(400) {
                        self.close(i, f.fd)?;
                    }
                    Ok(())
                }
                None => self.futex(i),
            },
            4 => match self.find_fd(i, |k| {
                matches!(
                    k,
                    FdKind::Conn {
                        proto: Proto::Pg,
                        ..
                    }
                )
            }) {
                Some(f) => {
                    self.send(i, f)?;
                    self.recv(i, f)
                }
                None => self.futex(i),
            },
            5 => {
                // Python imports: stat misses along sys.path.
                let (p, r) = *self.rng.pick(&[
                    ("/usr/lib/python3.12/json/__init__.py", 0),
                    ("/usr/local/lib/python3.12/dist-packages/json", ENOENT),
                    ("/usr/lib/python3/dist-packages/flask/__pycache__", 0),
                    (
                        "/usr/lib/python3.12/lib-dynload/_json.cpython-312-x86_64-linux-gnu.so",
                        0,
                    ),
                    ("/app/app.py", 0),
                    ("/app/__pycache__/app.cpython-312.pyc", ENOENT),
                ]);
                self.stat(i, p, r)
            }
            6 => self.futex(i),
            7 => {
                let fd = self.open(
                    i,
                    Name::Proc(self.w.get(i).pid, "statm"),
                    O_RDONLY | O_CLOEXEC,
                    0,
                    None,
                )?;
                if let Some(f) = self.get_fd(i, fd) {
                    self.read_file(i, f, 4096, nr::READ)?;
                }
                self.close(i, fd)
            }
            _ => {
                self.sys(i, nr::GETRANDOM, 16, [buf + 0x500, 16, 1, 0, 0, 0])?;
                Ok(())
            }
        }
    }

    fn app_thread(&mut self, i: usize) -> Result<(), E> {
        let buf = self.buf(i);
        match pick!(self.rng, [(8, 0), (2, 1), (2, 2), (1, 3)]) {
            0 => self.futex(i),
            1 => self.epoll_wait(i),
            2 => {
                // Wake the event loop through the eventfd.
                self.item_buf(1, &1u64.to_le_bytes(), 0, 8);
                self.sys(i, nr::WRITE, 8, [7, buf, 8, 0, 0, 0])?;
                Ok(())
            }
            _ => {
                self.sys(i, nr::GETPID, self.w.get(i).pid as i64, [0; 6])?;
                Ok(())
            }
        }
    }

    fn pg(&mut self, i: usize) -> Result<(), E> {
        let Some(conn) = self.find_fd(i, Self::is_conn) else {
            return self.epoll_wait(i);
        };
        let buf = self.buf(i);
        match pick!(
            self.rng,
            [(4, 0), (6, 1), (6, 2), (5, 3), (2, 4), (1, 5), (1, 6)]
        ) {
            0 => self.epoll_wait(i),
            1 => self.recv(i, conn),
            2 => self.send(i, conn),
            3 | 4 => match self.find_fd(i, |k| matches!(k, FdKind::File { .. })) {
                Some(mut f) => {
                    if let FdKind::File { ref mut pos, .. } = f.kind {
                        // A few hot pages, now and then a cold one.
                        let page = if self.rng.permille(900) {
                            self.rng.below(16)
                        } else {
                            self.rng.below(1024)
                        };
                        *pos = (page * 8192) as u32;
                    }
                    if self.rng.permille(700) {
                        self.read_file(i, f, 8192, nr::PREAD64)?;
                    } else {
                        let FdKind::File { pos, .. } = f.kind else {
                            return Ok(());
                        };
                        self.item_buf(1, PG_PAGE, 0, 8192);
                        self.sys(
                            i,
                            nr::PWRITE64,
                            8192,
                            [f.fd as u64, buf, 8192, pos as u64, 0, 0],
                        )?;
                    }
                    Ok(())
                }
                None => self.epoll_wait(i),
            },
            5 => match self.find_fd(i, |k| matches!(k, FdKind::File { .. })) {
                Some(f) => {
                    let size = 8 << 20;
                    self.sys(i, nr::LSEEK, size, [f.fd as u64, 0, 2, 0, 0, 0])?;
                    Ok(())
                }
                None => self.futex(i),
            },
            _ => self.futex(i),
        }
    }

    /// Dynamic loading of a program's libraries (after exec).
    fn ld_step(&mut self, i: usize, k: u16, libs: &[&'static str]) -> Result<bool, E> {
        let buf = self.buf(i);
        match k {
            0 => {
                self.sys(i, nr::BRK, 0x5555_5600_0000, [0; 6])?;
                self.item_str(0, b"/etc/ld.so.preload");
                self.sys(i, nr::ACCESS, ENOENT, [buf + 0x800, 4, 0, 0, 0, 0])?;
            }
            1 => {
                let fd = self.open(
                    i,
                    Name::S("/etc/ld.so.cache"),
                    O_RDONLY | O_CLOEXEC,
                    0,
                    None,
                )?;
                self.fstat(i, fd)?;
                self.mmap(i, 61234, 1, 2, fd)?;
                self.close(i, fd)?;
            }
            _ => {
                let Some(lib) = libs.get(k as usize - 2) else {
                    return Ok(true);
                };
                let fd = self.open(i, Name::S(lib), O_RDONLY | O_CLOEXEC, 0, None)?;
                if let Some(f) = self.get_fd(i, fd) {
                    self.read_file(i, f, 832, nr::READ)?;
                }
                self.fstat(i, fd)?;
                self.mmap(i, 2_170_256, 1, 0x802, fd)?;
                self.mmap(i, 1_605_632, 5, 0x812, fd)?;
                self.sys(i, nr::MPROTECT, 0, [0x7f12_3400_0000, 0x1000, 1, 0, 0, 0])?;
                self.close(i, fd)?;
                if k as usize - 2 == libs.len() - 1 {
                    // Done loading: ld.so drops its mapping of ld.so.cache.
                    self.sys(i, nr::MUNMAP, 0, [0x7f12_3500_0000, 61234, 0, 0, 0, 0])?;
                }
            }
        }
        Ok(false)
    }

    fn cmd(&mut self, i: usize, c: Cmd) -> Result<(), E> {
        let step = self.w.get(i).step;
        self.w.get_mut(i).step += 1;
        const LIBC: &str = "/usr/lib/x86_64-linux-gnu/libc.so.6";
        // Step 0: exec (and for some, privilege changes first).
        if step == 0 {
            let (exe, comm) = c.program();
            if let Some((r, w)) = self.w.get(i).pipe {
                if let Some(wf) = self.get_fd(i, w) {
                    self.remove_fd(i, 1);
                    let l = self.leader(i);
                    self.w.get_mut(l).fds.push(Fd { fd: 1, ..wf });
                }
                self.sys(i, nr::DUP2, 1, [w as u64, 1, 0, 0, 0, 0])?;
                self.close(i, r)?;
                self.close(i, w)?;
                self.w.update(i, |p| p.pipe = None);
            }
            return match c {
                Cmd::Cat(p) => self.exec(i, exe, comm, &[b"cat", p.as_bytes()]),
                Cmd::Ls => self.exec(i, exe, comm, &[b"ls", b"--color=auto", b"-la"]),
                Cmd::Grep => self.exec(
                    i,
                    exe,
                    comm,
                    &[b"grep", b"--color=auto", b"sshd", b"/var/log/syslog"],
                ),
                Cmd::Ps => self.exec(i, exe, comm, &[b"ps", b"aux"]),
                Cmd::Curl => self.exec(
                    i,
                    exe,
                    comm,
                    &[b"curl", b"-s", b"http://db.internal:8080/health"],
                ),
                Cmd::Id => self.exec(i, exe, comm, &[b"id"]),
                Cmd::Touch => self.exec(i, exe, comm, &[b"touch", b"/tmp/notes.txt"]),
                Cmd::Rm => self.exec(i, exe, comm, &[b"rm", b"-f", b"/tmp/notes.txt"]),
                Cmd::Mkdir => self.exec(i, exe, comm, &[b"mkdir", b"-p", b"/tmp/build"]),
                Cmd::CronSh => {
                    self.sys(i, nr::SETGROUPS, 0, [1, self.buf(i), 0, 0, 0, 0])?;
                    self.sys(i, nr::SETGID, 0, [0; 6])?;
                    self.sys(i, nr::SETUID, 0, [0; 6])?;
                    self.exec(
                        i,
                        exe,
                        comm,
                        &[
                            b"/bin/sh",
                            b"-c",
                            b"cd / && run-parts --report /etc/cron.hourly",
                        ],
                    )
                }
                Cmd::RunParts => Ok(()),
                Cmd::SshAuth => {
                    // Pre-auth: read the client's version and key exchange.
                    let fd = self.w.get(i).cur;
                    if let Some(f) = self.get_fd(i, fd) {
                        self.recv(i, f)?;
                        self.send(i, f)?;
                    }
                    Ok(())
                }
            };
        }
        let libs: &[&str] = match c {
            Cmd::Ls => &[
                "/usr/lib/x86_64-linux-gnu/libselinux.so.1",
                LIBC,
                "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0",
            ],
            Cmd::Grep => &["/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0", LIBC],
            Cmd::Ps => &[
                "/usr/lib/x86_64-linux-gnu/libproc2.so.0",
                LIBC,
                "/usr/lib/x86_64-linux-gnu/libsystemd.so.0",
            ],
            Cmd::Curl => &[
                "/usr/lib/x86_64-linux-gnu/libcurl.so.4",
                "/usr/lib/x86_64-linux-gnu/libz.so.1",
                LIBC,
                "/usr/lib/x86_64-linux-gnu/libssl.so.3",
            ],
            Cmd::SshAuth => &[],
            _ => &[LIBC],
        };
        let nld = if libs.is_empty() {
            0
        } else {
            2 + libs.len() as u16
        };
        if step - 1 < nld {
            self.ld_step(i, step - 1, libs)?;
            return Ok(());
        }
        let k = step - 1 - nld;
        let buf = self.buf(i);
        let uid = self.w.get(i).uid;
        match (c, k) {
            (Cmd::Cat(p), 0) => {
                let denied = p == "/etc/shadow" && uid != 0;
                let fd = self.open(i, Name::S(p), O_RDONLY, 0, denied.then_some(EACCES))?;
                self.w.update(i, |x| x.cur = fd);
                if denied {
                    let msg: &[u8] = b"cat: /etc/shadow: Permission denied\n";
                    self.write_fd(i, 2, msg, msg.len() as u64)?;
                    return self.exit(i, 1);
                }
                self.fstat(i, fd)
            }
            (Cmd::Cat(_), 1) => {
                let fd = self.w.get(i).cur;
                if let Some(f) = self.get_fd(i, fd) {
                    let n = self.read_file(i, f, 131072, nr::READ)?;
                    if n > 0 {
                        let content = match f.kind {
                            FdKind::File { content, .. } => content,
                            _ => PASSWD,
                        };
                        self.write_fd(i, 1, content, n as u64)?;
                    }
                    if let Some(f) = self.get_fd(i, fd) {
                        self.read_file(i, f, 131072, nr::READ)?;
                    }
                }
                self.close(i, fd)
            }
            (Cmd::Ls, 0) => {
                let cwd = self.w.get(i).cwd;
                let fd = self.open(
                    i,
                    Name::S(cwd),
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY,
                    0,
                    None,
                )?;
                self.fstat(i, fd)?;
                self.item_buf(1, DIRENTS, 0, 600);
                self.sys(
                    i,
                    nr::GETDENTS64,
                    600,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                self.sys(
                    i,
                    nr::GETDENTS64,
                    0,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                self.close(i, fd)
            }
            (Cmd::Ls, 1..=4) => {
                let p = [
                    "/etc/localtime",
                    "/usr/share/locale/locale.alias",
                    "/etc/passwd",
                    "/etc/group",
                ][(k - 1) as usize];
                if k >= 3 {
                    let fd = self.open(i, Name::S(p), O_RDONLY | O_CLOEXEC, 0, None)?;
                    if let Some(f) = self.get_fd(i, fd) {
                        self.read_file(i, f, 4096, nr::READ)?;
                    }
                    self.close(i, fd)
                } else {
                    self.stat(i, p, if k == 2 { ENOENT } else { 0 })
                }
            }
            (Cmd::Ls, 5) => {
                let n = self.rng.range(200, 1500);
                self.write_fd(i, 1, DIRENTS, n)
            }
            (Cmd::Grep, 0) => {
                let fd = self.open(i, Name::S("/var/log/syslog"), O_RDONLY | O_NOCTTY, 0, None)?;
                self.w.update(i, |x| x.cur = fd);
                self.fstat(i, fd)
            }
            (Cmd::Grep, 1..=6) => {
                let fd = self.w.get(i).cur;
                if let Some(f) = self.get_fd(i, fd) {
                    self.read_file(i, f, 98304, nr::READ)?;
                }
                if k.is_multiple_of(2) {
                    let n = self.rng.range(80, 400);
                    self.write_fd(i, 1, SYSLOG, n)?;
                }
                Ok(())
            }
            (Cmd::Grep, 7) => {
                let fd = self.w.get(i).cur;
                self.close(i, fd)
            }
            (Cmd::Ps, 0) => {
                let fd = self.open(
                    i,
                    Name::S("/proc"),
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY,
                    0,
                    None,
                )?;
                self.w.update(i, |x| x.cur = fd);
                self.item_buf(1, DIRENTS, 0, 4096);
                self.sys(
                    i,
                    nr::GETDENTS64,
                    32768,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                let fd2 = self.open(i, Name::S("/proc/meminfo"), O_RDONLY | O_CLOEXEC, 0, None)?;
                if let Some(f) = self.get_fd(i, fd2) {
                    self.read_file(i, f, 2048, nr::READ)?;
                }
                self.close(i, fd2)
            }
            (Cmd::Ps, 1..=12) => {
                // /proc/<pid>/stat and status of live processes.
                let n = self.w.procs.len() as u64;
                let mut pid = 1;
                for _ in 0..4 {
                    let j = self.rng.below(n) as usize;
                    if let Some(p) = &self.w.procs[j] {
                        pid = p.pid;
                        break;
                    }
                }
                for leaf in ["stat", "status"] {
                    let fd = self.open(i, Name::Proc(pid, leaf), O_RDONLY, 0, None)?;
                    if let Some(f) = self.get_fd(i, fd) {
                        self.read_file(i, f, 1024, nr::READ)?;
                    }
                    self.close(i, fd)?;
                }
                Ok(())
            }
            (Cmd::Ps, 13) => {
                let fd = self.w.get(i).cur;
                self.sys(
                    i,
                    nr::GETDENTS64,
                    0,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                self.close(i, fd)?;
                let n = self.rng.range(1000, 4000);
                self.write_fd(i, 1, PROC_STAT, n)
            }
            (Cmd::Curl, 0) => {
                for p in ["/etc/nsswitch.conf", "/etc/hosts", "/etc/resolv.conf"] {
                    let fd = self.open(i, Name::S(p), O_RDONLY | O_CLOEXEC, 0, None)?;
                    if let Some(f) = self.get_fd(i, fd) {
                        self.read_file(i, f, 4096, nr::READ)?;
                    }
                    self.close(i, fd)?;
                }
                Ok(())
            }
            (Cmd::Curl, 1) => {
                // DNS through resolved's stub, then HTTP to the resolved address.
                let fd = self.add_fd(i, FdKind::Udp(([0, 0, 0, 0], 0)), true);
                self.sys(i, nr::SOCKET, fd as i64, [2, 0x80802, 17, 0, 0, 0])?;
                self.item_sockaddr(1, ([127, 0, 0, 53], 53));
                // connect binds the socket: loopback and an ephemeral port
                let local = (LOCALHOST, self.w.udp_port());
                self.item_sockaddr(tag::LOCAL_ADDR, local);
                self.sys(i, nr::CONNECT, 0, [fd as u64, buf + 0x100, 16, 0, 0, 0])?;
                self.item_buf(1, DNS_Q, 0, DNS_Q.len() as u64);
                let n = DNS_Q.len() as u64;
                self.sys(
                    i,
                    nr::SENDTO,
                    n as i64,
                    [fd as u64, buf + 0x200, n, 0x4000, 0, 0],
                )?;
                self.item_buf(1, DNS_A, 0, DNS_A.len() as u64);
                self.item_sockaddr(tag::RESULT_ADDR, ([127, 0, 0, 53], 53));
                let n = DNS_A.len() as i64;
                self.sys(
                    i,
                    nr::RECVFROM,
                    n,
                    [fd as u64, buf + 0x300, 2048, 0, buf + 0x100, buf + 0x180],
                )?;
                self.close(i, fd)
            }
            (Cmd::Curl, 2) => {
                let srv = ([10, 0, 0, 20], 8080);
                let cli = (SERVER_IP, self.w.ephemeral_port());
                let fd = self.add_fd(
                    i,
                    FdKind::Conn {
                        cli,
                        srv,
                        server_side: false,
                        proto: Proto::Http,
                    },
                    true,
                );
                self.sys(i, nr::SOCKET, fd as i64, [2, 0x80801, 6, 0, 0, 0])?;
                self.item_sockaddr(1, srv);
                self.item_sockaddr(tag::LOCAL_ADDR, cli);
                self.sys(i, nr::CONNECT, -115, [fd as u64, buf + 0x100, 16, 0, 0, 0])?;
                self.sys(i, nr::POLL, 1, [buf + 0x400, 1, 1000, 0, 0, 0])?;
                self.w.update(i, |x| x.cur = fd);
                Ok(())
            }
            (Cmd::Curl, 3) => {
                let fd = self.w.get(i).cur;
                if let Some(f) = self.get_fd(i, fd) {
                    self.send(i, f)?;
                    self.recv(i, f)?;
                }
                let n = self.rng.range(20, 200);
                self.write_fd(i, 1, JSON_RESP, n)?;
                self.close(i, fd)
            }
            (Cmd::Id, 0) => {
                self.sys(i, nr::GETUID, uid as i64, [0; 6])?;
                self.sys(i, nr::GETEUID, uid as i64, [0; 6])?;
                for p in ["/etc/nsswitch.conf", "/etc/passwd", "/etc/group"] {
                    let fd = self.open(i, Name::S(p), O_RDONLY | O_CLOEXEC, 0, None)?;
                    if let Some(f) = self.get_fd(i, fd) {
                        self.read_file(i, f, 4096, nr::READ)?;
                    }
                    self.close(i, fd)?;
                }
                let n = self.rng.range(40, 120);
                self.write_fd(i, 1, GROUP, n)
            }
            (Cmd::Touch, 0) => {
                let n = self.w.update(i, |p| {
                    p.n += 1;
                    p.n
                });
                let name = if self.rng.permille(500) {
                    Name::S("/tmp/notes.txt")
                } else {
                    Name::Tmp(self.w.get(i).pid.wrapping_mul(2654435761) ^ n)
                };
                let fd = self.open(
                    i,
                    name,
                    O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK,
                    0o666,
                    None,
                )?;
                self.sys(i, nr::UTIMENSAT, 0, [fd as u64, 0, 0, 0, 0, 0])?;
                self.close(i, fd)
            }
            (Cmd::Rm, 0) => {
                self.stat(i, "/tmp/notes.txt", 0)?;
                self.item_str(1, b"/tmp/notes.txt");
                let r = if self.rng.permille(300) { ENOENT } else { 0 };
                self.sys(i, nr::UNLINKAT, r, [AT_FDCWD, buf + 0x800, 0, 0, 0, 0])?;
                Ok(())
            }
            (Cmd::Mkdir, 0) => {
                self.item_str(0, b"/tmp/build");
                let r = if self.rng.permille(500) { EEXIST } else { 0 };
                self.sys(i, nr::MKDIR, r, [buf + 0x800, 0o777, 0, 0, 0, 0])?;
                Ok(())
            }
            (Cmd::CronSh, 0) => {
                self.item_str(0, b"/");
                self.sys(i, nr::CHDIR, 0, [buf + 0x800, 0, 0, 0, 0, 0])?;
                self.w.update(i, |p| {
                    p.cwd = "/";
                    p.role = Role::Cmd(Cmd::RunParts);
                    p.step = 0;
                });
                // sh -c with a last simple command execs it in place.
                let (exe, comm) = Cmd::RunParts.program();
                self.exec(
                    i,
                    exe,
                    comm,
                    &[b"run-parts", b"--report", b"/etc/cron.hourly"],
                )?;
                self.w.update(i, |p| p.step = 1);
                Ok(())
            }
            (Cmd::RunParts, 0) => {
                let fd = self.open(
                    i,
                    Name::S("/etc/cron.hourly"),
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY,
                    0,
                    None,
                )?;
                self.item_buf(1, DIRENTS, 0, 96);
                self.sys(
                    i,
                    nr::GETDENTS64,
                    96,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                self.sys(
                    i,
                    nr::GETDENTS64,
                    0,
                    [fd as u64, buf + 0x1000, 32768, 0, 0, 0],
                )?;
                self.close(i, fd)?;
                self.stat(i, "/etc/cron.hourly/.placeholder", 0)
            }
            (Cmd::SshAuth, 0..=2) => {
                let fd = self.w.get(i).cur;
                if let Some(f) = self.get_fd(i, fd) {
                    self.recv(i, f)?;
                    self.send(i, f)?;
                }
                if k == 1 {
                    for (p, cloexec) in [("/etc/passwd", true), ("/etc/shadow", true)] {
                        let flags = O_RDONLY | if cloexec { O_CLOEXEC } else { 0 };
                        let fd = self.open(i, Name::S(p), flags, 0, None)?;
                        if let Some(f) = self.get_fd(i, fd) {
                            self.read_file(i, f, 4096, nr::READ)?;
                        }
                        self.close(i, fd)?;
                    }
                }
                if k == 2 {
                    // syslog(3): a datagram socket to /dev/log.
                    let lfd = self.add_fd(i, FdKind::Unix("/dev/log"), true);
                    self.sys(i, nr::SOCKET, lfd as i64, [1, 0x80002, 0, 0, 0, 0])?;
                    let mut sun = [0u8; 11];
                    sun[..2].copy_from_slice(&sysreplay_syscalls::decode::AF_UNIX.to_le_bytes());
                    sun[2..10].copy_from_slice(b"/dev/log");
                    self.item(1, &sun);
                    self.sys(i, nr::CONNECT, 0, [lfd as u64, buf + 0x100, 110, 0, 0, 0])?;
                    let msg: &[u8] = b"<38>Nov 28 12:00:02 sshd[4242]: Failed password for invalid user admin from 10.0.9.77 port 51234 ssh2";
                    self.item_buf(1, msg, 0, msg.len() as u64);
                    let n = msg.len() as u64;
                    self.sys(i, nr::SENDTO, n as i64, [lfd as u64, buf, n, 0x4000, 0, 0])?;
                    self.close(i, lfd)?;
                    self.sys(i, nr::NANOSLEEP, 0, [buf + 0x600, 0, 0, 0, 0, 0])?;
                }
                Ok(())
            }
            (Cmd::SshAuth, _) => {
                let fd = self.w.get(i).cur;
                self.close(i, fd)?;
                self.exit(i, 255)
            }
            _ => self.exit(i, 0),
        }
    }
}

const O_NOCTTY: u64 = 0o400;

fn content_of(n: Name) -> &'static [u8] {
    match n {
        Name::S(p) => match p {
            "/etc/passwd" => PASSWD,
            "/etc/group" => GROUP,
            "/etc/shadow" => SHADOW,
            "/etc/hosts" => HOSTS,
            "/etc/resolv.conf" => RESOLV,
            "/etc/nsswitch.conf" => NSSWITCH,
            "/etc/os-release" => OS_RELEASE,
            "/etc/ld.so.cache" => LD_CACHE,
            "/var/log/syslog" => SYSLOG,
            "/proc/meminfo" => MEMINFO,
            "/proc/loadavg" => LOADAVG,
            p if p.starts_with("/var/www") => INDEX_HTML,
            p if p.contains(".so") => ELF,
            _ => b"",
        },
        Name::Proc(_, "status") => PROC_STATUS,
        Name::Proc(_, _) => PROC_STAT,
        Name::Tmp(_) => b"",
        Name::Rel(_) => PG_PAGE,
    }
}

fn size_of(n: Name) -> u32 {
    match n {
        Name::S(p) => match p {
            "/var/log/syslog" => 1 << 20,
            p if p.contains(".so") => 2 << 20,
            p if p.starts_with("/var/www") => 612,
            "/etc/ld.so.cache" => 61234,
            _ => content_of(n).len() as u32,
        },
        Name::Proc(..) => content_of(n).len() as u32,
        Name::Tmp(_) => 0,
        Name::Rel(_) => 8 << 20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use sysreplay_format::event::Event;
    use sysreplay_syscalls::decode;

    fn collect(cfg: &SynthConfig) -> (Vec<(RecordHeader, Vec<u8>)>, SynthSummary) {
        let mut v = Vec::new();
        let s = generate(cfg, |h: &RecordHeader, d: &[u8]| -> Result<(), ()> {
            assert_eq!(h.data_len as usize, d.len());
            v.push((*h, d.to_vec()));
            Ok(())
        })
        .unwrap();
        (v, s)
    }

    fn fnv(h: &mut u64, b: &[u8]) {
        for &c in b {
            *h ^= c as u64;
            *h = h.wrapping_mul(0x100_0000_01b3);
        }
    }

    fn digest(cfg: &SynthConfig) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut enc = Vec::with_capacity(128);
        generate(cfg, |r: &RecordHeader, d: &[u8]| -> Result<(), ()> {
            enc.clear();
            r.encode(&mut enc);
            fnv(&mut h, &enc);
            fnv(&mut h, d);
            Ok(())
        })
        .unwrap();
        h
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let cfg = SynthConfig::new(7, 60_000).with_drop_windows(2);
        assert_eq!(digest(&cfg), digest(&cfg.clone()));
        assert_eq!(snapshot(&cfg), snapshot(&cfg));
        assert_eq!(header(&cfg), header(&cfg));
        let other = SynthConfig::new(8, 60_000).with_drop_windows(2);
        assert_ne!(digest(&cfg), digest(&other));
        assert_ne!(header(&cfg).boot_to_wall_ns, header(&other).boot_to_wall_ns);
        let h = header(&cfg);
        assert_eq!(h.source, "synth");
        assert_eq!(h.arch, "x86_64");
        assert_eq!(h.hostname, "synth-host");
        assert_eq!(h.num_cpus, 4);
    }

    #[test]
    fn exact_count_ordered_timestamps_and_rate() {
        let cfg = SynthConfig::new(3, 100_000);
        let (recs, s) = collect(&cfg);
        assert_eq!(recs.len(), 100_000);
        assert_eq!(s.events, 100_000);
        assert_eq!(s.drop_markers, 0);
        assert!(recs.windows(2).all(|w| w[0].0.ts_ns <= w[1].0.ts_ns));
        assert!(recs.iter().all(|(h, _)| h.cpu < 4));
        assert_eq!(s.first_ts_ns, recs[0].0.ts_ns);
        assert_eq!(s.last_ts_ns, recs.last().unwrap().0.ts_ns);
        // ~200k events/s: 100k events take about half a second.
        let dur = (s.last_ts_ns - s.first_ts_ns) as f64 / 1e9;
        assert!((0.4..0.6).contains(&dur), "{dur}");
        let cpus: HashSet<u16> = recs.iter().map(|(h, _)| h.cpu).collect();
        assert_eq!(cpus.len(), 4);
        assert!(recs[0].0.ts_ns >= cfg.start_boot_ns);
        // Every record is well-formed.
        for (h, d) in &recs {
            sysreplay_format::record::validate_items(d).unwrap();
            assert!(Kind::from_u16(h.kind).is_some());
        }
        assert_eq!(collect(&SynthConfig::new(3, 0)).0.len(), 0);
    }

    #[test]
    fn realistic_mix() {
        let (recs, s) = collect(&SynthConfig::new(11, 200_000));
        let mut per: HashMap<&str, u64> = HashMap::new();
        for (h, _) in &recs {
            if h.kind == Kind::Syscall as u16 {
                *per.entry(syscalls::name(h.nr).unwrap()).or_default() += 1;
            }
        }
        let n = s.syscalls as f64;
        let share = |names: &[&str]| {
            names
                .iter()
                .map(|k| per.get(k).copied().unwrap_or(0))
                .sum::<u64>() as f64
                / n
        };
        let hot = share(&[
            "read",
            "write",
            "epoll_wait",
            "futex",
            "recvfrom",
            "sendto",
            "writev",
            "pread64",
            "pwrite64",
            "recvmsg",
        ]);
        assert!(hot > 0.55, "I/O-heavy mix: {hot} {per:?}");
        let opens = share(&["openat"]);
        assert!((0.01..0.15).contains(&opens), "opens {opens}");
        assert!(share(&["close"]) > 0.01);
        let execs = share(&["execve"]);
        assert!(execs > 0.0 && execs < 0.005, "execs are rare: {execs}");
        assert!(per.len() > 25, "{per:?}");
        for k in [
            "accept4",
            "connect",
            "socket",
            "clone",
            "wait4",
            "newfstatat",
            "getdents64",
            "setuid",
            "chdir",
            "pipe2",
            "dup2",
        ] {
            assert!(per.contains_key(k), "{k} missing: {per:?}");
        }
        assert!(s.forks > 0 && s.execs > 0 && s.exits > 0);
    }

    /// Replays the stream against the snapshot: pids, parents, fds and the
    /// fork/exec record sequences are consistent (no drops here).
    #[test]
    fn stream_is_consistent_with_process_tree_and_fds() {
        let cfg = SynthConfig::new(5, 300_000);
        let snap = snapshot(&cfg);
        let (recs, s) = collect(&cfg);
        // tid -> pid, and pid -> open fds.
        let mut tids: HashMap<u32, u32> = snap.threads.iter().map(|t| (t.tid, t.pid)).collect();
        // pid -> fd -> close-on-exec
        let mut fds: HashMap<u32, HashMap<i32, bool>> = HashMap::new();
        for t in &snap.threads {
            if t.tid == t.pid {
                let cloexec = |f: &FdInfo| f.open_flags as u64 & O_CLOEXEC != 0;
                fds.insert(t.pid, t.fds.iter().map(|f| (f.fd, cloexec(f))).collect());
            }
        }
        let mut pending_child_clone: HashSet<u32> = HashSet::new();
        let mut sensitive = 0;
        let mut enoent = 0;
        let mut last_exec: Option<u32> = None;
        let mut dec = String::new();
        for (idx, (h, d)) in recs.iter().enumerate() {
            let ev = Event::from_record(h, d);
            assert_eq!(
                tids.get(&h.tid),
                Some(&h.pid),
                "record {idx}: unknown tid {h:?}"
            );
            match Kind::from_u16(h.kind).unwrap() {
                Kind::ProcFork => {
                    let child = h.args[0] as u32;
                    assert!(!tids.contains_key(&child));
                    tids.insert(child, child);
                    let parent_fds = fds[&h.pid].clone();
                    fds.insert(child, parent_fds);
                    pending_child_clone.insert(child);
                    let c = ev.creds().unwrap();
                    assert_eq!(c.ppid, h.pid);
                    // Next: the parent's clone returning the child.
                    let (n, _) = &recs[idx + 1];
                    assert_eq!((n.nr, n.ret, n.tid), (nr::CLONE, child as i64, h.tid));
                }
                Kind::ProcExec => {
                    assert!(ev.item(tag::EXE).is_some() && ev.item(tag::COMM).is_some());
                    assert!(ev.creds().is_some() && ev.item(tag::ARGV).is_some());
                    last_exec = Some(h.tid);
                    fds.get_mut(&h.pid).unwrap().retain(|_, cloexec| !*cloexec);
                }
                Kind::ProcExit => {
                    assert_eq!(h.args[1], 1);
                    tids.remove(&h.tid);
                    fds.remove(&h.pid);
                }
                Kind::Drop => panic!("no drop windows configured"),
                Kind::Container => panic!("the generator writes no container records"),
                Kind::Syscall => {
                    let name = syscalls::name(h.nr).unwrap();
                    dec.clear();
                    decode::render_all(&ev, &mut dec);
                    let table = fds.get_mut(&h.pid).unwrap();
                    let fd0 = h.args[0] as i32;
                    match name {
                        "clone" if h.ret == 0 => {
                            assert!(
                                pending_child_clone.remove(&h.tid),
                                "child clone of {}",
                                h.tid
                            );
                        }
                        "execve" => {
                            assert_eq!(last_exec.take(), Some(h.tid), "PROC_EXEC precedes execve");
                            assert!(ev.arg_data(0).is_some());
                        }
                        "openat" | "accept4" | "socket" if h.ret >= 0 => {
                            let flags = match name {
                                "openat" => h.args[2],
                                "accept4" => h.args[3],
                                _ => h.args[1],
                            };
                            let prev = table.insert(h.ret as i32, flags & O_CLOEXEC != 0);
                            assert!(prev.is_none(), "fd {} reused while open: {dec}", h.ret);
                        }
                        "pipe2" => {
                            let b = ev.item(tag::FDS).unwrap().bytes;
                            for k in 0..2 {
                                let fd =
                                    i32::from_le_bytes(b[k * 4..k * 4 + 4].try_into().unwrap());
                                assert!(table.insert(fd, h.args[1] & O_CLOEXEC != 0).is_none());
                            }
                        }
                        "dup2" => {
                            assert!(table.contains_key(&fd0));
                            table.insert(h.args[1] as i32, false);
                        }
                        "close" => {
                            assert_eq!(h.ret, 0);
                            assert!(table.remove(&fd0).is_some(), "close of unknown fd: {dec}");
                        }
                        "read" | "write" | "pread64" | "pwrite64" | "recvfrom" | "sendto"
                        | "writev" | "fstat" | "getdents64" | "connect" | "lseek"
                        | "epoll_wait" => {
                            assert!(
                                table.contains_key(&fd0),
                                "{name} on fd {fd0} not open in {}: {dec}",
                                h.pid
                            );
                        }
                        _ => {}
                    }
                    if name == "openat" {
                        let path = decode::arg_by_name(&ev, "name");
                        if h.ret == -2 {
                            enoent += 1;
                        }
                        if path == decode::ArgValue::Bytes(b"/etc/shadow") && h.ret >= 0 {
                            let comm_is_cat = recs[..idx]
                                .iter()
                                .rev()
                                .find(|(x, _)| x.tid == h.tid && x.kind == Kind::ProcExec as u16);
                            if let Some((x, xd)) = comm_is_cat {
                                let e = Event::from_record(x, xd);
                                if e.item(tag::COMM).unwrap().c_str() == b"cat" {
                                    sensitive += 1;
                                }
                            }
                        }
                    }
                    // Read/recv data never exceeds the snap length.
                    if let Some(it) = ev.arg_data(1) {
                        if matches!(
                            name,
                            "read" | "recvfrom" | "write" | "sendto" | "pread64" | "pwrite64"
                        ) {
                            assert!(it.bytes.len() <= cfg.snaplen as usize);
                            if h.ret >= 0 {
                                assert!(it.bytes.len() as i64 <= h.ret.max(0));
                            }
                        }
                    }
                }
            }
        }
        assert!(sensitive > 0, "cat /etc/shadow happens");
        assert_eq!(sensitive, s.sensitive_reads);
        assert!(enoent > 0, "some opens fail");
    }

    #[test]
    fn drop_windows_omit_events_and_count_them() {
        let cfg = SynthConfig::new(9, 80_000).with_drop_windows(3);
        let (recs, s) = collect(&cfg);
        let drops: Vec<&(RecordHeader, Vec<u8>)> = recs
            .iter()
            .filter(|(h, _)| h.kind == Kind::Drop as u16)
            .collect();
        assert_eq!(drops.len(), 3);
        assert_eq!(s.drop_markers, 3);
        assert_eq!(recs.len() as u64 - 3, cfg.events);
        assert_eq!(s.events, cfg.events);
        assert!(recs.windows(2).all(|w| w[0].0.ts_ns <= w[1].0.ts_ns));
        let mut lost = 0;
        for (h, d) in drops {
            let ev = Event::from_record(h, d);
            let dc = ev.drop_counts().unwrap();
            let (start, n_lost, seen) = (h.args[0], h.args[1], h.args[2]);
            assert!(n_lost > 0 && seen >= n_lost);
            assert_eq!(dc.total(), n_lost);
            assert!(start <= h.ts_ns);
            // The recorded events of that CPU inside the window are what got through.
            let kept = recs
                .iter()
                .filter(|(x, _)| {
                    x.cpu == h.cpu
                        && x.kind != Kind::Drop as u16
                        && x.ts_ns >= start
                        && x.ts_ns < h.ts_ns
                })
                .count() as u64;
            assert_eq!(kept + n_lost, seen, "window on cpu {}", h.cpu);
            lost += n_lost;
            // Opens and closes are among the lost events.
            assert!(dc.n[5] + dc.n[8] + dc.n_other > 0);
        }
        assert_eq!(lost, s.lost);
    }

    #[test]
    fn requested_drop_windows_all_show_up() {
        for seed in 1..=6 {
            let cfg = SynthConfig::new(seed, 50_000).with_drop_windows(3);
            let (recs, s) = collect(&cfg);
            assert_eq!(s.drop_markers, 3, "seed {seed}");
            assert_eq!(recs.len(), 50_003);
            let sum: u64 = recs
                .iter()
                .filter(|(h, _)| h.kind == Kind::Drop as u16)
                .map(|(h, _)| h.args[1])
                .sum();
            assert_eq!(sum, s.lost);
        }
        // Explicit windows: one on CPU 2 from 10% for 5 ms.
        let mut cfg = SynthConfig::new(2, 50_000);
        cfg.drop_windows = vec![DropWindow {
            start_frac: 0.1,
            len_ms: 5.0,
            cpu: 2,
            loss_permille: 1000,
        }];
        let (recs, s) = collect(&cfg);
        assert_eq!(s.drop_markers, 1);
        let m = recs
            .iter()
            .find(|(h, _)| h.kind == Kind::Drop as u16)
            .unwrap()
            .0;
        assert_eq!((m.cpu, m.args[1], m.args[2]), (2, s.lost, s.lost));
        assert_eq!(m.ts_ns - m.args[0], 5_000_000);
        // Everything on CPU 2 inside the window is gone.
        assert!(!recs.iter().any(|(h, _)| h.cpu == 2
            && h.kind != Kind::Drop as u16
            && h.ts_ns >= m.args[0]
            && h.ts_ns < m.ts_ns));
    }

    #[test]
    fn snapshot_is_a_consistent_tree() {
        let cfg = SynthConfig::default();
        let snap = snapshot(&cfg);
        assert!(snap.threads.len() >= 30, "{}", snap.threads.len());
        let pids: HashSet<u32> = snap.threads.iter().map(|t| t.pid).collect();
        for t in &snap.threads {
            assert!(
                t.ppid == 0 || pids.contains(&t.ppid),
                "{} has no parent {}",
                t.tid,
                t.ppid
            );
            if t.tid != t.pid {
                assert!(t.fds.is_empty());
            }
            assert!(t.start_ns <= snap.taken_at_ns);
        }
        let names: Vec<&str> = snap
            .threads
            .iter()
            .flat_map(|t| t.fds.iter().map(|f| f.name.as_str()))
            .collect();
        assert!(names.contains(&"10.0.0.9:51234->10.0.0.5:22"), "{names:?}");
        assert!(names.contains(&"0.0.0.0:22"));
        assert!(names.contains(&"/var/log/nginx/access.log"));
        let root_shell = snap
            .threads
            .iter()
            .find(|t| t.comm == "bash" && t.uid == 0)
            .unwrap();
        assert_eq!(root_shell.loginuid, 1000);
        let ssh = snap
            .threads
            .iter()
            .flat_map(|t| &t.fds)
            .find(|f| f.name == "10.0.0.9:51234->10.0.0.5:22")
            .unwrap();
        let st = ssh.socket.as_ref().unwrap();
        assert_eq!((st.local_port, st.remote_port), (22, 51234));
        assert_eq!(ssh.fd_type, FdType::Ipv4Socket);
    }

    #[test]
    fn rng_is_uniform_enough() {
        let mut r = Rng::new(42);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            buckets[r.below(10) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&b| (9_000..11_000).contains(&b)),
            "{buckets:?}"
        );
        assert_eq!(Rng::new(1).next_u64(), Rng::new(1).next_u64());
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
