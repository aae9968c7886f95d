//! The event record layout, mirrored from `format/include/sysreplay_record.h`.
//!
//! That C header is the single definition shared with the eBPF probe; the
//! structs here are `#[repr(C)]` copies and `tests/layout.rs` checks every size
//! and offset against the header compiled by the host C compiler.

use std::fmt;

/// Size of [`RecordHeader`] in bytes (`sizeof(struct sr_record)`).
pub const RECORD_HEADER_SIZE: usize = 80;
/// Size of an item header (`sizeof(struct sr_item_hdr)`).
pub const ITEM_HEADER_SIZE: usize = 4;
/// Capture plans (`SR_PLAN_*`): what the probe copies from user memory for
/// a syscall. The per-syscall table is `sysreplay_syscalls::capture_plan`.
pub mod plan {
    /// A fixed-size record, no data items.
    pub const NONE: u8 = 0;
    /// Path arg0.
    pub const S0: u8 = 1;
    /// Path arg1.
    pub const S1: u8 = 2;
    /// Paths arg0, arg1.
    pub const S0S1: u8 = 3;
    /// Paths arg1, arg3.
    pub const S1S3: u8 = 4;
    /// Paths arg0, arg2.
    pub const S0S2: u8 = 5;
    /// Mount: source, target, fstype.
    pub const S0S1S2: u8 = 6;
    /// Sockaddr arg1, length arg2.
    pub const SA1: u8 = 7;
    /// Buffer arg1, length arg2.
    pub const WBUF: u8 = 8;
    /// Buffer arg1, length = ret.
    pub const RBUF: u8 = 9;
    /// Buffer arg1 len arg2; sockaddr arg4 len arg5.
    pub const SENDTO: u8 = 10;
    /// Buffer arg1 len ret; result addr arg4 len *arg5.
    pub const RECVFROM: u8 = 11;
    /// Result addr arg1, length *arg2.
    pub const RADDR1: u8 = 12;
    /// Int[2] at arg0.
    pub const FDS0: u8 = 13;
    /// Int[2] at arg3.
    pub const FDS3: u8 = 14;
    /// Saved at enter.
    pub const EXEC: u8 = 15;
    /// Result addr: msghdr at arg1 (msg_name, msg_namelen written back).
    pub const RECVMSG: u8 = 16;
    /// Sockaddr arg1 length arg2; local address of fd arg0.
    pub const CONNECT: u8 = 17;
    /// Result addr arg1, length *arg2; local address of the new fd.
    pub const ACCEPT: u8 = 18;
    /// Number of plans.
    pub const COUNT: u8 = 19;
}

/// Number of Falco drop categories.
pub const DROP_CATEGORIES: usize = 10;

/// `struct sr_record`: the fixed part of every record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordHeader {
    pub ts_ns: u64,
    pub tid: u32,
    pub pid: u32,
    pub kind: u16,
    pub cpu: u16,
    pub nr: u16,
    pub data_len: u16,
    pub ret: i64,
    pub args: [u64; 6],
}

/// Record kinds (`SR_KIND_*`).
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Syscall = 1,
    ProcExit = 2,
    ProcFork = 3,
    ProcExec = 4,
    Drop = 5,
    /// A container's metadata (format 2.1): one CONTAINER_JSON item, the
    /// container runtime's description as libsinsp's container events
    /// carry it, at the point in time the capture learnt it.
    Container = 6,
}

/// Ring-buffer transport only (SR_KIND_RING_BATCH), never in a trace: a
/// batch of whole 80-byte records staged by one CPU (see the header file).
pub const KIND_RING_BATCH: u16 = 127;

impl Kind {
    pub fn from_u16(v: u16) -> Option<Kind> {
        Some(match v {
            1 => Kind::Syscall,
            2 => Kind::ProcExit,
            3 => Kind::ProcFork,
            4 => Kind::ProcExec,
            5 => Kind::Drop,
            6 => Kind::Container,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::Syscall => "syscall",
            Kind::ProcExit => "procexit",
            Kind::ProcFork => "procfork",
            Kind::ProcExec => "procexec",
            Kind::Drop => "drop",
            Kind::Container => "container",
        }
    }
}

/// Item tags (`SR_TAG_*`).
pub mod tag {
    pub const ARG0: u8 = 0;
    pub const ARG1: u8 = 1;
    pub const ARG2: u8 = 2;
    pub const ARG3: u8 = 3;
    pub const ARG4: u8 = 4;
    pub const ARG5: u8 = 5;
    pub const ARGV: u8 = 16;
    pub const ENV: u8 = 17;
    pub const EXE: u8 = 18;
    pub const COMM: u8 = 19;
    pub const CWD: u8 = 20;
    pub const DROP_COUNTS: u8 = 21;
    pub const CREDS: u8 = 22;
    pub const RESULT_ADDR: u8 = 23;
    pub const FDS: u8 = 24;
    /// The socket's own address after connect/accept (sockaddr_in/_in6).
    pub const LOCAL_ADDR: u8 = 25;
    /// The task's cgroups after an exec or fork (procexec/procfork records):
    /// NUL-separated `subsys=path` entries, as Falco's drivers write the
    /// `cgroups` parameter. Format 1.2.
    pub const CGROUPS: u8 = 26;
    /// The new image's exe flags (procexec records): a little-endian u32 of
    /// [`exe_flags`] bits, the drivers' execve exit `flags`. Format 1.3.
    pub const EXE_FLAGS: u8 = 27;
    /// A container's metadata (container records): UTF-8 JSON,
    /// `{"container":{...}}` as libsinsp's container JSON events hold it.
    /// Format 2.1.
    pub const CONTAINER_JSON: u8 = 28;
    /// On a clone/fork/vfork/clone3 syscall record: the recording thread's
    /// ids in its own pid namespace, two little-endian u32 (vtid, vpid), as
    /// the drivers' clone exit `vtid`/`vpid` (written by `sysreplay import`).
    /// Format 2.2.
    pub const NS_IDS: u8 = 29;

    /// A short name for display.
    pub fn name(tag: u8) -> &'static str {
        match tag {
            0 => "arg0",
            1 => "arg1",
            2 => "arg2",
            3 => "arg3",
            4 => "arg4",
            5 => "arg5",
            ARGV => "argv",
            ENV => "env",
            EXE => "exe",
            COMM => "comm",
            CWD => "cwd",
            DROP_COUNTS => "drop_counts",
            CREDS => "creds",
            RESULT_ADDR => "result_addr",
            FDS => "fds",
            LOCAL_ADDR => "local_addr",
            CGROUPS => "cgroups",
            EXE_FLAGS => "exe_flags",
            CONTAINER_JSON => "container_json",
            NS_IDS => "ns_ids",
            _ => "unknown",
        }
    }
}

/// Bits of an EXE_FLAGS item (`SR_EXE_*`, libs' `PPM_EXE_*`).
pub mod exe_flags {
    /// The process may write its executable.
    pub const WRITABLE: u32 = 0x1;
    /// An overlayfs executable from the upper layer.
    pub const UPPER_LAYER: u32 = 0x2;
    /// The executable is a memfd.
    pub const FROM_MEMFD: u32 = 0x4;
    /// An overlayfs executable from a lower layer.
    pub const LOWER_LAYER: u32 = 0x8;
}

/// Item flags (`SR_ITEM_*`).
pub const ITEM_TRUNCATED: u8 = 0x01;
pub const ITEM_FAULT: u8 = 0x02;

/// `struct sr_item_hdr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemHeader {
    pub tag: u8,
    pub flags: u8,
    pub len: u16,
}

/// `struct sr_creds`: credentials and identity of a task, attached to exec
/// and fork records so the process table is right without /proc.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub ppid: u32,
    pub pad: u32,
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
}
pub const CREDS_SIZE: usize = 56;

/// `struct sr_drop_counts`: events lost in a drop window, per Falco category.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCounts {
    pub n: [u64; DROP_CATEGORIES],
    pub n_other: u64,
}
pub const DROP_COUNTS_SIZE: usize = 88;

/// `struct sr_cpu_counters`: per-CPU kernel counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuCounters {
    pub n_evts: u64,
    pub n_drops: u64,
    pub n_drops_cat: [u64; DROP_CATEGORIES],
    pub n_drops_other: u64,
}
pub const CPU_COUNTERS_SIZE: usize = 104;

/// Falco's drop category names, in `SR_DROP_*` order (the metric suffixes of
/// `n_drops_buffer_<category>`).
pub const DROP_CATEGORY_NAMES: [&str; DROP_CATEGORIES] = [
    "clone_fork_exit",
    "execve_exit",
    "connect_enter",
    "connect_exit",
    "open_enter",
    "open_exit",
    "dir_file_exit",
    "other_interest_exit",
    "close_exit",
    "proc_exit",
];

/// A malformed record or item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Offset of the problem inside the record bytes.
    pub offset: usize,
    pub what: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at record byte {}: {}", self.offset, self.what)
    }
}
impl std::error::Error for RecordError {}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

impl RecordHeader {
    /// Decode the header from the first 80 bytes of `b` (little-endian).
    pub fn decode(b: &[u8]) -> Result<RecordHeader, RecordError> {
        if b.len() < RECORD_HEADER_SIZE {
            return Err(RecordError {
                offset: b.len(),
                what: format!(
                    "record of {} bytes is shorter than the {}-byte header",
                    b.len(),
                    RECORD_HEADER_SIZE
                ),
            });
        }
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, 32 + 8 * i);
        }
        Ok(RecordHeader {
            ts_ns: u64_at(b, 0),
            tid: u32_at(b, 8),
            pid: u32_at(b, 12),
            kind: u16_at(b, 16),
            cpu: u16_at(b, 18),
            nr: u16_at(b, 20),
            data_len: u16_at(b, 22),
            ret: u64_at(b, 24) as i64,
            args,
        })
    }

    /// Encode into 80 little-endian bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ts_ns.to_le_bytes());
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&self.pid.to_le_bytes());
        out.extend_from_slice(&self.kind.to_le_bytes());
        out.extend_from_slice(&self.cpu.to_le_bytes());
        out.extend_from_slice(&self.nr.to_le_bytes());
        out.extend_from_slice(&self.data_len.to_le_bytes());
        out.extend_from_slice(&self.ret.to_le_bytes());
        for a in self.args {
            out.extend_from_slice(&a.to_le_bytes());
        }
    }
}

/// Split a raw record (as the probe writes it) into header and data items.
pub fn parse_record(b: &[u8]) -> Result<(RecordHeader, &[u8]), RecordError> {
    let h = RecordHeader::decode(b)?;
    let end = RECORD_HEADER_SIZE + h.data_len as usize;
    if b.len() < end {
        return Err(RecordError {
            offset: b.len(),
            what: format!(
                "record says {} data bytes but only {} follow the header",
                h.data_len,
                b.len() - RECORD_HEADER_SIZE
            ),
        });
    }
    let data = &b[RECORD_HEADER_SIZE..end];
    validate_items(data)?;
    Ok((h, data))
}

/// One variable-data item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item<'a> {
    pub tag: u8,
    pub flags: u8,
    pub bytes: &'a [u8],
}

impl<'a> Item<'a> {
    pub fn truncated(&self) -> bool {
        self.flags & ITEM_TRUNCATED != 0
    }
    pub fn faulted(&self) -> bool {
        self.flags & ITEM_FAULT != 0
    }
    /// The bytes up to the first NUL (C strings are captured with their NUL).
    pub fn c_str(&self) -> &'a [u8] {
        // memchr's vector search (a byte loop costs a branch per byte, and
        // core's CStr search a word at a time: paths are read for every open)
        match memchr::memchr(0, self.bytes) {
            Some(n) => &self.bytes[..n],
            None => self.bytes,
        }
    }
}

/// Iterator over the items of a record's data. Data must have been validated
/// (see [`validate_items`]); a malformed tail ends the iteration.
#[derive(Clone)]
pub struct Items<'a> {
    rest: &'a [u8],
}

impl<'a> Items<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Items { rest: data }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;
    fn next(&mut self) -> Option<Item<'a>> {
        if self.rest.len() < ITEM_HEADER_SIZE {
            return None;
        }
        let len = u16_at(self.rest, 2) as usize;
        if self.rest.len() < ITEM_HEADER_SIZE + len {
            self.rest = &[];
            return None;
        }
        let item = Item {
            tag: self.rest[0],
            flags: self.rest[1],
            bytes: &self.rest[ITEM_HEADER_SIZE..ITEM_HEADER_SIZE + len],
        };
        self.rest = &self.rest[ITEM_HEADER_SIZE + len..];
        Some(item)
    }
}

/// Check that `data` is a whole sequence of items.
pub fn validate_items(data: &[u8]) -> Result<(), RecordError> {
    let mut o = 0;
    while o < data.len() {
        if data.len() - o < ITEM_HEADER_SIZE {
            return Err(RecordError {
                offset: RECORD_HEADER_SIZE + o,
                what: format!(
                    "{} stray bytes where an item header was expected",
                    data.len() - o
                ),
            });
        }
        let len = u16_at(data, o + 2) as usize;
        if data.len() - o - ITEM_HEADER_SIZE < len {
            return Err(RecordError {
                offset: RECORD_HEADER_SIZE + o,
                what: format!(
                    "item (tag {}) says {} bytes but only {} remain",
                    data[o],
                    len,
                    data.len() - o - ITEM_HEADER_SIZE
                ),
            });
        }
        o += ITEM_HEADER_SIZE + len;
    }
    Ok(())
}

/// Append one item to `data`, cutting it at `SR_MAX_ITEM_LEN` (marked truncated).
pub fn push_item(data: &mut Vec<u8>, tag: u8, flags: u8, bytes: &[u8]) {
    let (bytes, flags) = if bytes.len() > u16::MAX as usize {
        (&bytes[..u16::MAX as usize], flags | ITEM_TRUNCATED)
    } else {
        (bytes, flags)
    };
    data.push(tag);
    data.push(flags);
    data.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    data.extend_from_slice(bytes);
}

impl Creds {
    pub fn decode(b: &[u8]) -> Option<Creds> {
        if b.len() < CREDS_SIZE {
            return None;
        }
        Some(Creds {
            uid: u32_at(b, 0),
            gid: u32_at(b, 4),
            euid: u32_at(b, 8),
            egid: u32_at(b, 12),
            loginuid: u32_at(b, 16),
            tty: u32_at(b, 20),
            ppid: u32_at(b, 24),
            pad: u32_at(b, 28),
            cap_effective: u64_at(b, 32),
            cap_permitted: u64_at(b, 40),
            cap_inheritable: u64_at(b, 48),
        })
    }
    pub fn encode(&self) -> [u8; CREDS_SIZE] {
        let mut o = [0u8; CREDS_SIZE];
        for (i, v) in [
            self.uid,
            self.gid,
            self.euid,
            self.egid,
            self.loginuid,
            self.tty,
            self.ppid,
            self.pad,
        ]
        .iter()
        .enumerate()
        {
            o[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        o[32..40].copy_from_slice(&self.cap_effective.to_le_bytes());
        o[40..48].copy_from_slice(&self.cap_permitted.to_le_bytes());
        o[48..56].copy_from_slice(&self.cap_inheritable.to_le_bytes());
        o
    }
}

impl DropCounts {
    pub fn decode(b: &[u8]) -> Option<DropCounts> {
        if b.len() < DROP_COUNTS_SIZE {
            return None;
        }
        let mut n = [0u64; DROP_CATEGORIES];
        for (i, v) in n.iter_mut().enumerate() {
            *v = u64_at(b, i * 8);
        }
        Some(DropCounts {
            n,
            n_other: u64_at(b, DROP_CATEGORIES * 8),
        })
    }
    pub fn encode(&self) -> [u8; DROP_COUNTS_SIZE] {
        let mut o = [0u8; DROP_COUNTS_SIZE];
        for (i, v) in self.n.iter().enumerate() {
            o[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        o[80..88].copy_from_slice(&self.n_other.to_le_bytes());
        o
    }
    pub fn total(&self) -> u64 {
        self.n.iter().sum::<u64>() + self.n_other
    }
}

impl CpuCounters {
    pub fn decode(b: &[u8]) -> Option<CpuCounters> {
        if b.len() < CPU_COUNTERS_SIZE {
            return None;
        }
        let mut cat = [0u64; DROP_CATEGORIES];
        for (i, v) in cat.iter_mut().enumerate() {
            *v = u64_at(b, 16 + i * 8);
        }
        Some(CpuCounters {
            n_evts: u64_at(b, 0),
            n_drops: u64_at(b, 8),
            n_drops_cat: cat,
            n_drops_other: u64_at(b, 96),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let h = RecordHeader {
            ts_ns: 1,
            tid: 2,
            pid: 3,
            kind: 1,
            cpu: 4,
            nr: 257,
            data_len: 0,
            ret: -2,
            args: [1, 2, 3, 4, 5, u64::MAX],
        };
        let mut b = Vec::new();
        h.encode(&mut b);
        assert_eq!(b.len(), RECORD_HEADER_SIZE);
        assert_eq!(RecordHeader::decode(&b).unwrap(), h);
    }

    #[test]
    fn items_validate_and_iterate() {
        let mut d = Vec::new();
        push_item(&mut d, tag::ARG0, 0, b"/etc/passwd\0");
        push_item(&mut d, tag::ARGV, ITEM_TRUNCATED, b"ls\0-l\0");
        validate_items(&d).unwrap();
        let items: Vec<_> = Items::new(&d).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].c_str(), b"/etc/passwd");
        assert_eq!(items[1].c_str(), b"ls", "up to the first NUL");
        assert!(items[1].truncated());
        // no NUL (a string cut by the capture): all of it, of any length
        for n in [0, 1, 15, 16, 17, 100] {
            let mut d = Vec::new();
            push_item(&mut d, tag::ARG0, ITEM_TRUNCATED, &vec![b'a'; n]);
            let i = Items::new(&d).next().unwrap();
            assert_eq!(i.c_str().len(), n);
        }
        let err = validate_items(&d[..d.len() - 1]).unwrap_err();
        assert_eq!(err.offset, RECORD_HEADER_SIZE + 16);
    }

    #[test]
    fn short_record_is_an_error_not_a_panic() {
        assert!(parse_record(&[0u8; 10]).is_err());
        let mut b = Vec::new();
        RecordHeader {
            data_len: 5,
            ..Default::default()
        }
        .encode(&mut b);
        assert!(parse_record(&b).is_err());
    }
}
