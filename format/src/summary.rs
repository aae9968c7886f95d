//! What `sysreplay info` reports: counts, rates, drops and sizes of a trace.

use std::ops::ControlFlow;

use serde::Serialize;

use crate::error::TraceError;
use crate::reader::TraceReader;
use crate::record::{Kind, DROP_CATEGORIES, DROP_CATEGORY_NAMES, RECORD_HEADER_SIZE};

#[derive(Clone, Debug, Default, Serialize)]
pub struct CpuSummary {
    pub cpu: u16,
    pub events: u64,
    pub events_per_sec: f64,
    pub drop_markers: u64,
    pub dropped: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DropSummary {
    pub markers: u64,
    /// Events the kernel lost (sum of the markers' counts).
    pub lost: u64,
    /// Per Falco category (`n_drops_buffer_<category>`).
    pub per_category: Vec<(String, u64)>,
    pub other: u64,
    /// Percentage of events lost: lost / (recorded + lost).
    pub percent: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TraceSummary {
    pub events: u64,
    pub syscall_events: u64,
    pub first_ts_ns: u64,
    pub last_ts_ns: u64,
    pub duration_ns: u64,
    pub events_per_sec: f64,
    pub per_cpu: Vec<CpuSummary>,
    /// (syscall name, count), most frequent first.
    pub per_syscall: Vec<(String, u64)>,
    /// Non-syscall records: procexit, procfork, procexec.
    pub per_kind: Vec<(String, u64)>,
    pub drops: DropSummary,
    pub blocks: usize,
    pub file_bytes: u64,
    /// What the events take as raw 80-byte records plus data.
    pub record_bytes: u64,
    pub bytes_per_event: f64,
    pub record_bytes_per_event: f64,
    pub compression_ratio: f64,
    pub truncated: Option<String>,
}

/// Syscall numbers below this are counted one by one; the rest together.
const COUNTED_NRS: usize = 512;

impl TraceSummary {
    /// Summarize `r`; `syscall_name` names a syscall number (this crate
    /// does not know syscalls: see `sysreplay-syscalls`).
    pub fn compute(
        r: &TraceReader,
        syscall_name: impl Fn(u16) -> String,
    ) -> Result<TraceSummary, TraceError> {
        let mut s = TraceSummary {
            first_ts_ns: u64::MAX,
            ..Default::default()
        };
        let mut per_nr = vec![0u64; COUNTED_NRS + 1];
        let mut per_kind = [0u64; 8];
        let mut cpus: Vec<CpuSummary> = Vec::new();
        let mut cat = [0u64; DROP_CATEGORIES];
        r.for_each_event(|e| {
            s.events += 1;
            s.record_bytes += (RECORD_HEADER_SIZE + e.data.len()) as u64;
            s.first_ts_ns = s.first_ts_ns.min(e.ts_ns);
            s.last_ts_ns = s.last_ts_ns.max(e.ts_ns);
            let c = e.cpu as usize;
            if cpus.len() <= c {
                cpus.resize_with(c + 1, Default::default);
            }
            let kind = e.kind();
            if kind == Some(Kind::Drop) {
                let lost = e.args[1];
                s.drops.markers += 1;
                s.drops.lost += lost;
                cpus[c].drop_markers += 1;
                cpus[c].dropped += lost;
                if let Some(dc) = e.drop_counts() {
                    for (a, b) in cat.iter_mut().zip(dc.n) {
                        *a += b;
                    }
                    s.drops.other += dc.n_other;
                }
                return ControlFlow::Continue(());
            }
            cpus[c].events += 1;
            if kind == Some(Kind::Syscall) {
                s.syscall_events += 1;
                per_nr[(e.nr as usize).min(COUNTED_NRS)] += 1;
            } else {
                per_kind[(e.kind as usize).min(7)] += 1;
            }
            ControlFlow::Continue(())
        })?;
        if s.events == 0 {
            s.first_ts_ns = 0;
        }
        s.duration_ns = s.last_ts_ns - s.first_ts_ns;
        let secs = s.duration_ns as f64 / 1e9;
        let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let recorded = s.events - s.drops.markers;
        s.events_per_sec = rate(recorded);
        for (i, c) in cpus.iter_mut().enumerate() {
            c.cpu = i as u16;
            c.events_per_sec = rate(c.events);
        }
        s.per_cpu = cpus
            .into_iter()
            .filter(|c| c.events + c.drop_markers > 0)
            .collect();
        s.per_syscall = per_nr
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(nr, &n)| (syscall_name(nr as u16), n))
            .collect();
        s.per_syscall
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        s.per_kind = per_kind
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(k, &n)| {
                let name = Kind::from_u16(k as u16).map_or("unknown", |k| k.name());
                (name.to_string(), n)
            })
            .collect();
        s.drops.per_category = DROP_CATEGORY_NAMES
            .iter()
            .zip(cat)
            .map(|(n, c)| (n.to_string(), c))
            .collect();
        let seen = recorded + s.drops.lost;
        s.drops.percent = if seen > 0 {
            100.0 * s.drops.lost as f64 / seen as f64
        } else {
            0.0
        };
        s.blocks = r.blocks().len();
        s.file_bytes = r.file_len();
        if s.events > 0 {
            s.bytes_per_event = s.file_bytes as f64 / s.events as f64;
            s.record_bytes_per_event = s.record_bytes as f64 / s.events as f64;
        }
        if s.file_bytes > 0 {
            s.compression_ratio = s.record_bytes as f64 / s.file_bytes as f64;
        }
        s.truncated = r.truncation().map(|t| {
            format!(
                "{} ({} complete blocks, readable up to byte {} of {})",
                t.reason, t.complete_blocks, t.good_until, t.file_len
            )
        });
        Ok(s)
    }
}
