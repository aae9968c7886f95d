//! The file container: a sequence of zstd frames. Metadata lives in zstd
//! *skippable* frames, so `zstd -d` accepts a trace and yields the block
//! payloads; see SPEC.md for every byte.

use serde::{Deserialize, Serialize};

/// Skippable frame magics (zstd reserves 0x184D2A50..=0x184D2A5F).
pub const MAGIC_FILE_HEADER: u32 = 0x184D_2A50;
pub const MAGIC_SNAPSHOT: u32 = 0x184D_2A51;
pub const MAGIC_BLOCK_HEADER: u32 = 0x184D_2A52;
pub const MAGIC_INDEX: u32 = 0x184D_2A53;
pub const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
pub const SKIPPABLE_BASE: u32 = 0x184D_2A50;

/// First bytes of the file-header payload.
pub const FILE_MAGIC: &[u8; 8] = b"SRTRACE\0";
/// Last four bytes of the file, closing the index frame.
pub const INDEX_TRAILER_MAGIC: &[u8; 4] = b"SRIX";
/// Size of a skippable frame's own header (magic + size).
pub const FRAME_HEADER: usize = 8;
/// Payload size of a block-header frame.
pub const BLOCK_HEADER_LEN: usize = 40;
/// Refuse block payloads larger than this (a corrupt header must not make us
/// allocate gigabytes).
pub const MAX_PAYLOAD: usize = 64 << 20;
/// Refuse process snapshots that decompress to more than this (about 100
/// times the largest host table seen; the frame's own declared size is the
/// tighter bound when it is present).
pub const MAX_SNAPSHOT: usize = 512 << 20;

/// Header of one event block; precedes the block's zstd frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub first_ts: u64,
    pub last_ts: u64,
    pub n_events: u32,
    pub n_drops: u32,
    /// Decompressed payload length.
    pub payload_len: u32,
    /// Length of the zstd frame that follows.
    pub frame_len: u32,
    /// CRC-32 of the zstd frame bytes.
    pub frame_crc: u32,
}

impl BlockHeader {
    pub fn encode(&self) -> [u8; FRAME_HEADER + BLOCK_HEADER_LEN] {
        let mut b = [0u8; FRAME_HEADER + BLOCK_HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC_BLOCK_HEADER.to_le_bytes());
        b[4..8].copy_from_slice(&(BLOCK_HEADER_LEN as u32).to_le_bytes());
        let p = &mut b[8..];
        p[0..8].copy_from_slice(&self.first_ts.to_le_bytes());
        p[8..16].copy_from_slice(&self.last_ts.to_le_bytes());
        p[16..20].copy_from_slice(&self.n_events.to_le_bytes());
        p[20..24].copy_from_slice(&self.n_drops.to_le_bytes());
        p[24..28].copy_from_slice(&self.payload_len.to_le_bytes());
        p[28..32].copy_from_slice(&self.frame_len.to_le_bytes());
        p[32..36].copy_from_slice(&self.frame_crc.to_le_bytes());
        let crc = crc32fast::hash(&p[0..36]);
        p[36..40].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decode a block-header payload (40 bytes), checking its own CRC.
    pub fn decode(p: &[u8]) -> Result<BlockHeader, String> {
        if p.len() != BLOCK_HEADER_LEN {
            return Err(format!(
                "block header frame of {} bytes, expected {}",
                p.len(),
                BLOCK_HEADER_LEN
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes(p[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(p[o..o + 8].try_into().unwrap());
        if crc32fast::hash(&p[0..36]) != u32_at(36) {
            return Err("block header checksum mismatch (corrupted block header)".into());
        }
        let h = BlockHeader {
            first_ts: u64_at(0),
            last_ts: u64_at(8),
            n_events: u32_at(16),
            n_drops: u32_at(20),
            payload_len: u32_at(24),
            frame_len: u32_at(28),
            frame_crc: u32_at(32),
        };
        if h.payload_len as usize > MAX_PAYLOAD {
            return Err(format!(
                "block payload of {} bytes exceeds the {} byte limit",
                h.payload_len, MAX_PAYLOAD
            ));
        }
        // Eleven frames of at most MAX_PAYLOAD bytes together: compressed
        // data never exceeds the input by more than zstd's small bound.
        if h.frame_len as usize > MAX_PAYLOAD + MAX_PAYLOAD / 128 + 4096 {
            return Err(format!(
                "block frames of {} bytes exceed the {} byte payload limit",
                h.frame_len, MAX_PAYLOAD
            ));
        }
        Ok(h)
    }
}

/// One index entry: where a block is and what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockEntry {
    /// File offset of the block's header frame.
    pub offset: u64,
    pub header: BlockHeader,
}

impl BlockEntry {
    /// File offset of the zstd frame holding the payload.
    pub fn frame_offset(&self) -> u64 {
        self.offset + (FRAME_HEADER + BLOCK_HEADER_LEN) as u64
    }
    /// File offset just past the block.
    pub fn end(&self) -> u64 {
        self.frame_offset() + self.header.frame_len as u64
    }
}

/// The index frame's content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub blocks: Vec<BlockEntry>,
    pub total_events: u64,
    /// Bytes the events take as raw records (80-byte header + data each).
    pub total_record_bytes: u64,
    /// Wall-clock time the writer finished, ns since the epoch.
    pub finished_unix_ns: i64,
}

/// Write a skippable frame header.
pub fn skippable_header(magic: u32, len: usize) -> [u8; FRAME_HEADER] {
    let mut b = [0u8; FRAME_HEADER];
    b[0..4].copy_from_slice(&magic.to_le_bytes());
    b[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    b
}

/// Read a frame header at `b[0..8]`: (magic, length of the skippable payload).
pub fn read_frame_header(b: &[u8]) -> Option<(u32, u32)> {
    if b.len() < FRAME_HEADER {
        return None;
    }
    Some((
        u32::from_le_bytes(b[0..4].try_into().unwrap()),
        u32::from_le_bytes(b[4..8].try_into().unwrap()),
    ))
}
