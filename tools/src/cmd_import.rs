//! `sysreplay import FILE.scap -o FILE.srt`: convert a sysdig/Falco capture.

use std::path::PathBuf;

use sysreplay_format::{ProcessSnapshot, RecordHeader, TraceHeader, TraceWriter, WriterOptions};
use sysreplay_scap as scap;

use crate::progress::Progress;
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Input .scap file (gzip-compressed or plain)
    pub file: PathBuf,
    /// Output trace file
    #[arg(
        short = 'o',
        long = "output",
        visible_short_alias = 'w',
        visible_alias = "write"
    )]
    pub output: PathBuf,
    /// Overwrite OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
    /// Print the import report as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let file = std::fs::File::open(&a.file).map_err(|e| Failure::io(&a.file, &e))?;
    if let Some(msg) = crate::sniff::not_a_capture(&a.file) {
        return Err(Failure::input(msg));
    }
    let bad = |e: scap::ScapError| {
        // What the file is comes first: the block reader's details (a
        // "block type" read from text) are noise to someone who gave a README.
        let what = match crate::sniff::sniff(&a.file) {
            Some(
                k @ (crate::sniff::Kind::Text
                | crate::sniff::Kind::Gzip
                | crate::sniff::Kind::Empty),
            ) => format!("this is {}, not", k.describe()),
            _ => "not".to_string(),
        };
        Failure::input(format!(
            "{}: {what} a readable scap file: {e}",
            a.file.display()
        ))
    };
    let blocks = scap::blocks::BlockReader::open(file).map_err(bad)?;
    let opts = WriterOptions {
        overwrite: a.force,
        ..WriterOptions::default()
    };
    // The capture is streamed: the trace is created once the metadata blocks
    // are read, and each record is written as it is converted.
    let mut created = false;
    let start = |mut header: TraceHeader, snapshot: ProcessSnapshot| {
        header.tool_version = format!("sysreplay {}", env!("CARGO_PKG_VERSION"));
        let w = TraceWriter::create(&a.output, &header, &snapshot, opts)?;
        created = true;
        Ok::<_, Failure>(w)
    };
    let mut progress = Progress::new();
    let mut n = 0u64;
    let write = |w: &mut TraceWriter, h: &RecordHeader, d: &[u8]| {
        n += 1;
        if n.is_multiple_of(65536) {
            progress.show("import (records)", n, 0);
        }
        Ok(w.write_record(h, d)?)
    };
    let (w, report) = match scap::import_from(blocks, start, write) {
        Ok(x) => x,
        Err(e) => {
            // A capture that turns out damaged halfway leaves no half trace.
            // (The writer was dropped with the error; it completed the file.)
            if created {
                let _ = std::fs::remove_file(&a.output);
            }
            return Err(match e {
                scap::ImportError::Scap(e) => bad(e),
                scap::ImportError::Sink(f) => f,
            });
        }
    };
    w.finish()?;
    let r = &report;
    if a.json {
        crate::print_json(serde_json::to_string_pretty(r))?;
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
    for (k, v) in &r.generic_without_arguments {
        eprintln!("    not converted: generic {k} x{v} (no arguments: its record would change the process/fd tables)");
    }
    Ok(())
}
