//! `sysreplay synth -o FILE`: a deterministic synthetic trace.

use std::path::PathBuf;

use sysreplay_format::{TraceWriter, WriterOptions};
use sysreplay_synth::{self as synth, SynthConfig};

use crate::progress::Progress;
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Output trace file
    #[arg(
        short = 'o',
        long = "output",
        visible_short_alias = 'w',
        visible_alias = "write"
    )]
    pub output: PathBuf,
    /// Events to generate (drop markers and lost events come on top)
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// PRNG seed: the same seed and options give the same events
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean event rate of the simulated host, events/s
    #[arg(long, default_value_t = 200_000.0)]
    pub rate: f64,
    /// CPUs of the simulated host
    #[arg(long, default_value_t = 4)]
    pub cpus: u16,
    /// Approximate size of the initial process table
    #[arg(long, default_value_t = 48)]
    pub processes: usize,
    /// Inject this many windows where a CPU's buffer overflows (drop markers)
    #[arg(long, default_value_t = 0)]
    pub drop_windows: usize,
    /// Bytes captured per buffer argument
    #[arg(long, default_value_t = 80)]
    pub snaplen: u32,
    /// Overwrite OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    if a.cpus == 0 || a.rate.is_nan() || a.rate <= 0.0 {
        return Err(Failure::input(
            "--cpus must be at least 1 and --rate positive",
        ));
    }
    let cfg = SynthConfig {
        seed: a.seed,
        events: a.events,
        rate_per_sec: a.rate,
        cpus: a.cpus,
        processes: a.processes,
        snaplen: a.snaplen,
        ..SynthConfig::default()
    }
    .with_drop_windows(a.drop_windows);
    let mut header = synth::header(&cfg);
    header.tool_version = format!("sysreplay {}", env!("CARGO_PKG_VERSION"));
    let opts = WriterOptions {
        overwrite: a.force,
        ..WriterOptions::default()
    };
    let mut w = TraceWriter::create(&a.output, &header, &synth::snapshot(&cfg), opts)?;
    let mut progress = Progress::new();
    let mut n = 0u64;
    let summary = synth::generate(&cfg, |h, d| {
        n += 1;
        if n.is_multiple_of(65536) {
            progress.show("synth", n, a.events);
        }
        w.write_record(h, d)
    })?;
    progress.done();
    let stats = w.finish()?;
    eprintln!(
        "wrote {}: {} events ({} forks, {} execs, {} exits, {} drop markers covering {} lost events), {} bytes ({:.2} bytes/event)",
        a.output.display(),
        summary.events,
        summary.forks,
        summary.execs,
        summary.exits,
        summary.drop_markers,
        summary.lost,
        stats.file_bytes,
        stats.file_bytes as f64 / (summary.events + summary.drop_markers).max(1) as f64
    );
    Ok(())
}
