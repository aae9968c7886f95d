//! `sysreplay export FILE.srt -o FILE.scap`: write a trace as a sysdig/Falco
//! capture.

use std::io::BufWriter;
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::TraceReader;
use sysreplay_scap::Exporter;

use crate::progress::Progress;
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Input trace file
    pub file: PathBuf,
    /// Output .scap file
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
    /// Write an uncompressed file (default: gzip, like sysdig -w)
    #[arg(long)]
    pub no_gzip: bool,
    /// Print the export report as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let r = crate::open_trace(&a.file)?;
    // never through a symlink; exclusive, or beside-and-rename with --force; 0600
    let out = sysreplay_format::outfile::create_private(&a.output, a.force)?;
    let identity = out.identity();
    let f = out.file;
    let w = BufWriter::with_capacity(1 << 20, f);
    let report = if a.no_gzip {
        let mut x = Exporter::new(w, r.header(), r.snapshot())?;
        feed(&r, &mut x)?;
        x.finish()?.1
    } else {
        let enc = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
        let mut x = Exporter::new(enc, r.header(), r.snapshot())?;
        feed(&r, &mut x)?;
        let (enc, rep) = x.finish()?;
        enc.finish()?;
        rep
    };
    sysreplay_format::outfile::check_identity(&a.output, identity)?;
    if a.json {
        crate::print_json(serde_json::to_string_pretty(&report))?;
    }
    let skipped: u64 = report.skipped.values().sum();
    let generic: u64 = report.generic.values().sum();
    eprintln!(
        "exported {} -> {}: {} records -> {} scap events ({} syscalls as generic events without arguments); {} threads, {} fds; {} records have no scap form{}",
        a.file.display(),
        a.output.display(),
        report.records,
        report.events,
        generic,
        report.threads,
        report.fds,
        skipped,
        if report.drop_markers > 0 {
            format!(
                "; {} drop markers written as drop enter/exit (their {} lost-event counts cannot be stored)",
                report.drop_markers, report.lost_events_not_representable
            )
        } else {
            String::new()
        }
    );
    let mut top: Vec<_> = report.skipped.iter().collect();
    top.sort_by(|x, y| y.1.cmp(x.1));
    for (k, v) in top.iter().take(12) {
        eprintln!("    no scap form: {k} x{v}");
    }
    Ok(())
}

fn feed<W: std::io::Write>(r: &TraceReader, x: &mut Exporter<W>) -> Result<(), Failure> {
    let mut err = None;
    let mut progress = Progress::new();
    let (mut n, total) = (0u64, r.event_count());
    r.for_each_event(|e| {
        n += 1;
        if n.is_multiple_of(65536) {
            progress.show("export", n, total);
        }
        match x.record(e) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                err = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    progress.done();
    match err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
