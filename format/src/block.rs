//! The block codec: a batch of events encoded column by column (see SPEC.md
//! "Block payload"). Columns of like values compress far better than rows,
//! and varint deltas make timestamps and ids a byte or two each.

use crate::event::Event;
use crate::record::{RecordHeader, RECORD_HEADER_SIZE};

/// Number of columns in a block payload.
pub const NCOLUMNS: usize = 13;
/// Number of columns in a format 1.x block payload.
pub const NCOLUMNS_V1: usize = 11;
/// Selectors of column 11 (argsel), one per argument that missed its prediction.
const SEL_RAW: u8 = 0;
const SEL_THREAD: u8 = 1;
const SEL_DELTA: u8 = 2;
/// An argument is coded as a delta from its prediction when the zigzagged
/// delta fits four varint bytes (pointers that moved within a buffer or
/// heap); larger ones (junk in unused registers) compress better raw.
const DELTA_LIMIT: u64 = 1 << 28;
/// The column of variable data (most of a block's bytes).
pub const DATA_COLUMN: usize = 9;
/// Fixed part of a payload: n_events, base_ts, column lengths.
pub const PAYLOAD_PREFIX: usize = payload_prefix(NCOLUMNS);

const fn payload_prefix(ncols: usize) -> usize {
    4 + 8 + 4 * ncols
}
/// Bit 7 of the kind byte: the event has variable data.
const KIND_HAS_DATA: u8 = 0x80;

#[inline(always)]
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    let mut buf = [0u8; 10];
    let mut i = 0;
    while v >= 0x80 {
        buf[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    buf[i] = v as u8;
    out.extend_from_slice(&buf[..=i]);
}

#[inline]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Events staged for one block: fixed headers plus one data arena.
#[derive(Default)]
pub struct StagedBlock {
    pub(crate) headers: Vec<RecordHeader>,
    /// Start of each event's data in `data` (data_len is in the header).
    pub(crate) offsets: Vec<u32>,
    pub(crate) data: Vec<u8>,
    /// Set by `push` when an event is older than the one before it, so the
    /// encoder need not walk the headers to find out.
    out_of_order: bool,
}

impl StagedBlock {
    pub fn with_capacity(events: usize, data: usize) -> Self {
        StagedBlock {
            headers: Vec::with_capacity(events),
            offsets: Vec::with_capacity(events),
            data: Vec::with_capacity(data),
            out_of_order: false,
        }
    }
    pub fn len(&self) -> usize {
        self.headers.len()
    }
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }
    /// Bytes these events take as raw records (header + data).
    pub fn record_bytes(&self) -> usize {
        self.headers.len() * RECORD_HEADER_SIZE + self.data.len()
    }
    #[inline]
    pub fn push(&mut self, mut h: RecordHeader, data: &[u8]) {
        h.data_len = data.len() as u16;
        if self.headers.last().is_some_and(|p| p.ts_ns > h.ts_ns) {
            self.out_of_order = true;
        }
        self.offsets.push(self.data.len() as u32);
        self.data.extend_from_slice(data);
        self.headers.push(h);
    }
    pub fn clear(&mut self) {
        self.headers.clear();
        self.offsets.clear();
        self.data.clear();
        self.out_of_order = false;
    }
}

/// Summary of an encoded block, for its header frame and the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockSummary {
    pub first_ts: u64,
    pub last_ts: u64,
    pub n_events: u32,
    pub n_drops: u32,
}

/// Block encoder; keeps its buffers and tables between blocks (the writer's
/// compression thread owns one).
pub struct Encoder {
    cols: [Vec<u8>; NCOLUMNS],
    /// The payload prefix followed by column 0: the first frame.
    head: Vec<u8>,
    order: Vec<u32>,
    pred: Predictor,
    thr: ThreadArgs,
    tids: RecentTids,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    pub fn new() -> Self {
        Encoder {
            cols: Default::default(),
            head: Vec::new(),
            order: Vec::new(),
            pred: Predictor::new(),
            thr: ThreadArgs::new(),
            tids: RecentTids::new(),
        }
    }

    /// Encode `staged` (in timestamp order; sorted here if it is not) into `out`.
    pub fn encode(&mut self, staged: &StagedBlock, out: &mut Vec<u8>) -> BlockSummary {
        let summary = self.encode_frames(staged);
        out.clear();
        out.reserve(self.payload_len());
        for f in self.frames() {
            out.extend_from_slice(f);
        }
        summary
    }

    /// The payload of the last `encode_frames`, in the pieces SPEC §4
    /// compresses as separate zstd frames (they concatenate to the payload).
    pub fn frames(&self) -> impl Iterator<Item = &[u8]> + '_ {
        std::iter::once(&self.head[..]).chain(self.cols[1..].iter().map(|c| &c[..]))
    }

    /// The columns of the last `encode_frames` in column order (for tools
    /// that study where the bytes go).
    pub fn columns(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.cols.iter().map(|c| &c[..])
    }

    /// Bytes of the payload of the last `encode_frames`.
    pub fn payload_len(&self) -> usize {
        self.head.len() + self.cols[1..].iter().map(|c| c.len()).sum::<usize>()
    }

    /// Encode `staged` into this encoder's frame buffers (see `frames`):
    /// the writer compresses them from there without assembling a payload.
    pub fn encode_frames(&mut self, staged: &StagedBlock) -> BlockSummary {
        let n = staged.len();
        // Stable order by timestamp: ring buffers of different CPUs interleave.
        let sorted = !staged.out_of_order;
        self.order.clear();
        if !sorted {
            self.order.extend(0..n as u32);
            self.order
                .sort_by_key(|&i| staged.headers[i as usize].ts_ns);
        }
        let order = &self.order;
        let idx = |i: usize| if sorted { i } else { order[i] as usize };
        let cols = &mut self.cols;
        for c in cols.iter_mut() {
            c.clear();
        }
        cols[0].reserve(n);
        cols[1].reserve(n);
        cols[7].reserve(n);
        self.pred.reset();
        self.thr.reset();
        self.tids.reset();
        let base_ts = if n > 0 {
            staged.headers[idx(0)].ts_ns
        } else {
            0
        };
        let mut prev_ts = base_ts;
        let mut summary = BlockSummary {
            first_ts: base_ts,
            last_ts: base_ts,
            n_events: n as u32,
            n_drops: 0,
        };
        /// Events ahead whose prediction slot is prefetched (the table is
        /// larger than L1; waiting on it was a tenth of the encoding time).
        const AHEAD: usize = 8;
        for i in 0..n {
            let j = idx(i);
            if i + AHEAD < n {
                let a = &staged.headers[idx(i + AHEAD)];
                self.pred.prefetch(a.tid, a.kind, a.nr);
            }
            let h = &staged.headers[j];
            let has_data = h.data_len > 0;
            cols[0].push((h.kind as u8 & 0x7f) | if has_data { KIND_HAS_DATA } else { 0 });
            // Sorted, so deltas are >= 0: the low byte (close to random) and
            // the rest (small, compressible) go to separate columns.
            let d = h.ts_ns.wrapping_sub(prev_ts);
            cols[1].push(d as u8);
            put_varint(&mut cols[10], d >> 8);
            prev_ts = h.ts_ns;
            put_varint(&mut cols[2], h.cpu as u64);
            put_varint(&mut cols[3], self.tids.encode(h.tid));
            put_varint(&mut cols[4], zigzag(h.tid as i64 - h.pid as i64));
            put_varint(&mut cols[5], h.nr as u64);
            // Arguments and the return value are predicted by the previous
            // event of the same thread and syscall in this block: buffers,
            // fds and sizes repeat, so most cost one mask bit.
            let mut mask = 0u8;
            let last = self.pred.slot(h.tid, h.kind, h.nr);
            let thr = self.thr.slot(h.tid);
            for (a, &v) in h.args.iter().enumerate() {
                if v != last[a] {
                    mask |= 1 << a;
                    let d = zigzag(v.wrapping_sub(last[a]) as i64);
                    if v == thr[a] {
                        cols[11].push(SEL_THREAD);
                    } else if d < DELTA_LIMIT {
                        cols[11].push(SEL_DELTA);
                        put_varint(&mut cols[12], d);
                    } else {
                        cols[11].push(SEL_RAW);
                        put_varint(&mut cols[8], v);
                    }
                    last[a] = v;
                }
            }
            *thr = h.args;
            if h.ret as u64 != last[6] {
                mask |= 1 << 6;
                put_varint(&mut cols[6], zigzag(h.ret));
                last[6] = h.ret as u64;
            }
            cols[7].push(mask);
            if has_data {
                let off = staged.offsets[j] as usize;
                put_varint(&mut cols[9], h.data_len as u64);
                cols[9].extend_from_slice(&staged.data[off..off + h.data_len as usize]);
            }
            if h.kind == crate::record::Kind::Drop as u16 {
                summary.n_drops += 1;
            }
            summary.last_ts = summary.last_ts.max(h.ts_ns);
        }
        let head = &mut self.head;
        head.clear();
        head.reserve(PAYLOAD_PREFIX + cols[0].len());
        head.extend_from_slice(&(n as u32).to_le_bytes());
        head.extend_from_slice(&base_ts.to_le_bytes());
        for c in cols.iter() {
            head.extend_from_slice(&(c.len() as u32).to_le_bytes());
        }
        head.extend_from_slice(&cols[0]);
        summary
    }
}

/// Encode one block with a fresh encoder (tests, tools; the writer reuses one).
pub fn encode(staged: &StagedBlock, out: &mut Vec<u8>) -> BlockSummary {
    Encoder::new().encode(staged, out)
}

/// One prediction slot: its key and the last six args + return value.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Slot {
    key: u64,
    vals: [u64; 7],
}

/// Last arguments seen per (thread, kind, syscall number): a direct-mapped
/// table both sides update identically. Keys carry a block generation, so
/// starting a block (blocks decode independently) costs nothing.
struct Predictor {
    slots: Vec<Slot>,
    generation: u64,
}

impl Predictor {
    const BITS: u32 = 11;
    fn new() -> Self {
        Predictor {
            slots: vec![
                Slot {
                    key: u64::MAX,
                    vals: [0; 7]
                };
                1 << Self::BITS
            ],
            generation: 0,
        }
    }
    fn reset(&mut self) {
        self.generation = (self.generation + 1) & 0xff;
        if self.generation == 0 {
            for s in &mut self.slots {
                s.key = u64::MAX;
                s.vals = [0; 7];
            }
        }
    }
    #[inline(always)]
    fn key(tid: u32, kind: u16, nr: u16) -> u64 {
        (tid as u64) << 32 | ((kind as u64) & 0xff) << 16 | nr as u64
    }
    #[inline(always)]
    fn index(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }
    /// Ask for the cache line of (tid, kind, nr)'s slot ahead of its use.
    #[inline(always)]
    fn prefetch(&self, tid: u32, kind: u16, nr: u16) {
        let i = Self::index(Self::key(tid, kind, nr));
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint, and the address is in bounds.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(i) as *const i8);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }
    #[inline(always)]
    fn slot(&mut self, tid: u32, kind: u16, nr: u16) -> &mut [u64; 7] {
        // The slot comes from the key SPEC §5 defines; the stored tag adds
        // the block generation in bits 24..31 (always 0 in that key), so a
        // slot filled in an earlier block reads as empty.
        let key = Self::key(tid, kind, nr);
        let tag = key | self.generation << 24;
        let s = &mut self.slots[Self::index(key)];
        if s.key != tag {
            s.key = tag;
            s.vals = [0; 7];
        }
        &mut s.vals
    }
}

/// The arguments of each thread's previous event (any syscall): registers
/// a syscall does not use keep the values of the thread's last one.
struct ThreadArgs {
    slots: Vec<(u64, [u64; 6])>,
    generation: u64,
}

impl ThreadArgs {
    const BITS: u32 = 10;
    fn new() -> Self {
        ThreadArgs {
            slots: vec![(u64::MAX, [0; 6]); 1 << Self::BITS],
            generation: 0,
        }
    }
    fn reset(&mut self) {
        self.generation = (self.generation + 1) & 0xffff_ffff;
        if self.generation == 0 {
            for s in &mut self.slots {
                *s = (u64::MAX, [0; 6]);
            }
        }
    }
    #[inline(always)]
    fn slot(&mut self, tid: u32) -> &mut [u64; 6] {
        let key = tid as u64 | self.generation << 32;
        let i = ((tid as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize;
        let s = &mut self.slots[i];
        if s.0 != key {
            *s = (key, [0; 6]);
        }
        &mut s.1
    }
}

/// Move-to-front list of recent thread ids: a busy host switches between a
/// few threads, so most ids are coded as a small position.
struct RecentTids {
    list: [u32; RecentTids::CAP],
    len: usize,
}

impl RecentTids {
    const CAP: usize = 64;
    fn new() -> Self {
        RecentTids {
            list: [0; Self::CAP],
            len: 0,
        }
    }
    fn reset(&mut self) {
        self.len = 0;
    }
    /// The code of `tid`: its position, or CAP + tid for a new one.
    #[inline(always)]
    fn encode(&mut self, tid: u32) -> u64 {
        match self.list[..self.len].iter().position(|&t| t == tid) {
            Some(p) => {
                self.move_to_front(p);
                p as u64
            }
            None => {
                self.push_front(tid);
                Self::CAP as u64 + tid as u64
            }
        }
    }
    #[inline(always)]
    fn decode(&mut self, code: u64) -> Result<u32, String> {
        if code < Self::CAP as u64 {
            let p = code as usize;
            if p >= self.len {
                return Err("column tid refers to an unknown recent thread".into());
            }
            self.move_to_front(p);
            Ok(self.list[0])
        } else {
            let tid = u32::try_from(code - Self::CAP as u64)
                .map_err(|_| "thread id out of range".to_string())?;
            self.push_front(tid);
            Ok(tid)
        }
    }
    /// Move entry `p` to the front (usually p is 0..3: a plain loop beats
    /// a rotate call).
    #[inline(always)]
    fn move_to_front(&mut self, p: usize) {
        let t = self.list[p];
        let mut j = p;
        while j > 0 {
            self.list[j] = self.list[j - 1];
            j -= 1;
        }
        self.list[0] = t;
    }
    fn push_front(&mut self, tid: u32) {
        if self.len < Self::CAP {
            self.len += 1;
        }
        self.list[..self.len].rotate_right(1);
        self.list[0] = tid;
    }
}

/// One decoded event: fixed fields plus where its data sits in the payload.
#[derive(Clone, Copy, Debug, Default)]
pub struct Row {
    pub ts_ns: u64,
    pub tid: u32,
    pub pid: u32,
    pub kind: u16,
    pub cpu: u16,
    pub nr: u16,
    pub data_len: u16,
    pub data_off: u32,
    pub ret: i64,
    pub args: [u64; 6],
}

/// Reads one column with bounds checks; errors carry the column name.
#[derive(Clone, Copy)]
struct Col<'a> {
    b: &'a [u8],
    p: usize,
    name: &'static str,
}

/// A column that ended early or held a bad value (cheap to return; turned
/// into a message only when decoding fails).
struct BadColumn(&'static str);

impl From<BadColumn> for String {
    fn from(b: BadColumn) -> String {
        format!("column {} is too short or holds a malformed value", b.0)
    }
}

impl<'a> Col<'a> {
    #[inline(always)]
    fn varint(&mut self) -> Result<u64, BadColumn> {
        // One- and two-byte values are most of them: decode those inline,
        // one bound check per byte (p < len, so p + 1 cannot overflow).
        let p = self.p;
        if let Some(&b0) = self.b.get(p) {
            if b0 < 0x80 {
                self.p = p + 1;
                return Ok(b0 as u64);
            }
            if let Some(&b1) = self.b.get(p + 1) {
                if b1 < 0x80 {
                    self.p = p + 2;
                    return Ok((b0 & 0x7f) as u64 | (b1 as u64) << 7);
                }
            }
        }
        self.slow()
    }

    #[inline(always)]
    fn slow(&mut self) -> Result<u64, BadColumn> {
        let (v, p) = varint_slow(self.b, self.p);
        if p == usize::MAX {
            return Err(BadColumn(self.name));
        }
        self.p = p;
        Ok(v)
    }

    /// The next 8 bytes as one little-endian word, when there are 8.
    #[inline(always)]
    fn peek8(&self) -> Option<u64> {
        let s = self.b.get(self.p..self.p + 8)?;
        Some(u64::from_le_bytes(s.try_into().unwrap()))
    }

    /// Step over one varint without decoding it (as [`Col::varint`]
    /// would, with the same errors): one 64-bit load finds its end.
    #[inline(always)]
    fn skip_varint(&mut self) -> Result<(), BadColumn> {
        if let Some(w) = self.peek8() {
            let stops = !w & 0x8080_8080_8080_8080;
            if stops != 0 {
                self.p += (stops.trailing_zeros() / 8 + 1) as usize;
                return Ok(());
            }
        }
        self.slow().map(|_| ())
    }
}

/// The value of the varint at `b[p..]` and the position after it, or
/// `usize::MAX` as the position when it is cut or malformed. Out of line,
/// and free of `Col`: a cursor passed by reference would live on the
/// stack in the decoder's loops instead of in a register.
#[inline(never)]
fn varint_slow(b: &[u8], mut p: usize) -> (u64, usize) {
    // With 10 bytes left (the longest varint), values of up to 8 bytes
    // (pointers, sizes: most that miss the inline path) are decoded
    // from one 64-bit load: no per-byte bound check or branch.
    if let Some(s) = b.get(p..p + 10) {
        let w = u64::from_le_bytes(s[..8].try_into().unwrap());
        let stops = !w & 0x8080_8080_8080_8080;
        if stops != 0 {
            let stop = stops.trailing_zeros(); // bit 7 of the last byte
            let x = if stop == 63 {
                w
            } else {
                w & ((1u64 << (stop + 1)) - 1)
            } & 0x7f7f_7f7f_7f7f_7f7f;
            // squeeze out the continuation bits: 7-bit groups pair up
            // into 14, 28, then 56 contiguous bits
            let x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
            let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
            let v = (x & 0x0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4);
            return (v, p + (stop / 8 + 1) as usize);
        }
    }
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let Some(&byte) = b.get(p) else {
            return (0, usize::MAX);
        };
        p += 1;
        if shift == 63 && byte > 1 {
            return (0, usize::MAX);
        }
        v |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return (v, p);
        }
        shift += 7;
        if shift > 63 {
            return (0, usize::MAX);
        }
    }
}

/// The columns' names, in column order (SPEC §5).
pub const COLUMN_NAMES: [&str; NCOLUMNS] = [
    "kind", "ts_low", "cpu", "tid", "pid", "nr", "ret", "argmask", "args", "data", "ts_high",
    "argsel", "argdelta",
];

/// Decode a block payload into rows. `data_off` of each row indexes `payload`.
/// Every length is checked: malformed input gives an error, never a panic.
pub fn decode(payload: &[u8], rows: &mut Vec<Row>) -> Result<(), String> {
    thread_local! {
        static DECODER: std::cell::RefCell<Decoder> = std::cell::RefCell::new(Decoder::new());
    }
    DECODER.with(|d| d.borrow_mut().decode(payload, rows))
}

/// Decode a block payload of a file of format major `major` (see [`decode`]).
pub fn decode_major(major: u16, payload: &[u8], rows: &mut Vec<Row>) -> Result<(), String> {
    thread_local! {
        static DECODERS: std::cell::RefCell<[Decoder; 2]> =
            std::cell::RefCell::new([Decoder::for_major(1), Decoder::for_major(2)]);
    }
    DECODERS.with(|d| d.borrow_mut()[(major >= 2) as usize].decode(payload, rows))
}

/// Hand `evs` to `f` one by one; breaks with how many it took.
#[inline(always)]
fn each<'p>(
    evs: &[Event<'p>],
    mut f: impl FnMut(&Event<'p>) -> std::ops::ControlFlow<()>,
) -> std::ops::ControlFlow<usize> {
    for (i, ev) in evs.iter().enumerate() {
        if f(ev).is_break() {
            return std::ops::ControlFlow::Break(i + 1);
        }
    }
    std::ops::ControlFlow::Continue(())
}

/// Events decoded column by column at a time (see `decode_inner`).
const CHUNK: usize = 256;

const SYSCALL_KIND: u8 = crate::record::Kind::Syscall as u8;

/// The syscalls whose events a consumer needs only in part (see
/// [`Decoder::decode_events_light`]): for each, at most one argument.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LightSet {
    /// By syscall number: 0 = every field; 1 + i = only args[i] (i < 6);
    /// 7 = no argument. Numbers past the end are not light.
    keep: Vec<u8>,
    /// The consumer reads no event's `cpu` (of any event, light or not):
    /// the cpu column is not decoded and every event's `cpu` reads 0.
    pub no_cpu: bool,
}

impl LightSet {
    /// Events of syscall `nr` are light: of their args only `arg` (0..=5)
    /// is needed, or none.
    pub fn insert(&mut self, nr: u16, arg: Option<u8>) {
        let i = nr as usize;
        if self.keep.len() <= i {
            self.keep.resize(i + 1, 0);
        }
        self.keep[i] = match arg {
            Some(a) if a < 6 => a + 1,
            _ => 7,
        };
    }

    pub fn is_empty(&self) -> bool {
        !self.no_cpu && self.keep.iter().all(|&k| k == 0)
    }

    /// Whether events of syscall `nr` are light.
    pub fn contains(&self, nr: u16) -> bool {
        self.keep.get(nr as usize).is_some_and(|&k| k != 0)
    }
}

/// Block decoder; keeps its tables between blocks.
pub struct Decoder {
    pred: Predictor,
    thr: ThreadArgs,
    tids: RecentTids,
    /// Format major version of the payloads (SPEC §5: 1 has 11 columns).
    major: u16,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder of the payloads this build writes.
    pub fn new() -> Self {
        Self::for_major(crate::meta::FORMAT_MAJOR)
    }

    /// A decoder of the payloads of a file of format major `major` (1 or 2).
    pub fn for_major(major: u16) -> Self {
        Decoder {
            pred: Predictor::new(),
            thr: ThreadArgs::new(),
            tids: RecentTids::new(),
            major,
        }
    }

    /// Decode a block payload into rows (see [`decode`]).
    pub fn decode(&mut self, payload: &[u8], rows: &mut Vec<Row>) -> Result<(), String> {
        rows.clear();
        self.decode_each(payload, |r| {
            rows.push(r);
            std::ops::ControlFlow::Continue(())
        })
        .map(|_| ())
    }

    /// Decode a block payload, handing each row to `f` as it is decoded.
    /// Returns how many rows were handed over; stops early when `f` breaks.
    pub fn decode_each(
        &mut self,
        payload: &[u8],
        mut f: impl FnMut(Row) -> std::ops::ControlFlow<()>,
    ) -> Result<usize, String> {
        let base = payload.as_ptr() as usize;
        self.decode_events(payload, |ev| {
            f(Row {
                ts_ns: ev.ts_ns,
                tid: ev.tid,
                pid: ev.pid,
                kind: ev.kind,
                cpu: ev.cpu,
                nr: ev.nr,
                data_len: ev.data.len() as u16,
                // an event without data borrows an empty slice from elsewhere
                data_off: if ev.data.is_empty() {
                    0
                } else {
                    (ev.data.as_ptr() as usize - base) as u32
                },
                ret: ev.ret,
                args: ev.args,
            })
        })
    }

    /// Decode a block payload, handing each event to `f` as it is decoded,
    /// its data borrowed from `payload` (no row buffer, no copy: the
    /// streaming path of `TraceReader::for_each_event`). Returns how many
    /// events were handed over; stops early when `f` breaks.
    pub fn decode_events<'p>(
        &mut self,
        payload: &'p [u8],
        mut f: impl FnMut(&Event<'p>) -> std::ops::ControlFlow<()>,
    ) -> Result<usize, String> {
        self.decode_inner::<false>(payload, &[], false, |evs, _| each(evs, |ev| f(ev)))
    }

    /// [`Decoder::decode_events`] for a consumer that needs only part of
    /// the events of some syscalls (`light`): `f` gets each event and
    /// whether it is light. In a light event of a format 1.x payload only
    /// the argument `light` names is decoded (the other args read 0; the
    /// decoder steps over their bytes); everything else (time, ids, ret,
    /// data) is whole. In 2.0 payloads every argument is decoded anyway
    /// (the thread selector reads the previous event's args).
    pub fn decode_events_light<'p>(
        &mut self,
        payload: &'p [u8],
        light: &LightSet,
        mut f: impl FnMut(&Event<'p>, bool) -> std::ops::ControlFlow<()>,
    ) -> Result<usize, String> {
        self.decode_chunks_light(payload, light, |evs, lights| {
            let mut l = lights.iter();
            each(evs, |ev| f(ev, *l.next().unwrap()))
        })
    }

    /// [`Decoder::decode_events_light`] a chunk of events at a time: `f`
    /// gets the events and whether each is light, and breaks with how
    /// many of them it took. A loop over a chunk in the consumer keeps the
    /// per-event work in one function (no call per event).
    pub fn decode_chunks_light<'p>(
        &mut self,
        payload: &'p [u8],
        light: &LightSet,
        f: impl FnMut(&[Event<'p>], &[bool]) -> std::ops::ControlFlow<usize>,
    ) -> Result<usize, String> {
        if light.is_empty() {
            return self.decode_inner::<false>(payload, &[], false, f);
        }
        self.decode_inner::<true>(payload, &light.keep, light.no_cpu, f)
    }

    #[inline(always)]
    fn decode_inner<'p, const LIGHT: bool>(
        &mut self,
        payload: &'p [u8],
        light: &[u8],
        no_cpu: bool,
        mut f: impl FnMut(&[Event<'p>], &[bool]) -> std::ops::ControlFlow<usize>,
    ) -> Result<usize, String> {
        let ncols = if self.major == 1 {
            NCOLUMNS_V1
        } else {
            NCOLUMNS
        };
        let prefix = payload_prefix(ncols);
        if payload.len() < prefix {
            return Err(format!(
                "block payload of {} bytes is shorter than its {}-byte prefix",
                payload.len(),
                prefix
            ));
        }
        let n = u32::from_le_bytes(payload[0..4].try_into().unwrap()) as usize;
        let base_ts = u64::from_le_bytes(payload[4..12].try_into().unwrap());
        let mut starts = [0usize; NCOLUMNS + 1];
        starts[0] = prefix;
        for c in 0..ncols {
            let o = 12 + 4 * c;
            let len = u32::from_le_bytes(payload[o..o + 4].try_into().unwrap()) as usize;
            starts[c + 1] = starts[c]
                .checked_add(len)
                .filter(|&e| e <= payload.len())
                .ok_or_else(|| format!("column {} overruns the block payload", COLUMN_NAMES[c]))?;
        }
        if starts[ncols] != payload.len() {
            return Err(format!(
                "{} stray bytes after the last column",
                payload.len() - starts[ncols]
            ));
        }
        // Version 1 payloads have no argsel/argdelta columns: empty ones.
        for c in ncols..NCOLUMNS {
            starts[c + 1] = starts[ncols];
        }
        // Fixed-width columns bound n before we allocate for it.
        if starts[1] - starts[0] != n || starts[2] - starts[1] != n || starts[8] - starts[7] != n {
            return Err(format!(
                "block says {n} events but its kind/ts_low/argmask columns hold {}/{}/{}",
                starts[1] - starts[0],
                starts[2] - starts[1],
                starts[8] - starts[7]
            ));
        }
        let col = |c: usize| Col {
            b: &payload[starts[c]..starts[c + 1]],
            p: 0,
            name: COLUMN_NAMES[c],
        };
        // Fixed-width columns hold exactly n bytes (checked above).
        let kinds = &payload[starts[0]..starts[1]];
        let ts_lows = &payload[starts[1]..starts[2]];
        let masks = &payload[starts[7]..starts[8]];
        let (mut cpu, mut tid, mut pid) = (col(2), col(3), col(4));
        let mut ts_high = col(10);
        let (mut nr, mut ret, mut args, mut data) = (col(5), col(6), col(8), col(9));
        let (argsel, mut argdelta) = (&payload[starts[11]..starts[12]], col(12));
        let mut sel_p = 0usize;
        let v1 = self.major == 1;
        let mut handed = 0usize;
        let mut prev_ts = base_ts;
        let tids = &mut self.tids;
        let pred = &mut self.pred;
        let thr = &mut self.thr;
        tids.reset();
        pred.reset();
        thr.reset();
        // Events go in chunks, decoded column by column into `evs` (one
        // column's cursor live at a time, in a register: a loop over all
        // columns spills them, and a call per event to `f` inside it
        // spills everything), then handed to `f`. A malformed column is
        // found before the chunk's events are handed over.
        const NO_EVENT: Event<'static> = Event {
            ts_ns: 0,
            cpu: 0,
            tid: 0,
            pid: 0,
            kind: 0,
            nr: 0,
            ret: 0,
            args: [0; 6],
            data: &[],
        };
        let mut evs = [NO_EVENT; CHUNK];
        let mut lights = [false; CHUNK];
        let mut i0 = 0;
        while i0 < n {
            let len = (n - i0).min(CHUNK);
            let end = i0 + len;
            let evs = &mut evs[..len];
            pass_ts(&mut ts_high, evs, &ts_lows[i0..end], &mut prev_ts)?;
            // every event's cpu stays NO_EVENT's 0 when the consumer reads none
            if !(LIGHT && no_cpu) {
                pass_cpu(&mut cpu, evs)?;
            }
            pass_tid(&mut tid, tids, evs)?;
            pass_pid(&mut pid, evs)?;
            pass_nr(&mut nr, evs, &kinds[i0..end])?;
            let mut rest = Rest {
                args,
                ret,
                data,
                argdelta,
                argsel,
                sel_p,
            };
            let km = (&kinds[i0..end], &masks[i0..end]);
            if v1 {
                pass_args::<LIGHT, true>(&mut rest, pred, thr, light, evs, &mut lights, km)?;
            } else {
                pass_args::<LIGHT, false>(&mut rest, pred, thr, light, evs, &mut lights, km)?;
            }
            (args, ret, data, argdelta, sel_p) =
                (rest.args, rest.ret, rest.data, rest.argdelta, rest.sel_p);
            match f(evs, &lights[..len]) {
                std::ops::ControlFlow::Continue(()) => handed += len,
                std::ops::ControlFlow::Break(k) => return Ok(handed + k),
            }
            i0 = end;
        }
        if sel_p != argsel.len() {
            return Err(format!(
                "column argsel has {} bytes left over",
                argsel.len() - sel_p
            ));
        }
        for c in [
            &ts_high, &cpu, &tid, &pid, &nr, &ret, &args, &data, &argdelta,
        ] {
            // (an undecoded cpu column is not checked: nothing reads it)
            let undecoded = LIGHT && no_cpu && std::ptr::eq(c, &cpu);
            if c.p != c.b.len() && !undecoded {
                return Err(format!(
                    "column {} has {} bytes left over",
                    c.name,
                    c.b.len() - c.p
                ));
            }
        }
        Ok(handed)
    }
}

// The column passes of `Decoder::decode_inner`, out of line: each keeps
// its column's cursor in a register (a local copy, written back at the end).

#[inline(never)]
fn pass_ts(col: &mut Col, evs: &mut [Event], lows: &[u8], prev: &mut u64) -> Result<(), String> {
    let mut c = *col;
    let mut t = *prev;
    for (ev, &lo) in evs.iter_mut().zip(lows) {
        let hi = c.varint()?;
        if hi >> 56 != 0 {
            return Err("column ts_high holds a delta over 64 bits".into());
        }
        t = t.wrapping_add(hi << 8 | lo as u64);
        ev.ts_ns = t;
    }
    (*col, *prev) = (c, t);
    Ok(())
}

#[inline(never)]
fn pass_cpu(col: &mut Col, evs: &mut [Event]) -> Result<(), String> {
    let mut c = *col;
    for ev in evs.iter_mut() {
        let v = c.varint()?;
        if v > u16::MAX as u64 {
            return Err("cpu or syscall number out of range".into());
        }
        ev.cpu = v as u16;
    }
    *col = c;
    Ok(())
}

/// Whether the next 8 bytes of `c` are all 0 (8 one-byte zero varints: a
/// run of the same thread, each its own process's leader).
#[inline(always)]
fn zero_run8(c: &Col) -> bool {
    c.peek8() == Some(0)
}

#[inline(never)]
fn pass_tid(col: &mut Col, tids: &mut RecentTids, evs: &mut [Event]) -> Result<(), String> {
    let mut c = *col;
    let mut groups = evs.chunks_exact_mut(8);
    for g in &mut groups {
        // code 0 is the front of the recent list, where it stays
        if tids.len > 0 && zero_run8(&c) {
            c.p += 8;
            let tid = tids.list[0];
            for ev in g.iter_mut() {
                ev.tid = tid;
            }
            continue;
        }
        for ev in g.iter_mut() {
            ev.tid = tids.decode(c.varint()?)?;
        }
    }
    for ev in groups.into_remainder() {
        ev.tid = tids.decode(c.varint()?)?;
    }
    *col = c;
    Ok(())
}

#[inline(never)]
fn pass_pid(col: &mut Col, evs: &mut [Event]) -> Result<(), String> {
    let mut c = *col;
    let mut groups = evs.chunks_exact_mut(8);
    for g in &mut groups {
        // delta 0: the process is the thread's own id
        if zero_run8(&c) {
            c.p += 8;
            for ev in g.iter_mut() {
                ev.pid = ev.tid;
            }
            continue;
        }
        for ev in g.iter_mut() {
            ev.pid = pid_of(ev.tid, c.varint()?)?;
        }
    }
    for ev in groups.into_remainder() {
        ev.pid = pid_of(ev.tid, c.varint()?)?;
    }
    *col = c;
    Ok(())
}

#[inline(always)]
fn pid_of(tid: u32, delta: u64) -> Result<u32, String> {
    // checked: a corrupt delta must be an error, not an overflow
    let v = (tid as i64).checked_sub(unzigzag(delta)).unwrap_or(-1);
    if !(0..=u32::MAX as i64).contains(&v) {
        return Err("thread or process id out of range".into());
    }
    Ok(v as u32)
}

#[inline(never)]
fn pass_nr(col: &mut Col, evs: &mut [Event], kinds: &[u8]) -> Result<(), String> {
    let mut c = *col;
    for (ev, &k) in evs.iter_mut().zip(kinds) {
        let v = c.varint()?;
        if v > u16::MAX as u64 {
            return Err("cpu or syscall number out of range".into());
        }
        ev.nr = v as u16;
        ev.kind = (k & 0x7f) as u16;
    }
    *col = c;
    Ok(())
}

/// The columns `pass_args` reads.
struct Rest<'a> {
    args: Col<'a>,
    ret: Col<'a>,
    data: Col<'a>,
    argdelta: Col<'a>,
    argsel: &'a [u8],
    sel_p: usize,
}

/// Args (predicted), ret and data of a chunk's events; `lights` tells
/// which are light (see `Decoder::decode_events_light`).
#[inline(never)]
fn pass_args<'p, const LIGHT: bool, const V1: bool>(
    rest: &mut Rest<'p>,
    pred: &mut Predictor,
    thr: &mut ThreadArgs,
    light: &[u8],
    evs: &mut [Event<'p>],
    lights: &mut [bool],
    (kinds, masks): (&[u8], &[u8]),
) -> Result<(), String> {
    let (mut args, mut ret, mut data, mut argdelta) =
        (rest.args, rest.ret, rest.data, rest.argdelta);
    let argsel = rest.argsel;
    let mut sel_p = rest.sel_p;
    let km = kinds.iter().zip(masks);
    for ((ev, is_light), (&k, &m)) in evs.iter_mut().zip(lights.iter_mut()).zip(km) {
        // 0, or 1 + the one argument a light event needs (LightSet)
        let lk = if LIGHT && k & 0x7f == SYSCALL_KIND {
            light.get(ev.nr as usize).copied().unwrap_or(0)
        } else {
            0
        };
        *is_light = lk != 0;
        let last = pred.slot(ev.tid, ev.kind, ev.nr);
        if LIGHT && V1 && lk != 0 {
            // Only argument lk - 1 is decoded, the others stepped over.
            // Whether an event is light depends on its syscall alone, so
            // every event of this slot's key is light: the slot's other
            // (stale) values are never read.
            let keep = (lk - 1) as u32;
            let mut bits = m & 0x3f;
            while bits != 0 {
                let a = bits.trailing_zeros();
                if a == keep {
                    last[a as usize] = args.varint()?;
                } else {
                    args.skip_varint()?;
                }
                bits &= bits - 1;
            }
            ev.args = [0; 6];
            if keep < 6 {
                ev.args[keep as usize] = last[keep as usize];
            }
        } else if V1 {
            // the set mask bits only (mostly one or two)
            let mut bits = m & 0x3f;
            while bits != 0 {
                last[bits.trailing_zeros() as usize] = args.varint()?;
                bits &= bits - 1;
            }
            ev.args.copy_from_slice(&last[..6]);
        } else {
            let t = thr.slot(ev.tid);
            if m & 0x3f != 0 {
                for (a, v) in last.iter_mut().take(6).enumerate() {
                    if m & (1 << a) != 0 {
                        let &sel = argsel.get(sel_p).ok_or(BadColumn("argsel"))?;
                        sel_p += 1;
                        *v = match sel {
                            SEL_RAW => args.varint()?,
                            SEL_THREAD => t[a],
                            SEL_DELTA => v.wrapping_add(unzigzag(argdelta.varint()?) as u64),
                            _ => return Err("column argsel holds an unknown selector".into()),
                        };
                    }
                }
            }
            ev.args.copy_from_slice(&last[..6]);
            *t = ev.args;
        }
        if m & (1 << 6) != 0 {
            last[6] = unzigzag(ret.varint()?) as u64;
        }
        ev.ret = last[6] as i64;
        ev.data = &[];
        if k & KIND_HAS_DATA != 0 {
            let len = data.varint()?;
            if len == 0 || len > u16::MAX as u64 || data.p + len as usize > data.b.len() {
                return Err(format!(
                    "event data of {len} bytes overruns the data column"
                ));
            }
            let d = &data.b[data.p..data.p + len as usize];
            crate::record::validate_items(d).map_err(|e| format!("event data: {}", e.what))?;
            ev.data = d;
            data.p += len as usize;
        }
    }
    (rest.args, rest.ret, rest.data, rest.argdelta) = (args, ret, data, argdelta);
    rest.sel_p = sel_p;
    Ok(())
}

impl Row {
    #[inline]
    pub fn event<'a>(&self, payload: &'a [u8]) -> Event<'a> {
        let off = self.data_off as usize;
        Event {
            ts_ns: self.ts_ns,
            cpu: self.cpu,
            tid: self.tid,
            pid: self.pid,
            kind: self.kind,
            nr: self.nr,
            ret: self.ret,
            args: self.args,
            data: &payload[off..off + self.data_len as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{push_item, tag};

    /// Every varint length, at a column's end and with bytes after it (the
    /// 64-bit load path), decodes to what was written; overlong or cut
    /// values are errors.
    #[test]
    fn varints_of_every_length_decode() {
        let mut vals = vec![0u64, 1, 0x7f, u64::MAX, u64::MAX - 1, 1 << 63];
        for bits in 7..64 {
            vals.extend([(1u64 << bits) - 1, 1u64 << bits, (1u64 << bits) | 0x55]);
        }
        for &v in &vals {
            for tail in [0usize, 1, 9, 12] {
                let mut b = Vec::new();
                put_varint(&mut b, v);
                let n = b.len();
                b.resize(n + tail, 0x81);
                let mut c = Col {
                    b: &b,
                    p: 0,
                    name: "t",
                };
                assert_eq!(c.varint().ok(), Some(v), "{v:#x} tail {tail}");
                assert_eq!(c.p, n, "{v:#x} tail {tail}");
            }
        }
        // 11 bytes, or a 10th byte over 1: too long
        for bad in [
            &[0xffu8; 11][..],
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0,
            ],
        ] {
            let mut c = Col {
                b: bad,
                p: 0,
                name: "t",
            };
            assert!(c.varint().is_err());
        }
        // cut short
        let mut c = Col {
            b: &[0x80, 0x80, 0x80],
            p: 0,
            name: "t",
        };
        assert!(c.varint().is_err());
    }

    fn sample() -> StagedBlock {
        let mut s = StagedBlock::default();
        let mut d = Vec::new();
        for i in 0..100u64 {
            d.clear();
            if i % 3 == 0 {
                push_item(&mut d, tag::ARG1, 0, b"/etc/hosts\0");
            }
            // Out of order on purpose: the encoder must sort.
            let ts = 1_000_000 + (i ^ 5) * 1000;
            s.push(
                RecordHeader {
                    ts_ns: ts,
                    tid: 100 + (i % 7) as u32,
                    pid: 100,
                    kind: 1,
                    cpu: (i % 2) as u16,
                    nr: 257,
                    data_len: 0,
                    ret: if i % 5 == 0 { -2 } else { 3 },
                    args: [u64::MAX - 99, i, 0, 0o644, 0, 0x7ffd_0000_1234],
                },
                &d,
            );
        }
        s
    }

    /// Blocks of more events than a decoding chunk: every event comes
    /// back, and a consumer that stops gets exactly the events it took,
    /// inside a chunk or at its end.
    #[test]
    fn events_across_chunks_round_trip_and_stop_where_asked() {
        let mut s = StagedBlock::default();
        let mut d = Vec::new();
        let n = 2 * CHUNK + 100;
        for i in 0..n as u64 {
            d.clear();
            if i % 4 == 0 {
                push_item(&mut d, tag::ARG1, 0, format!("/p/{i}\0").as_bytes());
            }
            let h = RecordHeader {
                ts_ns: 1_000_000 + i * 37,
                tid: 100 + (i % 70) as u32,
                pid: 100 + (i % 3) as u32,
                kind: 1,
                cpu: (i % 4) as u16,
                nr: (i % 9) as u16,
                data_len: 0,
                ret: i as i64 - 50,
                args: [i, i * 0x1_0000_0000, 3, 0, i % 2, u64::MAX - i],
            };
            s.push(h, &d);
        }
        let mut out = Vec::new();
        encode(&s, &mut out);
        let mut dec = Decoder::new();
        let mut got = Vec::new();
        let k = dec
            .decode_events(&out, |e| {
                got.push(e.to_owned_event());
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!((k, got.len()), (n, n));
        for (i, e) in got.iter().enumerate() {
            let i = i as u64;
            assert_eq!(e.header.ts_ns, 1_000_000 + i * 37);
            assert_eq!(
                e.header.args,
                [i, i * 0x1_0000_0000, 3, 0, i % 2, u64::MAX - i]
            );
            assert_eq!(
                (e.header.tid, e.header.pid),
                (100 + (i % 70) as u32, 100 + (i % 3) as u32)
            );
            assert_eq!((e.header.ret, e.header.nr), (i as i64 - 50, (i % 9) as u16));
            assert_eq!(e.data.is_empty(), !i.is_multiple_of(4));
        }
        for stop in [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 7] {
            let mut seen = 0;
            let k = dec
                .decode_events(&out, |_| {
                    seen += 1;
                    if seen == stop {
                        std::ops::ControlFlow::Break(())
                    } else {
                        std::ops::ControlFlow::Continue(())
                    }
                })
                .unwrap();
            assert_eq!((k, seen), (stop, stop));
        }
    }

    #[test]
    fn round_trip_sorted_by_time() {
        let s = sample();
        let mut out = Vec::new();
        let sum = encode(&s, &mut out);
        assert_eq!(sum.n_events, 100);
        let mut rows = Vec::new();
        decode(&out, &mut rows).unwrap();
        assert_eq!(rows.len(), 100);
        assert!(rows.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
        assert_eq!(sum.first_ts, rows[0].ts_ns);
        assert_eq!(sum.last_ts, rows[99].ts_ns);
        // Every staged event comes back exactly once.
        let mut want: Vec<_> = (0..100)
            .map(|i| {
                let h = s.headers[i];
                let o = s.offsets[i] as usize;
                (h, s.data[o..o + h.data_len as usize].to_vec())
            })
            .collect();
        let mut got: Vec<_> = rows
            .iter()
            .map(|r| {
                let e = r.event(&out);
                (e.header(), e.data.to_vec())
            })
            .collect();
        want.sort_by_key(|(h, _)| h.ts_ns);
        got.sort_by_key(|(h, _)| h.ts_ns);
        assert_eq!(want, got);
    }

    /// The streaming decoder hands over the same events as the rows, data
    /// included, and stops where its callback breaks.
    #[test]
    fn streamed_events_equal_rows() {
        let mut out = Vec::new();
        encode(&sample(), &mut out);
        let mut rows = Vec::new();
        decode(&out, &mut rows).unwrap();
        assert!(rows.iter().any(|r| r.data_len > 0) && rows.iter().any(|r| r.data_len == 0));
        let mut d = Decoder::new();
        let mut got = Vec::new();
        let n = d
            .decode_events(&out, |e| {
                got.push((e.header(), e.data.to_vec()));
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        let want: Vec<_> = rows
            .iter()
            .map(|r| {
                let e = r.event(&out);
                (e.header(), e.data.to_vec())
            })
            .collect();
        assert_eq!((n, &got), (rows.len(), &want));
        let mut seen = 0;
        let n = d
            .decode_events(&out, |_| {
                seen += 1;
                if seen == 7 {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!((n, seen), (7, 7));
    }

    /// Rebuild a payload with column `c` replaced (column lengths fixed up).
    fn with_column(payload: &[u8], c: usize, new: &[u8]) -> Vec<u8> {
        let len = |i: usize| {
            let o = 12 + 4 * i;
            u32::from_le_bytes(payload[o..o + 4].try_into().unwrap()) as usize
        };
        let mut cols = Vec::new();
        let mut at = PAYLOAD_PREFIX;
        for i in 0..NCOLUMNS {
            cols.push(&payload[at..at + len(i)]);
            at += len(i);
        }
        cols[c] = new;
        let mut out = payload[..12].to_vec();
        for col in &cols {
            out.extend_from_slice(&(col.len() as u32).to_le_bytes());
        }
        for col in &cols {
            out.extend_from_slice(col);
        }
        out
    }

    #[test]
    fn a_pid_delta_past_i64_is_an_error() {
        // found by the block_decode fuzz target: tid - delta overflowed
        let mut one = StagedBlock::default();
        let mut h = sample().headers[0];
        h.data_len = 0;
        one.push(h, &[]);
        let mut out = Vec::new();
        encode(&one, &mut out);
        let mut rows = Vec::new();
        decode(&out, &mut rows).unwrap();
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        let bad = with_column(&out, 4, &huge); // pid column: delta i64::MIN
        let err = decode(&bad, &mut rows).unwrap_err();
        assert!(err.contains("process id out of range"), "{err}");
    }

    /// Runs of one thread (tid code 0) that leads its process (pid delta
    /// 0), of every length and offset against the 8-event groups the tid
    /// and pid passes take at once, between threads that do not: every
    /// event's tid and pid come back. A tid column of zeros where the
    /// recent list is empty is an error, not the list's stale front.
    #[test]
    fn runs_of_one_thread_decode_as_events_do() {
        let mut s = StagedBlock::default();
        let mut want = Vec::new();
        let mut ts = 1_000;
        for (run, (tid, pid)) in
            (1..40).zip([(500, 500), (501, 500), (9, 9), (500, 500)].iter().cycle())
        {
            for _ in 0..run {
                ts += 3;
                s.push(
                    RecordHeader {
                        ts_ns: ts,
                        tid: *tid,
                        pid: *pid,
                        kind: 1,
                        nr: 0,
                        ..Default::default()
                    },
                    &[],
                );
                want.push((*tid, *pid));
            }
        }
        let mut out = Vec::new();
        encode(&s, &mut out);
        let mut got = Vec::new();
        Decoder::new()
            .decode_events(&out, |e| {
                got.push((e.tid, e.pid));
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(got, want);
        let mut rows = Vec::new();
        let zeros = vec![0u8; want.len()];
        let err = decode(&with_column(&out, 3, &zeros), &mut rows).unwrap_err();
        assert!(err.contains("unknown recent thread"), "{err}");
    }

    /// Events of one thread whose args exercise every selector: repeated
    /// (mask bit clear), the thread's previous event's value (selector 1), a
    /// small move (2) and a far one (0).
    fn selector_sample() -> StagedBlock {
        let mut s = StagedBlock::default();
        for i in 0..40u64 {
            let nr = if i % 2 == 0 { 262 } else { 3 };
            let junk = 0x327a_9e02_3507_8e22u64.wrapping_mul(i / 4 + 1);
            s.push(
                RecordHeader {
                    ts_ns: 1_000 + i,
                    tid: 7,
                    pid: 7,
                    kind: 1,
                    nr,
                    ret: 0,
                    args: [
                        i % 3,
                        0x7f00_0000_0000 + i * 24,
                        0x7ffd_0000_0000,
                        junk,
                        0,
                        0,
                    ],
                    ..Default::default()
                },
                &[],
            );
        }
        s
    }

    #[test]
    fn argument_selectors_round_trip() {
        let s = selector_sample();
        let mut enc = Encoder::new();
        enc.encode_frames(&s);
        let sel = enc.columns().nth(11).unwrap().to_vec();
        for k in [SEL_RAW, SEL_THREAD, SEL_DELTA] {
            assert!(sel.contains(&k), "selector {k} unused: {sel:?}");
        }
        let mut out = Vec::new();
        enc.encode(&s, &mut out);
        let mut rows = Vec::new();
        Decoder::new().decode(&out, &mut rows).unwrap();
        let got: Vec<_> = rows.iter().map(|r| r.event(&out).header()).collect();
        assert_eq!(got, s.headers);
    }

    #[test]
    fn an_unknown_selector_is_an_error() {
        let s = selector_sample();
        let mut out = Vec::new();
        encode(&s, &mut out);
        let mut enc = Encoder::new();
        enc.encode_frames(&s);
        let mut sel = enc.columns().nth(11).unwrap().to_vec();
        sel[0] = 3;
        let bad = with_column(&out, 11, &sel);
        let err = Decoder::new().decode(&bad, &mut Vec::new()).unwrap_err();
        assert!(err.contains("unknown selector"), "{err}");
    }

    #[test]
    fn a_format_1_payload_has_no_selector_columns() {
        // A 2.0 payload is not a 1.x one: the 1.x decoder finds stray bytes
        // (two more column lengths) rather than misreading it.
        let mut out = Vec::new();
        encode(&selector_sample(), &mut out);
        assert!(Decoder::for_major(1).decode(&out, &mut Vec::new()).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let s = sample();
        let mut out = Vec::new();
        encode(&s, &mut out);
        let mut rows = Vec::new();
        for cut in 0..out.len() {
            assert!(decode(&out[..cut], &mut rows).is_err());
        }
        let mut x = 0x9e3779b97f4a7c15u64;
        for _ in 0..2000 {
            let mut b = out.clone();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % b.len();
            b[i] ^= 1 << (x % 8);
            let _ = decode(&b, &mut rows);
        }
    }
}
