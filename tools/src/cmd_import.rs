//! `sysreplay import FILE.scap -o FILE.srt`: convert a sysdig/Falco capture.

use std::path::PathBuf;

use sysreplay_format::scap;
use sysreplay_format::{TraceWriter, WriterOptions};

use std::io::Write as _;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Input .scap file (gzip-compressed or plain)
    pub file: PathBuf,
    /// Output trace file
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Overwrite OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
    /// Print the import report as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let raw = std::fs::read(&a.file)
        .map_err(|e| Failure::runtime(format!("{}: {e}", a.file.display())))?;
    let mut imp = scap::import(raw).map_err(|e| {
        Failure::input(format!(
            "{}: not a readable scap file: {e}",
            a.file.display()
        ))
    })?;
    imp.header.tool_version = format!("sysreplay {}", env!("CARGO_PKG_VERSION"));
    let opts = WriterOptions {
        overwrite: a.force,
        ..WriterOptions::default()
    };
    let mut w = TraceWriter::create(&a.output, &imp.header, &imp.snapshot, opts)?;
    imp.for_each_record(|h, d| w.write_record(h, d))?;
    w.finish()?;
    let r = &imp.report;
    if a.json {
        // a closed stdout ends quietly (Failure from BrokenPipe), never a panic
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(r).map_err(|e| Failure::runtime(e.to_string()))?
        )?;
    }
    let unconv: u64 = r.unconverted.values().sum();
    let internal: u64 = r.internal.values().sum();
    eprintln!(
        "imported {} (scap {}{}): {} events -> {} records; {} threads, {} fds, {} users, {} groups in the snapshot",
        a.file.display(),
        r.scap_version,
        if r.gzip { ", gzip" } else { "" },
        r.events_read,
        r.records,
        r.threads,
        r.fds,
        r.users,
        r.groups
    );
    eprintln!(
        "  enter events merged: {}, orphaned: {}; internal events skipped: {internal}; not converted: {unconv}",
        r.enter_merged.values().sum::<u64>(),
        r.enter_orphaned.values().sum::<u64>(),
    );
    for (k, v) in &r.unconverted {
        eprintln!("    not converted: {k} x{v}");
    }
    Ok(())
}
