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
//!
//! Table-driven like the importer: `layout` says, per syscall, which enter
//! and exit events it becomes and where each parameter's value comes from
//! (`Src`); every parameter's type, hence its width, comes from the
//! generated event table (`event_params.rs`). Only clone and execve, whose
//! exits describe the thread, have handlers that compute their values.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;

use super::blocks::{self, put_str16, write_block};
use super::events::{all_params, code, EventBuilder, Pt};
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
    /// Container records written as container JSON events.
    pub containers: u64,
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
    /// argv[0]: the drivers' clone/execve `exe` parameter (libsinsp's
    /// proc.exe), not the executable's path.
    exe: Vec<u8>,
    args: Vec<u8>,
    cwd: Vec<u8>,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
    pgid: u32,
    cgroups: Vec<u8>,
    /// The image's exe flags (PPM_EXE_*), 0 when not recorded.
    exe_flags: u32,
}

/// A PROC_FORK record, for the clone exits after it.
struct Fork {
    comm: Vec<u8>,
    creds: Creds,
    /// Format 1.2.
    cgroups: Option<Vec<u8>>,
    /// The thread that forked.
    by: u32,
    /// The child's thread group: its own tid for a process.
    child_pid: u32,
}

const CLONE_THREAD: u64 = 0x0001_0000;
/// What glibc's pthread_create passes to clone3: CLONE_VM, CLONE_FS,
/// CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS,
/// CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID.
const PTHREAD_CLONE_FLAGS: u64 =
    0x100 | 0x200 | 0x400 | 0x800 | CLONE_THREAD | 0x4_0000 | 0x8_0000 | 0x10_0000 | 0x20_0000;

/// A pending PROC_EXEC, completed by the execve syscall record after it.
#[derive(Default)]
struct Exec {
    comm: Vec<u8>,
    argv: Vec<u8>,
    cwd: Option<Vec<u8>>,
    env: Vec<u8>,
    creds: Option<Creds>,
    cgroups: Option<Vec<u8>>,
    exe_flags: Option<u32>,
}

/// The scap writer: call [`Exporter::record`] for every record in order,
/// then [`Exporter::finish`].
pub struct Exporter<W: Write> {
    out: W,
    buf: Vec<u8>,
    ev: EventBuilder,
    /// An address converted for the event being built.
    scratch: Vec<u8>,
    threads: HashMap<u32, Th>,
    /// Fork records by child tid.
    forks: HashMap<u32, Fork>,
    /// Children whose state the caller's clone exit prepared, waiting for
    /// their own clone exit.
    prepared: std::collections::HashSet<u32>,
    /// Children whose own clone exit came first (vfork, often threads): the
    /// caller's exit must not reset their state (they may have exec'd).
    inverted: std::collections::HashSet<u32>,
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

/// A parameter value, written by the event table's type of its parameter:
/// an integer at the type's width, a C string, or raw bytes.
#[derive(Clone, Copy)]
enum Val<'a> {
    Int(u64),
    Str(&'a [u8]),
    Buf(&'a [u8]),
}
use Val::{Buf, Int, Str};

fn put_param(b: &mut EventBuilder, pt: Pt, v: Val<'_>) {
    match v {
        // `layouts_match_the_event_table` checks that integers go only to
        // integer parameters.
        Int(x) => match pt.int_width() {
            Some(1) => b.u8(x as u8),
            Some(2) => b.u16(x as u16),
            Some(4) => b.u32(x as u32),
            _ => b.u64(x),
        },
        Str(s) => b.cstr(s),
        Buf(s) => b.bytes(s),
    }
}

/// Where an exported parameter's value comes from in a syscall record (its
/// type, hence its width, comes from the event table).
#[derive(Clone, Copy, Debug)]
enum Src {
    /// The return value.
    Ret,
    /// The return value capped at `u32::MAX` (recvmsg's size).
    RetU32,
    /// Register n, cut to the parameter's width.
    Arg(u8),
    /// Register n as a C int (an fd, a pid), sign-extended.
    CInt(u8),
    /// Item n as a C string ("" when absent).
    Path(u8),
    /// Item n's bytes (empty when absent).
    Data(u8),
    /// What the record does not hold: 0, an empty value, a PT_DYN 0.
    Zero,
    Empty,
    Dyn0,
    /// Linux `O_*` flags in register n, as PPM open flags.
    OpenFlags(u8),
    /// userfaultfd's flags in register n (PPM open flags without the access mode).
    UffdFlags(u8),
    /// Linux `CLONE_*` flags in register n, as PPM clone flags.
    CloneFlags(u8),
    /// A mode in register n, permission bits only.
    Mode(u8),
    /// A ptrace request in register n, as PPM's.
    Ptrace(u8),
    /// openat2's `struct open_how` (item 2) field n: 0 flags (as PPM's),
    /// 1 mode, 2 resolve.
    How(u8),
    /// A sockaddr item as a PT_SOCKADDR.
    Addr(u8),
    /// A sockaddr item as one end of a PT_SOCKTUPLE: (item, the known end
    /// is the destination, the other end is this socket's LOCAL_ADDR).
    Tuple(u8, bool, bool),
    /// pipe's fds item, entry n.
    PipeFd(u8),
}
use Src::*;

/// A syscall's scap enter and exit events and where each parameter comes
/// from: the 2022 layouts, a prefix of the event table's.
struct Layout {
    enter: u16,
    e: &'static [Src],
    exit: u16,
    x: &'static [Src],
}

const fn lay(enter: u16, e: &'static [Src], exit: u16, x: &'static [Src]) -> Layout {
    Layout { enter, e, exit, x }
}

/// The layout of syscall `nr`; None for clone and execve (their exits come
/// from the thread table, `clone_pair` / `exec_pair`) and for the syscalls
/// written as generic events.
fn layout(nr: u16) -> Option<Layout> {
    const RET: &[Src] = &[Ret];
    const FD0: &[Src] = &[CInt(0)];
    // a datagram's peer, and this socket's own end when recorded
    const PEER: Src = Tuple(tag::RESULT_ADDR, false, true);
    const ACCEPT_X: &[Src] = &[Ret, Tuple(tag::RESULT_ADDR, false, true), Zero, Zero, Zero];
    const AT2_X: &[Src] = &[Ret, CInt(0), Path(1), CInt(2), Path(3), Arg(4)];
    Some(match nr {
        nr::OPEN => lay(
            code::OPEN_E,
            &[Path(0), OpenFlags(1), Arg(2)],
            code::OPEN_X,
            &[Ret, Path(0), OpenFlags(1), Arg(2), Zero],
        ),
        nr::OPENAT => lay(
            code::OPENAT_2_E,
            &[CInt(0), Path(1), OpenFlags(2), Arg(3)],
            code::OPENAT_2_X,
            &[Ret, CInt(0), Path(1), OpenFlags(2), Arg(3), Zero],
        ),
        nr::OPENAT2 => lay(
            code::OPENAT2_E,
            &[CInt(0), Path(1), How(0), How(1), How(2)],
            code::OPENAT2_X,
            &[Ret, CInt(0), Path(1), How(0), How(1), How(2)],
        ),
        nr::CREAT => lay(
            code::CREAT_E,
            &[Path(0), Arg(1)],
            code::CREAT_X,
            &[Ret, Path(0), Arg(1), Zero],
        ),
        nr::CLOSE => lay(code::CLOSE_E, FD0, code::CLOSE_X, RET),
        nr::READ => lay(
            code::READ_E,
            &[CInt(0), Arg(2)],
            code::READ_X,
            &[Ret, Data(1)],
        ),
        nr::WRITE => lay(
            code::WRITE_E,
            &[CInt(0), Arg(2)],
            code::WRITE_X,
            &[Ret, Data(1)],
        ),
        nr::SOCKET => lay(
            code::SOCKET_E,
            &[Arg(0), Arg(1), Arg(2)],
            code::SOCKET_X,
            RET,
        ),
        nr::BIND => lay(code::BIND_E, FD0, code::BIND_X, &[Ret, Addr(1)]),
        nr::CONNECT => lay(
            code::CONNECT_E,
            &[CInt(0), Addr(1)],
            code::CONNECT_X,
            &[Ret, Tuple(1, true, true)],
        ),
        nr::LISTEN => lay(code::LISTEN_E, &[CInt(0), Arg(1)], code::LISTEN_X, RET),
        nr::ACCEPT => lay(code::ACCEPT_5_E, &[], code::ACCEPT_5_X, ACCEPT_X),
        nr::ACCEPT4 => lay(code::ACCEPT4_5_E, &[Arg(3)], code::ACCEPT4_5_X, ACCEPT_X),
        nr::SENDTO => lay(
            code::SENDTO_E,
            &[CInt(0), Arg(2), Tuple(4, true, true)],
            code::SENDTO_X,
            &[Ret, Data(1)],
        ),
        // The record keeps no msghdr: size 0, no address; the data an
        // import kept (item 1).
        nr::SENDMSG => lay(
            code::SENDMSG_E,
            &[CInt(0), Zero, Empty],
            code::SENDMSG_X,
            &[Ret, Data(1)],
        ),
        nr::RECVFROM => lay(
            code::RECVFROM_E,
            &[CInt(0), Arg(2)],
            code::RECVFROM_X,
            &[Ret, Data(1), PEER],
        ),
        nr::RECVMSG => lay(
            code::RECVMSG_E,
            FD0,
            code::RECVMSG_X,
            &[Ret, RetU32, Data(1), PEER],
        ),
        nr::CHDIR => lay(code::CHDIR_E, &[], code::CHDIR_X, &[Ret, Path(0)]),
        nr::RMDIR => lay(code::RMDIR_2_E, &[], code::RMDIR_2_X, &[Ret, Path(0)]),
        nr::FCHDIR => lay(code::FCHDIR_E, FD0, code::FCHDIR_X, RET),
        nr::SETNS => lay(code::SETNS_E, &[CInt(0), CloneFlags(1)], code::SETNS_X, RET),
        nr::UNSHARE => lay(code::UNSHARE_E, &[CloneFlags(0)], code::UNSHARE_X, RET),
        nr::SETSID => lay(code::SETSID_E, &[], code::SETSID_X, RET),
        nr::SETPGID => lay(code::SETPGID_E, &[CInt(0), CInt(1)], code::SETPGID_X, RET),
        nr::USERFAULTFD => lay(
            code::USERFAULTFD_E,
            &[],
            code::USERFAULTFD_X,
            &[Ret, UffdFlags(0)],
        ),
        nr::PIPE => lay(
            code::PIPE_E,
            &[],
            code::PIPE_X,
            &[Ret, PipeFd(0), PipeFd(1), Zero],
        ),
        nr::DUP => lay(code::DUP_E, FD0, code::DUP_X, RET),
        nr::CHMOD => lay(code::CHMOD_E, &[], code::CHMOD_X, &[Ret, Path(0), Mode(1)]),
        nr::FCHMOD => lay(
            code::FCHMOD_E,
            &[],
            code::FCHMOD_X,
            &[Ret, CInt(0), Mode(1)],
        ),
        nr::FCHMODAT => lay(
            code::FCHMODAT_E,
            &[],
            code::FCHMODAT_X,
            &[Ret, CInt(0), Path(1), Mode(2)],
        ),
        nr::MKDIR => lay(code::MKDIR_2_E, &[Arg(1)], code::MKDIR_2_X, &[Ret, Path(0)]),
        nr::MKDIRAT => lay(
            code::MKDIRAT_E,
            &[],
            code::MKDIRAT_X,
            &[Ret, CInt(0), Path(1), Arg(2)],
        ),
        nr::UNLINK => lay(code::UNLINK_2_E, &[], code::UNLINK_2_X, &[Ret, Path(0)]),
        nr::UNLINKAT => lay(
            code::UNLINKAT_2_E,
            &[],
            code::UNLINKAT_2_X,
            &[Ret, CInt(0), Path(1), Arg(2)],
        ),
        nr::RENAME => lay(
            code::RENAME_E,
            &[],
            code::RENAME_X,
            &[Ret, Path(0), Path(1)],
        ),
        nr::LINK => lay(
            code::LINK_2_E,
            &[],
            code::LINK_2_X,
            &[Ret, Path(0), Path(1)],
        ),
        nr::SYMLINK => lay(
            code::SYMLINK_E,
            &[],
            code::SYMLINK_X,
            &[Ret, Path(0), Path(1)],
        ),
        nr::RENAMEAT => lay(code::RENAMEAT_E, &[], code::RENAMEAT_X, &AT2_X[..5]),
        nr::RENAMEAT2 => lay(code::RENAMEAT2_E, &[], code::RENAMEAT2_X, AT2_X),
        nr::LINKAT => lay(code::LINKAT_2_E, &[], code::LINKAT_2_X, AT2_X),
        nr::SYMLINKAT => lay(
            code::SYMLINKAT_E,
            &[],
            code::SYMLINKAT_X,
            &[Ret, Path(0), CInt(1), Path(2)],
        ),
        nr::PTRACE => lay(
            code::PTRACE_E,
            &[Ptrace(0), CInt(1)],
            code::PTRACE_X,
            &[Ret, Dyn0, Dyn0],
        ),
        nr::SETUID => lay(code::SETUID_E, &[Arg(0)], code::SETUID_X, RET),
        nr::SETGID => lay(code::SETGID_E, &[Arg(0)], code::SETGID_X, RET),
        nr::SETRESUID => lay(
            code::SETRESUID_E,
            &[Arg(0), Arg(1), Arg(2)],
            code::SETRESUID_X,
            RET,
        ),
        nr::SETRESGID => lay(
            code::SETRESGID_E,
            &[Arg(0), Arg(1), Arg(2)],
            code::SETRESGID_X,
            RET,
        ),
        _ => return None,
    })
}

/// The value of source `s` in syscall record `e` (`scratch` holds a
/// converted address).
fn value_of<'a>(s: Src, e: &Event<'a>, scratch: &'a mut Vec<u8>) -> Val<'a> {
    let a = |n: u8| e.args[n as usize];
    let item = |n: u8| e.item(n).map_or(&[][..], |i| i.bytes);
    match s {
        Ret => Int(e.ret as u64),
        RetU32 => Int((e.ret as u64).min(u32::MAX as u64)),
        Arg(n) => Int(a(n)),
        CInt(n) => Int(a(n) as i32 as i64 as u64),
        Path(n) => Str(e.item(n).map_or(&[][..], |i| i.c_str())),
        Data(n) => Buf(item(n)),
        Zero => Int(0),
        Empty => Buf(&[]),
        Dyn0 => Buf(&[0; 9]),
        OpenFlags(n) => Int(blocks::linux_open_flags_to_ppm(a(n) as u32) as u64),
        UffdFlags(n) => Int((blocks::linux_open_flags_to_ppm(a(n) as u32) & !3) as u64),
        CloneFlags(n) => Int(blocks::linux_clone_flags_to_ppm(a(n)) as u64),
        Mode(n) => Int(a(n) & 0o7777),
        Ptrace(n) => Int(blocks::linux_ptrace_to_ppm(a(n)) as u64),
        How(n) => {
            let how = item(2);
            let o = 8 * n as usize;
            let v = how
                .get(o..o + 8)
                .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap()));
            Int(if n == 0 {
                blocks::linux_open_flags_to_ppm(v as u32) as u64
            } else {
                v
            })
        }
        Addr(n) => {
            let ok = e.item(n).is_some_and(|r| ppm_sockaddr(r.bytes, scratch));
            Buf(if ok { &scratch[..] } else { &[] })
        }
        Tuple(n, dst, with_local) => {
            let local = with_local
                .then(|| e.item(tag::LOCAL_ADDR).map(|i| i.bytes))
                .flatten();
            let ok = e
                .item(n)
                .is_some_and(|r| ppm_tuple(r.bytes, local, dst, scratch));
            Buf(if ok { &scratch[..] } else { &[] })
        }
        PipeFd(n) => {
            let o = 4 * n as usize;
            let fd = item(tag::FDS)
                .get(o..o + 4)
                .map_or(-1, |s| i32::from_le_bytes(s.try_into().unwrap()));
            Int(fd as i64 as u64)
        }
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
            put_str16_max(&mut e, &th.exe, PL_PATH_MAX);
            put_str16_max(&mut e, t.exe.as_bytes(), PL_PATH_MAX);
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
            // the pid-namespace ids when the trace has them (format 2.2)
            let (vtid, vpid) = if t.vtid != 0 {
                (t.vtid, t.vpid)
            } else {
                (t.tid, t.pid)
            };
            e.extend_from_slice(&(vtid as u64).to_le_bytes());
            e.extend_from_slice(&(vpid as u64).to_le_bytes());
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
            scratch: Vec::new(),
            threads,
            forks: HashMap::new(),
            prepared: Default::default(),
            inverted: Default::default(),
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
        let tid = if e.tid == 0 && matches!(e.kind(), Some(Kind::Drop | Kind::Container)) {
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
                let cgroups = e.item(tag::CGROUPS).map(|i| i.bytes.to_vec());
                let f = Fork {
                    comm,
                    creds,
                    cgroups,
                    by: e.tid,
                    child_pid: e.args[1] as u32,
                };
                self.forks.insert(e.args[0] as u32, f);
            }
            Some(Kind::ProcExec) => {
                // (its exe item, the executable's path, has no place in
                // the 2022 execve exit: no trusted_exepath)
                let x = Exec {
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
                    exe_flags: e.exe_flags(),
                };
                self.execs.insert(e.tid, x);
            }
            Some(Kind::ProcExit) => {
                let status = e.args[0];
                let vals = [
                    Int(status),
                    Int(0),
                    Int(status & 0x7f),
                    Int((status >> 7) & 1),
                ];
                self.event(e, ts, code::PROCEXIT_1_E, &vals);
                self.threads.remove(&e.tid);
                self.execs.remove(&e.tid);
            }
            Some(Kind::Drop) => {
                let start = (e.args[0] as i64 + self.offset).max(0) as u64;
                // ratio 1: scap has no place for the lost count.
                self.event(e, start.min(ts), code::DROP_E, &[Int(1)]);
                self.event(e, ts, code::DROP_X, &[Int(1)]);
                self.report.drop_markers += 1;
                self.report.lost_events_not_representable += e.args[1];
            }
            Some(Kind::Container) => match e.container_json() {
                // libsinsp's own container events: tid -1, the JSON as is
                Some(j) if !j.is_empty() => {
                    self.event(e, ts, code::CONTAINER_JSON_E, &[Str(j)]);
                    self.report.containers += 1;
                }
                _ => self.skip("container record without JSON"),
            },
            None => self.skip("unknown record kind"),
        }
        self.flush_if_big()
    }

    fn syscall(&mut self, e: &Event<'_>, ts: u64) {
        let Some(name) = syscalls::name(e.nr) else {
            self.skip(&format!("syscall_{}", e.nr));
            return;
        };
        if let Some(l) = layout(e.nr) {
            self.event_from(e, ts, l.enter, l.e);
            self.event_from(e, ts, l.exit, l.x);
        } else if matches!(e.nr, nr::CLONE | nr::FORK | nr::VFORK | nr::CLONE3) {
            self.clone_pair(e, ts);
        } else if matches!(e.nr, nr::EXECVE | nr::EXECVEAT) {
            self.exec_pair(e, ts);
        } else {
            match ppm_sc(name) {
                Some(id) => {
                    self.event(e, ts, code::GENERIC_E, &[Int(id as u64), Int(e.nr as u64)]);
                    self.event(e, ts, code::GENERIC_X, &[Int(id as u64)]);
                    *self.report.generic.entry(name.to_string()).or_default() += 1;
                }
                None => self.skip(name),
            }
            return;
        }
        *self.report.converted.entry(name.to_string()).or_default() += 1;
    }

    /// One event whose values come from `srcs` (types from the event table).
    fn event_from(&mut self, e: &Event<'_>, ts: u64, code: u16, srcs: &[Src]) {
        self.ev.start();
        for (&s, &(_, pt)) in srcs.iter().zip(all_params(code)) {
            let v = value_of(s, e, &mut self.scratch);
            put_param(&mut self.ev, pt, v);
        }
        self.put(e, ts, code);
    }

    /// One event of computed values, written by the event table's types.
    fn event(&mut self, e: &Event<'_>, ts: u64, code: u16, vals: &[Val<'_>]) {
        self.ev.start();
        for (&v, &(_, pt)) in vals.iter().zip(all_params(code)) {
            put_param(&mut self.ev, pt, v);
        }
        self.put(e, ts, code);
    }

    fn clone_pair(&mut self, e: &Event<'_>, ts: u64) {
        let (ec, xc) = match e.nr {
            nr::FORK => (code::FORK_20_E, code::FORK_20_X),
            nr::VFORK => (code::VFORK_20_E, code::VFORK_20_X),
            nr::CLONE3 => (code::CLONE3_E, code::CLONE3_X),
            _ => (code::CLONE_20_E, code::CLONE_20_X),
        };
        let res = e.ret;
        // The child's fork record: its tgid says whether it is a thread.
        let child_tid = if res > 0 { res as u32 } else { e.tid };
        let is_thread = match (res, self.forks.get(&child_tid)) {
            (0, _) => Some(e.pid != e.tid),
            (1.., Some(f)) if f.child_pid != 0 => Some(f.child_pid != child_tid),
            _ => None,
        };
        // The drivers write fork's and vfork's flags as 0 (the register the
        // record keeps holds whatever was there: a stray CLONE_PARENT makes
        // libsinsp leave the child to its own exit). The recorder does not
        // read clone3's clone_args: a thread child then gets the flags
        // pthread_create passes (libsinsp makes a process of a child
        // without CLONE_THREAD), a process none.
        let flags = match e.nr {
            nr::CLONE3 => e
                .item(0)
                .and_then(|i| i.bytes.get(..8))
                .map(|s| u64::from_le_bytes(s.try_into().unwrap()))
                .unwrap_or(if is_thread == Some(true) {
                    PTHREAD_CLONE_FLAGS
                } else {
                    0
                }),
            nr::FORK | nr::VFORK => 0,
            _ => e.args[0],
        };
        let thread = is_thread.unwrap_or(flags & CLONE_THREAD != 0);
        // The thread this event describes: the parent (res > 0) or the child.
        let me = if res > 0 {
            // at a fork the child's cgroups and comm are the parent's (a
            // process that joined a cgroup without exec'ing, or a thread
            // renamed by prctl, shows it here first): the drivers write the
            // caller's current comm, which libs master gives the child
            let (cg, comm) = match self.forks.get(&child_tid) {
                Some(f) => (f.cgroups.clone(), Some(f.comm.clone())),
                None => (None, None),
            };
            let th = self.th(e.tid, e.pid);
            if let Some(cg) = cg {
                th.cgroups = cg;
            }
            if let Some(c) = comm.filter(|c| !c.is_empty()) {
                th.comm = c;
            }
            th.clone()
        } else if res == 0 {
            let fork = self.forks.remove(&e.tid);
            let prepared = self.prepared.remove(&e.tid);
            let mut child = if prepared {
                self.threads.get(&e.tid).cloned().unwrap_or_default()
            } else {
                // Returned before its caller: the child starts as a copy of
                // the thread that forked (the fork record's), else of its
                // process's leader, as the caller's exit would have made it.
                self.inverted.insert(e.tid);
                let by = fork.as_ref().map(|f| f.by).or((thread).then_some(e.pid));
                let mut c = by
                    .and_then(|t| self.threads.get(&t))
                    .or_else(|| self.threads.get(&e.tid))
                    .cloned()
                    .unwrap_or(Th {
                        loginuid: u32::MAX,
                        ..Th::default()
                    });
                // the drivers' ptid: the forking thread for a process, the
                // process's parent for a thread
                if let (Some(by), false) = (by, thread) {
                    c.ptid = by;
                }
                c
            };
            child.pid = e.pid;
            if let Some(f) = fork {
                if !f.comm.is_empty() {
                    child.comm = f.comm;
                }
                if let Some(cg) = f.cgroups {
                    child.cgroups = cg;
                }
                let c = f.creds;
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
        if res > 0 && !self.inverted.remove(&child_tid) {
            // Prepare the child's state from the parent and the fork record.
            let mut child = me.clone();
            child.pid = if thread { me.pid } else { child_tid };
            if !thread {
                child.ptid = e.tid;
            }
            if let Some(f) = self.forks.get(&child_tid) {
                if !f.comm.is_empty() {
                    child.comm = f.comm.clone();
                }
                child.uid = f.creds.uid;
                child.gid = f.creds.gid;
                child.loginuid = f.creds.loginuid;
            }
            self.threads.insert(child_tid, child);
            self.prepared.insert(child_tid);
        }
        let (tid, pid) = (e.tid as u64, e.pid as u64);
        // the pid-namespace ids when the record has them (an import's)
        let (vtid, vpid) =
            e.item(tag::NS_IDS)
                .and_then(|i| i.bytes.get(..8))
                .map_or((tid, pid), |b| {
                    let v = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as u64;
                    (v(0), v(4))
                });
        let ppm_flags = blocks::linux_clone_flags_to_ppm(flags) as u64;
        // fdlimit 1024; page faults and memory sizes are not recorded.
        // the driver's page: lists of 4096 bytes at most, NUL-terminated
        let (args, cgroups) = (nul_list(&me.args, 4096), nul_list(&me.cgroups, 4096));
        #[rustfmt::skip]
        let vals = [
            Int(res as u64), Str(&me.exe), Buf(&args), Int(tid), Int(pid),
            Int(me.ptid as u64), Str(&me.cwd), Int(1024), Int(0), Int(0), Int(0), Int(0),
            Int(0), Str(&me.comm), Buf(&cgroups), Int(ppm_flags), Int(me.uid as u64),
            Int(me.gid as u64), Int(vtid), Int(vpid),
        ];
        // The child returns from a syscall it never entered: the drivers
        // write its exit only (an enter made sysdig 0.29.3 create a fake
        // thread for it, which its exit then kept).
        if res != 0 {
            self.event(e, ts, ec, &[]);
        }
        self.event(e, ts, xc, &vals);
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
            th.exe = exe.clone();
            th.args = args.clone();
            if let Some(c) = &x.cwd {
                th.cwd = c.clone();
            }
            if let Some(c) = &x.cgroups {
                th.cgroups = c.clone();
            }
            // a new image: its flags, 0 (none) when the trace has none
            th.exe_flags = x.exe_flags.unwrap_or(0);
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
        let (ec, xc) = if at {
            (code::EXECVEAT_E, code::EXECVEAT_X)
        } else {
            (code::EXECVE_19_E, code::EXECVE_19_X)
        };
        if at {
            let dirfd = e.args[0] as i32 as i64 as u64;
            self.event(e, ts, ec, &[Int(dirfd), Str(&fname), Int(e.args[4])]);
        } else {
            self.event(e, ts, ec, &[Str(&fname)]);
        }
        let (tid, pid) = (e.tid as u64, e.pid as u64);
        // fdlimit 1024; page faults and memory sizes are not recorded; flags:
        // the exe flags (PPM_EXE_*), which import turns back into the item.
        // the driver's page: lists of 4096 bytes at most, NUL-terminated
        let (args, cgroups, env) = (
            nul_list(&args, 4096),
            nul_list(&th.cgroups, 4096),
            nul_list(&env, 4096),
        );
        #[rustfmt::skip]
        let vals = [
            Int(e.ret as u64), Str(&exe), Buf(&args), Int(tid), Int(pid), Int(th.ptid as u64),
            Str(&th.cwd), Int(1024), Int(0), Int(0), Int(0), Int(0), Int(0), Str(&th.comm),
            Buf(&cgroups), Buf(&env), Int(th.tty as u64), Int(th.pgid as u64),
            Int(th.loginuid as u64), Int(th.exe_flags as u64),
        ];
        self.event(e, ts, xc, &vals);
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
    // the process list's exe: argv[0] (the path when there is no argv)
    let exe = t.args.first().unwrap_or(&t.exe).as_bytes().to_vec();
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
        exe_flags: 0, // not in the snapshot
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

    /// The syscall events (v2 event blocks) of an export, parsed.
    fn exported_events(bytes: &[u8]) -> Vec<super::super::events::RawEvent<'_>> {
        blocks::Blocks::new(bytes)
            .map(|b| b.unwrap())
            .filter(|b| b.btype == blocks::EV_V2)
            .map(|b| super::super::events::RawEvent::parse(b.body, 0, false, true).unwrap())
            .collect()
    }

    /// The records of kind `k` an import of `bytes` gives, with their `tag` item.
    fn imported_items(bytes: Vec<u8>, k: Kind, tag: u8) -> Vec<Option<Vec<u8>>> {
        let imp = super::super::import(bytes).unwrap();
        let mut got = Vec::new();
        imp.for_each_record(|hd, d| {
            let e = OwnedEvent {
                header: *hd,
                data: d.to_vec(),
            };
            if e.as_event().kind() == Some(k) {
                got.push(e.as_event().item(tag).map(|i| i.bytes.to_vec()));
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        got
    }

    /// A procexec record's exe flags become the execve exit's `flags`
    /// (param 20), which import turns back into the item (format 1.3).
    #[test]
    fn exe_flags_go_out_in_the_execve_exit_and_come_back() {
        use sysreplay_format::record::exe_flags;
        let (h, s, _) = synth_records(10);
        let me = (s.threads[0].tid, s.threads[0].pid);
        let ts = s.taken_at_ns + 1000;
        let flags = exe_flags::WRITABLE | exe_flags::FROM_MEMFD;
        let evs = [
            OwnedEvent::record(
                Kind::ProcExec,
                me,
                0,
                ts,
                0,
                [me.0 as u64, 0, 0, 0, 0, 0],
                &[
                    (tag::EXE, b"memfd:x\0"),
                    (tag::COMM, b"3\0"),
                    (tag::ARGV, b"x\0"),
                    (tag::EXE_FLAGS, &flags.to_le_bytes()),
                ],
            ),
            OwnedEvent::record(
                Kind::Syscall,
                me,
                59,
                ts + 10,
                0,
                [0; 6],
                &[(0, b"/proc/self/fd/3\0"), (tag::ARGV, b"x\0")],
            ),
        ];
        let (bytes, _) = export(&h, &s, evs.iter().map(|e| e.as_event()), false).unwrap();
        let got = imported_items(bytes, Kind::ProcExec, tag::EXE_FLAGS);
        assert_eq!(got, [Some(flags.to_le_bytes().to_vec())]);
    }

    /// A fork record's cgroups (the recorder writes them, format 1.2) go
    /// into both clone exits: a process that joined a container's cgroup
    /// without exec'ing forks into it (was: the snapshot's cgroup).
    #[test]
    fn fork_cgroups_go_out_in_the_clone_exits() {
        let (h, s, _) = synth_records(10);
        let t = &s.threads[0];
        let me = (t.tid, t.pid);
        let child = 4_000_000u32;
        let ts = s.taken_at_ns + 1000;
        let cg: &[u8] =
            b"cpu=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0";
        let evs = [
            OwnedEvent::record(
                Kind::ProcFork,
                me,
                0,
                ts,
                0,
                [child as u64, child as u64, 0, 0, 0, 0],
                &[(tag::COMM, b"x\0"), (tag::CGROUPS, cg)],
            ),
            OwnedEvent::record(Kind::Syscall, me, 57, ts + 10, child as i64, [0; 6], &[]),
            OwnedEvent::record(Kind::Syscall, (child, child), 57, ts + 20, 0, [0; 6], &[]),
        ];
        assert_ne!(format!("{}\0", t.cgroup).as_bytes(), cg);
        let (bytes, _) = export(&h, &s, evs.iter().map(|e| e.as_event()), false).unwrap();
        let got = imported_items(bytes, Kind::ProcFork, tag::CGROUPS);
        assert_eq!(got, [Some(cg.to_vec())]);
    }

    /// The clone exits' `exe` is argv[0], as the drivers write it and
    /// libsinsp's proc.exe reads it (libs master takes a child's exe from
    /// its own clone exit): a snapshot process's (sshd's process title) and
    /// an exec'd image's, not the executable's path. A child's exit has no
    /// enter event, and fork's flags are 0 whatever the register held.
    #[test]
    fn clone_exits_carry_argv0_and_the_child_has_no_enter() {
        let (h, mut s, _) = synth_records(10);
        let t = &mut s.threads[0];
        t.exe = "/usr/sbin/sshd".into();
        t.args = vec!["sshd: root@pts/0".into()];
        let me = (t.tid, t.pid);
        let ts = s.taken_at_ns + 1000;
        let (c1, c2) = (4_000_000u32, 4_000_001u32);
        let sys = |who: (u32, u32), nr: u16, t: u64, ret: i64, items: &[(u8, &[u8])]| {
            OwnedEvent::record(
                Kind::Syscall,
                who,
                nr,
                t,
                ret,
                [0x8000, 0, 0, 0, 0, 0],
                items,
            )
        };
        let evs = [
            sys(me, nr::FORK, ts, c1 as i64, &[]),
            sys((c1, c1), nr::FORK, ts + 10, 0, &[]),
            OwnedEvent::record(
                Kind::ProcExec,
                (c1, c1),
                0,
                ts + 20,
                0,
                [c1 as u64, 0, 0, 0, 0, 0],
                &[
                    (tag::EXE, b"/usr/bin/python3.11\0"),
                    (tag::COMM, b"python3\0"),
                    (tag::ARGV, b"python3\0x.py\0"),
                ],
            ),
            sys(
                (c1, c1),
                nr::EXECVE,
                ts + 30,
                0,
                &[(0, b"/usr/bin/python3\0")],
            ),
            sys((c1, c1), nr::CLONE, ts + 40, c2 as i64, &[]),
        ];
        let (bytes, _) = export(&h, &s, evs.iter().map(|e| e.as_event()), false).unwrap();
        let got: Vec<_> = exported_events(&bytes)
            .iter()
            .map(|ev| {
                let p = |n: &str| ev.by_name(n).map(|v| v.to_vec());
                (ev.tid as u32, ev.code, p("exe"), p("flags"))
            })
            .collect();
        let exe = |s: &[u8]| Some(s.to_vec());
        let flags0 = Some(0u32.to_le_bytes().to_vec());
        let want = vec![
            (me.0, code::FORK_20_E, None, None),
            (
                me.0,
                code::FORK_20_X,
                exe(b"sshd: root@pts/0\0"),
                flags0.clone(),
            ),
            // the child's exit alone
            (c1, code::FORK_20_X, exe(b"sshd: root@pts/0\0"), flags0),
            (c1, code::EXECVE_19_E, None, None),
            (c1, code::EXECVE_19_X, exe(b"python3\0"), got[4].3.clone()),
            (c1, code::CLONE_20_E, None, None),
            (c1, code::CLONE_20_X, exe(b"python3\0"), got[6].3.clone()),
        ];
        // clone's own flags come from its register (CLONE_PARENT here)
        assert_eq!(
            got[6].3,
            Some(
                blocks::linux_clone_flags_to_ppm(0x8000)
                    .to_le_bytes()
                    .to_vec()
            )
        );
        assert_eq!(got, want);
    }

    /// The recorder keeps no clone3 clone_args: a child whose fork record
    /// puts it in its caller's thread group is written as a thread (was:
    /// flags 0, so libsinsp made a process of every thread clone3 made:
    /// corpora/real/burst's rustc threads), and the caller's exit carries
    /// the comm the child inherited, the caller's current one (a thread
    /// renamed by prctl: rustc's "coordinator").
    #[test]
    fn clone3_threads_without_clone_args_are_threads() {
        let (h, s, _) = synth_records(10);
        let t = &s.threads[0];
        let me = (t.tid, t.pid);
        let ts = s.taken_at_ns + 1000;
        let th = 4_000_000u32;
        let evs = [
            OwnedEvent::record(
                Kind::ProcFork,
                me,
                0,
                ts,
                0,
                [th as u64, me.1 as u64, 0, 0, 0, 0],
                &[(tag::COMM, b"coordinator\0")],
            ),
            OwnedEvent::record(
                Kind::Syscall,
                me,
                nr::CLONE3,
                ts + 10,
                th as i64,
                [0; 6],
                &[],
            ),
            OwnedEvent::record(
                Kind::Syscall,
                (th, me.1),
                nr::CLONE3,
                ts + 20,
                0,
                [0; 6],
                &[],
            ),
        ];
        let (bytes, _) = export(&h, &s, evs.iter().map(|e| e.as_event()), false).unwrap();
        let mut exits = Vec::new();
        for ev in exported_events(&bytes) {
            if ev.code == code::CLONE3_X {
                let p = |n: &str| ev.by_name(n).unwrap().to_vec();
                let int = |n: &str| super::super::events::int_of(&p(n), false).unwrap();
                exits.push((
                    ev.tid as u32,
                    int("flags") as u32,
                    int("pid") as u32,
                    p("comm"),
                ));
            }
        }
        let flags = blocks::linux_clone_flags_to_ppm(PTHREAD_CLONE_FLAGS);
        assert_ne!(flags & (1 << 13), 0, "PPM_CL_CLONE_THREAD");
        assert_eq!(
            exits,
            [
                (me.0, flags, me.1, b"coordinator\0".to_vec()),
                (th, flags, me.1, b"coordinator\0".to_vec()),
            ]
        );
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

    /// Every layout is a prefix of its events' parameters in the event
    /// table, with each value of a kind its parameter's type takes.
    #[test]
    fn layouts_match_the_event_table() {
        let mut n = 0;
        for nr in 0..1024u16 {
            let Some(l) = layout(nr) else { continue };
            n += 1;
            for (code, srcs) in [(l.enter, l.e), (l.exit, l.x)] {
                let params = all_params(code);
                let at = format!("{} event {code}", syscalls::name(nr).unwrap_or("?"));
                assert!(
                    srcs.len() <= params.len(),
                    "{at}: more values than parameters"
                );
                for (s, &(name, pt)) in srcs.iter().zip(params) {
                    let int = pt.int_width().is_some();
                    let string = pt.class() == b'S';
                    let ok = match s {
                        Path(_) => string,
                        Data(_) | Empty | Dyn0 | Addr(_) | Tuple(..) => !int && !string,
                        _ => int,
                    };
                    assert!(ok, "{at}: {s:?} cannot fill {name} ({pt:?})");
                }
            }
        }
        assert_eq!(n, 46, "syscalls with a layout");
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
