//! scap interop: read sysdig/Falco capture files (`.scap`) into sysreplay
//! records and write sysreplay traces as `.scap` files.
//!
//! - [`blocks`]: the pcapng-like block container (gzip or plain) and the
//!   metadata blocks (section header, machine info, process, fd, user lists);
//! - [`events`]: PPM event headers, parameters and per-version layouts;
//! - [`import`]: scap -> records + process snapshot (enter/exit merging);
//! - [`export`]: records + snapshot -> scap that sysdig 0.29.3 reads.
//!
//! See `format/scap/SCAP.md` for what converts and what is lost.

pub mod blocks;
mod event_params;
pub mod events;
pub mod export;
pub mod import;
mod ppm_sc;

use std::fmt;

/// A malformed scap file: the byte offset (in the decompressed stream) and
/// what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScapError {
    pub offset: u64,
    pub what: String,
}

impl ScapError {
    pub fn at(offset: u64, what: impl Into<String>) -> Self {
        ScapError {
            offset,
            what: what.into(),
        }
    }
}

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for ScapError {}

pub use export::{export, ExportReport, Exporter};
pub use import::{import, import_from, ImportError, ImportReport, Imported};
