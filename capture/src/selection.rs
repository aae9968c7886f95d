//! Which syscalls to record: Falco's `base_syscalls` logic
//! (`configure_interesting_sets.cpp`) over syscall names.
//!
//! - default: rule syscalls ∪ Falco's state-engine set;
//! - `--syscalls a,b,!c`: the positive names replace the state set, `!` names
//!   are removed at the end;
//! - `--repair`: rule syscalls ∪ the minimal set Falco's repair adds
//!   (`sinsp_repair_state_sc_set`);
//! - unless `--all`, read/write-class I/O syscalls not needed for state are
//!   removed (Falco's ignored set);
//! - `procexit` (sched_process_exit) is always there.
//!
//! Names without an x86_64 syscall number (procexit, the 32-bit `*32`
//! variants, `umount`) stay in the printed sets, as Falco prints them, but
//! select nothing; process fork/exec/exit records are always produced.

use std::collections::BTreeSet;

use sysreplay_format::syscalls;

/// Falco's state-engine set at libs HEAD (falco-facts.md §e: events flagged
/// EF_MODIFIES_STATE plus UF_NEVER_DROP syscalls), 65 names.
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
    "prlimit64",
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
pub const REPAIR_ALWAYS: &[&str] = &[
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

/// Falco's ignored set: io_sc_set() − state set.
pub const IGNORED_IO: &[&str] = &[
    "pread64", "preadv", "pwrite64", "pwritev", "read", "readv", "recv", "send", "sendfile",
    "write", "writev",
];

/// Syscalls of Falco's EC_NET category.
const NET: &[&str] = &[
    "socket",
    "socketpair",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
];

/// File and I/O syscalls (EC_FILE, EC_IO_*): their presence makes repair add `close`.
const FILE_IO: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "open_by_handle_at",
    "read",
    "write",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "sendfile",
    "splice",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "truncate",
    "ftruncate",
    "mknod",
    "mknodat",
    "memfd_create",
    "pipe",
    "pipe2",
    "eventfd",
    "eventfd2",
    "inotify_init",
    "inotify_init1",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "epoll_create",
    "epoll_create1",
];

/// Falco's `sinsp_repair_state_sc_set(S)`.
pub fn repair(s: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = s.clone();
    out.extend(REPAIR_ALWAYS.iter().map(|s| s.to_string()));
    let has = |list: &[&str]| list.iter().any(|n| s.contains(*n));
    if has(NET) {
        out.insert("socket".into());
        out.insert("getsockopt".into());
    }
    if has(&["accept", "accept4", "listen"]) {
        out.insert("bind".into());
    }
    if has(NET) || has(FILE_IO) {
        out.insert("close".into());
    }
    out
}

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct SelectionRequest {
    /// Syscalls the loaded rules need (empty without rules).
    pub rules: BTreeSet<String>,
    /// `--syscalls` entries: names, `!name`, or `all` (every known syscall).
    pub custom: Vec<String>,
    pub repair: bool,
    /// Falco's `base_syscalls.all`: keep the I/O syscalls Falco ignores.
    pub all: bool,
}

/// The computed set and Falco's dry-run lines.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub names: BTreeSet<String>,
    /// x86_64 syscall numbers to record.
    pub numbers: Vec<u16>,
    /// Lines in Falco's dry-run wording.
    pub report: Vec<String>,
    /// Unknown names given by the user.
    pub invalid: Vec<String>,
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn is_known(name: &str) -> bool {
    syscalls::number(name).is_some()
        || STATE_SET.contains(&name)
        || REPAIR_ALWAYS.contains(&name)
        || IGNORED_IO.contains(&name)
        || name == "sched_process_exit"
}

/// Compute the selection (configure_interesting_sets.cpp, steps 1-9).
pub fn compute(req: &SelectionRequest) -> Selection {
    let mut sel = Selection::default();
    let mut positive = BTreeSet::new();
    let mut negative = BTreeSet::new();
    for e in &req.custom {
        let e = e.trim();
        if e.is_empty() {
            continue;
        }
        let (neg, name) = match e.strip_prefix('!') {
            Some(n) => (true, n.trim()),
            None => (false, e),
        };
        if name == "all" && !neg {
            positive.extend(
                sysreplay_format::syscalls::X86_64_SYSCALLS
                    .iter()
                    .map(|(_, n)| n.to_string()),
            );
            continue;
        }
        if !is_known(name) {
            sel.invalid.push(e.to_string());
            continue;
        }
        if neg {
            negative.insert(name.to_string());
        } else {
            positive.insert(name.to_string());
        }
    }
    let rules = &req.rules;
    sel.report.push(format!(
        "({}) syscalls in rules: {}",
        rules.len(),
        join(rules)
    ));
    if !sel.invalid.is_empty() {
        sel.report.push(format!(
            "Invalid syscall names: warning (base_syscalls override): {}",
            sel.invalid.join(", ")
        ));
    }
    let mut selected: BTreeSet<String>;
    if !positive.is_empty() {
        let added: BTreeSet<String> = positive.difference(rules).cloned().collect();
        sel.report.push(format!(
            "+({}) syscalls added (base_syscalls override): {}",
            added.len(),
            join(&added)
        ));
        selected = rules.union(&positive).cloned().collect();
    } else if req.repair {
        selected = repair(rules);
        let added: BTreeSet<String> = selected.difference(rules).cloned().collect();
        sel.report.push(format!(
            "+({}) repaired syscalls: {}",
            added.len(),
            join(&added)
        ));
    } else {
        let state: BTreeSet<String> = STATE_SET.iter().map(|s| s.to_string()).collect();
        let added: BTreeSet<String> = state.difference(rules).cloned().collect();
        sel.report.push(format!(
            "+({}) syscalls (Falco's state engine set of syscalls): {}",
            added.len(),
            join(&added)
        ));
        selected = rules.union(&state).cloned().collect();
    }
    if !negative.is_empty() {
        let removed: BTreeSet<String> = selected.intersection(&negative).cloned().collect();
        sel.report.push(format!(
            "-({}) syscalls removed (base_syscalls override): {}",
            removed.len(),
            join(&removed)
        ));
        selected = selected.difference(&negative).cloned().collect();
    }
    if !req.all {
        let ignored: BTreeSet<String> = IGNORED_IO
            .iter()
            .map(|s| s.to_string())
            .filter(|s| selected.contains(s) && !positive.contains(s))
            .collect();
        if !ignored.is_empty() {
            sel.report.push(format!(
                "-({}) ignored syscalls (-> activate via `--all` flag): {}",
                ignored.len(),
                join(&ignored)
            ));
            selected = selected.difference(&ignored).cloned().collect();
        }
    }
    if req.repair && !positive.is_empty() {
        let before = selected.clone();
        selected = repair(&selected);
        selected = selected.difference(&negative).cloned().collect();
        let added: BTreeSet<String> = selected.difference(&before).cloned().collect();
        sel.report.push(format!(
            "+({}) repaired syscalls: {}",
            added.len(),
            join(&added)
        ));
    }
    selected.insert("sched_process_exit".into());
    sel.report.push(format!(
        "({}) syscalls selected in total (final set): {}",
        selected.len(),
        join(&selected)
    ));
    sel.numbers = selected
        .iter()
        .filter_map(|n| syscalls::number(n))
        .collect();
    sel.numbers.sort_unstable();
    sel.names = selected;
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_is_rules_plus_state_set() {
        assert_eq!(STATE_SET.len(), 65);
        let s = compute(&SelectionRequest {
            rules: set(&["openat", "ptrace", "read"]),
            ..Default::default()
        });
        // ptrace + the 65 (openat is in both); read is ignored I/O
        assert_eq!(s.names.len(), 66);
        assert!(s.names.contains("ptrace") && !s.names.contains("read"));
        assert_eq!(s.report[0], "(3) syscalls in rules: openat, ptrace, read");
        assert!(s.report[1].starts_with(
            "+(64) syscalls (Falco's state engine set of syscalls): accept, accept4,"
        ));
        assert!(s
            .report
            .last()
            .unwrap()
            .starts_with("(66) syscalls selected in total (final set): "));
        assert!(s.numbers.contains(&101) && s.numbers.contains(&257));
    }

    #[test]
    fn repair_matches_falco_facts_for_the_stable_rules_shape() {
        // 19 rule syscalls, none of which is in the always-set: Falco's count is
        // 19 + always-set + socket, getsockopt, close (+ procexit) = 41 there.
        let s = compute(&SelectionRequest {
            rules: set(&["openat", "connect", "accept"]),
            repair: true,
            ..Default::default()
        });
        for n in [
            "socket",
            "getsockopt",
            "bind",
            "close",
            "execve",
            "setuid32",
            "sched_process_exit",
        ] {
            assert!(s.names.contains(n), "{n}");
        }
        assert_eq!(s.names.len(), 3 + REPAIR_ALWAYS.len() + 4);
        assert!(s.report[1].starts_with("+(26) repaired syscalls: bind, capset, chdir"));
    }

    #[test]
    fn custom_set_replaces_base_and_negatives_remove() {
        let s = compute(&SelectionRequest {
            custom: vec![
                "getppid".into(),
                "openat".into(),
                "!openat".into(),
                "bogus".into(),
            ],
            ..Default::default()
        });
        assert_eq!(s.names, set(&["getppid", "sched_process_exit"]));
        assert_eq!(s.numbers, vec![110]);
        assert_eq!(s.invalid, vec!["bogus".to_string()]);
    }

    #[test]
    fn io_syscalls_need_all_unless_named() {
        let s = compute(&SelectionRequest {
            rules: set(&["write"]),
            ..Default::default()
        });
        assert!(!s.names.contains("write"));
        let s = compute(&SelectionRequest {
            rules: set(&["write"]),
            all: true,
            ..Default::default()
        });
        assert!(s.names.contains("write"));
        let s = compute(&SelectionRequest {
            custom: vec!["write".into()],
            ..Default::default()
        });
        assert!(s.names.contains("write"));
    }
}
