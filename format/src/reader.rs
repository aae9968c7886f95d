//! Trace readers: [`TraceReader`] reads the file with `pread` and decodes
//! blocks in parallel (delivered in order); [`StreamReader`] reads any `io::Read` front
//! to back. Both read a file cut short up to its last complete block.

use std::io::Read;
use std::ops::{ControlFlow, Range};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::block::{self, Row};
use crate::container::*;
use crate::error::TraceError;
use crate::event::Event;
use crate::meta::{ProcessSnapshot, TraceHeader, FORMAT_MAJOR};

/// Why and where a file ends early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// Complete blocks that can be read.
    pub complete_blocks: usize,
    /// Offset just past the last complete block.
    pub good_until: u64,
    pub file_len: u64,
    pub reason: String,
}

/// A decompressed, decoded block; events borrow from it.
pub struct DecodedBlock {
    pub index: usize,
    payload: Vec<u8>,
    rows: Vec<Row>,
    pool: Option<Arc<BufferPool>>,
}

/// Block buffers handed back by dropped blocks, so steady-state reading does
/// not allocate (and page-fault) a fresh megabyte per block.
#[derive(Default)]
pub struct BufferPool {
    free: Mutex<Vec<(Vec<u8>, Vec<Row>)>>,
    /// The payload of the file's largest block: a fresh buffer gets that
    /// much room at once, not again each time a larger block comes.
    room: usize,
}

impl BufferPool {
    const KEEP: usize = 32;
    fn for_blocks(blocks: &[BlockEntry]) -> Self {
        BufferPool {
            free: Mutex::default(),
            // (each header's payload_len was checked against the cap)
            room: (blocks.iter())
                .map(|b| b.header.payload_len as usize)
                .max()
                .unwrap_or(0)
                .min(crate::container::MAX_PAYLOAD),
        }
    }
    fn take(&self) -> (Vec<u8>, Vec<Row>) {
        self.free.lock().unwrap().pop().unwrap_or_default()
    }
    fn give(&self, payload: Vec<u8>) {
        let mut free = self.free.lock().unwrap();
        if free.len() < Self::KEEP {
            free.push((payload, Vec::new()));
        }
    }
}

impl Drop for DecodedBlock {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            let mut free = pool.free.lock().unwrap();
            if free.len() < BufferPool::KEEP {
                free.push((
                    std::mem::take(&mut self.payload),
                    std::mem::take(&mut self.rows),
                ));
            }
        }
    }
}

impl DecodedBlock {
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn events(&self) -> impl ExactSizeIterator<Item = Event<'_>> + '_ {
        self.rows.iter().map(|r| r.event(&self.payload))
    }
    /// Decompressed payload size.
    pub fn payload_len(&self) -> usize {
        self.payload.len()
    }
    /// The decompressed payload (SPEC §5), for tools that study the codec.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// One column's share of a file (see [`TraceReader::column_sizes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSize {
    pub name: &'static str,
    /// Bytes of its zstd frames on disk.
    pub stored_bytes: u64,
    /// Bytes they decompress to.
    pub payload_bytes: u64,
}

/// A file's format version, (major, minor).
pub type FormatVersion = (u16, u16);

/// Parse the header and snapshot frames at the start of `b`; returns them,
/// the offset of the first block and the format version.
fn parse_prefix(
    path: &Path,
    b: &[u8],
) -> Result<(TraceHeader, ProcessSnapshot, u64, FormatVersion), TraceError> {
    let (magic, len) = read_frame_header(b).ok_or_else(|| {
        TraceError::at(
            path,
            0,
            format!("file of {} bytes is too short for a trace header", b.len()),
        )
    })?;
    if magic != MAGIC_FILE_HEADER || b.len() < FRAME_HEADER + 8 || &b[8..16] != FILE_MAGIC {
        return Err(TraceError::at(
            path,
            0,
            "not a sysreplay trace: expected a zstd skippable frame 0x184D2A50 starting with \"SRTRACE\"",
        ));
    }
    let end = FRAME_HEADER + len as usize;
    if end > b.len() || len < 20 {
        return Err(TraceError::at(
            path,
            0,
            "file ends inside the trace header (cut short before any event)",
        ));
    }
    let p = &b[FRAME_HEADER..end];
    let major = u16::from_le_bytes([p[8], p[9]]);
    let minor = u16::from_le_bytes([p[10], p[11]]);
    if !(1..=FORMAT_MAJOR).contains(&major) {
        return Err(TraceError::at(
            path,
            16,
            format!(
                "trace format {major}.{minor} is not supported (this build reads {FORMAT_MAJOR}.x)"
            ),
        ));
    }
    let hlen = u32::from_le_bytes(p[12..16].try_into().unwrap()) as usize;
    if 16 + hlen + 4 != p.len() {
        return Err(TraceError::at(
            path,
            20,
            format!(
                "header length {hlen} does not fit its frame of {} bytes",
                p.len()
            ),
        ));
    }
    let body = &p[16..16 + hlen];
    let crc = u32::from_le_bytes(p[16 + hlen..].try_into().unwrap());
    if crc32fast::hash(body) != crc {
        return Err(TraceError::at(
            path,
            24,
            "trace header checksum mismatch (corrupted header)",
        ));
    }
    let header: TraceHeader = postcard::from_bytes(body)
        .map_err(|e| TraceError::at(path, 24, format!("cannot decode the trace header: {e}")))?;

    let so = end;
    let (magic, len) = read_frame_header(&b[so..])
        .ok_or_else(|| TraceError::at(path, so as u64, "file ends before the process snapshot"))?;
    if magic != MAGIC_SNAPSHOT {
        return Err(TraceError::at(
            path,
            so as u64,
            format!("expected the process snapshot frame (magic 0x184D2A51), found 0x{magic:08X}"),
        ));
    }
    let send = so + FRAME_HEADER + len as usize;
    if send > b.len() || len < 4 {
        return Err(TraceError::at(
            path,
            so as u64,
            "file ends inside the process snapshot",
        ));
    }
    let sp = &b[so + FRAME_HEADER..send];
    let crc = u32::from_le_bytes(sp[0..4].try_into().unwrap());
    if crc32fast::hash(&sp[4..]) != crc {
        return Err(TraceError::at(
            path,
            so as u64,
            "process snapshot checksum mismatch (corrupted snapshot)",
        ));
    }
    let raw = decompress_bounded(&sp[4..], MAX_SNAPSHOT).map_err(|e| {
        TraceError::at(
            path,
            (so + FRAME_HEADER + 4) as u64,
            format!("cannot decompress the process snapshot: {e}"),
        )
    })?;
    let (mut snapshot, ext): (ProcessSnapshot, &[u8]) =
        postcard::take_from_bytes(&raw).map_err(|e| {
            TraceError::at(
                path,
                so as u64,
                format!("cannot decode the process snapshot: {e}"),
            )
        })?;
    // format 2.2: the extension after it (older files have none)
    crate::meta::apply_snapshot_ext(&mut snapshot, ext).map_err(|(at, what)| {
        TraceError::at(
            path,
            so as u64,
            format!(
                "process snapshot extension, byte {} of the decompressed snapshot: expected {what}",
                raw.len() - ext.len() + at
            ),
        )
    })?;
    Ok((header, snapshot, send as u64, (major, minor)))
}

/// Decompress the zstd frame(s) in `z`, refusing more than the size the frame
/// header declares or `limit`, whichever is smaller: a few hundred kilobytes
/// of crafted zeros must not make the reader allocate gigabytes. Memory grows
/// only with the bytes actually produced.
pub(crate) fn decompress_bounded(z: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let declared = zstd::zstd_safe::get_frame_content_size(z)
        .map_err(|_| "not a zstd frame (bad frame header)".to_string())?;
    if let Some(n) = declared {
        if n > limit as u64 {
            return Err(format!(
                "the frame declares {n} decompressed bytes, over the {limit} byte limit"
            ));
        }
    }
    let cap = declared.map_or(limit, |n| n as usize);
    let d = zstd::stream::read::Decoder::with_buffer(z).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(cap.min(1 << 20));
    d.take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > cap {
        return Err(match declared {
            Some(n) => format!("decompresses to more than the {n} bytes its frame declares"),
            None => format!("decompresses to more than the {limit} byte limit"),
        });
    }
    Ok(out)
}

/// The trace file, read with `pread`: a file cut short by another process
/// while it is read gives short reads, reported as errors, where a memory
/// map would kill the process with SIGBUS.
struct Src {
    file: std::fs::File,
    /// Length when the file was opened.
    len: u64,
}

impl Src {
    /// Up to `n` bytes at `off`: fewer where the file ends.
    fn read(&self, off: u64, n: usize) -> std::io::Result<Vec<u8>> {
        let n = n.min(self.len.saturating_sub(off) as usize);
        let mut buf = vec![0u8; n];
        let got = self.read_into(off, &mut buf)?;
        buf.truncate(got);
        Ok(buf)
    }

    /// Fill `buf` from `off`; the bytes read (fewer where the file ends).
    fn read_into(&self, off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut n = 0;
        while n < buf.len() {
            match self.file.read_at(&mut buf[n..], off + n as u64) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// The file's length now (it may have been cut since it was opened).
    fn len_now(&self) -> Option<u64> {
        self.file.metadata().ok().map(|m| m.len())
    }
}

/// The header and snapshot frames at the start of the file (each frame at
/// most MAX_PAYLOAD bytes), for `parse_prefix`.
fn read_prefix(path: &Path, src: &Src) -> Result<Vec<u8>, TraceError> {
    let io = |e| TraceError::io(path, "cannot read trace", e);
    let mut prefix = Vec::new();
    for _ in 0..2 {
        let at = prefix.len() as u64;
        let fh = src.read(at, FRAME_HEADER).map_err(io)?;
        prefix.extend_from_slice(&fh);
        let Some((magic, len)) = read_frame_header(&fh) else {
            break;
        };
        if magic != MAGIC_FILE_HEADER && magic != MAGIC_SNAPSHOT {
            break; // parse_prefix says what it expected
        }
        if len as usize > MAX_PAYLOAD {
            return Err(TraceError::at(
                path,
                at,
                format!("frame of {len} bytes: over the {MAX_PAYLOAD} byte limit (not a sysreplay trace, or corrupted)"),
            ));
        }
        prefix.extend_from_slice(
            &src.read(at + FRAME_HEADER as u64, len as usize)
                .map_err(io)?,
        );
    }
    Ok(prefix)
}

/// The index frame at the end of the file, if intact: the index and the
/// offset where its frame starts.
fn index_at_end(src: &Src) -> Option<(Index, u64)> {
    let t = src.len.checked_sub(12)?;
    let tail = src.read(t, 12).ok()?;
    if tail.len() != 12 || &tail[8..] != INDEX_TRAILER_MAGIC {
        return None;
    }
    let crc = u32::from_le_bytes(tail[0..4].try_into().ok()?);
    let len = u32::from_le_bytes(tail[4..8].try_into().ok()?) as usize;
    if len > MAX_PAYLOAD {
        return None;
    }
    let body_start = t.checked_sub(len as u64)?;
    let frame_start = body_start.checked_sub(FRAME_HEADER as u64)?;
    let frame = src.read(frame_start, FRAME_HEADER + len).ok()?;
    let (magic, flen) = read_frame_header(&frame)?;
    if magic != MAGIC_INDEX || flen as usize != len + 12 || frame.len() != FRAME_HEADER + len {
        return None;
    }
    let body = &frame[FRAME_HEADER..];
    if crc32fast::hash(body) != crc {
        return None;
    }
    Some((postcard::from_bytes(body).ok()?, frame_start))
}

/// The fast path: an intact index whose blocks tile the file from the first
/// block to the index. Anything else (e.g. a metadata frame of a newer
/// writer between blocks) is left to `scan_blocks`.
fn read_index(src: &Src, first_block: u64) -> Option<Index> {
    let (index, frame_start) = index_at_end(src)?;
    let mut expect = first_block;
    for e in &index.blocks {
        if e.offset != expect {
            return None;
        }
        expect = e.end();
    }
    (expect == frame_start).then_some(index)
}

/// Walk the frames after the prefix, collecting complete blocks. Stops at the
/// index (complete file), or at the end of data (truncated). A frame that is
/// neither is corruption.
fn scan_blocks(
    path: &Path,
    src: &Src,
    first_block: u64,
) -> Result<(Vec<BlockEntry>, Option<Truncation>), TraceError> {
    let io = |e| TraceError::io(path, "cannot read trace", e);
    let flen = src.len;
    let mut blocks = Vec::new();
    let mut o = first_block;
    let trunc = |blocks: &Vec<BlockEntry>, o: u64, reason: String| Truncation {
        complete_blocks: blocks.len(),
        good_until: o,
        file_len: flen,
        reason,
    };
    loop {
        if o >= flen {
            let t = trunc(&blocks, o, "the file ends without an index (the writer did not finish: crash, kill or full disk)".into());
            return Ok((blocks, Some(t)));
        }
        let fh = src.read(o, FRAME_HEADER).map_err(io)?;
        let Some((magic, len)) = read_frame_header(&fh) else {
            let t = trunc(
                &blocks,
                o,
                format!("the file ends {} bytes into a frame header", fh.len()),
            );
            return Ok((blocks, Some(t)));
        };
        match magic {
            MAGIC_BLOCK_HEADER => {
                let hend = o + (FRAME_HEADER + BLOCK_HEADER_LEN) as u64;
                if len as usize != BLOCK_HEADER_LEN {
                    return Err(TraceError::at(path, o, format!("block header frame of {len} bytes, expected {BLOCK_HEADER_LEN}")));
                }
                let hb = src.read(o + FRAME_HEADER as u64, BLOCK_HEADER_LEN).map_err(io)?;
                if hb.len() < BLOCK_HEADER_LEN {
                    let t = trunc(&blocks, o, format!("the file ends inside the header of block {}", blocks.len()));
                    return Ok((blocks, Some(t)));
                }
                let h = BlockHeader::decode(&hb)
                    .map_err(|e| TraceError::at(path, o, format!("block {}: {e}", blocks.len())))?;
                let e = BlockEntry { offset: o, header: h };
                if e.end() > flen {
                    let t = trunc(
                        &blocks,
                        o,
                        format!(
                            "the file ends inside block {} ({} of its {} bytes present)",
                            blocks.len(),
                            flen.saturating_sub(hend),
                            h.frame_len
                        ),
                    );
                    return Ok((blocks, Some(t)));
                }
                o = e.end();
                blocks.push(e);
            }
            MAGIC_INDEX => {
                // The scan walked every frame up to an intact index at the end:
                // the file is complete, whatever else it skipped on the way.
                if let Some((ix, at)) = index_at_end(src).filter(|(_, at)| *at == o) {
                    check_against_index(path, &blocks, &ix, at)?;
                    return Ok((blocks, None));
                }
                let end = o + (FRAME_HEADER as u64) + len as u64;
                if end > flen {
                    let why = format!(
                        "the file ends inside the index ({} of its {} bytes present)",
                        flen - o,
                        end - o
                    );
                    let t = trunc(&blocks, o, why);
                    return Ok((blocks, Some(t)));
                }
                if end == flen {
                    // all there, yet index_at_end refused it
                    let why = "the index at the end of the file is damaged (checksum, trailer or contents): the blocks were read without it";
                    let t = trunc(&blocks, o, why.into());
                    return Ok((blocks, Some(t)));
                }
                return Err(TraceError::at(path, o, "an index frame in the middle of the file"));
            }
            m if m & SKIPPABLE_MASK == SKIPPABLE_BASE => {
                // A metadata frame this version does not know: skip it.
                let end = o + FRAME_HEADER as u64 + len as u64;
                if end > flen {
                    let t = trunc(&blocks, o, "the file ends inside a metadata frame".into());
                    return Ok((blocks, Some(t)));
                }
                o = end;
            }
            m => {
                return Err(TraceError::at(
                    path,
                    o,
                    format!("expected a block header frame (magic 0x184D2A52), found 0x{m:08X}: corrupted file"),
                ))
            }
        }
    }
}

/// The blocks a walk found must be the blocks the intact index lists: a
/// block duplicated, inserted or removed after the writer finished is
/// corruption, not data.
fn check_against_index(
    path: &Path,
    walked: &[BlockEntry],
    index: &Index,
    index_at: u64,
) -> Result<(), TraceError> {
    let listed = &index.blocks;
    let Some(k) = (0..walked.len().max(listed.len())).find(|&k| walked.get(k) != listed.get(k))
    else {
        return Ok(());
    };
    let (at, what) = match (walked.get(k), listed.get(k)) {
        (Some(w), Some(l)) if w.header == l.header => (
            w.offset,
            format!(
                "block {k} is at this offset, but the index lists it at {}",
                l.offset
            ),
        ),
        (Some(w), _) => (
            w.offset,
            format!("block {k} here is not the index's block {k}"),
        ),
        (None, _) => (
            index_at,
            format!("the index lists a block {k} that the file does not hold"),
        ),
    };
    Err(TraceError::at(
        path,
        at,
        format!(
            "{what}: the file holds {} blocks, its intact index lists {} \
             (a block duplicated, inserted or removed after the file was written)",
            walked.len(),
            listed.len()
        ),
    ))
}

/// Read block `i` (header frames and zstd frames) into `raw` and check its
/// header against its index entry and its frame CRC; returns the header.
/// The compressed frames are `raw[FRAME_HEADER + BLOCK_HEADER_LEN..]`.
fn read_block(
    path: &Path,
    src: &Src,
    i: usize,
    e: &BlockEntry,
    raw: &mut Vec<u8>,
) -> Result<BlockHeader, TraceError> {
    let o = e.offset;
    let err = |off: u64, what: String| TraceError::at(path, off, format!("block {i}: {what}"));
    let n = (e.end() - o) as usize;
    // Only a grown tail is zeroed: the read fills all n bytes or fails.
    reserve_populated(raw, n.saturating_sub(raw.len()));
    raw.resize(n, 0);
    let got = src
        .read_into(o, raw)
        .map_err(|x| TraceError::io(path, format!("cannot read block {i}"), x))?;
    if got < n {
        let now = src.len_now().map_or("unknown".into(), |l| l.to_string());
        return Err(err(
            o + got as u64,
            format!(
                "the file was cut short while being read: the block ends at byte {}, \
                 the file was {} bytes when opened and is {now} bytes now",
                e.end(),
                src.len
            ),
        ));
    }
    let hend = FRAME_HEADER + BLOCK_HEADER_LEN;
    if read_frame_header(raw).map(|m| m.0) != Some(MAGIC_BLOCK_HEADER) {
        return Err(err(
            o,
            "expected a block header frame here (index and file disagree)".into(),
        ));
    }
    let h = BlockHeader::decode(&raw[FRAME_HEADER..hend]).map_err(|x| err(o, x))?;
    if h != e.header {
        return Err(err(o, "block header differs from the index entry".into()));
    }
    if crc32fast::hash(&raw[hend..]) != h.frame_crc {
        return Err(err(
            e.frame_offset(),
            "compressed block checksum mismatch (corrupted block)".into(),
        ));
    }
    Ok(h)
}

thread_local! {
    /// The compressed bytes of the block a decoder thread works on.
    static RAW: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Decompress and decode one block, checking every checksum.
fn decode_block_at(
    major: u16,
    path: &Path,
    src: &Src,
    i: usize,
    e: &BlockEntry,
    pool: Option<&Arc<BufferPool>>,
) -> Result<DecodedBlock, TraceError> {
    RAW.with(|raw| {
        let raw = &mut raw.borrow_mut();
        let h = read_block(path, src, i, e, raw)?;
        let (bufs, room) = pool.map_or_else(Default::default, |p| (p.take(), p.room));
        decode_frame(
            major,
            &raw[FRAME_HEADER + BLOCK_HEADER_LEN..],
            &h,
            bufs,
            room,
        )
        .map(|(payload, rows)| DecodedBlock {
            index: i,
            payload,
            rows,
            pool: pool.cloned(),
        })
        .map_err(|x| TraceError::at(path, e.frame_offset(), format!("block {i}: {x}")))
    })
}

/// Reserve room for `n` more bytes in `buf`; when that takes a fresh
/// allocation, fault the pages of those `n` bytes in with one madvise(MADV_POPULATE_WRITE)
/// call instead of one page fault per 4 KiB as they are first written
/// (about 250 per 1 MB block payload; eval on corpora/real/mixed-all:
/// about 1% less CPU time). Best effort: a kernel before 5.14 refuses the
/// advice and the pages fault in as before.
fn reserve_populated(buf: &mut Vec<u8>, n: usize) {
    const PAGE: usize = 4096;
    let had = buf.capacity();
    buf.reserve(n);
    if buf.capacity() == had {
        return;
    }
    let spare = &mut buf.spare_capacity_mut()[..n];
    let start = spare.as_mut_ptr() as usize;
    let (first, last) = (start.next_multiple_of(PAGE), (start + n) & !(PAGE - 1));
    if last > first {
        // SAFETY: [first, last) lies inside `spare`, memory `buf` owns
        // that nothing else references; MADV_POPULATE_WRITE only faults
        // the pages in (as a write would, without writing): no content or
        // mapping changes. Its result is ignored on purpose (see above).
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

/// Decompress a block's frames into `payload` (exactly `payload_len` bytes).
/// A fresh buffer gets room for `room` bytes at least ([`BufferPool`]'s).
fn decompress_frame(
    frame: &[u8],
    h: &BlockHeader,
    payload: &mut Vec<u8>,
    room: usize,
) -> Result<(), String> {
    thread_local! {
        static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    payload.clear();
    // zstd writes only into the capacity: at most `payload_len` (checked
    // against MAX_PAYLOAD with the header), or what a pooled buffer kept
    // from an earlier block, which was bounded the same way.
    reserve_populated(payload, room.max(h.payload_len as usize));
    let n = DCTX.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?);
        }
        d.as_mut()
            .unwrap()
            .decompress_to_buffer(frame, payload)
            .map_err(|e| format!("zstd cannot decompress the block: {e}"))
    })?;
    if n != h.payload_len as usize {
        return Err(format!(
            "block decompressed to {n} bytes, header says {}",
            h.payload_len
        ));
    }
    Ok(())
}

fn decode_frame(
    major: u16,
    frame: &[u8],
    h: &BlockHeader,
    (mut payload, mut rows): (Vec<u8>, Vec<Row>),
    room: usize,
) -> Result<(Vec<u8>, Vec<Row>), String> {
    decompress_frame(frame, h, &mut payload, room)?;
    block::decode_major(major, &payload, &mut rows)?;
    if rows.len() != h.n_events as usize {
        return Err(format!(
            "block holds {} events, header says {}",
            rows.len(),
            h.n_events
        ));
    }
    Ok((payload, rows))
}

/// What both readers tell of a file: its prefix (header, format version,
/// snapshot) and whether it was cut short.
macro_rules! prefix_accessors {
    () => {
        pub fn header(&self) -> &TraceHeader {
            &self.header
        }
        /// The format version the file was written with.
        pub fn format_version(&self) -> FormatVersion {
            self.version
        }
        pub fn snapshot(&self) -> &ProcessSnapshot {
            &self.snapshot
        }
        /// Set when the file was cut short: read up to its last complete block.
        pub fn truncation(&self) -> Option<&Truncation> {
            self.truncation.as_ref()
        }
    };
}

/// Who works on a pipeline's blocks (see [`TraceReader::pipeline`]).
#[derive(Clone, Copy)]
enum Workers<'a> {
    /// rayon's global pool.
    Global,
    Pool(&'a rayon::ThreadPool),
    /// The pipeline's producer thread itself, one block at a time.
    Producer,
}

/// A trace file, read with `pread` (blocks decoded in parallel).
pub struct TraceReader {
    path: PathBuf,
    src: Src,
    header: TraceHeader,
    version: FormatVersion,
    snapshot: ProcessSnapshot,
    blocks: Vec<BlockEntry>,
    index: Option<Index>,
    truncation: Option<Truncation>,
    pool: Arc<BufferPool>,
    decode_pool: Option<Arc<rayon::ThreadPool>>,
    /// Decompressors for `for_each_event` when no pool was set: one per
    /// core but one, which is left to the thread decoding the events.
    stream_pool: std::sync::OnceLock<Option<Arc<rayon::ThreadPool>>>,
}

impl TraceReader {
    pub fn open(path: &Path) -> Result<TraceReader, TraceError> {
        let file =
            std::fs::File::open(path).map_err(|e| TraceError::io(path, "cannot open trace", e))?;
        let len = file
            .metadata()
            .map_err(|e| TraceError::io(path, "cannot stat trace", e))?
            .len();
        if len == 0 {
            return Err(TraceError::at(
                path,
                0,
                "the file is empty: not a sysreplay trace",
            ));
        }
        // Read with pread, not a memory map: a file cut by another process
        // while it is read must give an error, not SIGBUS.
        let src = Src { file, len };
        let prefix = read_prefix(path, &src)?;
        let (header, snapshot, first, version) = parse_prefix(path, &prefix)?;
        let (blocks, index, truncation) = match read_index(&src, first) {
            Some(ix) => (ix.blocks.clone(), Some(ix), None),
            None => {
                let (b, t) = scan_blocks(path, &src, first)?;
                (b, None, t)
            }
        };
        let pool = Arc::new(BufferPool::for_blocks(&blocks));
        Ok(TraceReader {
            path: path.to_path_buf(),
            src,
            header,
            version,
            snapshot,
            blocks,
            index,
            truncation,
            pool,
            decode_pool: None,
            stream_pool: std::sync::OnceLock::new(),
        })
    }

    /// Decode with `n` threads of a private pool instead of rayon's global
    /// pool (one per core).
    pub fn set_decode_threads(&mut self, n: usize) -> Result<(), TraceError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .thread_name(|i| format!("trace-decode-{i}"))
            .build()
            .map_err(|e| {
                TraceError::at(
                    &self.path,
                    0,
                    format!("cannot start {n} decoder threads: {e}"),
                )
            })?;
        self.decode_pool = Some(Arc::new(pool));
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    prefix_accessors!();
    pub fn blocks(&self) -> &[BlockEntry] {
        &self.blocks
    }
    /// The index, when the writer finished cleanly.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref()
    }
    pub fn file_len(&self) -> u64 {
        self.src.len
    }
    pub fn event_count(&self) -> u64 {
        self.blocks.iter().map(|b| b.header.n_events as u64).sum()
    }

    pub fn decode_block(&self, i: usize) -> Result<DecodedBlock, TraceError> {
        decode_block_at(
            self.version.0,
            &self.path,
            &self.src,
            i,
            &self.blocks[i],
            Some(&self.pool),
        )
    }

    /// Where the file's bytes go: for each column of the block payloads
    /// (SPEC §5), its zstd frames' bytes on disk and their content, summed
    /// over the blocks. Reads every block (checking its CRC) but
    /// decompresses nothing: the frames say their own sizes. Column 0's
    /// frame also holds the block's payload prefix.
    pub fn column_sizes(&self) -> Result<Vec<ColumnSize>, TraceError> {
        let ncols = if self.version.0 == 1 {
            block::NCOLUMNS_V1
        } else {
            block::NCOLUMNS
        };
        let mut out: Vec<ColumnSize> = block::COLUMN_NAMES[..ncols]
            .iter()
            .map(|&name| ColumnSize {
                name,
                stored_bytes: 0,
                payload_bytes: 0,
            })
            .collect();
        let mut raw = Vec::new();
        for (i, e) in self.blocks.iter().enumerate() {
            read_block(&self.path, &self.src, i, e, &mut raw)?;
            let mut pos = FRAME_HEADER + BLOCK_HEADER_LEN;
            for (c, col) in out.iter_mut().enumerate() {
                let at = e.offset + pos as u64;
                let err = |what: String| {
                    TraceError::at(
                        &self.path,
                        at,
                        format!("block {i}: column {} frame: {what}", col.name),
                    )
                };
                let f = &raw[pos..];
                let len = zstd::zstd_safe::find_frame_compressed_size(f)
                    .map_err(|_| err("not a whole zstd frame".into()))?;
                let content = match zstd::zstd_safe::get_frame_content_size(f) {
                    Ok(Some(n)) => n,
                    _ => return Err(err("its content size is not stated".into())),
                };
                col.stored_bytes += len as u64;
                col.payload_bytes += content;
                pos += len;
                if c + 1 == ncols && pos != raw.len() {
                    return Err(err(format!(
                        "{} bytes after the last column's frame",
                        raw.len() - pos
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The first block that may hold events at or after `ts_ns`.
    pub fn block_for_time(&self, ts_ns: u64) -> usize {
        self.blocks.partition_point(|b| b.header.last_ts < ts_ns)
    }

    /// Run `work` over `range` of blocks in parallel batches on `workers`,
    /// and hand the results to `consume` in block order; the next batch is
    /// worked on while `consume` runs.
    fn pipeline<T: Send>(
        &self,
        workers: Workers<'_>,
        range: Range<usize>,
        work: impl Fn(usize) -> Result<T, TraceError> + Sync,
        mut consume: impl FnMut(T) -> Result<ControlFlow<()>, TraceError>,
    ) -> Result<(), TraceError> {
        let end = range.end.min(self.blocks.len());
        if end <= range.start + 1 {
            // One block (a small trace): nothing to overlap, so no thread.
            for i in range.start..end {
                if consume(work(i)?)?.is_break() {
                    return Ok(());
                }
            }
            return Ok(());
        }
        let threads = match workers {
            Workers::Global => rayon::current_num_threads(),
            Workers::Pool(p) => p.current_num_threads(),
            Workers::Producer => 1,
        };
        // Small batches, handed over without a queue: the consumer (the rule
        // engine) is several times slower than decompression, so a queue
        // buys no speed, and the two batches in flight (the consumer's, the
        // next) recycle their payload buffers through the pool instead of
        // page-faulting fresh ones per block (1.4 us a page here).
        let batch = threads.max(1);
        let work = &work;
        let run_batch = |r: Range<usize>| -> Vec<Result<T, TraceError>> {
            let run = || r.clone().into_par_iter().map(work).collect();
            match workers {
                Workers::Global => run(),
                Workers::Pool(p) => p.install(run),
                Workers::Producer => r.map(work).collect(),
            }
        };
        // One producer thread keeps the workers one batch ahead; the
        // rendezvous channel stops it until the consumer takes that batch
        // (and ends it when the consumer stops early).
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Result<T, TraceError>>>(0);
            let first = range.start;
            s.spawn(move || {
                let mut start = first;
                while start < end {
                    let r = start..(start + batch).min(end);
                    start = r.end;
                    if tx.send(run_batch(r)).is_err() {
                        break;
                    }
                }
            });
            for done in rx {
                for item in done {
                    if consume(item?)?.is_break() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })
    }

    /// Decode `range` of blocks in parallel batches and hand them over in
    /// order; `f` sees each block while the next batch decodes.
    pub fn for_each_block(
        &self,
        range: Range<usize>,
        mut f: impl FnMut(&DecodedBlock) -> ControlFlow<()>,
    ) -> Result<(), TraceError> {
        self.pipeline(
            self.decode_pool
                .as_deref()
                .map_or(Workers::Global, Workers::Pool),
            range,
            |i| self.decode_block(i),
            |b| Ok(f(&b)),
        )
    }

    /// Every event in timestamp order. Worker threads verify and decompress
    /// blocks; this thread decodes each payload straight into `f`, so no
    /// decoded rows are stored (the fast path for whole-trace passes).
    ///
    /// Checksums are verified before anything is decoded, but a payload
    /// that passes them and is still malformed (a writer bug or a crafted
    /// file) is detected as it is decoded: `f` may see that block's first
    /// events before the error. `for_each_block` validates whole blocks first.
    pub fn for_each_event(
        &self,
        mut f: impl FnMut(&Event<'_>) -> ControlFlow<()>,
    ) -> Result<(), TraceError> {
        self.for_each_event_light(&block::LightSet::default(), |ev, _| f(ev))
    }

    /// [`TraceReader::for_each_event`] for a consumer that needs only part
    /// of the events of the syscalls in `light`: `f` also gets whether the
    /// event is light (see [`block::Decoder::decode_events_light`]).
    pub fn for_each_event_light(
        &self,
        light: &block::LightSet,
        mut f: impl FnMut(&Event<'_>, bool) -> ControlFlow<()>,
    ) -> Result<(), TraceError> {
        let mut decoder = block::Decoder::for_major(self.version.0);
        let decompress = |i: usize| -> Result<(usize, Vec<u8>), TraceError> {
            let e = &self.blocks[i];
            RAW.with(|raw| {
                let raw = &mut raw.borrow_mut();
                let h = read_block(&self.path, &self.src, i, e, raw)?;
                let (mut payload, _) = self.pool.take();
                let frame = &raw[FRAME_HEADER + BLOCK_HEADER_LEN..];
                decompress_frame(frame, &h, &mut payload, self.pool.room).map_err(|x| {
                    TraceError::at(&self.path, e.frame_offset(), format!("block {i}: {x}"))
                })?;
                Ok((i, payload))
            })
        };
        // This thread decodes; the other cores decompress. With one other
        // core the producer thread decompresses itself: a pool of one
        // would only add hand-offs and an idle worker's spinning.
        let workers = match self.decode_pool.as_deref() {
            Some(p) => Workers::Pool(p),
            // one block is decoded on this thread (see `pipeline`)
            None if self.blocks.len() <= 1 => Workers::Producer,
            None => self
                .stream_pool
                .get_or_init(|| {
                    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                    (cores > 2)
                        .then(|| {
                            rayon::ThreadPoolBuilder::new()
                                .num_threads(cores - 1)
                                .thread_name(|i| format!("trace-decompress-{i}"))
                                .build()
                                .ok()
                                .map(Arc::new)
                        })
                        .flatten()
                })
                .as_deref()
                .map_or(Workers::Producer, Workers::Pool),
        };
        self.pipeline(workers, 0..self.blocks.len(), decompress, |(i, payload)| {
            let e = &self.blocks[i];
            let mut stop = false;
            let handed = decoder
                .decode_chunks_light(&payload, light, |evs, lights| {
                    for (i, (ev, &is_light)) in evs.iter().zip(lights).enumerate() {
                        if f(ev, is_light).is_break() {
                            stop = true;
                            return ControlFlow::Break(i + 1);
                        }
                    }
                    ControlFlow::Continue(())
                })
                .map_err(|x| {
                    TraceError::at(&self.path, e.frame_offset(), format!("block {i}: {x}"))
                })?;
            self.pool.give(payload);
            if stop {
                return Ok(ControlFlow::Break(()));
            }
            if handed != e.header.n_events as usize {
                return Err(TraceError::at(
                    &self.path,
                    e.frame_offset(),
                    format!(
                        "block {i}: holds {handed} events, header says {}",
                        e.header.n_events
                    ),
                ));
            }
            Ok(ControlFlow::Continue(()))
        })
    }

    /// Events with `from_ns <= ts < to_ns`, seeking with the index.
    pub fn for_each_event_between(
        &self,
        from_ns: u64,
        to_ns: u64,
        mut f: impl FnMut(&Event<'_>) -> ControlFlow<()>,
    ) -> Result<(), TraceError> {
        let first = self.block_for_time(from_ns);
        let last = self.blocks.partition_point(|b| b.header.first_ts < to_ns);
        self.for_each_block(first..last.max(first), |b| {
            for ev in b.events() {
                if ev.ts_ns >= to_ns {
                    return ControlFlow::Break(());
                }
                if ev.ts_ns >= from_ns && f(&ev).is_break() {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })
    }
}

/// Reads a trace front to back from any reader (a pipe, stdin, a socket).
pub struct StreamReader<R: Read> {
    name: PathBuf,
    r: R,
    offset: u64,
    header: TraceHeader,
    version: FormatVersion,
    snapshot: ProcessSnapshot,
    blocks_read: usize,
    /// Where each block was and its header, to check against the index.
    walked: Vec<BlockEntry>,
    done: bool,
    truncation: Option<Truncation>,
}

impl<R: Read> StreamReader<R> {
    /// `name` is used in error messages (a path, or "<stdin>").
    pub fn new(mut r: R, name: &Path) -> Result<Self, TraceError> {
        let mut prefix = Vec::new();
        for _ in 0..2 {
            let mut fh = [0u8; FRAME_HEADER];
            read_full(&mut r, &mut fh).map_err(|e| TraceError::io(name, "cannot read trace", e))?;
            let len = u32::from_le_bytes(fh[4..8].try_into().unwrap()) as usize;
            if len > MAX_PAYLOAD {
                return Err(TraceError::at(
                    name,
                    prefix.len() as u64,
                    "not a sysreplay trace (implausible frame length)",
                ));
            }
            prefix.extend_from_slice(&fh);
            let at = prefix.len();
            prefix.resize(at + len, 0);
            read_full(&mut r, &mut prefix[at..])
                .map_err(|e| TraceError::io(name, "cannot read trace", e))?;
        }
        let (header, snapshot, first, version) = parse_prefix(name, &prefix)?;
        Ok(StreamReader {
            name: name.to_path_buf(),
            r,
            offset: first,
            header,
            version,
            snapshot,
            blocks_read: 0,
            walked: Vec::new(),
            done: false,
            truncation: None,
        })
    }
    prefix_accessors!();

    fn truncated(&mut self, reason: String) -> Result<Option<DecodedBlock>, TraceError> {
        self.done = true;
        self.truncation = Some(Truncation {
            complete_blocks: self.blocks_read,
            good_until: self.offset,
            file_len: self.offset,
            reason,
        });
        Ok(None)
    }

    /// The next block, or None at the end (see `truncation()`).
    pub fn next_block(&mut self) -> Result<Option<DecodedBlock>, TraceError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let mut fh = [0u8; FRAME_HEADER];
            match read_upto(&mut self.r, &mut fh) {
                Ok(0) => return self.truncated("the stream ends without an index".into()),
                Ok(n) if n < FRAME_HEADER => {
                    return self.truncated("the stream ends inside a frame header".into())
                }
                Ok(_) => {}
                Err(e) => return Err(TraceError::io(&self.name, "cannot read trace", e)),
            }
            let (magic, len) = read_frame_header(&fh).unwrap();
            let at = self.offset;
            match magic {
                MAGIC_BLOCK_HEADER if len as usize == BLOCK_HEADER_LEN => {
                    let mut hb = [0u8; BLOCK_HEADER_LEN];
                    if read_upto(&mut self.r, &mut hb)
                        .map_err(|e| TraceError::io(&self.name, "cannot read trace", e))?
                        < hb.len()
                    {
                        return self.truncated(format!(
                            "the stream ends inside the header of block {}",
                            self.blocks_read
                        ));
                    }
                    let h = BlockHeader::decode(&hb).map_err(|x| {
                        TraceError::at(&self.name, at, format!("block {}: {x}", self.blocks_read))
                    })?;
                    let mut frame = vec![0u8; h.frame_len as usize];
                    if read_upto(&mut self.r, &mut frame)
                        .map_err(|e| TraceError::io(&self.name, "cannot read trace", e))?
                        < frame.len()
                    {
                        return self.truncated(format!(
                            "the stream ends inside block {}",
                            self.blocks_read
                        ));
                    }
                    let fo = at + (FRAME_HEADER + BLOCK_HEADER_LEN) as u64;
                    if crc32fast::hash(&frame) != h.frame_crc {
                        return Err(TraceError::at(
                            &self.name,
                            fo,
                            format!(
                                "block {}: compressed block checksum mismatch (corrupted block)",
                                self.blocks_read
                            ),
                        ));
                    }
                    // (a stream's blocks are not known ahead: no room)
                    let (payload, rows) = decode_frame(
                        self.version.0,
                        &frame,
                        &h,
                        Default::default(),
                        0,
                    )
                    .map_err(|x| {
                        TraceError::at(&self.name, fo, format!("block {}: {x}", self.blocks_read))
                    })?;
                    self.offset = fo + frame.len() as u64;
                    self.walked.push(BlockEntry {
                        offset: at,
                        header: h,
                    });
                    let b = DecodedBlock {
                        index: self.blocks_read,
                        payload,
                        rows,
                        pool: None,
                    };
                    self.blocks_read += 1;
                    return Ok(Some(b));
                }
                MAGIC_INDEX => {
                    let mut body = vec![0u8; (len as usize).min(MAX_PAYLOAD)];
                    let n = read_upto(&mut self.r, &mut body)
                        .map_err(|e| TraceError::io(&self.name, "cannot read trace", e))?;
                    let ok = n == len as usize
                        && n >= 12
                        && &body[n - 4..] == INDEX_TRAILER_MAGIC
                        && crc32fast::hash(&body[..n - 12])
                            == u32::from_le_bytes(body[n - 12..n - 8].try_into().unwrap());
                    if !ok {
                        return self.truncated(if n < body.len() {
                            format!(
                                "the stream ends inside the index ({n} of its {len} bytes present)"
                            )
                        } else {
                            "the index at the end of the stream is damaged (checksum or trailer)"
                                .into()
                        });
                    }
                    let index: Index = postcard::from_bytes(&body[..n - 12]).map_err(|e| {
                        TraceError::at(&self.name, at, format!("cannot decode the index: {e}"))
                    })?;
                    check_against_index(&self.name, &self.walked, &index, at)?;
                    self.done = true;
                    return Ok(None);
                }
                m if m & SKIPPABLE_MASK == SKIPPABLE_BASE && m != MAGIC_BLOCK_HEADER => {
                    let mut skip = (&mut self.r).take(len as u64);
                    let n = std::io::copy(&mut skip, &mut std::io::sink())
                        .map_err(|e| TraceError::io(&self.name, "cannot read trace", e))?;
                    if n < len as u64 {
                        return self.truncated("the stream ends inside a metadata frame".into());
                    }
                    self.offset += FRAME_HEADER as u64 + len as u64;
                }
                m => {
                    return Err(TraceError::at(&self.name, at, format!("expected a block header frame (magic 0x184D2A52), found 0x{m:08X}: corrupted stream")));
                }
            }
        }
    }
}

fn read_upto(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<()> {
    if read_upto(r, buf)? < buf.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "stream ends before the trace header and snapshot",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream_frame(data: &[u8], pledge: bool) -> Vec<u8> {
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
        enc.include_contentsize(pledge).unwrap();
        if pledge {
            enc.set_pledged_src_size(Some(data.len() as u64)).unwrap();
        }
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Populating a grown buffer keeps its bytes and gives the room asked
    /// for, whether or not the kernel takes the advice; a buffer that
    /// already has the room is left as it is.
    #[test]
    fn reserve_populated_keeps_contents() {
        let mut buf = b"kept".to_vec();
        reserve_populated(&mut buf, 3 << 20);
        assert_eq!(buf, b"kept");
        assert!(buf.capacity() >= 4 + (3 << 20));
        let (cap, ptr) = (buf.capacity(), buf.as_ptr());
        buf.resize(4 + (3 << 20), 7);
        assert_eq!(&buf[..4], b"kept");
        assert!(buf[4..].iter().all(|&b| b == 7));
        buf.truncate(4);
        reserve_populated(&mut buf, 1 << 20);
        assert_eq!((buf.capacity(), buf.as_ptr()), (cap, ptr));
        reserve_populated(&mut Vec::new(), 0);
    }

    #[test]
    fn decompression_stops_at_the_limit_without_a_declared_size() {
        let data = vec![7u8; 100_000];
        let z = stream_frame(&data, false);
        assert!(matches!(
            zstd::zstd_safe::get_frame_content_size(&z),
            Ok(None)
        ));
        assert_eq!(decompress_bounded(&z, 100_000).unwrap(), data);
        let e = decompress_bounded(&z, 99_999).unwrap_err();
        assert!(e.contains("more than the 99999 byte limit"), "{e}");
    }

    #[test]
    fn a_declared_size_is_a_limit_too() {
        let data = vec![7u8; 100_000];
        let z = stream_frame(&data, true);
        assert_eq!(decompress_bounded(&z, 1 << 20).unwrap(), data);
        let e = decompress_bounded(&z, 50_000).unwrap_err();
        assert!(e.contains("declares 100000"), "{e}");
        // A second frame after one that declares its size: more than declared.
        let mut two = z.clone();
        two.extend_from_slice(&z);
        let e = decompress_bounded(&two, 1 << 20).unwrap_err();
        assert!(
            e.contains("more than the 100000 bytes its frame declares"),
            "{e}"
        );
        assert!(decompress_bounded(b"nope", 10).is_err());
    }
}
