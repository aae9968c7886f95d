//! Falco's syscall sets and its `base_syscalls` / `repair` selection
//! (falco `userspace/falco/app/actions/configure_interesting_sets.cpp`,
//! libs `sinsp_events_ppm_sc.cpp`), shared by the recorder (`sysreplay record`) and the
//! rule engine (`sysreplay rules check`).
//!
//! Every set here is in Falco's spelling, which is what Falco prints: `pread`,
//! `pwrite`, `prlimit` for the x86_64 syscalls `pread64`, `pwrite64`,
//! `prlimit64`, and `sched_process_exit` for the process-exit tracepoint.
//! [`canonical`] turns a name in either spelling into Falco's;
//! [`x86_64_number`] and [`falco_name`] map between Falco names and x86_64
//! syscall numbers.
//!
//! The selection ([`compute`]):
//! - default: rule syscalls ∪ Falco's state-engine set ([`STATE_SET`]);
//! - a custom set (`base_syscalls.custom_set`, `--syscalls a,b,!c`): the
//!   positive names replace the state set, `!` names are removed;
//! - `repair` without positive names: rule syscalls ∪ [`repair_set`] of them,
//!   instead of the state set; with positive names: the set is repaired after
//!   the ignored I/O syscalls are removed;
//! - unless `all`, the read/write-class I/O syscalls not needed for state
//!   ([`IGNORED_IO`]) are removed;
//! - `sched_process_exit` is always selected.
//!
//! Where sysreplay differs from Falco (kept on purpose, the tests pin them):
//! - the `(N) syscalls in rules` line is printed even with no rules;
//! - with `repair` and no positive names, the added syscalls are labelled
//!   `repaired syscalls` (Falco labels them as the state engine set);
//! - I/O syscalls named in the custom set are not removed as ignored;
//! - `!` names stay removed after the repair of a custom set;
//! - the custom entry `all` stands for every x86_64 syscall.
//!
//! Names without an x86_64 syscall (the 32-bit `*32` variants, `send`,
//! `recv`, `sched_process_exit`) stay in the printed sets, as in Falco, but
//! have no number to record.

use std::collections::BTreeSet;

use crate::{self as sys, X86_64_SYSCALLS};

/// Falco's state-engine set at libs HEAD (`sinsp_state_sc_set`: events
/// flagged EF_MODIFIES_STATE plus UF_NEVER_DROP syscalls), 65 names.
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

/// Falco's ignored set, `io_sc_set() − sinsp_state_sc_set()`: I/O syscalls
/// removed unless `base_syscalls.all` (`-A`).
pub const IGNORED_IO: &[&str] = &[
    "pread", "preadv", "pwrite", "pwritev", "read", "readv", "recv", "send", "sendfile", "write",
    "writev",
];

/// Syscalls of the EC_NET category (`net_sc_set`): their presence makes
/// repair add `socket`, `getsockopt` and `close`.
pub const NET: &[&str] = &[
    "socket",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "shutdown",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
];

/// Syscalls of the EC_FILE, EC_IO_READ, EC_IO_WRITE and EC_IO_OTHER
/// categories (`file_sc_set`, `io_sc_set`, `io_other_sc_set`): their
/// presence makes repair add `close`.
pub const FILE_IO: &[&str] = &[
    // EC_FILE
    "open",
    "openat",
    "openat2",
    "creat",
    "open_by_handle_at",
    "stat",
    "lstat",
    "fstat",
    "newfstatat",
    "access",
    "faccessat",
    "faccessat2",
    "getcwd",
    "chdir",
    "fchdir",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "symlink",
    "symlinkat",
    "readlink",
    "readlinkat",
    "lseek",
    "getdents",
    "getdents64",
    "flock",
    "fsync",
    "fdatasync",
    "mount",
    "umount",
    "umount2",
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
    // EC_IO_READ / EC_IO_WRITE
    "read",
    "write",
    "pread",
    "pwrite",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "send",
    "recv",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "sendfile",
    // EC_IO_OTHER
    "close",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "ioctl",
    "splice",
];

/// Falco names of x86_64 syscalls the kernel spells differently
/// (Falco name, kernel name). Falco prints the first; both are accepted.
const RENAMED: &[(&str, &str)] = &[
    ("pread", "pread64"),
    ("pwrite", "pwrite64"),
    ("prlimit", "prlimit64"),
];

/// Other Falco syscall names that are not x86_64 syscall names, with the
/// x86_64 syscall each stands for, if any (`umount` is `umount2` there).
const ALIASES: &[(&str, Option<&str>)] = &[
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

/// Falco's name for the process-exit tracepoint in the syscall sets
/// (the `procexit` event); always selected.
pub const PROCEXIT: &str = "sched_process_exit";

/// A syscall name (Falco or kernel spelling) on x86_64: `Some(Some(nr))` for
/// a syscall with a number, `Some(None)` for a Falco name with no x86_64
/// syscall (`setuid32`), `None` for an unknown name. The process-exit
/// tracepoint is not a syscall: `None`.
pub fn lookup(name: &str) -> Option<Option<u16>> {
    if let Some(nr) = sys::number(name) {
        return Some(Some(nr));
    }
    if let Some((_, k)) = RENAMED.iter().find(|(f, _)| *f == name) {
        return Some(sys::number(k));
    }
    ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, k)| k.and_then(sys::number))
}

/// The x86_64 syscall number of a Falco or kernel name (`pread` and
/// `pread64`: 17).
pub fn x86_64_number(name: &str) -> Option<u16> {
    lookup(name).flatten()
}

fn falco_names() -> &'static [&'static str; sys::MAX_SYSCALLS] {
    static T: std::sync::OnceLock<[&'static str; sys::MAX_SYSCALLS]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = [""; sys::MAX_SYSCALLS];
        for &(nr, n) in X86_64_SYSCALLS {
            t[nr as usize] = n;
        }
        let renamed = RENAMED.iter().map(|(f, k)| (*f, Some(*k)));
        for (f, k) in renamed.chain(ALIASES.iter().copied()) {
            if let Some(nr) = k.and_then(sys::number) {
                t[nr as usize] = f;
            }
        }
        t
    })
}

/// Falco's event name for x86_64 syscall `nr` (`pread` for 17, `umount` for
/// umount2), if the syscall is known.
pub fn falco_name(nr: u16) -> Option<&'static str> {
    falco_names()
        .get(nr as usize)
        .copied()
        .filter(|n| !n.is_empty())
}

/// A syscall name in Falco's spelling, given either spelling
/// (`pread64` → `pread`, `procexit` → `sched_process_exit`); `None` if unknown.
pub fn canonical(name: &str) -> Option<&'static str> {
    if name == PROCEXIT || name == "procexit" {
        return Some(PROCEXIT);
    }
    if let Some((f, _)) = RENAMED.iter().find(|(f, k)| *f == name || *k == name) {
        return Some(f);
    }
    if let Some((a, _)) = ALIASES.iter().find(|(a, _)| *a == name) {
        return Some(a);
    }
    sys::number(name).and_then(sys::name)
}

/// Falco's `sinsp_repair_state_sc_set(s)`: `s` plus the syscalls the state
/// engine needs for it (names in Falco's spelling).
pub fn repair_set(s: &BTreeSet<String>) -> BTreeSet<String> {
    let has = |list: &[&str]| s.iter().any(|n| list.contains(&n.as_str()));
    let mut out = s.clone();
    out.extend(REPAIR_ALWAYS.iter().map(|n| n.to_string()));
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

/// What to select.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionRequest {
    /// Syscalls the enabled rules need (Falco's "syscalls in rules"; empty
    /// without rules).
    pub rules: BTreeSet<String>,
    /// Custom set entries (`base_syscalls.custom_set`, `--syscalls`): names
    /// in either spelling, `!name`, or `all` (every x86_64 syscall).
    pub custom: Vec<String>,
    /// `base_syscalls.repair`.
    pub repair: bool,
    /// `base_syscalls.all` (`-A`): keep the ignored I/O syscalls.
    pub all: bool,
}

/// The computed selection and Falco's dry-run lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The rule syscalls, in Falco's spelling.
    pub in_rules: BTreeSet<String>,
    /// The final set, in Falco's spelling.
    pub final_set: BTreeSet<String>,
    /// The x86_64 syscall numbers of the final set, sorted, without repeats.
    pub numbers: Vec<u16>,
    /// Custom set entries with an unknown name, as given (`!` included).
    pub invalid: Vec<String>,
    lines: Vec<String>,
}

impl Selection {
    /// The lines `falco --dry-run` logs for this selection, without the
    /// timestamp.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

fn join<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A counted line: `{sign}(N) {what}: a, b, …`.
fn counted<'a>(sign: &str, what: &str, names: impl IntoIterator<Item = &'a String>) -> String {
    let names: Vec<&String> = names.into_iter().collect();
    format!("{sign}({}) {what}: {}", names.len(), join(names))
}

fn to_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Falco's selection (`configure_interesting_sets.cpp`; the comments below
/// number its steps 1–9).
pub fn compute(req: &SelectionRequest) -> Selection {
    let mut invalid = Vec::new();
    let mut invalid_pos = BTreeSet::new();
    let mut invalid_neg = BTreeSet::new();
    let mut positive = BTreeSet::new();
    let mut negative = BTreeSet::new();
    for entry in &req.custom {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (neg, name) = match entry.strip_prefix('!') {
            Some(n) => (true, n.trim()),
            None => (false, entry),
        };
        if name == "all" && !neg {
            positive.extend(
                X86_64_SYSCALLS
                    .iter()
                    .filter_map(|&(nr, _)| falco_name(nr).map(String::from)),
            );
            continue;
        }
        match canonical(name) {
            Some(c) if neg => {
                negative.insert(c.to_string());
            }
            Some(c) => {
                positive.insert(c.to_string());
            }
            None => {
                invalid.push(entry.to_string());
                if neg {
                    invalid_neg.insert(name.to_string());
                } else {
                    invalid_pos.insert(name.to_string());
                }
            }
        }
    }
    let rules: BTreeSet<String> = req
        .rules
        .iter()
        .map(|n| canonical(n).map_or_else(|| n.clone(), String::from))
        .collect();

    let mut lines = vec![counted("", "syscalls in rules", &rules)];
    // 3: the base set: the state set, or the positive names
    let base = if positive.is_empty() {
        to_set(STATE_SET)
    } else {
        lines.push(counted(
            "+",
            "syscalls added (base_syscalls override)",
            &positive,
        ));
        positive.clone()
    };
    if !invalid_pos.is_empty() {
        lines.push(format!(
            "Invalid (positive) syscall names: warning (base_syscalls override): {}",
            join(&invalid_pos)
        ));
    }
    // 4, 5: rules ∪ base, or the repaired rules set instead
    let mut selected: BTreeSet<String> = if req.repair && positive.is_empty() {
        repair_set(&rules)
    } else {
        rules.union(&base).cloned().collect()
    };
    // 6: negative names
    if !negative.is_empty() {
        selected.retain(|n| !negative.contains(n));
        lines.push(counted(
            "-",
            "syscalls removed (base_syscalls override)",
            &negative,
        ));
    }
    if !invalid_neg.is_empty() {
        lines.push(format!(
            "Invalid (negative) syscall names: warning (base_syscalls override): {}",
            join(&invalid_neg)
        ));
    }
    if positive.is_empty() {
        let added: Vec<&String> = selected.difference(&rules).collect();
        if !added.is_empty() {
            let what = if req.repair {
                "repaired syscalls"
            } else {
                "syscalls (Falco's state engine set of syscalls)"
            };
            lines.push(counted("+", what, added));
        }
    }
    // 7: the ignored I/O syscalls
    if !req.all {
        let ignored: BTreeSet<String> = IGNORED_IO
            .iter()
            .filter(|n| selected.contains(**n) && !positive.contains(**n))
            .map(|n| n.to_string())
            .collect();
        if !ignored.is_empty() {
            selected.retain(|n| !ignored.contains(n));
            lines.push(counted(
                "-",
                "ignored syscalls (-> activate via `-A` flag)",
                &ignored,
            ));
        }
    }
    // 8: repair of a custom set
    if req.repair && !positive.is_empty() {
        let mut repaired = repair_set(&selected);
        repaired.retain(|n| !negative.contains(n));
        let added: Vec<&String> = repaired.difference(&selected).collect();
        if !added.is_empty() {
            lines.push(counted("+", "repaired syscalls", added));
        }
        selected = repaired;
    }
    // 9
    selected.insert(PROCEXIT.to_string());
    lines.push(counted(
        "",
        "syscalls selected in total (final set)",
        &selected,
    ));
    let mut numbers: Vec<u16> = selected.iter().filter_map(|n| x86_64_number(n)).collect();
    numbers.sort_unstable();
    numbers.dedup();
    Selection {
        in_rules: rules,
        final_set: selected,
        numbers,
        invalid,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        to_set(v)
    }

    fn stable_rule_syscalls() -> BTreeSet<String> {
        // what the 25 stable rules (falco_rules.yaml 5.1.0) need
        set(&[
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
        ])
    }

    fn rules_only(rules: BTreeSet<String>, repair: bool) -> Selection {
        compute(&SelectionRequest {
            rules,
            repair,
            ..Default::default()
        })
    }

    #[test]
    fn tables_are_in_falco_spelling() {
        assert_eq!(STATE_SET.len(), 65);
        for list in [STATE_SET, REPAIR_ALWAYS, IGNORED_IO, NET, FILE_IO] {
            for &n in list {
                assert_eq!(canonical(n), Some(n), "{n}");
            }
        }
        // io_sc_set − state set: nothing ignored is needed for state
        assert!(IGNORED_IO.iter().all(|n| !STATE_SET.contains(n)));
    }

    #[test]
    fn falco_and_kernel_names() {
        assert_eq!(canonical("pread64"), Some("pread"));
        assert_eq!(canonical("pread"), Some("pread"));
        assert_eq!(canonical("prlimit64"), Some("prlimit"));
        assert_eq!(canonical("umount2"), Some("umount2"));
        assert_eq!(canonical("procexit"), Some(PROCEXIT));
        assert_eq!(canonical("setuid32"), Some("setuid32"));
        assert_eq!(canonical("nosuchcall"), None);
        assert_eq!(x86_64_number("pread"), Some(17));
        assert_eq!(x86_64_number("pread64"), Some(17));
        assert_eq!(x86_64_number("prlimit"), Some(302));
        assert_eq!(x86_64_number("umount"), Some(166));
        assert_eq!(x86_64_number("setuid32"), None);
        assert_eq!(x86_64_number(PROCEXIT), None);
        assert_eq!(lookup("setuid32"), Some(None));
        assert_eq!(lookup("nosuchcall"), None);
        assert_eq!(falco_name(17), Some("pread"));
        assert_eq!(falco_name(59), Some("execve"));
        assert_eq!(falco_name(500), None);
    }

    #[test]
    fn selection_counts_match_falco_for_stable_syscalls() {
        let d = rules_only(stable_rule_syscalls(), false);
        assert_eq!(d.in_rules.len(), 19);
        assert_eq!(d.final_set.len(), 72);
        let r = rules_only(stable_rule_syscalls(), true);
        assert_eq!(r.final_set.len(), 41);
        assert!(r.lines()[1].starts_with("+(22) repaired syscalls"));
    }

    #[test]
    fn stable_default_lines_are_falcos() {
        let d = rules_only(stable_rule_syscalls(), false);
        let l = d.lines();
        assert_eq!(l.len(), 3, "{l:?}");
        assert_eq!(
            l[0],
            "(19) syscalls in rules: connect, dup, dup2, dup3, execve, execveat, finit_module, \
             init_module, link, linkat, open, openat, openat2, ptrace, sendmsg, sendto, socket, \
             symlink, symlinkat"
        );
        assert!(l[1].starts_with("+(53) syscalls (Falco's state engine set of syscalls): "));
        // Falco's spelling, not the kernel's
        assert!(l[1].contains(" prlimit,") && !l[1].contains("prlimit64"));
        assert!(l[2].starts_with("(72) syscalls selected in total (final set): accept, "));
        assert!(d.numbers.contains(&302) && d.numbers.contains(&166));
    }

    #[test]
    fn default_is_rules_plus_state_set() {
        let s = rules_only(set(&["openat", "ptrace", "read"]), false);
        // ptrace + the 65 (openat is in both); read is ignored I/O
        assert_eq!(s.final_set.len(), 66);
        assert!(s.final_set.contains("ptrace") && !s.final_set.contains("read"));
        assert_eq!(s.lines()[0], "(3) syscalls in rules: openat, ptrace, read");
        assert!(s.lines()[1].starts_with(
            "+(64) syscalls (Falco's state engine set of syscalls): accept, accept4,"
        ));
        assert_eq!(
            s.lines()[2],
            "-(1) ignored syscalls (-> activate via `-A` flag): read"
        );
        assert!(s
            .lines()
            .last()
            .unwrap()
            .starts_with("(66) syscalls selected in total (final set): "));
        assert!(s.numbers.contains(&101) && s.numbers.contains(&257));
    }

    #[test]
    fn repair_matches_falco_facts_for_the_stable_rules_shape() {
        // 19 rule syscalls, none of which is in the always-set: Falco's count is
        // 19 + always-set + socket, getsockopt, close (+ procexit) = 41 there.
        let s = rules_only(set(&["openat", "connect", "accept"]), true);
        for n in [
            "socket",
            "getsockopt",
            "bind",
            "close",
            "execve",
            "setuid32",
            "sched_process_exit",
        ] {
            assert!(s.final_set.contains(n), "{n}");
        }
        assert_eq!(s.final_set.len(), 3 + REPAIR_ALWAYS.len() + 4);
        assert!(s.lines()[1].starts_with("+(26) repaired syscalls: bind, capset, chdir"));
    }

    #[test]
    fn repair_set_conditions() {
        let r = repair_set(&set(&["execve"]));
        assert_eq!(r.len(), REPAIR_ALWAYS.len());
        assert!(!r.contains("close") && !r.contains("socket"));
        let r = repair_set(&set(&["pread"]));
        assert!(r.contains("close") && !r.contains("socket"));
        let r = repair_set(&set(&["listen"]));
        assert!(r.contains("bind") && r.contains("socket") && r.contains("getsockopt"));
    }

    #[test]
    fn custom_set_replaces_base_and_negatives_remove() {
        let s = compute(&SelectionRequest {
            custom: vec![
                "getppid".into(),
                "openat".into(),
                "!openat".into(),
                "bogus".into(),
                "!alsobogus".into(),
            ],
            ..Default::default()
        });
        assert_eq!(s.final_set, set(&["getppid", "sched_process_exit"]));
        assert_eq!(s.numbers, vec![110]);
        assert_eq!(
            s.invalid,
            vec!["bogus".to_string(), "!alsobogus".to_string()]
        );
        assert_eq!(
            s.lines(),
            [
                "(0) syscalls in rules: ",
                "+(2) syscalls added (base_syscalls override): getppid, openat",
                "Invalid (positive) syscall names: warning (base_syscalls override): bogus",
                "-(1) syscalls removed (base_syscalls override): openat",
                "Invalid (negative) syscall names: warning (base_syscalls override): alsobogus",
                "(2) syscalls selected in total (final set): getppid, sched_process_exit",
            ]
        );
    }

    #[test]
    fn custom_names_in_kernel_spelling_print_as_falco() {
        let s = compute(&SelectionRequest {
            custom: vec!["pread64".into(), "prlimit64".into()],
            ..Default::default()
        });
        assert_eq!(
            s.final_set,
            set(&["pread", "prlimit", "sched_process_exit"])
        );
        assert_eq!(s.numbers, vec![17, 302]);
        let all = compute(&SelectionRequest {
            custom: vec!["all".into()],
            ..Default::default()
        });
        assert!(all.final_set.contains("pread") && !all.final_set.contains("pread64"));
        assert_eq!(all.numbers.len(), X86_64_SYSCALLS.len());
    }

    #[test]
    fn repaired_custom_set_keeps_negatives_out() {
        let s = compute(&SelectionRequest {
            custom: vec!["openat".into(), "ptrace".into(), "!close".into()],
            repair: true,
            ..Default::default()
        });
        assert!(s.final_set.contains("execve") && s.final_set.contains("ptrace"));
        assert!(!s.final_set.contains("close"));
        assert!(s.lines()[2].starts_with("-(1) syscalls removed (base_syscalls override): close"));
        assert!(s.lines()[3].starts_with("+(22) repaired syscalls: capset, chdir, chroot"));
    }

    #[test]
    fn io_syscalls_need_all_unless_named() {
        let s = rules_only(set(&["write"]), false);
        assert!(!s.final_set.contains("write"));
        let s = compute(&SelectionRequest {
            rules: set(&["write"]),
            all: true,
            ..Default::default()
        });
        assert!(s.final_set.contains("write"));
        assert!(!s.lines().iter().any(|l| l.contains("ignored syscalls")));
        let s = compute(&SelectionRequest {
            custom: vec!["write".into()],
            ..Default::default()
        });
        assert!(s.final_set.contains("write"));
    }

    #[test]
    fn rule_names_in_kernel_spelling_are_normalised() {
        let s = rules_only(set(&["pread64", "setuid32"]), true);
        assert_eq!(s.in_rules, set(&["pread", "setuid32"]));
        assert_eq!(s.lines()[0], "(2) syscalls in rules: pread, setuid32");
        // pread is I/O: repair adds close; it is ignored without `all`
        assert!(s.final_set.contains("close") && !s.final_set.contains("pread"));
    }
}
