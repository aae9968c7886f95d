//! scap -> sysreplay records and process snapshot.
//!
//! Each syscall becomes ONE record at its exit, laid out the way the probe
//! records it (see `synth.rs`): raw argument registers in `args`, the bytes
//! behind pointer arguments as ARGn items, the kernel-written peer address as
//! RESULT_ADDR, and PROC_FORK/PROC_EXEC/PROC_EXIT records around process
//! events. Old captures carry enter+exit pairs; the enter event's parameters
//! are merged into the exit (exit parameters win unless empty), as libscap's
//! converter does. Everything that is not converted is counted by type.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;

use serde::Serialize;

use super::blocks::{self, BlockReader, MachineInfo};
use super::events::{
    all_params, code, event_name, int_of, is_enter, is_internal, param_index, str_of,
    OwnedRawEvent, RawEvent,
};
use super::ScapError;
use sysreplay_format::meta::{ProcessSnapshot, RecordingConfig, ThreadInfo, TraceHeader};
use sysreplay_format::record::{
    parse_record, push_item, tag, Creds, Kind, RecordHeader, RECORD_HEADER_SIZE,
};
use sysreplay_syscalls as syscalls;
use sysreplay_syscalls::decode::{self, ArgSource, ParamKind};

/// What the import did, for the stderr summary and `--json`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ImportReport {
    pub scap_version: String,
    pub gzip: bool,
    /// Blocks seen, by type name.
    pub blocks: BTreeMap<String, u64>,
    /// Event blocks read.
    pub events_read: u64,
    /// Records written (syscalls + process records).
    pub records: u64,
    /// Syscall records written, by syscall name.
    pub converted: BTreeMap<String, u64>,
    /// PROC_FORK / PROC_EXEC / PROC_EXIT / DROP records written.
    pub process_records: BTreeMap<String, u64>,
    /// Enter events merged into their exit event.
    pub enter_merged: BTreeMap<String, u64>,
    /// Enter events whose exit never came (or came as another event).
    pub enter_orphaned: BTreeMap<String, u64>,
    /// Exit events converted without their enter event.
    pub exit_without_enter: u64,
    /// libscap bookkeeping events (procinfo, container, ...), not syscalls.
    pub internal: BTreeMap<String, u64>,
    /// Events not converted, by "<name> <dir>" (dir '>' enter, '<' exit).
    pub unconverted: BTreeMap<String, u64>,
    /// Generic events (no arguments, no return value) of syscalls whose
    /// record would change the process or fd tables by its arguments and
    /// return value (see [`generic_needs_arguments`]): not written, by
    /// syscall name.
    pub generic_without_arguments: BTreeMap<String, u64>,
    /// Threads and fds in the snapshot.
    pub threads: u64,
    pub fds: u64,
    pub users: u64,
    pub groups: u64,
}

/// An imported capture: header, snapshot and the records (raw, concatenated:
/// 80-byte header + items each).
pub struct Imported {
    pub header: TraceHeader,
    pub snapshot: ProcessSnapshot,
    pub records: Vec<u8>,
    pub report: ImportReport,
}

impl Imported {
    /// Every record, in order.
    pub fn for_each_record<E>(
        &self,
        mut f: impl FnMut(&RecordHeader, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut o = 0;
        while o < self.records.len() {
            // Built by this module: always well-formed.
            let (h, d) = parse_record(&self.records[o..]).expect("importer wrote a bad record");
            f(&h, d)?;
            o += RECORD_HEADER_SIZE + h.data_len as usize;
        }
        Ok(())
    }
}

/// Where an exit event's parameter goes in our record.
#[derive(Clone, Copy)]
enum T {
    Ret,
    /// Raw argument register.
    Arg(u8),
    /// PPM open flags -> Linux O_* in an argument register.
    OpenFlags(u8),
    /// PPM mode -> Linux mode bits.
    Mode(u8),
    /// PPM ptrace request -> Linux request.
    Ptrace(u8),
    /// A C string item (path) behind argument n.
    Path(u8),
    /// A data buffer item behind argument n.
    Buf(u8),
    /// A PT_SOCKADDR -> raw `struct sockaddr_*` item behind argument n.
    Addr(u8),
    /// A PT_SOCKTUPLE's destination -> sockaddr item behind argument n;
    /// with `true`, its source (this socket, connect) -> LOCAL_ADDR item.
    TupleDst(u8, bool),
    /// A PT_SOCKTUPLE's source (the peer) -> RESULT_ADDR item; with `true`,
    /// its destination (this socket, accept) -> LOCAL_ADDR item.
    TupleSrc(bool),
    /// pipe fds -> FDS item.
    Fd1,
    Fd2,
    /// openat2's `struct open_how` field (0 flags, 1 mode, 2 resolve) -> ARG2.
    How(u8),
    /// PPM clone/namespace flags -> Linux CLONE_* in an argument register.
    CloneFlags(u8),
    /// A PT_DYN value (u8 index + integer) -> the return value.
    DynRet,
}

struct Conv {
    sys: &'static str,
    map: &'static [(&'static str, T)],
}

const fn cv(sys: &'static str, map: &'static [(&'static str, T)]) -> Conv {
    Conv { sys, map }
}

use T::*;
const RES: (&str, T) = ("res", Ret);
const FDR: (&str, T) = ("fd", Ret);

/// The conversion of a (non-process) exit event code.
fn conversion(x: u16) -> Option<Conv> {
    Some(match x {
        code::OPEN_X => cv(
            "open",
            &[
                FDR,
                ("name", Path(0)),
                ("flags", OpenFlags(1)),
                ("mode", Arg(2)),
            ],
        ),
        code::CLOSE_X => cv("close", &[RES, ("fd", Arg(0))]),
        code::READ_X => cv(
            "read",
            &[RES, ("fd", Arg(0)), ("size", Arg(2)), ("data", Buf(1))],
        ),
        code::WRITE_X => cv(
            "write",
            &[RES, ("fd", Arg(0)), ("size", Arg(2)), ("data", Buf(1))],
        ),
        code::SOCKET_X => cv(
            "socket",
            &[FDR, ("domain", Arg(0)), ("type", Arg(1)), ("proto", Arg(2))],
        ),
        code::BIND_X => cv("bind", &[RES, ("fd", Arg(0)), ("addr", Addr(1))]),
        code::CONNECT_X => cv(
            "connect",
            &[
                RES,
                ("fd", Arg(0)),
                ("addr", Addr(1)),
                ("tuple", TupleDst(1, true)),
            ],
        ),
        code::LISTEN_X => cv("listen", &[RES, ("fd", Arg(0)), ("backlog", Arg(1))]),
        27 | code::ACCEPT_5_X => cv("accept", &[FDR, ("tuple", TupleSrc(true))]),
        57 | code::ACCEPT4_5_X => cv(
            "accept4",
            &[FDR, ("tuple", TupleSrc(true)), ("flags", Arg(3))],
        ),
        code::SENDTO_X => cv(
            "sendto",
            &[
                RES,
                ("fd", Arg(0)),
                ("size", Arg(2)),
                ("data", Buf(1)),
                ("tuple", TupleDst(4, true)),
            ],
        ),
        code::RECVFROM_X => cv(
            "recvfrom",
            &[
                RES,
                ("fd", Arg(0)),
                ("size", Arg(2)),
                ("data", Buf(1)),
                ("tuple", TupleSrc(true)),
            ],
        ),
        // the data the msghdr's iovecs carried, as item 1 (like read's)
        code::SENDMSG_X => cv("sendmsg", &[RES, ("fd", Arg(0)), ("data", Buf(1))]),
        code::RECVMSG_X => cv(
            "recvmsg",
            &[
                RES,
                ("fd", Arg(0)),
                ("data", Buf(1)),
                ("tuple", TupleSrc(true)),
            ],
        ),
        code::CHDIR_X => cv("chdir", &[RES, ("path", Path(0))]),
        code::FCHDIR_X => cv("fchdir", &[RES, ("fd", Arg(0))]),
        101 | code::RMDIR_2_X => cv("rmdir", &[RES, ("path", Path(0))]),
        code::SETNS_X => cv("setns", &[RES, ("fd", Arg(0)), ("nstype", CloneFlags(1))]),
        code::UNSHARE_X => cv("unshare", &[RES, ("flags", CloneFlags(0))]),
        code::SETSID_X => cv("setsid", &[RES]),
        code::SETPGID_X => cv("setpgid", &[RES, ("pid", Arg(0)), ("pgid", Arg(1))]),
        code::BPF_X => cv("bpf", &[("res_or_fd", DynRet), ("cmd", Arg(0))]),
        code::USERFAULTFD_X => cv("userfaultfd", &[RES, ("flags", OpenFlags(0))]),
        code::CREAT_X => cv("creat", &[FDR, ("name", Path(0)), ("mode", Arg(1))]),
        code::PIPE_X => cv("pipe", &[RES, ("fd1", Fd1), ("fd2", Fd2)]),
        99 | code::MKDIR_2_X => cv("mkdir", &[RES, ("path", Path(0)), ("mode", Arg(1))]),
        103 | code::OPENAT_2_X => cv(
            "openat",
            &[
                FDR,
                ("dirfd", Arg(0)),
                ("name", Path(1)),
                ("flags", OpenFlags(2)),
                ("mode", Arg(3)),
            ],
        ),
        105 | code::LINK_2_X => cv("link", &[RES, ("oldpath", Path(0)), ("newpath", Path(1))]),
        107 | code::LINKAT_2_X => cv(
            "linkat",
            &[
                RES,
                ("olddir", Arg(0)),
                ("oldpath", Path(1)),
                ("newdir", Arg(2)),
                ("newpath", Path(3)),
                ("flags", Arg(4)),
            ],
        ),
        109 | code::UNLINK_2_X => cv("unlink", &[RES, ("path", Path(0))]),
        111 | code::UNLINKAT_2_X => cv(
            "unlinkat",
            &[RES, ("dirfd", Arg(0)), ("name", Path(1)), ("flags", Arg(2))],
        ),
        code::DUP_X => cv("dup", &[RES, ("fd", Arg(0)), ("oldfd", Arg(0))]),
        code::PTRACE_X => cv("ptrace", &[RES, ("request", Ptrace(0)), ("pid", Arg(1))]),
        code::RENAME_X => cv("rename", &[RES, ("oldpath", Path(0)), ("newpath", Path(1))]),
        code::RENAMEAT_X => cv(
            "renameat",
            &[
                RES,
                ("olddirfd", Arg(0)),
                ("oldpath", Path(1)),
                ("newdirfd", Arg(2)),
                ("newpath", Path(3)),
            ],
        ),
        code::RENAMEAT2_X => cv(
            "renameat2",
            &[
                RES,
                ("olddirfd", Arg(0)),
                ("oldpath", Path(1)),
                ("newdirfd", Arg(2)),
                ("newpath", Path(3)),
                ("flags", Arg(4)),
            ],
        ),
        code::SYMLINK_X => cv(
            "symlink",
            &[RES, ("target", Path(0)), ("linkpath", Path(1))],
        ),
        code::SYMLINKAT_X => cv(
            "symlinkat",
            &[
                RES,
                ("target", Path(0)),
                ("linkdirfd", Arg(1)),
                ("linkpath", Path(2)),
            ],
        ),
        code::SETRESUID_X => cv(
            "setresuid",
            &[RES, ("ruid", Arg(0)), ("euid", Arg(1)), ("suid", Arg(2))],
        ),
        code::SETRESGID_X => cv(
            "setresgid",
            &[RES, ("rgid", Arg(0)), ("egid", Arg(1)), ("sgid", Arg(2))],
        ),
        code::SETUID_X => cv("setuid", &[RES, ("uid", Arg(0))]),
        code::SETGID_X => cv("setgid", &[RES, ("gid", Arg(0))]),
        code::MKDIRAT_X => cv(
            "mkdirat",
            &[RES, ("dirfd", Arg(0)), ("path", Path(1)), ("mode", Arg(2))],
        ),
        code::FCHMODAT_X => cv(
            "fchmodat",
            &[
                RES,
                ("dirfd", Arg(0)),
                ("filename", Path(1)),
                ("mode", Mode(2)),
            ],
        ),
        code::CHMOD_X => cv("chmod", &[RES, ("filename", Path(0)), ("mode", Mode(1))]),
        code::FCHMOD_X => cv("fchmod", &[RES, ("fd", Arg(0)), ("mode", Mode(1))]),
        code::OPENAT2_X => cv(
            "openat2",
            &[
                FDR,
                ("dirfd", Arg(0)),
                ("name", Path(1)),
                ("flags", How(0)),
                ("mode", How(1)),
                ("resolve", How(2)),
            ],
        ),
        _ => return None,
    })
}

/// A conversion with parameter positions resolved for the exit and enter
/// layouts (no name lookups per event).
struct Plan {
    nr: u16,
    sys: &'static str,
    entries: Vec<(Option<u8>, Option<u8>, T)>,
}

const MAX_CODE: usize = 1024;

fn plans() -> &'static [Option<Plan>] {
    static P: std::sync::OnceLock<Vec<Option<Plan>>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        (0..MAX_CODE as u16)
            .map(|x| {
                let conv = conversion(x)?;
                let nr = syscalls::number(conv.sys)?;
                let entries = conv
                    .map
                    .iter()
                    .map(|&(name, t)| {
                        (
                            param_index(x, name).map(|i| i as u8),
                            param_index(x - 1, name).map(|i| i as u8),
                            t,
                        )
                    })
                    .collect();
                Some(Plan {
                    nr,
                    sys: conv.sys,
                    entries,
                })
            })
            .collect()
    })
}

fn plan(x: u16) -> Option<&'static Plan> {
    plans().get(x as usize).and_then(|p| p.as_ref())
}

/// The x86_64 syscall of a syscall event with no specific conversion, by
/// the event's name (`fstat`, `mmap`, `pread` -> pread64); None for events
/// that are not syscalls (switch, signaldeliver, page faults, ...) or have
/// no x86_64 syscall (send, recv, socketcall, ...). Generic events (code
/// 0/1) carry their syscall in their parameters: see [`generic_nr`].
fn other_nr(code: u16) -> Option<u16> {
    static T: std::sync::OnceLock<Vec<Option<u16>>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (0..MAX_CODE as u16)
            .map(|c| {
                if c < 2 || is_internal(c) || c == code::PROCEXIT_1_E || c == 16 {
                    return None;
                }
                if c == code::DROP_E || c == code::DROP_X {
                    return None;
                }
                syscalls::sets::x86_64_number(&event_name(c))
            })
            .collect()
    })
    .get(code as usize)
    .copied()
    .flatten()
}

/// A generic event's syscall: the native (x86_64) number when the event
/// carries it (`nativeID`: enter events, and exit events of current
/// drivers), else the libscap syscall id's name.
fn generic_nr(x: &RawEvent<'_>, e: Option<&RawEvent<'_>>) -> Option<u16> {
    let native = [Some(x), e]
        .into_iter()
        .flatten()
        .find_map(|ev| ev.param(1).and_then(|b| int_of(b, false)));
    if let Some(n) = native {
        return syscalls::name(n as u16).map(|_| n as u16);
    }
    let id = [Some(x), e]
        .into_iter()
        .flatten()
        .find_map(|ev| ev.param(0).and_then(|b| int_of(b, false)))?;
    let name = super::ppm_sc::name_of(id as u16)?;
    syscalls::sets::x86_64_number(name)
}

/// Whether a record of syscall `nr` changes the rule engine's process or fd
/// tables according to its return value and arguments (ruleeval's
/// `sc::parser` and fd-returning syscalls, checked by a test in
/// tools/tests/scap_import.rs). A generic event has neither: a record with
/// ret 0 and zero arguments would make up a change (setreuid(0, 0), a new
/// fd 0, close_range(0, 0)), so such events are counted, not written.
pub fn generic_needs_arguments(nr: u16) -> bool {
    matches!(
        syscalls::name(nr).unwrap_or(""),
        "open"
            | "openat"
            | "openat2"
            | "creat"
            | "open_by_handle_at"
            | "socket"
            | "connect"
            | "sendto"
            | "sendmsg"
            | "accept"
            | "accept4"
            | "bind"
            | "listen"
            | "dup"
            | "dup2"
            | "dup3"
            | "fcntl"
            | "pipe"
            | "pipe2"
            | "socketpair"
            | "eventfd"
            | "eventfd2"
            | "signalfd"
            | "signalfd4"
            | "timerfd_create"
            | "inotify_init"
            | "inotify_init1"
            | "memfd_create"
            | "userfaultfd"
            | "io_uring_setup"
            | "bpf"
            | "epoll_create"
            | "epoll_create1"
            | "pidfd_open"
            | "perf_event_open"
            | "fanotify_init"
            | "pidfd_getfd"
            | "chdir"
            | "fchdir"
            | "execve"
            | "execveat"
            | "clone"
            | "clone3"
            | "fork"
            | "vfork"
            | "setuid"
            | "setreuid"
            | "setresuid"
            | "setgid"
            | "setregid"
            | "setresgid"
            | "setsid"
            | "prctl"
            | "close"
            | "close_range"
    )
}

/// Linux `F_*` for a PPM fcntl command (`PPM_FCNTL_*`); unknown commands
/// become -1, which is no command.
fn ppm_fcntl_to_linux(c: u64) -> u64 {
    match c {
        1 => 0,      // F_DUPFD
        2 => 1,      // F_GETFD
        3 => 2,      // F_SETFD
        4 => 3,      // F_GETFL
        5 => 4,      // F_SETFL
        6 | 17 => 5, // F_GETLK(64)
        8 | 18 => 6, // F_SETLK(64)
        9 | 19 => 7, // F_SETLKW(64)
        10 => 8,     // F_SETOWN
        12 => 9,     // F_GETOWN
        13 => 10,    // F_SETSIG
        15 => 11,    // F_GETSIG
        21 => 15,    // F_SETOWN_EX
        22 => 16,    // F_GETOWN_EX
        23 => 1024,  // F_SETLEASE
        24 => 1025,  // F_GETLEASE
        25 => 1029,  // F_CANCELLK
        26 => 1030,  // F_DUPFD_CLOEXEC
        27 => 1026,  // F_NOTIFY
        28 => 1031,  // F_SETPIPE_SZ
        29 => 1032,  // F_GETPIPE_SZ
        30 => 36,    // F_OFD_GETLK
        31 => 37,    // F_OFD_SETLK
        32 => 38,    // F_OFD_SETLKW
        _ => u32::MAX as u64,
    }
}

/// A cheap hasher for thread ids.
#[derive(Default, Clone, Copy)]
struct TidHasher(u64);

impl std::hash::Hasher for TidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u16(&mut self, x: u16) {
        self.write_u64(x as u64);
    }
}

type TidMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<TidHasher>>;

fn is_clone_exit(c: u16) -> bool {
    matches!(
        c,
        code::CLONE_11_X | 157 | 183 | 185 | 217 | 219 | 221 | 223 | 225 | 227 | code::CLONE3_X
    )
}

fn is_execve_exit(c: u16) -> bool {
    matches!(c, 13 | 155 | 173 | 215 | 231 | 283 | 289 | 293 | 331)
}

/// Raw sockaddr bytes from a PT_SOCKADDR-style (family byte + data) value.
fn sockaddr_from_ppm(family: u8, ip: &[u8], port: u16, path: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    match family {
        2 if ip.len() == 4 => {
            out.extend_from_slice(&2u16.to_le_bytes());
            out.extend_from_slice(&port.to_be_bytes());
            out.extend_from_slice(ip);
            out.extend_from_slice(&[0u8; 8]);
        }
        10 if ip.len() == 16 => {
            out.extend_from_slice(&10u16.to_le_bytes());
            out.extend_from_slice(&port.to_be_bytes());
            out.extend_from_slice(&[0u8; 4]);
            out.extend_from_slice(ip);
            out.extend_from_slice(&[0u8; 4]);
        }
        1 => {
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(str_of(path));
            out.push(0);
        }
        _ => return false,
    }
    true
}

fn port_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

/// PT_SOCKADDR -> raw sockaddr.
fn convert_sockaddr(v: &[u8], out: &mut Vec<u8>) -> bool {
    match v.first() {
        Some(2) if v.len() >= 7 => sockaddr_from_ppm(2, &v[1..5], port_at(v, 5), &[], out),
        Some(10) if v.len() >= 19 => sockaddr_from_ppm(10, &v[1..17], port_at(v, 17), &[], out),
        Some(1) => sockaddr_from_ppm(1, &[], 0, &v[1..], out),
        _ => false,
    }
}

/// Whether an inet end of a PT_SOCKTUPLE was filled in (a non-zero port):
/// drivers write zeros for an end they did not know.
fn tuple_end_known(v: &[u8], dst: bool) -> bool {
    match v.first() {
        Some(2) if v.len() >= 13 => port_at(v, if dst { 11 } else { 5 }) != 0,
        Some(10) if v.len() >= 37 => port_at(v, if dst { 35 } else { 17 }) != 0,
        _ => false,
    }
}

/// One end of a PT_SOCKTUPLE -> raw sockaddr (`dst` = the second address).
fn convert_tuple(v: &[u8], dst: bool, out: &mut Vec<u8>) -> bool {
    match v.first() {
        Some(2) if v.len() >= 13 => {
            let o = if dst { 7 } else { 1 };
            sockaddr_from_ppm(2, &v[o..o + 4], port_at(v, o + 4), &[], out)
        }
        Some(10) if v.len() >= 37 => {
            let o = if dst { 19 } else { 1 };
            sockaddr_from_ppm(10, &v[o..o + 16], port_at(v, o + 16), &[], out)
        }
        Some(1) if v.len() >= 17 => sockaddr_from_ppm(1, &[], 0, &v[17..], out),
        _ => false,
    }
}

#[derive(Clone, Default)]
struct Th {
    pid: u32,
    ppid: u32,
    comm: Vec<u8>,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
}

/// Per-event counters, turned into the report's maps at the end.
struct Counts {
    converted: Vec<u64>,
    unconverted: Vec<u64>,
    merged: Vec<u64>,
    orphaned: Vec<u64>,
    internal: Vec<u64>,
    /// Generic enter events merged / orphaned, by syscall number.
    generic_merged: Vec<u64>,
    generic_orphaned: Vec<u64>,
    /// Codes beyond MAX_CODE: (name dir, count).
    other: BTreeMap<String, u64>,
}

struct State {
    threads: TidMap<Th>,
    /// Enter events waiting for their exit (copied: the block buffer is reused).
    pending: TidMap<OwnedRawEvent>,
    /// Buffers of pending events that were consumed, for reuse.
    spare: Vec<Vec<u8>>,
    forked: HashSet<u64, std::hash::BuildHasherDefault<TidHasher>>,
    n: Counts,
    drop_start: HashMap<u16, u64>,
    offset: u64,
    out: Vec<u8>,
    data: Vec<u8>,
    scratch: Vec<u8>,
    report: ImportReport,
    /// Container records waiting for the next record's time.
    containers: Vec<(RecordHeader, Vec<u8>)>,
}

/// A parameter of the merged enter+exit pair: the exit's unless it is
/// missing or empty.
fn param<'a>(x: &RawEvent<'a>, e: Option<&RawEvent<'a>>, name: &str) -> Option<&'a [u8]> {
    match x.by_name(name) {
        Some(v) if !v.is_empty() => Some(v),
        _ => e.and_then(|e| e.by_name(name)).filter(|v| !v.is_empty()),
    }
}

fn int(x: &RawEvent<'_>, e: Option<&RawEvent<'_>>, name: &str) -> Option<i64> {
    param(x, e, name).and_then(|b| int_of(b, b.len() >= 4))
}

fn basename(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&c| c == b'/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

impl Th {
    /// A thread that appears without a process-list entry or a fork.
    fn unknown(pid: u32) -> Th {
        Th {
            pid,
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            ..Th::default()
        }
    }
}

impl State {
    fn pid_of(&self, tid: u64) -> u32 {
        self.threads.get(&tid).map_or(tid as u32, |t| t.pid)
    }

    fn emit(&mut self, h: RecordHeader) {
        if !self.containers.is_empty() {
            self.flush_containers(Some(h.ts_ns));
        }
        let mut h = h;
        if self.data.len() > u16::MAX as usize {
            fit_items(&mut self.data);
        }
        h.data_len = self.data.len() as u16;
        h.encode(&mut self.out);
        self.out.extend_from_slice(&self.data);
        self.data.clear();
        self.report.records += 1;
    }

    fn header(&self, ev: &RawEvent<'_>, kind: Kind, nr: u16) -> RecordHeader {
        RecordHeader {
            ts_ns: ev.ts.saturating_sub(self.offset),
            tid: ev.tid as u32,
            pid: self.pid_of(ev.tid),
            kind: kind as u16,
            cpu: ev.cpu,
            nr,
            data_len: 0,
            ret: 0,
            args: [0; 6],
        }
    }

    /// A container event: a CONTAINER record holding its JSON. libsinsp
    /// applies container events in file order, and a capture's dumper
    /// writes them at its start with the times they were learnt (out of
    /// time order: run_as_user_0_container describes its container first
    /// "incomplete" at a later time, then complete). So the record waits
    /// for the next record and takes its time: the trace's time order is
    /// the capture's order.
    fn container(&mut self, ev: &RawEvent<'_>) {
        let Some(json) = container_json(ev) else {
            Self::count(&mut self.report.process_records, "container (unreadable)");
            return;
        };
        let mut h = self.header(ev, Kind::Container, 0);
        h.tid = 0;
        h.pid = 0;
        self.containers.push((h, json));
    }

    /// Write the waiting container records, at time `ts` (their own at the
    /// end of the capture).
    fn flush_containers(&mut self, ts: Option<u64>) {
        for (mut h, json) in std::mem::take(&mut self.containers) {
            let mut data = Vec::with_capacity(json.len() + 4);
            push_item(&mut data, tag::CONTAINER_JSON, 0, &json);
            h.ts_ns = ts.unwrap_or(h.ts_ns);
            h.data_len = data.len() as u16;
            h.encode(&mut self.out);
            self.out.extend_from_slice(&data);
            self.report.records += 1;
            Self::count(&mut self.report.process_records, "container");
        }
    }

    fn count(map: &mut BTreeMap<String, u64>, k: &str) {
        if let Some(v) = map.get_mut(k) {
            *v += 1;
        } else {
            map.insert(k.to_string(), 1);
        }
    }

    fn unconverted(&mut self, c: u16) {
        match self.n.unconverted.get_mut(c as usize) {
            Some(v) => *v += 1,
            None => {
                let k = format!("{} {}", event_name(c), if is_enter(c) { '>' } else { '<' });
                Self::count(&mut self.n.other, &k);
            }
        }
    }

    fn orphan(&mut self, e: &RawEvent<'_>) {
        let v = match (e.code, generic_nr(e, None)) {
            (0, Some(nr)) => self.n.generic_orphaned.get_mut(nr as usize),
            _ => self.n.orphaned.get_mut(e.code as usize),
        };
        if let Some(v) = v {
            *v += 1;
        }
    }

    fn merged(&mut self, e: &RawEvent<'_>) {
        let v = match (e.code, generic_nr(e, None)) {
            (0, Some(nr)) => self.n.generic_merged.get_mut(nr as usize),
            _ => self.n.merged.get_mut(e.code as usize),
        };
        if let Some(v) = v {
            *v += 1;
        }
    }

    fn converted(&mut self, nr: u16) {
        if let Some(v) = self.n.converted.get_mut(nr as usize) {
            *v += 1;
        }
    }

    /// Move the counters into the report.
    fn finish_counts(&mut self) {
        let r = &mut self.report;
        for (nr, &v) in self.n.converted.iter().enumerate() {
            if v > 0 {
                let name = syscalls::display_name(nr as u16);
                *r.converted.entry(name.into_owned()).or_default() += v;
            }
        }
        for (c, &v) in self.n.unconverted.iter().enumerate() {
            if v > 0 {
                let c = c as u16;
                let k = format!("{} {}", event_name(c), if is_enter(c) { '>' } else { '<' });
                *r.unconverted.entry(k).or_default() += v;
            }
        }
        for (k, v) in std::mem::take(&mut self.n.other) {
            *r.unconverted.entry(k).or_default() += v;
        }
        // Generic enter events under their syscall's name.
        for (src, dst) in [
            (&self.n.generic_merged, &mut r.enter_merged),
            (&self.n.generic_orphaned, &mut r.enter_orphaned),
        ] {
            for (nr, &v) in src.iter().enumerate() {
                if v > 0 {
                    let name = syscalls::display_name(nr as u16);
                    *dst.entry(name.into_owned()).or_default() += v;
                }
            }
        }
        for (src, dst) in [
            (&self.n.merged, &mut r.enter_merged),
            (&self.n.orphaned, &mut r.enter_orphaned),
            (&self.n.internal, &mut r.internal),
        ] {
            for (c, &v) in src.iter().enumerate() {
                if v > 0 {
                    *dst.entry(event_name(c as u16).into_owned()).or_default() += v;
                }
            }
        }
    }

    fn event(&mut self, ev: RawEvent<'_>) {
        let c = ev.code;
        if is_internal(c) {
            if let Some(v) = self.n.internal.get_mut(c as usize) {
                *v += 1;
            }
            if matches!(
                c,
                code::CONTAINER_E | code::CONTAINER_JSON_E | code::CONTAINER_JSON_2_E
            ) {
                self.container(&ev);
            }
            return;
        }
        if c == code::PROCEXIT_1_E || c == 16 {
            self.procexit(&ev);
            return;
        }
        if c == code::DROP_E {
            self.drop_start.insert(ev.cpu, ev.ts);
            return;
        }
        if c == code::DROP_X {
            // The driver's sampling/drop mode: a window of unknown size.
            let start = self.drop_start.remove(&ev.cpu).unwrap_or(ev.ts);
            let mut h = self.header(&ev, Kind::Drop, 0);
            h.tid = 0;
            h.pid = 0;
            h.args[0] = start.saturating_sub(self.offset);
            self.emit(h);
            Self::count(&mut self.report.process_records, "drop");
            return;
        }
        if is_enter(c) {
            let convertible = c == 0
                || conversion(c + 1).is_some()
                || is_clone_exit(c + 1)
                || is_execve_exit(c + 1)
                || other_nr(c + 1).is_some();
            if !convertible {
                self.unconverted(c);
                return;
            }
            let buf = self.spare.pop().unwrap_or_default();
            if let Some(old) = self.pending.insert(ev.tid, ev.to_owned_in(buf)) {
                self.orphan(&old.get());
                self.spare.push(old.into_buf());
            }
            return;
        }
        let held = self.pending.remove(&ev.tid);
        let enter = match held.as_ref().map(|e| e.get()) {
            Some(e) if e.code + 1 == c => Some(e),
            Some(e) => {
                self.orphan(&e);
                None
            }
            None => None,
        };
        self.exit(&ev, enter.as_ref());
        if let Some(h) = held {
            self.spare.push(h.into_buf());
        }
    }

    /// An exit event, with its enter event if it came.
    fn exit(&mut self, ev: &RawEvent<'_>, enter: Option<&RawEvent<'_>>) {
        let c = ev.code;
        let converted = if is_clone_exit(c) {
            self.clone_exit(ev);
            true
        } else if is_execve_exit(c) {
            self.execve_exit(ev, enter);
            true
        } else if let Some(p) = plan(c) {
            self.simple(ev, enter, p);
            true
        } else if let Some(nr) = if c == 1 {
            generic_nr(ev, enter)
        } else {
            other_nr(c)
        } {
            if c == 1 && generic_needs_arguments(nr) {
                let name = syscalls::display_name(nr);
                Self::count(&mut self.report.generic_without_arguments, &name);
                if let Some(e) = enter {
                    self.merged(e);
                }
                return;
            }
            self.other(ev, enter, nr);
            true
        } else {
            false
        };
        if !converted {
            if let Some(e) = enter {
                self.orphan(e);
            }
            self.unconverted(c);
            return;
        }
        match enter {
            Some(e) => self.merged(e),
            None => {
                // Exit-only events (clone, procexit-era execve) have no enter.
                if !matches!(param_enter_count(c), 0) {
                    self.report.exit_without_enter += 1;
                }
            }
        }
    }

    fn simple(&mut self, x: &RawEvent<'_>, e: Option<&RawEvent<'_>>, plan: &Plan) {
        let nr = plan.nr;
        let mut h = self.header(x, Kind::Syscall, nr);
        let mut fds = [None::<i32>; 2];
        let mut how = [None::<u64>; 3];
        let mut arg_items = 0u8; // bitmask of ARGn items already written
        for &(xi, ei, t) in &plan.entries {
            let v = xi
                .and_then(|i| x.param(i as usize))
                .filter(|v| !v.is_empty())
                .or_else(|| {
                    let (e, i) = (e?, ei?);
                    e.param(i as usize).filter(|v| !v.is_empty())
                });
            let Some(v) = v else { continue };
            match t {
                Ret => h.ret = int_of(v, true).unwrap_or(0),
                Arg(n) => {
                    if let Some(i) = int_of(v, v.len() >= 4) {
                        h.args[n as usize] = i as u64;
                    }
                }
                OpenFlags(n) => {
                    if let Some(i) = int_of(v, false) {
                        h.args[n as usize] = blocks::ppm_open_flags_to_linux(i as u32) as u64;
                    }
                }
                Mode(n) => {
                    if let Some(i) = int_of(v, false) {
                        h.args[n as usize] = blocks::ppm_mode_to_linux(i as u32) as u64;
                    }
                }
                Ptrace(n) => {
                    if let Some(i) = int_of(v, false) {
                        h.args[n as usize] = blocks::ppm_ptrace_to_linux(i as u16);
                    }
                }
                Path(n) => {
                    if arg_items & (1 << n) == 0 {
                        self.scratch.clear();
                        self.scratch.extend_from_slice(str_of(v));
                        self.scratch.push(0);
                        push_item(&mut self.data, n, 0, &self.scratch);
                        arg_items |= 1 << n;
                    }
                }
                Buf(n) => {
                    if arg_items & (1 << n) == 0 {
                        push_item(&mut self.data, n, 0, v);
                        arg_items |= 1 << n;
                    }
                }
                Addr(n) | TupleDst(n, _) => {
                    if arg_items & (1 << n) == 0 {
                        let ok = match t {
                            Addr(_) => convert_sockaddr(v, &mut self.scratch),
                            _ => convert_tuple(v, true, &mut self.scratch),
                        };
                        if ok {
                            push_item(&mut self.data, n, 0, &self.scratch);
                            arg_items |= 1 << n;
                        }
                    }
                    if matches!(t, TupleDst(_, true))
                        && tuple_end_known(v, false)
                        && convert_tuple(v, false, &mut self.scratch)
                    {
                        push_item(&mut self.data, tag::LOCAL_ADDR, 0, &self.scratch);
                    }
                }
                TupleSrc(local) => {
                    if convert_tuple(v, false, &mut self.scratch) {
                        push_item(&mut self.data, tag::RESULT_ADDR, 0, &self.scratch);
                    }
                    if local
                        && tuple_end_known(v, true)
                        && convert_tuple(v, true, &mut self.scratch)
                    {
                        push_item(&mut self.data, tag::LOCAL_ADDR, 0, &self.scratch);
                    }
                }
                CloneFlags(n) => {
                    if let Some(i) = int_of(v, false) {
                        h.args[n as usize] = blocks::ppm_clone_flags_to_linux(i as u32);
                    }
                }
                DynRet => {
                    if let Some(i) = v.get(1..).and_then(|b| int_of(b, true)) {
                        h.ret = i;
                    }
                }
                Fd1 => fds[0] = int_of(v, true).map(|i| i as i32),
                Fd2 => fds[1] = int_of(v, true).map(|i| i as i32),
                How(k) => {
                    how[k as usize] = int_of(v, false).map(|i| match k {
                        0 => blocks::ppm_open_flags_to_linux(i as u32) as u64,
                        _ => i as u64,
                    })
                }
            }
        }
        if let (Some(a), Some(b)) = (fds[0], fds[1]) {
            let mut f = [0u8; 8];
            f[..4].copy_from_slice(&a.to_le_bytes());
            f[4..].copy_from_slice(&b.to_le_bytes());
            push_item(&mut self.data, tag::FDS, 0, &f);
        }
        if how.iter().any(|v| v.is_some()) {
            let mut b = [0u8; 24];
            for (i, v) in how.iter().enumerate() {
                b[i * 8..i * 8 + 8].copy_from_slice(&v.unwrap_or(0).to_le_bytes());
            }
            push_item(&mut self.data, 2, 0, &b);
        }
        self.emit(h);
        let _ = plan.sys;
        self.converted(nr);
    }

    /// A syscall event with no specific conversion: the return value from
    /// `res` (or a leading `fd`), and the parameters that are raw values in
    /// scap (fds, pids, ids, sizes, addresses: classes F/E/I/U) or strings
    /// go where the syscall's schema (`decode::params`, named as Falco's
    /// event table) has a register or item of that name. PPM-encoded flags
    /// and enums (class '-') are left 0, except fcntl's command; an fd
    /// argument scap lacks is -1. Generic events carry no arguments and no
    /// return value (ret 0; fds -1, the rest 0).
    fn other(&mut self, x: &RawEvent<'_>, e: Option<&RawEvent<'_>>, nr: u16) {
        let mut h = self.header(x, Kind::Syscall, nr);
        let schema = decode::params(nr).unwrap_or(&[]);
        let sys = syscalls::name(nr).unwrap_or("");
        let mut set = 0u8; // registers already set
        let mut items = 0u8; // ARGn items already written
        let mut ret = None;
        let mut fds = [None::<i32>; 2];
        let generic = x.code == 1;
        for (ev, exit) in [(Some(x), true), (e, false)] {
            let Some(ev) = ev else { continue };
            if generic {
                break;
            }
            for (i, &(name, pt)) in all_params(ev.code).iter().enumerate() {
                let class = pt.class();
                // Older files carry a prefix of the newest layout.
                let Some(v) = ev.param(i) else { break };
                if v.is_empty() {
                    continue;
                }
                let signed = matches!(class, b'F' | b'E' | b'I');
                if exit && ret.is_none() && (name == "res" || (i == 0 && class == b'F')) {
                    ret = int_of(v, signed);
                    continue;
                }
                match (name, class) {
                    ("fd1", b'F') => fds[0] = int_of(v, true).map(|f| f as i32),
                    ("fd2", b'F') => fds[1] = int_of(v, true).map(|f| f as i32),
                    _ => {}
                }
                // close_range has no decode schema but changes the fd
                // table: first, last and flags (PPM_CLOSE_RANGE_* are
                // Linux's bits) in their registers.
                if sys == "close_range" {
                    let n = match name {
                        "first" => 0,
                        "last" => 1,
                        "flags" => 2,
                        _ => continue,
                    };
                    if set & (1 << n) == 0 {
                        if let Some(i) = int_of(v, false) {
                            h.args[n] = i as u64;
                            set |= 1 << n;
                        }
                    }
                    continue;
                }
                let Some(p) = schema.iter().find(|p| p.name == name) else {
                    continue;
                };
                match (class, p.source) {
                    (b'F' | b'E' | b'I' | b'U', ArgSource::Arg(n)) if set & (1 << n) == 0 => {
                        if let Some(i) = int_of(v, signed) {
                            h.args[n as usize] = i as u64;
                            set |= 1 << n;
                        }
                    }
                    (b'-', ArgSource::Arg(n))
                        if set & (1 << n) == 0
                            && p.kind == ParamKind::Enum(decode::EnumSet::Fcntl) =>
                    {
                        if let Some(i) = int_of(v, false) {
                            h.args[n as usize] = ppm_fcntl_to_linux(i as u64);
                            set |= 1 << n;
                        }
                    }
                    (b'S', ArgSource::Item(n))
                        if n < 6
                            && items & (1 << n) == 0
                            && matches!(p.kind, ParamKind::Path | ParamKind::Str) =>
                    {
                        self.scratch.clear();
                        self.scratch.extend_from_slice(str_of(v));
                        self.scratch.push(0);
                        push_item(&mut self.data, n, 0, &self.scratch);
                        items |= 1 << n;
                    }
                    _ => {}
                }
            }
        }
        h.ret = ret.unwrap_or(0);
        // An fd scap did not give is -1 (no fd), not 0: fd 0 would name
        // stdin's file in fd.num/fd.name.
        for p in schema {
            if let (ParamKind::Fd | ParamKind::Dirfd, ArgSource::Arg(n)) = (p.kind, p.source) {
                if set & (1 << n) == 0 {
                    h.args[n as usize] = u64::MAX;
                }
            }
        }
        if schema.is_empty() && sys != "close_range" && set & 1 == 0 {
            // No schema, so nothing says what the arguments are; the engine
            // reads argument 0 of such a syscall only as its fd (ftruncate,
            // fsync, flock, ...): none (-1), not fd 0.
            h.args[0] = u64::MAX;
        }
        if sys == "fcntl" && set & 2 == 0 {
            // No command (an exit whose enter is missing): none, not F_DUPFD.
            h.args[1] = u32::MAX as u64;
        }
        if sys == "close_range" && set & 3 != 3 {
            // Without its range, a close_range record would close fd 0.
            h.args[0] = u32::MAX as u64;
            h.args[1] = 0;
        }
        if let (Some(a), Some(b)) = (fds[0], fds[1]) {
            let mut f = [0u8; 8];
            f[..4].copy_from_slice(&a.to_le_bytes());
            f[4..].copy_from_slice(&b.to_le_bytes());
            push_item(&mut self.data, tag::FDS, 0, &f);
        }
        self.emit(h);
        self.converted(nr);
    }

    fn creds_item(&mut self, th: &Th) {
        let c = Creds {
            uid: th.uid,
            gid: th.gid,
            euid: th.uid,
            egid: th.gid,
            loginuid: th.loginuid,
            tty: th.tty,
            ppid: th.ppid,
            pad: 0,
            ..Creds::default()
        };
        push_item(&mut self.data, tag::CREDS, 0, &c.encode());
    }

    fn clone_exit(&mut self, x: &RawEvent<'_>) {
        let name = event_name(x.code);
        let sys = match &*name {
            "clone" | "fork" | "vfork" | "clone3" => name.to_string(),
            _ => "clone".to_string(),
        };
        let nr = syscalls::number(&sys).unwrap_or(56);
        let res = int(x, None, "res").unwrap_or(-1);
        let ppm_flags = int(x, None, "flags").unwrap_or(0) as u32;
        let flags = blocks::ppm_clone_flags_to_linux(ppm_flags);
        let thread = flags & 0x0001_0000 != 0;
        let ev_tid = x.tid;
        // The parent and child ids, from whichever side this is.
        let (parent_tid, child_tid) = if res > 0 {
            (ev_tid, res as u64)
        } else {
            (int(x, None, "ptid").unwrap_or(0) as u64, ev_tid)
        };
        if res >= 0 && !self.forked.contains(&child_tid) {
            self.forked.insert(child_tid);
            let parent = self.threads.get(&parent_tid).cloned().unwrap_or_else(|| {
                Th::unknown(if res > 0 {
                    int(x, None, "pid").unwrap_or(ev_tid as i64) as u32
                } else {
                    parent_tid as u32
                })
            });
            let child_pid = if thread {
                parent.pid
            } else if res == 0 {
                int(x, None, "pid").unwrap_or(child_tid as i64) as u32
            } else {
                child_tid as u32
            };
            let comm = param(x, None, "comm")
                .map(|c| str_of(c).to_vec())
                .unwrap_or_else(|| parent.comm.clone());
            let child = Th {
                pid: child_pid,
                ppid: if thread { parent.ppid } else { parent.pid },
                comm: comm.clone(),
                uid: int(x, None, "uid").map_or(parent.uid, |v| v as u32),
                gid: int(x, None, "gid").map_or(parent.gid, |v| v as u32),
                loginuid: parent.loginuid,
                tty: parent.tty,
            };
            self.scratch.clear();
            self.scratch.extend_from_slice(&comm);
            self.scratch.push(0);
            let sc = std::mem::take(&mut self.scratch);
            push_item(&mut self.data, tag::COMM, 0, &sc);
            self.scratch = sc;
            self.creds_item(&child.clone());
            if let Some(cg) = param(x, None, "cgroups") {
                push_item(&mut self.data, tag::CGROUPS, 0, cg);
            }
            let mut h = self.header(x, Kind::ProcFork, 0);
            h.tid = parent_tid as u32;
            h.pid = parent.pid;
            h.args[0] = child_tid;
            h.args[1] = child_pid as u64;
            self.threads.insert(child_tid, child);
            self.emit(h);
            Self::count(&mut self.report.process_records, "procfork");
        }
        // this side's pid-namespace ids (a container's processes: libsinsp
        // takes the child's from its own exit)
        if let (Some(vt), Some(vp)) = (int(x, None, "vtid"), int(x, None, "vpid")) {
            if let (Ok(vt), Ok(vp)) = (u32::try_from(vt), u32::try_from(vp)) {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&vt.to_le_bytes());
                b[4..].copy_from_slice(&vp.to_le_bytes());
                push_item(&mut self.data, tag::NS_IDS, 0, &b);
            }
        }
        let mut h = self.header(x, Kind::Syscall, nr);
        h.ret = res;
        if sys == "clone3" {
            push_item(&mut self.data, 0, 0, &flags.to_le_bytes());
        } else {
            h.args[0] = flags;
        }
        self.emit(h);
        self.converted(nr);
    }

    fn execve_exit(&mut self, x: &RawEvent<'_>, e: Option<&RawEvent<'_>>) {
        let at = x.code == code::EXECVEAT_X;
        let sys = if at { "execveat" } else { "execve" };
        let nr = syscalls::number(sys).unwrap_or(59);
        let res = int(x, e, "res").unwrap_or(-1);
        let exe = param(x, e, "exe").map(str_of).unwrap_or(b"");
        let args = param(x, e, "args").unwrap_or(b"");
        let filename = param(x, e, if at { "pathname" } else { "filename" })
            .or_else(|| param(x, e, "filename"))
            .map(str_of);
        // argv = exe + args (both NUL-separated).
        let mut argv = Vec::with_capacity(exe.len() + args.len() + 2);
        argv.extend_from_slice(exe);
        argv.push(0);
        argv.extend_from_slice(args);
        if !argv.ends_with(&[0]) {
            argv.push(0);
        }
        if res == 0 {
            let tid = x.tid;
            // A thread we have not seen: libsinsp's fake entry for it
            // (libs master sinsp_thread_manager::get_thread), which the
            // execve exit patches with what it carries (parse_execve_exit:
            // pid, ptid, and uid/gid/loginuid/tty only where the event has
            // them). Its ids stay unknown (-1) otherwise, not the parent's.
            let known = self.threads.get(&tid).cloned();
            let fake = known.is_none();
            let mut th = known.unwrap_or_else(|| Th::unknown(tid as u32));
            if let Some(p) = int(x, e, "pid") {
                th.pid = p as u32;
            } else if th.pid == 0 {
                th.pid = tid as u32;
            }
            if let Some(p) = int(x, e, "ptid") {
                th.ppid = p as u32;
            }
            if let Some(v) = int(x, e, "loginuid") {
                th.loginuid = v as u32;
            }
            if let Some(v) = int(x, e, "tty") {
                th.tty = v as u32;
            }
            if let Some(v) = int(x, e, "uid") {
                th.uid = v as u32;
            }
            if let Some(v) = int(x, e, "gid") {
                th.gid = v as u32;
            }
            // The exe path: trusted_exepath, else the enter's filename (libs
            // master parse_execve_exit). Without either (an old capture whose
            // enter is not in it: cat_write.scap, curl_google.scap) libsinsp
            // keeps the thread's exepath, so the record carries none.
            let trusted = param(x, e, "trusted_exepath").map(str_of);
            let path = trusted.or(filename);
            th.comm = match param(x, e, "comm") {
                Some(c) => str_of(c).to_vec(),
                None => {
                    let b = basename(path.unwrap_or(exe));
                    b[..b.len().min(15)].to_vec()
                }
            };
            if let Some(p) = path {
                let mut s = p.to_vec();
                s.push(0);
                push_item(&mut self.data, tag::EXE, 0, &s);
            }
            let mut s = th.comm.clone();
            s.push(0);
            push_item(&mut self.data, tag::COMM, 0, &s);
            self.creds_item(&th);
            push_item(&mut self.data, tag::ARGV, 0, &argv);
            // exec does not change the cwd: an empty one (drivers that could
            // not read it) keeps the thread's, as libsinsp does. libsinsp
            // never takes the exit's cwd (libs master parse_execve_exit), so
            // the fake entry's stays unknown ("").
            if let Some(cwd) = param(x, e, "cwd")
                .map(str_of)
                .filter(|c| !c.is_empty() && !fake)
            {
                let mut s = cwd.to_vec();
                s.push(0);
                push_item(&mut self.data, tag::CWD, 0, &s);
            }
            if let Some(env) = param(x, e, "env") {
                push_item(&mut self.data, tag::ENV, 0, env);
            }
            // The container is re-resolved from them (format 1.2).
            if let Some(cg) = param(x, e, "cgroups") {
                push_item(&mut self.data, tag::CGROUPS, 0, cg);
            }
            // The exit's exe flags (format 1.3); execveat's enter `flags`
            // are AT_* flags, so the exit's own only.
            if let Some(f) = int(x, None, "flags") {
                push_item(&mut self.data, tag::EXE_FLAGS, 0, &(f as u32).to_le_bytes());
            }
            self.threads.insert(tid, th);
            let mut h = self.header(x, Kind::ProcExec, 0);
            h.args[0] = tid;
            self.emit(h);
            Self::count(&mut self.report.process_records, "procexec");
        }
        let mut h = self.header(x, Kind::Syscall, nr);
        h.ret = res;
        let fname = filename.unwrap_or(exe);
        let mut s = fname.to_vec();
        s.push(0);
        if at {
            h.args[0] = int(x, e, "dirfd").unwrap_or(-100) as u64;
            push_item(&mut self.data, 1, 0, &s);
            h.args[4] = int(x, e, "flags").unwrap_or(0) as u64 & 0xffff_ffff;
            if x.by_name("flags").is_some() && e.is_none() {
                // The exit's "flags" are execve flags, not AT_* flags.
                h.args[4] = 0;
            }
        } else {
            push_item(&mut self.data, 0, 0, &s);
        }
        push_item(&mut self.data, tag::ARGV, 0, &argv);
        self.emit(h);
        self.converted(nr);
    }

    fn procexit(&mut self, ev: &RawEvent<'_>) {
        let status = ev
            .by_name("status")
            .and_then(|b| int_of(b, true))
            .unwrap_or(0);
        let ppid = self.threads.get(&ev.tid).map_or(0, |t| t.ppid);
        let mut h = self.header(ev, Kind::ProcExit, 0);
        h.args[0] = status as u64;
        h.args[2] = ppid as u64;
        self.emit(h);
        self.threads.remove(&ev.tid);
        self.forked.remove(&ev.tid);
        if let Some(old) = self.pending.remove(&ev.tid) {
            self.orphan(&old.get());
            self.spare.push(old.into_buf());
        }
        Self::count(&mut self.report.process_records, "procexit");
    }
}

/// Cut a record's items to the 65535 data bytes a record can hold: the item
/// that crosses the limit is cut (and marked truncated), later ones dropped.
/// The JSON of a container event, at most one item long: the container
/// JSON events' `json` as it is (without a trailing NUL), or, when it is
/// longer than an item holds, only the members the engine reads (as
/// libsinsp's own trimming of large container JSON keeps names and images);
/// the old container event (id, type, name, image) as the same JSON.
fn container_json(ev: &RawEvent<'_>) -> Option<Vec<u8>> {
    use serde_json::{json, Value};
    const MAX: usize = u16::MAX as usize - 4;
    let text = |b: &[u8]| String::from_utf8_lossy(b.strip_suffix(b"\0").unwrap_or(b)).into_owned();
    if ev.code == code::CONTAINER_E {
        // parameters: id, type, name, image
        let ty = ev.param(1).and_then(|b| int_of(b, false)).unwrap_or(0);
        let v = json!({"container": {
            "id": text(ev.param(0)?),
            "type": ty,
            "name": text(ev.param(2).unwrap_or_default()),
            "image": text(ev.param(3).unwrap_or_default()),
        }});
        return serde_json::to_vec(&v).ok();
    }
    let raw = ev.param(0)?; // json
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.len() <= MAX {
        return Some(raw.to_vec());
    }
    let v: Value = serde_json::from_slice(raw).ok()?;
    let c = v.get("container")?.as_object()?;
    let mut keep = serde_json::Map::new();
    for k in [
        "id",
        "type",
        "name",
        "image",
        "imageid",
        "imagerepo",
        "imagetag",
        "imagedigest",
        "privileged",
        "Mounts",
    ] {
        if let Some(x) = c.get(k) {
            keep.insert(k.to_string(), x.clone());
        }
    }
    let mut out = serde_json::to_vec(&json!({ "container": keep })).ok()?;
    if out.len() > MAX {
        keep.remove("Mounts");
        out = serde_json::to_vec(&json!({ "container": keep })).ok()?;
    }
    (out.len() <= MAX).then_some(out)
}

fn fit_items(data: &mut Vec<u8>) {
    let max = u16::MAX as usize;
    let mut o = 0;
    while o + 4 <= data.len() {
        let len = u16::from_le_bytes([data[o + 2], data[o + 3]]) as usize;
        if o + 4 + len > max {
            let keep = max.saturating_sub(o + 4);
            if keep == 0 {
                data.truncate(o);
            } else {
                data[o + 1] |= sysreplay_format::record::ITEM_TRUNCATED;
                data[o + 2..o + 4].copy_from_slice(&(keep as u16).to_le_bytes());
                data.truncate(o + 4 + keep);
            }
            return;
        }
        o += 4 + len;
    }
}

/// Exit events that have an enter event with parameters worth merging; 0 for
/// events whose enter carries nothing (clone, old execve).
fn param_enter_count(x: u16) -> usize {
    super::events::param_names(x - 1).map_or(0, |p| p.len())
}

/// Why a streaming import stopped: the capture, or the record sink.
#[derive(Debug)]
pub enum ImportError<E> {
    Scap(ScapError),
    Sink(E),
}

impl<E> From<ScapError> for ImportError<E> {
    fn from(e: ScapError) -> Self {
        ImportError::Scap(e)
    }
}

/// Import a whole scap file (gzip or plain) held in memory; the records are
/// collected. For files, [`import_from`] streams.
pub fn import(raw: Vec<u8>) -> Result<Imported, ScapError> {
    let start = |header, snapshot| Ok::<_, Infallible>((header, snapshot, Vec::new()));
    let collect =
        |(_, _, out): &mut (TraceHeader, ProcessSnapshot, Vec<u8>), h: &RecordHeader, d: &[u8]| {
            h.encode(out);
            out.extend_from_slice(d);
            Ok(())
        };
    let r = BlockReader::open(std::io::Cursor::new(raw))?;
    match import_from(r, start, collect) {
        Ok(((header, snapshot, records), report)) => Ok(Imported {
            header,
            snapshot,
            records,
            report,
        }),
        Err(ImportError::Scap(e)) => Err(e),
        Err(ImportError::Sink(never)) => match never {},
    }
}

/// Import a scap capture block by block: the metadata blocks make the header
/// and snapshot, handed to `start` before the first record; each record then
/// goes to `record` as soon as it is converted. Memory does not grow with the
/// capture's length (one block buffer, the thread table, enter events
/// waiting for their exit).
pub fn import_from<R: std::io::Read, S, E>(
    mut blocks: BlockReader<R>,
    start: impl FnOnce(TraceHeader, ProcessSnapshot) -> Result<S, E>,
    mut record: impl FnMut(&mut S, &RecordHeader, &[u8]) -> Result<(), E>,
) -> Result<(S, ImportReport), ImportError<E>> {
    let mut report = ImportReport {
        gzip: blocks.gzip(),
        ..ImportReport::default()
    };
    {
        let first = match blocks.next_block()? {
            Some(b) => b,
            None => {
                return Err(ScapError::at(0, "empty file: expected a section header block").into())
            }
        };
        if first.btype != blocks::SHB {
            return Err(ScapError::at(
                0,
                format!(
                    "first block has type 0x{:08x}; expected a scap section header (0x0a0d0d0a)",
                    first.btype
                ),
            )
            .into());
        }
        let (major, minor) = blocks::parse_shb(&first)?;
        report.scap_version = format!("{major}.{minor}");
    }
    State::count(&mut report.blocks, "SHB");

    // Metadata blocks come first.
    let mut mi = MachineInfo::default();
    let mut threads: Vec<ThreadInfo> = Vec::new();
    let mut fdls = Vec::new();
    let mut users = Vec::new();
    let mut groups = Vec::new();
    // The first event block (copied: the buffer is reused) and its type.
    let mut first_ev: Option<(u32, OwnedRawEvent)> = None;
    while let Some(b) = blocks.next_block()? {
        if blocks::event_block(b.btype).is_none() {
            State::count(&mut report.blocks, &blocks::block_name(b.btype));
        }
        match b.btype {
            blocks::MI | blocks::MI_INT => mi = blocks::parse_mi(&b)?,
            blocks::PL_V1
            | blocks::PL_V2
            | blocks::PL_V3
            | blocks::PL_V4
            | blocks::PL_V5
            | blocks::PL_V6
            | blocks::PL_V7
            | blocks::PL_V8
            | blocks::PL_V9
            | blocks::PL_V1_INT
            | blocks::PL_V2_INT
            | blocks::PL_V3_INT => blocks::parse_pl(&b, &mut threads)?,
            blocks::FDL | blocks::FDL_INT | blocks::FDL_V2 => fdls.push(blocks::parse_fdl(&b)?),
            blocks::UL | blocks::UL_INT | blocks::UL_V2 => {
                blocks::parse_ul(&b, &mut users, &mut groups)?
            }
            t if blocks::event_block(t).is_some() => {
                let (flags, v2) = blocks::event_block(t).unwrap();
                let ev = RawEvent::parse(b.body, b.offset + 8, flags, v2)?;
                first_ev = Some((t, ev.to_owned_in(Vec::new())));
                break;
            }
            _ => {} // IL and unknown blocks: nothing we keep.
        }
    }
    // The first event gives the time base.
    let first_ts = first_ev.as_ref().map_or(0, |(_, e)| e.get().ts);
    let offset = if mi.boot_ts_epoch != 0 && mi.boot_ts_epoch <= first_ts {
        mi.boot_ts_epoch
    } else {
        first_ts.saturating_sub(1_000_000_000)
    };

    // Attach fds to their threads.
    let mut by_tid: HashMap<u32, usize> = HashMap::new();
    for (i, t) in threads.iter().enumerate() {
        by_tid.insert(t.tid, i);
    }
    for (tid, fds) in fdls {
        if let Some(&i) = by_tid.get(&(tid as u32)) {
            report.fds += fds.len() as u64;
            threads[i].fds.extend(fds);
        }
    }
    report.threads = threads.len() as u64;
    report.users = users.len() as u64;
    report.groups = groups.len() as u64;

    let mut st = State {
        threads: threads
            .iter()
            .map(|t| {
                (
                    t.tid as u64,
                    Th {
                        pid: t.pid,
                        ppid: t.ppid,
                        comm: t.comm.as_bytes().to_vec(),
                        uid: t.uid,
                        gid: t.gid,
                        loginuid: t.loginuid,
                        tty: t.tty,
                    },
                )
            })
            .collect(),
        pending: TidMap::default(),
        spare: Vec::new(),
        forked: Default::default(),
        n: Counts {
            converted: vec![0; syscalls::MAX_SYSCALLS],
            unconverted: vec![0; MAX_CODE],
            merged: vec![0; MAX_CODE],
            orphaned: vec![0; MAX_CODE],
            internal: vec![0; MAX_CODE],
            generic_merged: vec![0; syscalls::MAX_SYSCALLS],
            generic_orphaned: vec![0; syscalls::MAX_SYSCALLS],
            other: BTreeMap::new(),
        },
        drop_start: HashMap::new(),
        offset,
        out: Vec::with_capacity(1 << 16),
        data: Vec::with_capacity(4096),
        scratch: Vec::with_capacity(256),
        report,
        containers: Vec::new(),
    };
    let header = TraceHeader {
        tool_version: String::new(),
        created_unix_ns: first_ts as i64,
        hostname: mi.hostname.clone(),
        kernel_release: String::new(),
        arch: "x86_64".into(),
        num_cpus: mi.num_cpus,
        boot_to_wall_ns: offset as i64,
        source: "scap-import".into(),
        config: RecordingConfig {
            notes: vec![("scap_version".into(), st.report.scap_version.clone())],
            ..RecordingConfig::default()
        },
    };
    let snapshot = ProcessSnapshot {
        taken_at_ns: first_ts.saturating_sub(offset),
        threads,
        users,
        groups,
    };
    let mut sink = start(header, snapshot).map_err(ImportError::Sink)?;

    // The records of the events converted so far go to the sink.
    let mut flush = |st: &mut State, sink: &mut S| -> Result<(), ImportError<E>> {
        let mut o = 0;
        while o < st.out.len() {
            // Built by this module: always well-formed.
            let (h, d) = parse_record(&st.out[o..]).expect("importer wrote a bad record");
            record(sink, &h, d).map_err(ImportError::Sink)?;
            o += RECORD_HEADER_SIZE + h.data_len as usize;
        }
        st.out.clear();
        Ok(())
    };

    // The event blocks, converted as they are read.
    let mut ev_blocks: BTreeMap<u32, u64> = BTreeMap::new();
    let mut n_events = 0u64;
    if let Some((t, ev)) = first_ev {
        *ev_blocks.entry(t).or_default() += 1;
        n_events += 1;
        st.event(ev.get());
        flush(&mut st, &mut sink)?;
    }
    while let Some(b) = blocks.next_block()? {
        match blocks::event_block(b.btype) {
            Some((flags, v2)) => {
                match ev_blocks.get_mut(&b.btype) {
                    Some(v) => *v += 1,
                    None => {
                        ev_blocks.insert(b.btype, 1);
                    }
                }
                n_events += 1;
                st.event(RawEvent::parse(b.body, b.offset + 8, flags, v2)?);
                if st.out.len() >= 1 << 16 {
                    flush(&mut st, &mut sink)?;
                }
            }
            None => State::count(&mut st.report.blocks, &blocks::block_name(b.btype)),
        }
    }
    st.flush_containers(None);
    flush(&mut st, &mut sink)?;
    for (t, n) in ev_blocks {
        *st.report.blocks.entry(blocks::block_name(t)).or_default() += n;
    }
    st.report.events_read = n_events;
    let left: Vec<_> = st.pending.drain().map(|(_, e)| e).collect();
    for e in left {
        st.orphan(&e.get());
    }
    st.finish_counts();
    Ok((sink, st.report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventBuilder;
    use sysreplay_format::event::OwnedEvent;
    use sysreplay_syscalls::decode;

    /// The first 16 parameters of an execve exit (every version has them):
    /// `cat` with these args, ids (tid, pid, ptid), cwd and cgroups.
    fn execve_exit_common(
        b: &mut EventBuilder,
        args: &[u8],
        [tid, pid, ptid]: [u64; 3],
        cwd: &[u8],
        cgroups: &[u8],
    ) {
        b.u64(0); // res
        b.cstr(b"cat"); // exe
        b.bytes(args);
        b.u64(tid);
        b.u64(pid);
        b.u64(ptid);
        b.cstr(cwd);
        for _ in 0..3 {
            b.u64(0); // fdlimit, pgft_maj, pgft_min
        }
        for _ in 0..3 {
            b.u32(0); // vm_*
        }
        b.cstr(b"cat"); // comm
        b.bytes(cgroups);
        b.bytes(b""); // env
    }

    fn file(events: &[(u16, u64, u64, Vec<u8>)]) -> Vec<u8> {
        // SHB 1.2 + EV_V2 events built by the caller (bodies without cpu).
        let mut out = Vec::new();
        let mut b = Vec::new();
        b.extend_from_slice(&blocks::SHB_MAGIC.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        blocks::write_block(&mut out, blocks::SHB, &b);
        for (_, _, _, body) in events {
            blocks::write_block(&mut out, blocks::EV_V2, body);
        }
        out
    }

    fn records(imp: &Imported) -> Vec<OwnedEvent> {
        let mut v = Vec::new();
        imp.for_each_record(|h, d| {
            v.push(OwnedEvent {
                header: *h,
                data: d.to_vec(),
            });
            Ok::<(), ()>(())
        })
        .unwrap();
        v
    }

    /// Current libscap writes exit events only, with the parameters the old
    /// enter events carried appended (openat's 7, read's 4, execve's 31).
    #[test]
    fn exit_only_current_layouts_convert() {
        const CG: &[u8] = b"cpuset=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\0cpu=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\0";
        let mut b = EventBuilder::new();
        let mut evs = Vec::new();
        let t0 = 1_700_000_000_000_000_000u64;
        // openat exit: fd, dirfd, name, flags, mode, dev, ino
        b.start();
        b.u64(5);
        b.u64((-100i64) as u64);
        b.cstr(b"/etc/shadow");
        b.u32(1 | (1 << 12)); // O_RDONLY|O_CLOEXEC
        b.u32(0);
        b.u32(0);
        b.u64(42);
        b.finish(1, t0, 100, code::OPENAT_2_X);
        evs.push((code::OPENAT_2_X, t0, 100, b.buf.clone()));
        // read exit: res, data, fd, size
        b.start();
        b.u64(4);
        b.bytes(b"root");
        b.u64(5);
        b.u32(4096);
        b.finish(1, t0 + 10, 100, code::READ_X);
        evs.push((code::READ_X, t0 + 10, 100, b.buf.clone()));
        // execve exit, 31 parameters
        b.start();
        execve_exit_common(&mut b, b"/etc/shadow\0", [100, 100, 1], b"/root", CG);
        b.u32(0); // tty
        b.u64(100); // vpgid
        b.u32(1000); // loginuid
        b.u32(0x5); // flags: PPM_EXE_WRITABLE|PPM_EXE_FROM_MEMFD
        for _ in 0..3 {
            b.u64(0); // caps
        }
        for _ in 0..3 {
            b.u64(0); // exe_ino, ctime, mtime
        }
        b.u32(1000); // uid
        b.cstr(b"/usr/bin/cat"); // trusted_exepath
        b.u64(100); // pgid
        b.u32(1000); // gid
        b.cstr(b"/bin/cat"); // filename
        b.finish(0, t0 + 20, 100, code::EXECVE_19_X);
        evs.push((code::EXECVE_19_X, t0 + 20, 100, b.buf.clone()));
        let imp = import(file(&evs)).unwrap();
        assert_eq!(imp.report.exit_without_enter, 3);
        let r = records(&imp);
        assert_eq!(r.len(), 4, "openat, read, procexec, execve");
        let ev = r[0].as_event();
        assert_eq!(syscalls::name(ev.nr), Some("openat"));
        assert_eq!(ev.ret, 5);
        let mut s = String::new();
        decode::render_all(&ev, &mut s);
        assert!(
            s.contains("name=/etc/shadow") && s.contains("O_RDONLY|O_CLOEXEC"),
            "{s}"
        );
        let ev = r[1].as_event();
        assert_eq!(
            (syscalls::name(ev.nr), ev.args[0], ev.args[2]),
            (Some("read"), 5, 4096)
        );
        assert_eq!(ev.arg_data(1).unwrap().bytes, b"root");
        let ev = r[2].as_event();
        assert_eq!(ev.kind(), Some(Kind::ProcExec));
        assert_eq!(ev.item(tag::EXE).unwrap().c_str(), b"/usr/bin/cat");
        assert_eq!(ev.item(tag::ARGV).unwrap().bytes, b"cat\0/etc/shadow\0");
        assert_eq!(ev.item(tag::CGROUPS).unwrap().bytes, CG);
        // the exit's exe flags ride on the procexec record (format 1.3)
        assert_eq!(ev.exe_flags(), Some(0x5));
        let c = ev.creds().unwrap();
        assert_eq!((c.uid, c.gid, c.loginuid, c.ppid), (1000, 1000, 1000, 1));
        let ev = r[3].as_event();
        assert_eq!(ev.arg_data(0).unwrap().c_str(), b"/bin/cat");
        // Times: the first event is one second after the chosen offset.
        assert_eq!(imp.header.boot_to_wall_ns as u64 + r[0].header.ts_ns, t0);
    }

    /// A process first seen at its execve (no process-list entry, no
    /// clone) is libsinsp's fake entry patched by the exit: ids the event
    /// does not carry stay unknown (-1), not the parent's (libs master
    /// parse_execve_exit sets uid/gid/loginuid/tty only from their
    /// parameters, and never the cwd); its parent is the event's ptid.
    /// (cat_write.scap: cat under a bash of uid 1000 has uid 4294967295 and
    /// cwd "" in libsinsp.)
    #[test]
    fn a_process_first_seen_at_its_execve_has_unknown_ids() {
        let (h, _, _) = sysreplay_synth::in_memory(&sysreplay_synth::SynthConfig::new(5, 10));
        let bash = ThreadInfo {
            tid: 50,
            pid: 50,
            ppid: 1,
            comm: "bash".into(),
            exe: "/bin/bash".into(),
            args: vec!["bash".into()],
            uid: 1000,
            gid: 1000,
            euid: 1000,
            egid: 1000,
            loginuid: 1000,
            tty: 34816,
            ..ThreadInfo::default()
        };
        let snap = ProcessSnapshot {
            threads: vec![bash],
            ..ProcessSnapshot::default()
        };
        let (mut cap, _) = crate::export(&h, &snap, std::iter::empty(), false).unwrap();
        // An execve exit of 2016 (16 parameters: no uid, gid, loginuid).
        let mut b = EventBuilder::new();
        b.start();
        execve_exit_common(&mut b, b"/etc/passwd\0", [60, 60, 50], b"/home/u", b"");
        b.finish(0, h.created_unix_ns as u64 + 1000, 60, code::EXECVE_19_X);
        blocks::write_block(&mut cap, blocks::EV_V2, &b.buf);
        let imp = import(cap).unwrap();
        let r = records(&imp);
        let exec = r
            .iter()
            .map(|e| e.as_event())
            .find(|e| e.kind() == Some(Kind::ProcExec))
            .unwrap();
        let c = exec.creds().unwrap();
        assert_eq!(
            (c.uid, c.gid, c.loginuid, c.tty, c.ppid),
            (u32::MAX, u32::MAX, u32::MAX, 0, 50)
        );
        // nor does libsinsp take the exit's cwd: unknown
        assert!(exec.item(tag::CWD).is_none());
        // no exe path: the exit has no trusted_exepath and no enter gives the
        // filename, so libsinsp keeps the thread's exepath (was: argv[0],
        // proc.exepath "cat" where libsinsp has "")
        assert!(exec.item(tag::EXE).is_none());
    }

    /// Damaged files give errors or partial imports, never panics.
    #[test]
    fn random_damage_never_panics() {
        let (h, snap, recs) =
            sysreplay_synth::in_memory(&sysreplay_synth::SynthConfig::new(5, 400));
        let (good, _) = crate::export(&h, &snap, recs.iter().map(|e| e.as_event()), false).unwrap();
        assert!(import(good.clone()).is_ok());
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut ok, mut err) = (0, 0);
        for round in 0..1500 {
            let mut b = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            if round % 10 == 0 {
                let cut = (next() % b.len() as u64) as usize;
                b.truncate(cut);
            }
            match import(b) {
                Ok(imp) => {
                    ok += 1;
                    // Whatever came out is well-formed.
                    imp.for_each_record(|_, d| sysreplay_format::record::validate_items(d))
                        .unwrap();
                }
                Err(e) => {
                    err += 1;
                    assert!(!e.what.is_empty());
                }
            }
        }
        assert!(ok > 0 && err > 0, "ok {ok} err {err}");
    }

    #[test]
    fn oversized_records_are_cut_to_fit() {
        let mut d = Vec::new();
        push_item(&mut d, tag::ARGV, 0, &vec![b'a'; 60_000]);
        push_item(&mut d, tag::ENV, 0, &vec![b'b'; 60_000]);
        push_item(&mut d, tag::CWD, 0, b"/\0");
        fit_items(&mut d);
        assert_eq!(d.len(), u16::MAX as usize);
        sysreplay_format::record::validate_items(&d).unwrap();
        let items: Vec<_> = sysreplay_format::record::Items::new(&d).collect();
        assert_eq!(items.len(), 2);
        assert!(items[1].truncated());
    }

    /// Syscall events with no specific conversion are records: the
    /// syscall from the event name (or a generic event's native number),
    /// `res`, and the raw parameters the syscall's schema has a register or
    /// item for, from the exit or the merged enter (issue 10).
    #[test]
    fn other_syscall_events_are_records() {
        let mut b = EventBuilder::new();
        let mut evs = Vec::new();
        let mut ev = |b: &mut EventBuilder, ts: u64, code: u16| {
            b.finish(0, 1_000_000_000 + ts, 7, code);
            evs.push((code, 0, 0, b.buf.clone()));
        };
        // fstat: enter fd, exit res (old layout: no fd in the exit)
        b.start();
        b.u64(3);
        ev(&mut b, 1, 70);
        b.start();
        b.u64(0);
        ev(&mut b, 2, 71);
        // mmap: enter addr, length, prot, flags, fd, offset; exit res + vm
        b.start();
        b.u64(0);
        b.u64(8192);
        b.u32(3); // PPM prot: not raw, left 0
        b.u32(1);
        b.u64(5);
        b.u64(4096);
        ev(&mut b, 3, 160);
        b.start();
        b.u64(0x7f00_0000_0000);
        b.u32(1);
        b.u32(2);
        b.u32(3);
        ev(&mut b, 4, 161);
        // fcntl(5, F_DUPFD_CLOEXEC) = 9: the PPM command becomes Linux's
        b.start();
        b.u64(5);
        b.u8(26);
        ev(&mut b, 5, 150);
        b.start();
        b.u64(9);
        ev(&mut b, 6, 151);
        // generic mprotect: enter ID + nativeID 10, exit ID; failed access
        // (exit res + name)
        b.start();
        b.u16(125);
        b.u16(10);
        ev(&mut b, 7, 0);
        b.start();
        b.u16(125);
        ev(&mut b, 8, 1);
        b.start();
        b.u32(0);
        ev(&mut b, 9, 264);
        b.start();
        b.u64(-2i64 as u64);
        b.cstr(b"/etc/nope");
        ev(&mut b, 10, 265);
        // an fcntl exit whose enter is missing has no command (not F_DUPFD)
        b.start();
        b.u64(3);
        ev(&mut b, 12, 151);
        // close_range(3, 10, CLOSE_RANGE_CLOEXEC): no decode schema, placed
        b.start();
        b.u64(0);
        b.u32(3);
        b.u32(10);
        b.u32(4);
        ev(&mut b, 13, 451);
        // a scheduler switch is not a syscall
        b.start();
        b.u64(8);
        ev(&mut b, 11, 152);
        let imp = import(file(&evs)).unwrap();
        let r = records(&imp);
        let got: Vec<_> = r
            .iter()
            .map(|e| {
                let ev = e.as_event();
                (syscalls::name(ev.nr).unwrap(), ev.ret, ev.args)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("fstat", 0, [3, 0, 0, 0, 0, 0]),
                ("mmap", 0x7f00_0000_0000, [0, 8192, 0, 0, 5, 4096]),
                ("fcntl", 9, [5, 1030, 0, 0, 0, 0]),
                ("mprotect", 0, [0; 6]),
                ("access", -2, [0; 6]),
                ("fcntl", 3, [u64::MAX, u32::MAX as u64, 0, 0, 0, 0]),
                ("close_range", 0, [3, 10, 4, 0, 0, 0]),
            ]
        );
        assert_eq!(r[4].as_event().arg_data(0).unwrap().c_str(), b"/etc/nope");
        assert_eq!(imp.report.converted.get("mprotect"), Some(&1));
        assert_eq!(imp.report.enter_merged.get("mprotect"), Some(&1));
        assert_eq!(imp.report.enter_merged.get("fstat"), Some(&1));
        assert!(imp
            .report
            .unconverted
            .keys()
            .all(|k| !k.starts_with("syscall")));
        // A generic setreuid has no arguments: a record would say
        // setreuid(0, 0) succeeded.
        let mut b = EventBuilder::new();
        b.start();
        b.u16(0);
        b.u16(113); // x86_64 setreuid
        b.finish(0, 1_000_000_000, 7, 0);
        let e1 = b.buf.clone();
        b.start();
        b.u16(0);
        b.u16(113);
        b.finish(0, 1_000_000_001, 7, 1);
        let imp = import(file(&[(0, 0, 0, e1), (1, 0, 0, b.buf.clone())])).unwrap();
        assert_eq!(imp.report.records, 0);
        assert_eq!(
            imp.report.generic_without_arguments.get("setreuid"),
            Some(&1)
        );
    }

    #[test]
    fn enter_without_exit_is_counted_not_lost() {
        let mut b = EventBuilder::new();
        b.start();
        b.u64(3);
        b.finish(0, 10, 7, code::CLOSE_E);
        let e1 = b.buf.clone();
        b.start();
        b.u64(3);
        b.finish(0, 20, 7, code::CLOSE_E);
        let e2 = b.buf.clone();
        let imp = import(file(&[(0, 0, 0, e1), (0, 0, 0, e2)])).unwrap();
        assert_eq!(imp.report.enter_orphaned.get("close"), Some(&2));
        assert_eq!(imp.report.records, 0);
    }
}
