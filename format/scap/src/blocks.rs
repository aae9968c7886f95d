//! The scap block container and its metadata blocks.
//!
//! A file is a sequence of blocks `{u32 type, u32 total_len, body, pad to 4,
//! u32 total_len}`, usually gzip-compressed as a whole. Everything is
//! little-endian.

use std::io::Read;

use super::ScapError;
use sysreplay_format::meta::split_nul_list;
use sysreplay_format::meta::{FdInfo, FdType, GroupInfo, SocketTuple, ThreadInfo, UserInfo};

pub const SHB: u32 = 0x0A0D_0D0A;
pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;
pub const MI: u32 = 0x201;
pub const MI_INT: u32 = 0x8002_ABCD;
pub const PL_V1: u32 = 0x202;
pub const FDL: u32 = 0x203;
pub const EV: u32 = 0x204;
pub const IL: u32 = 0x205;
pub const UL: u32 = 0x206;
pub const PL_V2: u32 = 0x207;
pub const EVF: u32 = 0x208;
pub const PL_V3: u32 = 0x209;
pub const PL_V4: u32 = 0x210;
pub const PL_V5: u32 = 0x211;
pub const PL_V6: u32 = 0x212;
pub const PL_V7: u32 = 0x213;
pub const PL_V8: u32 = 0x214;
pub const PL_V9: u32 = 0x215;
pub const EV_V2: u32 = 0x216;
pub const EVF_V2: u32 = 0x217;
pub const FDL_V2: u32 = 0x218;
pub const IL_V2: u32 = 0x219;
pub const UL_V2: u32 = 0x220;
pub const EV_V2_LARGE: u32 = 0x221;
pub const EVF_V2_LARGE: u32 = 0x222;
pub const EV_INT: u32 = 0x8010_ABCD;
pub const FDL_INT: u32 = 0x8001_ABCD;
pub const PL_V1_INT: u32 = 0x8000_ABCD;
pub const PL_V2_INT: u32 = 0x8013_ABCD;
pub const PL_V3_INT: u32 = 0x8014_ABCD;
pub const IL_INT: u32 = 0x8003_ABCD;
pub const UL_INT: u32 = 0x8004_ABCD;

/// A short name for a block type (for reports).
pub fn block_name(t: u32) -> String {
    match t {
        SHB => "SHB".into(),
        MI | MI_INT => "MI".into(),
        FDL | FDL_INT => "FDL".into(),
        FDL_V2 => "FDL_V2".into(),
        EV | EV_INT => "EV".into(),
        EVF => "EVF".into(),
        EV_V2 => "EV_V2".into(),
        EVF_V2 => "EVF_V2".into(),
        EV_V2_LARGE => "EV_V2_LARGE".into(),
        EVF_V2_LARGE => "EVF_V2_LARGE".into(),
        IL | IL_INT => "IL".into(),
        IL_V2 => "IL_V2".into(),
        UL | UL_INT => "UL".into(),
        UL_V2 => "UL_V2".into(),
        PL_V1 | PL_V1_INT => "PL_V1".into(),
        PL_V2 | PL_V2_INT => "PL_V2".into(),
        PL_V3 | PL_V3_INT => "PL_V3".into(),
        PL_V4 => "PL_V4".into(),
        PL_V5 => "PL_V5".into(),
        PL_V6 => "PL_V6".into(),
        PL_V7 => "PL_V7".into(),
        PL_V8 => "PL_V8".into(),
        PL_V9 => "PL_V9".into(),
        _ => format!("0x{t:x}"),
    }
}

/// Is this an event block? Returns (has flags, v2 header).
pub fn event_block(t: u32) -> Option<(bool, bool)> {
    match t {
        EV | EV_INT => Some((false, false)),
        EVF => Some((true, false)),
        EV_V2 | EV_V2_LARGE => Some((false, true)),
        EVF_V2 | EVF_V2_LARGE => Some((true, true)),
        _ => None,
    }
}

/// Largest block read from a stream. libscap writes one process list and one
/// fd list per thread group, so even a host with 100,000 threads stays far
/// below this; a corrupt length must not make the importer allocate 4 GiB.
pub const MAX_BLOCK: usize = 256 << 20;

/// Blocks read one at a time from a (gzip or plain) stream, into one buffer
/// that grows only to the largest block: memory does not depend on the
/// capture's length.
pub struct BlockReader<R: Read> {
    r: R,
    gzip: bool,
    /// Offset of the next block in the decompressed stream.
    pos: u64,
    buf: Vec<u8>,
}

impl BlockReader<Box<dyn Read>> {
    /// Detect gzip by its magic and read through it if present.
    pub fn open<R: Read + 'static>(r: R) -> Result<Self, ScapError> {
        let mut r = std::io::BufReader::with_capacity(1 << 16, r);
        let head = std::io::BufRead::fill_buf(&mut r)
            .map_err(|e| ScapError::at(0, format!("cannot read the capture: {e}")))?;
        let gzip = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
        let r: Box<dyn Read> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(r))
        } else {
            Box::new(r)
        };
        Ok(BlockReader::new(r, gzip))
    }
}

impl<R: Read> BlockReader<R> {
    pub fn new(r: R, gzip: bool) -> Self {
        BlockReader {
            r,
            gzip,
            pos: 0,
            buf: Vec::new(),
        }
    }
    pub fn gzip(&self) -> bool {
        self.gzip
    }
    /// Bytes held for blocks (the largest block's size, about).
    pub fn buffered(&self) -> usize {
        self.buf.capacity()
    }

    fn io_error(&self, e: std::io::Error, at: u64) -> ScapError {
        if self.gzip {
            ScapError::at(
                at,
                format!("gzip stream is damaged ({e}) after {at} decompressed bytes"),
            )
        } else {
            ScapError::at(at, format!("cannot read the capture: {e}"))
        }
    }

    /// The next block, or None where the stream ends between blocks.
    pub fn next_block(&mut self) -> Result<Option<Block<'_>>, ScapError> {
        let o = self.pos;
        let mut hdr = [0u8; 8];
        let mut n = 0;
        while n < 8 {
            match self.r.read(&mut hdr[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e, o + n as u64)),
            }
        }
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(ScapError::at(
                o,
                format!("{n} trailing bytes where a 12-byte block header+trailer was expected (truncated file?)"),
            ));
        }
        let btype = u32::from_le_bytes(hdr[0..4].try_into().unwrap());
        let len = u32::from_le_bytes(hdr[4..8].try_into().unwrap()) as usize;
        if len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
            return Err(ScapError::at(
                o,
                format!(
                    "block of type 0x{btype:x} has total length {len}; expected a multiple of 4 between 12 and {MAX_BLOCK}"
                ),
            ));
        }
        self.buf.clear();
        // grows with the bytes that arrive, not with what the length claims
        self.buf.reserve((len - 8).min(1 << 20));
        let got = (&mut self.r)
            .take(len as u64 - 8)
            .read_to_end(&mut self.buf);
        if let Err(e) = got {
            let at = o + 8 + self.buf.len() as u64;
            return Err(self.io_error(e, at));
        }
        if self.buf.len() < len - 8 {
            return Err(ScapError::at(
                o,
                format!(
                    "the file ends inside a block of type 0x{btype:x} ({} of its {len} bytes present; truncated file?)",
                    self.buf.len() + 8
                ),
            ));
        }
        let trailer = u32::from_le_bytes(self.buf[len - 12..].try_into().unwrap());
        if trailer as usize != len {
            return Err(ScapError::at(
                o + len as u64 - 4,
                format!("block trailer says {trailer} but the header said {len}"),
            ));
        }
        self.pos = o + len as u64;
        Ok(Some(Block {
            btype,
            offset: o,
            body: &self.buf[..len - 12],
        }))
    }
}

/// One block: its type, the offset of its header, and its body (without the
/// trailing length; padding included).
#[derive(Clone, Copy, Debug)]
pub struct Block<'a> {
    pub btype: u32,
    pub offset: u64,
    pub body: &'a [u8],
}

/// Iterates over the blocks of a decompressed file, checking lengths and
/// trailers.
pub struct Blocks<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Blocks<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Blocks { data, pos: 0 }
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<Block<'a>, ScapError>;
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.len() - self.pos;
        if rest == 0 {
            return None;
        }
        let o = self.pos;
        let fail = |what: String| Some(Err(ScapError::at(o as u64, what)));
        if rest < 12 {
            self.pos = self.data.len();
            return fail(format!(
                "{rest} trailing bytes where a 12-byte block header+trailer was expected (truncated file?)"
            ));
        }
        let btype = u32::from_le_bytes(self.data[o..o + 4].try_into().unwrap());
        let len = u32::from_le_bytes(self.data[o + 4..o + 8].try_into().unwrap()) as usize;
        if len < 12 || !len.is_multiple_of(4) || len > rest {
            self.pos = self.data.len();
            return fail(format!(
                "block of type 0x{btype:x} has total length {len}; expected a multiple of 4 between 12 and the {rest} bytes left (truncated file?)"
            ));
        }
        let trailer = u32::from_le_bytes(self.data[o + len - 4..o + len].try_into().unwrap());
        if trailer as usize != len {
            self.pos = self.data.len();
            return Some(Err(ScapError::at(
                (o + len - 4) as u64,
                format!("block trailer says {trailer} but the header said {len}"),
            )));
        }
        self.pos = o + len;
        Some(Ok(Block {
            btype,
            offset: o as u64,
            body: &self.data[o + 8..o + len - 4],
        }))
    }
}

/// A bounds-checked little-endian cursor over a block body.
pub struct Cur<'a> {
    b: &'a [u8],
    pub pos: usize,
    base: u64,
    what: &'static str,
}

impl<'a> Cur<'a> {
    pub fn new(b: &'a [u8], base: u64, what: &'static str) -> Self {
        Cur {
            b,
            pos: 0,
            base,
            what,
        }
    }
    pub fn left(&self) -> usize {
        self.b.len() - self.pos
    }
    fn need(&self, n: usize, field: &str) -> Result<(), ScapError> {
        if self.left() < n {
            return Err(ScapError::at(
                self.base + self.pos as u64,
                format!(
                    "{}: expected {n} bytes of {field}, only {} left",
                    self.what,
                    self.left()
                ),
            ));
        }
        Ok(())
    }
    pub fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], ScapError> {
        self.need(n, field)?;
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self, f: &str) -> Result<u8, ScapError> {
        Ok(self.take(1, f)?[0])
    }
    pub fn u16(&mut self, f: &str) -> Result<u16, ScapError> {
        Ok(u16::from_le_bytes(self.take(2, f)?.try_into().unwrap()))
    }
    pub fn u32(&mut self, f: &str) -> Result<u32, ScapError> {
        Ok(u32::from_le_bytes(self.take(4, f)?.try_into().unwrap()))
    }
    pub fn u64(&mut self, f: &str) -> Result<u64, ScapError> {
        Ok(u64::from_le_bytes(self.take(8, f)?.try_into().unwrap()))
    }
    /// `u16 len` + bytes.
    pub fn str16(&mut self, f: &str) -> Result<&'a [u8], ScapError> {
        let n = self.u16(f)? as usize;
        self.take(n, f)
    }
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
}

/// A string field: up to its first NUL (fixed-size fields such as the
/// hostname are NUL-padded).
fn lossy(b: &[u8]) -> String {
    let b = match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    };
    String::from_utf8_lossy(b).into_owned()
}

/// The section header: (major, minor).
pub fn parse_shb(b: &Block<'_>) -> Result<(u16, u16), ScapError> {
    let mut c = Cur::new(b.body, b.offset + 8, "section header");
    let magic = c.u32("byte-order magic")?;
    if magic != SHB_MAGIC {
        return Err(ScapError::at(
            b.offset + 8,
            format!(
                "section header magic is 0x{magic:08x}, expected 0x1a2b3c4d (little-endian scap)"
            ),
        ));
    }
    let major = c.u16("major version")?;
    let minor = c.u16("minor version")?;
    c.u64("section length")?;
    if major != 1 {
        return Err(ScapError::at(
            b.offset + 12,
            format!("scap major version {major} is not supported (expected 1)"),
        ));
    }
    // Options (pcapng-style) may follow; they are skipped.
    Ok((major, minor))
}

/// Machine info we keep.
#[derive(Clone, Debug, Default)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub hostname: String,
    pub boot_ts_epoch: u64,
}

pub fn parse_mi(b: &Block<'_>) -> Result<MachineInfo, ScapError> {
    let mut c = Cur::new(b.body, b.offset + 8, "machine info");
    let num_cpus = c.u32("num_cpus")?;
    c.u64("memory size")?;
    c.u64("max pid")?;
    let host = c.take(128, "hostname")?;
    let boot = if c.left() >= 8 {
        c.u64("boot time")?
    } else {
        0
    };
    Ok(MachineInfo {
        num_cpus,
        hostname: lossy(host),
        boot_ts_epoch: boot,
    })
}

/// Parse a process list block (PL_V1..V9) into threads.
pub fn parse_pl(b: &Block<'_>, out: &mut Vec<ThreadInfo>) -> Result<(), ScapError> {
    let t = b.btype;
    let ver = match t {
        PL_V1 | PL_V1_INT => 1,
        PL_V2 | PL_V2_INT => 2,
        PL_V3 | PL_V3_INT => 3,
        PL_V4 => 4,
        PL_V5 => 5,
        PL_V6 => 6,
        PL_V7 => 7,
        PL_V8 => 8,
        _ => 9,
    };
    let mut c = Cur::new(b.body, b.offset + 8, "process list");
    while c.left() >= 4 {
        let start = c.pos;
        let sub_len = if ver == 9 {
            c.u32("entry length")? as usize
        } else {
            0
        };
        let tid = c.u64("tid")?;
        let pid = c.u64("pid")?;
        let ptid = c.u64("ptid")?;
        let sid = if ver >= 6 { c.u64("sid")? } else { 0 };
        let vpgid = if ver >= 8 { c.u64("vpgid")? } else { 0 };
        let comm = c.str16("comm")?;
        let exe = c.str16("exe")?;
        let exepath = if ver >= 7 {
            c.str16("exepath")?
        } else {
            &[][..]
        };
        let args = c.str16("args")?;
        let cwd = c.str16("cwd")?;
        c.u64("fdlimit")?;
        c.u32("flags")?;
        let uid = c.u32("uid")?;
        let gid = c.u32("gid")?;
        let mut env = None;
        let mut cgroups = &[][..];
        let mut loginuid = u32::MAX;
        let mut tty = 0;
        let (mut cap_i, mut cap_p, mut cap_e) = (0, 0, 0);
        // pid-namespace ids (PL_V4 on); -1 in libscap when absent
        let mut vids = (-1i64, -1i64);
        if ver >= 2 {
            c.u32("vmsize")?;
            c.u32("vmrss")?;
            c.u32("vmswap")?;
            c.u64("pfmajor")?;
            c.u64("pfminor")?;
            if ver >= 3 {
                let e = c.str16("env")?;
                if !e.is_empty() {
                    env = Some(split_nul_list(e));
                }
            }
            if ver >= 4 {
                vids = (c.u64("vtid")? as i64, c.u64("vpid")? as i64);
                cgroups = c.str16("cgroups")?;
                if ver >= 5 {
                    c.str16("root")?;
                }
            }
        }
        if ver == 9 {
            let end = start + sub_len;
            if sub_len < c.pos - start || end > b.body.len() {
                return Err(ScapError::at(
                    b.offset + 8 + start as u64,
                    format!(
                        "process list entry length {sub_len} does not cover its {} fixed bytes or overruns the block",
                        c.pos - start
                    ),
                ));
            }
            let mut rest = Cur::new(&b.body[c.pos..end], c.offset(), "process list tail");
            // libs >= 0.10 put pidns_init_start_ts and tty before loginuid.
            if rest.left() > 29 {
                rest.u64("pidns_init_start_ts")?;
                if rest.left() >= 4 {
                    tty = rest.u32("tty")?;
                }
            }
            if rest.left() >= 4 {
                loginuid = rest.u32("loginuid")?;
            }
            if rest.left() >= 1 {
                rest.u8("exe_writable")?;
            }
            if rest.left() >= 24 {
                cap_i = rest.u64("cap_inheritable")?;
                cap_p = rest.u64("cap_permitted")?;
                cap_e = rest.u64("cap_effective")?;
            }
            c.pos = end;
        }
        let argv = split_nul_list(args);
        // process lists before PL_V7 have no exepath: libsinsp's is then
        // empty (libs master sinsp_threadinfo::init takes pinfo.exepath as
        // is), not argv[0]
        let exe_s = lossy(exepath);
        // scap's `args` lack argv[0], which is `exe`; ThreadInfo.args is
        // the whole argv (as the recorder's snapshot has it).
        let mut all_args = Vec::with_capacity(argv.len() + 1);
        all_args.push(lossy(exe));
        all_args.extend(argv);
        out.push(ThreadInfo {
            tid: tid as u32,
            pid: pid as u32,
            ppid: ptid as u32,
            comm: lossy(comm),
            exe: exe_s,
            args: all_args,
            cwd: lossy(cwd),
            uid,
            gid,
            euid: uid,
            egid: gid,
            loginuid,
            start_ns: 0,
            cgroup: cgroup_line(cgroups),
            tty,
            sid: sid as u32,
            pgid: vpgid as u32,
            cap_effective: cap_e,
            cap_permitted: cap_p,
            cap_inheritable: cap_i,
            env,
            fds: Vec::new(),
            vtid: u32::try_from(vids.0).unwrap_or(0),
            vpid: u32::try_from(vids.1).unwrap_or(0),
        });
    }
    Ok(())
}

/// The first cgroup line of scap's NUL-separated `subsys=path` list, as
/// `/proc/self/cgroup`-style text, or "".
fn cgroup_line(b: &[u8]) -> String {
    let all = split_nul(b);
    all.into_iter().next().unwrap_or_default()
}

fn split_nul(b: &[u8]) -> Vec<String> {
    b.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn ip4(b: &[u8]) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[10] = 0xff;
    m[11] = 0xff;
    m[12..].copy_from_slice(&b[..4]);
    m
}

fn l4(p: u8) -> u8 {
    match p {
        2 => 6,
        3 => 17,
        4 => 1,
        _ => 0,
    }
}

/// Render an address the way Falco's fd.name does.
pub fn addr_str(ip: &[u8; 16], port: u16) -> String {
    let v4 = ip[..10].iter().all(|&b| b == 0) && ip[10] == 0xff && ip[11] == 0xff;
    if v4 {
        format!("{}.{}.{}.{}:{}", ip[12], ip[13], ip[14], ip[15], port)
    } else {
        format!("{}:{}", std::net::Ipv6Addr::from(*ip), port)
    }
}

/// `local->remote`, or just `local` for a socket with no remote end (a bound
/// UDP socket).
fn sock_name(t: &SocketTuple) -> String {
    let zero = t.remote_port == 0
        && (t.remote_ip == [0u8; 16] || t.remote_ip[12..] == [0u8; 4] && t.remote_ip[10] == 0xff);
    if zero {
        addr_str(&t.local_ip, t.local_port)
    } else {
        format!(
            "{}->{}",
            addr_str(&t.local_ip, t.local_port),
            addr_str(&t.remote_ip, t.remote_port)
        )
    }
}

/// Parse a fd list block: (tid, fds).
pub fn parse_fdl(b: &Block<'_>) -> Result<(u64, Vec<FdInfo>), ScapError> {
    let v2 = b.btype == FDL_V2;
    let mut c = Cur::new(b.body, b.offset + 8, "fd list");
    let tid = c.u64("tid")?;
    let mut fds = Vec::new();
    while c.left() >= 4 {
        let start = c.pos;
        let sub_len = if v2 {
            c.u32("entry length")? as usize
        } else {
            0
        };
        let fd = c.u64("fd")? as i64;
        let ino = c.u64("ino")?;
        let ty = c.u8("type")?;
        let mut info = FdInfo {
            fd: fd as i32,
            ino,
            ..FdInfo::default()
        };
        match ty {
            3 => {
                let sip = c.take(4, "sip")?;
                let dip = c.take(4, "dip")?;
                let sport = c.u16("sport")?;
                let dport = c.u16("dport")?;
                let proto = c.u8("l4proto")?;
                let t = SocketTuple {
                    l4proto: l4(proto),
                    local_ip: ip4(sip),
                    local_port: sport,
                    remote_ip: ip4(dip),
                    remote_port: dport,
                    listening: false,
                };
                info.fd_type = FdType::Ipv4Socket;
                info.name = sock_name(&t);
                info.socket = Some(t);
            }
            4 => {
                let sip: [u8; 16] = c.take(16, "sip")?.try_into().unwrap();
                let dip: [u8; 16] = c.take(16, "dip")?.try_into().unwrap();
                let sport = c.u16("sport")?;
                let dport = c.u16("dport")?;
                let proto = c.u8("l4proto")?;
                let t = SocketTuple {
                    l4proto: l4(proto),
                    local_ip: sip,
                    local_port: sport,
                    remote_ip: dip,
                    remote_port: dport,
                    listening: false,
                };
                info.fd_type = FdType::Ipv6Socket;
                info.name = sock_name(&t);
                info.socket = Some(t);
            }
            5 => {
                let ip = c.take(4, "ip")?;
                let port = c.u16("port")?;
                let proto = c.u8("l4proto")?;
                let t = SocketTuple {
                    l4proto: l4(proto),
                    local_ip: ip4(ip),
                    local_port: port,
                    listening: true,
                    ..SocketTuple::default()
                };
                info.fd_type = FdType::Ipv4Socket;
                info.name = addr_str(&t.local_ip, port);
                info.socket = Some(t);
            }
            6 => {
                let ip: [u8; 16] = c.take(16, "ip")?.try_into().unwrap();
                let port = c.u16("port")?;
                let proto = c.u8("l4proto")?;
                let t = SocketTuple {
                    l4proto: l4(proto),
                    local_ip: ip,
                    local_port: port,
                    listening: true,
                    ..SocketTuple::default()
                };
                info.fd_type = FdType::Ipv6Socket;
                info.name = addr_str(&ip, port);
                info.socket = Some(t);
            }
            8 => {
                c.u64("unix source")?;
                c.u64("unix destination")?;
                info.fd_type = FdType::UnixSocket;
                info.name = lossy(c.str16("unix path")?);
            }
            16 => {
                info.open_flags = ppm_open_flags_to_linux(c.u32("open flags")?);
                info.fd_type = FdType::File;
                info.name = lossy(c.str16("file name")?);
                if v2 && sub_len >= c.pos - start + 4 {
                    c.u32("dev")?;
                }
            }
            1 | 2 | 7 | 9 | 10..=15 | 17..=21 => {
                info.fd_type = match ty {
                    1 => FdType::File,
                    2 => FdType::Directory,
                    7 => FdType::Pipe,
                    9 => FdType::Event,
                    11 => FdType::Signalfd,
                    13 => FdType::Inotify,
                    14 => FdType::Timerfd,
                    15 => FdType::Netlink,
                    17 => FdType::Bpf,
                    18 => FdType::Userfaultfd,
                    19 => FdType::IoUring,
                    20 => FdType::Memfd,
                    _ => FdType::Other,
                };
                info.name = lossy(c.str16("name")?);
            }
            _ => {
                if !v2 {
                    return Err(ScapError::at(
                        c.offset() - 1,
                        format!("fd list: unknown fd type {ty} (expected 1..=21)"),
                    ));
                }
                info.fd_type = FdType::Other;
            }
        }
        if v2 {
            let end = start + sub_len;
            if end < c.pos || end > b.body.len() {
                return Err(ScapError::at(
                    b.offset + 8 + start as u64,
                    format!("fd list entry length {sub_len} disagrees with its contents"),
                ));
            }
            c.pos = end;
        }
        fds.push(info);
    }
    Ok((tid, fds))
}

/// Parse a user list block.
pub fn parse_ul(
    b: &Block<'_>,
    users: &mut Vec<UserInfo>,
    groups: &mut Vec<GroupInfo>,
) -> Result<(), ScapError> {
    let v2 = b.btype == UL_V2;
    let mut c = Cur::new(b.body, b.offset + 8, "user list");
    while c.left() >= 4 {
        let start = c.pos;
        let sub_len = if v2 {
            c.u32("entry length")? as usize
        } else {
            0
        };
        let ty = c.u8("entry type")?;
        match ty {
            0 => {
                let uid = c.u32("uid")?;
                let gid = c.u32("gid")?;
                let name = lossy(c.str16("user name")?);
                let home = lossy(c.str16("home")?);
                let shell = lossy(c.str16("shell")?);
                users.push(UserInfo {
                    uid,
                    gid,
                    name,
                    home,
                    shell,
                });
            }
            1 => {
                let gid = c.u32("gid")?;
                let name = lossy(c.str16("group name")?);
                groups.push(GroupInfo { gid, name });
            }
            _ => {
                return Err(ScapError::at(
                    c.offset() - 1,
                    format!("user list: entry type {ty}, expected 0 (user) or 1 (group)"),
                ))
            }
        }
        if v2 {
            let end = start + sub_len;
            if end < c.pos || end > b.body.len() {
                return Err(ScapError::at(
                    b.offset + 8 + start as u64,
                    format!("user list entry length {sub_len} disagrees with its contents"),
                ));
            }
            c.pos = end;
        }
    }
    Ok(())
}

// ---- flag conversions (PPM <-> Linux x86_64) ----

const OPEN_MAP: [(u32, u32); 12] = [
    (1 << 2, 0o100),       // CREAT
    (1 << 3, 0o2000),      // APPEND
    (1 << 4, 0o10000),     // DSYNC
    (1 << 5, 0o200),       // EXCL
    (1 << 6, 0o4000),      // NONBLOCK
    (1 << 7, 0o4010000),   // SYNC
    (1 << 8, 0o1000),      // TRUNC
    (1 << 9, 0o40000),     // DIRECT
    (1 << 10, 0o200000),   // DIRECTORY
    (1 << 11, 0o100000),   // LARGEFILE
    (1 << 12, 0o2000000),  // CLOEXEC
    (1 << 13, 0o20200000), // TMPFILE
];

/// PPM_O_* flags to Linux O_* flags.
pub fn ppm_open_flags_to_linux(f: u32) -> u32 {
    let mut o = match f & 3 {
        2 => 0o1,
        3 => 0o2,
        _ => 0,
    };
    for (p, l) in OPEN_MAP {
        if f & p != 0 {
            o |= l;
        }
    }
    o
}

/// Linux O_* flags to PPM_O_* flags.
pub fn linux_open_flags_to_ppm(f: u32) -> u32 {
    let mut o = match f & 3 {
        0 => 1,
        1 => 2,
        _ => 3,
    };
    for (p, l) in OPEN_MAP {
        // TMPFILE and SYNC include other bits: require all of them.
        if f & l == l {
            o |= p;
        }
    }
    if o & (1 << 13) != 0 {
        o &= !(1 << 10);
    }
    if o & (1 << 7) != 0 {
        o &= !(1 << 4);
    }
    o
}

const CLONE_MAP: [(u32, u64); 22] = [
    (1 << 0, 0x400),        // FILES
    (1 << 1, 0x200),        // FS
    (1 << 2, 0x8000_0000),  // IO
    (1 << 3, 0x0800_0000),  // NEWIPC
    (1 << 4, 0x4000_0000),  // NEWNET
    (1 << 5, 0x0002_0000),  // NEWNS
    (1 << 6, 0x2000_0000),  // NEWPID
    (1 << 7, 0x0400_0000),  // NEWUTS
    (1 << 8, 0x8000),       // PARENT
    (1 << 9, 0x0010_0000),  // PARENT_SETTID
    (1 << 10, 0x2000),      // PTRACE
    (1 << 11, 0x800),       // SIGHAND
    (1 << 12, 0x0004_0000), // SYSVSEM
    (1 << 13, 0x0001_0000), // THREAD
    (1 << 14, 0x0080_0000), // UNTRACED
    (1 << 15, 0x100),       // VM
    (1 << 20, 0x1000_0000), // NEWUSER
    (1 << 23, 0x0020_0000), // CHILD_CLEARTID
    (1 << 24, 0x0100_0000), // CHILD_SETTID
    (1 << 25, 0x0008_0000), // SETTLS
    (1 << 27, 0x4000),      // VFORK
    (1 << 28, 0x0200_0000), // NEWCGROUP
];

pub fn ppm_clone_flags_to_linux(f: u32) -> u64 {
    let mut o = 0;
    for (p, l) in CLONE_MAP {
        if f & p != 0 {
            o |= l;
        }
    }
    o
}

pub fn linux_clone_flags_to_ppm(f: u64) -> u32 {
    let mut o = 0;
    for (p, l) in CLONE_MAP {
        if f & l != 0 {
            o |= p;
        }
    }
    o
}

/// PPM mode bits (chmod) to Linux st_mode permission bits.
pub fn ppm_mode_to_linux(m: u32) -> u32 {
    // PPM_S_* use the same bit positions as S_I* for the low 12 bits.
    m & 0o7777
}

/// PPM ptrace request codes to Linux request numbers.
/// PPM ptrace requests and their x86_64 Linux values: the whole table of
/// the driver (libs master ppm_flag_helpers.h ptrace_requests_to_scap),
/// which sysdig 0.29.3's flag table names too (PTRACE_SEIZE = 20 ...).
const PTRACE_MAP: [(u16, u64); 38] = [
    (1, 0),       // TRACEME
    (2, 1),       // PEEKTEXT
    (3, 2),       // PEEKDATA
    (4, 3),       // PEEKUSR
    (5, 4),       // POKETEXT
    (6, 5),       // POKEDATA
    (7, 6),       // POKEUSR
    (8, 7),       // CONT
    (9, 8),       // KILL
    (10, 9),      // SINGLESTEP
    (11, 16),     // ATTACH
    (12, 17),     // DETACH
    (13, 24),     // SYSCALL
    (14, 0x4200), // SETOPTIONS
    (15, 0x4201), // GETEVENTMSG
    (16, 0x4202), // GETSIGINFO
    (17, 0x4203), // SETSIGINFO
    (18, 0x4204), // GETREGSET
    (19, 0x4205), // SETREGSET
    (20, 0x4206), // SEIZE
    (21, 0x4207), // INTERRUPT
    (22, 0x4208), // LISTEN
    (23, 0x4209), // PEEKSIGINFO
    (24, 0x420a), // GETSIGMASK
    (25, 0x420b), // SETSIGMASK
    (26, 12),     // GETREGS
    (27, 13),     // SETREGS
    (28, 14),     // GETFPREGS
    (29, 15),     // SETFPREGS
    (30, 18),     // GETFPXREGS
    (31, 19),     // SETFPXREGS
    (32, 21),     // OLDSETOPTIONS
    (33, 25),     // GET_THREAD_AREA
    (34, 26),     // SET_THREAD_AREA
    (35, 30),     // ARCH_PRCTL
    (36, 31),     // SYSEMU
    (37, 32),     // SYSEMU_SINGLESTEP
    (38, 33),     // SINGLEBLOCK
];

pub fn ppm_ptrace_to_linux(r: u16) -> u64 {
    PTRACE_MAP
        .iter()
        .find(|(p, _)| *p == r)
        .map_or(u64::MAX, |(_, l)| *l)
}

pub fn linux_ptrace_to_ppm(r: u64) -> u16 {
    PTRACE_MAP
        .iter()
        .find(|(_, l)| *l == r)
        .map_or(0, |(p, _)| *p)
}

// ---- writing ----

/// Append a block with `body` (padded to 4 bytes).
pub fn write_block(out: &mut Vec<u8>, btype: u32, body: &[u8]) {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    out.extend_from_slice(&btype.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&[0u8; 3][..pad]);
    out.extend_from_slice(&total.to_le_bytes());
}

pub fn put_str16(out: &mut Vec<u8>, s: &[u8]) {
    let s = &s[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests past PTRACE_GETEVENTMSG were written as PTRACE_UNKNOWN
    /// (issue 10); the PPM numbers are those of libs master's
    /// ppm_events_public.h, unchanged since sysdig 0.29.3's.
    #[test]
    fn every_ptrace_request_has_its_ppm_number() {
        assert_eq!(linux_ptrace_to_ppm(0x4206), 20); // PTRACE_SEIZE
        assert_eq!(linux_ptrace_to_ppm(0x4207), 21); // PTRACE_INTERRUPT
        assert_eq!(linux_ptrace_to_ppm(0x4208), 22); // PTRACE_LISTEN
        assert_eq!(linux_ptrace_to_ppm(12), 26); // PTRACE_GETREGS
        assert_eq!(linux_ptrace_to_ppm(33), 38); // PTRACE_SINGLEBLOCK
        assert_eq!(linux_ptrace_to_ppm(0x7777), 0); // PTRACE_UNKNOWN
        for p in 1..=38u16 {
            assert_eq!(linux_ptrace_to_ppm(ppm_ptrace_to_linux(p)), p);
        }
    }

    #[test]
    fn flags_round_trip() {
        for f in [
            0o0,
            0o1,
            0o2,
            0o100 | 0o1000 | 0o1,
            0o2000000 | 0o200000,
            0o4000 | 0o2000,
        ] {
            assert_eq!(
                ppm_open_flags_to_linux(linux_open_flags_to_ppm(f)),
                f,
                "{f:o}"
            );
        }
        assert_eq!(ppm_open_flags_to_linux(4097), 0o2000000);
        let cf = 0x0001_0000 | 0x800 | 0x100 | 0x400 | 0x200;
        assert_eq!(ppm_clone_flags_to_linux(linux_clone_flags_to_ppm(cf)), cf);
        assert_eq!(ppm_ptrace_to_linux(linux_ptrace_to_ppm(16)), 16);
    }

    /// A process-list entry's args and environment split as libsinsp
    /// splits them (set_args, set_env: one trailing NUL dropped, empty
    /// entries kept): sshd overwrites its environment area with NULs, so
    /// its environment is empty strings and a `=` (run_as_user_0_container).
    #[test]
    fn process_list_keeps_empty_environment_entries() {
        let str16 = |e: &mut Vec<u8>, s: &[u8]| {
            e.extend_from_slice(&(s.len() as u16).to_le_bytes());
            e.extend_from_slice(s);
        };
        let mut e = Vec::new();
        for id in [7u64, 7, 1] {
            e.extend_from_slice(&id.to_le_bytes()); // tid, pid, ptid
        }
        str16(&mut e, b"sshd");
        str16(&mut e, b"/usr/sbin/sshd");
        str16(&mut e, b"\0"); // args: one NUL, no argument
        str16(&mut e, b"/");
        e.extend_from_slice(&1024u64.to_le_bytes()); // fdlimit
        e.extend_from_slice(&[0u8; 4 + 4 + 4]); // flags, uid, gid
        e.extend_from_slice(&[0u8; 12 + 16]); // vm*, pf*
        str16(&mut e, b"\0\0\0=\0"); // env
        let b = Block {
            btype: PL_V3,
            offset: 0,
            body: &e,
        };
        let mut out = Vec::new();
        parse_pl(&b, &mut out).unwrap();
        assert_eq!(out[0].args, ["/usr/sbin/sshd"]);
        let env = out[0].env.as_ref().unwrap();
        assert_eq!(env, &["", "", "", "="]);
    }

    #[test]
    fn blocks_check_lengths_and_trailers() {
        let mut f = Vec::new();
        write_block(&mut f, SHB, &[1, 2, 3, 4, 5]);
        write_block(&mut f, MI, &[]);
        let v: Vec<_> = Blocks::new(&f).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].body.len(), 8);
        let mut bad = f.clone();
        bad[16] = 99; // trailer of the first block
        let e = Blocks::new(&bad).find_map(|r| r.err()).unwrap();
        assert_eq!(e.offset, 16);
        let e = Blocks::new(&f[..f.len() - 2])
            .find_map(|r| r.err())
            .unwrap();
        assert_eq!(e.offset, 20);
    }
}
