//! Streaming trace writer. The caller only copies records into a staging
//! block; sorting, encoding, zstd and file I/O run on a background thread so a
//! recorder's drain loop never waits on compression.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::block::{self, StagedBlock};
use crate::container::*;
use crate::error::TraceError;
use crate::event::Event;
use crate::meta::{ProcessSnapshot, TraceHeader, FORMAT_MAJOR, FORMAT_MINOR};
use crate::record::{parse_record, RecordHeader};

/// Typical encoded size of an event's fixed columns (SPEC §5), for sizing blocks.
const FIXED_BYTES_PER_EVENT: usize = 12;

#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Seal a block after this many events...
    pub block_events: usize,
    /// ...or when its payload would reach about this many bytes (variable
    /// data plus ~12 bytes of fixed columns per event), whichever comes first.
    pub block_payload_bytes: usize,
    /// zstd level of the fixed columns: level 3 stores the real recordings
    /// 3.5% (corpora/real/mixed-all: 5.98 -> 5.77 bytes/event) and 4.6%
    /// (mixed) smaller than level 1 and decodes them about 2% faster, for
    /// 3-7% less writer speed on one core there (11% on the synthetic
    /// trace, which it stores only 0.7% smaller).
    pub zstd_level: i32,
    /// zstd level of the variable-data column (paths, buffers): on real
    /// recordings level 3 stores it 29% smaller than the fast level -1
    /// (corpora/real/mixed-all: 1.41 against 1.99 bytes/event), for about
    /// 20% more writer work on the synthetic trace; 4+ run 5x slower.
    pub data_zstd_level: i32,
    /// Replace an existing regular file (a new file renamed over it)
    /// instead of refusing.
    pub overwrite: bool,
    /// Sealed blocks that may wait for the compressor before `write_*` blocks.
    pub queue_blocks: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            // ~200 KiB on disk per block for typical workloads: larger
            // frames compress better and cost less per event to decompress
            // (8192 events / 256 KiB blocks were 16% larger on disk and
            // read 40% slower).
            block_events: 32768,
            block_payload_bytes: 2 << 20,
            zstd_level: 3,
            data_zstd_level: 3,
            overwrite: false,
            queue_blocks: 16,
        }
    }
}

/// Counters readable while writing (e.g. for live stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Events accepted by the writer.
    pub events: u64,
    /// Bytes those events take as raw records (80-byte header + data).
    pub record_bytes: u64,
    /// Events whose block is on disk.
    pub events_written: u64,
    /// Bytes on disk so far (all frames).
    pub file_bytes: u64,
    /// Blocks on disk.
    pub blocks: u64,
    /// After a failed write (disk full): records accepted (drop markers
    /// included) that are not in the file (final once the writer finished).
    pub events_not_written: u64,
    /// Whether a drop marker at the end of the file counts them.
    pub not_written_marked: bool,
}

#[derive(Default)]
struct Shared {
    events_written: AtomicU64,
    file_bytes: AtomicU64,
    blocks: AtomicU64,
    failed: AtomicBool,
    error: Mutex<Option<TraceError>>,
    /// After a failed write: events that could not be written, and
    /// whether a drop marker at the end of the file counts them.
    not_written: AtomicU64,
    marked: AtomicBool,
}

/// Why a block could not be appended.
enum BlockError {
    Compress(std::io::Error),
    Write(std::io::Error),
}

pub struct TraceWriter {
    path: PathBuf,
    opts: WriterOptions,
    staged: StagedBlock,
    events: u64,
    record_bytes: u64,
    tx: Option<SyncSender<StagedBlock>>,
    recycled: Receiver<StagedBlock>,
    worker: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    /// (st_dev, st_ino) of the file: `finish` checks the path still names it.
    identity: (u64, u64),
}

impl TraceWriter {
    /// Create `path` (mode 0600, never through a symlink; see
    /// [`crate::outfile`]), write the header and snapshot frames, and start
    /// the compression thread.
    pub fn create(
        path: &Path,
        header: &TraceHeader,
        snapshot: &ProcessSnapshot,
        opts: WriterOptions,
    ) -> Result<TraceWriter, TraceError> {
        // never through a symlink, exclusive or beside-and-rename, 0600
        let out = crate::outfile::create_private(path, opts.overwrite)?;
        let identity = out.identity();
        let mut file = out.file;
        let mut prefix = Vec::new();
        encode_header_frame(header, &mut prefix);
        encode_snapshot_frame(snapshot, &mut prefix)
            .map_err(|e| TraceError::at(path, 0, format!("cannot encode snapshot: {e}")))?;
        file.write_all(&prefix)
            .map_err(|e| TraceError::io(path, "cannot write trace header", e))?;

        let shared = Arc::new(Shared::default());
        shared
            .file_bytes
            .store(prefix.len() as u64, Ordering::Relaxed);
        let (tx, rx) = sync_channel::<StagedBlock>(opts.queue_blocks.max(1));
        let (recycle_tx, recycled) = sync_channel::<StagedBlock>(4);
        let worker = {
            let shared = shared.clone();
            let sink_path = path.to_path_buf();
            let levels = (opts.zstd_level, opts.data_zstd_level);
            std::thread::Builder::new()
                .name("trace-compress".into())
                .spawn(move || {
                    let mut w = BlockSink {
                        file,
                        path: sink_path,
                        offset: prefix.len() as u64,
                        index: Index::default(),
                        shared,
                        unwritten: Unwritten::default(),
                        write_error: None,
                        accounts: Vec::new(),
                    };
                    w.run(rx, recycle_tx, levels)
                })
                .map_err(|e| TraceError::io(path, "cannot start the compression thread", e))?
        };
        Ok(TraceWriter {
            path: path.to_path_buf(),
            staged: StagedBlock::with_capacity(opts.block_events, opts.block_payload_bytes + 65536),
            opts,
            events: 0,
            record_bytes: 0,
            tx: Some(tx),
            recycled,
            worker: Some(worker),
            shared,
            identity,
        })
    }

    /// Append one event.
    #[inline]
    pub fn write_record(&mut self, h: &RecordHeader, data: &[u8]) -> Result<(), TraceError> {
        // The kind column keeps 7 bits (SPEC §5).
        if h.kind == 0 || h.kind > 0x7f {
            return Err(TraceError::at(
                &self.path,
                0,
                format!("record kind {} is outside 1..=127", h.kind),
            ));
        }
        if data.len() > u16::MAX as usize {
            return Err(TraceError::at(
                &self.path,
                0,
                format!("event data of {} bytes exceeds 65535", data.len()),
            ));
        }
        self.staged.push(*h, data);
        self.events += 1;
        self.record_bytes += (crate::record::RECORD_HEADER_SIZE + data.len()) as u64;
        if self.staged.len() >= self.opts.block_events
            || self.staged.data.len() + FIXED_BYTES_PER_EVENT * self.staged.len()
                >= self.opts.block_payload_bytes
        {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Append a record exactly as the probe wrote it (header + items).
    pub fn write_raw(&mut self, raw: &[u8]) -> Result<(), TraceError> {
        let (h, data) = parse_record(raw).map_err(|e| {
            TraceError::at(
                &self.path,
                0,
                format!("malformed record from the probe: {e}"),
            )
        })?;
        self.write_record(&h, data)
    }

    pub fn write_event(&mut self, ev: &Event<'_>) -> Result<(), TraceError> {
        self.write_record(&ev.header(), ev.data)
    }

    /// Seal the current block now (e.g. on a timer, so a crash loses little).
    pub fn flush_block(&mut self) -> Result<(), TraceError> {
        let failed = self.shared.failed.load(Ordering::Relaxed);
        if !self.staged.is_empty() {
            // after a failed write the sink still takes blocks: it counts
            // their events for the drop marker that ends the file
            let next = match self.recycled.try_recv() {
                Ok(b) => b,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    StagedBlock::with_capacity(
                        self.opts.block_events,
                        self.opts.block_payload_bytes + 65536,
                    )
                }
            };
            let full = std::mem::replace(&mut self.staged, next);
            let tx = self.tx.as_ref().expect("writer used after finish");
            if tx.send(full).is_err() {
                return Err(self.current_error());
            }
        }
        if failed {
            return Err(self.current_error());
        }
        Ok(())
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            events: self.events,
            record_bytes: self.record_bytes,
            events_written: self.shared.events_written.load(Ordering::Relaxed),
            file_bytes: self.shared.file_bytes.load(Ordering::Relaxed),
            blocks: self.shared.blocks.load(Ordering::Relaxed),
            events_not_written: self.shared.not_written.load(Ordering::Relaxed),
            not_written_marked: self.shared.marked.load(Ordering::Relaxed),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a write failed (disk full, I/O error): what is written from
    /// then on is counted, not stored (see `finish_with_stats`).
    pub fn has_failed(&self) -> bool {
        self.shared.failed.load(Ordering::Relaxed)
    }

    /// Write the last block and the index; the file is complete after this.
    pub fn finish(self) -> Result<WriterStats, TraceError> {
        let (stats, r) = self.finish_with_stats();
        r.map(|()| stats)
    }

    /// `finish`, with the stats also when it fails: after a failed write
    /// they say what is in the file and what could not be written.
    pub fn finish_with_stats(mut self) -> (WriterStats, Result<(), TraceError>) {
        let r = self.flush_block();
        self.close();
        let r = if self.shared.failed.load(Ordering::Relaxed) {
            // the final error: what the file holds, marker and index
            Err(self.current_error())
        } else {
            // another writer (`--force` on the same path) replaced the
            // file: this trace is unreachable, so it is not a success
            r.and_then(|()| crate::outfile::check_identity(&self.path, self.identity))
        };
        (self.stats(), r)
    }

    fn close(&mut self) {
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }

    /// The sink's error (a copy: `finish` reports the final one, which
    /// says what the file holds).
    fn current_error(&self) -> TraceError {
        match self.shared.error.lock().unwrap().as_ref() {
            Some(e) => TraceError {
                path: e.path.clone(),
                offset: e.offset,
                what: e.what.clone(),
                source: e.source.as_ref().map(|s| match s.raw_os_error() {
                    Some(n) => std::io::Error::from_raw_os_error(n),
                    None => std::io::Error::new(s.kind(), s.to_string()),
                }),
            },
            None => TraceError::at(
                &self.path,
                0,
                "the compression thread stopped after an error",
            ),
        }
    }
}

impl Drop for TraceWriter {
    /// A writer dropped without `finish` (an early return, a panic) still
    /// writes what it holds and an index: no silent loss.
    fn drop(&mut self) {
        if self.tx.is_some() {
            let _ = self.flush_block();
            self.close();
        }
    }
}

/// The background side: encodes, compresses and writes blocks in order.
struct BlockSink {
    file: File,
    path: PathBuf,
    offset: u64,
    index: Index,
    shared: Arc<Shared>,
    /// After a failed write: what could not be written, for the drop
    /// marker that ends the file.
    unwritten: Unwritten,
    /// The first failed write (disk full or other), reported at the end.
    write_error: Option<std::io::Error>,
    /// Per block written, what taking it back takes back.
    accounts: Vec<BlockAccount>,
}

#[derive(Clone, Copy, Default)]
struct BlockAccount {
    record_bytes: u64,
    /// Sums of `lost` and `seen` over the block's drop markers.
    drop_lost: u64,
    drop_seen: u64,
}

/// Events a failed write kept out of the file.
#[derive(Default)]
struct Unwritten {
    /// Records (drop markers included).
    records: u64,
    /// Syscall and process records, plus what their drop markers said lost.
    lost: u64,
    seen: u64,
    first_ts: u64,
    last_ts: u64,
}

impl Unwritten {
    fn add(&mut self, staged: &StagedBlock) {
        self.records += staged.len() as u64;
        for h in &staged.headers {
            if h.kind == crate::record::Kind::Drop as u16 {
                self.lost += h.args[1];
                self.seen += h.args[2].max(h.args[1]);
            } else {
                self.lost += 1;
                self.seen += 1;
            }
            if self.first_ts == 0 || h.ts_ns < self.first_ts {
                self.first_ts = h.ts_ns;
            }
            self.last_ts = self.last_ts.max(h.ts_ns);
        }
    }
}

/// zstd compressors of the fixed columns and of the data column.
struct Compressors {
    fixed: zstd::bulk::Compressor<'static>,
    data: zstd::bulk::Compressor<'static>,
    frame: Vec<u8>,
    encoder: block::Encoder,
}

impl BlockSink {
    fn run(
        &mut self,
        rx: Receiver<StagedBlock>,
        recycle: SyncSender<StagedBlock>,
        (level, data_level): (i32, i32),
    ) {
        // No zstd content checksums: the block header's CRC-32 already
        // covers every compressed byte, and xxhash would cost readers ~7%.
        let compressor = |level| {
            let mut z = zstd::bulk::Compressor::new(level)?;
            z.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(false))?;
            Ok::<_, std::io::Error>(z)
        };
        let mut z = match (compressor(level), compressor(data_level)) {
            (Ok(fixed), Ok(data)) => Compressors {
                fixed,
                data,
                frame: Vec::new(),
                encoder: block::Encoder::new(),
            },
            (Err(e), _) | (_, Err(e)) => {
                return self.fail(TraceError::io(&self.path, "cannot start zstd", e))
            }
        };
        for mut staged in rx {
            if self.write_error.is_some() {
                // count what can no longer be written (the caller never
                // blocks on a dead sink)
                self.unwritten.add(&staged);
                continue;
            }
            if self.shared.failed.load(Ordering::Relaxed) {
                continue;
            }
            let start = self.offset;
            match self.write_block(&staged, &mut z) {
                Ok(()) => {}
                Err(BlockError::Compress(e)) => {
                    self.fail(TraceError::io(&self.path, "zstd compression failed", e));
                    continue;
                }
                Err(BlockError::Write(e)) => {
                    self.stop_on_write_error(start, e);
                    self.unwritten.add(&staged);
                    continue;
                }
            }
            self.record_bytes_of(&staged);
            staged.clear();
            let _ = recycle.try_send(staged);
        }
        // Channel closed: the writer is finishing (or was dropped).
        if self.write_error.is_some() {
            self.end_after_write_error(&mut z);
        } else if let Err(e) = self.write_index() {
            self.fail(e);
        }
    }

    /// Encode, compress and append one block; index it.
    fn write_block(&mut self, staged: &StagedBlock, z: &mut Compressors) -> Result<(), BlockError> {
        let summary = z.encoder.encode_frames(staged);
        // One zstd frame per column (SPEC §4); together they decompress
        // to the payload. `frame` stays zero-filled to its largest size
        // so compressing into it costs no memset per block.
        let bound: usize = z
            .encoder
            .frames()
            .map(|f| zstd::zstd_safe::compress_bound(f.len()))
            .sum();
        if z.frame.len() < bound {
            z.frame.resize(bound, 0);
        }
        let mut used = 0;
        for (c, f) in z.encoder.frames().enumerate() {
            let zc = if c == block::DATA_COLUMN {
                &mut z.data
            } else {
                &mut z.fixed
            };
            used += zc
                .compress_to_buffer(f, &mut z.frame[used..])
                .map_err(BlockError::Compress)?;
        }
        let frame = &z.frame[..used];
        let header = BlockHeader {
            first_ts: summary.first_ts,
            last_ts: summary.last_ts,
            n_events: summary.n_events,
            n_drops: summary.n_drops,
            payload_len: z.encoder.payload_len() as u32,
            frame_len: frame.len() as u32,
            frame_crc: crc32fast::hash(frame),
        };
        let hb = header.encode();
        let start = self.offset;
        self.file
            .write_all(&hb)
            .and_then(|_| self.file.write_all(frame))
            .map_err(BlockError::Write)?;
        self.offset += (hb.len() + frame.len()) as u64;
        self.index.blocks.push(BlockEntry {
            offset: start,
            header,
        });
        self.index.total_events += summary.n_events as u64;
        self.shared
            .events_written
            .fetch_add(summary.n_events as u64, Ordering::Relaxed);
        self.shared.blocks.fetch_add(1, Ordering::Relaxed);
        self.shared.file_bytes.store(self.offset, Ordering::Relaxed);
        Ok(())
    }

    /// A failed write (disk full, I/O error): cut the partial block off so
    /// the file ends on a complete block; the blocks still coming are
    /// counted, and `end_after_write_error` ends the file.
    fn stop_on_write_error(&mut self, block_start: u64, e: std::io::Error) {
        self.cut_to(block_start);
        self.write_error = Some(e);
        // tell the caller now: it stops feeding; the message is final at the end
        let full = self.disk_full();
        let first = self.write_error.as_ref().unwrap();
        let source = match first.raw_os_error() {
            Some(n) => std::io::Error::from_raw_os_error(n),
            None => std::io::Error::new(first.kind(), first.to_string()),
        };
        self.fail(TraceError::io(
            &self.path,
            if full { "disk full" } else { "write failed" },
            source,
        ));
    }

    fn disk_full(&self) -> bool {
        // ENOSPC, EDQUOT
        matches!(
            self.write_error.as_ref().and_then(|e| e.raw_os_error()),
            Some(28) | Some(122)
        )
    }

    /// Truncate the file to `at` and write from there (the file position
    /// must move back too, or the next frame lands past a hole).
    fn cut_to(&mut self, at: u64) {
        let _ = self
            .file
            .set_len(at)
            .and_then(|_| self.file.seek(SeekFrom::Start(at)));
        self.offset = at;
        self.shared.file_bytes.store(at, Ordering::Relaxed);
    }

    /// End a file whose writes failed: a drop marker for every event that
    /// could not be written, then the index. When the two do not fit, the
    /// last blocks are given up one by one (at most 64; their events join
    /// the marker's count, exactly) to make room; as a last resort the
    /// index alone. The final error says which.
    fn end_after_write_error(&mut self, z: &mut Compressors) {
        let mut u = std::mem::take(&mut self.unwritten);
        let mut given_up = 0;
        let (marked, indexed) = loop {
            let base = self.offset;
            let marked = u.records > 0 && self.append_marker(&u, z).is_ok();
            if (u.records == 0 || marked) && self.write_index().is_ok() {
                break (marked, true);
            }
            self.index.finished_unix_ns = 0;
            if marked {
                self.unindex_last();
            }
            self.cut_to(base);
            match self.index.blocks.last() {
                Some(b) if given_up < 64 => {
                    let h = b.header;
                    let at = b.offset;
                    let acc = self.unindex_last();
                    self.cut_to(at);
                    let plain = (h.n_events - h.n_drops) as u64;
                    u.records += h.n_events as u64;
                    u.lost += plain + acc.drop_lost;
                    u.seen += plain + acc.drop_seen;
                    u.first_ts = if u.first_ts == 0 {
                        h.first_ts
                    } else {
                        u.first_ts.min(h.first_ts)
                    };
                    u.last_ts = u.last_ts.max(h.last_ts);
                    given_up += 1;
                }
                _ => break (false, self.write_index().is_ok()),
            }
        };
        self.shared.not_written.store(u.records, Ordering::Relaxed);
        self.shared.marked.store(marked, Ordering::Relaxed);
        let blocks = self.index.blocks.len() - marked as usize;
        let written = self.index.total_events - marked as u64;
        let what = format!(
            "{}; recording stopped: the file holds {} complete blocks ({} events){}{}{}",
            if self.disk_full() { "disk full" } else { "write failed" },
            blocks,
            written,
            if given_up > 0 {
                format!(" after giving up its last {given_up} to make room for the drop marker")
            } else {
                String::new()
            },
            match (u.records, marked) {
                (0, _) => String::new(),
                (n, true) => format!(
                    "; {n} records could not be written and a drop marker at the end counts them ({} events lost)",
                    u.lost
                ),
                (n, false) => {
                    format!("; {n} records could not be written (no room left for a drop marker)")
                }
            },
            if indexed { "" } else { "; no index (readers scan the file)" }
        );
        let e = self.write_error.take().unwrap();
        let mut slot = self.shared.error.lock().unwrap();
        *slot = Some(TraceError::io(&self.path, what, e));
    }

    /// Append a block holding one drop marker for `u`.
    fn append_marker(&mut self, u: &Unwritten, z: &mut Compressors) -> Result<(), BlockError> {
        let dc = crate::record::DropCounts {
            n_other: u.lost,
            ..Default::default()
        };
        let mut data = Vec::with_capacity(96);
        crate::record::push_item(&mut data, crate::record::tag::DROP_COUNTS, 0, &dc.encode());
        let h = RecordHeader {
            ts_ns: u.last_ts,
            tid: 0,
            pid: 0,
            kind: crate::record::Kind::Drop as u16,
            cpu: 0,
            nr: 0,
            data_len: data.len() as u16,
            ret: 0,
            args: [u.first_ts, u.lost, u.seen, 0, 0, 0],
        };
        let mut b = StagedBlock::with_capacity(1, 128);
        b.push(h, &data);
        self.write_block(&b, z)?;
        self.record_bytes_of(&b);
        Ok(())
    }

    /// Account a block just written: its raw-record bytes (indexed) and
    /// what its drop markers count (to give it up exactly, see above).
    fn record_bytes_of(&mut self, b: &StagedBlock) {
        let mut acc = BlockAccount {
            record_bytes: b.record_bytes() as u64,
            ..Default::default()
        };
        for h in &b.headers {
            if h.kind == crate::record::Kind::Drop as u16 {
                acc.drop_lost += h.args[1];
                acc.drop_seen += h.args[2].max(h.args[1]);
            }
        }
        self.index.total_record_bytes += acc.record_bytes;
        self.accounts.push(acc);
    }

    /// Take the last block out of the index (the file is cut separately).
    fn unindex_last(&mut self) -> BlockAccount {
        let acc = self.accounts.pop().unwrap_or_default();
        if let Some(b) = self.index.blocks.pop() {
            let n = b.header.n_events as u64;
            self.index.total_events -= n;
            self.index.total_record_bytes -= acc.record_bytes;
            self.shared.events_written.fetch_sub(n, Ordering::Relaxed);
            self.shared.blocks.fetch_sub(1, Ordering::Relaxed);
        }
        acc
    }

    fn write_index(&mut self) -> Result<(), TraceError> {
        if self.index.finished_unix_ns != 0 {
            return Ok(()); // already written
        }
        self.index.finished_unix_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let body = postcard::to_allocvec(&self.index).map_err(|e| {
            TraceError::at(&self.path, self.offset, format!("cannot encode index: {e}"))
        })?;
        let mut f = Vec::with_capacity(body.len() + 20);
        f.extend_from_slice(&skippable_header(MAGIC_INDEX, body.len() + 12));
        f.extend_from_slice(&body);
        f.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        f.extend_from_slice(&(body.len() as u32).to_le_bytes());
        f.extend_from_slice(INDEX_TRAILER_MAGIC);
        self.file
            .write_all(&f)
            .and_then(|_| self.file.flush())
            .map_err(|e| TraceError::io(&self.path, "cannot write the index", e))?;
        self.offset += f.len() as u64;
        self.shared.file_bytes.store(self.offset, Ordering::Relaxed);
        Ok(())
    }

    fn fail(&self, e: TraceError) {
        let mut slot = self.shared.error.lock().unwrap();
        if slot.is_none() {
            *slot = Some(e);
        }
        self.shared.failed.store(true, Ordering::Relaxed);
    }
}

/// The file-header frame: magic, version, postcard(TraceHeader), CRC.
pub fn encode_header_frame(header: &TraceHeader, out: &mut Vec<u8>) {
    let body = postcard::to_allocvec(header).expect("header always serializes");
    let len = 8 + 2 + 2 + 4 + body.len() + 4;
    out.extend_from_slice(&skippable_header(MAGIC_FILE_HEADER, len));
    out.extend_from_slice(FILE_MAGIC);
    out.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
    out.extend_from_slice(&FORMAT_MINOR.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
}

/// The snapshot frame: CRC + a zstd frame of postcard(ProcessSnapshot) and
/// its extension (format 2.2).
pub fn encode_snapshot_frame(snap: &ProcessSnapshot, out: &mut Vec<u8>) -> Result<(), String> {
    let mut body = postcard::to_allocvec(snap).map_err(|e| e.to_string())?;
    body.extend_from_slice(&crate::meta::encode_snapshot_ext(snap));
    let z = zstd::bulk::compress(&body, 3).map_err(|e| e.to_string())?;
    out.extend_from_slice(&skippable_header(MAGIC_SNAPSHOT, z.len() + 4));
    out.extend_from_slice(&crc32fast::hash(&z).to_le_bytes());
    out.extend_from_slice(&z);
    Ok(())
}
