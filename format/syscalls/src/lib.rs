//! Syscall names and numbers (x86_64), and Falco's drop categories.

pub mod decode;
pub mod sets;
mod table;
pub use table::{nr, X86_64_SYSCALLS};

use std::collections::HashMap;
use std::sync::OnceLock;

/// Highest syscall number we know plus one: the size of selection bitmaps.
pub const MAX_SYSCALLS: usize = 512;

fn by_nr() -> &'static [Option<&'static str>; MAX_SYSCALLS] {
    static T: OnceLock<[Option<&'static str>; MAX_SYSCALLS]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [None; MAX_SYSCALLS];
        for &(nr, name) in X86_64_SYSCALLS {
            t[nr as usize] = Some(name);
        }
        t
    })
}

fn by_name() -> &'static HashMap<&'static str, u16> {
    static T: OnceLock<HashMap<&'static str, u16>> = OnceLock::new();
    T.get_or_init(|| X86_64_SYSCALLS.iter().map(|&(n, s)| (s, n)).collect())
}

/// The name of syscall `nr`, if known.
pub fn name(nr: u16) -> Option<&'static str> {
    by_nr().get(nr as usize).copied().flatten()
}

/// The number of a syscall by name.
pub fn number(name: &str) -> Option<u16> {
    by_name().get(name).copied()
}

/// A printable name: the syscall name or `syscall_<nr>`.
pub fn display_name(nr: u16) -> std::borrow::Cow<'static, str> {
    match name(nr) {
        Some(n) => n.into(),
        None => format!("syscall_{nr}").into(),
    }
}

/// Falco's drop category (`SR_DROP_*` index) of a syscall exit, or None when
/// the syscall counts only toward the total (libs modern_bpf stats.h).
pub fn drop_category(name: &str) -> Option<usize> {
    use sysreplay_format::record::DROP_CATEGORY_NAMES as N;
    let cat = match name {
        "clone" | "clone3" | "fork" | "vfork" => "clone_fork_exit",
        "execve" | "execveat" => "execve_exit",
        "connect" => "connect_exit",
        "open" | "creat" | "openat" | "openat2" | "open_by_handle_at" => "open_exit",
        "dup" | "dup2" | "dup3" | "chmod" | "fchmod" | "fchmodat" | "fchmodat2" | "chown"
        | "fchown" | "lchown" | "fchownat" | "link" | "linkat" | "mkdir" | "mkdirat" | "mount"
        | "umount2" | "rename" | "renameat" | "renameat2" | "rmdir" | "symlink" | "symlinkat"
        | "unlink" | "unlinkat" => "dir_file_exit",
        "bpf" | "setpgid" | "ptrace" | "seccomp" | "setns" | "setresgid" | "setresuid"
        | "setsid" | "unshare" | "capset" | "keyctl" => "other_interest_exit",
        "close" => "close_exit",
        _ => return None,
    };
    N.iter().position(|&c| c == cat)
}

#[cfg(test)]
mod tests {
    use super::*;
    /// The table against the UAPI header of the machine, where there is one
    /// (Debian's linux-libc-dev): every number it defines has our name.
    #[test]
    fn table_matches_the_uapi_header() {
        let h = std::path::Path::new("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        let Ok(text) = std::fs::read_to_string(h) else {
            eprintln!("table_matches_the_uapi_header: no {} here", h.display());
            return;
        };
        let mut n = 0;
        for l in text.lines() {
            let mut w = l.split_whitespace();
            if let (Some("#define"), Some(macro_name), Some(num)) = (w.next(), w.next(), w.next()) {
                if let (Some(sc), Ok(num)) = (macro_name.strip_prefix("__NR_"), num.parse::<u16>())
                {
                    assert_eq!(name(num), Some(sc), "syscall {num}");
                    n += 1;
                }
            }
        }
        assert!(n > 300, "{n} syscalls in the header");
        assert_eq!(nr::OPENAT, 257);
        assert_eq!(nr::EXECVEAT, 322);
    }

    #[test]
    fn lookups() {
        assert_eq!(name(257), Some("openat"));
        assert_eq!(number("execve"), Some(59));
        assert_eq!(name(462), Some("mseal"));
        assert_eq!(display_name(500), "syscall_500");
        assert_eq!(drop_category("openat"), Some(5));
        assert_eq!(drop_category("read"), None);
    }
}
