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

/// Syscalls the state engine acts on.
pub fn stateful(nr: u16) -> bool {
    static T: OnceLock<Vec<bool>> = OnceLock::new();
    table(&T, false, |n| {
        matches!(
            n,
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
                | "epoll_create"
                | "epoll_create1"
                | "pidfd_open"
                | "pidfd_getfd"
                | "bpf"
                | "perf_event_open"
                | "fanotify_init"
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
}
