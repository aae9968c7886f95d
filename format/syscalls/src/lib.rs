//! Syscall names and numbers (x86_64), and Falco's drop categories.

pub mod decode;
pub mod sets;
mod table;
pub use table::X86_64_SYSCALLS;

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

/// Falco's `buf_size_preset` table: the bytes of one ring buffer for presets
/// 1..=10 (`BUF_SIZE_PRESETS[p - 1]`), for the recorder and replay's
/// simulated rings alike.
pub const BUF_SIZE_PRESETS: [u64; 10] = [
    1 << 20,
    2 << 20,
    4 << 20,
    8 << 20,
    16 << 20,
    32 << 20,
    64 << 20,
    128 << 20,
    256 << 20,
    512 << 20,
];

/// Falco's default preset (4: 8 MiB).
pub const DEFAULT_BUF_SIZE_PRESET: usize = 4;

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
