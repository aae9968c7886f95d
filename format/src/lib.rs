//! sysreplay's trace file format.
//!
//! - [`record`]: the event record layout shared with the eBPF probe;
//! - [`event`]: events as readers see them (zero-copy views);
//! - [`meta`]: file header and process snapshot;
//! - [`block`] / [`container`]: the columnar block codec and the zstd-frame
//!   container;
//! - [`writer`] / [`reader`]: the trace file itself (see `format/SPEC.md`);
//! - [`outfile`]: how every output file is created (no symlinks, 0600);
//! - [`summary`]: what `sysreplay info` reports;
//! - [`timefmt`]: event times as text, and durations read from the command
//!   line (the one duration parser).
//!
//! Invariant: this crate never interprets a syscall. What a syscall number
//! means lives in `sysreplay-syscalls` (`format/syscalls/`), which depends
//! on this crate, never the other way round.

pub mod block;
pub mod container;
pub mod error;
pub mod event;
pub mod meta;
pub mod outfile;
pub mod reader;
pub mod record;
pub mod summary;
pub mod timefmt;
pub mod writer;

pub use error::TraceError;
pub use event::{Event, OwnedEvent};
pub use meta::{
    FdInfo, FdType, ProcessSnapshot, RecordingConfig, SocketTuple, ThreadInfo, TraceHeader,
};
pub use reader::{ColumnSize, DecodedBlock, FormatVersion, StreamReader, TraceReader, Truncation};
pub use record::{Kind, RecordHeader};
pub use writer::{TraceWriter, WriterOptions, WriterStats};
