//! PPM events: the header, parameter lengths and values, and the parameter
//! layouts (per event code, per version) of the subset sysreplay converts.

use super::ScapError;

/// Event codes used by name in the importer and exporter.
pub mod code {
    pub const GENERIC_E: u16 = 0;
    pub const GENERIC_X: u16 = 1;
    pub const OPEN_E: u16 = 2;
    pub const OPEN_X: u16 = 3;
    pub const CLOSE_E: u16 = 4;
    pub const CLOSE_X: u16 = 5;
    pub const READ_E: u16 = 6;
    pub const READ_X: u16 = 7;
    pub const WRITE_E: u16 = 8;
    pub const WRITE_X: u16 = 9;
    pub const CLONE_11_X: u16 = 15;
    pub const SOCKET_E: u16 = 18;
    pub const SOCKET_X: u16 = 19;
    pub const BIND_E: u16 = 20;
    pub const BIND_X: u16 = 21;
    pub const CONNECT_E: u16 = 22;
    pub const CONNECT_X: u16 = 23;
    pub const LISTEN_E: u16 = 24;
    pub const LISTEN_X: u16 = 25;
    pub const SENDTO_E: u16 = 30;
    pub const SENDTO_X: u16 = 31;
    pub const RECVFROM_E: u16 = 34;
    pub const RECVFROM_X: u16 = 35;
    pub const SENDMSG_E: u16 = 48;
    pub const SENDMSG_X: u16 = 49;
    pub const CREAT_E: u16 = 58;
    pub const CREAT_X: u16 = 59;
    pub const PIPE_E: u16 = 60;
    pub const PIPE_X: u16 = 61;
    pub const RECVMSG_E: u16 = 52;
    pub const RECVMSG_X: u16 = 53;
    pub const CHDIR_E: u16 = 94;
    pub const CHDIR_X: u16 = 95;
    pub const FCHDIR_E: u16 = 96;
    pub const FCHDIR_X: u16 = 97;
    pub const SETNS_E: u16 = 240;
    pub const SETNS_X: u16 = 241;
    pub const SETSID_E: u16 = 274;
    pub const SETSID_X: u16 = 275;
    pub const RMDIR_2_E: u16 = 278;
    pub const RMDIR_2_X: u16 = 279;
    pub const UNSHARE_E: u16 = 284;
    pub const UNSHARE_X: u16 = 285;
    pub const SETPGID_E: u16 = 294;
    pub const SETPGID_X: u16 = 295;
    pub const BPF_X: u16 = 297;
    pub const USERFAULTFD_E: u16 = 320;
    pub const USERFAULTFD_X: u16 = 321;
    pub const DUP_E: u16 = 124;
    pub const DUP_X: u16 = 125;
    pub const PTRACE_E: u16 = 168;
    pub const PTRACE_X: u16 = 169;
    pub const RENAME_E: u16 = 174;
    pub const RENAME_X: u16 = 175;
    pub const RENAMEAT_E: u16 = 176;
    pub const RENAMEAT_X: u16 = 177;
    pub const SYMLINK_E: u16 = 178;
    pub const SYMLINK_X: u16 = 179;
    pub const SYMLINKAT_E: u16 = 180;
    pub const SYMLINKAT_X: u16 = 181;
    pub const DROP_E: u16 = 148;
    pub const DROP_X: u16 = 149;
    pub const PROCEXIT_1_E: u16 = 186;
    pub const SETRESUID_E: u16 = 192;
    pub const SETRESUID_X: u16 = 193;
    pub const SETRESGID_E: u16 = 194;
    pub const SETRESGID_X: u16 = 195;
    pub const SETUID_E: u16 = 198;
    pub const SETUID_X: u16 = 199;
    pub const SETGID_E: u16 = 200;
    pub const SETGID_X: u16 = 201;
    pub const CLONE_20_E: u16 = 222;
    pub const CLONE_20_X: u16 = 223;
    pub const FORK_20_E: u16 = 224;
    pub const FORK_20_X: u16 = 225;
    pub const VFORK_20_E: u16 = 226;
    pub const VFORK_20_X: u16 = 227;
    pub const CONTAINER_E: u16 = 228;
    pub const PROCINFO_E: u16 = 234;
    pub const ACCEPT_5_E: u16 = 246;
    pub const ACCEPT_5_X: u16 = 247;
    pub const ACCEPT4_5_E: u16 = 248;
    pub const ACCEPT4_5_X: u16 = 249;
    pub const CONTAINER_JSON_E: u16 = 272;
    pub const CONTAINER_JSON_2_E: u16 = 324;
    pub const MKDIR_2_E: u16 = 276;
    pub const MKDIR_2_X: u16 = 277;
    pub const EXECVE_19_E: u16 = 292;
    pub const EXECVE_19_X: u16 = 293;
    pub const UNLINK_2_E: u16 = 300;
    pub const UNLINK_2_X: u16 = 301;
    pub const UNLINKAT_2_E: u16 = 302;
    pub const UNLINKAT_2_X: u16 = 303;
    pub const MKDIRAT_E: u16 = 304;
    pub const MKDIRAT_X: u16 = 305;
    pub const OPENAT_2_E: u16 = 306;
    pub const OPENAT_2_X: u16 = 307;
    pub const LINK_2_E: u16 = 308;
    pub const LINK_2_X: u16 = 309;
    pub const LINKAT_2_E: u16 = 310;
    pub const LINKAT_2_X: u16 = 311;
    pub const FCHMODAT_E: u16 = 312;
    pub const FCHMODAT_X: u16 = 313;
    pub const CHMOD_E: u16 = 314;
    pub const CHMOD_X: u16 = 315;
    pub const FCHMOD_E: u16 = 316;
    pub const FCHMOD_X: u16 = 317;
    pub const RENAMEAT2_E: u16 = 318;
    pub const RENAMEAT2_X: u16 = 319;
    pub const OPENAT2_E: u16 = 326;
    pub const OPENAT2_X: u16 = 327;
    pub const EXECVEAT_E: u16 = 330;
    pub const EXECVEAT_X: u16 = 331;
    pub const CLONE3_E: u16 = 334;
    pub const CLONE3_X: u16 = 335;
}

/// The name of an event code (`evt.type`), e.g. "openat", from the generated
/// event table; unknown codes and codes the table marks "NA" are named
/// `event_<code>`, except those sysdig 0.29.3 named (`SYSDIG_0_29_NAMES`).
pub fn event_name(code: u16) -> std::borrow::Cow<'static, str> {
    if let Ok(i) = SYSDIG_0_29_NAMES.binary_search_by_key(&code, |&(c, _)| c) {
        return std::borrow::Cow::Borrowed(SYSDIG_0_29_NAMES[i].1);
    }
    match super::event_params::EVENT_TABLE_NAMES.get(code as usize) {
        Some(n) if *n != "NA" => std::borrow::Cow::Borrowed(n),
        _ => std::borrow::Cow::Owned(format!("event_{code}")),
    }
}

/// Names libscap 2022 (sysdig 0.29.3) gave to codes the newest table calls
/// "NA" (retired or unused codes), and the exits of the user/group meta
/// events, named like their enter; sorted by code.
const SYSDIG_0_29_NAMES: [(u16, &str); 23] = [
    (17, "NA1"),
    (147, "NA2"),
    (153, "NA2"),
    (187, "NA1"),
    (196, "sysdigevent"),
    (197, "sysdigevent"),
    (229, "container"),
    (233, "signaldeliver"),
    (235, "NA2"),
    (245, "NA2"),
    (261, "NA3"),
    (269, "tracer"),
    (271, "NA4"),
    (273, "container"),
    (281, "NA4"),
    (287, "NA4"),
    (291, "NA5"),
    (323, "pluginevent"),
    (325, "container"),
    (355, "useradded"),
    (357, "userdeleted"),
    (359, "groupadded"),
    (361, "groupdeleted"),
];

/// Enter events have even codes.
pub fn is_enter(code: u16) -> bool {
    code & 1 == 0
}

/// Events that are libscap bookkeeping, not syscalls (sysdig hides them).
pub fn is_internal(code: u16) -> bool {
    matches!(
        code,
        code::PROCINFO_E | 235 | code::CONTAINER_E | 229 | code::CONTAINER_JSON_E | 273 | 196 | 197
    ) || (324..=325).contains(&code)
        // user/group added/deleted (libscap meta events, newer than 0.29.3)
        || (354..=361).contains(&code)
}

// Parameter name lists of the process events (they share a long prefix).
const PROC_PREFIX: [&str; 8] = ["res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit"];
const MEM: [&str; 5] = ["pgft_maj", "pgft_min", "vm_size", "vm_rss", "vm_swap"];

macro_rules! cat {
    ($($part:expr),* $(,)?) => {{
        const N: usize = 0 $(+ $part.len())*;
        const fn build() -> [&'static str; N] {
            let mut out = [""; N];
            let mut i = 0;
            $(
                let p = $part;
                let mut j = 0;
                while j < p.len() {
                    out[i] = p[j];
                    i += 1;
                    j += 1;
                }
            )*
            let _ = i;
            out
        }
        const A: [&'static str; N] = build();
        &A
    }};
}

/// Parameter names of event `code`, in wire order, for the events the
/// importer converts (the newest layout: older files carry a prefix of it,
/// except where a version changed the order, which has its own code).
pub fn param_names(code: u16) -> Option<&'static [&'static str]> {
    Some(match code {
        2 => &["name", "flags", "mode"],
        3 => &["fd", "name", "flags", "mode", "dev", "ino"],
        4 => &["fd"],
        5 => &["res", "fd"],
        6 | 8 => &["fd", "size"],
        7 | 9 => &["res", "data", "fd", "size"],
        12 | 14 | 156 | 216 | 218 | 220 | 222 | 224 | 226 | 230 | 154 | 172 | 214 | 282 | 182
        | 184 | 334 => &[],
        13 => cat!(PROC_PREFIX),
        15 => cat!(PROC_PREFIX, ["flags", "uid", "gid"]),
        155 => cat!(PROC_PREFIX, MEM),
        157 | 183 | 185 => cat!(PROC_PREFIX, MEM, ["flags", "uid", "gid"]),
        173 => cat!(PROC_PREFIX, MEM, ["env"]),
        215 => cat!(PROC_PREFIX, MEM, ["comm", "env"]),
        217 | 219 | 221 => cat!(PROC_PREFIX, MEM, ["comm", "flags", "uid", "gid"]),
        223 | 225 | 227 | 335 => cat!(
            PROC_PREFIX,
            MEM,
            [
                "comm",
                "cgroups",
                "flags",
                "uid",
                "gid",
                "vtid",
                "vpid",
                "pidns_init_start_ts"
            ]
        ),
        231 => cat!(PROC_PREFIX, MEM, ["comm", "cgroups", "env"]),
        283 => cat!(PROC_PREFIX, MEM, ["comm", "cgroups", "env", "tty"]),
        288 | 292 => &["filename"],
        289 => cat!(PROC_PREFIX, MEM, ["comm", "cgroups", "env", "tty", "pgid"]),
        293 | 331 => cat!(
            PROC_PREFIX,
            MEM,
            [
                "comm",
                "cgroups",
                "env",
                "tty",
                "pgid",
                "loginuid",
                "flags",
                "cap_inheritable",
                "cap_permitted",
                "cap_effective",
                "exe_ino",
                "exe_ino_ctime",
                "exe_ino_mtime",
                "uid",
                "trusted_exepath",
                "pgid2",
                "gid",
                "filename",
            ]
        ),
        330 => &["dirfd", "pathname", "flags"],
        186 => &["status", "ret", "sig", "core", "reaper_tid"],
        18 => &["domain", "type", "proto"],
        19 => &["fd", "domain", "type", "proto"],
        20 => &["fd"],
        21 => &["res", "addr", "fd"],
        22 => &["fd", "addr"],
        23 => &["res", "tuple", "fd", "addr"],
        24 => &["fd", "backlog"],
        25 => &["res", "fd", "backlog"],
        26 | 246 => &[],
        27 => &["fd", "tuple", "queuepct"],
        247 => &["fd", "tuple", "queuepct", "queuelen", "queuemax"],
        56 | 248 => &["flags"],
        57 => &["fd", "tuple", "queuepct"],
        249 => &["fd", "tuple", "queuepct", "queuelen", "queuemax", "flags"],
        30 | 48 => &["fd", "size", "tuple"],
        31 | 49 => &["res", "data", "fd", "size", "tuple"],
        34 => &["fd", "size"],
        35 => &["res", "data", "tuple", "fd", "size"],
        58 => &["name", "mode"],
        59 => &["fd", "name", "mode", "dev", "ino"],
        60 => &[],
        61 => &["res", "fd1", "fd2", "ino"],
        52 => &["fd"],
        53 => &["res", "size", "data", "tuple"],
        94 | 274 | 278 | 320 => &[],
        95 => &["res", "path"],
        96 => &["fd"],
        97 => &["res"],
        100 => &["path"],
        101 => &["res"],
        240 => &["fd", "nstype"],
        241 => &["res", "fd", "nstype"],
        275 => &["res"],
        279 => &["res", "path"],
        284 => &["flags"],
        285 => &["res", "flags"],
        294 => &["pid", "pgid"],
        295 => &["res", "pid", "pgid"],
        296 => &["cmd"],
        297 => &["res_or_fd", "cmd"],
        321 => &["res", "flags"],
        98 => &["path", "mode"],
        99 => &["res"],
        102 => &["dirfd", "name", "flags", "mode"],
        103 => &["fd"],
        104 => &["oldpath", "newpath"],
        105 => &["res"],
        106 => &["olddir", "oldpath", "newdir", "newpath"],
        107 => &["res"],
        108 => &["path"],
        109 => &["res"],
        110 => &["dirfd", "name"],
        111 => &["res"],
        124 => &["fd"],
        125 => &["res", "oldfd"],
        168 => &["request", "pid"],
        169 => &["res", "addr", "data", "request", "pid"],
        174 | 176 | 178 | 180 | 300 | 302 | 304 | 308 | 310 | 312 | 314 | 316 | 318 => &[],
        175 => &["res", "oldpath", "newpath"],
        177 => &["res", "olddirfd", "oldpath", "newdirfd", "newpath"],
        179 => &["res", "target", "linkpath"],
        181 => &["res", "target", "linkdirfd", "linkpath"],
        192 => &["ruid", "euid", "suid"],
        193 => &["res", "ruid", "euid", "suid"],
        194 => &["rgid", "egid", "sgid"],
        195 => &["res", "rgid", "egid", "sgid"],
        198 => &["uid"],
        199 => &["res", "uid"],
        200 => &["gid"],
        201 => &["res", "gid"],
        276 => &["mode"],
        277 => &["res", "path"],
        301 => &["res", "path"],
        303 => &["res", "dirfd", "name", "flags"],
        305 => &["res", "dirfd", "path", "mode"],
        306 => &["dirfd", "name", "flags", "mode"],
        307 => &["fd", "dirfd", "name", "flags", "mode", "dev", "ino"],
        309 => &["res", "oldpath", "newpath"],
        311 => &["res", "olddir", "oldpath", "newdir", "newpath", "flags"],
        313 => &["res", "dirfd", "filename", "mode"],
        315 => &["res", "filename", "mode"],
        317 => &["res", "fd", "mode"],
        319 => &["res", "olddirfd", "oldpath", "newdirfd", "newpath", "flags"],
        326 => &["dirfd", "name", "flags", "mode", "resolve"],
        327 => &[
            "fd", "dirfd", "name", "flags", "mode", "resolve", "dev", "ino",
        ],
        _ => return None,
    })
}

/// A parameter's type in the event table (libs' `PT_*`, same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pt {
    Abstime,
    Bytebuf,
    Charbuf,
    CharbufPairArray,
    Charbufarray,
    Dyn,
    Enumflags16,
    Enumflags32,
    Enumflags8,
    Errno,
    Fd,
    Fd32,
    Fdlist,
    Flags16,
    Flags32,
    Flags8,
    Fspath,
    Fsrelpath,
    Gid,
    Int16,
    Int32,
    Int64,
    Ipv4addr,
    Ipv6addr,
    Mode,
    Pid,
    Pid32,
    Port,
    Reltime,
    Sigset,
    Sigtype,
    Sockaddr,
    Socktuple,
    Syscallid,
    Uid,
    Uint16,
    Uint32,
    Uint64,
    Uint8,
}

impl Pt {
    /// The class the importer reads a parameter by: `F` fd, `E` errno, `I`
    /// signed and `U` unsigned raw integer, `S` string, `-` other
    /// (PPM-encoded flags and enums, buffers, addresses, ...).
    pub fn class(self) -> u8 {
        use Pt::*;
        match self {
            Fd => b'F',
            Errno => b'E',
            Int16 | Int32 | Int64 | Pid => b'I',
            Uint8 | Uint16 | Uint32 | Uint64 | Uid | Gid | Sigtype => b'U',
            Charbuf | Fspath | Fsrelpath => b'S',
            _ => b'-',
        }
    }

    /// Bytes of a fixed-size integer parameter; None for strings, buffers
    /// and other variable-length values.
    pub fn int_width(self) -> Option<usize> {
        use Pt::*;
        Some(match self {
            Int64 | Uint64 | Errno | Fd | Pid | Reltime | Abstime => 8,
            Int32 | Uint32 | Flags32 | Enumflags32 | Mode | Uid | Gid | Fd32 | Pid32 | Ipv4addr
            | Sigset => 4,
            Int16 | Uint16 | Flags16 | Enumflags16 | Port | Syscallid => 2,
            Uint8 | Flags8 | Enumflags8 | Sigtype => 1,
            _ => return None,
        })
    }
}

/// Every event code's parameters as (name, type) pairs, from the generated
/// table (`event_params.rs`).
pub fn all_params(code: u16) -> &'static [(&'static str, Pt)] {
    super::event_params::EVENT_PARAMS
        .get(code as usize)
        .copied()
        .unwrap_or(&[])
}

/// The position of parameter `name` in event `code`'s layout.
pub fn param_index(code: u16, name: &str) -> Option<usize> {
    param_names(code)?.iter().position(|n| *n == name)
}

/// One event as read from a block: header fields and the parameter values
/// (borrowed from the file bytes).
#[derive(Clone, Debug)]
pub struct RawEvent<'a> {
    pub ts: u64,
    pub tid: u64,
    pub code: u16,
    pub cpu: u16,
    pub flags: u32,
    /// Parameter `i` is `values[offs[i]..offs[i + 1]]`.
    offs: [u32; MAX_PARAMS + 1],
    nparams: usize,
    /// The concatenated parameter values.
    values: &'a [u8],
}

/// A [`RawEvent`] that owns its parameter values: an enter event waiting for
/// its exit while later blocks are read into the same buffer.
#[derive(Clone, Debug)]
pub struct OwnedRawEvent {
    head: RawEvent<'static>,
    values: Vec<u8>,
}

impl RawEvent<'_> {
    /// Copy the values into `buf` (reused: its old contents are dropped).
    pub fn to_owned_in(&self, mut buf: Vec<u8>) -> OwnedRawEvent {
        buf.clear();
        buf.extend_from_slice(self.values);
        OwnedRawEvent {
            head: RawEvent {
                ts: self.ts,
                tid: self.tid,
                code: self.code,
                cpu: self.cpu,
                flags: self.flags,
                offs: self.offs,
                nparams: self.nparams,
                values: &[],
            },
            values: buf,
        }
    }
}

impl OwnedRawEvent {
    pub fn get(&self) -> RawEvent<'_> {
        RawEvent {
            values: &self.values,
            ..self.head.clone()
        }
    }
    /// The values' buffer, for reuse.
    pub fn into_buf(self) -> Vec<u8> {
        self.values
    }
}

/// More parameters than any event has.
pub const MAX_PARAMS: usize = 40;

fn rd_u16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn rd_u32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn rd_u64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// Event codes whose parameter lengths are u32 (`EF_LARGE_PAYLOAD`).
fn large_payload(code: u16) -> bool {
    // pluginevent (322/323), container json 2 (324/325), asyncevent (402/403)
    matches!(code, 322 | 323 | 324 | 325 | 402 | 403)
}

impl<'a> RawEvent<'a> {
    /// Parse an event of a v1 (`v2 == false`, no `nparams`) or v2 block body.
    /// `base` is the file offset of `body`, for error messages.
    pub fn parse(body: &'a [u8], base: u64, with_flags: bool, v2: bool) -> Result<Self, ScapError> {
        let err = |off: usize, what: String| ScapError::at(base + off as u64, what);
        let pre = if with_flags { 6 } else { 2 };
        let hdr = if v2 { 26 } else { 22 };
        if body.len() < pre + hdr {
            return Err(err(
                0,
                format!(
                    "event block of {} bytes is shorter than its {}-byte event header",
                    body.len(),
                    pre + hdr
                ),
            ));
        }
        let cpu = rd_u16(body, 0);
        let flags = if with_flags { rd_u32(body, 2) } else { 0 };
        let e = &body[pre..];
        let ts = rd_u64(e, 0);
        let tid = rd_u64(e, 8);
        let len = rd_u32(e, 16) as usize;
        let code = rd_u16(e, 20);
        if len < hdr || len > e.len() {
            return Err(err(
                pre + 16,
                format!(
                    "event length {len} is outside the {}..={} bytes the block holds",
                    hdr,
                    e.len()
                ),
            ));
        }
        let e = &e[..len];
        let lsize = if large_payload(code) { 4 } else { 2 };
        let mut lens = [0u32; MAX_PARAMS];
        let nparams;
        if v2 {
            let n = rd_u32(e, 22) as usize;
            if n > MAX_PARAMS || hdr + n * lsize > len {
                return Err(err(
                    pre + 22,
                    format!("event {code} claims {n} parameters, more than its {len} bytes hold"),
                ));
            }
            for (i, l) in lens.iter_mut().enumerate().take(n) {
                let o = hdr + i * lsize;
                *l = if lsize == 2 {
                    rd_u16(e, o) as u32
                } else {
                    rd_u32(e, o)
                };
            }
            nparams = n;
            let total: usize = lens[..n].iter().map(|&l| l as usize).sum();
            if hdr + n * lsize + total != len {
                return Err(err(
                    pre,
                    format!(
                        "event {code}: {n} parameters of {total} bytes do not fill its {len} bytes"
                    ),
                ));
            }
        } else {
            // No nparams: each parameter adds its length field plus its
            // value, so at most one count makes the sizes add up.
            let mut sum = 0usize;
            let mut found = None;
            let mut k = 0;
            loop {
                if hdr + k * lsize + sum == len {
                    found = Some(k);
                    break;
                }
                if k == MAX_PARAMS || hdr + (k + 1) * lsize > len {
                    break;
                }
                let o = hdr + k * lsize;
                let l = if lsize == 2 {
                    rd_u16(e, o) as u32
                } else {
                    rd_u32(e, o)
                };
                lens[k] = l;
                sum += l as usize;
                k += 1;
            }
            nparams = match found {
                Some(k) => k,
                None => {
                    return Err(err(
                        pre,
                        format!(
                            "event {code} of {len} bytes: no parameter count matches its lengths"
                        ),
                    ))
                }
            };
        }
        let values = &e[hdr + nparams * lsize..];
        let mut offs = [0u32; MAX_PARAMS + 1];
        for i in 0..nparams {
            offs[i + 1] = offs[i] + lens[i];
        }
        Ok(RawEvent {
            ts,
            tid,
            code,
            cpu,
            flags,
            offs,
            nparams,
            values,
        })
    }

    pub fn nparams(&self) -> usize {
        self.nparams
    }

    /// Parameter `i`'s bytes.
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams {
            return None;
        }
        Some(&self.values[self.offs[i] as usize..self.offs[i + 1] as usize])
    }

    /// The parameter called `name` in this event's layout.
    pub fn by_name(&self, name: &str) -> Option<&'a [u8]> {
        self.param(param_index(self.code, name)?)
    }
}

/// A little-endian integer parameter of 1, 2, 4 or 8 bytes, sign-extended
/// when `signed`.
pub fn int_of(b: &[u8], signed: bool) -> Option<i64> {
    Some(match (b.len(), signed) {
        (1, false) => b[0] as i64,
        (1, true) => b[0] as i8 as i64,
        (2, false) => rd_u16(b, 0) as i64,
        (2, true) => rd_u16(b, 0) as i16 as i64,
        (4, false) => rd_u32(b, 0) as i64,
        (4, true) => rd_u32(b, 0) as i32 as i64,
        (8, _) => rd_u64(b, 0) as i64,
        _ => return None,
    })
}

/// A string parameter without its NUL.
pub fn str_of(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    }
}

/// The largest event the builder writes (libscap's `READER_BUF_SIZE` is
/// 65536 bytes for a whole non-LARGE block).
pub const MAX_EVENT: usize = 65_000;

/// Builds a v2 event (header, u16 lengths, values) into a buffer.
pub struct EventBuilder {
    pub buf: Vec<u8>,
    lens: Vec<u16>,
    vals: Vec<u8>,
}

impl Default for EventBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBuilder {
    pub fn new() -> Self {
        EventBuilder {
            buf: Vec::with_capacity(512),
            lens: Vec::with_capacity(32),
            vals: Vec::with_capacity(512),
        }
    }
    pub fn start(&mut self) {
        self.lens.clear();
        self.vals.clear();
    }
    /// Bytes a value may still take: libscap reads non-LARGE event blocks
    /// into a 64 KiB buffer, so whole events stay below that (values are
    /// cut, keeping room for the remaining fixed-size parameters).
    fn room(&self) -> usize {
        MAX_EVENT.saturating_sub(26 + 2 * 40 + self.vals.len() + 256)
    }
    pub fn bytes(&mut self, b: &[u8]) {
        let b = &b[..b.len().min(self.room())];
        self.lens.push(b.len() as u16);
        self.vals.extend_from_slice(b);
    }
    /// A C string (NUL appended).
    pub fn cstr(&mut self, s: &[u8]) {
        let s = &s[..s.len().min(self.room().saturating_sub(1))];
        self.lens.push(s.len() as u16 + 1);
        self.vals.extend_from_slice(s);
        self.vals.push(0);
    }
    fn fixed(&mut self, b: &[u8]) {
        self.lens.push(b.len() as u16);
        self.vals.extend_from_slice(b);
    }
    pub fn u8(&mut self, v: u8) {
        self.fixed(&[v]);
    }
    pub fn u16(&mut self, v: u16) {
        self.fixed(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.fixed(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.fixed(&v.to_le_bytes());
    }
    pub fn empty(&mut self) {
        self.lens.push(0);
    }
    /// Finish the event into `self.buf` as the body of an EV_V2 block
    /// (`u16 cpu` + event); returns the body length.
    pub fn finish(&mut self, cpu: u16, ts: u64, tid: u64, code: u16) -> usize {
        self.buf.clear();
        let len = 26 + 2 * self.lens.len() + self.vals.len();
        self.buf.extend_from_slice(&cpu.to_le_bytes());
        self.buf.extend_from_slice(&ts.to_le_bytes());
        self.buf.extend_from_slice(&tid.to_le_bytes());
        self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        self.buf.extend_from_slice(&code.to_le_bytes());
        self.buf
            .extend_from_slice(&(self.lens.len() as u32).to_le_bytes());
        for l in &self.lens {
            self.buf.extend_from_slice(&l.to_le_bytes());
        }
        self.buf.extend_from_slice(&self.vals);
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_round_trip_and_v1_inference() {
        let mut b = EventBuilder::new();
        b.start();
        b.u64(3);
        b.cstr(b"/etc/passwd");
        b.u32(1);
        b.empty();
        b.finish(1, 100, 42, code::OPEN_X);
        let ev = RawEvent::parse(&b.buf, 0, false, true).unwrap();
        assert_eq!((ev.ts, ev.tid, ev.code, ev.cpu), (100, 42, 3, 1));
        assert_eq!(ev.nparams(), 4);
        assert_eq!(int_of(ev.by_name("fd").unwrap(), true), Some(3));
        assert_eq!(str_of(ev.by_name("name").unwrap()), b"/etc/passwd");
        assert_eq!(ev.param(3), Some(&b""[..]));
        // The same event without nparams (v1): the count is inferred.
        let mut v1 = b.buf[..2 + 22].to_vec();
        v1[2 + 16..2 + 20].copy_from_slice(&((b.buf.len() - 2 - 4) as u32).to_le_bytes());
        v1.extend_from_slice(&b.buf[2 + 26..]);
        let ev1 = RawEvent::parse(&v1, 0, false, false).unwrap();
        assert_eq!(ev1.nparams(), 4);
        assert_eq!(str_of(ev1.by_name("name").unwrap()), b"/etc/passwd");
    }

    #[test]
    fn evf_blocks_carry_flags_before_the_event() {
        let mut b = EventBuilder::new();
        b.start();
        b.u64(0);
        b.finish(2, 5, 9, code::CLOSE_X);
        // EVF: u16 cpu, u32 flags, then the event.
        let mut evf = b.buf[..2].to_vec();
        evf.extend_from_slice(&7u32.to_le_bytes());
        evf.extend_from_slice(&b.buf[2..]);
        let ev = RawEvent::parse(&evf, 0, true, true).unwrap();
        assert_eq!(
            (ev.cpu, ev.flags, ev.tid, ev.code),
            (2, 7, 9, code::CLOSE_X)
        );
        assert_eq!(int_of(ev.by_name("res").unwrap(), true), Some(0));
    }

    #[test]
    fn built_events_stay_below_64k() {
        let mut b = EventBuilder::new();
        b.start();
        b.u64(0);
        b.bytes(&vec![1u8; 60_000]);
        b.cstr(&vec![b'x'; 60_000]);
        b.u64(7);
        b.finish(0, 1, 1, code::EXECVE_19_X);
        assert!(b.buf.len() <= MAX_EVENT + 2, "{}", b.buf.len());
        let ev = RawEvent::parse(&b.buf, 0, false, true).unwrap();
        assert_eq!(ev.nparams(), 4);
        assert_eq!(int_of(ev.param(3).unwrap(), false), Some(7));
    }

    #[test]
    fn malformed_events_are_errors() {
        assert!(RawEvent::parse(&[0u8; 10], 0, false, true).is_err());
        let mut b = EventBuilder::new();
        b.start();
        b.u64(3);
        b.finish(0, 1, 1, code::CLOSE_X);
        let mut bad = b.buf.clone();
        bad[2 + 22] = 9; // nparams
        let e = RawEvent::parse(&bad, 1000, false, true).unwrap_err();
        assert!(e.offset >= 1000);
        let mut bad = b.buf.clone();
        bad[2 + 16] = 200; // len
        assert!(RawEvent::parse(&bad, 0, false, true).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(event_name(code::EXECVE_19_X), "execve");
        assert_eq!(event_name(code::OPENAT_2_E), "openat");
        assert_eq!(event_name(354), "useradded");
        assert_eq!(event_name(389), "accept4");
        assert_eq!(event_name(500), "event_500");
        // Codes the newest table calls NA: sysdig 0.29.3's name, or event_N.
        assert_eq!(event_name(17), "NA1");
        assert_eq!(event_name(196), "sysdigevent");
        assert_eq!(event_name(355), "useradded");
        assert_eq!(event_name(403), "event_403");
        assert!(SYSDIG_0_29_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        // Every other code below 336 has a table name (no event_N there).
        assert!((0..336).all(|c| !event_name(c).starts_with("event_")));
        assert!(is_internal(358));
        assert!(is_enter(code::OPEN_E) && !is_enter(code::OPEN_X));
    }
}
