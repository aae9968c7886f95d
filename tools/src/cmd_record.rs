//! `sysreplay record -w FILE ...`: record syscalls with the eBPF probe.
//! The options, messages and exit codes are here; the recording itself is
//! `sysreplay_capture` (a plain-Rust API: `RecordOptions` in, a
//! `RecordSummary` out).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use sysreplay_capture::bench::{BenchOptions, BenchReport};
use sysreplay_capture::recorder::{
    check_buf_size, record_with, DrainSched, FollowSpec, Notice, RecordOptions, RecordSummary,
    Rotation, StopReason, BUF_SIZE_PRESETS, DEFAULT_BUF_SIZE_PRESET, DEFAULT_CPUS_FOR_EACH_BUFFER,
};
use sysreplay_capture::selection::for_record;
use sysreplay_format::timefmt::parse_duration;
use sysreplay_format::WriterOptions;

use crate::cmd_eval::{load_checked, Selection};
use crate::Failure;

/// The notice when `--all` selects nothing more: it is easily read as
/// "record everything", which is `--syscalls all`.
fn all_changes_nothing() -> &'static str {
    "sysreplay: note: --all changes nothing here: like Falco's base_syscalls.all it only keeps the read/write-class I/O syscalls that --rules need; to record every syscall, use --syscalls all"
}

/// What `record` records of a selection, after Falco's lines: the x86_64
/// syscalls (the count `record` reports), and the names of Falco's final
/// set that select no syscall of their own, with why (`sched_process_exit`
/// is a scheduler event; `umount` is x86_64's `umount2`).
fn recorded_lines(sel: &sysreplay_capture::selection::Selection) -> Vec<String> {
    use sysreplay_syscalls::sets::x86_64_number;
    // each recorded number, under the kernel's name when the set has it
    let mut by_nr: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
    let mut no_syscall = Vec::new();
    for n in &sel.final_set {
        match x86_64_number(n) {
            Some(nr) => by_nr.entry(nr).or_default().push(n),
            None if n == "sched_process_exit" => no_syscall.push(format!(
                "{n} (a scheduler event, not a syscall: process exits are always recorded)"
            )),
            None => no_syscall.push(format!("{n} (no x86_64 syscall has this name)")),
        }
    }
    let mut recorded = Vec::new();
    for (nr, names) in &by_nr {
        let kernel = sysreplay_syscalls::name(*nr);
        let shown = names
            .iter()
            .copied()
            .find(|n| Some(*n) == kernel)
            .unwrap_or(names[0]);
        recorded.push(shown);
        for other in names.iter().filter(|n| **n != shown) {
            no_syscall.push(format!("{other} (the same x86_64 syscall as {shown})"));
        }
    }
    recorded.sort_unstable();
    let mut lines = vec![format!(
        "({}) x86_64 syscalls recorded: {}",
        recorded.len(),
        recorded.join(", ")
    )];
    if !no_syscall.is_empty() {
        lines.push(format!(
            "({}) names of the final set that record nothing of their own: {}",
            no_syscall.len(),
            no_syscall.join(", ")
        ));
    }
    lines
}

#[derive(clap::Args)]
pub struct Args {
    /// Record the syscalls these Falco rules files need, plus Falco's state set (or the repair set with --repair)
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Rule selection for --rules
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub config: crate::falco_config::ConfigArgs,
    /// Trace file to write (mode 0600)
    #[arg(short = 'w', long = "write", value_name = "FILE", required_unless_present_any = ["dry_run", "bench"])]
    pub write: Option<PathBuf>,
    /// Replace FILE (and --stats-json FILE) if it exists: a new file is renamed over it (never a symlink or a non-regular file)
    #[arg(long)]
    pub force: bool,
    /// Stop after this long (e.g. 30s, 5m)
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after writing this many events
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Custom syscall set, comma-separated; `!name` removes (Falco's base_syscalls.custom_set); `all` = every syscall
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub syscalls: Vec<String>,
    /// Record only the rule syscalls plus the minimal state set Falco's repair adds
    #[arg(long)]
    pub repair: bool,
    /// NOT "record every syscall" (that is `--syscalls all`): Falco's base_syscalls.all, which keeps the read/write-class I/O syscalls that --rules need and Falco would otherwise drop (names given to --syscalls are kept anyway)
    #[arg(long)]
    pub all: bool,
    /// Print on stdout the selected syscalls (Falco's dry-run lines) and the x86_64 syscalls `record` records, and exit
    #[arg(long)]
    pub dry_run: bool,
    /// Ring buffer size preset 1..10 (1,2,4,8,16,32,64,128,256,512 MB; Falco's table)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub buf_size_preset: Option<u8>,
    /// Ring buffer size in bytes (a power of two number of pages); overrides the preset
    #[arg(long, value_name = "BYTES")]
    pub buf_size: Option<u64>,
    /// CPUs sharing one ring buffer (Falco's cpus_for_each_buffer; default 2)
    #[arg(long)]
    pub cpus_for_each_buffer: Option<u32>,
    /// Bytes of read/write buffers captured (max 4096)
    #[arg(long, default_value_t = 80)]
    pub snaplen: u32,
    /// Also capture environment variables (exec records and the /proc snapshot)
    #[arg(long)]
    pub capture_env: bool,
    /// Print live stats on stderr this often (e.g. 1s)
    #[arg(long, value_parser = parse_duration)]
    pub stats_interval: Option<Duration>,
    /// Write each stats sample as one JSON line to FILE (mode 0600; created exclusively, --force replaces it)
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    /// Rotate: start a new file when the current one reaches this many MB (files FILE, FILE1, FILE2, ...)
    #[arg(short = 'C', long = "file-size", value_name = "MB")]
    pub file_size_mb: Option<u64>,
    /// Rotate: start a new file every this many seconds
    #[arg(short = 'G', long = "seconds", value_name = "SECONDS")]
    pub rotate_seconds: Option<u64>,
    /// Rotate: keep at most this many files, deleting the oldest
    #[arg(short = 'W', long = "limit", value_name = "N")]
    pub keep_files: Option<u32>,
    /// How often the ring buffers are drained
    #[arg(long, value_parser = parse_duration, default_value = "10ms")]
    pub drain_interval: Duration,
    /// Stop cleanly (complete file) when the output's file system has less than this many MB free
    #[arg(long, value_name = "MB", default_value_t = 32)]
    pub min_free_mb: u64,
    /// zstd level of the trace's fixed columns (the variable-data column keeps the writer's own)
    #[arg(long, default_value_t = WriterOptions::default().zstd_level)]
    pub zstd_level: i32,
    /// Run the recorder at this nice value (-20..19; below 0 needs root or CAP_SYS_NICE): every recorder thread inherits it
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,
    /// The drain thread's scheduling: `fifo` (default: SCHED_FIFO priority 1, ahead of ordinary threads, so a busy CPU does not delay it; needs CAP_SYS_NICE, else a warning), `fifo:N` (priority N, 1..99) or `other` (SCHED_OTHER at --nice like the other threads)
    #[arg(long, value_name = "POLICY", default_value = "fifo", value_parser = parse_sched)]
    pub sched: DrainSched,
    /// Record only this process (all its threads); with --follow-children also its descendants
    #[arg(long, value_name = "PID", conflicts_with = "command")]
    pub pid: Option<u32>,
    /// With --pid: also record its descendants, those alive now and those it forks
    #[arg(long, requires = "pid")]
    pub follow_children: bool,
    /// Run COMMAND (after `--`) and record only it and its descendants; stop when it exits
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Measure the probe: syscall storm on one CPU, recorder on another; print ns per event (SECONDS)
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "10")]
    pub bench: Option<u64>,
    /// With --bench: measure drops under contention instead: the storm paced at --bench-rate on the last CPU, an unrelated CPU spinner (no syscalls) sharing CPU 0 with the recorder
    #[arg(long, requires = "bench")]
    pub bench_contention: bool,
    /// With --bench-contention: the storm's rate, getppid calls (recorded events) per second
    #[arg(
        long,
        value_name = "EVENTS_PER_SEC",
        default_value_t = 1_000_000,
        requires = "bench_contention"
    )]
    pub bench_rate: u64,
}

/// `--sched`: `other`, `fifo` or `fifo:N`.
fn parse_sched(s: &str) -> Result<DrainSched, String> {
    match s {
        "other" => Ok(DrainSched::Other),
        "fifo" => Ok(DrainSched::Fifo(1)),
        _ => match s.strip_prefix("fifo:").map(str::parse::<i32>) {
            Some(Ok(p)) if (1..=99).contains(&p) => Ok(DrainSched::Fifo(p)),
            _ => Err(format!(
                "{s:?}: expected other, fifo or fifo:N with N in 1..99"
            )),
        },
    }
}

/// `mb` MiB in bytes, or an input error naming `option` when that does not
/// fit in 64 bits.
fn mb_to_bytes(option: &str, mb: u64) -> Result<u64, Failure> {
    mb.checked_mul(1 << 20).ok_or_else(|| {
        Failure::input(format!(
            "{option} {mb}: too large (at most {} MB)",
            u64::MAX >> 20
        ))
    })
}

/// Fill what the command line left open from `-c falco.yaml` / `-o`: the
/// rules whose syscalls to record, `base_syscalls` and the ring settings.
fn apply_config(a: &mut Args) -> Result<(), Failure> {
    let Some(c) = crate::falco_config::FalcoConfig::load(&a.config)? else {
        return Ok(());
    };
    c.report_ignored(
        "record",
        &[
            "rules_files",
            "rules_file",
            "priority",
            "base_syscalls",
            "engine",
            "syscall_buf_size_preset",
            "modern_bpf",
        ],
    );
    a.rules = c.rules_or(&a.rules);
    a.selection.min_priority = a.selection.min_priority.take().or(c.priority.clone());
    if a.syscalls.is_empty() {
        a.syscalls = c.base_custom_set.clone();
    }
    a.repair |= c.base_repair.unwrap_or(false);
    a.all |= c.base_all.unwrap_or(false);
    if a.buf_size.is_none() {
        a.buf_size_preset = a.buf_size_preset.or(c.buf_size_preset.map(|p| p as u8));
    }
    a.cpus_for_each_buffer = a
        .cpus_for_each_buffer
        .or(c.cpus_for_each_buffer.map(|n| n as u32));
    Ok(())
}

pub fn run(mut a: Args) -> Result<(), Failure> {
    apply_config(&mut a)?;
    let cpus_for_each_buffer = a
        .cpus_for_each_buffer
        .unwrap_or(DEFAULT_CPUS_FOR_EACH_BUFFER);
    let mut rule_syscalls = BTreeSet::new();
    if !a.rules.is_empty() {
        let rs = load_checked(&a.rules, false, &a.selection)?;
        rule_syscalls = rs.rule_syscalls();
    }
    let sel =
        for_record(rule_syscalls.clone(), &a.syscalls, a.repair, a.all).map_err(Failure::input)?;
    if a.all {
        let without =
            for_record(rule_syscalls, &a.syscalls, a.repair, false).map_err(Failure::input)?;
        if without.numbers == sel.numbers {
            eprintln!("{}", all_changes_nothing());
        }
    }
    if a.dry_run {
        let mut out = std::io::stdout().lock();
        for l in sel.lines().iter().chain(&recorded_lines(&sel)) {
            writeln!(out, "{l}")?;
        }
        return Ok(());
    }
    let buf_size = match (a.buf_size, a.buf_size_preset) {
        (Some(b), _) => check_buf_size(b).map_err(|e| Failure::input(e.what))?,
        (None, Some(p)) => BUF_SIZE_PRESETS[p as usize - 1] as u32,
        (None, None) => BUF_SIZE_PRESETS[DEFAULT_BUF_SIZE_PRESET - 1] as u32,
    };
    if cpus_for_each_buffer == 0 {
        return Err(Failure::input("--cpus-for-each-buffer must be at least 1"));
    }
    if a.snaplen > 4096 {
        return Err(Failure::input("--snaplen is at most 4096"));
    }
    // MB to bytes without wrapping: `<< 20` dropped the high bits, so a huge
    // --min-free-mb became a small floor (or 0) and disabled the disk guard
    let min_free_bytes = mb_to_bytes("--min-free-mb", a.min_free_mb)?;
    let file_size_bytes = a
        .file_size_mb
        .map(|m| mb_to_bytes("-C/--file-size", m.max(1)))
        .transpose()?;
    if let Some(secs) = a.bench {
        let bo = BenchOptions {
            seconds: secs.max(1),
            buf_size,
            cpus_for_each_buffer,
            output: a.write.clone(),
            nice: a.nice,
            sched: a.sched,
        };
        if a.bench_contention {
            if a.bench_rate == 0 {
                return Err(Failure::input("--bench-rate must be at least 1"));
            }
            let r =
                sysreplay_capture::bench::contention(&bo, a.bench_rate).map_err(record_failure)?;
            print_contention(&r, buf_size, cpus_for_each_buffer);
            return Ok(());
        }
        let report = sysreplay_capture::bench::run(&bo).map_err(record_failure)?;
        print_bench(&report, buf_size, cpus_for_each_buffer);
        return Ok(());
    }
    let output = a.write.clone().expect("clap requires -w");
    let mut notes = vec![(
        "syscall_names".to_string(),
        sel.final_set.iter().cloned().collect::<Vec<_>>().join(","),
    )];
    if a.repair {
        notes.push(("repair".into(), "true".into()));
    }
    let opts = RecordOptions {
        output,
        force: a.force,
        syscalls: sel.numbers.clone(),
        buf_size,
        cpus_for_each_buffer,
        snaplen: a.snaplen,
        capture_env: a.capture_env,
        duration: a.duration,
        max_events: a.max_events,
        drain_interval: a.drain_interval.max(Duration::from_millis(1)),
        stats_interval: a
            .stats_interval
            .or(a.stats_json.as_ref().map(|_| Duration::from_secs(1))),
        stats_json: a.stats_json.clone(),
        rotation: Rotation {
            size_bytes: file_size_bytes,
            every: a.rotate_seconds.map(|s| Duration::from_secs(s.max(1))),
            keep: a.keep_files,
        },
        zstd_level: a.zstd_level,
        min_free_bytes,
        notes,
        nice: a.nice,
        sched: a.sched,
        follow: match (a.pid, a.command.is_empty()) {
            (Some(pid), _) => Some(FollowSpec::Pid {
                pid,
                children: a.follow_children,
            }),
            (None, false) => Some(FollowSpec::Command(a.command.clone())),
            (None, true) => None,
        },
    };
    if opts.rotation.keep.is_some() && !opts.rotation.enabled() {
        return Err(Failure::input("-W needs -C or -G"));
    }
    let stop = sysreplay_capture::stop_on_signals();
    // the one-line live status: on a terminal, unless --stats-interval
    // prints its own lines
    let live = std::io::stderr().is_terminal() && opts.stats_interval.is_none();
    let mut status = LiveStatus::default();
    let until = match (a.duration, a.max_events, a.command.is_empty()) {
        (Some(d), _, _) => format!(
            ", or it stops by itself after {}",
            sysreplay_format::timefmt::duration(d.as_nanos() as u64)
        ),
        (None, Some(n), _) => format!(", or it stops by itself after {n} events"),
        (None, None, false) => ", or it stops when the command exits".to_string(),
        (None, None, true) => String::new(),
    };
    let r = record_with(&opts, stop, &mut |n| {
        match n {
        Notice::Recording {
            path,
            syscalls,
            rings,
            buf_size,
            cpus,
        } => eprintln!(
            "recording to {} ({syscalls} syscalls, {rings} ring buffers of {buf_size} bytes for {cpus} CPUs)",
            path.display()
        ),
        Notice::Progress(p) => {
            if !status.told_how_to_stop {
                status.told_how_to_stop = true;
                eprintln!(
                    "stop with Ctrl-C (or SIGTERM/SIGHUP to pid {}){until}; the file is then completed",
                    std::process::id()
                );
            }
            if live {
                eprint_status(&status.line(&p));
            }
        }
        Notice::Stats(m) => eprintln!("{}", stats_line(m)),
        Notice::Warning(w) => {
            status.clear(live);
            eprintln!("warning: {w}");
        }
        Notice::RotationResumed(path) => {
            status.clear(live);
            eprintln!("rotation resumed: recording into {}", path.display());
        }
    }
    });
    if live && status.shown {
        eprint_status("");
    }
    let s = r.map_err(record_failure)?;
    print_summary(&s)
}

/// The live status line's state: events/s since the previous report.
#[derive(Default)]
struct LiveStatus {
    told_how_to_stop: bool,
    shown: bool,
    prev: Option<sysreplay_capture::recorder::Progress>,
}

impl LiveStatus {
    /// Clear the status line before a line of its own (the next report
    /// shows it again).
    fn clear(&mut self, live: bool) {
        if live && self.shown {
            eprint_status("");
        }
    }

    /// `recording 12.0s: 250.3k events/s, 1.2M events, 0 drops, 3.4 MB`.
    fn line(&mut self, p: &sysreplay_capture::recorder::Progress) -> String {
        let rate = match self.prev {
            Some(q) if p.elapsed > q.elapsed => {
                (p.kernel_events - q.kernel_events.min(p.kernel_events)) as f64
                    / (p.elapsed - q.elapsed).as_secs_f64()
            }
            _ => 0.0,
        };
        self.prev = Some(*p);
        self.shown = true;
        format!(
            "recording {:.0}s: {} events/s, {} events written, {} drops, {}",
            p.elapsed.as_secs_f64(),
            crate::cmd_replay::human(rate),
            crate::cmd_replay::human(p.events_written as f64),
            p.kernel_drops,
            bytes(p.file_bytes)
        )
    }
}

/// A `--stats-interval` sample as one stderr line: the main Falco metrics,
/// the non-zero drop categories, the per-CPU rates.
fn stats_line(m: &[(String, serde_json::Value)]) -> String {
    let mut line = String::from("stats:");
    for (k, v) in m {
        let show = matches!(
            k.as_str(),
            "scap.evts_rate_sec"
                | "scap.n_evts"
                | "scap.n_drops"
                | "scap.n_drops_perc"
                | "sysreplay.bytes_written"
                | "sysreplay.compression_ratio"
                | "sysreplay.recorder_cpu_perc"
        ) || k.starts_with("scap.evts_rate_sec_cpu_")
            || (k.starts_with("scap.n_drops_buffer_")
                && k != "scap.n_drops_buffer_total"
                && v.as_u64() != Some(0));
        if show {
            line.push_str(&format!(" {k}={v}"));
        }
    }
    line
}

/// Rewrite the terminal's current line with `line` (empty: clear it).
fn eprint_status(line: &str) {
    let mut e = std::io::stderr().lock();
    // a closed or failing terminal only loses the status line
    let _ = write!(e, "\r\x1b[K{line}");
    let _ = e.flush();
}

/// `512 B`, `3.4 MB` (MB = 2^20 bytes, as -C counts them).
fn bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// The final lines of a recording; a disk-full or write error stop is a
/// runtime failure.
fn print_summary(s: &RecordSummary) -> Result<(), Failure> {
    let files: Vec<String> = s.files.iter().map(|p| p.display().to_string()).collect();
    // the compression ratio only means something for a complete recording
    let ratio = if s.file_bytes > 0 && s.record_bytes > 0 && s.not_written == 0 {
        format!(
            ", {:.1}x compression",
            s.record_bytes as f64 / s.file_bytes as f64
        )
    } else {
        String::new()
    };
    let mut unaccounted = String::new();
    if s.unread > 0 {
        unaccounted.push_str(&format!(
            "; {} records staged on a CPU could not be read (drop markers count them)",
            s.unread
        ));
    }
    if s.skipped > 0 {
        unaccounted.push_str(&format!(
            "; {} events of processes not followed left out by the probe",
            s.skipped
        ));
    }
    if s.not_written > 0 {
        unaccounted.push_str(&format!(
            "; {} records could not be written{}",
            s.not_written,
            if s.not_written_marked {
                " (a drop marker at the end of the file counts them)"
            } else {
                " (no room was left for a drop marker counting them)"
            }
        ));
    }
    eprintln!(
        "recorded {} events ({} drop markers, {} events lost in the kernel of {} seen{}) in {:.1}s into {} ({} bytes{}), recorder CPU {:.1}%",
        s.events_written,
        s.drop_markers,
        s.kernel.n_drops,
        s.kernel.n_evts,
        unaccounted,
        s.wall_seconds,
        files.join(", "),
        s.file_bytes,
        ratio,
        100.0 * s.cpu_seconds / s.wall_seconds.max(1e-9),
    );
    if let StopReason::Exited(m) = &s.stop {
        eprintln!("recording stopped: {m}");
    }
    match &s.stop {
        StopReason::DiskFull(m) => Err(Failure::runtime(format!(
            "disk full: {m}; the trace {} is readable up to the last event written",
            files.last().cloned().unwrap_or_default()
        ))),
        StopReason::WriteError(m) => Err(Failure::runtime(m)),
        _ => Ok(()),
    }
}

/// `record --bench`'s report, on stdout.
fn print_bench(b: &BenchReport, buf_size: u32, cpus_for_each_buffer: u32) {
    let per_call_ns = |rate: f64| if rate > 0.0 { 1e9 / rate } else { 0.0 };
    let base = b.no_probe_calls_per_sec;
    let r = &b.throughput;
    println!(
        "bench: syscall storm (getppid) on the last CPU, recorder pinned to CPU 0, ring {buf_size} bytes, cpus_for_each_buffer {cpus_for_each_buffer}"
    );
    println!(
        "no probe:                       {base:.0} getppid per CPU-second ({:.0} ns per call)",
        per_call_ns(base)
    );
    println!(
        "probe, syscall not selected:    sys_exit program {:.1} ns per call (bpf_stats, {} calls)",
        b.not_selected.exit_ns_per_call, b.not_selected.exit_run_cnt
    );
    println!(
        "probe, syscall recorded:        sys_exit program {:.1} ns per call (bpf_stats, {} calls; no enter program runs for it)",
        b.recorded.exit_ns_per_call, b.recorded.exit_run_cnt
    );
    println!(
        "throughput (bpf_stats off):     {:.0} getppid per CPU-second ({:.0} ns per call, +{:.0} ns over no probe)",
        r.storm_calls_per_sec,
        per_call_ns(r.storm_calls_per_sec),
        per_call_ns(r.storm_calls_per_sec) - per_call_ns(base)
    );
    let pct = |a: u64, b: u64| {
        if b > 0 {
            100.0 * a as f64 / b as f64
        } else {
            0.0
        }
    };
    println!(
        "recorded {} events in {:.1}s ({:.0}/s), kernel seen {} lost {} ({:.3}%)",
        r.events,
        r.seconds,
        r.events_per_sec,
        r.kernel_seen,
        r.kernel_lost,
        pct(r.kernel_lost, r.kernel_seen)
    );
    println!(
        "recorder CPU {:.1}% of one core; trace {} bytes for {} bytes of records ({:.1}x)",
        r.recorder_cpu_perc,
        r.file_bytes,
        r.record_bytes,
        if r.file_bytes > 0 {
            r.record_bytes as f64 / r.file_bytes as f64
        } else {
            0.0
        }
    );
}

/// `record --bench --bench-contention`'s report, on stdout.
fn print_contention(
    r: &sysreplay_capture::bench::ContentionResult,
    buf_size: u32,
    cpus_for_each_buffer: u32,
) {
    println!(
        "bench contention: getppid storm paced at {} /s on the last CPU; a CPU spinner and the recorder pinned to CPU 0; ring {buf_size} bytes, cpus_for_each_buffer {cpus_for_each_buffer}; recorder scheduling {}",
        r.target_rate, r.recorder_policy
    );
    println!(
        "storm {:.0} calls/s; spinner {:.0}% of a core; recorder {:.1}% of a core",
        r.storm_rate, r.spinner_cpu_perc, r.recorder_cpu_perc
    );
    let pct = if r.kernel_seen > 0 {
        100.0 * r.kernel_lost as f64 / r.kernel_seen as f64
    } else {
        0.0
    };
    println!(
        "recorded {} events in {:.1}s, kernel seen {} lost {} ({pct:.3}%) in {} drop markers",
        r.events, r.seconds, r.kernel_seen, r.kernel_lost, r.drop_markers
    );
    println!(
        "drain thread: longest gap between passes {:.1} ms, longest pass {:.1} ms",
        r.max_drain_gap.as_secs_f64() * 1e3,
        r.max_drain_pass.as_secs_f64() * 1e3
    );
}

/// A recorder error with the exit code of its I/O kind (an existing output
/// without --force, a missing directory: bad input), else a runtime failure.
fn record_failure(e: sysreplay_capture::RecordError) -> Failure {
    Failure {
        code: e.kind.map_or(1, crate::io_exit_code),
        msg: e.what,
    }
}

#[cfg(test)]
mod tests {
    use super::stats_line;

    #[test]
    fn stats_line_shows_the_main_metrics_and_nonzero_drop_categories() {
        let m: Vec<(String, serde_json::Value)> = [
            ("scap.n_evts", 1200u64),
            ("scap.n_drops", 3),
            ("scap.n_drops_buffer_total", 3),
            ("scap.n_drops_buffer_clone_fork_exit", 0),
            ("scap.n_drops_buffer_open_exit", 3),
            ("scap.evts_rate_sec_cpu_1", 40),
            ("scap.n_retrieved_evts", 1197),
            ("sysreplay.bytes_written", 4096),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
        assert_eq!(
            stats_line(&m),
            "stats: scap.n_evts=1200 scap.n_drops=3 scap.n_drops_buffer_open_exit=3 \
             scap.evts_rate_sec_cpu_1=40 sysreplay.bytes_written=4096"
        );
    }
}
