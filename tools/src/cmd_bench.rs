//! `sysreplay bench format`: the trace format's speed and size on a synthetic
//! workload, with ratios measured in the same run.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use sysreplay_format::record::RECORD_HEADER_SIZE;
use sysreplay_format::{
    OwnedEvent, ProcessSnapshot, RecordHeader, TraceHeader, TraceReader, TraceWriter, WriterOptions,
};
use sysreplay_replay::drive_events;
use sysreplay_ruleeval::{Engine, NoObserver, RuleMatching};
use sysreplay_synth::{self as synth, SynthConfig};

use crate::progress::Progress;
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand)]
pub enum What {
    /// Write and read a synthetic trace: events/s, bytes/event, compression
    Format(FormatArgs),
    /// Evaluate rules over a trace held in memory, single-threaded: events/s
    /// with the rules vs the state engine alone, and state memory
    Rules(RulesArgs),
    /// `replay --speed max` against `eval`'s engine loop on one trace and
    /// rules, interleaved round by round: what a replay adds
    Replay(ReplayArgs),
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Trace to replay
    pub trace: PathBuf,
    /// Rules file(s), loaded in order
    #[arg(short = 'r', long = "rules", required = true, num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Rounds; each runs every variant once, in turn (medians reported)
    #[arg(long, default_value_t = 5)]
    pub rounds: u32,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct RulesArgs {
    /// Rules file(s), loaded in order
    #[arg(short = 'r', long = "rules", required = true, num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Trace to replay (default: a synthetic trace of --events events)
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Events of the synthetic trace when no --trace is given
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Passes over the events (the best pass is reported)
    #[arg(long, default_value_t = 3)]
    pub passes: u32,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct FormatArgs {
    /// Events in the synthetic workload
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// zstd level of the fixed columns
    #[arg(long, default_value_t = WriterOptions::default().zstd_level)]
    pub level: i32,
    /// zstd level of the variable-data column
    #[arg(long, default_value_t = WriterOptions::default().data_zstd_level)]
    pub data_level: i32,
    /// Events per block at most
    #[arg(long, default_value_t = WriterOptions::default().block_events)]
    pub block_events: usize,
    /// Block payload (uncompressed columns) at most, in KiB
    #[arg(long, default_value_t = WriterOptions::default().block_payload_bytes >> 10)]
    pub block_kib: usize,
    /// Directory for the temporary files (default: the system temp dir)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Runs of each measurement; the best is reported (shared machines are noisy)
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    match a.what {
        What::Format(f) => format(f),
        What::Rules(r) => rules(r),
        What::Replay(r) => replay(r),
    }
}

/// Events held in memory, so timing measures the writer, not the generator.
struct Events {
    headers: Vec<RecordHeader>,
    offsets: Vec<usize>,
    data: Vec<u8>,
}

fn format(a: FormatArgs) -> Result<(), Failure> {
    let cfg = SynthConfig::new(a.seed, a.events);
    let mut ev = Events {
        headers: Vec::with_capacity(a.events as usize),
        offsets: Vec::with_capacity(a.events as usize),
        data: Vec::new(),
    };
    synth::generate::<(), _>(&cfg, |h, d| {
        ev.headers.push(*h);
        ev.offsets.push(ev.data.len());
        ev.data.extend_from_slice(d);
        Ok(())
    })
    .unwrap();
    let n = ev.headers.len() as u64;
    let dir = tempfile::Builder::new()
        .prefix("sysreplay-bench")
        .tempdir_in(a.dir.clone().unwrap_or_else(std::env::temp_dir))?;

    // Uncompressed baseline: the raw records, as the probe hands them over.
    let raw_path = dir.path().join("raw.bin");
    let t = Instant::now();
    {
        let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&raw_path)?);
        let mut rec = Vec::with_capacity(RECORD_HEADER_SIZE + 65536);
        for (i, h) in ev.headers.iter().enumerate() {
            rec.clear();
            h.encode(&mut rec);
            rec.extend_from_slice(&ev.data[ev.offsets[i]..ev.offsets[i] + h.data_len as usize]);
            f.write_all(&rec)?;
        }
        f.flush()?;
    }
    let raw_secs = t.elapsed().as_secs_f64();
    let raw_bytes = std::fs::metadata(&raw_path)?.len();
    std::fs::remove_file(&raw_path)?;

    let path = dir.path().join("bench.srt");
    let opts = WriterOptions {
        zstd_level: a.level,
        data_zstd_level: a.data_level,
        block_events: a.block_events,
        block_payload_bytes: a.block_kib << 10,
        overwrite: true,
        ..WriterOptions::default()
    };
    // (seconds until the last write_record returned, until finish, stats)
    let write = || -> Result<(f64, f64, sysreplay_format::WriterStats), Failure> {
        let t = Instant::now();
        let mut w = TraceWriter::create(
            &path,
            &synth::header(&cfg),
            &synth::snapshot(&cfg),
            opts.clone(),
        )?;
        for (i, h) in ev.headers.iter().enumerate() {
            w.write_record(
                h,
                &ev.data[ev.offsets[i]..ev.offsets[i] + h.data_len as usize],
            )?;
        }
        let caller = t.elapsed().as_secs_f64();
        let stats = w.finish()?;
        Ok((caller, t.elapsed().as_secs_f64(), stats))
    };
    let read = |decompressors: Option<usize>| -> Result<f64, Failure> {
        let mut r = TraceReader::open(&path)?;
        if let Some(t) = decompressors {
            r.set_decode_threads(t)?;
        }
        let t = Instant::now();
        let mut count = 0u64;
        let mut sum = 0u64;
        r.for_each_event(|e| {
            count += 1;
            sum = sum.wrapping_add(e.ts_ns ^ e.args[0] ^ e.data.len() as u64);
            ControlFlow::Continue(())
        })?;
        std::hint::black_box(sum);
        if count != n {
            return Err(Failure::runtime(format!(
                "read back {count} events, wrote {n}"
            )));
        }
        Ok(t.elapsed().as_secs_f64())
    };
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    // One core: this thread and every thread it starts (the writer's
    // compressor, the reader's decompressor) share CPU 0.
    let runs = a.runs.max(1);
    // One step per timed pass, shown between passes (never inside one).
    let progress = std::cell::RefCell::new(Progress::new());
    let step = std::cell::Cell::new(0u64);
    let tick = || {
        step.set(step.get() + 1);
        progress
            .borrow_mut()
            .show("bench format (timed passes)", step.get(), 4 * runs as u64);
    };
    let best_write = || -> Result<(f64, f64, sysreplay_format::WriterStats), Failure> {
        tick();
        let mut best = write()?;
        for _ in 1..runs {
            tick();
            let w = write()?;
            if w.1 < best.1 {
                best = w;
            }
        }
        Ok(best)
    };
    let best_read = |d: Option<usize>| -> Result<f64, Failure> {
        (0..runs).try_fold(f64::INFINITY, |b, _| {
            tick();
            Ok(b.min(read(d)?))
        })
    };
    let pin = sysreplay_capture::affinity::Pinned::to_first_allowed();
    let pinned = pin.pinned();
    let (_, write1_secs, _) = best_write()?;
    let read1_secs = best_read(Some(1))?;
    drop(pin);
    // All cores, the defaults.
    let (caller_secs, write_secs, stats) = best_write()?;
    let read_secs = best_read(None)?;
    progress.borrow_mut().done();
    drop(ev);

    let rate = |secs: f64| n as f64 / secs;
    let file_bytes = stats.file_bytes;
    let v = serde_json::json!({
        "events": n,
        "runs": runs,
        "zstd_level": a.level,
        "data_zstd_level": a.data_level,
        "cores": cores,
        "pinned_to_one_core": pinned,
        "write_one_core_events_per_sec": rate(write1_secs),
        "write_caller_events_per_sec": rate(caller_secs),
        "write_events_per_sec": rate(write_secs),
        "raw_write_events_per_sec": rate(raw_secs),
        "read_one_core_events_per_sec": rate(read1_secs),
        "read_events_per_sec": rate(read_secs),
        "read_speedup_all_cores_vs_one": read1_secs / read_secs,
        "bytes_per_event": file_bytes as f64 / n as f64,
        "raw_bytes_per_event": raw_bytes as f64 / n as f64,
        "compression_ratio": raw_bytes as f64 / file_bytes as f64,
        "blocks": stats.blocks,
    });
    if a.json {
        println!("{v}");
        return Ok(());
    }
    let one = if pinned { "1 core " } else { "1 core?" };
    println!(
        "sysreplay bench format: {n} synthetic events (seed {}), zstd level {} (data column {}), {cores} cores, best of {runs}",
        a.seed, a.level, a.data_level
    );
    // label, value, unit and note, the labels padded to one column
    let rows = [
        (
            format!("write, {one}"),
            rate(write1_secs) / 1e6,
            "M events/s",
            "(writer pinned to one CPU)".to_string(),
        ),
        (
            format!("write, {cores} cores"),
            rate(write_secs) / 1e6,
            "M events/s",
            format!("(caller thread done at {:.2} M/s)", rate(caller_secs) / 1e6),
        ),
        (
            "raw records, no codec".to_string(),
            rate(raw_secs) / 1e6,
            "M events/s",
            "(BufWriter of 80-byte records + data)".to_string(),
        ),
        (
            format!("read+decode, {one}"),
            rate(read1_secs) / 1e6,
            "M events/s",
            String::new(),
        ),
        (
            format!("read+decode, {cores} cores"),
            rate(read_secs) / 1e6,
            "M events/s",
            format!("({:.2}x one core)", read1_secs / read_secs),
        ),
        (
            "on disk".to_string(),
            file_bytes as f64 / n as f64,
            "bytes/event",
            format!("({file_bytes} bytes, {} blocks)", stats.blocks),
        ),
        (
            "uncompressed records".to_string(),
            raw_bytes as f64 / n as f64,
            "bytes/event",
            format!("(compression {:.1}x)", raw_bytes as f64 / file_bytes as f64),
        ),
    ];
    for (label, value, unit, note) in rows {
        let line = format!("  {label:<24} {value:>8.2} {unit:<11} {note}");
        println!("{}", line.trim_end());
    }
    if !pinned {
        println!("  (could not pin to one CPU: the 1-core lines used every core)");
    }
    Ok(())
}

/// Events/s of one engine over `events`, best of `passes`.
fn engine_rate(
    engine: &mut Engine,
    events: &[OwnedEvent],
    header: &TraceHeader,
    snapshot: &ProcessSnapshot,
    passes: u32,
) -> (f64, u64) {
    let mut best = f64::INFINITY;
    let mut alerts = 0;
    for _ in 0..passes.max(1) {
        engine.start_trace(header, snapshot);
        let mut n = 0u64;
        let t = Instant::now();
        drive_events(
            engine,
            events.iter().map(OwnedEvent::as_event),
            &mut NoObserver,
            |_| {
                n += 1;
                ControlFlow::Continue(())
            },
        );
        best = best.min(t.elapsed().as_secs_f64());
        alerts = n;
    }
    (events.len() as f64 / best, alerts)
}

fn rules(a: RulesArgs) -> Result<(), Failure> {
    let ruleset =
        crate::cmd_eval::load_checked(&a.rules, false, &crate::cmd_eval::Selection::default())?;
    let (header, snapshot, events, source) = match &a.trace {
        Some(p) => {
            let r = crate::open_trace(p)?;
            let mut v = Vec::new();
            r.for_each_event(|e| {
                v.push(e.to_owned_event());
                ControlFlow::Continue(())
            })?;
            (
                r.header().clone(),
                r.snapshot().clone(),
                v,
                p.display().to_string(),
            )
        }
        None => {
            let (h, snap, v) = synth::in_memory(&SynthConfig::new(a.seed, a.events));
            let src = format!("synthetic trace ({} events, seed {})", a.events, a.seed);
            (h, snap, v, src)
        }
    };
    let n_rules = ruleset.enabled_rules().count();
    let mut engine = Engine::new(ruleset, RuleMatching::First);
    let (rate, alerts) = engine_rate(&mut engine, &events, &header, &snapshot, a.passes);
    let (thread_bytes, fd_bytes) = engine.state.memory_estimate();
    let (threads, fds) = (engine.state.threads.len(), engine.state.fd_count());
    let mut bare = Engine::new(sysreplay_ruleeval::load_rules_str(&[]), RuleMatching::First);
    let (state_rate, _) = engine_rate(&mut bare, &events, &header, &snapshot, a.passes);
    // Falco's documented capacity with its default rules, one CPU.
    const FALCO_EVENTS_PER_SEC: f64 = 250_000.0;
    let v = serde_json::json!({
        "source": source,
        "events": events.len(),
        "enabled_rules": n_rules,
        "alerts_per_pass": alerts,
        "events_per_sec": rate,
        "state_only_events_per_sec": state_rate,
        "rules_cost_ratio": state_rate / rate,
        "vs_falco_250k": rate / FALCO_EVENTS_PER_SEC,
        "threads": threads,
        "bytes_per_thread": thread_bytes / threads.max(1),
        "fds": fds,
        "bytes_per_fd": fd_bytes / fds.max(1),
    });
    if a.json {
        println!("{v}");
        return Ok(());
    }
    println!(
        "sysreplay bench rules: {} enabled rules over {source}, single thread, best of {}",
        n_rules, a.passes
    );
    println!(
        "  rules + state engine   {:>8.2} M events/s  ({alerts} alerts per pass)",
        rate / 1e6
    );
    println!(
        "  state engine alone     {:>8.2} M events/s  (rules cost {:.2}x)",
        state_rate / 1e6,
        state_rate / rate
    );
    println!(
        "  vs Falco's ~250K/s     {:>8.1}x",
        rate / FALCO_EVENTS_PER_SEC
    );
    println!(
        "  state at the end       {threads} threads (~{} B each), {fds} fds (~{} B each)",
        thread_bytes / threads.max(1),
        fd_bytes / fds.max(1)
    );
    Ok(())
}

/// The CPU model as the kernel reports it (benchmarks quote it).
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn replay(a: ReplayArgs) -> Result<(), Failure> {
    use sysreplay_replay::cost::CostModel;
    use sysreplay_replay::sim::{scan, simulate};
    use sysreplay_replay::whatif::selection;
    use sysreplay_replay::{drive_trace, SimConfig};

    let ruleset =
        crate::cmd_eval::load_checked(&a.rules, false, &crate::cmd_eval::Selection::default())?;
    let reader = crate::open_trace(&a.trace)?;
    // `sysreplay replay`'s defaults: Falco's default ring (preset 4) on
    // modern_ebpf, exit-only events, Falco's selection for these rules.
    let selected = selection(&ruleset, &[], false, false).numbers;
    let config = |cost: CostModel, profile: bool| SimConfig {
        cost,
        profile,
        ..SimConfig::falco_defaults(selected.clone())
    };
    let variants = [
        (
            "replay (counted model, the default)",
            CostModel::Counted { scale: 1.0 },
            false,
        ),
        ("replay --profile", CostModel::Counted { scale: 1.0 }, true),
        (
            "replay --cost measured",
            CostModel::Measured { scale: 1.0 },
            false,
        ),
        (
            "replay --cost measured --profile",
            CostModel::Measured { scale: 1.0 },
            true,
        ),
    ];
    let configs: Vec<SimConfig> = variants
        .iter()
        .map(|(_, c, p)| config(c.clone(), *p))
        .collect();
    // Every variant paces at max: one scan (the block index) serves all.
    let sc = scan(&reader, &configs[0])?;
    let rounds = a.rounds.max(1) as usize;
    let mut times = vec![Vec::with_capacity(rounds); variants.len() + 1];
    let mut alerts = (0u64, 0u64);
    let total = (rounds * (variants.len() + 1)) as u64;
    let mut progress = Progress::new();
    let mut done = 0u64;
    for _ in 0..rounds {
        // eval's loop: the engine over every record, alerts counted.
        let t = Instant::now();
        let mut engine = Engine::new(ruleset.clone(), RuleMatching::First);
        let mut n = 0u64;
        drive_trace(&reader, &mut engine, &mut NoObserver, |_| {
            n += 1;
            ControlFlow::Continue(())
        })?;
        times[0].push(t.elapsed().as_secs_f64());
        alerts.0 = n;
        done += 1;
        progress.show("bench replay (runs)", done, total);
        for (i, c) in configs.iter().enumerate() {
            let t = Instant::now();
            let r = simulate(&reader, &ruleset, c, &sc, |_| {})?;
            times[i + 1].push(t.elapsed().as_secs_f64());
            alerts.1 = r.consumer.alerts;
            done += 1;
            progress.show("bench replay (runs)", done, total);
        }
    }
    progress.done();
    let medians: Vec<f64> = times.iter_mut().map(|v| median(v)).collect();
    let eval = medians[0];
    let cpu = cpu_model();
    let records = reader.event_count();
    if a.json {
        let v = serde_json::json!({
            "trace": a.trace.display().to_string(),
            "records": records,
            "cpu_model": cpu,
            "rounds": rounds,
            "eval_s": eval,
            "eval_alerts": alerts.0,
            "replay_alerts": alerts.1,
            "variants": variants.iter().zip(&medians[1..]).map(|((name, _, _), m)| serde_json::json!({
                "name": name,
                "seconds": m,
                "overhead_perc": 100.0 * (m / eval - 1.0),
            })).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(());
    }
    println!(
        "sysreplay bench replay: {} ({records} records), {} enabled rules, {cpu}",
        a.trace.display(),
        ruleset.enabled_rules().count()
    );
    println!("  medians of {rounds} rounds, each running every line once, in turn:");
    println!(
        "  {:<38} {:>9.1} ms  ({} alerts)",
        "eval's engine loop",
        eval * 1e3,
        alerts.0
    );
    for ((name, _, _), m) in variants.iter().zip(&medians[1..]) {
        println!(
            "  {:<38} {:>9.1} ms  {:>+6.1}% over eval",
            name,
            m * 1e3,
            100.0 * (m / eval - 1.0)
        );
    }
    Ok(())
}
