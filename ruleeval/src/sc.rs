//! Syscall and event-type tables: names, event-type slots, fd roles, and
//! Falco's syscall sets (state engine set, repair set, ignored I/O set).

use crate::state::FdRole;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use sysreplay_format::syscalls::{self as sys, MAX_SYSCALLS};

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

/// Falco event names that are not x86_64 syscall names, with the syscall
/// they stand for (if any on x86_64).
const ALIASES: &[(&str, Option<&str>)] = &[
    ("pread", Some("pread64")),
    ("pwrite", Some("pwrite64")),
    ("prlimit", Some("prlimit64")),
    ("umount", Some("umount2")),
    ("setuid32", None),
    ("setgid32", None),
    ("setresuid32", None),
    ("setresgid32", None),
    ("setreuid32", None),
    ("setregid32", None),
    ("getuid32", None),
    ("geteuid32", None),
    ("getgid32", None),
    ("getegid32", None),
    ("getresuid32", None),
    ("getresgid32", None),
    ("chown32", None),
    ("lchown32", None),
    ("fchown32", None),
    ("send", None),
    ("recv", None),
    ("socketcall", None),
    ("mmap2", None),
    ("fcntl64", None),
    ("stat64", None),
    ("lstat64", None),
    ("fstat64", None),
    ("_llseek", None),
    ("waitpid", None),
];

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
    if let Some(nr) = sys::number(name) {
        return Ok(Some(nr as usize));
    }
    if let Some((_, m)) = ALIASES.iter().find(|(a, _)| *a == name) {
        return Ok(m.and_then(sys::number).map(|n| n as usize));
    }
    if PSEUDO.contains(&name) {
        return Ok(None);
    }
    Err(UnknownEventType)
}

fn falco_names() -> &'static [&'static str; MAX_SYSCALLS] {
    static T: OnceLock<[&'static str; MAX_SYSCALLS]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [""; MAX_SYSCALLS];
        for (i, e) in t.iter_mut().enumerate() {
            if let Some(n) = sys::name(i as u16) {
                *e = n;
            }
        }
        for (alias, m) in ALIASES {
            if let Some(nr) = m.and_then(sys::number) {
                t[nr as usize] = alias;
            }
        }
        t
    })
}

/// Falco's name for a slot (`evt.type`): e.g. `pread` for pread64.
pub fn slot_name(slot: usize) -> &'static str {
    if slot == SLOT_PROCEXIT {
        return "procexit";
    }
    falco_names().get(slot).copied().unwrap_or("")
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

/// Syscalls whose return value is not an error code (evt.res prints it).
pub fn ret_is_value(nr: u16) -> bool {
    !matches!(
        name(nr),
        "getpid" | "getppid" | "gettid" | "getuid" | "geteuid" | "getgid" | "getegid"
    )
}

/// Falco's default state-engine syscall set (libs `sinsp_state_sc_set`),
/// as ppm_sc names.
pub const STATE_SET: &[&str] = &[
    "accept",
    "accept4",
    "bind",
    "capset",
    "chdir",
    "chroot",
    "clone",
    "clone3",
    "close",
    "close_range",
    "connect",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "fchdir",
    "fcntl",
    "fork",
    "getsockopt",
    "inotify_init",
    "inotify_init1",
    "io_uring_setup",
    "memfd_create",
    "mount",
    "open",
    "open_by_handle_at",
    "openat",
    "openat2",
    "pidfd_getfd",
    "pidfd_open",
    "pipe",
    "pipe2",
    "prctl",
    "prlimit",
    "sched_process_exit",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setgid",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "setsid",
    "setuid",
    "shutdown",
    "signalfd",
    "signalfd4",
    "socket",
    "socketpair",
    "timerfd_create",
    "umount",
    "umount2",
    "userfaultfd",
    "vfork",
];

/// Always added by `sinsp_repair_state_sc_set`.
const REPAIR_ALWAYS: &[&str] = &[
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "fchdir",
    "chdir",
    "chroot",
    "capset",
    "setgid",
    "setgid32",
    "setpgid",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setsid",
    "setuid",
    "setuid32",
    "prctl",
    "sched_process_exit",
];

const NET: &[&str] = &[
    "socket",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "send",
    "sendto",
    "recv",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    "getsockname",
    "getpeername",
    "socketpair",
    "setsockopt",
    "getsockopt",
];

const FILE_OR_IO: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "open_by_handle_at",
    "close",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "truncate",
    "ftruncate",
    "stat",
    "lstat",
    "fstat",
    "newfstatat",
    "access",
    "faccessat",
    "readlink",
    "readlinkat",
    "getdents",
    "getdents64",
    "lseek",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "read",
    "write",
    "pread",
    "pwrite",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "sendfile",
    "splice",
    "ioctl",
    "mmap",
];

/// I/O syscalls that Falco ignores unless `-A` (io set minus state set).
pub const IGNORED_IO: &[&str] = &[
    "pread", "preadv", "pwrite", "pwritev", "read", "readv", "recv", "send", "sendfile", "write",
    "writev",
];

/// `sinsp_repair_state_sc_set(s)`.
pub fn repair_set(s: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = s.clone();
    out.extend(REPAIR_ALWAYS.iter().map(|x| x.to_string()));
    if s.iter().any(|x| NET.contains(&x.as_str())) {
        out.insert("socket".into());
        out.insert("getsockopt".into());
    }
    if s.iter()
        .any(|x| matches!(x.as_str(), "accept" | "accept4" | "listen"))
    {
        out.insert("bind".into());
    }
    if s.iter()
        .any(|x| NET.contains(&x.as_str()) || FILE_OR_IO.contains(&x.as_str()))
    {
        out.insert("close".into());
    }
    out
}

/// The syscall selection as Falco's dry run prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallSelection {
    pub in_rules: BTreeSet<String>,
    /// Added for the state engine (default) or by repair.
    pub added: BTreeSet<String>,
    pub ignored: BTreeSet<String>,
    pub repair: bool,
    pub final_set: BTreeSet<String>,
}

impl SyscallSelection {
    pub fn compute(in_rules: BTreeSet<String>, repair: bool) -> SyscallSelection {
        let mut selected = if repair {
            repair_set(&in_rules)
        } else {
            let mut s = in_rules.clone();
            s.extend(STATE_SET.iter().map(|x| x.to_string()));
            s
        };
        let added: BTreeSet<String> = selected.difference(&in_rules).cloned().collect();
        let ignored: BTreeSet<String> = selected
            .iter()
            .filter(|x| IGNORED_IO.contains(&x.as_str()) && !STATE_SET.contains(&x.as_str()))
            .cloned()
            .collect();
        for i in &ignored {
            selected.remove(i);
        }
        selected.insert("sched_process_exit".into());
        SyscallSelection {
            in_rules,
            added,
            ignored,
            repair,
            final_set: selected,
        }
    }

    /// The dry-run lines.
    pub fn lines(&self) -> Vec<String> {
        let j = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        let mut v = vec![format!(
            "({}) syscalls in rules: {}",
            self.in_rules.len(),
            j(&self.in_rules)
        )];
        if self.repair {
            v.push(format!(
                "+({}) repaired syscalls: {}",
                self.added.len(),
                j(&self.added)
            ));
        } else {
            v.push(format!(
                "+({}) syscalls (Falco's state engine set of syscalls): {}",
                self.added.len(),
                j(&self.added)
            ));
        }
        if !self.ignored.is_empty() {
            v.push(format!(
                "-({}) ignored syscalls (-> activate via `-A` flag): {}",
                self.ignored.len(),
                j(&self.ignored)
            ));
        }
        v.push(format!(
            "({}) syscalls selected in total (final set): {}",
            self.final_set.len(),
            j(&self.final_set)
        ));
        v
    }
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
        assert_eq!(STATE_SET.len(), 65);
    }

    #[test]
    fn selection_counts_match_falco_for_stable_syscalls() {
        let stable: BTreeSet<String> = [
            "connect",
            "dup",
            "dup2",
            "dup3",
            "execve",
            "execveat",
            "finit_module",
            "init_module",
            "link",
            "linkat",
            "open",
            "openat",
            "openat2",
            "ptrace",
            "sendmsg",
            "sendto",
            "socket",
            "symlink",
            "symlinkat",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let d = SyscallSelection::compute(stable.clone(), false);
        assert_eq!(d.final_set.len(), 72);
        let r = SyscallSelection::compute(stable, true);
        assert_eq!(r.final_set.len(), 41);
        assert!(r.lines()[1].starts_with("+(22) repaired syscalls"));
    }
}
