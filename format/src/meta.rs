//! Trace metadata: the file header and the process-table snapshot.
//! Both are serialized with postcard (see SPEC.md for the field order).

use serde::{Deserialize, Serialize};

/// Format version written by this crate.
pub const FORMAT_MAJOR: u16 = 2;
/// 1.1: item tag 25 (LOCAL_ADDR); 1.2: tag 26 (CGROUPS); 1.3: tag 27
/// (EXE_FLAGS); 2.0: argument selectors and deltas in the block payload
/// (SPEC §5, §9), with every item tag of 1.3; 2.1: container records (kind
/// 6, item tag 28 CONTAINER_JSON); 2.2: the snapshot's extension after
/// postcard(ProcessSnapshot) with the threads' pid-namespace ids (SPEC §3).
pub const FORMAT_MINOR: u16 = 2;
/// (FORMAT_MAJOR, FORMAT_MINOR).
pub const FORMAT_VERSION: (u16, u16) = (FORMAT_MAJOR, FORMAT_MINOR);

/// The file header.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Version of the tool that wrote the file (e.g. "sysreplay 0.1.0").
    pub tool_version: String,
    /// Wall-clock creation time, nanoseconds since the Unix epoch.
    pub created_unix_ns: i64,
    pub hostname: String,
    /// `uname -r` of the recorded host.
    pub kernel_release: String,
    /// Syscall ABI of `nr` in records, e.g. "x86_64".
    pub arch: String,
    /// Possible CPUs of the recorded host.
    pub num_cpus: u32,
    /// Wall time = record ts (CLOCK_BOOTTIME ns) + this offset.
    pub boot_to_wall_ns: i64,
    /// Where the events came from: "ebpf", "synth", "scap-import".
    pub source: String,
    pub config: RecordingConfig,
}

/// How the recording was configured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingConfig {
    /// Selected syscall numbers (empty = all).
    pub syscalls: Vec<u16>,
    /// Bytes per ring buffer.
    pub buf_size_bytes: u64,
    /// CPUs sharing one ring buffer.
    pub cpus_for_each_buffer: u32,
    /// Maximum bytes captured per variable-data item.
    pub snaplen: u32,
    /// Whether environment variables were captured.
    pub capture_env: bool,
    /// Free-form key=value notes (synth seed, rotation index, ...).
    pub notes: Vec<(String, String)>,
}

/// The process table at the start of the recording.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessSnapshot {
    /// CLOCK_BOOTTIME ns when the snapshot was taken.
    pub taken_at_ns: u64,
    pub threads: Vec<ThreadInfo>,
    /// The host's users (from /etc/passwd), for `user.name` and friends.
    pub users: Vec<UserInfo>,
    /// The host's groups (from /etc/group), for `group.name`.
    pub groups: Vec<GroupInfo>,
}

/// One user of the recorded host (Falco's user table).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub home: String,
    pub shell: String,
}

/// One group of the recorded host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub gid: u32,
    pub name: String,
}

/// Parse /etc/passwd-format text; malformed lines are skipped.
pub fn parse_passwd(text: &str) -> Vec<UserInfo> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(UserInfo {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect()
}

/// Parse /etc/group-format text; malformed lines are skipped.
pub fn parse_group(text: &str) -> Vec<GroupInfo> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 3 {
                return None;
            }
            Some(GroupInfo {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
            })
        })
        .collect()
}

/// A NUL-separated argv or environment as libsinsp splits it
/// (sinsp_threadinfo::set_args, set_env): one trailing NUL dropped, empty
/// entries kept (sshd overwrites its environment area with NULs), bytes
/// that are not UTF-8 replaced. Used wherever such a list enters a trace or
/// the engine (/proc, scap process lists and events, exec records).
pub fn split_nul_list(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// One thread (Falco keeps threads; a process is its main thread, tid == pid).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadInfo {
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    pub exe: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    pub loginuid: u32,
    /// Start time, CLOCK_BOOTTIME ns.
    pub start_ns: u64,
    pub cgroup: String,
    /// tty device number, 0 if none.
    pub tty: u32,
    pub sid: u32,
    pub pgid: u32,
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
    /// Only with --capture-env.
    pub env: Option<Vec<String>>,
    /// Open fds; empty for non-leader threads (they share the leader's table).
    pub fds: Vec<FdInfo>,
    /// Thread and process id in the thread's own pid namespace (the last
    /// NSpid/NStgid of /proc/PID/status: 1 for a container's init); 0 when
    /// unknown (files before 2.2). Not part of postcard(ThreadInfo), which
    /// old readers decode: written in the snapshot extension (SPEC §3).
    #[serde(skip)]
    pub vtid: u32,
    #[serde(skip)]
    pub vpid: u32,
}

/// Snapshot extension record kind: the threads' pid-namespace ids.
const EXT_VIDS: u8 = 1;

/// The snapshot extension (format 2.2), written after
/// postcard(ProcessSnapshot) in the snapshot frame, where readers before 2.2
/// never look (postcard ignores trailing bytes): records `u8 kind, u32 len,
/// len bytes`; kind 1 holds `u32 tid, u32 vtid, u32 vpid` per thread whose
/// ids are known. Empty when no thread has any.
pub fn encode_snapshot_ext(snap: &ProcessSnapshot) -> Vec<u8> {
    let known: Vec<&ThreadInfo> = snap.threads.iter().filter(|t| t.vtid != 0).collect();
    if known.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(5 + 12 * known.len());
    out.push(EXT_VIDS);
    out.extend_from_slice(&((12 * known.len()) as u32).to_le_bytes());
    for t in known {
        for v in [t.tid, t.vtid, t.vpid] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Apply the snapshot extension `ext` (the bytes after postcard
/// (ProcessSnapshot)) to `snap`; unknown record kinds are skipped. Errors
/// give the offset in `ext` and what was expected.
pub fn apply_snapshot_ext(snap: &mut ProcessSnapshot, ext: &[u8]) -> Result<(), (usize, String)> {
    let mut at = 0;
    while at < ext.len() {
        if ext.len() - at < 5 {
            return Err((at, "a snapshot extension record header (5 bytes)".into()));
        }
        let kind = ext[at];
        let len = u32::from_le_bytes(ext[at + 1..at + 5].try_into().unwrap()) as usize;
        let body = ext
            .get(at + 5..)
            .and_then(|b| b.get(..len))
            .ok_or_else(|| (at, format!("a snapshot extension record of {len} bytes")))?;
        if kind == EXT_VIDS {
            if !len.is_multiple_of(12) {
                return Err((
                    at,
                    format!("pid-namespace ids in 12-byte entries, not {len} bytes"),
                ));
            }
            let by_tid: std::collections::HashMap<u32, usize> = snap
                .threads
                .iter()
                .enumerate()
                .map(|(i, t)| (t.tid, i))
                .collect();
            for e in body.chunks_exact(12) {
                let v = |i: usize| u32::from_le_bytes(e[i..i + 4].try_into().unwrap());
                if let Some(&i) = by_tid.get(&v(0)) {
                    snap.threads[i].vtid = v(4);
                    snap.threads[i].vpid = v(8);
                }
            }
        }
        at += 5 + len;
    }
    Ok(())
}

/// Falco's fd types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FdType {
    #[default]
    File,
    Directory,
    Ipv4Socket,
    Ipv6Socket,
    UnixSocket,
    Pipe,
    Event,
    Signalfd,
    Inotify,
    Timerfd,
    Netlink,
    Memfd,
    Bpf,
    Userfaultfd,
    IoUring,
    Other,
}

impl FdType {
    /// Falco's `fd.typechar`.
    pub fn typechar(self) -> char {
        match self {
            FdType::File => 'f',
            FdType::Directory => 'd',
            FdType::Ipv4Socket => '4',
            FdType::Ipv6Socket => '6',
            FdType::UnixSocket => 'u',
            FdType::Pipe => 'p',
            FdType::Event => 'e',
            FdType::Signalfd => 's',
            FdType::Inotify => 'i',
            FdType::Timerfd => 't',
            FdType::Netlink => 'n',
            FdType::Memfd => 'm',
            FdType::Bpf => 'b',
            FdType::Userfaultfd => 'u',
            FdType::IoUring => 'r',
            FdType::Other => 'o',
        }
    }
    /// Falco's `fd.type`.
    pub fn name(self) -> &'static str {
        match self {
            FdType::File => "file",
            FdType::Directory => "directory",
            FdType::Ipv4Socket => "ipv4",
            FdType::Ipv6Socket => "ipv6",
            FdType::UnixSocket => "unix",
            FdType::Pipe => "pipe",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Memfd => "memfd",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::IoUring => "io_uring",
            FdType::Other => "other",
        }
    }
}

/// One open fd.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FdInfo {
    pub fd: i32,
    pub fd_type: FdType,
    /// Falco's fd.name: a path, `ip:port->ip:port`, a unix path, `pipe:[ino]`...
    pub name: String,
    /// open(2) flags for files, 0 otherwise.
    pub open_flags: u32,
    pub ino: u64,
    /// For inet sockets: the connection tuple.
    pub socket: Option<SocketTuple>,
}

/// An inet socket's addresses. IPv4 addresses are stored as IPv4-mapped IPv6.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketTuple {
    /// 6 = TCP, 17 = UDP, 0 unknown.
    pub l4proto: u8,
    pub local_ip: [u8; 16],
    pub local_port: u16,
    pub remote_ip: [u8; 16],
    pub remote_port: u16,
    /// A listening socket has no remote end.
    pub listening: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> ProcessSnapshot {
        let t = |tid: u32, pid: u32, vtid: u32, vpid: u32| ThreadInfo {
            tid,
            pid,
            comm: "x".into(),
            vtid,
            vpid,
            ..ThreadInfo::default()
        };
        ProcessSnapshot {
            taken_at_ns: 7,
            threads: vec![t(100, 100, 1, 1), t(101, 100, 2, 1), t(200, 200, 0, 0)],
            ..ProcessSnapshot::default()
        }
    }

    /// The pid-namespace ids ride after postcard(ProcessSnapshot): a 2.1
    /// reader (`postcard::from_bytes`, which ignores what follows) reads the
    /// snapshot as before, without them; a 2.2 reader gets them back.
    #[test]
    fn snapshot_extension_is_invisible_to_older_readers() {
        let s = snap();
        let mut body = postcard::to_allocvec(&s).unwrap();
        let ext = encode_snapshot_ext(&s);
        assert_eq!(ext.len(), 5 + 2 * 12, "only the threads with known ids");
        body.extend_from_slice(&ext);
        let old: ProcessSnapshot = postcard::from_bytes(&body).unwrap();
        let mut plain = s.clone();
        for t in &mut plain.threads {
            (t.vtid, t.vpid) = (0, 0);
        }
        assert_eq!(old, plain);
        let (mut new, rest): (ProcessSnapshot, &[u8]) = postcard::take_from_bytes(&body).unwrap();
        apply_snapshot_ext(&mut new, rest).unwrap();
        assert_eq!(new, s);
        // no known ids: no extension at all (files as 2.1 wrote them)
        assert!(encode_snapshot_ext(&plain).is_empty());
    }

    #[test]
    fn snapshot_extension_errors_and_unknown_kinds() {
        let mut s = snap();
        let ext = encode_snapshot_ext(&s);
        // an unknown kind is skipped, the known one after it applied
        let mut v = vec![9u8, 3, 0, 0, 0, 1, 2, 3];
        v.extend_from_slice(&ext);
        let mut t = s.clone();
        for x in &mut t.threads {
            (x.vtid, x.vpid) = (0, 0);
        }
        apply_snapshot_ext(&mut t, &v).unwrap();
        assert_eq!(t, s);
        // cut inside a record, a header cut short, a bad entry size
        let e = apply_snapshot_ext(&mut s, &ext[..ext.len() - 1]).unwrap_err();
        assert_eq!(e.0, 0);
        assert!(e.1.contains("record of 24 bytes"), "{e:?}");
        let e = apply_snapshot_ext(&mut s, &v[..3]).unwrap_err();
        assert!(e.1.contains("header"), "{e:?}");
        let e = apply_snapshot_ext(&mut s, &[1, 5, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert!(e.1.contains("12-byte entries"), "{e:?}");
    }
}
