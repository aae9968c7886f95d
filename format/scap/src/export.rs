//! sysreplay records + snapshot -> a `.scap` file that sysdig 0.29.3 (libscap
//! of 2022) and current libscap read.
//!
//! Layout: SHB 1.2 without options, MI, UL_V2 (users/groups), PL_V9 (one
//! entry per snapshot thread, pre-0.10 tail), FDL_V2 per thread with fds,
//! then EV_V2 blocks. Each supported syscall becomes an enter+exit pair in
//! the 2022 event layouts (sysdig 0.29.3 takes some exit parameters, e.g.
//! read's fd, from the enter event); PROC_FORK/PROC_EXEC records feed the
//! clone/execve exit parameters; PROC_EXIT becomes procexit; DROP becomes a
//! drop enter/exit pair. Records without a scap form are counted, by name.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;

use super::blocks::{self, put_str16, write_block};
use super::events::{code, EventBuilder};
use sysreplay_format::event::Event;
use sysreplay_format::meta::{FdType, ProcessSnapshot, ThreadInfo, TraceHeader};
use sysreplay_format::record::{tag, Creds, Kind};
use sysreplay_syscalls::decode::{parse_sockaddr, unix_name, SockAddr};
use sysreplay_syscalls::{self as syscalls, nr};

/// What the export did.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ExportReport {
    /// Records read.
    pub records: u64,
    /// scap events written (enter and exit each count).
    pub events: u64,
    /// Syscall records written, by syscall name.
    pub converted: BTreeMap<String, u64>,
    /// Syscalls written as generic events (syscall id only: no arguments or
    /// return value), by name.
    pub generic: BTreeMap<String, u64>,
    /// Records with no scap form, by syscall or record kind name.
    pub skipped: BTreeMap<String, u64>,
    /// Drop markers written as drop enter/exit pairs, and the events they
    /// said were lost (scap has no place for the count).
    pub drop_markers: u64,
    pub lost_events_not_representable: u64,
    pub threads: u64,
    pub fds: u64,
    /// Bytes before compression.
    pub raw_bytes: u64,
}

#[derive(Clone, Default)]
struct Th {
    pid: u32,
    ptid: u32,
    comm: Vec<u8>,
    exe: Vec<u8>,
    args: Vec<u8>,
    cwd: Vec<u8>,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
    pgid: u32,
    cgroups: Vec<u8>,
}

/// A pending PROC_EXEC, completed by the execve syscall record after it.
#[derive(Default)]
struct Exec {
    exe: Vec<u8>,
    comm: Vec<u8>,
    argv: Vec<u8>,
    cwd: Option<Vec<u8>>,
    env: Vec<u8>,
    creds: Option<Creds>,
    cgroups: Option<Vec<u8>>,
}

/// The scap writer: call [`Exporter::record`] for every record in order,
/// then [`Exporter::finish`].
pub struct Exporter<W: Write> {
    out: W,
    buf: Vec<u8>,
    ev: EventBuilder,
    threads: HashMap<u32, Th>,
    forks: HashMap<u32, (Vec<u8>, Creds)>,
    execs: HashMap<u32, Exec>,
    offset: i64,
    /// `(event code, event length)` of each scap event the last
    /// [`Exporter::record`] call wrote (replay sizes Falco's rings by it).
    last_events: Vec<(u16, u32)>,
    pub report: ExportReport,
}

fn join_args(args: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for a in args {
        v.extend_from_slice(a.as_bytes());
        v.push(0);
    }
    v
}

fn ppm_fd_type(t: FdType, listening: bool) -> u8 {
    match t {
        FdType::File => 16,
        FdType::Directory => 2,
        FdType::Ipv4Socket if listening => 5,
        FdType::Ipv4Socket => 3,
        FdType::Ipv6Socket if listening => 6,
        FdType::Ipv6Socket => 4,
        FdType::UnixSocket => 8,
        FdType::Pipe => 7,
        FdType::Event => 9,
        FdType::Signalfd => 11,
        FdType::Inotify => 13,
        FdType::Timerfd => 14,
        FdType::Netlink => 15,
        // sysdig 0.29.3's libscap refuses a capture whose fd list holds a
        // type above 16 ("wrong fd type 17"); its libsinsp shows these as
        // unsupported, so write them as such (every recorder has bpf fds).
        FdType::Bpf | FdType::Userfaultfd | FdType::IoUring | FdType::Memfd | FdType::Other => 10,
    }
}

/// libscap's limits for process-list strings (SCAP_MAX_PATH_SIZE 1024,
/// SCAP_MAX_ARGS_SIZE / SCAP_MAX_ENV_SIZE / SCAP_MAX_CGROUPS_SIZE 4096): a
/// longer string makes sysdig 0.29.3 refuse the whole capture ("invalid
/// argslen"). One byte under, for the readers that test `>=`. A live libscap
/// never reads more than this from /proc either.
const PL_PATH_MAX: usize = 1023;
const PL_ARGS_MAX: usize = 4095;

fn put_str16_max(out: &mut Vec<u8>, s: &[u8], max: usize) {
    put_str16(out, &s[..s.len().min(max)]);
}

/// A NUL-separated list (args, env, cgroups) as the driver writes it: at
/// most `max` bytes, ending with a NUL (the driver cuts at a page and puts
/// a NUL in the last byte). A list cut without its NUL makes libsinsp keep
/// bytes past the last argument (2 stray bytes in sysdig's proc.cmdline).
fn nul_list(s: &[u8], max: usize) -> std::borrow::Cow<'_, [u8]> {
    if s.is_empty() || (s.len() <= max && s.ends_with(&[0])) {
        return s.into();
    }
    let mut v = s[..s.len().min(max - 1)].to_vec();
    v.push(0);
    v.into()
}

fn l4_to_ppm(p: u8) -> u8 {
    match p {
        6 => 2,
        17 => 3,
        1 => 4,
        _ => 0,
    }
}

/// A PT_SOCKADDR value from raw sockaddr bytes.
fn ppm_sockaddr(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    match parse_sockaddr(raw) {
        Some(SockAddr::Inet { family, ip, port }) => {
            if family == sysreplay_syscalls::decode::AF_INET {
                out.push(2);
                out.extend_from_slice(&ip[12..]);
            } else {
                out.push(10);
                out.extend_from_slice(&ip);
            }
            out.extend_from_slice(&port.to_le_bytes());
            true
        }
        Some(SockAddr::Unix(p)) => {
            out.push(1);
            out.extend_from_slice(&unix_name(p));
            out.push(0);
            true
        }
        _ => false,
    }
}

/// A PT_SOCKTUPLE with one known end (the other is the any-address, port 0).
fn ppm_tuple(raw: &[u8], local: Option<&[u8]>, known_is_dst: bool, out: &mut Vec<u8>) -> bool {
    out.clear();
    match parse_sockaddr(raw) {
        Some(SockAddr::Inet { family, ip, port }) => {
            let v4 = family == sysreplay_syscalls::decode::AF_INET;
            out.push(if v4 { 2 } else { 10 });
            let n = if v4 { 4 } else { 16 };
            let known: &[u8] = if v4 { &ip[12..] } else { &ip };
            // The other end: this socket's own address when it was recorded
            // (LOCAL_ADDR), else the any-address with port 0.
            let mut other = ([0u8; 16], 0u16);
            if let Some(SockAddr::Inet {
                family: lf,
                ip: lip,
                port: lport,
            }) = local.and_then(parse_sockaddr)
            {
                if lf == family {
                    other = (lip, lport);
                }
            }
            let other_ip: &[u8] = if v4 { &other.0[12..] } else { &other.0[..n] };
            let ends: [(&[u8], u16); 2] = if known_is_dst {
                [(other_ip, other.1), (known, port)]
            } else {
                [(known, port), (other_ip, other.1)]
            };
            for (a, p) in ends {
                out.extend_from_slice(a);
                out.extend_from_slice(&p.to_le_bytes());
            }
            true
        }
        Some(SockAddr::Unix(p)) => {
            out.push(1);
            out.extend_from_slice(&0u64.to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes());
            out.extend_from_slice(&unix_name(p));
            out.push(0);
            true
        }
        _ => false,
    }
}

impl<W: Write> Exporter<W> {
    /// Write the header blocks.
    pub fn new(mut out: W, header: &TraceHeader, snap: &ProcessSnapshot) -> std::io::Result<Self> {
        let mut report = ExportReport::default();
        let mut buf = Vec::with_capacity(1 << 16);
        // SHB 1.2, no options (sysdig 0.29.3 cannot skip them).
        let mut b = Vec::new();
        b.extend_from_slice(&blocks::SHB_MAGIC.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        write_block(&mut buf, blocks::SHB, &b);
        // MI: 180 packed bytes; boot time = our boot->wall offset.
        b.clear();
        b.extend_from_slice(&header.num_cpus.max(1).to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&(1u64 << 22).to_le_bytes());
        let mut host = [0u8; 128];
        let h = header.hostname.as_bytes();
        let n = h.len().min(127);
        host[..n].copy_from_slice(&h[..n]);
        b.extend_from_slice(&host);
        b.extend_from_slice(&(header.boot_to_wall_ns.max(0) as u64).to_le_bytes());
        b.extend_from_slice(&[0u8; 24]);
        write_block(&mut buf, blocks::MI, &b);
        // UL_V2.
        b.clear();
        for u in &snap.users {
            let mut e = vec![0u8];
            e.extend_from_slice(&u.uid.to_le_bytes());
            e.extend_from_slice(&u.gid.to_le_bytes());
            put_str16(&mut e, &u.name.as_bytes()[..u.name.len().min(255)]);
            put_str16(&mut e, &u.home.as_bytes()[..u.home.len().min(255)]);
            put_str16(&mut e, &u.shell.as_bytes()[..u.shell.len().min(255)]);
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
        }
        for g in &snap.groups {
            let mut e = vec![1u8];
            e.extend_from_slice(&g.gid.to_le_bytes());
            put_str16(&mut e, &g.name.as_bytes()[..g.name.len().min(255)]);
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
        }
        if !b.is_empty() {
            write_block(&mut buf, blocks::UL_V2, &b);
        }
        // PL_V9.
        let mut threads = HashMap::new();
        b.clear();
        for t in &snap.threads {
            let th = th_of(t);
            let mut e = Vec::with_capacity(256);
            e.extend_from_slice(&(t.tid as u64).to_le_bytes());
            e.extend_from_slice(&(t.pid as u64).to_le_bytes());
            e.extend_from_slice(&(t.ppid as u64).to_le_bytes());
            e.extend_from_slice(&(t.sid as u64).to_le_bytes());
            e.extend_from_slice(&(t.pgid as u64).to_le_bytes());
            put_str16_max(&mut e, &th.comm, PL_PATH_MAX);
            let exe = t.args.first().map_or(&th.exe[..], |a| a.as_bytes());
            put_str16_max(&mut e, exe, PL_PATH_MAX);
            put_str16_max(&mut e, &th.exe, PL_PATH_MAX);
            put_str16(&mut e, &nul_list(&th.args, PL_ARGS_MAX));
            put_str16_max(&mut e, &th.cwd, PL_PATH_MAX);
            e.extend_from_slice(&1024u64.to_le_bytes()); // fdlimit
            let flags: u32 = if t.tid == t.pid { 1 << 30 } else { 0 }; // main thread
            e.extend_from_slice(&flags.to_le_bytes());
            e.extend_from_slice(&t.uid.to_le_bytes());
            e.extend_from_slice(&t.gid.to_le_bytes());
            e.extend_from_slice(&[0u8; 12]); // vmsize, vmrss, vmswap
            e.extend_from_slice(&[0u8; 16]); // pfmajor, pfminor
            put_str16(
                &mut e,
                &nul_list(
                    &t.env.as_ref().map(|v| join_args(v)).unwrap_or_default(),
                    PL_ARGS_MAX,
                ),
            );
            e.extend_from_slice(&(t.tid as u64).to_le_bytes()); // vtid
            e.extend_from_slice(&(t.pid as u64).to_le_bytes()); // vpid
            put_str16(&mut e, &nul_list(&th.cgroups, PL_ARGS_MAX));
            put_str16(&mut e, b"/"); // root
            e.extend_from_slice(&t.loginuid.to_le_bytes());
            e.push(0); // exe_writable
            e.extend_from_slice(&t.cap_inheritable.to_le_bytes());
            e.extend_from_slice(&t.cap_permitted.to_le_bytes());
            e.extend_from_slice(&t.cap_effective.to_le_bytes());
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
            threads.insert(t.tid, th);
        }
        report.threads = snap.threads.len() as u64;
        write_block(&mut buf, blocks::PL_V9, &b);
        // FDL_V2 per thread with fds.
        for t in snap.threads.iter().filter(|t| !t.fds.is_empty()) {
            b.clear();
            b.extend_from_slice(&(t.tid as u64).to_le_bytes());
            for f in &t.fds {
                let mut e = Vec::with_capacity(64);
                e.extend_from_slice(&(f.fd as i64).to_le_bytes());
                e.extend_from_slice(&f.ino.to_le_bytes());
                let listening = f.socket.as_ref().is_some_and(|s| s.listening);
                let ty = ppm_fd_type(f.fd_type, listening);
                e.push(ty);
                match (ty, &f.socket) {
                    (3 | 4, Some(s)) => {
                        let v4 = ty == 3;
                        // scap's source/destination are fd.name's
                        // client->server order, not local/remote.
                        let local = blocks::addr_str(&s.local_ip, s.local_port);
                        let (a, pa, b2, pb) = if f.name.starts_with(&local) {
                            (&s.local_ip, s.local_port, &s.remote_ip, s.remote_port)
                        } else {
                            (&s.remote_ip, s.remote_port, &s.local_ip, s.local_port)
                        };
                        for ip in [a, b2] {
                            e.extend_from_slice(if v4 { &ip[12..] } else { &ip[..] });
                        }
                        e.extend_from_slice(&pa.to_le_bytes());
                        e.extend_from_slice(&pb.to_le_bytes());
                        e.push(l4_to_ppm(s.l4proto));
                    }
                    (5 | 6, Some(s)) => {
                        let ip = &s.local_ip;
                        e.extend_from_slice(if ty == 5 { &ip[12..] } else { &ip[..] });
                        e.extend_from_slice(&s.local_port.to_le_bytes());
                        e.push(l4_to_ppm(s.l4proto));
                    }
                    (3..=6, None) => {
                        // An inet socket without addresses: keep its name.
                        e.pop();
                        e.push(10);
                        put_str16_max(&mut e, f.name.as_bytes(), PL_PATH_MAX);
                    }
                    (8, _) => {
                        e.extend_from_slice(&[0u8; 16]);
                        put_str16_max(&mut e, f.name.as_bytes(), PL_PATH_MAX);
                    }
                    (16, _) => {
                        e.extend_from_slice(
                            &blocks::linux_open_flags_to_ppm(f.open_flags).to_le_bytes(),
                        );
                        put_str16_max(&mut e, f.name.as_bytes(), PL_PATH_MAX);
                        e.extend_from_slice(&0u32.to_le_bytes()); // dev
                    }
                    _ => put_str16_max(&mut e, f.name.as_bytes(), PL_PATH_MAX),
                }
                b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
                b.extend_from_slice(&e);
                report.fds += 1;
            }
            write_block(&mut buf, blocks::FDL_V2, &b);
        }
        report.raw_bytes += buf.len() as u64;
        out.write_all(&buf)?;
        buf.clear();
        Ok(Exporter {
            out,
            buf,
            ev: EventBuilder::new(),
            threads,
            forks: HashMap::new(),
            execs: HashMap::new(),
            offset: header.boot_to_wall_ns,
            last_events: Vec::new(),
            report,
        })
    }

    fn flush_if_big(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            self.report.raw_bytes += self.buf.len() as u64;
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Finish the current event in the builder as an EV_V2 block.
    fn put(&mut self, e: &Event<'_>, ts: u64, code: u16) {
        let tid = if e.tid == 0 && e.kind == Kind::Drop as u16 {
            u64::MAX
        } else {
            e.tid as u64
        };
        let n = self.ev.finish(e.cpu, ts, tid, code);
        debug_assert_eq!(n, self.ev.buf.len());
        // The block starts with the CPU (u16); the event follows.
        self.last_events.push((code, (n - 2) as u32));
        write_block(&mut self.buf, blocks::EV_V2, &self.ev.buf);
        self.report.events += 1;
    }

    fn skip(&mut self, what: &str) {
        *self.report.skipped.entry(what.to_string()).or_default() += 1;
    }

    fn th(&mut self, tid: u32, pid: u32) -> &mut Th {
        self.threads.entry(tid).or_insert_with(|| Th {
            pid,
            loginuid: u32::MAX,
            ..Th::default()
        })
    }

    /// Add one record.
    pub fn record(&mut self, e: &Event<'_>) -> std::io::Result<()> {
        self.report.records += 1;
        self.last_events.clear();
        let ts = (e.ts_ns as i64 + self.offset).max(0) as u64;
        match e.kind() {
            Some(Kind::Syscall) => self.syscall(e, ts),
            Some(Kind::ProcFork) => {
                let comm = e
                    .item(tag::COMM)
                    .map(|i| i.c_str().to_vec())
                    .unwrap_or_default();
                let creds = e.creds().unwrap_or_default();
                self.forks.insert(e.args[0] as u32, (comm, creds));
            }
            Some(Kind::ProcExec) => {
                let x = Exec {
                    exe: e
                        .item(tag::EXE)
                        .map(|i| i.c_str().to_vec())
                        .unwrap_or_default(),
                    comm: e
                        .item(tag::COMM)
                        .map(|i| i.c_str().to_vec())
                        .unwrap_or_default(),
                    argv: e
                        .item(tag::ARGV)
                        .map(|i| i.bytes.to_vec())
                        .unwrap_or_default(),
                    cwd: e.item(tag::CWD).map(|i| i.c_str().to_vec()),
                    env: e
                        .item(tag::ENV)
                        .map(|i| i.bytes.to_vec())
                        .unwrap_or_default(),
                    creds: e.creds(),
                    cgroups: e.item(tag::CGROUPS).map(|i| i.bytes.to_vec()),
                };
                self.execs.insert(e.tid, x);
            }
            Some(Kind::ProcExit) => {
                self.ev.start();
                self.ev.u64(e.args[0]);
                self.ev.u64(0);
                self.ev.u8((e.args[0] & 0x7f) as u8);
                self.ev.u8(((e.args[0] >> 7) & 1) as u8);
                self.put(e, ts, code::PROCEXIT_1_E);
                self.threads.remove(&e.tid);
                self.execs.remove(&e.tid);
            }
            Some(Kind::Drop) => {
                let start = (e.args[0] as i64 + self.offset).max(0) as u64;
                self.ev.start();
                self.ev.u32(1);
                self.put(e, start.min(ts), code::DROP_E);
                self.ev.start();
                self.ev.u32(1);
                self.put(e, ts, code::DROP_X);
                self.report.drop_markers += 1;
                self.report.lost_events_not_representable += e.args[1];
            }
            None => self.skip("unknown record kind"),
        }
        self.flush_if_big()
    }

    fn syscall(&mut self, e: &Event<'_>, ts: u64) {
        let Some(name) = syscalls::name(e.nr) else {
            self.skip(&format!("syscall_{}", e.nr));
            return;
        };
        let a = e.args;
        let fd = |n: usize| a[n] as i32 as i64 as u64;
        let item = |n: u8| e.item(n).map(|i| i.bytes);
        let path = |n: u8| e.item(n).map(|i| i.c_str()).unwrap_or(b"");
        let mut scratch = Vec::new();
        let ret = e.ret as u64;
        let b = &mut self.ev;
        // (enter code, exit code) after building the enter into a copy.
        macro_rules! pair {
            ($ecode:expr, $enter:block, $xcode:expr, $exit:block) => {{
                b.start();
                $enter;
                self.put(e, ts, $ecode);
                let b = &mut self.ev;
                b.start();
                let _ = &b;
                $exit;
                self.put(e, ts, $xcode);
            }};
        }
        match e.nr {
            nr::OPEN => {
                let fl = blocks::linux_open_flags_to_ppm(a[1] as u32);
                let p = path(0);
                pair!(
                    code::OPEN_E,
                    {
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(a[2] as u32);
                    },
                    code::OPEN_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(a[2] as u32);
                        b.u32(0);
                    }
                )
            }
            nr::OPENAT => {
                let fl = blocks::linux_open_flags_to_ppm(a[2] as u32);
                let p = path(1);
                pair!(
                    code::OPENAT_2_E,
                    {
                        b.u64(fd(0));
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(a[3] as u32);
                    },
                    code::OPENAT_2_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.u64(fd(0));
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(a[3] as u32);
                        b.u32(0);
                    }
                )
            }
            nr::OPENAT2 => {
                let how = item(2).unwrap_or(&[]);
                let f = |o: usize| {
                    how.get(o..o + 8)
                        .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap()))
                };
                let fl = blocks::linux_open_flags_to_ppm(f(0) as u32);
                let (mode, res) = (f(8) as u32, f(16) as u32);
                let p = path(1);
                pair!(
                    code::OPENAT2_E,
                    {
                        b.u64(fd(0));
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(mode);
                        b.u32(res);
                    },
                    code::OPENAT2_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.u64(fd(0));
                        b.cstr(p);
                        b.u32(fl);
                        b.u32(mode);
                        b.u32(res);
                    }
                )
            }
            nr::CREAT => {
                let p = path(0);
                pair!(
                    code::CREAT_E,
                    {
                        b.cstr(p);
                        b.u32(a[1] as u32);
                    },
                    code::CREAT_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.cstr(p);
                        b.u32(a[1] as u32);
                        b.u32(0);
                    }
                )
            }
            nr::CLOSE => pair!(
                code::CLOSE_E,
                {
                    b.u64(fd(0));
                },
                code::CLOSE_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::READ | nr::WRITE => {
                let (ec, xc) = if e.nr == nr::READ {
                    (code::READ_E, code::READ_X)
                } else {
                    (code::WRITE_E, code::WRITE_X)
                };
                let data = item(1).unwrap_or(&[]);
                pair!(
                    ec,
                    {
                        b.u64(fd(0));
                        b.u32(a[2] as u32);
                    },
                    xc,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.bytes(data);
                    }
                )
            }
            nr::SOCKET => pair!(
                code::SOCKET_E,
                {
                    b.u32(a[0] as u32);
                    b.u32(a[1] as u32);
                    b.u32(a[2] as u32);
                },
                code::SOCKET_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::BIND => {
                let ok = item(1).is_some_and(|r| ppm_sockaddr(r, &mut scratch));
                pair!(
                    code::BIND_E,
                    {
                        b.u64(fd(0));
                    },
                    code::BIND_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        if ok {
                            b.bytes(&scratch)
                        } else {
                            b.empty()
                        }
                    }
                )
            }
            nr::CONNECT => {
                let raw = item(1);
                let mut addr = Vec::new();
                let ok_a = raw.is_some_and(|r| ppm_sockaddr(r, &mut addr));
                let local = e.item(tag::LOCAL_ADDR).map(|i| i.bytes);
                let ok_t = raw.is_some_and(|r| ppm_tuple(r, local, true, &mut scratch));
                pair!(
                    code::CONNECT_E,
                    {
                        b.u64(fd(0));
                        if ok_a {
                            b.bytes(&addr)
                        } else {
                            b.empty()
                        }
                    },
                    code::CONNECT_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        if ok_t {
                            b.bytes(&scratch)
                        } else {
                            b.empty()
                        }
                    }
                )
            }
            nr::LISTEN => pair!(
                code::LISTEN_E,
                {
                    b.u64(fd(0));
                    b.u32(a[1] as u32);
                },
                code::LISTEN_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::ACCEPT | nr::ACCEPT4 => {
                let local = e.item(tag::LOCAL_ADDR).map(|i| i.bytes);
                let ok = e
                    .item(tag::RESULT_ADDR)
                    .is_some_and(|i| ppm_tuple(i.bytes, local, false, &mut scratch));
                let x = |b: &mut EventBuilder| {
                    b.u64(ret);
                    if ok {
                        b.bytes(&scratch)
                    } else {
                        b.empty()
                    }
                    b.u8(0);
                    b.u32(0);
                    b.u32(0);
                };
                if e.nr == nr::ACCEPT {
                    pair!(code::ACCEPT_5_E, {}, code::ACCEPT_5_X, {
                        x(&mut self.ev);
                    })
                } else {
                    pair!(
                        code::ACCEPT4_5_E,
                        {
                            b.u32(a[3] as u32);
                        },
                        code::ACCEPT4_5_X,
                        {
                            x(&mut self.ev);
                        }
                    )
                }
            }
            nr::SENDTO | nr::SENDMSG => {
                let ok = item(4).is_some_and(|r| ppm_tuple(r, None, true, &mut scratch))
                    && e.nr == nr::SENDTO;
                let data = if e.nr == nr::SENDTO {
                    item(1).unwrap_or(&[])
                } else {
                    &[][..]
                };
                let (ec, xc) = if e.nr == nr::SENDTO {
                    (code::SENDTO_E, code::SENDTO_X)
                } else {
                    (code::SENDMSG_E, code::SENDMSG_X)
                };
                let size = if e.nr == nr::SENDTO { a[2] as u32 } else { 0 };
                pair!(
                    ec,
                    {
                        b.u64(fd(0));
                        b.u32(size);
                        if ok {
                            b.bytes(&scratch)
                        } else {
                            b.empty()
                        }
                    },
                    xc,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.bytes(data);
                    }
                )
            }
            nr::RECVFROM => {
                let ok = e
                    .item(tag::RESULT_ADDR)
                    .is_some_and(|i| ppm_tuple(i.bytes, None, false, &mut scratch));
                let data = item(1).unwrap_or(&[]);
                pair!(
                    code::RECVFROM_E,
                    {
                        b.u64(fd(0));
                        b.u32(a[2] as u32);
                    },
                    code::RECVFROM_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.bytes(data);
                        if ok {
                            b.bytes(&scratch)
                        } else {
                            b.empty()
                        }
                    }
                )
            }
            nr::RECVMSG => {
                let ok = e
                    .item(tag::RESULT_ADDR)
                    .is_some_and(|i| ppm_tuple(i.bytes, None, false, &mut scratch));
                pair!(
                    code::RECVMSG_E,
                    {
                        b.u64(fd(0));
                    },
                    code::RECVMSG_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.u32(ret.min(u32::MAX as u64) as u32);
                        b.empty();
                        if ok {
                            b.bytes(&scratch)
                        } else {
                            b.empty()
                        }
                    }
                )
            }
            nr::CHDIR | nr::RMDIR => {
                let p = path(0);
                let (ec, xc) = if e.nr == nr::CHDIR {
                    (code::CHDIR_E, code::CHDIR_X)
                } else {
                    (code::RMDIR_2_E, code::RMDIR_2_X)
                };
                pair!(ec, {}, xc, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.cstr(p);
                })
            }
            nr::FCHDIR => pair!(
                code::FCHDIR_E,
                {
                    b.u64(fd(0));
                },
                code::FCHDIR_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::SETNS => pair!(
                code::SETNS_E,
                {
                    b.u64(fd(0));
                    b.u32(blocks::linux_clone_flags_to_ppm(a[1]));
                },
                code::SETNS_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::UNSHARE => pair!(
                code::UNSHARE_E,
                {
                    b.u32(blocks::linux_clone_flags_to_ppm(a[0]));
                },
                code::UNSHARE_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::SETSID => pair!(code::SETSID_E, {}, code::SETSID_X, {
                self.ev.u64(ret);
            }),
            nr::SETPGID => pair!(
                code::SETPGID_E,
                {
                    b.u64(a[0] as i32 as i64 as u64);
                    b.u64(a[1] as i32 as i64 as u64);
                },
                code::SETPGID_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::USERFAULTFD => {
                let fl = blocks::linux_open_flags_to_ppm(a[0] as u32) & !3;
                pair!(code::USERFAULTFD_E, {}, code::USERFAULTFD_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u32(fl);
                })
            }
            nr::PIPE => {
                let fds = item(tag::FDS).unwrap_or(&[]);
                let f = |o: usize| {
                    fds.get(o..o + 4)
                        .map_or(-1, |s| i32::from_le_bytes(s.try_into().unwrap()))
                        as i64 as u64
                };
                pair!(code::PIPE_E, {}, code::PIPE_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u64(f(0));
                    b.u64(f(4));
                    b.u64(0);
                })
            }
            nr::DUP => pair!(
                code::DUP_E,
                {
                    b.u64(fd(0));
                },
                code::DUP_X,
                {
                    self.ev.u64(ret);
                }
            ),
            nr::CHMOD => {
                let p = path(0);
                pair!(code::CHMOD_E, {}, code::CHMOD_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.cstr(p);
                    b.u32(a[1] as u32 & 0o7777);
                })
            }
            nr::FCHMOD => pair!(code::FCHMOD_E, {}, code::FCHMOD_X, {
                let b = &mut self.ev;
                b.u64(ret);
                b.u64(fd(0));
                b.u32(a[1] as u32 & 0o7777);
            }),
            nr::FCHMODAT => {
                let p = path(1);
                pair!(code::FCHMODAT_E, {}, code::FCHMODAT_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u64(fd(0));
                    b.cstr(p);
                    b.u32(a[2] as u32 & 0o7777);
                })
            }
            nr::MKDIR => {
                let p = path(0);
                pair!(
                    code::MKDIR_2_E,
                    {
                        b.u32(a[1] as u32);
                    },
                    code::MKDIR_2_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.cstr(p);
                    }
                )
            }
            nr::MKDIRAT => {
                let p = path(1);
                pair!(code::MKDIRAT_E, {}, code::MKDIRAT_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u64(fd(0));
                    b.cstr(p);
                    b.u32(a[2] as u32);
                })
            }
            nr::UNLINK => {
                let p = path(0);
                pair!(code::UNLINK_2_E, {}, code::UNLINK_2_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.cstr(p);
                })
            }
            nr::UNLINKAT => {
                let p = path(1);
                pair!(code::UNLINKAT_2_E, {}, code::UNLINKAT_2_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u64(fd(0));
                    b.cstr(p);
                    b.u32(a[2] as u32);
                })
            }
            nr::RENAME | nr::LINK | nr::SYMLINK => {
                let (p0, p1) = (path(0), path(1));
                let (ec, xc) = match e.nr {
                    nr::RENAME => (code::RENAME_E, code::RENAME_X),
                    nr::LINK => (code::LINK_2_E, code::LINK_2_X),
                    _ => (code::SYMLINK_E, code::SYMLINK_X),
                };
                pair!(ec, {}, xc, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.cstr(p0);
                    b.cstr(p1);
                })
            }
            nr::RENAMEAT | nr::RENAMEAT2 | nr::LINKAT => {
                let (p1, p3) = (path(1), path(3));
                let (ec, xc, flags) = match e.nr {
                    nr::RENAMEAT => (code::RENAMEAT_E, code::RENAMEAT_X, false),
                    nr::RENAMEAT2 => (code::RENAMEAT2_E, code::RENAMEAT2_X, true),
                    _ => (code::LINKAT_2_E, code::LINKAT_2_X, true),
                };
                pair!(ec, {}, xc, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.u64(fd(0));
                    b.cstr(p1);
                    b.u64(fd(2));
                    b.cstr(p3);
                    if flags {
                        b.u32(a[4] as u32);
                    }
                })
            }
            nr::SYMLINKAT => {
                let (p0, p2) = (path(0), path(2));
                pair!(code::SYMLINKAT_E, {}, code::SYMLINKAT_X, {
                    let b = &mut self.ev;
                    b.u64(ret);
                    b.cstr(p0);
                    b.u64(fd(1));
                    b.cstr(p2);
                })
            }
            nr::PTRACE => {
                let req = blocks::linux_ptrace_to_ppm(a[0]);
                pair!(
                    code::PTRACE_E,
                    {
                        b.u16(req);
                        b.u64(a[1] as i32 as i64 as u64);
                    },
                    code::PTRACE_X,
                    {
                        let b = &mut self.ev;
                        b.u64(ret);
                        b.bytes(&[0, 0, 0, 0, 0, 0, 0, 0, 0]);
                        b.bytes(&[0, 0, 0, 0, 0, 0, 0, 0, 0]);
                    }
                )
            }
            nr::SETUID | nr::SETGID => {
                let (ec, xc) = if e.nr == nr::SETUID {
                    (code::SETUID_E, code::SETUID_X)
                } else {
                    (code::SETGID_E, code::SETGID_X)
                };
                pair!(
                    ec,
                    {
                        b.u32(a[0] as u32);
                    },
                    xc,
                    {
                        self.ev.u64(ret);
                    }
                )
            }
            nr::SETRESUID | nr::SETRESGID => {
                let (ec, xc) = if e.nr == nr::SETRESUID {
                    (code::SETRESUID_E, code::SETRESUID_X)
                } else {
                    (code::SETRESGID_E, code::SETRESGID_X)
                };
                pair!(
                    ec,
                    {
                        b.u32(a[0] as u32);
                        b.u32(a[1] as u32);
                        b.u32(a[2] as u32);
                    },
                    xc,
                    {
                        self.ev.u64(ret);
                    }
                )
            }
            nr::CLONE | nr::FORK | nr::VFORK | nr::CLONE3 => {
                self.clone_pair(e, ts);
            }
            nr::EXECVE | nr::EXECVEAT => {
                self.exec_pair(e, ts);
            }
            _ => {
                match ppm_sc(name) {
                    Some(id) => {
                        let nr = e.nr;
                        pair!(
                            0,
                            {
                                b.u16(id);
                                b.u16(nr);
                            },
                            1,
                            {
                                self.ev.u16(id);
                            }
                        );
                        *self.report.generic.entry(name.to_string()).or_default() += 1;
                    }
                    None => self.skip(name),
                }
                return;
            }
        }
        *self.report.converted.entry(name.to_string()).or_default() += 1;
    }

    fn clone_pair(&mut self, e: &Event<'_>, ts: u64) {
        let (ec, xc) = match e.nr {
            nr::FORK => (code::FORK_20_E, code::FORK_20_X),
            nr::VFORK => (code::VFORK_20_E, code::VFORK_20_X),
            nr::CLONE3 => (code::CLONE3_E, code::CLONE3_X),
            _ => (code::CLONE_20_E, code::CLONE_20_X),
        };
        let flags = if e.nr == nr::CLONE3 {
            e.item(0)
                .and_then(|i| i.bytes.get(..8))
                .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap()))
        } else {
            e.args[0]
        };
        let res = e.ret;
        // The thread this event describes: the parent (res > 0) or the child.
        let me = if res > 0 {
            self.th(e.tid, e.pid).clone()
        } else if res == 0 {
            let fork = self.forks.remove(&e.tid);
            let mut child = self.threads.get(&e.tid).cloned().unwrap_or(Th {
                loginuid: u32::MAX,
                ..Th::default()
            });
            child.pid = e.pid;
            if let Some((comm, c)) = fork {
                if !comm.is_empty() {
                    child.comm = comm;
                }
                child.uid = c.uid;
                child.gid = c.gid;
                child.loginuid = c.loginuid;
                child.tty = c.tty;
                if c.ppid != 0 && child.ptid == 0 {
                    child.ptid = c.ppid;
                }
            }
            self.threads.insert(e.tid, child.clone());
            child
        } else {
            self.th(e.tid, e.pid).clone()
        };
        if res > 0 {
            // Prepare the child's state from the parent and the fork record.
            let mut child = me.clone();
            child.pid = if flags & 0x0001_0000 != 0 {
                me.pid
            } else {
                res as u32
            };
            child.ptid = e.tid;
            if let Some((comm, c)) = self.forks.get(&(res as u32)) {
                if !comm.is_empty() {
                    child.comm = comm.clone();
                }
                child.uid = c.uid;
                child.gid = c.gid;
                child.loginuid = c.loginuid;
            }
            self.threads.insert(res as u32, child);
        }
        let tid = e.tid as u64;
        let ptid = me.ptid;
        self.ev.start();
        self.put(e, ts, ec);
        let b = &mut self.ev;
        b.start();
        b.u64(res as u64);
        b.cstr(&me.exe);
        b.bytes(&nul_list(&me.args, 4096));
        b.u64(tid);
        b.u64(e.pid as u64);
        b.u64(ptid as u64);
        b.cstr(&me.cwd);
        b.u64(1024);
        b.u64(0);
        b.u64(0);
        b.u32(0);
        b.u32(0);
        b.u32(0);
        b.cstr(&me.comm);
        b.bytes(&nul_list(&me.cgroups, 4096));
        b.u32(blocks::linux_clone_flags_to_ppm(flags));
        b.u32(me.uid);
        b.u32(me.gid);
        b.u64(tid);
        b.u64(e.pid as u64);
        self.put(e, ts, xc);
    }

    fn exec_pair(&mut self, e: &Event<'_>, ts: u64) {
        let at = e.nr == nr::EXECVEAT;
        let fname = e
            .item(if at { 1 } else { 0 })
            .map(|i| i.c_str().to_vec())
            .unwrap_or_default();
        let argv_item = e
            .item(tag::ARGV)
            .map(|i| i.bytes.to_vec())
            .unwrap_or_default();
        let x = if e.ret == 0 {
            self.execs.remove(&e.tid)
        } else {
            None
        };
        let mut th = self.th(e.tid, e.pid).clone();
        let argv = x.as_ref().map_or(argv_item, |x| x.argv.clone());
        let (exe, args) = match argv.iter().position(|&c| c == 0) {
            Some(p) => (argv[..p].to_vec(), argv[p + 1..].to_vec()),
            None => (argv.clone(), Vec::new()),
        };
        let mut env = Vec::new();
        if let Some(x) = &x {
            th.pid = e.pid;
            th.comm = x.comm.clone();
            th.exe = x.exe.clone();
            th.args = args.clone();
            if let Some(c) = &x.cwd {
                th.cwd = c.clone();
            }
            if let Some(c) = &x.cgroups {
                th.cgroups = c.clone();
            }
            if let Some(c) = x.creds {
                th.uid = c.uid;
                th.gid = c.gid;
                th.loginuid = c.loginuid;
                th.tty = c.tty;
                if c.ppid != 0 {
                    th.ptid = c.ppid;
                }
            }
            env = x.env.clone();
            self.threads.insert(e.tid, th.clone());
        }
        let b = &mut self.ev;
        b.start();
        if at {
            b.u64(e.args[0] as i32 as i64 as u64);
            b.cstr(&fname);
            b.u32(e.args[4] as u32);
        } else {
            b.cstr(&fname);
        }
        self.put(
            e,
            ts,
            if at {
                code::EXECVEAT_E
            } else {
                code::EXECVE_19_E
            },
        );
        let b = &mut self.ev;
        b.start();
        b.u64(e.ret as u64);
        b.cstr(&exe);
        // the driver's page: 4096 bytes at most, NUL-terminated
        b.bytes(&nul_list(&args, 4096));
        b.u64(e.tid as u64);
        b.u64(e.pid as u64);
        b.u64(th.ptid as u64);
        b.cstr(&th.cwd);
        b.u64(1024);
        b.u64(0);
        b.u64(0);
        b.u32(0);
        b.u32(0);
        b.u32(0);
        b.cstr(&th.comm);
        b.bytes(&nul_list(&th.cgroups, 4096));
        b.bytes(&nul_list(&env, 4096));
        b.u32(th.tty);
        b.u64(th.pgid as u64);
        b.u32(th.loginuid);
        b.u32(0);
        self.put(
            e,
            ts,
            if at {
                code::EXECVEAT_X
            } else {
                code::EXECVE_19_X
            },
        );
    }

    /// The scap events (code, length in bytes, header included) written for
    /// the last record, in order: none for records folded into a later
    /// event (PROC_FORK, PROC_EXEC) or with no scap form.
    pub fn last_events(&self) -> &[(u16, u32)] {
        &self.last_events
    }

    /// Flush and return the writer and the report.
    pub fn finish(mut self) -> std::io::Result<(W, ExportReport)> {
        self.report.raw_bytes += self.buf.len() as u64;
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok((self.out, self.report))
    }
}

/// The libscap 2022 syscall code of a syscall name (generic events).
fn ppm_sc(name: &str) -> Option<u16> {
    use std::sync::OnceLock;
    static T: OnceLock<HashMap<&'static str, u16>> = OnceLock::new();
    T.get_or_init(|| super::ppm_sc::PPM_SC.iter().copied().collect())
        .get(name)
        .copied()
}

fn th_of(t: &ThreadInfo) -> Th {
    let exe = t.exe.as_bytes().to_vec();
    let args = join_args(t.args.get(1..).unwrap_or(&[]));
    Th {
        pid: t.pid,
        ptid: t.ppid,
        comm: t.comm.as_bytes().to_vec(),
        exe,
        args,
        cwd: t.cwd.as_bytes().to_vec(),
        uid: t.uid,
        gid: t.gid,
        loginuid: t.loginuid,
        tty: t.tty,
        pgid: t.pgid,
        cgroups: if t.cgroup.is_empty() {
            Vec::new()
        } else {
            let mut v = t.cgroup.as_bytes().to_vec();
            v.push(0);
            v
        },
    }
}

/// Export a whole trace (events in order) to gzip-compressed scap bytes.
pub fn export<'a>(
    header: &TraceHeader,
    snap: &ProcessSnapshot,
    events: impl IntoIterator<Item = Event<'a>>,
    gzip: bool,
) -> std::io::Result<(Vec<u8>, ExportReport)> {
    if gzip {
        let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut x = Exporter::new(enc, header, snap)?;
        for e in events {
            x.record(&e)?;
        }
        let (enc, r) = x.finish()?;
        Ok((enc.finish()?, r))
    } else {
        let mut x = Exporter::new(Vec::new(), header, snap)?;
        for e in events {
            x.record(&e)?;
        }
        x.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysreplay_format::OwnedEvent;
    use sysreplay_synth::{self as synth, SynthConfig};

    fn synth_records(n: u64) -> (TraceHeader, ProcessSnapshot, Vec<OwnedEvent>) {
        synth::in_memory(&SynthConfig::new(3, n).with_drop_windows(1))
    }

    #[test]
    fn export_then_import_keeps_supported_records() {
        let (h, s, recs) = synth_records(5_000);
        for gzip in [false, true] {
            let (bytes, rep) = export(&h, &s, recs.iter().map(|e| e.as_event()), gzip).unwrap();
            assert_eq!(rep.records, recs.len() as u64);
            assert!(rep.drop_markers >= 1);
            let imp = super::super::import(bytes).unwrap();
            assert_eq!(imp.report.gzip, gzip);
            assert_eq!(imp.report.scap_version, "1.2");
            assert_eq!(imp.header.boot_to_wall_ns, h.boot_to_wall_ns);
            assert_eq!(imp.snapshot.threads.len(), s.threads.len());
            // Every exported syscall comes back, once: generic events as
            // records of their syscall (without arguments).
            let mut want = rep.converted.clone();
            for (name, n) in &rep.generic {
                *want.entry(name.clone()).or_default() += n;
            }
            assert_eq!(imp.report.converted, want);
            assert_eq!(imp.report.unconverted, BTreeMap::new());
            assert_eq!(
                imp.report.process_records.get("drop"),
                Some(&rep.drop_markers)
            );
            assert_eq!(imp.report.enter_orphaned, BTreeMap::new());
        }
    }

    /// Real hosts have command lines over libscap's 4096 bytes and bpf /
    /// memfd fds (the recorder's own): sysdig 0.29.3 refused such exports
    /// ("invalid argslen 7863", "wrong fd type 17").
    #[test]
    fn process_list_stays_within_what_sysdig_0_29_reads() {
        let (h, mut s, _) = synth_records(10);
        let t = &mut s.threads[0];
        t.args = std::iter::once("/usr/bin/long".to_string())
            .chain((0..2000).map(|i| format!("arg{i}")))
            .collect();
        t.cwd = format!("/{}", "d".repeat(3000));
        t.cgroup = format!("0::/{}", "c".repeat(5000));
        t.fds.clear();
        for (fd, ty) in [
            (3, FdType::Bpf),
            (4, FdType::Memfd),
            (5, FdType::Userfaultfd),
            (6, FdType::IoUring),
            (7, FdType::File),
        ] {
            t.fds.push(sysreplay_format::meta::FdInfo {
                fd,
                fd_type: ty,
                name: format!("/{}", "n".repeat(2000)),
                ..Default::default()
            });
        }
        let tid = t.tid as u64;
        let (bytes, _) = export(&h, &s, std::iter::empty(), false).unwrap();
        let blocks: Vec<_> = blocks::Blocks::new(&bytes)
            .collect::<Result<_, _>>()
            .unwrap();
        let mut threads = Vec::new();
        let mut fds = Vec::new();
        for b in &blocks {
            if b.btype == blocks::PL_V9 {
                blocks::parse_pl(b, &mut threads).unwrap();
            }
            if b.btype == blocks::FDL_V2 {
                let (t, f) = blocks::parse_fdl(b).unwrap();
                if t == tid {
                    fds = f;
                }
            }
        }
        let t = threads.iter().find(|x| x.tid as u64 == tid).unwrap();
        let args_len: usize = t.args[1..].iter().map(|a| a.len() + 1).sum();
        assert!(args_len <= PL_ARGS_MAX + 1, "args {args_len} bytes");
        assert!(t.args.len() > 100, "args are cut, not dropped");
        assert_eq!(t.cwd.len(), PL_PATH_MAX);
        assert!(t.cgroup.len() <= PL_ARGS_MAX);
        let types: Vec<FdType> = fds.iter().map(|f| f.fd_type).collect();
        assert_eq!(
            types,
            [
                FdType::Other,
                FdType::Other,
                FdType::Other,
                FdType::Other,
                FdType::File
            ]
        );
        assert!(fds.iter().all(|f| f.name.len() == PL_PATH_MAX));
    }

    #[test]
    fn header_blocks_are_well_formed() {
        let (h, s, _) = synth_records(10);
        let (bytes, _) = export(&h, &s, std::iter::empty(), false).unwrap();
        let blocks: Vec<_> = blocks::Blocks::new(&bytes)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(blocks[0].btype, blocks::SHB);
        assert_eq!(blocks[0].body.len(), 16, "no SHB options (sysdig 0.29.3)");
        assert_eq!(blocks[1].btype, blocks::MI);
        assert_eq!(blocks[1].body.len(), 180);
        let mut threads = Vec::new();
        for b in &blocks {
            if b.btype == blocks::PL_V9 {
                blocks::parse_pl(b, &mut threads).unwrap();
            }
        }
        assert_eq!(threads.len(), s.threads.len());
        assert_eq!(threads[0].comm, s.threads[0].comm);
        assert_eq!(threads[0].loginuid, s.threads[0].loginuid);
    }
}
