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
    /// zstd level of the fixed columns (level 3 would save 0.1% of the file
    /// for ~10% more compression work).
    pub zstd_level: i32,
    /// zstd level of the variable-data column, most of the bytes: zstd's
    /// fast level -1 costs 1% in size for ~15% less writer work; levels 1–3
    /// compress it alike, and 4+ run 5x slower.
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
            zstd_level: 1,
            data_zstd_level: -1,
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
}

#[derive(Default)]
struct Shared {
    events_written: AtomicU64,
    file_bytes: AtomicU64,
    blocks: AtomicU64,
    failed: AtomicBool,
    error: Mutex<Option<TraceError>>,
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
        if self.shared.failed.load(Ordering::Relaxed) {
            return Err(self.take_error());
        }
        if self.staged.is_empty() {
            return Ok(());
        }
        let next = match self.recycled.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => StagedBlock::with_capacity(
                self.opts.block_events,
                self.opts.block_payload_bytes + 65536,
            ),
        };
        let full = std::mem::replace(&mut self.staged, next);
        let tx = self.tx.as_ref().expect("writer used after finish");
        if tx.send(full).is_err() {
            return Err(self.take_error());
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
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the last block and the index; the file is complete after this.
    pub fn finish(mut self) -> Result<WriterStats, TraceError> {
        let r = self.flush_block();
        self.close();
        r?;
        if self.shared.failed.load(Ordering::Relaxed) {
            return Err(self.take_error());
        }
        // another writer (`--force` on the same path) replaced the file:
        // this trace is unreachable, so it is not a success
        crate::outfile::check_identity(&self.path, self.identity)?;
        Ok(self.stats())
    }

    fn close(&mut self) {
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }

    fn take_error(&self) -> TraceError {
        self.shared.error.lock().unwrap().take().unwrap_or_else(|| {
            TraceError::at(
                &self.path,
                0,
                "the compression thread stopped after an error",
            )
        })
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
}

impl BlockSink {
    fn run(
        &mut self,
        rx: Receiver<StagedBlock>,
        recycle: SyncSender<StagedBlock>,
        (level, data_level): (i32, i32),
    ) {
        let mut frame = Vec::new();
        let mut encoder = block::Encoder::new();
        // No zstd content checksums: the block header's CRC-32 already
        // covers every compressed byte, and xxhash would cost readers ~7%.
        let compressor = |level| {
            let mut z = zstd::bulk::Compressor::new(level)?;
            z.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(false))?;
            Ok::<_, std::io::Error>(z)
        };
        let (mut zc, mut zd) = match (compressor(level), compressor(data_level)) {
            (Ok(c), Ok(d)) => (c, d),
            (Err(e), _) | (_, Err(e)) => {
                return self.fail(TraceError::io(&self.path, "cannot start zstd", e))
            }
        };
        for mut staged in rx {
            if self.shared.failed.load(Ordering::Relaxed) {
                continue; // drain so the caller never blocks on a dead sink
            }
            let summary = encoder.encode_frames(&staged);
            // One zstd frame per column (SPEC §4); together they decompress
            // to the payload. `frame` stays zero-filled to its largest size
            // so compressing into it costs no memset per block.
            let bound: usize = encoder
                .frames()
                .map(|f| zstd::zstd_safe::compress_bound(f.len()))
                .sum();
            if frame.len() < bound {
                frame.resize(bound, 0);
            }
            let mut used = 0;
            let mut failed = None;
            for (c, f) in encoder.frames().enumerate() {
                let z = if c == block::DATA_COLUMN {
                    &mut zd
                } else {
                    &mut zc
                };
                match z.compress_to_buffer(f, &mut frame[used..]) {
                    Ok(n) => used += n,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let frame = &frame[..used];
            if let Some(e) = failed {
                self.fail(TraceError::io(&self.path, "zstd compression failed", e));
                continue;
            }
            let header = BlockHeader {
                first_ts: summary.first_ts,
                last_ts: summary.last_ts,
                n_events: summary.n_events,
                n_drops: summary.n_drops,
                payload_len: encoder.payload_len() as u32,
                frame_len: frame.len() as u32,
                frame_crc: crc32fast::hash(frame),
            };
            let hb = header.encode();
            let start = self.offset;
            let res = self
                .file
                .write_all(&hb)
                .and_then(|_| self.file.write_all(frame));
            if let Err(e) = res {
                self.stop_on_write_error(start, e);
                continue;
            }
            self.offset += (hb.len() + frame.len()) as u64;
            self.index.blocks.push(BlockEntry {
                offset: start,
                header,
            });
            self.index.total_events += summary.n_events as u64;
            self.index.total_record_bytes += staged.record_bytes() as u64;
            self.shared
                .events_written
                .fetch_add(summary.n_events as u64, Ordering::Relaxed);
            self.shared.blocks.fetch_add(1, Ordering::Relaxed);
            self.shared.file_bytes.store(self.offset, Ordering::Relaxed);
            staged.clear();
            let _ = recycle.try_send(staged);
        }
        // Channel closed: the writer is finishing (or was dropped).
        if let Err(e) = self.write_index() {
            self.fail(e);
        }
    }

    /// A failed write (disk full, I/O error): cut the partial block off so the
    /// file ends on a complete block, try to add the index, and report.
    fn stop_on_write_error(&mut self, block_start: u64, e: std::io::Error) {
        let full = e.raw_os_error() == Some(28); // ENOSPC
                                                 // Cut the partial block off and write the index where it began (the
                                                 // file position must move back too, or the index lands past a hole).
        let _ = self
            .file
            .set_len(block_start)
            .and_then(|_| self.file.seek(SeekFrom::Start(block_start)));
        self.offset = block_start;
        let indexed = self.write_index().is_ok();
        let what = format!(
            "{} while writing block {}; recording stopped, the file holds {} complete blocks ({} events){}",
            if full { "disk full" } else { "write failed" },
            self.index.blocks.len(),
            self.index.blocks.len(),
            self.index.total_events,
            if indexed { "" } else { " and no index (readers scan it)" }
        );
        self.fail(TraceError::io(&self.path, what, e));
        // No further blocks: the index just written must stay the last frame.
    }

    fn write_index(&mut self) -> Result<(), TraceError> {
        if self.index.finished_unix_ns != 0 {
            return Ok(()); // already written (after a write error)
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

/// The snapshot frame: CRC + a zstd frame of postcard(ProcessSnapshot).
pub fn encode_snapshot_frame(snap: &ProcessSnapshot, out: &mut Vec<u8>) -> Result<(), String> {
    let body = postcard::to_allocvec(snap).map_err(|e| e.to_string())?;
    let z = zstd::bulk::compress(&body, 3).map_err(|e| e.to_string())?;
    out.extend_from_slice(&skippable_header(MAGIC_SNAPSHOT, z.len() + 4));
    out.extend_from_slice(&crc32fast::hash(&z).to_le_bytes());
    out.extend_from_slice(&z);
    Ok(())
}
