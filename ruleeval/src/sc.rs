//! Syscall and event-type tables: names, event-type slots and fd roles.
//! Falco's syscall names and sets, and its syscall selection, are in
//! [`sysreplay_syscalls::sets`] (shared with the recorder).

use crate::state::FdRole;
use std::sync::OnceLock;
use sysreplay_syscalls::sets as syscall_sets;
use sysreplay_syscalls::{self as sys, MAX_SYSCALLS};

/// Event-type slots: syscall numbers, then the pseudo events below.
pub const SLOT_PROCEXIT: usize = MAX_SYSCALLS;
pub const NSLOTS: usize = MAX_SYSCALLS + 1;
const WORDS: usize = NSLOTS.div_ceil(64);

/// A set of event-type slots.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SlotSet(pub [u64; WORDS]);

impl SlotSet {
    pub const EMPTY: SlotSet = SlotSet([0; WORDS]);
    pub fn all() -> SlotSet {
        let mut s = SlotSet([u64::MAX; WORDS]);
        let extra = WORDS * 64 - NSLOTS;
        s.0[WORDS - 1] >>= extra;
        s
    }
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    pub fn contains(&self, i: usize) -> bool {
        i < NSLOTS && self.0[i / 64] & (1 << (i % 64)) != 0
    }
    pub fn union(&self, o: &SlotSet) -> SlotSet {
        let mut r = *self;
        for (a, b) in r.0.iter_mut().zip(o.0.iter()) {
            *a |= b;
        }
        r
    }
    pub fn intersect(&self, o: &SlotSet) -> SlotSet {
        let mut r = *self;
        for (a, b) in r.0.iter_mut().zip(o.0.iter()) {
            *a &= b;
        }
        r
    }
    pub fn complement(&self) -> SlotSet {
        let all = SlotSet::all();
        let mut r = *self;
        for (a, b) in r.0.iter_mut().zip(all.0.iter()) {
            *a = !*a & b;
        }
        r
    }
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..NSLOTS).filter(move |&i| self.contains(i))
    }
}

/// Pseudo events (not syscalls).
const PSEUDO: &[&str] = &[
    "procexit",
    "switch",
    "signaldeliver",
    "page_fault",
    "container",
    "pluginevent",
    "asyncevent",
    "drop",
    "sysdigevent",
    "notification",
    "infra",
    "cpu_hotplug",
    "k8s",
    "mesos",
    "tracer",
    "scapevent",
    "meta",
];

/// An event-type name that Falco does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownEventType;

/// The slot of a Falco event-type name. `Ok(None)`: a known name with no
/// event on x86_64. `Err`: unknown.
pub fn slot_of_name(name: &str) -> Result<Option<usize>, UnknownEventType> {
    if name == "procexit" {
        return Ok(Some(SLOT_PROCEXIT));
    }
    if let Some(nr) = syscall_sets::lookup(name) {
        return Ok(nr.map(|n| n as usize));
    }
    if PSEUDO.contains(&name) {
        return Ok(None);
    }
    Err(UnknownEventType)
}

/// Falco's name for a slot (`evt.type`): e.g. `pread` for pread64.
pub fn slot_name(slot: usize) -> &'static str {
    if slot == SLOT_PROCEXIT {
        return "procexit";
    }
    u16::try_from(slot)
        .ok()
        .and_then(syscall_sets::falco_name)
        .unwrap_or("")
}

/// The kernel name of a syscall number ("" if unknown).
pub fn name(nr: u16) -> &'static str {
    sys::name(nr).unwrap_or("")
}

fn table<T: Copy>(
    cell: &'static OnceLock<Vec<T>>,
    default: T,
    f: impl Fn(&str) -> T,
) -> &'static [T] {
    cell.get_or_init(|| {
        (0..MAX_SYSCALLS)
            .map(|i| sys::name(i as u16).map(&f).unwrap_or(default))
            .collect()
    })
}

/// libs master `sinsp_evt::extract_typechar`: the `fd.typechar` of the fd
/// syscall `nr` creates, for an event whose fd the table does not hold (a
/// failed open, an fd it never saw); `o` for the syscalls that create none.
pub fn created_typechar(nr: u16) -> u8 {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    table(&T, b'o', |n| match n {
        "openat" | "openat2" | "creat" => b'f',
        "socket" | "accept" | "accept4" => b'4',
        "pipe" | "pipe2" => b'p',
        "eventfd" | "eventfd2" => b'e',
        "signalfd" | "signalfd4" => b's',
        "timerfd_create" => b't',
        "inotify_init" | "inotify_init1" => b'i',
        _ => b'o',
    })[nr as usize % MAX_SYSCALLS]
}

/// Whether libsinsp gives an event of syscall `nr` fd fields at all: its
/// exit event has EF_USES_FD, EF_CREATES_FD or EF_DESTROYS_FD (libs master
/// driver/event_table.c; sysdig_filter_check_fd::extract_fd). For the
/// others every fd.* field is NULL, even with an fd argument (epoll_wait,
/// fsync, ftruncate, linkat, ...), though the state engine still tracks it.
pub fn libsinsp_fd_event(nr: u16) -> bool {
    static T: OnceLock<Vec<bool>> = OnceLock::new();
    table(&T, false, |n| {
        matches!(
            n,
            "accept"
                | "accept4"
                | "bind"
                | "bpf"
                | "close"
                | "connect"
                | "copy_file_range"
                | "creat"
                | "dup"
                | "dup2"
                | "dup3"
                | "epoll_create"
                | "epoll_create1"
                | "eventfd"
                | "eventfd2"
                | "fchdir"
                | "fchmod"
                | "fchmodat"
                | "fchown"
                | "fchownat"
                | "fcntl"
                | "finit_module"
                | "flock"
                | "fsconfig"
                | "fstat"
                | "getdents"
                | "getdents64"
                | "getsockopt"
                | "inotify_init"
                | "inotify_init1"
                | "io_uring_enter"
                | "io_uring_register"
                | "io_uring_setup"
                | "ioctl"
                | "listen"
                | "lseek"
                | "memfd_create"
                | "mkdirat"
                | "mknodat"
                | "mmap"
                | "newfstatat"
                | "open"
                | "open_by_handle_at"
                | "openat"
                | "openat2"
                | "pidfd_getfd"
                | "pidfd_open"
                | "pipe"
                | "pipe2"
                | "pread64"
                | "preadv"
                | "pwrite64"
                | "pwritev"
                | "read"
                | "readv"
                | "recvfrom"
                | "recvmmsg"
                | "recvmsg"
                | "sendfile"
                | "sendmmsg"
                | "sendmsg"
                | "sendto"
                | "setns"
                | "setsockopt"
                | "shutdown"
                | "signalfd"
                | "signalfd4"
                | "socket"
                | "socketpair"
                | "splice"
                | "symlinkat"
                | "timerfd_create"
                | "unlinkat"
                | "userfaultfd"
                | "write"
                | "writev"
        )
    })[nr as usize % MAX_SYSCALLS]
}

/// Which fd an event of syscall `nr` refers to.
pub fn fd_role(nr: u16) -> FdRole {
    static T: OnceLock<Vec<FdRole>> = OnceLock::new();
    table(&T, FdRole::None, |n| match n {
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" | "socket" | "accept"
        | "accept4" | "dup" | "dup2" | "dup3" | "eventfd" | "eventfd2" | "signalfd"
        | "signalfd4" | "timerfd_create" | "inotify_init" | "inotify_init1" | "memfd_create"
        | "userfaultfd" | "io_uring_setup" | "epoll_create" | "epoll_create1" | "pidfd_open"
        | "perf_event_open" | "fanotify_init" => FdRole::Ret,
        "read" | "write" | "pread64" | "pwrite64" | "readv" | "writev" | "preadv" | "pwritev"
        | "preadv2" | "pwritev2" | "close" | "connect" | "bind" | "listen" | "sendto"
        | "recvfrom" | "sendmsg" | "recvmsg" | "sendmmsg" | "recvmmsg" | "shutdown"
        | "getsockopt" | "setsockopt" | "getsockname" | "getpeername" | "fchmod" | "fchown"
        | "fchdir" | "fstat" | "fstatfs" | "fsync" | "fdatasync" | "ftruncate" | "ioctl"
        | "lseek" | "fcntl" | "flock" | "getdents" | "getdents64" | "sendfile" | "splice"
        | "fsetxattr" | "fgetxattr" | "syncfs" | "fadvise64" | "fallocate"
        | "inotify_add_watch" | "epoll_ctl" | "epoll_wait" | "timerfd_settime"
        | "copy_file_range" | "setns" | "finit_module" | "fchmodat" | "fchownat" | "mkdirat"
        | "unlinkat" | "linkat" | "symlinkat" | "renameat" | "renameat2" | "newfstatat"
        | "faccessat" | "faccessat2" | "readlinkat" | "utimensat" | "mknodat" | "execveat" => {
            // *at syscalls: Falco's fd is the dirfd
            FdRole::Arg0
        }
        "mmap" => FdRole::Arg4,
        _ => FdRole::None,
    })[nr as usize % MAX_SYSCALLS]
}

/// How the state engine parses a syscall: one handler per family, looked
/// up by number (libsinsp's parsers switch on the event code the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parser {
    /// Not a state change (the fd lookup still happens).
    None,
    Open(OpenKind),
    Socket,
    Connect,
    /// A read or write (libs master parse_read_exit/parse_write_exit).
    Rw(RwTuple),
    Accept,
    Bind,
    Listen,
    Dup {
        dup3: bool,
    },
    Fcntl,
    Pipe {
        socketpair: bool,
    },
    NewFd(NewFd),
    Chdir,
    Fchdir,
    Execve {
        at: bool,
    },
    Clone(CloneKind),
    SetId(SetIdKind),
    Setsid,
    Prctl,
    PidfdGetfd,
    /// Applied after the rules saw the event.
    Close,
    CloseRange,
}

/// The address a read or write has in the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwTuple {
    /// None recorded (sendmsg: the recorder does not capture msg_name).
    None,
    /// The destination (sendto's ARG4).
    Send,
    /// The peer (RESULT_ADDR).
    Recv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenKind {
    Open,
    Creat,
    OpenAt,
    OpenAt2,
    ByHandle,
}

/// Syscalls that return one new fd of a fixed kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewFd {
    Eventfd,
    Signalfd,
    Timerfd,
    Inotify,
    Memfd,
    Userfaultfd,
    IoUring,
    Bpf,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneKind {
    Clone,
    Clone3,
    /// fork, vfork: no flags.
    Fork,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetIdKind {
    Uid,
    /// setreuid and setresuid (the saved id is not tracked).
    ReUid,
    Gid,
    /// setregid and setresgid (the saved id is not tracked).
    ReGid,
}

/// [`parser`] and [`fd_role`] of syscall `nr` from one table: what every
/// event the state engine sees looks up first.
pub fn parser_and_role(nr: u16) -> (Parser, FdRole) {
    static T: OnceLock<Vec<(Parser, FdRole)>> = OnceLock::new();
    T.get_or_init(|| {
        (0..MAX_SYSCALLS as u16)
            .map(|n| (parser(n), fd_role(n)))
            .collect()
    })[nr as usize % MAX_SYSCALLS]
}

/// The state engine's handler of syscall `nr`.
pub fn parser(nr: u16) -> Parser {
    static T: OnceLock<Vec<Parser>> = OnceLock::new();
    table(&T, Parser::None, |n| match n {
        "open" => Parser::Open(OpenKind::Open),
        "creat" => Parser::Open(OpenKind::Creat),
        "openat" => Parser::Open(OpenKind::OpenAt),
        "openat2" => Parser::Open(OpenKind::OpenAt2),
        "open_by_handle_at" => Parser::Open(OpenKind::ByHandle),
        "socket" => Parser::Socket,
        "connect" => Parser::Connect,
        "sendto" => Parser::Rw(RwTuple::Send),
        "recvfrom" | "recvmsg" => Parser::Rw(RwTuple::Recv),
        "read" | "write" | "pread64" | "pwrite64" | "readv" | "writev" | "preadv" | "pwritev"
        | "sendmsg" | "sendmmsg" | "recvmmsg" => Parser::Rw(RwTuple::None),
        "accept" | "accept4" => Parser::Accept,
        "bind" => Parser::Bind,
        "listen" => Parser::Listen,
        "dup" | "dup2" => Parser::Dup { dup3: false },
        "dup3" => Parser::Dup { dup3: true },
        "fcntl" => Parser::Fcntl,
        "pipe" | "pipe2" => Parser::Pipe { socketpair: false },
        "socketpair" => Parser::Pipe { socketpair: true },
        "eventfd" | "eventfd2" => Parser::NewFd(NewFd::Eventfd),
        "signalfd" | "signalfd4" => Parser::NewFd(NewFd::Signalfd),
        "timerfd_create" => Parser::NewFd(NewFd::Timerfd),
        "inotify_init" | "inotify_init1" => Parser::NewFd(NewFd::Inotify),
        "memfd_create" => Parser::NewFd(NewFd::Memfd),
        "userfaultfd" => Parser::NewFd(NewFd::Userfaultfd),
        "io_uring_setup" => Parser::NewFd(NewFd::IoUring),
        "bpf" => Parser::NewFd(NewFd::Bpf),
        "epoll_create" | "epoll_create1" | "pidfd_open" | "perf_event_open" | "fanotify_init" => {
            Parser::NewFd(NewFd::Other)
        }
        "pidfd_getfd" => Parser::PidfdGetfd,
        "chdir" => Parser::Chdir,
        "fchdir" => Parser::Fchdir,
        "execve" => Parser::Execve { at: false },
        "execveat" => Parser::Execve { at: true },
        "clone" => Parser::Clone(CloneKind::Clone),
        "clone3" => Parser::Clone(CloneKind::Clone3),
        "fork" | "vfork" => Parser::Clone(CloneKind::Fork),
        "setuid" => Parser::SetId(SetIdKind::Uid),
        "setreuid" | "setresuid" => Parser::SetId(SetIdKind::ReUid),
        "setgid" => Parser::SetId(SetIdKind::Gid),
        "setregid" | "setresgid" => Parser::SetId(SetIdKind::ReGid),
        "setsid" => Parser::Setsid,
        "prctl" => Parser::Prctl,
        "close" => Parser::Close,
        "close_range" => Parser::CloseRange,
        _ => Parser::None,
    })[nr as usize % MAX_SYSCALLS]
}

/// Whether a successful call creates its fd(s) close-on-exec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloexec {
    Never,
    /// When `args[arg] & mask` is set.
    Flag {
        arg: u8,
        mask: u64,
    },
    /// pidfds, io_uring and bpf objects always are.
    Always,
}

/// The *_CLOEXEC flag of each fd-creating syscall: all equal to O_CLOEXEC
/// but memfd's, fanotify's and perf's.
pub fn cloexec(nr: u16) -> Cloexec {
    const CLOEXEC: u64 = 0o2000000; // O_/SOCK_/EFD_/SFD_/TFD_/IN_/EPOLL_CLOEXEC
    static T: OnceLock<Vec<Cloexec>> = OnceLock::new();
    let flag = |arg, mask| Cloexec::Flag { arg, mask };
    table(&T, Cloexec::Never, |n| match n {
        "socket" | "socketpair" | "pipe2" | "eventfd2" | "timerfd_create" => flag(1, CLOEXEC),
        "accept4" | "signalfd4" => flag(3, CLOEXEC),
        "inotify_init1" | "epoll_create1" | "userfaultfd" => flag(0, CLOEXEC),
        "memfd_create" => flag(1, 0x1),    // MFD_CLOEXEC
        "fanotify_init" => flag(0, 0x1),   // FAN_CLOEXEC
        "perf_event_open" => flag(4, 0x8), // PERF_FLAG_FD_CLOEXEC
        "pidfd_open" | "pidfd_getfd" | "io_uring_setup" | "bpf" => Cloexec::Always,
        _ => Cloexec::Never,
    })[nr as usize % MAX_SYSCALLS]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_names() {
        assert_eq!(slot_of_name("openat"), Ok(Some(257)));
        assert_eq!(slot_of_name("procexit"), Ok(Some(SLOT_PROCEXIT)));
        assert_eq!(slot_of_name("setuid32"), Ok(None));
        assert_eq!(slot_of_name("pread"), Ok(Some(17)));
        assert_eq!(slot_of_name("nosuchcall"), Err(UnknownEventType));
        assert_eq!(slot_name(17), "pread");
        assert_eq!(slot_name(59), "execve");
        let mut s = SlotSet::EMPTY;
        s.insert(3);
        s.insert(SLOT_PROCEXIT);
        assert_eq!(s.len(), 2);
        assert_eq!(s.complement().len(), NSLOTS - 2);
        assert!(SlotSet::all().contains(SLOT_PROCEXIT));
    }

    #[test]
    fn the_combined_table_is_the_two() {
        for nr in 0..(MAX_SYSCALLS as u16 + 3) {
            assert_eq!(parser_and_role(nr), (parser(nr), fd_role(nr)), "{nr}");
        }
    }

    #[test]
    fn created_typechar_follows_libs_extract_typechar() {
        let tc = |name: &str| created_typechar(slot_of_name(name).unwrap().unwrap() as u16);
        assert_eq!(tc("openat"), b'f');
        assert_eq!(tc("creat"), b'f');
        assert_eq!(tc("accept4"), b'4');
        assert_eq!(tc("pipe2"), b'p');
        assert_eq!(tc("timerfd_create"), b't');
        // open (not openat) and the others: libs master's default
        assert_eq!(tc("open"), b'o');
        assert_eq!(tc("read"), b'o');
    }
}
