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

/// What the probe copies from user memory at the exit of syscall `nr` (an
/// `SR_PLAN_*` value of `sysreplay_record.h`): the loader writes this into
/// the probe, so this table is the only place it is said.
pub fn capture_plan(nr: u16) -> u8 {
    use sysreplay_format::record::plan as p;
    fn of(name: &str) -> u8 {
        match name {
            "open" | "creat" | "truncate" | "chdir" | "mkdir" | "rmdir" | "unlink" | "chmod"
            | "chown" | "lchown" | "mknod" | "chroot" | "umount2" | "swapon" | "readlink"
            | "memfd_create" => p::S0,
            "openat" | "openat2" | "mkdirat" | "mknodat" | "fchownat" | "unlinkat" | "fchmodat"
            | "fchmodat2" | "inotify_add_watch" | "readlinkat" => p::S1,
            "rename" | "link" | "symlink" => p::S0S1,
            "renameat" | "renameat2" | "linkat" => p::S1S3,
            "symlinkat" => p::S0S2,
            "mount" => p::S0S1S2,
            "bind" => p::SA1,
            "connect" => p::CONNECT,
            "accept" | "accept4" => p::ACCEPT,
            "write" | "pwrite64" => p::WBUF,
            "read" | "pread64" => p::RBUF,
            "sendto" => p::SENDTO,
            "recvfrom" => p::RECVFROM,
            "getsockname" | "getpeername" => p::RADDR1,
            "pipe" | "pipe2" => p::FDS0,
            "socketpair" => p::FDS3,
            "execve" | "execveat" => p::EXEC,
            "recvmsg" => p::RECVMSG,
            _ => p::NONE,
        }
    }
    static T: OnceLock<[u8; MAX_SYSCALLS]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [p::NONE; MAX_SYSCALLS];
        for &(nr, name) in X86_64_SYSCALLS {
            t[nr as usize] = of(name);
        }
        t
    })
    .get(nr as usize)
    .copied()
    .unwrap_or(p::NONE)
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

/// Falco's default `engine.modern_ebpf.cpus_for_each_buffer`.
pub const DEFAULT_CPUS_FOR_EACH_BUFFER: u32 = 2;

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

    /// The syscalls with data items are the ones the probe's C switch named
    /// before the plans moved here (frozen: a change is deliberate).
    #[test]
    fn capture_plans_cover_the_syscalls_with_data() {
        let with_items: Vec<u16> = (0..MAX_SYSCALLS as u16)
            .filter(|&n| capture_plan(n) != sysreplay_format::record::plan::NONE)
            .collect();
        assert_eq!(
            with_items,
            [
                0, 1, 2, 17, 18, 22, 42, 43, 44, 45, 47, 49, 51, 52, 53, 59, 76, 80, 82, 83, 84,
                85, 86, 87, 88, 89, 90, 92, 94, 133, 161, 165, 166, 167, 254, 257, 258, 259, 260,
                263, 264, 265, 266, 267, 268, 288, 293, 316, 319, 322, 437, 452,
            ]
        );
        assert_eq!(
            capture_plan(nr::RENAMEAT2),
            sysreplay_format::record::plan::S1S3
        );
        assert_eq!(
            capture_plan(nr::GETPID),
            sysreplay_format::record::plan::NONE
        );
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
