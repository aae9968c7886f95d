//! The recorder: an eBPF probe on raw syscall tracepoints (`bpf/probe.bpf.c`),
//! loaded with aya, drained into a sysreplay trace file.
//!
//! - [`probe`]: load/attach the probe, ring buffers, kernel counters;
//! - [`selection`]: which syscalls to record (Falco's `base_syscalls` logic);
//! - [`procfs`]: the /proc snapshot written at the start of every trace file;
//! - [`recorder`]: the drain loop, drop markers, stats, rotation;
//! - [`bench`]: `record --bench`, the probe's cost;
//! - [`affinity`]: pinning a thread to CPUs for measurements.
//!
//! A plain-Rust API: the command line (`sysreplay record`, its options,
//! messages and exit codes) is `tools/src/cmd_record.rs`. This crate prints
//! nothing: what happens while recording reaches the caller as
//! [`recorder::Notice`]s.

pub mod affinity;
pub mod bench;
pub mod privileges;
pub mod probe;
pub mod procfs;
pub mod recorder;
pub mod selection;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// A recorder error: one clear line for the user, and the kind of the I/O
/// error behind it, if any (a full disk is told by its kind, not its text).
#[derive(Debug)]
pub struct RecordError {
    pub what: String,
    pub kind: Option<std::io::ErrorKind>,
}

impl RecordError {
    pub fn msg(s: impl Into<String>) -> Self {
        RecordError {
            what: s.into(),
            kind: None,
        }
    }
    /// ENOSPC or EDQUOT behind it.
    pub fn is_disk_full(&self) -> bool {
        matches!(
            self.kind,
            Some(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        )
    }
    pub(crate) fn bpf(ctx: &str, e: impl std::error::Error) -> Self {
        let mut s = format!("{ctx}: {e}");
        let mut src = e.source();
        while let Some(x) = src {
            s.push_str(&format!(": {x}"));
            src = x.source();
        }
        RecordError {
            what: s,
            kind: None,
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}
impl std::error::Error for RecordError {}

impl From<sysreplay_format::TraceError> for RecordError {
    fn from(e: sysreplay_format::TraceError) -> Self {
        RecordError {
            what: e.to_string(),
            kind: e.source.as_ref().map(|s| s.kind()),
        }
    }
}

/// CLOCK_BOOTTIME now, in ns (the clock of record timestamps).
pub fn boottime_ns() -> u64 {
    clock_ns(libc::CLOCK_BOOTTIME)
}

pub(crate) fn clock_ns(clk: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into `ts`.
    unsafe { libc::clock_gettime(clk, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Make SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) set
/// the returned stop flag, for [`recorder::record`]: the recording then
/// ends cleanly, with its index.
pub fn stop_on_signals() -> &'static AtomicBool {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGHUP, &sa, std::ptr::null_mut());
    }
    &STOP
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    fn from_io(e: Error) -> RecordError {
        sysreplay_format::TraceError::io(std::path::Path::new("t.srt"), "write failed", e).into()
    }

    #[test]
    fn a_full_disk_is_told_by_the_error_kind_not_its_text() {
        // ENOSPC and EDQUOT, whatever their message says (a translated
        // strerror, a wrapped error)
        assert!(from_io(Error::from_raw_os_error(libc::ENOSPC)).is_disk_full());
        assert!(from_io(Error::from_raw_os_error(libc::EDQUOT)).is_disk_full());
        assert!(from_io(Error::new(ErrorKind::StorageFull, "plus de place")).is_disk_full());
        // other errors, even when their text says so, are not
        assert!(!from_io(Error::from_raw_os_error(libc::EIO)).is_disk_full());
        assert!(!RecordError::msg("No space left on device").is_disk_full());
    }
}
