//! `sysreplay info FILE`

use std::io::Write;
use std::path::PathBuf;

use sysreplay_format::summary::TraceSummary;
use sysreplay_format::timefmt::{duration, iso8601_ns};
use sysreplay_syscalls as syscalls;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Trace file
    pub file: PathBuf,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// How many syscalls to list (0 = all)
    #[arg(long, default_value_t = 25)]
    pub top: usize,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let r = crate::open_reader(&a.file)?;
    let s = TraceSummary::compute(&r, |nr| sysreplay_syscalls::display_name(nr).into_owned())?;
    let h = r.header();
    // where the bytes go, per column of the blocks (SPEC §5)
    let cols = r.column_sizes()?;
    let per_event = |b: u64| b as f64 / s.events.max(1) as f64;
    let out = std::io::stdout();
    let mut o = out.lock();
    if a.json {
        let v = serde_json::json!({
            "file": a.file,
            "header": {
                "format_version": format!("{}.{}", r.format_version().0, r.format_version().1),
                "tool_version": h.tool_version,
                "created": iso8601_ns(h.created_unix_ns),
                "hostname": h.hostname,
                "kernel_release": h.kernel_release,
                "arch": h.arch,
                "num_cpus": h.num_cpus,
                "boot_to_wall_ns": h.boot_to_wall_ns,
                "source": h.source,
                "config": {
                    "syscalls": h.config.syscalls.iter().map(|&n| syscalls::display_name(n)).collect::<Vec<_>>(),
                    "buf_size_bytes": h.config.buf_size_bytes,
                    "cpus_for_each_buffer": h.config.cpus_for_each_buffer,
                    "snaplen": h.config.snaplen,
                    "capture_env": h.config.capture_env,
                    "notes": h.config.notes,
                },
            },
            "snapshot_threads": r.snapshot().threads.len(),
            "summary": s,
            "columns": cols.iter().map(|c| serde_json::json!({
                "column": c.name,
                "bytes": c.stored_bytes,
                "bytes_per_event": per_event(c.stored_bytes),
                "uncompressed_bytes": c.payload_bytes,
            })).collect::<Vec<_>>(),
        });
        writeln!(o, "{}", serde_json::to_string_pretty(&v).unwrap())?;
        return Ok(());
    }
    let wall = |ts: u64| iso8601_ns(ts as i64 + h.boot_to_wall_ns);
    writeln!(o, "file:            {}", a.file.display())?;
    writeln!(
        o,
        "format:          sysreplay trace {}.{} (written by {})",
        r.format_version().0,
        r.format_version().1,
        h.tool_version
    )?;
    if let Some(t) = &s.truncated {
        writeln!(o, "TRUNCATED:       {t}")?;
    }
    writeln!(o, "source:          {}", h.source)?;
    // An imported capture may not say (0 or empty): "unknown", not "kernel ,"
    let or_unknown = |s: String, known: bool| if known { s } else { "unknown".to_string() };
    writeln!(
        o,
        "host:            {} (kernel {}, {}, {} CPUs)",
        h.hostname,
        or_unknown(h.kernel_release.clone(), !h.kernel_release.is_empty()),
        h.arch,
        h.num_cpus
    )?;
    writeln!(o, "created:         {}", iso8601_ns(h.created_unix_ns))?;
    let c = &h.config;
    let set = if c.syscalls.is_empty() {
        "all".to_string()
    } else {
        format!("{} syscalls", c.syscalls.len())
    };
    let buffer = or_unknown(
        format!(
            "{} bytes per {} CPU(s)",
            c.buf_size_bytes, c.cpus_for_each_buffer
        ),
        c.buf_size_bytes > 0,
    );
    writeln!(
        o,
        "recording:       {set}, buffer {buffer}, snaplen {}, env {}",
        or_unknown(c.snaplen.to_string(), c.snaplen > 0),
        if c.capture_env {
            "captured"
        } else {
            "not captured"
        }
    )?;
    for (k, v) in &c.notes {
        writeln!(o, "  {k}: {v}")?;
    }
    writeln!(o, "snapshot:        {} threads", r.snapshot().threads.len())?;
    if s.events > 0 {
        writeln!(
            o,
            "time:            {} .. {}",
            wall(s.first_ts_ns),
            wall(s.last_ts_ns)
        )?;
    }
    writeln!(o, "duration:        {}", duration(s.duration_ns))?;
    writeln!(
        o,
        "events:          {} ({} syscalls) at {:.0} events/s",
        s.events - s.drops.markers,
        s.syscall_events,
        s.events_per_sec
    )?;
    for (k, n) in &s.per_kind {
        writeln!(o, "  {k:<14} {n}")?;
    }
    writeln!(o, "size:            {} bytes in {} blocks; {:.2} bytes/event on disk, {:.1} bytes/event as raw records (compression {:.1}x)", s.file_bytes, s.blocks, s.bytes_per_event, s.record_bytes_per_event, s.compression_ratio)?;
    let col_list: Vec<String> = cols
        .iter()
        .map(|c| format!("{} {:.2}", c.name, per_event(c.stored_bytes)))
        .collect();
    writeln!(o, "bytes/event by column: {}", col_list.join(", "))?;
    writeln!(o, "per CPU:")?;
    for cpu in &s.per_cpu {
        writeln!(
            o,
            "  cpu {:<3} {:>12} events {:>12.0} events/s {:>8} dropped",
            cpu.cpu, cpu.events, cpu.events_per_sec, cpu.dropped
        )?;
    }
    let d = &s.drops;
    writeln!(
        o,
        "drops:           {} events lost in {} drop markers ({:.3}%)",
        d.lost, d.markers, d.percent
    )?;
    if d.markers > 0 {
        for (name, n) in &d.per_category {
            writeln!(o, "  n_drops_buffer_{name:<20} {n}")?;
        }
        writeln!(o, "  other (no category)                 {}", d.other)?;
    }
    let n = if a.top == 0 {
        s.per_syscall.len()
    } else {
        a.top.min(s.per_syscall.len())
    };
    writeln!(o, "syscalls ({} distinct, top {n}):", s.per_syscall.len())?;
    for (name, count) in &s.per_syscall[..n] {
        let pct = 100.0 * *count as f64 / s.syscall_events.max(1) as f64;
        writeln!(o, "  {name:<20} {count:>12} {pct:>6.2}%")?;
    }
    Ok(())
}
