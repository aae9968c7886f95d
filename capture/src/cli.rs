//! `record` command-line options and their execution, shared by
//! `sysreplay record` (tools/src/cmd_record.rs) and `sysreplay-record`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::recorder::{
    check_buf_size, record, FollowSpec, RecordOptions, Rotation, StopReason, BUF_SIZE_PRESETS,
    DEFAULT_BUF_SIZE_PRESET, DEFAULT_CPUS_FOR_EACH_BUFFER,
};
use crate::selection::for_record;

/// Parse "30s", "250ms", "5m", "1h", "2us" or plain seconds ("1.5").
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ns") {
        (n, 1e-9)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (like 30s, 250ms, 5m)"))?;
    if v.is_nan() || v < 0.0 || !v.is_finite() {
        return Err(format!("`{s}` is not a valid duration"));
    }
    Ok(Duration::from_secs_f64(v * mult))
}

/// Options of `sysreplay record`.
#[derive(clap::Args, Debug, Clone)]
pub struct RecordArgs {
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
    /// Keep the read/write-class I/O syscalls Falco ignores by default (base_syscalls.all)
    #[arg(long)]
    pub all: bool,
    /// Print the selected syscalls (Falco's dry-run lines) and exit
    #[arg(long)]
    pub dry_run: bool,
    /// Ring buffer size preset 1..10 (1,2,4,8,16,32,64,128,256,512 MB; Falco's table)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub buf_size_preset: Option<u8>,
    /// Ring buffer size in bytes (a power of two number of pages); overrides the preset
    #[arg(long, value_name = "BYTES")]
    pub buf_size: Option<u64>,
    /// CPUs sharing one ring buffer (Falco's cpus_for_each_buffer)
    #[arg(long, default_value_t = DEFAULT_CPUS_FOR_EACH_BUFFER)]
    pub cpus_for_each_buffer: u32,
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
    /// Rotate: start a new file when the current one reaches this many MB (files FILE0, FILE1, ...)
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
    /// zstd level of the trace blocks
    #[arg(long, default_value_t = 1)]
    pub zstd_level: i32,
    /// Run the recorder at this nice value (-20..19; below 0 needs root or CAP_SYS_NICE): every recorder thread inherits it
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,
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
}

/// A failed run: exit code and message.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub msg: String,
}

impl CliError {
    fn input(m: impl Into<String>) -> Self {
        CliError {
            code: 2,
            msg: m.into(),
        }
    }
    fn runtime(m: impl Into<String>) -> Self {
        CliError {
            code: 1,
            msg: m.into(),
        }
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) set the
/// stop flag: the recording then ends cleanly, with its index.
pub fn install_signal_handlers() -> &'static AtomicBool {
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

/// `mb` MiB in bytes, or an input error naming `option` when that does not
/// fit in 64 bits.
fn mb_to_bytes(option: &str, mb: u64) -> Result<u64, CliError> {
    mb.checked_mul(1 << 20).ok_or_else(|| {
        CliError::input(format!(
            "{option} {mb}: too large (at most {} MB)",
            u64::MAX >> 20
        ))
    })
}

/// Run `record` with `rule_syscalls` (names needed by loaded rules, if any).
pub fn run(a: &RecordArgs, rule_syscalls: BTreeSet<String>) -> Result<(), CliError> {
    let sel = for_record(rule_syscalls, &a.syscalls, a.repair, a.all).map_err(CliError::input)?;
    if a.dry_run {
        for l in sel.lines() {
            eprintln!("{l}");
        }
        return Ok(());
    }
    let buf_size = match (a.buf_size, a.buf_size_preset) {
        (Some(b), _) => check_buf_size(b).map_err(|e| CliError::input(e.what))?,
        (None, Some(p)) => BUF_SIZE_PRESETS[p as usize - 1] as u32,
        (None, None) => BUF_SIZE_PRESETS[DEFAULT_BUF_SIZE_PRESET - 1] as u32,
    };
    if a.cpus_for_each_buffer == 0 {
        return Err(CliError::input("--cpus-for-each-buffer must be at least 1"));
    }
    if a.snaplen > 4096 {
        return Err(CliError::input("--snaplen is at most 4096"));
    }
    // MB to bytes without wrapping: `<< 20` dropped the high bits, so a huge
    // --min-free-mb became a small floor (or 0) and disabled the disk guard
    let min_free_bytes = mb_to_bytes("--min-free-mb", a.min_free_mb)?;
    let file_size_bytes = a
        .file_size_mb
        .map(|m| mb_to_bytes("-C/--file-size", m.max(1)))
        .transpose()?;
    if let Some(secs) = a.bench {
        return crate::bench::run(&crate::bench::BenchOptions {
            seconds: secs.max(1),
            buf_size,
            cpus_for_each_buffer: a.cpus_for_each_buffer,
            output: a.write.clone(),
        })
        .map_err(|e| CliError::runtime(e.what));
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
        output: output.clone(),
        force: a.force,
        syscalls: sel.numbers.clone(),
        buf_size,
        cpus_for_each_buffer: a.cpus_for_each_buffer,
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
        return Err(CliError::input("-W needs -C or -G"));
    }
    let stop = install_signal_handlers();
    let s = record(&opts, stop).map_err(|e| CliError::runtime(e.what))?;
    let files: Vec<String> = s.files.iter().map(|p| p.display().to_string()).collect();
    // the compression ratio only means something for a complete recording
    let ratio = if s.file_bytes > 0 && s.not_written == 0 {
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
            "; {} records of processes not followed left out",
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
    match s.stop {
        StopReason::DiskFull(m) => Err(CliError::runtime(format!(
            "disk full: {m}; the trace {} is readable up to the last event written",
            files.last().cloned().unwrap_or_default()
        ))),
        StopReason::WriteError(m) => Err(CliError::runtime(m)),
        _ => Ok(()),
    }
}
