//! Fields: names, types, argument forms, and extraction from an event plus
//! the state engine. Extraction borrows from the event, the state, or a
//! caller-provided scratch buffer, so the common case allocates nothing.

mod container;
mod evt;
mod fd;
mod proc;
mod user;

use crate::FastMap;
use std::fmt::Write as _;

use sysreplay_format::record::{exe_flags, Kind};
use sysreplay_format::Event;
use sysreplay_syscalls::decode;

use crate::sc;
use crate::state::{fmt_ip, is_v4_mapped, Fd, State, Thread};

/// Value types (decide operators and how the right-hand side is parsed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FType {
    Str,
    Int,
    Bool,
    Ip,
    /// An address compared against networks (`fd.net`).
    IpNet,
    Buf,
}

impl FType {
    pub fn name(self) -> &'static str {
        match self {
            FType::Str => "string",
            FType::Int => "number",
            FType::Bool => "bool",
            FType::Ip => "ipaddr",
            FType::IpNet => "ipnet",
            FType::Buf => "buffer",
        }
    }
}

/// An extracted value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val<'a> {
    Str(&'a [u8]),
    Int(i64),
    Bool(bool),
    Ip([u8; 16]),
}

impl Val<'_> {
    /// Render for outputs.
    pub fn render(&self, out: &mut String) {
        match self {
            Val::Str(b) => out.push_str(&String::from_utf8_lossy(b)),
            Val::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Ip(ip) => fmt_ip(ip, out),
        }
    }
}

/// Field identity (without its argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum F {
    // evt
    EvtType,
    EvtNum,
    EvtTime,
    EvtTimeS,
    EvtTimeIso,
    EvtDatetime,
    EvtRawtime,
    EvtRawtimeS,
    EvtRawtimeNs,
    EvtDir,
    EvtCpu,
    EvtRes,
    EvtRawres,
    EvtFailed,
    EvtArgs,
    EvtArg,
    EvtRawarg,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    EvtIsOpenExec,
    EvtBuffer,
    EvtBuflen,
    EvtHostname,
    EvtSource,
    EvtIsIo,
    EvtCategory,
    // proc
    ProcName,
    ProcExe,
    ProcExepath,
    ProcCmdline,
    ProcArgs,
    ProcPid,
    ProcPpid,
    ProcVpid,
    ProcPvpid,
    ProcTty,
    ProcCwd,
    ProcEnv,
    ProcPname,
    ProcPcmdline,
    ProcPexe,
    ProcPexepath,
    ProcAname,
    ProcAexe,
    ProcAexepath,
    ProcApid,
    ProcAcmdline,
    ProcSname,
    ProcSid,
    ProcVpgid,
    ProcIsVpgidLeader,
    ProcIsSidLeader,
    ProcDuration,
    ProcStartTs,
    ProcIsExeUpperLayer,
    ProcIsExeFromMemfd,
    ProcIsExeWritable,
    ProcExeIno,
    ProcExeInoCtime,
    ProcExeInoMtime,
    ProcExeInoCtimeDurationProcStart,
    ProcNthreads,
    // thread
    ThreadTid,
    ThreadVtid,
    ThreadCapEffective,
    ThreadCapPermitted,
    ThreadCapInheritable,
    ThreadIsmain,
    // user / group
    UserUid,
    UserName,
    UserLoginuid,
    UserLoginname,
    UserHomedir,
    UserShell,
    GroupGid,
    GroupName,
    // fd
    FdNum,
    FdName,
    FdNameraw,
    FdType,
    FdTypechar,
    FdDirectory,
    FdFilename,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdL4proto,
    FdSockfamily,
    FdIsServer,
    FdConnected,
    FdNameChanged,
    FdNet,
    FdCnet,
    FdSnet,
    FdLnet,
    FdRnet,
    FdIno,
    FdDnsName,
    // container / k8s
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerImageId,
    ContainerImageRepo,
    ContainerImageTag,
    ContainerImageDigest,
    ContainerType,
    ContainerPrivileged,
    ContainerMounts,
    ContainerMount,
    ContainerMountSource,
    ContainerMountDest,
    ContainerMountMode,
    ContainerMountRdwr,
    ContainerMountPropagation,
    /// A container/k8s field with no value offline.
    Offline,
}

/// Field classes, one module each (as libsinsp's filter checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Evt,
    Proc,
    User,
    Fd,
    Container,
}

impl F {
    /// The class whose module extracts this field.
    pub fn class(self) -> Class {
        match self {
            F::EvtArg
            | F::EvtArgs
            | F::EvtBuffer
            | F::EvtBuflen
            | F::EvtCategory
            | F::EvtCpu
            | F::EvtDatetime
            | F::EvtDir
            | F::EvtFailed
            | F::EvtHostname
            | F::EvtIsIo
            | F::EvtIsOpenExec
            | F::EvtIsOpenRead
            | F::EvtIsOpenWrite
            | F::EvtNum
            | F::EvtRawarg
            | F::EvtRawres
            | F::EvtRawtime
            | F::EvtRawtimeNs
            | F::EvtRawtimeS
            | F::EvtRes
            | F::EvtSource
            | F::EvtTime
            | F::EvtTimeIso
            | F::EvtTimeS
            | F::EvtType => Class::Evt,
            F::ProcAcmdline
            | F::ProcAexe
            | F::ProcAexepath
            | F::ProcAname
            | F::ProcApid
            | F::ProcArgs
            | F::ProcCmdline
            | F::ProcCwd
            | F::ProcDuration
            | F::ProcEnv
            | F::ProcExe
            | F::ProcExeIno
            | F::ProcExeInoCtime
            | F::ProcExeInoCtimeDurationProcStart
            | F::ProcExeInoMtime
            | F::ProcExepath
            | F::ProcIsExeFromMemfd
            | F::ProcIsExeUpperLayer
            | F::ProcIsExeWritable
            | F::ProcIsSidLeader
            | F::ProcIsVpgidLeader
            | F::ProcName
            | F::ProcNthreads
            | F::ProcPcmdline
            | F::ProcPexe
            | F::ProcPexepath
            | F::ProcPid
            | F::ProcPname
            | F::ProcPpid
            | F::ProcPvpid
            | F::ProcSid
            | F::ProcSname
            | F::ProcStartTs
            | F::ProcTty
            | F::ProcVpgid
            | F::ProcVpid
            | F::ThreadCapEffective
            | F::ThreadCapInheritable
            | F::ThreadCapPermitted
            | F::ThreadIsmain
            | F::ThreadTid
            | F::ThreadVtid => Class::Proc,
            F::GroupGid
            | F::GroupName
            | F::UserHomedir
            | F::UserLoginname
            | F::UserLoginuid
            | F::UserName
            | F::UserShell
            | F::UserUid => Class::User,
            F::FdCip
            | F::FdCnet
            | F::FdConnected
            | F::FdCport
            | F::FdDirectory
            | F::FdDnsName
            | F::FdFilename
            | F::FdIno
            | F::FdIp
            | F::FdIsServer
            | F::FdL4proto
            | F::FdLip
            | F::FdLnet
            | F::FdLport
            | F::FdName
            | F::FdNameChanged
            | F::FdNameraw
            | F::FdNet
            | F::FdNum
            | F::FdPort
            | F::FdRip
            | F::FdRnet
            | F::FdRport
            | F::FdSip
            | F::FdSnet
            | F::FdSockfamily
            | F::FdSport
            | F::FdType
            | F::FdTypechar => Class::Fd,
            F::ContainerId
            | F::ContainerName
            | F::ContainerImage
            | F::ContainerImageId
            | F::ContainerImageRepo
            | F::ContainerImageTag
            | F::ContainerImageDigest
            | F::ContainerType
            | F::ContainerPrivileged
            | F::ContainerMounts
            | F::ContainerMount
            | F::ContainerMountSource
            | F::ContainerMountDest
            | F::ContainerMountMode
            | F::ContainerMountRdwr
            | F::ContainerMountPropagation
            | F::Offline => Class::Container,
        }
    }
}

/// A field argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FArg {
    None,
    Index(usize),
    Name(String),
}

/// A resolved field reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub f: F,
    pub arg: FArg,
    pub ty: FType,
    /// The name as written (for outputs and reports), with its argument.
    pub display: String,
    /// For evt.arg/evt.rawarg by name: the parameter name.
    pub multi: bool,
}

/// Whether a field needs or accepts an argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgSpec {
    No,
    /// `[N]` optional (no arg = any ancestor).
    IndexOpt,
    /// `.name` or `[name]`/`[N]` required (evt.arg).
    NameOrIndexReq,
    /// `[name]` optional (proc.env).
    NameOpt,
    /// `[N]` or `[PATH GLOB]` required (container.mount*).
    IndexOrGlobReq,
}

/// Every field with a value from a trace: name, extractor, type, argument
/// and the description `sysreplay fields` prints (one source).
const FIELDS: &[(&str, F, FType, ArgSpec, &str)] = &[
    ("evt.type", F::EvtType, FType::Str, ArgSpec::No, "Event type (syscall name, or procexit)"),
    ("syscall.type", F::EvtType, FType::Str, ArgSpec::No, "Syscall name (same as evt.type for syscall events)"),
    ("evt.num", F::EvtNum, FType::Int, ArgSpec::No, "Event number in the trace, from 1"),
    ("evt.time", F::EvtTime, FType::Str, ArgSpec::No, "Event time, HH:MM:SS.nnnnnnnnn (UTC)"),
    ("evt.time.s", F::EvtTimeS, FType::Str, ArgSpec::No, "Event time, HH:MM:SS (UTC)"),
    ("evt.time.iso8601", F::EvtTimeIso, FType::Str, ArgSpec::No, "Event time, ISO 8601 with nanoseconds (UTC)"),
    ("evt.datetime", F::EvtDatetime, FType::Str, ArgSpec::No, "Event date and time, YYYY-MM-DD HH:MM:SS.nnnnnnnnn (UTC)"),
    ("evt.datetime.s", F::EvtDatetime, FType::Str, ArgSpec::No, "Event date and time, YYYY-MM-DD HH:MM:SS (UTC)"),
    ("evt.rawtime", F::EvtRawtime, FType::Int, ArgSpec::No, "Event time, nanoseconds since the epoch"),
    ("evt.rawtime.s", F::EvtRawtimeS, FType::Int, ArgSpec::No, "Integer seconds part of evt.rawtime"),
    ("evt.rawtime.ns", F::EvtRawtimeNs, FType::Int, ArgSpec::No, "Nanoseconds part of evt.rawtime"),
    ("evt.dir", F::EvtDir, FType::Str, ArgSpec::No, "Event direction: < (exit; sysreplay records exit events)"),
    ("evt.cpu", F::EvtCpu, FType::Int, ArgSpec::No, "CPU the event happened on"),
    ("evt.res", F::EvtRes, FType::Str, ArgSpec::No, "Result as text: SUCCESS or the errno name"),
    ("evt.rawres", F::EvtRawres, FType::Int, ArgSpec::No, "Result as a number (negative errno on failure)"),
    ("evt.failed", F::EvtFailed, FType::Bool, ArgSpec::No, "True for a failed syscall"),
    ("evt.args", F::EvtArgs, FType::Str, ArgSpec::No, "All arguments as one name=value string"),
    ("evt.arg", F::EvtArg, FType::Str, ArgSpec::NameOrIndexReq, "One argument by name or index (evt.arg.name, evt.arg[name], evt.arg[0]), as text"),
    ("evt.rawarg", F::EvtRawarg, FType::Str, ArgSpec::NameOrIndexReq, "One argument by name or index, raw value"),
    ("evt.is_open_read", F::EvtIsOpenRead, FType::Bool, ArgSpec::No, "For open syscalls: opened for reading"),
    ("evt.is_open_write", F::EvtIsOpenWrite, FType::Bool, ArgSpec::No, "For open syscalls: opened for writing"),
    ("evt.is_open_exec", F::EvtIsOpenExec, FType::Bool, ArgSpec::No, "For open syscalls: created with an executable mode"),
    ("evt.buffer", F::EvtBuffer, FType::Buf, ArgSpec::No, "Data buffer of read/write/send/recv (the first --snaplen bytes)"),
    ("evt.buflen", F::EvtBuflen, FType::Int, ArgSpec::No, "Length of the data buffer the syscall passed"),
    ("evt.hostname", F::EvtHostname, FType::Str, ArgSpec::No, "Host name of the recording machine"),
    ("evt.source", F::EvtSource, FType::Str, ArgSpec::No, "Event source (syscall)"),
    ("evt.is_io", F::EvtIsIo, FType::Bool, ArgSpec::No, "True for I/O syscalls (read, write, send, recv, ...)"),
    ("evt.category", F::EvtCategory, FType::Str, ArgSpec::No, "Event category (file, net, process, ...)"),
    ("proc.name", F::ProcName, FType::Str, ArgSpec::No, "Process name (comm, or executable base name)"),
    ("proc.exe", F::ProcExe, FType::Str, ArgSpec::No, "First argument of the command line (argv[0])"),
    ("proc.exepath", F::ProcExepath, FType::Str, ArgSpec::No, "Full path of the executable"),
    ("proc.cmdline", F::ProcCmdline, FType::Str, ArgSpec::No, "Name and arguments, space-separated"),
    ("proc.args", F::ProcArgs, FType::Str, ArgSpec::No, "Arguments, space-separated"),
    ("proc.pid", F::ProcPid, FType::Int, ArgSpec::No, "Process id"),
    ("proc.ppid", F::ProcPpid, FType::Int, ArgSpec::No, "Parent process id"),
    ("proc.vpid", F::ProcVpid, FType::Int, ArgSpec::No, "Process id in its pid namespace"),
    ("proc.pvpid", F::ProcPvpid, FType::Int, ArgSpec::No, "Parent process id in its pid namespace"),
    ("proc.tty", F::ProcTty, FType::Int, ArgSpec::No, "Controlling terminal (device number)"),
    ("proc.cwd", F::ProcCwd, FType::Str, ArgSpec::No, "Current working directory"),
    ("proc.env", F::ProcEnv, FType::Str, ArgSpec::NameOpt, "Environment (all, or proc.env[NAME]); only with record --capture-env"),
    ("proc.pname", F::ProcPname, FType::Str, ArgSpec::No, "Parent process name"),
    ("proc.pcmdline", F::ProcPcmdline, FType::Str, ArgSpec::No, "Parent command line"),
    ("proc.pexe", F::ProcPexe, FType::Str, ArgSpec::No, "Parent argv[0]"),
    ("proc.pexepath", F::ProcPexepath, FType::Str, ArgSpec::No, "Parent executable path"),
    ("proc.aname", F::ProcAname, FType::Str, ArgSpec::IndexOpt, "Ancestor name: proc.aname[N] is the Nth ancestor (1 = parent); without N, any ancestor"),
    ("proc.aexe", F::ProcAexe, FType::Str, ArgSpec::IndexOpt, "Ancestor argv[0] (index as proc.aname)"),
    ("proc.aexepath", F::ProcAexepath, FType::Str, ArgSpec::IndexOpt, "Ancestor executable path (index as proc.aname)"),
    ("proc.apid", F::ProcApid, FType::Int, ArgSpec::IndexOpt, "Ancestor pid (index as proc.aname)"),
    ("proc.acmdline", F::ProcAcmdline, FType::Str, ArgSpec::IndexOpt, "Ancestor command line (index as proc.aname)"),
    ("proc.sname", F::ProcSname, FType::Str, ArgSpec::No, "Name of the session leader"),
    ("proc.sid", F::ProcSid, FType::Int, ArgSpec::No, "Session id"),
    ("proc.vpgid", F::ProcVpgid, FType::Int, ArgSpec::No, "Process group id in its pid namespace"),
    ("proc.is_vpgid_leader", F::ProcIsVpgidLeader, FType::Bool, ArgSpec::No, "True if the process leads its process group"),
    ("proc.is_sid_leader", F::ProcIsSidLeader, FType::Bool, ArgSpec::No, "True if the process leads its session"),
    ("proc.duration", F::ProcDuration, FType::Int, ArgSpec::No, "Nanoseconds since the process started"),
    ("proc.start_ts", F::ProcStartTs, FType::Int, ArgSpec::No, "Process start time, nanoseconds since the epoch"),
    ("proc.is_exe_upper_layer", F::ProcIsExeUpperLayer, FType::Bool, ArgSpec::No, "Executable on an overlayfs upper layer"),
    ("proc.is_exe_from_memfd", F::ProcIsExeFromMemfd, FType::Bool, ArgSpec::No, "Executable is a memfd"),
    ("proc.is_exe_writable", F::ProcIsExeWritable, FType::Bool, ArgSpec::No, "Executable writable by the process"),
    ("proc.exe_ino", F::ProcExeIno, FType::Int, ArgSpec::No, "Inode of the executable (not recorded)"),
    ("proc.exe_ino.ctime", F::ProcExeInoCtime, FType::Int, ArgSpec::No, "ctime of the executable's inode (not recorded)"),
    ("proc.exe_ino.mtime", F::ProcExeInoMtime, FType::Int, ArgSpec::No, "mtime of the executable's inode (not recorded)"),
    ("proc.exe_ino.ctime_duration_proc_start", F::ProcExeInoCtimeDurationProcStart, FType::Int, ArgSpec::No, "Nanoseconds from the executable's ctime to process start (not recorded)"),
    ("proc.nthreads", F::ProcNthreads, FType::Int, ArgSpec::No, "Number of threads of the process"),
    ("thread.tid", F::ThreadTid, FType::Int, ArgSpec::No, "Thread id"),
    ("thread.vtid", F::ThreadVtid, FType::Int, ArgSpec::No, "Thread id in its pid namespace"),
    ("thread.cap_effective", F::ThreadCapEffective, FType::Str, ArgSpec::No, "Effective capabilities"),
    ("thread.cap_permitted", F::ThreadCapPermitted, FType::Str, ArgSpec::No, "Permitted capabilities"),
    ("thread.cap_inheritable", F::ThreadCapInheritable, FType::Str, ArgSpec::No, "Inheritable capabilities"),
    ("thread.ismain", F::ThreadIsmain, FType::Bool, ArgSpec::No, "True for the main thread of the process"),
    ("user.uid", F::UserUid, FType::Int, ArgSpec::No, "User id"),
    ("user.name", F::UserName, FType::Str, ArgSpec::No, "User name (from the trace's user table)"),
    ("user.loginuid", F::UserLoginuid, FType::Int, ArgSpec::No, "Login (audit) user id; -1 if none"),
    ("user.loginname", F::UserLoginname, FType::Str, ArgSpec::No, "Login user name"),
    ("user.homedir", F::UserHomedir, FType::Str, ArgSpec::No, "Home directory of the user"),
    ("user.shell", F::UserShell, FType::Str, ArgSpec::No, "Shell of the user"),
    ("group.gid", F::GroupGid, FType::Int, ArgSpec::No, "Group id"),
    ("group.name", F::GroupName, FType::Str, ArgSpec::No, "Group name (from the trace's group table)"),
    ("fd.num", F::FdNum, FType::Int, ArgSpec::No, "File descriptor number"),
    ("fd.name", F::FdName, FType::Str, ArgSpec::No, "Full name of the fd: path, connection tuple, ..."),
    ("fd.nameraw", F::FdNameraw, FType::Str, ArgSpec::No, "Name of the fd as the syscall gave it (unresolved)"),
    ("fd.type", F::FdType, FType::Str, ArgSpec::No, "fd type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, memfd, ..."),
    ("fd.typechar", F::FdTypechar, FType::Str, ArgSpec::No, "fd type as one character (f, 4, 6, u, p, ...)"),
    ("fd.directory", F::FdDirectory, FType::Str, ArgSpec::No, "Directory of a file fd"),
    ("fd.filename", F::FdFilename, FType::Str, ArgSpec::No, "Base name of a file fd"),
    ("fd.ip", F::FdIp, FType::Ip, ArgSpec::No, "Either IP of a connection (matches client or server)"),
    ("fd.cip", F::FdCip, FType::Ip, ArgSpec::No, "Client IP"),
    ("fd.sip", F::FdSip, FType::Ip, ArgSpec::No, "Server IP"),
    ("fd.lip", F::FdLip, FType::Ip, ArgSpec::No, "Local IP"),
    ("fd.rip", F::FdRip, FType::Ip, ArgSpec::No, "Remote IP"),
    ("fd.port", F::FdPort, FType::Int, ArgSpec::No, "Either port of a connection"),
    ("fd.cport", F::FdCport, FType::Int, ArgSpec::No, "Client port"),
    ("fd.sport", F::FdSport, FType::Int, ArgSpec::No, "Server port"),
    ("fd.lport", F::FdLport, FType::Int, ArgSpec::No, "Local port"),
    ("fd.rport", F::FdRport, FType::Int, ArgSpec::No, "Remote port"),
    ("fd.l4proto", F::FdL4proto, FType::Str, ArgSpec::No, "Layer 4 protocol: tcp, udp, icmp, raw"),
    ("fd.sockfamily", F::FdSockfamily, FType::Str, ArgSpec::No, "Socket family: ip or unix"),
    ("fd.is_server", F::FdIsServer, FType::Bool, ArgSpec::No, "True if the process is the server end"),
    ("fd.connected", F::FdConnected, FType::Bool, ArgSpec::No, "True if the socket is connected"),
    ("fd.name_changed", F::FdNameChanged, FType::Bool, ArgSpec::No, "True when the event changed the fd's name"),
    ("fd.net", F::FdNet, FType::IpNet, ArgSpec::No, "Either IP, for CIDR comparisons (fd.net=10.0.0.0/8)"),
    ("fd.cnet", F::FdCnet, FType::IpNet, ArgSpec::No, "Client IP, for CIDR comparisons"),
    ("fd.snet", F::FdSnet, FType::IpNet, ArgSpec::No, "Server IP, for CIDR comparisons"),
    ("fd.lnet", F::FdLnet, FType::IpNet, ArgSpec::No, "Local IP, for CIDR comparisons"),
    ("fd.rnet", F::FdRnet, FType::IpNet, ArgSpec::No, "Remote IP, for CIDR comparisons"),
    ("fd.ino", F::FdIno, FType::Int, ArgSpec::No, "Inode of a file fd"),
    ("fd.cip.name", F::FdDnsName, FType::Str, ArgSpec::No, "DNS name of the client IP (not recorded)"),
    ("fd.sip.name", F::FdDnsName, FType::Str, ArgSpec::No, "DNS name of the server IP (not recorded)"),
    ("fd.lip.name", F::FdDnsName, FType::Str, ArgSpec::No, "DNS name of the local IP (not recorded)"),
    ("fd.rip.name", F::FdDnsName, FType::Str, ArgSpec::No, "DNS name of the remote IP (not recorded)"),
    ("container.id", F::ContainerId, FType::Str, ArgSpec::No, "Container id, from the cgroup path; host outside containers"),
    ("container.name", F::ContainerName, FType::Str, ArgSpec::No, "Container name (host outside containers); from the trace's container records (imported captures)"),
    ("container.image", F::ContainerImage, FType::Str, ArgSpec::No, "Container image name; from the trace's container records"),
    ("container.image.id", F::ContainerImageId, FType::Str, ArgSpec::No, "Container image id; from the trace's container records"),
    ("container.image.repository", F::ContainerImageRepo, FType::Str, ArgSpec::No, "Container image repository; from the trace's container records"),
    ("container.image.tag", F::ContainerImageTag, FType::Str, ArgSpec::No, "Container image tag; from the trace's container records"),
    ("container.image.digest", F::ContainerImageDigest, FType::Str, ArgSpec::No, "Container image registry digest; from the trace's container records"),
    ("container.type", F::ContainerType, FType::Str, ArgSpec::No, "Container runtime: docker, cri, containerd, ... (host outside containers); from the trace's container records"),
    ("container.privileged", F::ContainerPrivileged, FType::Bool, ArgSpec::No, "Whether the container is privileged (docker and podman); from the trace's container records"),
    ("container.mounts", F::ContainerMounts, FType::Str, ArgSpec::No, "The container's mounts, comma-separated <source>:<dest>:<mode>:<rdwr>:<propagation>; from the trace's container records"),
    ("container.mount", F::ContainerMount, FType::Str, ArgSpec::IndexOrGlobReq, "One mount, by index or by a glob of its source"),
    ("container.mount.source", F::ContainerMountSource, FType::Str, ArgSpec::IndexOrGlobReq, "A mount's source, by index or by a glob of its destination"),
    ("container.mount.dest", F::ContainerMountDest, FType::Str, ArgSpec::IndexOrGlobReq, "A mount's destination, by index or by a glob of its source"),
    ("container.mount.mode", F::ContainerMountMode, FType::Str, ArgSpec::IndexOrGlobReq, "A mount's mode, by index or by a glob of its source"),
    ("container.mount.rdwr", F::ContainerMountRdwr, FType::Str, ArgSpec::IndexOrGlobReq, "A mount's read/write flag (true/false), by index or by a glob of its source"),
    ("container.mount.propagation", F::ContainerMountPropagation, FType::Str, ArgSpec::IndexOrGlobReq, "A mount's propagation, by index or by a glob of its source"),
];

/// Container and k8s fields that exist but have no value offline (the
/// container plugin / k8s metadata are not recorded).
pub const OFFLINE_FIELDS: &[(&str, FType)] = &[
    ("container.full_id", FType::Str),
    ("container.ip", FType::Str),
    ("container.cni.json", FType::Str),
    ("container.start_ts", FType::Int),
    ("container.duration", FType::Int),
    ("container.healthcheck", FType::Str),
    ("container.liveness_probe", FType::Str),
    ("container.readiness_probe", FType::Str),
    ("container.host_pid", FType::Bool),
    ("container.host_network", FType::Bool),
    ("container.host_ipc", FType::Bool),
    ("container.label", FType::Str),
    ("container.labels", FType::Str),
    ("container.info", FType::Str),
    ("k8s.ns.name", FType::Str),
    ("k8s.pod.name", FType::Str),
    ("k8s.pod.id", FType::Str),
    ("k8s.pod.uid", FType::Str),
    ("k8s.pod.sandbox_id", FType::Str),
    ("k8s.pod.full_sandbox_id", FType::Str),
    ("k8s.pod.label", FType::Str),
    ("k8s.pod.labels", FType::Str),
    ("k8s.pod.ip", FType::Str),
    ("k8s.pod.cni.json", FType::Str),
    ("k8s.rc.name", FType::Str),
    ("k8s.rs.name", FType::Str),
    ("k8s.svc.name", FType::Str),
    ("k8s.deployment.name", FType::Str),
    ("k8s.ns.label", FType::Str),
];

/// Whether a field (display name, with or without its argument) takes its
/// value from the trace's container records: imported captures have them
/// (the capture's container events), recordings do not.
pub fn from_container_records(display: &str) -> bool {
    let name = display.split('[').next().unwrap_or("");
    FIELDS
        .iter()
        .any(|&(n, f, ..)| n == name && f.class() == Class::Container && f != F::ContainerId)
}

/// One field of [`list`]: what `sysreplay fields` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDoc {
    pub name: &'static str,
    pub ty: &'static str,
    /// How it takes an argument: "", "[N]", "[NAME]", ".NAME|[NAME]|[N]".
    pub arg: &'static str,
    pub desc: &'static str,
    /// Whether a trace gives it a value (container/k8s metadata, DNS
    /// names and executable inode data are not recorded).
    pub has_value_offline: bool,
}

fn type_name(t: FType) -> &'static str {
    match t {
        FType::Str => "string",
        FType::Int => "number",
        FType::Bool => "bool",
        FType::Ip => "ipaddr",
        FType::IpNet => "ipnet",
        FType::Buf => "bytebuf",
    }
}

/// Every field the rule language knows, in table order: those with a
/// value from a trace, then those that exist in Falco but have none
/// offline.
pub fn list() -> Vec<FieldDoc> {
    let mut v: Vec<FieldDoc> = FIELDS
        .iter()
        .map(|&(name, _, ty, spec, desc)| FieldDoc {
            name,
            ty: type_name(ty),
            arg: match spec {
                ArgSpec::No => "",
                ArgSpec::IndexOpt => "[N]",
                ArgSpec::NameOpt => "[NAME]",
                ArgSpec::NameOrIndexReq => ".NAME|[NAME]|[N]",
                ArgSpec::IndexOrGlobReq => "[N]|[GLOB]",
            },
            desc,
            has_value_offline: !crate::engine::field_is_offline(name),
        })
        .collect();
    v.extend(OFFLINE_FIELDS.iter().map(|&(name, ty)| FieldDoc {
        name,
        ty: type_name(ty),
        arg: "",
        desc: if name.starts_with("k8s.") {
            "Kubernetes metadata (not recorded)"
        } else {
            "Container metadata from the container runtime (not recorded)"
        },
        has_value_offline: false,
    }));
    v
}

/// Resolve a field name and argument. Errors read like libsinsp's.
#[derive(Clone, Copy)]
enum Known {
    Offline(usize),
    Field(usize),
}

/// Name -> first entry of OFFLINE_FIELDS, else of FIELDS (the order the
/// linear scans had). Loading Falco's rules looks up ~900 fields; scanning
/// the tables cost ~3% of evaluating a tiny trace.
fn field_index() -> &'static FastMap<&'static str, Known> {
    static INDEX: std::sync::OnceLock<FastMap<&'static str, Known>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = FastMap::with_capacity_and_hasher(
            OFFLINE_FIELDS.len() + FIELDS.len(),
            Default::default(),
        );
        for (i, (n, _)) in OFFLINE_FIELDS.iter().enumerate() {
            m.entry(*n).or_insert(Known::Offline(i));
        }
        for (i, (n, ..)) in FIELDS.iter().enumerate() {
            m.entry(*n).or_insert(Known::Field(i));
        }
        m
    })
}

/// Whether `name` is one of [`OFFLINE_FIELDS`] (by the index, not a scan:
/// loading Falco's rules asks this of each field of every rule).
pub fn is_offline_field(name: &str) -> bool {
    matches!(field_index().get(name), Some(Known::Offline(_)))
}

pub fn lookup(name: &str, arg: Option<&str>) -> Result<Field, String> {
    // evt.arg.NAME / evt.rawarg.NAME
    for (pfx, f) in [("evt.arg.", F::EvtArg), ("evt.rawarg.", F::EvtRawarg)] {
        if let Some(p) = name.strip_prefix(pfx) {
            if arg.is_some() {
                return Err(format!("filter field '{name}' does not take an argument"));
            }
            let ty = if f == F::EvtRawarg && rawarg_is_numeric(p) {
                FType::Int
            } else {
                FType::Str
            };
            return Ok(Field {
                f,
                arg: FArg::Name(p.to_string()),
                ty,
                display: name.to_string(),
                multi: false,
            });
        }
    }
    let display = match arg {
        Some(a) => format!("{name}[{a}]"),
        None => name.to_string(),
    };
    let found = field_index().get(name).copied();
    if let Some(Known::Offline(i)) = found {
        let (_, ty) = OFFLINE_FIELDS[i];
        return Ok(Field {
            f: F::Offline,
            arg: arg.map(|a| FArg::Name(a.to_string())).unwrap_or(FArg::None),
            ty,
            display,
            multi: false,
        });
    }
    let Some(Known::Field(i)) = found else {
        let names = (OFFLINE_FIELDS.iter().map(|f| f.0)).chain(FIELDS.iter().map(|f| f.0));
        return Err(match crate::suggest::closest(name, names) {
            Some(n) => format!("filter contains an unknown field '{name}' (did you mean '{n}'?)"),
            None => format!("filter contains an unknown field '{name}'"),
        });
    };
    let (_, f, ty, spec, _) = FIELDS[i];
    let arg = match (spec, arg) {
        (ArgSpec::No, Some(_)) => {
            return Err(format!("filter field '{name}' does not take an argument"))
        }
        (ArgSpec::No, None) => FArg::None,
        (ArgSpec::NameOrIndexReq | ArgSpec::IndexOrGlobReq, None) => {
            return Err(format!("filter field '{name}' requires an argument"))
        }
        (ArgSpec::IndexOpt, None) => FArg::None,
        (ArgSpec::IndexOpt, Some(a)) => match a.parse::<usize>() {
            Ok(n) => FArg::Index(n),
            Err(_) => {
                return Err(format!(
                    "filter field '{name}': argument '{a}' is not a number"
                ))
            }
        },
        (ArgSpec::NameOrIndexReq | ArgSpec::IndexOrGlobReq, Some(a)) => match a.parse::<usize>() {
            Ok(n) => FArg::Index(n),
            Err(_) => FArg::Name(a.to_string()),
        },
        (ArgSpec::NameOpt, a) => a.map(|a| FArg::Name(a.to_string())).unwrap_or(FArg::None),
    };
    let multi = matches!(
        (f, &arg),
        (
            F::ProcAname | F::ProcAexe | F::ProcAexepath | F::ProcApid | F::ProcAcmdline,
            FArg::None
        ) | (F::FdIp | F::FdPort | F::FdNet, _)
    );
    Ok(Field {
        f,
        arg,
        ty,
        display,
        multi,
    })
}

/// Whether a parameter name is numeric in the syscall schemas (so that
/// `evt.rawarg.<name>` compares numbers).
fn rawarg_is_numeric(name: &str) -> bool {
    use decode::ParamKind as K;
    let mut numeric = false;
    for sc in decode::known_syscalls() {
        let Some(nr) = sysreplay_syscalls::number(sc) else {
            continue;
        };
        if let Some(p) = decode::find_param(nr, name) {
            match p.kind {
                K::Path | K::Str | K::Buffer | K::Exe | K::Args | K::SockAddr | K::SockTuple(_) => {
                    return false
                }
                _ => numeric = true,
            }
        }
    }
    numeric
}

/// Static trace information fields need.
#[derive(Clone, Debug, Default)]
pub struct TraceInfo {
    pub hostname: String,
    pub boot_to_wall_ns: i64,
}

/// Everything a field may read for one event.
pub struct Ctx<'a> {
    pub ev: &'a Event<'a>,
    pub state: &'a State,
    pub thread: Option<&'a Thread>,
    pub fd: Option<&'a Fd>,
    pub info: &'a TraceInfo,
    pub evt_num: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(ev: &'a Event<'a>, state: &'a State, info: &'a TraceInfo, evt_num: u64) -> Ctx<'a> {
        let thread = state.thread(ev.tid);
        // (pipe/pipe2: the second new fd, libs master add_pipe)
        let fd = if ev.is_syscall() {
            state.event_fd(ev.pid)
        } else {
            None
        };
        Ctx {
            ev,
            state,
            thread,
            fd,
            info,
            evt_num,
        }
    }
    pub fn wall_ns(&self) -> i64 {
        (self.ev.ts_ns as i64).wrapping_add(self.info.boot_to_wall_ns)
    }
}

/// The event-type name of an event ("" for internal records).
pub fn event_type_name(ev: &Event) -> &'static str {
    match Kind::from_u16(ev.kind) {
        Some(Kind::Syscall) => sc::slot_name(ev.nr as usize),
        Some(Kind::ProcExit) => "procexit",
        _ => "",
    }
}

/// The event-type slot of an event, if rules can see it.
pub fn event_slot(ev: &Event) -> Option<usize> {
    match Kind::from_u16(ev.kind) {
        Some(Kind::Syscall) if (ev.nr as usize) < sc::SLOT_PROCEXIT => Some(ev.nr as usize),
        Some(Kind::ProcExit) => Some(sc::SLOT_PROCEXIT),
        _ => None,
    }
}

const CAP_NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Render a capability mask as Falco does: names joined by spaces.
pub fn caps_str(mask: u64, out: &mut String) {
    let mut first = true;
    for (i, n) in CAP_NAMES.iter().enumerate() {
        if mask & (1 << i) != 0 {
            if !first {
                out.push(' ');
            }
            out.push_str(n);
            first = false;
        }
    }
}

/// chmod mode bits with Falco's flag names.
fn chmod_mode_str(mode: u64, out: &mut String) {
    const M: &[(u64, &str)] = &[
        (0o1, "S_IXOTH"),
        (0o2, "S_IWOTH"),
        (0o4, "S_IROTH"),
        (0o10, "S_IXGRP"),
        (0o20, "S_IWGRP"),
        (0o40, "S_IRGRP"),
        (0o100, "S_IXUSR"),
        (0o200, "S_IWUSR"),
        (0o400, "S_IRUSR"),
        (0o1000, "S_ISVTX"),
        (0o2000, "S_ISGID"),
        (0o4000, "S_ISUID"),
    ];
    let mut first = true;
    for (b, n) in M {
        if mode & b != 0 {
            if !first {
                out.push('|');
            }
            out.push_str(n);
            first = false;
        }
    }
}

fn thread_str(t: &Thread, f: F) -> &str {
    match f {
        F::ProcName | F::ProcAname | F::ProcPname => &t.comm,
        F::ProcExe | F::ProcAexe | F::ProcPexe => &t.exe,
        F::ProcExepath | F::ProcAexepath | F::ProcPexepath => &t.exepath,
        F::ProcCmdline | F::ProcAcmdline | F::ProcPcmdline => &t.cmdline,
        _ => "",
    }
}

fn dirname(p: &str) -> &str {
    // memchr's search, not str::rfind's byte loop: fd.directory is asked
    // on every open by the stable rules
    match memchr::memrchr(b'/', p.as_bytes()) {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => "",
    }
}

fn is_file_like(fd: &Fd) -> bool {
    matches!(
        fd.fd_type,
        sysreplay_format::FdType::File | sysreplay_format::FdType::Directory
    )
}

/// `(client ip, client port, server ip, server port, local ip, local port, remote ip, remote port)`
fn sock_parts(fd: &Fd) -> Option<&crate::state::Sock> {
    fd.sock.as_deref()
}

/// A string value (every class's extractor uses it).
fn s(x: &str) -> Option<Val<'_>> {
    Some(Val::Str(x.as_bytes()))
}

impl Field {
    /// Extract value number `n` (0 for single-valued fields; multi-valued
    /// fields yield values for n = 0, 1, ... until None). One extractor per
    /// class, all of the same signature (like libsinsp's filter checks).
    pub fn extract<'a>(&'a self, cx: &Ctx<'a>, n: usize, buf: &'a mut String) -> Option<Val<'a>> {
        if n > 0 && !self.multi {
            return None;
        }
        match self.f.class() {
            Class::Evt => evt::extract(self, cx, n, buf),
            Class::Proc => proc::extract(self, cx, n, buf),
            Class::User => user::extract(self, cx, n, buf),
            Class::Fd => fd::extract(self, cx, n, buf),
            Class::Container => container::extract(self, cx, n, buf),
        }
    }
}

/// Value `n` of an "either end" field (fd.ip, fd.net, fd.port): libs
/// master's compare_ip/compare_port/compare_net test the client and the
/// server end as stored, an unknown (zero) one included, so `fd.port <=
/// 1024` holds for a datagram socket whose own end is 0.0.0.0:0; a server
/// socket with no peer has its one end (`srv`).
fn either_end(
    n: usize,
    c: ([u8; 16], u16),
    s: ([u8; 16], u16),
    srv: bool,
) -> Option<([u8; 16], u16)> {
    match (n, srv) {
        (0, true) => Some(s),
        (0, false) => Some(c),
        (1, false) => Some(s),
        _ => None,
    }
}

/// Is `ip` (v4-mapped or v6) inside `net/prefix`.
pub fn ip_in_net(ip: &[u8; 16], net: &[u8; 16], prefix: u8) -> bool {
    let bits = prefix as usize;
    for i in 0..16 {
        let rem = bits.saturating_sub(i * 8);
        if rem == 0 {
            return true;
        }
        let mask: u8 = if rem >= 8 { 0xff } else { 0xffu8 << (8 - rem) };
        if ip[i] & mask != net[i] & mask {
            return false;
        }
    }
    true
}

/// Parse an IP address into v4-mapped form.
pub fn parse_ip(s: &str) -> Option<[u8; 16]> {
    let a: std::net::IpAddr = s.trim().parse().ok()?;
    Some(match a {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(v6) => v6.octets(),
    })
}

/// Parse `a.b.c.d/n`, `v6/n` or a bare address into (net, prefix over 128 bits).
pub fn parse_net(s: &str) -> Option<([u8; 16], u8)> {
    let (addr, pfx) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip = parse_ip(addr)?;
    let v4 = is_v4_mapped(&ip) && addr.contains('.');
    let prefix = match (pfx, v4) {
        (Some(p), true) if p <= 32 => p + 96,
        (Some(p), false) if p <= 128 => p,
        (None, true) => 128,
        (None, false) => 128,
        _ => return None,
    };
    Some((ip, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_what_the_table_scans_found() {
        // the first entry of each name, offline fields before the others
        for (i, (n, _)) in OFFLINE_FIELDS.iter().enumerate() {
            let first = OFFLINE_FIELDS.iter().position(|(m, _)| m == n).unwrap();
            assert_eq!(first, i, "{n} twice in OFFLINE_FIELDS");
            assert!(
                matches!(field_index()[n], Known::Offline(j) if j == i),
                "{n}"
            );
            assert!(is_offline_field(n), "{n}");
        }
        assert!(!is_offline_field("container.nosuch"));
        for (i, (n, f, ..)) in FIELDS.iter().enumerate() {
            if OFFLINE_FIELDS.iter().any(|(m, _)| m == n) {
                assert!(matches!(field_index()[n], Known::Offline(_)), "{n}");
                continue;
            }
            let first = FIELDS.iter().position(|(m, ..)| m == n).unwrap();
            assert!(
                matches!(field_index()[n], Known::Field(j) if j == first),
                "{n}"
            );
            assert!(!is_offline_field(n), "{n}");
            if first == i {
                let arg = match FIELDS[i].3 {
                    ArgSpec::NameOrIndexReq | ArgSpec::IndexOrGlobReq => Some("1"),
                    _ => None,
                };
                let got = lookup(n, arg).unwrap_or_else(|e| panic!("{n}: {e}"));
                assert_eq!(got.f, *f, "{n}");
            }
        }
    }

    #[test]
    fn lookup_fields_and_args() {
        assert_eq!(lookup("proc.name", None).unwrap().f, F::ProcName);
        let a = lookup("proc.aname", Some("2")).unwrap();
        assert_eq!(a.arg, FArg::Index(2));
        assert!(!a.multi);
        assert!(lookup("proc.aname", None).unwrap().multi);
        assert!(lookup("proc.aname", Some("x")).is_err());
        assert!(lookup("proc.name", Some("1")).is_err());
        assert!(lookup("proc.nosuch", None).is_err());
        let e = lookup("evt.arg.path", None).unwrap();
        assert_eq!(e.arg, FArg::Name("path".into()));
        assert_eq!(lookup("evt.arg", Some("0")).unwrap().arg, FArg::Index(0));
        assert!(lookup("evt.arg", None).is_err());
        let m = lookup("container.mount.dest", Some("/etc*")).unwrap();
        assert_eq!(m.f, F::ContainerMountDest);
        assert_eq!(m.arg, FArg::Name("/etc*".into()));
        assert_eq!(m.display, "container.mount.dest[/etc*]");
        assert_eq!(
            lookup("container.mount", Some("1")).unwrap().arg,
            FArg::Index(1)
        );
        assert!(lookup("container.mount.dest", None).is_err());
        assert_eq!(lookup("container.ip", None).unwrap().f, F::Offline);
    }

    #[test]
    fn nets() {
        let (n, p) = parse_net("10.0.0.0/8").unwrap();
        assert_eq!(p, 104);
        assert!(ip_in_net(&parse_ip("10.2.3.4").unwrap(), &n, p));
        assert!(!ip_in_net(&parse_ip("11.2.3.4").unwrap(), &n, p));
        let (n6, p6) = parse_net("fe80::/10").unwrap();
        assert!(ip_in_net(&parse_ip("fe80::1").unwrap(), &n6, p6));
        assert!(parse_net("1.2.3.4/40").is_none());
    }

    #[test]
    fn caps_and_time() {
        let mut s = String::new();
        caps_str((1 << 21) | 1, &mut s);
        assert_eq!(s, "CAP_CHOWN CAP_SYS_ADMIN");
        let iso = sysreplay_format::timefmt::iso8601_ns;
        assert_eq!(iso(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            iso(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456789Z"
        );
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;

    #[test]
    fn an_unknown_field_gets_the_closest_known_one() {
        let e = lookup("fd.nme", None).unwrap_err();
        assert_eq!(
            e,
            "filter contains an unknown field 'fd.nme' (did you mean 'fd.name'?)"
        );
        let e = lookup("zz.nothing.like.it", None).unwrap_err();
        assert_eq!(e, "filter contains an unknown field 'zz.nothing.like.it'");
    }

    #[test]
    fn every_listed_field_resolves_and_is_described() {
        let l = list();
        assert!(l.len() > 150);
        let mut seen = std::collections::HashSet::new();
        for f in &l {
            assert!(seen.insert(f.name), "{} listed twice", f.name);
            assert!(f.desc.len() > 5, "{} has no description", f.name);
            let arg = match f.arg {
                ".NAME|[NAME]|[N]" | "[N]|[GLOB]" => Some("0"),
                _ => None,
            };
            assert!(lookup(f.name, arg).is_ok(), "{} does not resolve", f.name);
        }
        let get = |n: &str| l.iter().find(|f| f.name == n).unwrap();
        assert!(get("proc.name").has_value_offline);
        assert_eq!(get("proc.name").ty, "string");
        assert_eq!(get("fd.sip").ty, "ipaddr");
        assert!(get("container.image").has_value_offline);
        assert!(from_container_records("container.mount.dest[/etc*]"));
        assert!(from_container_records("container.image.repository"));
        assert!(!from_container_records("container.id"));
        assert!(!from_container_records("container.ip"));
        assert!(!from_container_records("proc.name"));
        assert!(!get("container.ip").has_value_offline);
        assert!(!get("fd.rip.name").has_value_offline);
        assert_eq!(get("proc.aname").arg, "[N]");
    }
}
