//! Offline decoding of raw syscall records into Falco/sysdig-style parameters.
//!
//! A SYSCALL record carries the raw return value, the six raw argument
//! registers and variable-data items (the bytes behind pointer arguments,
//! argv, sockaddrs the kernel wrote back, pipe fds). This module knows, per
//! syscall, which of those make up each parameter and how to show it:
//!
//! - [`params`] gives the static schema of a syscall: its [`Param`]s, named
//!   as Falco's event table names them (what `evt.arg.<name>` sees), with a
//!   [`ParamKind`] (how to interpret and render) and an [`ArgSource`] (where
//!   the value lives in the record). Parameters Falco has no name for use the
//!   man page's argument name.
//! - [`arg_value`] extracts one parameter as a borrowed [`ArgValue`] (no
//!   allocation), [`render`] / [`render_all`] write it the way sysdig prints
//!   it (`O_RDONLY|O_CLOEXEC`, `0644`, `-2(ENOENT)`, `127.0.0.1:8080`,
//!   `10.0.0.9:51234->10.0.0.5:22`).
//! - [`parse_sockaddr`], [`errno_name`], [`open_flags_str`], [`flags_str`],
//!   [`open_info`] and [`OpenInfo`] (Falco's `evt.is_open_read/write/exec`)
//!   are building blocks for the rule engine's state.
//!
//! Malformed data never panics: a missing, faulted or too-short item gives
//! [`ArgValue::Missing`] (rendered `<NA>`), a string without its NUL is taken
//! whole, invalid UTF-8 is rendered lossily.
//!
//! Socket tuples: a record holds the address the syscall names (the
//! connect/sendto destination, the accept/recvfrom peer); connect and
//! accept records also carry the socket's own address (a `LOCAL_ADDR`
//! item), and [`render`] then writes both ends. Without it the unknown
//! local end is the family's any-address with port 0
//! (`0.0.0.0:0->10.0.0.9:80`), as Falco writes it for an unbound socket; an
//! engine that tracks fds completes the tuple with [`render_tuple`]. Tuples follow Falco's direction: client `->` server
//! (connect/sendto: local->remote; accept/recvfrom: peer->local).

use std::fmt::Write as _;
use std::net::Ipv6Addr;
use std::sync::OnceLock;

use crate as syscalls;
use sysreplay_format::event::Event;
use sysreplay_format::record::{tag, Item};

/// Where a parameter's value lives in a SYSCALL record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgSource {
    /// The syscall's return value.
    Ret,
    /// Raw argument register `n` (0..=5).
    Arg(u8),
    /// The variable-data item with this tag (`record::tag::*`; ARG0..ARG5 are 0..5).
    Item(u8),
    /// A little-endian unsigned integer of `size` bytes (1, 2, 4 or 8) at byte
    /// `off` of an item (pipe fds in FDS, `struct open_how` fields, ...).
    ItemField { tag: u8, off: u8, size: u8 },
    /// A 64-bit capability set from capset's `cap_user_data_t` array (item
    /// ARG1: two `{effective, permitted, inheritable}` u32 triples, low word
    /// first): 0 = effective, 1 = permitted, 2 = inheritable.
    CapData(u8),
}

/// Flag sets rendered as `A|B|C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlagSet {
    /// open(2) flags; the access mode renders as O_RDONLY/O_WRONLY/O_RDWR.
    Open,
    /// clone(2) flags; the low byte (exit signal) is not shown.
    Clone,
    /// unshare(2)/setns(2) namespace flags (CLONE_NEW*, incl. CLONE_NEWTIME).
    Namespace,
    /// mount(2) MS_* flags (the MS_MGC_VAL magic is ignored).
    Mount,
    /// umount2(2) flags.
    Umount,
    /// AT_* flags (unlinkat, linkat, fchownat, newfstatat, execveat, statx).
    At,
    /// renameat2(2) flags.
    Rename,
    /// mmap/mprotect PROT_* (0 renders PROT_NONE).
    Prot,
    /// mmap MAP_* flags.
    Mmap,
    /// socket(2) type: SOCK_STREAM etc. plus SOCK_NONBLOCK/SOCK_CLOEXEC.
    SockType,
    /// accept4(2)/socket flags alone (SOCK_NONBLOCK|SOCK_CLOEXEC).
    SockFlags,
    /// send/recv MSG_* flags.
    Msg,
    /// memfd_create(2) MFD_* flags.
    Memfd,
    /// openat2(2) RESOLVE_* flags.
    Resolve,
    /// futex(2) op: the command plus FUTEX_PRIVATE_FLAG/FUTEX_CLOCK_REALTIME.
    Futex,
    /// execve/execveat exit `flags`: the exe flags (libs' PPM_EXE_*).
    Exe,
}

/// Enumerations rendered as a single name (unknown values as the number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnumSet {
    /// Address families (AF_*).
    SockDomain,
    /// ptrace(2) requests.
    Ptrace,
    /// prctl(2) options.
    Prctl,
    /// fcntl(2) commands.
    Fcntl,
    /// lseek(2) whence.
    Whence,
    /// shutdown(2) how.
    Shutdown,
    /// bpf(2) commands.
    Bpf,
    /// clock ids.
    Clock,
    /// epoll_ctl ops.
    EpollOp,
}

/// How a parameter is interpreted and rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A syscall result: the number, or `-N(ENAME)` when negative.
    Res,
    /// A file descriptor (from a result: negative renders as an errno).
    Fd,
    /// A directory fd for *at() calls: -100 renders `-100(AT_FDCWD)`.
    Dirfd,
    /// A memory address result (mmap): hex, or an errno.
    Addr,
    /// A pointer argument, rendered in hex.
    Ptr,
    /// A 64-bit value best read in hex (ioctl requests, statx masks).
    Hex,
    /// A path (item, C string).
    Path,
    /// A non-path string (item, C string): fs type, memfd name, module args.
    Str,
    /// A data buffer prefix (item, raw bytes); bytes outside printable ASCII
    /// (newlines included) render as `.`, as sysdig prints them.
    Buffer,
    /// execve's `exe`: the first argv string (ARGV item).
    Exe,
    /// execve's `args`: argv after the first, NUL-separated (ARGV item);
    /// rendered space-separated.
    Args,
    /// Flags, rendered by name.
    Flags(FlagSet),
    /// An enumeration, rendered by name.
    Enum(EnumSet),
    /// A file mode, rendered in octal with a leading 0.
    Mode,
    /// A socket address (item).
    SockAddr,
    /// A connection tuple built from a socket address item.
    SockTuple(TupleDir),
    Uid,
    Gid,
    Pid,
    /// A signal number, rendered `9(SIGKILL)`.
    Signal,
    /// A C `int` argument (low 32 bits, sign-extended).
    Int,
    /// A C `long`/`off_t` argument (all 64 bits, signed).
    Long,
    /// An unsigned 64-bit argument (sizes, lengths, counts).
    UInt,
    /// An unsigned 32-bit argument.
    UInt32,
    /// A relative time from a `struct timespec` item, in nanoseconds.
    RelTime,
    /// A 64-bit capability mask (capset), rendered in hex.
    Caps,
}

/// Which side of a tuple the captured address is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TupleDir {
    /// The address is the remote end we talk to: `local->addr` (connect, sendto).
    ToAddr,
    /// The address is the peer that talked to us: `addr->local` (accept, recvfrom).
    FromAddr,
}

/// One parameter of a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// Falco's parameter name (`evt.arg.<name>`).
    pub name: &'static str,
    pub kind: ParamKind,
    pub source: ArgSource,
}

/// A parsed socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SockAddr<'a> {
    /// AF_INET or AF_INET6. IPv4 addresses are stored IPv4-mapped
    /// (`::ffff:a.b.c.d`), like `meta::SocketTuple`.
    Inet {
        family: u16,
        ip: [u8; 16],
        port: u16,
    },
    /// AF_UNIX: the path; an abstract address keeps its leading NUL; an
    /// unnamed socket has an empty path.
    Unix(&'a [u8]),
    /// Another family (netlink, packet, ...): only the family is decoded.
    Other(u16),
}

/// A decoded parameter value, borrowing from the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgValue<'a> {
    Int(i64),
    UInt(u64),
    /// Paths and strings without the trailing NUL; buffers as captured;
    /// `args` NUL-separated.
    Bytes(&'a [u8]),
    SockAddr(SockAddr<'a>),
    /// A socket tuple whose own side is known too (LOCAL_ADDR item):
    /// `(local, remote)`.
    Tuple(SockAddr<'a>, SockAddr<'a>),
    /// Not captured, faulted, or malformed.
    Missing,
}

impl<'a> ArgValue<'a> {
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ArgValue::Int(v) => Some(v),
            ArgValue::UInt(v) => Some(v as i64),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            ArgValue::UInt(v) => Some(v),
            ArgValue::Int(v) => Some(v as u64),
            _ => None,
        }
    }
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            ArgValue::Bytes(b) => Some(b),
            _ => None,
        }
    }
    pub fn is_missing(&self) -> bool {
        matches!(self, ArgValue::Missing)
    }
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

pub const AT_FDCWD: i64 = -100;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

pub const O_ACCMODE: u64 = 0o3;
pub const O_RDONLY: u64 = 0;
pub const O_WRONLY: u64 = 0o1;
pub const O_RDWR: u64 = 0o2;
pub const O_CREAT: u64 = 0o100;
pub const O_EXCL: u64 = 0o200;
pub const O_TRUNC: u64 = 0o1000;
pub const O_APPEND: u64 = 0o2000;
pub const O_NONBLOCK: u64 = 0o4000;
pub const O_DIRECTORY: u64 = 0o200000;
pub const O_CLOEXEC: u64 = 0o2000000;
pub const O_PATH: u64 = 0o10000000;
pub const O_TMPFILE: u64 = 0o20200000;

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------
// The schemas here and the flag-name tables further down are data, one
// entry per syscall or flag: many share a shape by design (a `duplicates`
// run lists them; they are not logic written twice).

const fn p(name: &'static str, kind: ParamKind, source: ArgSource) -> Param {
    Param { name, kind, source }
}

use ArgSource::{Arg, Item as It, ItemField, Ret};
use ParamKind as K;

const RES: Param = p("res", K::Res, Ret);
const FD_RET: Param = p("fd", K::Fd, Ret);
const FD0: Param = p("fd", K::Fd, Arg(0));
const DIRFD0: Param = p("dirfd", K::Dirfd, Arg(0));

const fn path(name: &'static str, arg: u8) -> Param {
    p(name, K::Path, It(arg))
}
const fn fl(name: &'static str, set: FlagSet, arg: u8) -> Param {
    p(name, K::Flags(set), Arg(arg))
}

const EXECVE: &[Param] = &[
    RES,
    p("exe", K::Exe, It(tag::ARGV)),
    p("args", K::Args, It(tag::ARGV)),
    path("filename", 0),
];
const EXECVEAT: &[Param] = &[
    RES,
    p("exe", K::Exe, It(tag::ARGV)),
    p("args", K::Args, It(tag::ARGV)),
    DIRFD0,
    path("pathname", 1),
    fl("flags", FlagSet::At, 4),
];
const CLONE: &[Param] = &[RES, fl("flags", FlagSet::Clone, 0)];
const CLONE3: &[Param] = &[
    RES,
    p(
        "flags",
        K::Flags(FlagSet::Clone),
        ItemField {
            tag: 0,
            off: 0,
            size: 8,
        },
    ),
];
const RES_ONLY: &[Param] = &[RES];
const OPEN: &[Param] = &[
    FD_RET,
    path("name", 0),
    fl("flags", FlagSet::Open, 1),
    p("mode", K::Mode, Arg(2)),
];
const OPENAT: &[Param] = &[
    FD_RET,
    DIRFD0,
    path("name", 1),
    fl("flags", FlagSet::Open, 2),
    p("mode", K::Mode, Arg(3)),
];
const OPENAT2: &[Param] = &[
    FD_RET,
    DIRFD0,
    path("name", 1),
    p(
        "flags",
        K::Flags(FlagSet::Open),
        ItemField {
            tag: 2,
            off: 0,
            size: 8,
        },
    ),
    p(
        "mode",
        K::Mode,
        ItemField {
            tag: 2,
            off: 8,
            size: 8,
        },
    ),
    p(
        "resolve",
        K::Flags(FlagSet::Resolve),
        ItemField {
            tag: 2,
            off: 16,
            size: 8,
        },
    ),
];
const CREAT: &[Param] = &[FD_RET, path("name", 0), p("mode", K::Mode, Arg(1))];
const RES_FD: &[Param] = &[RES, FD0];
const DUP: &[Param] = &[RES, p("oldfd", K::Fd, Arg(0))];
const DUP2: &[Param] = &[RES, p("oldfd", K::Fd, Arg(0)), p("newfd", K::Fd, Arg(1))];
const DUP3: &[Param] = &[
    RES,
    p("oldfd", K::Fd, Arg(0)),
    p("newfd", K::Fd, Arg(1)),
    fl("flags", FlagSet::Open, 2),
];
const FCNTL: &[Param] = &[
    RES,
    FD0,
    p("cmd", K::Enum(EnumSet::Fcntl), Arg(1)),
    p("arg", K::UInt, Arg(2)),
];
const READ: &[Param] = &[
    RES,
    FD0,
    p("size", K::UInt, Arg(2)),
    p("data", K::Buffer, It(1)),
];
const PREAD: &[Param] = &[
    RES,
    FD0,
    p("size", K::UInt, Arg(2)),
    p("pos", K::Long, Arg(3)),
    p("data", K::Buffer, It(1)),
];
const READV: &[Param] = &[
    RES,
    FD0,
    p("iovcnt", K::Int, Arg(2)),
    p("data", K::Buffer, It(1)),
];
const SOCKET: &[Param] = &[
    FD_RET,
    p("domain", K::Enum(EnumSet::SockDomain), Arg(0)),
    fl("type", FlagSet::SockType, 1),
    p("proto", K::Int, Arg(2)),
];
const CONNECT: &[Param] = &[
    RES,
    p("tuple", K::SockTuple(TupleDir::ToAddr), It(1)),
    FD0,
    p("addr", K::SockAddr, It(1)),
];
const ACCEPT: &[Param] = &[
    FD_RET,
    p(
        "tuple",
        K::SockTuple(TupleDir::FromAddr),
        It(tag::RESULT_ADDR),
    ),
    p("sockfd", K::Fd, Arg(0)),
];
const ACCEPT4: &[Param] = &[
    FD_RET,
    p(
        "tuple",
        K::SockTuple(TupleDir::FromAddr),
        It(tag::RESULT_ADDR),
    ),
    p("sockfd", K::Fd, Arg(0)),
    fl("flags", FlagSet::SockFlags, 3),
];
const BIND: &[Param] = &[RES, FD0, p("addr", K::SockAddr, It(1))];
const LISTEN: &[Param] = &[RES, FD0, p("backlog", K::Int, Arg(1))];
const SENDTO: &[Param] = &[
    RES,
    FD0,
    p("size", K::UInt, Arg(2)),
    p("data", K::Buffer, It(1)),
    p("tuple", K::SockTuple(TupleDir::ToAddr), It(4)),
    fl("flags", FlagSet::Msg, 3),
];
// sendmsg/recvmsg data: the bytes the msghdr's iovecs carry, as item 1 (an
// import keeps the capture's `data`; the recorder reads no msghdr iovecs)
const SENDMSG: &[Param] = &[
    RES,
    FD0,
    fl("flags", FlagSet::Msg, 2),
    p("data", K::Buffer, It(1)),
];
const RECVFROM: &[Param] = &[
    RES,
    FD0,
    p("size", K::UInt, Arg(2)),
    p("data", K::Buffer, It(1)),
    p(
        "tuple",
        K::SockTuple(TupleDir::FromAddr),
        It(tag::RESULT_ADDR),
    ),
    fl("flags", FlagSet::Msg, 3),
];
const RECVMSG: &[Param] = &[
    RES,
    FD0,
    p(
        "tuple",
        K::SockTuple(TupleDir::FromAddr),
        It(tag::RESULT_ADDR),
    ),
    fl("flags", FlagSet::Msg, 2),
    p("data", K::Buffer, It(1)),
];
const SHUTDOWN: &[Param] = &[RES, FD0, p("how", K::Enum(EnumSet::Shutdown), Arg(1))];
const FD1: Param = p(
    "fd1",
    K::Fd,
    ItemField {
        tag: tag::FDS,
        off: 0,
        size: 4,
    },
);
const FD2: Param = p(
    "fd2",
    K::Fd,
    ItemField {
        tag: tag::FDS,
        off: 4,
        size: 4,
    },
);
const SOCKETPAIR: &[Param] = &[
    RES,
    FD1,
    FD2,
    p("domain", K::Enum(EnumSet::SockDomain), Arg(0)),
    fl("type", FlagSet::SockType, 1),
    p("proto", K::Int, Arg(2)),
];
const PIPE: &[Param] = &[RES, FD1, FD2];
const PIPE2: &[Param] = &[RES, FD1, FD2, fl("flags", FlagSet::Open, 1)];
const CHMOD: &[Param] = &[RES, path("filename", 0), p("mode", K::Mode, Arg(1))];
const FCHMOD: &[Param] = &[RES, FD0, p("mode", K::Mode, Arg(1))];
const FCHMODAT: &[Param] = &[RES, DIRFD0, path("filename", 1), p("mode", K::Mode, Arg(2))];
const CHOWN: &[Param] = &[
    RES,
    path("path", 0),
    p("uid", K::Uid, Arg(1)),
    p("gid", K::Gid, Arg(2)),
];
const FCHOWN: &[Param] = &[RES, FD0, p("uid", K::Uid, Arg(1)), p("gid", K::Gid, Arg(2))];
const FCHOWNAT: &[Param] = &[
    RES,
    DIRFD0,
    path("pathname", 1),
    p("uid", K::Uid, Arg(2)),
    p("gid", K::Gid, Arg(3)),
    fl("flags", FlagSet::At, 4),
];
const LINK: &[Param] = &[RES, path("oldpath", 0), path("newpath", 1)];
const LINKAT: &[Param] = &[
    RES,
    p("olddir", K::Dirfd, Arg(0)),
    path("oldpath", 1),
    p("newdir", K::Dirfd, Arg(2)),
    path("newpath", 3),
    fl("flags", FlagSet::At, 4),
];
const SYMLINK: &[Param] = &[RES, path("target", 0), path("linkpath", 1)];
const SYMLINKAT: &[Param] = &[
    RES,
    path("target", 0),
    p("linkdirfd", K::Dirfd, Arg(1)),
    path("linkpath", 2),
];
const PATH0: &[Param] = &[RES, path("path", 0)];
const UNLINKAT: &[Param] = &[RES, DIRFD0, path("name", 1), fl("flags", FlagSet::At, 2)];
const RENAMEAT: &[Param] = &[
    RES,
    p("olddirfd", K::Dirfd, Arg(0)),
    path("oldpath", 1),
    p("newdirfd", K::Dirfd, Arg(2)),
    path("newpath", 3),
];
const RENAMEAT2: &[Param] = &[
    RES,
    p("olddirfd", K::Dirfd, Arg(0)),
    path("oldpath", 1),
    p("newdirfd", K::Dirfd, Arg(2)),
    path("newpath", 3),
    fl("flags", FlagSet::Rename, 4),
];
const MKDIR: &[Param] = &[RES, path("path", 0), p("mode", K::Mode, Arg(1))];
const MKDIRAT: &[Param] = &[RES, DIRFD0, path("path", 1), p("mode", K::Mode, Arg(2))];
const MOUNT: &[Param] = &[
    RES,
    p("dev", K::Str, It(0)),
    path("dir", 1),
    p("type", K::Str, It(2)),
    fl("flags", FlagSet::Mount, 3),
];
const UMOUNT2: &[Param] = &[RES, path("name", 0), fl("flags", FlagSet::Umount, 1)];
const PTRACE: &[Param] = &[
    RES,
    p("request", K::Enum(EnumSet::Ptrace), Arg(0)),
    p("pid", K::Pid, Arg(1)),
    p("addr", K::Ptr, Arg(2)),
    p("data", K::Ptr, Arg(3)),
];
const SETUID: &[Param] = &[RES, p("uid", K::Uid, Arg(0))];
const SETGID: &[Param] = &[RES, p("gid", K::Gid, Arg(0))];
const SETRESUID: &[Param] = &[
    RES,
    p("ruid", K::Uid, Arg(0)),
    p("euid", K::Uid, Arg(1)),
    p("suid", K::Uid, Arg(2)),
];
const SETRESGID: &[Param] = &[
    RES,
    p("rgid", K::Gid, Arg(0)),
    p("egid", K::Gid, Arg(1)),
    p("sgid", K::Gid, Arg(2)),
];
const SETREUID: &[Param] = &[RES, p("ruid", K::Uid, Arg(0)), p("euid", K::Uid, Arg(1))];
const SETREGID: &[Param] = &[RES, p("rgid", K::Gid, Arg(0)), p("egid", K::Gid, Arg(1))];
const SETPGID: &[Param] = &[RES, p("pid", K::Pid, Arg(0)), p("pgid", K::Pid, Arg(1))];
const CAPSET: &[Param] = &[
    RES,
    p("cap_inheritable", K::Caps, ArgSource::CapData(2)),
    p("cap_permitted", K::Caps, ArgSource::CapData(1)),
    p("cap_effective", K::Caps, ArgSource::CapData(0)),
];
const PRCTL: &[Param] = &[
    RES,
    p("option", K::Enum(EnumSet::Prctl), Arg(0)),
    p("arg2_str", K::Str, It(1)),
    p("arg2_int", K::Long, Arg(1)),
];
const KILL: &[Param] = &[RES, p("pid", K::Pid, Arg(0)), p("sig", K::Signal, Arg(1))];
const TGKILL: &[Param] = &[
    RES,
    p("pid", K::Pid, Arg(0)),
    p("tid", K::Pid, Arg(1)),
    p("sig", K::Signal, Arg(2)),
];
const MMAP: &[Param] = &[
    p("res", K::Addr, Ret),
    p("addr", K::Ptr, Arg(0)),
    p("length", K::UInt, Arg(1)),
    fl("prot", FlagSet::Prot, 2),
    fl("flags", FlagSet::Mmap, 3),
    p("fd", K::Fd, Arg(4)),
    p("offset", K::UInt, Arg(5)),
];
const MPROTECT: &[Param] = &[
    RES,
    p("addr", K::Ptr, Arg(0)),
    p("len", K::UInt, Arg(1)),
    fl("prot", FlagSet::Prot, 2),
];
const MEMFD_CREATE: &[Param] = &[
    FD_RET,
    p("name", K::Str, It(0)),
    fl("flags", FlagSet::Memfd, 1),
];
const BPF: &[Param] = &[FD_RET, p("cmd", K::Enum(EnumSet::Bpf), Arg(0))];
const SETNS: &[Param] = &[RES, FD0, fl("nstype", FlagSet::Namespace, 1)];
const UNSHARE: &[Param] = &[RES, fl("flags", FlagSet::Namespace, 0)];
const INIT_MODULE: &[Param] = &[
    RES,
    p("img", K::Buffer, It(0)),
    p("length", K::UInt, Arg(1)),
    p("uargs", K::Str, It(2)),
];
const FINIT_MODULE: &[Param] = &[
    RES,
    FD0,
    p("uargs", K::Str, It(1)),
    p("flags", K::UInt32, Arg(2)),
];
const USERFAULTFD: &[Param] = &[RES, fl("flags", FlagSet::Open, 0)];
const IOCTL: &[Param] = &[
    RES,
    FD0,
    p("request", K::Hex, Arg(1)),
    p("argument", K::Hex, Arg(2)),
];
const fn uring(name: &'static str, off: u8) -> Param {
    p(
        name,
        K::UInt32,
        ItemField {
            tag: 1,
            off,
            size: 4,
        },
    )
}
const IO_URING_SETUP: &[Param] = &[
    FD_RET,
    p("entries", K::UInt32, Arg(0)),
    uring("sq_entries", 0),
    uring("cq_entries", 4),
    uring("flags", 8),
    uring("sq_thread_cpu", 12),
    uring("sq_thread_idle", 16),
    uring("features", 20),
];
const EXIT: &[Param] = &[p("status", K::Int, Arg(0))];
const NANOSLEEP: &[Param] = &[RES, p("interval", K::RelTime, It(0))];
const CLOCK_NANOSLEEP: &[Param] = &[
    RES,
    p("clockid", K::Enum(EnumSet::Clock), Arg(0)),
    p("flags", K::Int, Arg(1)),
    p("interval", K::RelTime, It(2)),
];
const GETPID: &[Param] = &[p("res", K::Pid, Ret)];
const GETUID: &[Param] = &[p("res", K::Uid, Ret)];
const GETGID: &[Param] = &[p("res", K::Gid, Ret)];
const NEWFSTATAT: &[Param] = &[RES, DIRFD0, path("path", 1), fl("flags", FlagSet::At, 3)];
const STATX: &[Param] = &[
    RES,
    DIRFD0,
    path("path", 1),
    fl("flags", FlagSet::At, 2),
    p("mask", K::Hex, Arg(3)),
];
const ACCESS: &[Param] = &[RES, path("name", 0), p("mode", K::Int, Arg(1))];
const FACCESSAT: &[Param] = &[RES, DIRFD0, path("pathname", 1), p("mode", K::Int, Arg(2))];
const READLINK: &[Param] = &[RES, path("path", 0), p("data", K::Str, It(1))];
const READLINKAT: &[Param] = &[RES, DIRFD0, path("path", 1), p("data", K::Str, It(2))];
const LSEEK: &[Param] = &[
    RES,
    FD0,
    p("offset", K::Long, Arg(1)),
    p("whence", K::Enum(EnumSet::Whence), Arg(2)),
];
const EPOLL_WAIT: &[Param] = &[
    RES,
    p("epfd", K::Fd, Arg(0)),
    p("maxevents", K::Int, Arg(2)),
    p("timeout", K::Int, Arg(3)),
];
const EPOLL_CTL: &[Param] = &[
    RES,
    p("epfd", K::Fd, Arg(0)),
    p("op", K::Enum(EnumSet::EpollOp), Arg(1)),
    p("fd", K::Fd, Arg(2)),
];
const EPOLL_CREATE1: &[Param] = &[FD_RET, fl("flags", FlagSet::Open, 0)];
const FUTEX: &[Param] = &[
    RES,
    p("addr", K::Ptr, Arg(0)),
    fl("op", FlagSet::Futex, 1),
    p("val", K::UInt, Arg(2)),
];
const SELECT: &[Param] = &[RES, p("nfds", K::Int, Arg(0))];
const POLL: &[Param] = &[
    RES,
    p("nfds", K::UInt, Arg(1)),
    p("timeout", K::Int, Arg(2)),
];
const PPOLL: &[Param] = &[
    RES,
    p("nfds", K::UInt, Arg(1)),
    p("timeout", K::RelTime, It(2)),
];
const WAIT4: &[Param] = &[RES, p("pid", K::Pid, Arg(0)), p("options", K::Int, Arg(2))];

/// Every schema, by syscall name.
static SCHEMAS: &[(&str, &[Param])] = &[
    ("execve", EXECVE),
    ("execveat", EXECVEAT),
    ("clone", CLONE),
    ("clone3", CLONE3),
    ("fork", RES_ONLY),
    ("vfork", RES_ONLY),
    ("open", OPEN),
    ("openat", OPENAT),
    ("openat2", OPENAT2),
    ("creat", CREAT),
    ("close", RES_FD),
    ("dup", DUP),
    ("dup2", DUP2),
    ("dup3", DUP3),
    ("fcntl", FCNTL),
    ("read", READ),
    ("write", READ),
    ("pread64", PREAD),
    ("pwrite64", PREAD),
    ("readv", READV),
    ("writev", READV),
    ("socket", SOCKET),
    ("connect", CONNECT),
    ("accept", ACCEPT),
    ("accept4", ACCEPT4),
    ("bind", BIND),
    ("listen", LISTEN),
    ("sendto", SENDTO),
    ("sendmsg", SENDMSG),
    ("recvfrom", RECVFROM),
    ("recvmsg", RECVMSG),
    ("shutdown", SHUTDOWN),
    ("socketpair", SOCKETPAIR),
    ("pipe", PIPE),
    ("pipe2", PIPE2),
    ("chmod", CHMOD),
    ("fchmod", FCHMOD),
    ("fchmodat", FCHMODAT),
    ("chown", CHOWN),
    ("lchown", CHOWN),
    ("fchown", FCHOWN),
    ("fchownat", FCHOWNAT),
    ("link", LINK),
    ("linkat", LINKAT),
    ("symlink", SYMLINK),
    ("symlinkat", SYMLINKAT),
    ("unlink", PATH0),
    ("unlinkat", UNLINKAT),
    ("rename", LINK),
    ("renameat", RENAMEAT),
    ("renameat2", RENAMEAT2),
    ("mkdir", MKDIR),
    ("mkdirat", MKDIRAT),
    ("rmdir", PATH0),
    ("chdir", PATH0),
    ("fchdir", RES_FD),
    ("chroot", PATH0),
    ("mount", MOUNT),
    ("umount2", UMOUNT2),
    ("ptrace", PTRACE),
    ("setuid", SETUID),
    ("setgid", SETGID),
    ("setresuid", SETRESUID),
    ("setresgid", SETRESGID),
    ("setreuid", SETREUID),
    ("setregid", SETREGID),
    ("setsid", RES_ONLY),
    ("setpgid", SETPGID),
    ("capset", CAPSET),
    ("prctl", PRCTL),
    ("kill", KILL),
    ("tkill", KILL),
    ("tgkill", TGKILL),
    ("mmap", MMAP),
    ("mprotect", MPROTECT),
    ("memfd_create", MEMFD_CREATE),
    ("bpf", BPF),
    ("setns", SETNS),
    ("unshare", UNSHARE),
    ("init_module", INIT_MODULE),
    ("finit_module", FINIT_MODULE),
    ("userfaultfd", USERFAULTFD),
    ("ioctl", IOCTL),
    ("io_uring_setup", IO_URING_SETUP),
    ("exit", EXIT),
    ("exit_group", EXIT),
    ("nanosleep", NANOSLEEP),
    ("clock_nanosleep", CLOCK_NANOSLEEP),
    ("getpid", GETPID),
    ("gettid", GETPID),
    ("getppid", GETPID),
    ("getuid", GETUID),
    ("geteuid", GETUID),
    ("getgid", GETGID),
    ("getegid", GETGID),
    ("stat", PATH0),
    ("lstat", PATH0),
    ("fstat", RES_FD),
    ("newfstatat", NEWFSTATAT),
    ("statx", STATX),
    ("access", ACCESS),
    ("faccessat", FACCESSAT),
    ("faccessat2", FACCESSAT),
    ("readlink", READLINK),
    ("readlinkat", READLINKAT),
    ("getdents", RES_FD),
    ("getdents64", RES_FD),
    ("lseek", LSEEK),
    ("epoll_wait", EPOLL_WAIT),
    ("epoll_pwait", EPOLL_WAIT),
    ("epoll_ctl", EPOLL_CTL),
    ("epoll_create1", EPOLL_CREATE1),
    ("futex", FUTEX),
    ("select", SELECT),
    ("pselect6", SELECT),
    ("poll", POLL),
    ("ppoll", PPOLL),
    ("wait4", WAIT4),
];

fn by_nr() -> &'static [Option<&'static [Param]>; syscalls::MAX_SYSCALLS] {
    static T: OnceLock<[Option<&'static [Param]>; syscalls::MAX_SYSCALLS]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [None; syscalls::MAX_SYSCALLS];
        for &(name, schema) in SCHEMAS {
            if let Some(nr) = syscalls::number(name) {
                if let Some(slot) = t.get_mut(nr as usize) {
                    *slot = Some(schema);
                }
            }
        }
        t
    })
}

/// The parameter schema of x86_64 syscall `nr`, if this module knows it.
pub fn params(nr: u16) -> Option<&'static [Param]> {
    by_nr().get(nr as usize).copied().flatten()
}

/// The parameter of syscall `nr` named `name` (what `evt.arg.<name>` reads).
pub fn find_param(nr: u16, name: &str) -> Option<&'static Param> {
    params(nr)?.iter().find(|p| p.name == name)
}

/// Names of all syscalls with a schema.
pub fn known_syscalls() -> impl Iterator<Item = &'static str> {
    SCHEMAS.iter().map(|&(n, _)| n)
}

// ---------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------

enum Raw<'a> {
    Num(u64),
    Bytes(&'a [u8]),
    None,
}

fn live_item<'a>(ev: &Event<'a>, t: u8) -> Option<Item<'a>> {
    ev.item(t).filter(|i| !i.faulted())
}

fn le_uint(b: &[u8]) -> u64 {
    let mut v = 0u64;
    for (i, &c) in b.iter().take(8).enumerate() {
        v |= (c as u64) << (8 * i);
    }
    v
}

fn raw<'a>(ev: &Event<'a>, src: ArgSource) -> Raw<'a> {
    match src {
        ArgSource::Ret => Raw::Num(ev.ret as u64),
        ArgSource::Arg(i) => match ev.args.get(i as usize) {
            Some(&v) => Raw::Num(v),
            None => Raw::None,
        },
        ArgSource::Item(t) => match live_item(ev, t) {
            Some(i) => Raw::Bytes(i.bytes),
            None => Raw::None,
        },
        ArgSource::ItemField { tag, off, size } => {
            let Some(i) = live_item(ev, tag) else {
                return Raw::None;
            };
            let (off, size) = (off as usize, (size as usize).min(8));
            match i.bytes.get(off..off + size) {
                Some(b) => Raw::Num(le_uint(b)),
                None => Raw::None,
            }
        }
        ArgSource::CapData(which) => {
            let Some(i) = live_item(ev, 1) else {
                return Raw::None;
            };
            let w = (which as usize).min(2) * 4;
            let Some(lo) = i.bytes.get(w..w + 4) else {
                return Raw::None;
            };
            // Version 1 capabilities have one triple (32-bit sets).
            let hi = i.bytes.get(12 + w..16 + w).map(le_uint).unwrap_or(0);
            Raw::Num(le_uint(lo) | (hi << 32))
        }
    }
}

fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    }
}

/// Split an ARGV item into its first string and the rest (without the
/// trailing NUL).
fn split_argv(b: &[u8]) -> (&[u8], &[u8]) {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    match b.iter().position(|&c| c == 0) {
        Some(p) => (&b[..p], &b[p + 1..]),
        None => (b, &[]),
    }
}

/// Extract parameter `p` of a SYSCALL event (whose schema `p` came from).
pub fn arg_value<'a>(ev: &Event<'a>, p: &Param) -> ArgValue<'a> {
    let r = raw(ev, p.source);
    let from_ret = matches!(p.source, ArgSource::Ret);
    match (p.kind, r) {
        (_, Raw::None) => ArgValue::Missing,
        (K::Res | K::Long, Raw::Num(n)) => ArgValue::Int(n as i64),
        (K::Fd | K::Dirfd | K::Int | K::Pid | K::Signal, Raw::Num(n)) => {
            if from_ret {
                ArgValue::Int(n as i64)
            } else {
                ArgValue::Int(n as u32 as i32 as i64)
            }
        }
        (K::Mode | K::Uid | K::Gid | K::UInt32, Raw::Num(n)) => ArgValue::UInt(n & 0xffff_ffff),
        (K::UInt | K::Hex | K::Ptr | K::Addr | K::Caps | K::Flags(_) | K::Enum(_), Raw::Num(n)) => {
            ArgValue::UInt(n)
        }
        (K::Path | K::Str, Raw::Bytes(b)) => ArgValue::Bytes(c_str(b)),
        (K::Buffer, Raw::Bytes(b)) => ArgValue::Bytes(b),
        (K::Exe, Raw::Bytes(b)) => ArgValue::Bytes(split_argv(b).0),
        (K::Args, Raw::Bytes(b)) => ArgValue::Bytes(split_argv(b).1),
        (K::SockTuple(_), Raw::Bytes(b)) => match parse_sockaddr(b) {
            Some(remote) => match ev
                .item(tag::LOCAL_ADDR)
                .and_then(|i| parse_sockaddr(i.bytes))
            {
                Some(local) => ArgValue::Tuple(local, remote),
                None => ArgValue::SockAddr(remote),
            },
            None => ArgValue::Missing,
        },
        (K::SockAddr, Raw::Bytes(b)) => match parse_sockaddr(b) {
            Some(a) => ArgValue::SockAddr(a),
            None => ArgValue::Missing,
        },
        (K::RelTime, Raw::Bytes(b)) => match parse_timespec(b) {
            Some(ns) => ArgValue::UInt(ns),
            None => ArgValue::Missing,
        },
        _ => ArgValue::Missing,
    }
}

/// Extract the parameter named `name` of a SYSCALL event.
pub fn arg_by_name<'a>(ev: &Event<'a>, name: &str) -> ArgValue<'a> {
    match find_param(ev.nr, name) {
        Some(p) => arg_value(ev, p),
        None => ArgValue::Missing,
    }
}

/// A `struct timespec` (two i64) as nanoseconds; None if short or negative.
fn parse_timespec(b: &[u8]) -> Option<u64> {
    let sec = le_uint(b.get(0..8)?) as i64;
    let nsec = le_uint(b.get(8..16)?) as i64;
    if sec < 0 || nsec < 0 {
        return None;
    }
    (sec as u64)
        .checked_mul(1_000_000_000)?
        .checked_add(nsec as u64)
}

/// Parse raw `struct sockaddr_*` bytes (AF_INET, AF_INET6, AF_UNIX; other
/// families give [`SockAddr::Other`]). None if too short for its family.
pub fn parse_sockaddr(b: &[u8]) -> Option<SockAddr<'_>> {
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    match family {
        AF_INET => {
            let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
            let v4 = b.get(4..8)?;
            let mut ip = [0u8; 16];
            ip[10] = 0xff;
            ip[11] = 0xff;
            ip[12..16].copy_from_slice(v4);
            Some(SockAddr::Inet { family, ip, port })
        }
        AF_INET6 => {
            let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
            let mut ip = [0u8; 16];
            ip.copy_from_slice(b.get(8..24)?);
            Some(SockAddr::Inet { family, ip, port })
        }
        AF_UNIX => {
            let path = &b[2..];
            if path.first() == Some(&0) {
                // Abstract: the name is every byte of the address; trailing
                // NUL padding from a fixed-size capture is not part of it.
                let end = path.iter().rposition(|&c| c != 0).map_or(1, |p| p + 1);
                Some(SockAddr::Unix(&path[..end]))
            } else {
                Some(SockAddr::Unix(c_str(path)))
            }
        }
        f => Some(SockAddr::Other(f)),
    }
}

/// A unix socket's name as the drivers write it (libs `unix_socket_path`):
/// the path up to its NUL, or for an abstract socket (first byte NUL) `@`
/// and the name up to the next NUL. `fd.name`, `cat` and exported captures
/// all use this one rule.
pub fn unix_name(path: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match path.split_first() {
        Some((0, rest)) => {
            let mut v = Vec::with_capacity(rest.len() + 1);
            v.push(b'@');
            v.extend_from_slice(c_str(rest));
            v.into()
        }
        _ => c_str(path).into(),
    }
}

impl<'a> SockAddr<'a> {
    /// The IPv4 address, for AF_INET.
    pub fn ipv4(&self) -> Option<[u8; 4]> {
        match self {
            SockAddr::Inet { family, ip, .. } if *family == AF_INET => {
                Some([ip[12], ip[13], ip[14], ip[15]])
            }
            _ => None,
        }
    }
    pub fn port(&self) -> Option<u16> {
        match self {
            SockAddr::Inet { port, .. } => Some(*port),
            _ => None,
        }
    }
    pub fn family(&self) -> u16 {
        match self {
            SockAddr::Inet { family, .. } => *family,
            SockAddr::Unix(_) => AF_UNIX,
            SockAddr::Other(f) => *f,
        }
    }
    /// Write the address as Falco does: `1.2.3.4:80`, `::1:80`, the unix path
    /// (`@name` for abstract sockets).
    pub fn render(&self, out: &mut String) {
        match self {
            SockAddr::Inet { ip, port, .. } => {
                render_ip(self.family(), ip, out);
                let _ = write!(out, ":{port}");
            }
            SockAddr::Unix(path) => push_lossy(&unix_name(path), out),
            SockAddr::Other(f) => {
                let _ = write!(out, "family={f}");
            }
        }
    }
}

fn render_ip(family: u16, ip: &[u8; 16], out: &mut String) {
    if family == AF_INET {
        let _ = write!(out, "{}.{}.{}.{}", ip[12], ip[13], ip[14], ip[15]);
    } else {
        let _ = write!(out, "{}", Ipv6Addr::from(*ip));
    }
}

/// Write a Falco tuple `src->dst`. An unknown end renders as the other end's
/// any-address with port 0 (`0.0.0.0:0`, `:::0`); for unix sockets only the
/// known path is written.
pub fn render_tuple(src: Option<&SockAddr<'_>>, dst: Option<&SockAddr<'_>>, out: &mut String) {
    let any = |known: Option<&SockAddr<'_>>| -> SockAddr<'static> {
        match known {
            Some(SockAddr::Inet { family, .. }) if *family == AF_INET6 => SockAddr::Inet {
                family: AF_INET6,
                ip: [0; 16],
                port: 0,
            },
            _ => SockAddr::Inet {
                family: AF_INET,
                ip: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0],
                port: 0,
            },
        }
    };
    let unix = |a: Option<&SockAddr<'_>>| matches!(a, Some(SockAddr::Unix(_)));
    if unix(src) || unix(dst) {
        // Falco writes kernel socket pointers here; we have only the path.
        if let Some(a @ SockAddr::Unix(p)) = dst.or(src) {
            if p.is_empty() {
                if let Some(b @ SockAddr::Unix(_)) = src {
                    b.render(out);
                    return;
                }
            }
            a.render(out);
        }
        return;
    }
    match src {
        Some(a) => a.render(out),
        None => any(dst).render(out),
    }
    out.push_str("->");
    match dst {
        Some(a) => a.render(out),
        None => any(src).render(out),
    }
}

// ---------------------------------------------------------------------------
// Open helpers (Falco's evt.is_open_read / write / exec)
// ---------------------------------------------------------------------------

/// The open flags and mode of an open-family syscall event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInfo {
    pub flags: u64,
    pub mode: u32,
}

impl OpenInfo {
    /// `evt.is_open_read`: opened for reading (O_RDONLY or O_RDWR). Like
    /// Falco, an access mode other than O_WRONLY/O_RDWR counts as O_RDONLY.
    pub fn is_read(&self) -> bool {
        is_open_read(self.flags)
    }
    /// `evt.is_open_write`: opened for writing (O_WRONLY or O_RDWR).
    pub fn is_write(&self) -> bool {
        is_open_write(self.flags)
    }
    /// `evt.is_open_exec`: a file created (O_CREAT or O_TMPFILE) with an
    /// execute bit in its mode.
    pub fn is_exec(&self) -> bool {
        is_open_exec(self.flags, self.mode)
    }
}

pub fn is_open_read(flags: u64) -> bool {
    flags & O_ACCMODE != O_WRONLY
}
pub fn is_open_write(flags: u64) -> bool {
    matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR)
}
pub fn is_open_exec(flags: u64, mode: u32) -> bool {
    (flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE) && mode & 0o111 != 0
}

/// Flags and mode of open/openat/openat2/creat (creat is
/// `O_CREAT|O_WRONLY|O_TRUNC`); None for other events or missing values.
pub fn open_info(ev: &Event<'_>) -> Option<OpenInfo> {
    let name = syscalls::name(ev.nr)?;
    let mode = arg_by_name(ev, "mode").as_u64().unwrap_or(0) as u32;
    let flags = match name {
        "open" | "openat" | "openat2" => arg_by_name(ev, "flags").as_u64()?,
        "creat" => O_CREAT | O_WRONLY | O_TRUNC,
        _ => return None,
    };
    Some(OpenInfo { flags, mode })
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/// Write `s` into `out`, replacing invalid UTF-8 (allocation-free when valid).
/// A string for one-line text output: control characters (C0, DEL, C1:
/// newlines, carriage returns, terminal escapes) become '.', as sysdig
/// shows non-printable bytes of buffers, so a file name or an argv holding
/// a newline cannot forge a line of `cat` or an alert of `eval`. Used for
/// text output only: conditions see the real values, and JSON escapes them.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect(),
    )
}

fn push_lossy(b: &[u8], out: &mut String) {
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

fn push_errno(v: i64, out: &mut String) {
    let _ = write!(out, "{v}");
    if let Some(n) = errno_name(v) {
        let _ = write!(out, "({n})");
    }
}

/// Render the value of parameter `p` of `ev` into `out` the way sysdig does.
/// A missing value renders `<NA>`.
pub fn render(ev: &Event<'_>, p: &Param, out: &mut String) {
    render_value(p, &arg_value(ev, p), out)
}

/// Render a value already extracted with [`arg_value`] for parameter `p`.
/// Negative results render as errnos; negative arguments (`fd=-1`,
/// `pid=-1`) as plain numbers.
pub fn render_value(p: &Param, v: &ArgValue<'_>, out: &mut String) {
    let from_ret = matches!(p.source, ArgSource::Ret);
    match (p.kind, *v) {
        (_, ArgValue::Missing) => out.push_str("<NA>"),
        (K::Res | K::Fd | K::Pid, ArgValue::Int(n)) => {
            if n < 0 && from_ret {
                push_errno(n, out)
            } else {
                let _ = write!(out, "{n}");
            }
        }
        (K::Dirfd, ArgValue::Int(n)) => {
            if n == AT_FDCWD {
                out.push_str("-100(AT_FDCWD)");
            } else {
                let _ = write!(out, "{n}");
            }
        }
        (K::Addr, ArgValue::UInt(n)) => {
            let s = n as i64;
            if (-4095..0).contains(&s) {
                push_errno(s, out)
            } else {
                let _ = write!(out, "{n:#x}");
            }
        }
        (K::Ptr | K::Hex | K::Caps, ArgValue::UInt(n)) => {
            let _ = write!(out, "{n:#x}");
        }
        (K::Mode, ArgValue::UInt(n)) => {
            if n == 0 {
                out.push('0');
            } else {
                let _ = write!(out, "0{n:o}");
            }
        }
        (K::Signal, ArgValue::Int(n)) => {
            let _ = write!(out, "{n}");
            if let Some(s) = signal_name(n) {
                let _ = write!(out, "({s})");
            }
        }
        (K::Flags(set), ArgValue::UInt(n)) => flags_str(set, n, out),
        (K::Enum(set), ArgValue::UInt(n)) => match enum_name(set, n) {
            Some(s) => out.push_str(s),
            None => {
                let _ = write!(out, "{}", n as i64);
            }
        },
        (K::RelTime, ArgValue::UInt(n)) => {
            let _ = write!(out, "{n}ns");
        }
        (K::Path | K::Str | K::Exe, ArgValue::Bytes(b)) => push_lossy(b, out),
        (K::Args, ArgValue::Bytes(b)) => {
            for (i, a) in b.split(|&c| c == 0).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                push_lossy(a, out);
            }
        }
        (K::Buffer, ArgValue::Bytes(b)) => {
            out.reserve(b.len());
            for &c in b {
                out.push(if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                });
            }
        }
        (K::SockAddr, ArgValue::SockAddr(a)) => a.render(out),
        (K::SockTuple(TupleDir::ToAddr), ArgValue::SockAddr(a)) => {
            render_tuple(None, Some(&a), out)
        }
        (K::SockTuple(TupleDir::FromAddr), ArgValue::SockAddr(a)) => {
            render_tuple(Some(&a), None, out)
        }
        (K::SockTuple(TupleDir::ToAddr), ArgValue::Tuple(local, remote)) => {
            render_tuple(Some(&local), Some(&remote), out)
        }
        (K::SockTuple(TupleDir::FromAddr), ArgValue::Tuple(local, remote)) => {
            render_tuple(Some(&remote), Some(&local), out)
        }
        (_, ArgValue::Tuple(_, remote)) => remote.render(out),
        (_, ArgValue::Int(n)) => {
            let _ = write!(out, "{n}");
        }
        (_, ArgValue::UInt(n)) => {
            let _ = write!(out, "{n}");
        }
        (_, ArgValue::Bytes(b)) => push_lossy(b, out),
        (_, ArgValue::SockAddr(a)) => a.render(out),
    }
}

/// Render every known parameter of a SYSCALL event as `name=value` pairs
/// separated by spaces. Returns false (writing nothing) for an unknown syscall.
pub fn render_all(ev: &Event<'_>, out: &mut String) -> bool {
    let Some(ps) = params(ev.nr) else {
        return false;
    };
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(p.name);
        out.push('=');
        render(ev, p, out);
    }
    true
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

const ERRNOS: [&str; 134] = [
    "",
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// The Linux name of errno `e` (either sign: `-2` and `2` are ENOENT),
/// including the kernel-internal restart codes a syscall exit can show.
pub fn errno_name(e: i64) -> Option<&'static str> {
    let e = e.checked_abs()?;
    if let Some(&n) = usize::try_from(e).ok().and_then(|i| ERRNOS.get(i)) {
        return (!n.is_empty()).then_some(n);
    }
    Some(match e {
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        515 => "ENOIOCTLCMD",
        516 => "ERESTART_RESTARTBLOCK",
        517 => "EPROBE_DEFER",
        518 => "EOPENSTALE",
        524 => "ENOTSUPP",
        _ => return None,
    })
}

const SIGNALS: [&str; 32] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The name of signal `s` (1..=31).
pub fn signal_name(s: i64) -> Option<&'static str> {
    usize::try_from(s)
        .ok()
        .and_then(|i| SIGNALS.get(i))
        .copied()
        .filter(|n| !n.is_empty())
}

type Names = &'static [(u64, &'static str)];

const CLONE_FLAGS: Names = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
    (0x80000000, "CLONE_IO"),
    (0x100000000, "CLONE_CLEAR_SIGHAND"),
    (0x200000000, "CLONE_INTO_CGROUP"),
];
const NS_FLAGS: Names = &[
    (0x80, "CLONE_NEWTIME"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
];
const MOUNT_FLAGS: Names = &[
    (1, "MS_RDONLY"),
    (2, "MS_NOSUID"),
    (4, "MS_NODEV"),
    (8, "MS_NOEXEC"),
    (16, "MS_SYNCHRONOUS"),
    (32, "MS_REMOUNT"),
    (64, "MS_MANDLOCK"),
    (128, "MS_DIRSYNC"),
    (256, "MS_NOSYMFOLLOW"),
    (1024, "MS_NOATIME"),
    (2048, "MS_NODIRATIME"),
    (4096, "MS_BIND"),
    (8192, "MS_MOVE"),
    (16384, "MS_REC"),
    (32768, "MS_SILENT"),
    (1 << 16, "MS_POSIXACL"),
    (1 << 17, "MS_UNBINDABLE"),
    (1 << 18, "MS_PRIVATE"),
    (1 << 19, "MS_SLAVE"),
    (1 << 20, "MS_SHARED"),
    (1 << 21, "MS_RELATIME"),
    (1 << 22, "MS_KERNMOUNT"),
    (1 << 23, "MS_I_VERSION"),
    (1 << 24, "MS_STRICTATIME"),
    (1 << 25, "MS_LAZYTIME"),
];
const UMOUNT_FLAGS: Names = &[
    (1, "MNT_FORCE"),
    (2, "MNT_DETACH"),
    (4, "MNT_EXPIRE"),
    (8, "UMOUNT_NOFOLLOW"),
];
const AT_FLAGS: Names = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x2000, "AT_STATX_FORCE_SYNC"),
    (0x4000, "AT_STATX_DONT_SYNC"),
    (0x8000, "AT_RECURSIVE"),
];
const RENAME_FLAGS: Names = &[
    (1, "RENAME_NOREPLACE"),
    (2, "RENAME_EXCHANGE"),
    (4, "RENAME_WHITEOUT"),
];
const PROT_FLAGS: Names = &[
    (1, "PROT_READ"),
    (2, "PROT_WRITE"),
    (4, "PROT_EXEC"),
    (8, "PROT_SEM"),
    (0x01000000, "PROT_GROWSDOWN"),
    (0x02000000, "PROT_GROWSUP"),
];
const MMAP_FLAGS: Names = &[
    (3, "MAP_SHARED_VALIDATE"),
    (1, "MAP_SHARED"),
    (2, "MAP_PRIVATE"),
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];
const SOCK_FLAGS: Names = &[(0x800, "SOCK_NONBLOCK"), (0x80000, "SOCK_CLOEXEC")];
const MSG_FLAGS: Names = &[
    (1, "MSG_OOB"),
    (2, "MSG_PEEK"),
    (4, "MSG_DONTROUTE"),
    (8, "MSG_CTRUNC"),
    (0x10, "MSG_PROXY"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x200, "MSG_FIN"),
    (0x400, "MSG_SYN"),
    (0x800, "MSG_CONFIRM"),
    (0x1000, "MSG_RST"),
    (0x2000, "MSG_ERRQUEUE"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x10000, "MSG_WAITFORONE"),
    (0x40000, "MSG_BATCH"),
    (0x4000000, "MSG_ZEROCOPY"),
    (0x20000000, "MSG_FASTOPEN"),
    (0x40000000, "MSG_CMSG_CLOEXEC"),
];
/// libs' execve_flags names, in its order.
const EXE_FLAGS: Names = &[
    (1, "EXE_WRITABLE"),
    (2, "EXE_UPPER_LAYER"),
    (4, "EXE_FROM_MEMFD"),
    (8, "EXE_LOWER_LAYER"),
];
const MEMFD_FLAGS: Names = &[
    (1, "MFD_CLOEXEC"),
    (2, "MFD_ALLOW_SEALING"),
    (4, "MFD_HUGETLB"),
    (8, "MFD_NOEXEC_SEAL"),
    (0x10, "MFD_EXEC"),
];
const RESOLVE_FLAGS: Names = &[
    (1, "RESOLVE_NO_XDEV"),
    (2, "RESOLVE_NO_MAGICLINKS"),
    (4, "RESOLVE_NO_SYMLINKS"),
    (8, "RESOLVE_BENEATH"),
    (0x10, "RESOLVE_IN_ROOT"),
    (0x20, "RESOLVE_CACHED"),
];
const FUTEX_FLAGS: Names = &[(128, "FUTEX_PRIVATE_FLAG"), (256, "FUTEX_CLOCK_REALTIME")];

const SOCK_DOMAINS: Names = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (10, "AF_INET6"),
    (15, "AF_KEY"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (29, "AF_CAN"),
    (31, "AF_BLUETOOTH"),
    (38, "AF_ALG"),
    (40, "AF_VSOCK"),
    (44, "AF_XDP"),
];
const SOCK_TYPES: Names = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
];
const PTRACE_REQS: Names = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSR"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSR"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (18, "PTRACE_GETFPXREGS"),
    (19, "PTRACE_SETFPXREGS"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
    (0x420a, "PTRACE_GETSIGMASK"),
    (0x420b, "PTRACE_SETSIGMASK"),
    (0x420c, "PTRACE_SECCOMP_GET_FILTER"),
    (0x420e, "PTRACE_GET_SYSCALL_INFO"),
];
const PRCTL_OPTS: Names = &[
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (47, "PR_CAP_AMBIENT"),
];
const FCNTL_CMDS: Names = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
];
const WHENCES: Names = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];
const SHUTDOWN_HOWS: Names = &[(0, "SHUT_RD"), (1, "SHUT_WR"), (2, "SHUT_RDWR")];
const BPF_CMDS: Names = &[
    (0, "BPF_MAP_CREATE"),
    (1, "BPF_MAP_LOOKUP_ELEM"),
    (2, "BPF_MAP_UPDATE_ELEM"),
    (3, "BPF_MAP_DELETE_ELEM"),
    (4, "BPF_MAP_GET_NEXT_KEY"),
    (5, "BPF_PROG_LOAD"),
    (6, "BPF_OBJ_PIN"),
    (7, "BPF_OBJ_GET"),
    (8, "BPF_PROG_ATTACH"),
    (9, "BPF_PROG_DETACH"),
    (10, "BPF_PROG_TEST_RUN"),
    (11, "BPF_PROG_GET_NEXT_ID"),
    (12, "BPF_MAP_GET_NEXT_ID"),
    (13, "BPF_PROG_GET_FD_BY_ID"),
    (14, "BPF_MAP_GET_FD_BY_ID"),
    (15, "BPF_OBJ_GET_INFO_BY_FD"),
    (16, "BPF_PROG_QUERY"),
    (17, "BPF_RAW_TRACEPOINT_OPEN"),
    (18, "BPF_BTF_LOAD"),
    (19, "BPF_BTF_GET_FD_BY_ID"),
    (20, "BPF_TASK_FD_QUERY"),
    (21, "BPF_MAP_LOOKUP_AND_DELETE_ELEM"),
    (22, "BPF_MAP_FREEZE"),
    (23, "BPF_BTF_GET_NEXT_ID"),
    (24, "BPF_MAP_LOOKUP_BATCH"),
    (25, "BPF_MAP_LOOKUP_AND_DELETE_BATCH"),
    (26, "BPF_MAP_UPDATE_BATCH"),
    (27, "BPF_MAP_DELETE_BATCH"),
    (28, "BPF_LINK_CREATE"),
    (29, "BPF_LINK_UPDATE"),
    (30, "BPF_LINK_GET_FD_BY_ID"),
    (31, "BPF_LINK_GET_NEXT_ID"),
    (32, "BPF_ENABLE_STATS"),
    (33, "BPF_ITER_CREATE"),
    (34, "BPF_LINK_DETACH"),
    (35, "BPF_PROG_BIND_MAP"),
    (36, "BPF_TOKEN_CREATE"),
];
const CLOCKS: Names = &[
    (0, "CLOCK_REALTIME"),
    (1, "CLOCK_MONOTONIC"),
    (2, "CLOCK_PROCESS_CPUTIME_ID"),
    (3, "CLOCK_THREAD_CPUTIME_ID"),
    (4, "CLOCK_MONOTONIC_RAW"),
    (5, "CLOCK_REALTIME_COARSE"),
    (6, "CLOCK_MONOTONIC_COARSE"),
    (7, "CLOCK_BOOTTIME"),
    (8, "CLOCK_REALTIME_ALARM"),
    (9, "CLOCK_BOOTTIME_ALARM"),
    (11, "CLOCK_TAI"),
];
const EPOLL_OPS: Names = &[
    (1, "EPOLL_CTL_ADD"),
    (2, "EPOLL_CTL_DEL"),
    (3, "EPOLL_CTL_MOD"),
];
const FUTEX_CMDS: Names = &[
    (0, "FUTEX_WAIT"),
    (1, "FUTEX_WAKE"),
    (2, "FUTEX_FD"),
    (3, "FUTEX_REQUEUE"),
    (4, "FUTEX_CMP_REQUEUE"),
    (5, "FUTEX_WAKE_OP"),
    (6, "FUTEX_LOCK_PI"),
    (7, "FUTEX_UNLOCK_PI"),
    (8, "FUTEX_TRYLOCK_PI"),
    (9, "FUTEX_WAIT_BITSET"),
    (10, "FUTEX_WAKE_BITSET"),
    (11, "FUTEX_WAIT_REQUEUE_PI"),
    (12, "FUTEX_CMP_REQUEUE_PI"),
    (13, "FUTEX_LOCK_PI2"),
];

fn lookup(names: Names, v: u64) -> Option<&'static str> {
    names.iter().find(|&&(n, _)| n == v).map(|&(_, s)| s)
}

/// The name of value `v` of an enumeration.
pub fn enum_name(set: EnumSet, v: u64) -> Option<&'static str> {
    let names = match set {
        EnumSet::SockDomain => SOCK_DOMAINS,
        EnumSet::Ptrace => PTRACE_REQS,
        EnumSet::Prctl => PRCTL_OPTS,
        EnumSet::Fcntl => FCNTL_CMDS,
        EnumSet::Whence => WHENCES,
        EnumSet::Shutdown => SHUTDOWN_HOWS,
        EnumSet::Bpf => BPF_CMDS,
        EnumSet::Clock => CLOCKS,
        EnumSet::EpollOp => EPOLL_OPS,
    };
    lookup(names, v)
}

/// Write bit names from `names` present in `rem`, clearing them; bits left
/// over are written in hex. Multi-bit names come first in the tables so they
/// win over their parts.
fn push_bits(names: Names, mut rem: u64, first: &mut bool, out: &mut String) {
    let mut sep = |out: &mut String| {
        if !*first {
            out.push('|');
        }
        *first = false;
    };
    for &(bits, name) in names {
        if bits != 0 && rem & bits == bits {
            sep(out);
            out.push_str(name);
            rem &= !bits;
        }
    }
    if rem != 0 {
        sep(out);
        let _ = write!(out, "{rem:#x}");
    }
}

/// A value whose low bits (`mask`) are a code (socket type, futex command)
/// and whose other bits are flags: `SOCK_STREAM|SOCK_CLOEXEC`.
fn code_and_bits(v: u64, mask: u64, codes: Names, bits: Names, out: &mut String) {
    match lookup(codes, v & mask) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "{}", v & mask);
        }
    }
    let mut first = false;
    push_bits(bits, v & !mask, &mut first, out);
}

/// Write open(2) flags as sysdig does: `O_RDONLY|O_CLOEXEC`.
pub fn open_flags_str(flags: u64, out: &mut String) {
    flags_str(FlagSet::Open, flags, out)
}

/// Open flags as libsinsp prints them: only the flags the driver converts
/// (`open_flags_to_scap`: no O_NOCTTY, O_NOFOLLOW, O_NOATIME, O_PATH,
/// FASYNC), in the order of the driver's `file_flags` table (libs master
/// driver/flags_table.c, the same order as sysdig 0.29.3), the access mode
/// among them. O_SYNC and O_TMPFILE need all their bits (the driver tests
/// any bit, so that O_DSYNC alone or O_DIRECTORY would show them; captures
/// recorded by released drivers do not show that).
fn open_flags_libsinsp(v: u64, out: &mut String) {
    let acc = match v & O_ACCMODE {
        O_WRONLY => "O_WRONLY",
        O_RDWR => "O_RDWR",
        _ => "O_RDONLY",
    };
    let has = |bits: u64| v & bits == bits;
    let names = [
        (has(0o100000), "O_LARGEFILE"),
        (has(O_DIRECTORY), "O_DIRECTORY"),
        (has(0o40000), "O_DIRECT"),
        (has(O_TRUNC), "O_TRUNC"),
        (has(0o4010000), "O_SYNC"),
        (has(O_NONBLOCK), "O_NONBLOCK"),
        (has(O_EXCL), "O_EXCL"),
        (has(0o10000), "O_DSYNC"),
        (has(O_APPEND), "O_APPEND"),
        (has(O_CREAT), "O_CREAT"),
        (true, acc),
        (has(O_CLOEXEC), "O_CLOEXEC"),
        (has(O_TMPFILE), "O_TMPFILE"),
    ];
    let mut first = true;
    for (on, name) in names {
        if on {
            if !first {
                out.push('|');
            }
            out.push_str(name);
            first = false;
        }
    }
}

/// Write `v` as a `|`-separated list of the names of `set`. Zero renders as
/// the set's zero name (O_RDONLY, PROT_NONE) or `0`.
pub fn flags_str(set: FlagSet, v: u64, out: &mut String) {
    let mut first = true;
    match set {
        FlagSet::Open => return open_flags_libsinsp(v, out),
        FlagSet::SockType => return code_and_bits(v, 0xf, SOCK_TYPES, SOCK_FLAGS, out),
        FlagSet::Futex => return code_and_bits(v, 0x7f, FUTEX_CMDS, FUTEX_FLAGS, out),
        _ => {}
    }
    let (names, v) = match set {
        FlagSet::Clone => (CLONE_FLAGS, v & !0xff),
        FlagSet::Namespace => (NS_FLAGS, v),
        FlagSet::Mount => {
            // Old callers put the magic 0xC0ED in the high 16 bits.
            let v = if v & 0xffff_0000 == 0xc0ed_0000 {
                v & 0xffff
            } else {
                v
            };
            (MOUNT_FLAGS, v)
        }
        FlagSet::Umount => (UMOUNT_FLAGS, v),
        FlagSet::At => (AT_FLAGS, v),
        FlagSet::Rename => (RENAME_FLAGS, v),
        FlagSet::Prot => {
            if v == 0 {
                out.push_str("PROT_NONE");
                return;
            }
            (PROT_FLAGS, v)
        }
        FlagSet::Mmap => (MMAP_FLAGS, v),
        FlagSet::SockFlags => (SOCK_FLAGS, v),
        FlagSet::Msg => (MSG_FLAGS, v),
        FlagSet::Memfd => (MEMFD_FLAGS, v),
        FlagSet::Exe => (EXE_FLAGS, v),
        FlagSet::Resolve => (RESOLVE_FLAGS, v),
        FlagSet::Open | FlagSet::SockType | FlagSet::Futex => unreachable!("handled above"),
    };
    if v == 0 {
        out.push('0');
        return;
    }
    push_bits(names, v, &mut first, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysreplay_format::event::OwnedEvent;
    use sysreplay_format::record::{push_item, Kind, RecordHeader, ITEM_FAULT, ITEM_TRUNCATED};

    fn ev(name: &str, ret: i64, args: [u64; 6], items: &[(u8, u8, &[u8])]) -> OwnedEvent {
        let mut data = Vec::new();
        for &(t, f, b) in items {
            push_item(&mut data, t, f, b);
        }
        OwnedEvent {
            header: RecordHeader {
                ts_ns: 1000,
                tid: 42,
                pid: 42,
                kind: Kind::Syscall as u16,
                cpu: 0,
                nr: syscalls::number(name).unwrap(),
                data_len: data.len() as u16,
                ret,
                args,
            },
            data,
        }
    }

    fn all(e: &OwnedEvent) -> String {
        let mut s = String::new();
        assert!(render_all(&e.as_event(), &mut s));
        s
    }

    fn one(e: &OwnedEvent, name: &str) -> String {
        let ev = e.as_event();
        let p = find_param(ev.nr, name).unwrap();
        let mut s = String::new();
        render(&ev, p, &mut s);
        s
    }

    fn sin(ip: [u8; 4], port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        b[0..2].copy_from_slice(&AF_INET.to_le_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&ip);
        b
    }

    fn sin6(ip: Ipv6Addr, port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 28];
        b[0..2].copy_from_slice(&AF_INET6.to_le_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&ip.octets());
        b
    }

    const CWD: u64 = (-100i64) as u64;

    #[test]
    fn every_schema_names_a_real_syscall_once_and_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for (name, schema) in SCHEMAS {
            let nr = syscalls::number(name).unwrap_or_else(|| panic!("unknown syscall {name}"));
            assert!(seen.insert(nr), "{name} listed twice");
            assert_eq!(params(nr), Some(*schema));
            let mut names = std::collections::HashSet::new();
            for p in *schema {
                assert!(names.insert(p.name), "{name}: duplicate param {}", p.name);
                let wants_bytes = matches!(
                    p.kind,
                    K::Path
                        | K::Str
                        | K::Buffer
                        | K::Exe
                        | K::Args
                        | K::SockAddr
                        | K::SockTuple(_)
                        | K::RelTime
                );
                let gives_bytes = matches!(p.source, ArgSource::Item(_));
                assert_eq!(wants_bytes, gives_bytes, "{name}.{}", p.name);
                if let ArgSource::Arg(i) = p.source {
                    assert!(i < 6);
                }
            }
        }
        // The brief's list is covered.
        for s in [
            "execve",
            "clone3",
            "openat2",
            "connect",
            "accept4",
            "socketpair",
            "pipe2",
            "fchownat",
            "renameat2",
            "umount2",
            "ptrace",
            "setresgid",
            "capset",
            "prctl",
            "tgkill",
            "memfd_create",
            "bpf",
            "setns",
            "finit_module",
            "userfaultfd",
            "io_uring_setup",
            "exit_group",
            "clock_nanosleep",
            "newfstatat",
            "statx",
            "getdents64",
            "lseek",
            "epoll_wait",
            "futex",
            "select",
            "poll",
        ] {
            assert!(params(syscalls::number(s).unwrap()).is_some(), "{s}");
        }
        assert!(params(syscalls::number("brk").unwrap()).is_none());
        assert!(params(u16::MAX).is_none());
    }

    #[test]
    fn openat_renders_like_sysdig() {
        let e = ev(
            "openat",
            3,
            [CWD, 0x1000, 0o2000000, 0, 0, 0],
            &[(1, 0, b"/etc/passwd\0")],
        );
        assert_eq!(
            all(&e),
            "fd=3 dirfd=-100(AT_FDCWD) name=/etc/passwd flags=O_RDONLY|O_CLOEXEC mode=0"
        );
        let ev_ = e.as_event();
        assert_eq!(arg_by_name(&ev_, "name"), ArgValue::Bytes(b"/etc/passwd"));
        assert_eq!(arg_by_name(&ev_, "dirfd"), ArgValue::Int(-100));
        let oi = open_info(&ev_).unwrap();
        assert!(oi.is_read() && !oi.is_write() && !oi.is_exec());

        let e = ev(
            "openat",
            -2,
            [CWD, 0, O_WRONLY | O_CREAT | O_TRUNC, 0o644, 0, 0],
            &[(1, 0, b"/tmp/x\0")],
        );
        assert_eq!(one(&e, "fd"), "-2(ENOENT)");
        // libsinsp's order, as sysdig shows write_tmp_test.scap's open.
        assert_eq!(one(&e, "flags"), "O_TRUNC|O_CREAT|O_WRONLY");
        assert_eq!(one(&e, "mode"), "0644");
        let oi = open_info(&e.as_event()).unwrap();
        assert!(!oi.is_read() && oi.is_write() && !oi.is_exec());

        // Created executable: is_open_exec.
        let e = ev(
            "open",
            4,
            [0, O_RDWR | O_CREAT, 0o755, 0, 0, 0],
            &[(0, 0, b"/tmp/payload\0")],
        );
        let oi = open_info(&e.as_event()).unwrap();
        assert!(oi.is_read() && oi.is_write() && oi.is_exec());
        assert_eq!(
            all(&e),
            "fd=4 name=/tmp/payload flags=O_CREAT|O_RDWR mode=0755"
        );

        // creat is O_CREAT|O_WRONLY|O_TRUNC.
        let e = ev("creat", 5, [0, 0o700, 0, 0, 0, 0], &[(0, 0, b"/tmp/y\0")]);
        let oi = open_info(&e.as_event()).unwrap();
        assert!(oi.is_write() && oi.is_exec() && !oi.is_read());
        assert!(open_info(&ev("close", 0, [3, 0, 0, 0, 0, 0], &[]).as_event()).is_none());
    }

    #[test]
    fn open_flags_strings() {
        let f = |v: u64| {
            let mut s = String::new();
            open_flags_str(v, &mut s);
            s
        };
        assert_eq!(f(0), "O_RDONLY");
        // libsinsp's order (driver file_flags table), as sysdig prints
        // write_tmp_test.scap's open: O_TRUNC|O_CREAT|O_WRONLY.
        assert_eq!(f(O_WRONLY | O_CREAT | O_TRUNC), "O_TRUNC|O_CREAT|O_WRONLY");
        assert_eq!(
            f(O_RDWR | O_APPEND | O_NONBLOCK),
            "O_NONBLOCK|O_APPEND|O_RDWR"
        );
        // O_SYNC includes O_DSYNC's bit; O_TMPFILE includes O_DIRECTORY's.
        assert_eq!(f(O_WRONLY | 0o4010000), "O_SYNC|O_DSYNC|O_WRONLY");
        assert_eq!(f(O_WRONLY | 0o10000), "O_DSYNC|O_WRONLY");
        assert_eq!(f(O_RDWR | O_TMPFILE), "O_DIRECTORY|O_RDWR|O_TMPFILE");
        assert_eq!(
            f(O_DIRECTORY | O_NONBLOCK | O_CLOEXEC),
            "O_DIRECTORY|O_NONBLOCK|O_RDONLY|O_CLOEXEC"
        );
        // Flags the driver does not convert are not shown (libsinsp).
        assert_eq!(f(O_RDWR | 0o400), "O_RDWR"); // O_NOCTTY
        assert_eq!(f(O_PATH), "O_RDONLY");
        assert_eq!(f(1 << 40), "O_RDONLY");
        assert!(is_open_exec(O_TMPFILE | O_RDWR, 0o700));
        assert!(!is_open_exec(O_RDWR, 0o777));
    }

    #[test]
    fn errno_and_signal_names() {
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(13), Some("EACCES"));
        assert_eq!(errno_name(-115), Some("EINPROGRESS"));
        assert_eq!(errno_name(-133), Some("EHWPOISON"));
        assert_eq!(errno_name(-512), Some("ERESTARTSYS"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-41), None);
        assert_eq!(errno_name(-4000), None);
        assert_eq!(errno_name(i64::MIN), None);
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(-1), None);
        let e = ev("kill", 0, [1234, 9, 0, 0, 0, 0], &[]);
        assert_eq!(all(&e), "res=0 pid=1234 sig=9(SIGKILL)");
        let e = ev("kill", -3, [(-1i64) as u64, 15, 0, 0, 0, 0], &[]);
        assert_eq!(all(&e), "res=-3(ESRCH) pid=-1 sig=15(SIGTERM)");
    }

    #[test]
    fn connect_tuple_and_addr() {
        let e = ev(
            "connect",
            0,
            [5, 0, 16, 0, 0, 0],
            &[(1, 0, &sin([127, 0, 0, 1], 8080))],
        );
        assert_eq!(
            all(&e),
            "res=0 tuple=0.0.0.0:0->127.0.0.1:8080 fd=5 addr=127.0.0.1:8080"
        );
        let a = arg_by_name(&e.as_event(), "addr");
        let ArgValue::SockAddr(sa) = a else {
            panic!("{a:?}")
        };
        assert_eq!(sa.ipv4(), Some([127, 0, 0, 1]));
        assert_eq!(sa.port(), Some(8080));
        assert_eq!(sa.family(), AF_INET);

        // A full tuple with a local end known from fd state.
        let lb = sin([127, 0, 0, 1], 43210);
        let local = parse_sockaddr(&lb).unwrap();
        let mut s = String::new();
        render_tuple(Some(&local), Some(&sa), &mut s);
        assert_eq!(s, "127.0.0.1:43210->127.0.0.1:8080");

        let e = ev(
            "connect",
            -115,
            [6, 0, 28, 0, 0, 0],
            &[(1, 0, &sin6(Ipv6Addr::LOCALHOST, 443))],
        );
        assert_eq!(
            all(&e),
            "res=-115(EINPROGRESS) tuple=:::0->::1:443 fd=6 addr=::1:443"
        );

        // The recorder's LOCAL_ADDR item fills in the socket's own end.
        let e = ev(
            "connect",
            0,
            [6, 0, 16, 0, 0, 0],
            &[
                (1, 0, &sin([93, 184, 216, 34], 443)),
                (tag::LOCAL_ADDR, 0, &sin([10, 0, 0, 5], 40312)),
            ],
        );
        assert_eq!(
            all(&e),
            "res=0 tuple=10.0.0.5:40312->93.184.216.34:443 fd=6 addr=93.184.216.34:443"
        );
        let e = ev(
            "accept4",
            7,
            [3, 0, 0, 0, 0, 0],
            &[
                (tag::RESULT_ADDR, 0, &sin([10, 0, 0, 9], 51234)),
                (tag::LOCAL_ADDR, 0, &sin([10, 0, 0, 5], 22)),
            ],
        );
        assert_eq!(
            all(&e),
            "fd=7 tuple=10.0.0.9:51234->10.0.0.5:22 sockfd=3 flags=0"
        );
    }

    #[test]
    fn accept_peer_is_tuple_source() {
        let e = ev(
            "accept4",
            7,
            [3, 0, 0, 0x80800, 0, 0],
            &[(tag::RESULT_ADDR, 0, &sin([10, 0, 0, 9], 51234))],
        );
        assert_eq!(
            all(&e),
            "fd=7 tuple=10.0.0.9:51234->0.0.0.0:0 sockfd=3 flags=SOCK_NONBLOCK|SOCK_CLOEXEC"
        );
        let pb = sin([10, 0, 0, 9], 51234);
        let lb = sin([10, 0, 0, 5], 22);
        let peer = parse_sockaddr(&pb).unwrap();
        let local = parse_sockaddr(&lb).unwrap();
        let mut s = String::new();
        render_tuple(Some(&peer), Some(&local), &mut s);
        assert_eq!(s, "10.0.0.9:51234->10.0.0.5:22");
    }

    #[test]
    fn unix_sockaddrs() {
        let mut b = AF_UNIX.to_le_bytes().to_vec();
        b.extend_from_slice(b"/run/docker.sock\0\0\0\0");
        assert_eq!(
            parse_sockaddr(&b),
            Some(SockAddr::Unix(b"/run/docker.sock"))
        );
        let e = ev("connect", 0, [4, 0, 0, 0, 0, 0], &[(1, 0, &b)]);
        assert_eq!(
            all(&e),
            "res=0 tuple=/run/docker.sock fd=4 addr=/run/docker.sock"
        );
        let mut a = AF_UNIX.to_le_bytes().to_vec();
        a.extend_from_slice(b"\0dbus-abc\0\0");
        let e = ev("bind", 0, [4, 0, 0, 0, 0, 0], &[(1, 0, &a)]);
        assert_eq!(one(&e, "addr"), "@dbus-abc");
        // Unnamed unix socket, and no NUL at all.
        assert_eq!(
            parse_sockaddr(&AF_UNIX.to_le_bytes()),
            Some(SockAddr::Unix(b""))
        );
        let mut c = AF_UNIX.to_le_bytes().to_vec();
        c.extend_from_slice(b"/tmp/s");
        assert_eq!(parse_sockaddr(&c), Some(SockAddr::Unix(b"/tmp/s")));
        // An abstract name stops at its next NUL, '@' first, as the drivers
        // write it (and as fd.name shows it).
        let mut abs = AF_UNIX.to_le_bytes().to_vec();
        abs.extend_from_slice(b"\0foo\0bar");
        let a = parse_sockaddr(&abs).unwrap();
        let mut out = String::new();
        a.render(&mut out);
        assert_eq!(out, "@foo");
        assert_eq!(&*unix_name(b"/run/x.sock\0junk"), b"/run/x.sock");
        let nl = 16u16.to_le_bytes();
        assert_eq!(parse_sockaddr(&nl), Some(SockAddr::Other(16)));
    }

    #[test]
    fn malformed_items_are_missing_not_panics() {
        // Short sockaddrs.
        assert_eq!(parse_sockaddr(&[]), None);
        assert_eq!(parse_sockaddr(&[2]), None);
        assert_eq!(parse_sockaddr(&sin([1, 2, 3, 4], 1)[..7]), None);
        assert_eq!(parse_sockaddr(&sin6(Ipv6Addr::LOCALHOST, 1)[..23]), None);
        let e = ev("connect", 0, [5, 0, 0, 0, 0, 0], &[(1, 0, &[2, 0, 0])]);
        assert_eq!(arg_by_name(&e.as_event(), "addr"), ArgValue::Missing);
        assert_eq!(one(&e, "tuple"), "<NA>");
        // Missing item.
        let e = ev("openat", 3, [CWD, 0, 0, 0, 0, 0], &[]);
        assert_eq!(one(&e, "name"), "<NA>");
        // Faulted item: its bytes are not a value.
        let e = ev("openat", -14, [CWD, 0, 0, 0, 0, 0], &[(1, ITEM_FAULT, b"")]);
        assert_eq!(arg_by_name(&e.as_event(), "name"), ArgValue::Missing);
        assert_eq!(one(&e, "fd"), "-14(EFAULT)");
        // Truncated path without NUL: taken whole.
        let e = ev(
            "openat",
            3,
            [CWD, 0, 0, 0, 0, 0],
            &[(1, ITEM_TRUNCATED, b"/very/long/pa")],
        );
        assert_eq!(one(&e, "name"), "/very/long/pa");
        // Invalid UTF-8 renders lossily.
        let e = ev("unlink", 0, [0; 6], &[(0, 0, b"/tmp/\xff\xfe\0")]);
        assert_eq!(one(&e, "path"), "/tmp/\u{fffd}\u{fffd}");
        // Short FDS item.
        let e = ev("pipe", 0, [0; 6], &[(tag::FDS, 0, &[3, 0, 0, 0, 4])]);
        assert_eq!(all(&e), "res=0 fd1=3 fd2=<NA>");
        // Every schema against junk items of every length never panics.
        let mut x = 0x9e3779b97f4a7c15u64;
        let mut out = String::new();
        for &(name, _) in SCHEMAS {
            for len in 0..40usize {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                let items: Vec<(u8, u8, &[u8])> = [0, 1, 2, 3, 4, 5, 16, 23, 24]
                    .iter()
                    .map(|&t| (t, (x & 3) as u8, &bytes[..]))
                    .collect();
                let e = ev(name, x as i64, [x; 6], &items);
                out.clear();
                render_all(&e.as_event(), &mut out);
            }
        }
    }

    #[test]
    fn pipes_and_socketpair_fds() {
        let mut fds = Vec::new();
        fds.extend_from_slice(&3i32.to_le_bytes());
        fds.extend_from_slice(&4i32.to_le_bytes());
        let e = ev(
            "pipe2",
            0,
            [0, O_CLOEXEC, 0, 0, 0, 0],
            &[(tag::FDS, 0, &fds)],
        );
        assert_eq!(all(&e), "res=0 fd1=3 fd2=4 flags=O_RDONLY|O_CLOEXEC");
        let ev_ = e.as_event();
        assert_eq!(arg_by_name(&ev_, "fd2"), ArgValue::Int(4));
        let e = ev(
            "socketpair",
            0,
            [1, 0x80001, 0, 0, 0, 0],
            &[(tag::FDS, 0, &fds)],
        );
        assert_eq!(
            all(&e),
            "res=0 fd1=3 fd2=4 domain=AF_UNIX type=SOCK_STREAM|SOCK_CLOEXEC proto=0"
        );
    }

    #[test]
    fn execve_exe_and_args() {
        let e = ev(
            "execve",
            0,
            [0; 6],
            &[
                (0, 0, b"/usr/bin/cat\0"),
                (tag::ARGV, 0, b"cat\0/etc/shadow\0-n\0"),
            ],
        );
        assert_eq!(
            all(&e),
            "res=0 exe=cat args=/etc/shadow -n filename=/usr/bin/cat"
        );
        assert_eq!(
            arg_by_name(&e.as_event(), "args"),
            ArgValue::Bytes(b"/etc/shadow\0-n")
        );
        let e = ev("execve", -2, [0; 6], &[(tag::ARGV, 0, b"ls")]);
        assert_eq!(all(&e), "res=-2(ENOENT) exe=ls args= filename=<NA>");
        let e = ev(
            "execveat",
            0,
            [3, 0, 0, 0, 0x1000, 0],
            &[(1, 0, b"\0"), (tag::ARGV, 0, b"x\0")],
        );
        assert_eq!(
            all(&e),
            "res=0 exe=x args= dirfd=3 pathname= flags=AT_EMPTY_PATH"
        );
    }

    #[test]
    fn clone_flags_and_namespaces() {
        // glibc fork(): CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
        let e = ev("clone", 1235, [0x1200011, 0, 0, 0, 0, 0], &[]);
        assert_eq!(
            all(&e),
            "res=1235 flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID"
        );
        let mut ca = vec![0u8; 88];
        ca[0..8].copy_from_slice(&(0x10000u64 | 0x100 | 0x800).to_le_bytes());
        let e = ev("clone3", 0, [0, 88, 0, 0, 0, 0], &[(0, 0, &ca)]);
        assert_eq!(all(&e), "res=0 flags=CLONE_VM|CLONE_SIGHAND|CLONE_THREAD");
        let e = ev(
            "unshare",
            0,
            [0x10000000 | 0x20000 | 0x80, 0, 0, 0, 0, 0],
            &[],
        );
        assert_eq!(
            all(&e),
            "res=0 flags=CLONE_NEWTIME|CLONE_NEWNS|CLONE_NEWUSER"
        );
        let e = ev("setns", -1, [5, 0x40000000, 0, 0, 0, 0], &[]);
        assert_eq!(all(&e), "res=-1(EPERM) fd=5 nstype=CLONE_NEWNET");
    }

    #[test]
    fn mount_ptrace_prctl_capset() {
        let e = ev(
            "mount",
            0,
            [0, 0, 0, 0xc0ed_0000 | 4096 | 16384, 0, 0],
            &[(0, 0, b"/dev/sda1\0"), (1, 0, b"/mnt\0"), (2, 0, b"ext4\0")],
        );
        assert_eq!(
            all(&e),
            "res=0 dev=/dev/sda1 dir=/mnt type=ext4 flags=MS_BIND|MS_REC"
        );
        let e = ev("umount2", 0, [0, 2, 0, 0, 0, 0], &[(0, 0, b"/mnt\0")]);
        assert_eq!(all(&e), "res=0 name=/mnt flags=MNT_DETACH");
        let e = ev("ptrace", 0, [16, 4321, 0, 0, 0, 0], &[]);
        assert_eq!(
            all(&e),
            "res=0 request=PTRACE_ATTACH pid=4321 addr=0x0 data=0x0"
        );
        let e = ev("ptrace", 0, [4, 4321, 0x7f00, 0x90, 0, 0], &[]);
        assert_eq!(one(&e, "request"), "PTRACE_POKETEXT");
        let e = ev(
            "prctl",
            0,
            [15, 0x7ff0, 0, 0, 0, 0],
            &[(1, 0, b"kworker\0")],
        );
        assert_eq!(
            all(&e),
            "res=0 option=PR_SET_NAME arg2_str=kworker arg2_int=32752"
        );
        let mut caps = Vec::new();
        for v in [0x1u32, 0x3, 0x0, 0x10, 0x30, 0x0] {
            caps.extend_from_slice(&v.to_le_bytes());
        }
        let e = ev("capset", 0, [0, 0, 0, 0, 0, 0], &[(1, 0, &caps)]);
        assert_eq!(
            all(&e),
            "res=0 cap_inheritable=0x0 cap_permitted=0x3000000003 cap_effective=0x1000000001"
        );
        // A v1 capset with one triple: 32-bit sets.
        let e = ev("capset", 0, [0; 6], &[(1, 0, &caps[..12])]);
        assert_eq!(one(&e, "cap_effective"), "0x1");
    }

    #[test]
    fn openat2_reads_open_how() {
        let mut how = Vec::new();
        how.extend_from_slice(&(O_WRONLY | O_CREAT).to_le_bytes());
        how.extend_from_slice(&0o600u64.to_le_bytes());
        how.extend_from_slice(&8u64.to_le_bytes());
        let e = ev(
            "openat2",
            9,
            [CWD, 0, 0, 24, 0, 0],
            &[(1, 0, b"/var/log/x.log\0"), (2, 0, &how)],
        );
        assert_eq!(
            all(&e),
            "fd=9 dirfd=-100(AT_FDCWD) name=/var/log/x.log flags=O_CREAT|O_WRONLY mode=0600 resolve=RESOLVE_BENEATH"
        );
        assert_eq!(
            open_info(&e.as_event()),
            Some(OpenInfo {
                flags: O_WRONLY | O_CREAT,
                mode: 0o600
            })
        );
        // Short open_how: flags/mode missing, no panic.
        let e = ev("openat2", 9, [CWD, 0, 0, 24, 0, 0], &[(2, 0, &how[..10])]);
        assert_eq!(one(&e, "mode"), "<NA>");
        assert!(open_info(&e.as_event()).is_some());
    }

    #[test]
    fn printable_replaces_control_characters_only() {
        assert!(matches!(
            printable("plain é ü"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("a\nb\rc\td\u{1b}[31me\u{7f}f\u{85}g é"),
            "a.b.c.d.[31me.f.g é"
        );
    }

    #[test]
    fn io_mmap_and_misc() {
        let e = ev("read", 5, [3, 0, 4096, 0, 0, 0], &[(1, 0, b"root:\x00x\n")]);
        // Non-printable bytes, newlines included, show as '.': one event, one line.
        assert_eq!(all(&e), "res=5 fd=3 size=4096 data=root:.x.");
        let e = ev(
            "sendto",
            3,
            [4, 0, 3, 0x4000, 0, 16],
            &[(1, 0, b"GET"), (4, 0, &sin([10, 1, 2, 3], 53))],
        );
        assert_eq!(
            all(&e),
            "res=3 fd=4 size=3 data=GET tuple=0.0.0.0:0->10.1.2.3:53 flags=MSG_NOSIGNAL"
        );
        let e = ev(
            "recvfrom",
            -11,
            [4, 0, 512, 0x40, 0, 0],
            &[(tag::RESULT_ADDR, 0, &sin([10, 1, 2, 3], 53))],
        );
        assert_eq!(
            all(&e),
            "res=-11(EAGAIN) fd=4 size=512 data=<NA> tuple=10.1.2.3:53->0.0.0.0:0 flags=MSG_DONTWAIT"
        );
        let e = ev(
            "mmap",
            0x7f12_3456_0000,
            [0, 8192, 5, 0x22, (-1i64) as u64, 0],
            &[],
        );
        assert_eq!(
            all(&e),
            "res=0x7f1234560000 addr=0x0 length=8192 prot=PROT_READ|PROT_EXEC flags=MAP_PRIVATE|MAP_ANONYMOUS fd=-1 offset=0"
        );
        let e = ev("mmap", -12, [0, 8192, 0, 0x22, 0, 0], &[]);
        assert_eq!(one(&e, "res"), "-12(ENOMEM)");
        assert_eq!(one(&e, "prot"), "PROT_NONE");
        let mut ts = Vec::new();
        ts.extend_from_slice(&1i64.to_le_bytes());
        ts.extend_from_slice(&500i64.to_le_bytes());
        let e = ev("nanosleep", 0, [0; 6], &[(0, 0, &ts)]);
        assert_eq!(all(&e), "res=0 interval=1000000500ns");
        let e = ev("futex", 0, [0x7f00, 128, 1, 0, 0, 0], &[]);
        assert_eq!(one(&e, "op"), "FUTEX_WAIT|FUTEX_PRIVATE_FLAG");
        let e = ev("lseek", 100, [3, 100, 0, 0, 0, 0], &[]);
        assert_eq!(all(&e), "res=100 fd=3 offset=100 whence=SEEK_SET");
        let e = ev(
            "setresuid",
            0,
            [(-1i64) as u64, 0, 0xffff_ffff, 0, 0, 0],
            &[],
        );
        assert_eq!(all(&e), "res=0 ruid=4294967295 euid=0 suid=4294967295");
        let e = ev("socket", 3, [2, 2, 17, 0, 0, 0], &[]);
        assert_eq!(all(&e), "fd=3 domain=AF_INET type=SOCK_DGRAM proto=17");
        let e = ev(
            "unlinkat",
            0,
            [CWD, 0, 0x200, 0, 0, 0],
            &[(1, 0, b"/tmp/d\0")],
        );
        assert_eq!(
            all(&e),
            "res=0 dirfd=-100(AT_FDCWD) name=/tmp/d flags=AT_REMOVEDIR"
        );
        let e = ev(
            "symlinkat",
            0,
            [0, 7, 0, 0, 0, 0],
            &[(0, 0, b"/etc/shadow\0"), (2, 0, b"s\0")],
        );
        assert_eq!(all(&e), "res=0 target=/etc/shadow linkdirfd=7 linkpath=s");
        let e = ev("getpid", 42, [0; 6], &[]);
        assert_eq!(all(&e), "res=42");
        let e = ev("exit_group", 0, [1, 0, 0, 0, 0, 0], &[]);
        assert_eq!(all(&e), "status=1");
        let e = ev("fcntl", 0, [3, 1030, 10, 0, 0, 0], &[]);
        assert_eq!(all(&e), "res=0 fd=3 cmd=F_DUPFD_CLOEXEC arg=10");
        let mut p = Vec::new();
        for v in [4096u32, 8192, 0x2, 0, 0, 0x1fff] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        let e = ev("io_uring_setup", 5, [4096, 0, 0, 0, 0, 0], &[(1, 0, &p)]);
        assert_eq!(
            all(&e),
            "fd=5 entries=4096 sq_entries=4096 cq_entries=8192 flags=2 sq_thread_cpu=0 sq_thread_idle=0 features=8191"
        );
        assert!(!render_all(
            &ev("brk", 0, [0; 6], &[]).as_event(),
            &mut String::new()
        ));
    }
}
