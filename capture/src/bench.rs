//! `--bench`: the probe's cost per recorded syscall and the recorder's
//! throughput. A child process hammers one cheap syscall (getppid) on the
//! last CPU while the recorder runs pinned to CPU 0; kernel.bpf_stats_enabled
//! gives run_time_ns / run_cnt per program.
//!
//! `--bench-contention`: the same storm paced at a target rate, and an
//! unrelated CPU spinner (no syscalls) sharing CPU 0 with the recorder; the
//! drops are what counts.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::recorder::{record, DrainSched, RecordOptions};
use crate::RecordError;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub seconds: u64,
    pub buf_size: u32,
    pub cpus_for_each_buffer: u32,
    /// Where to write the trace (a temp file when None; removed afterwards).
    pub output: Option<PathBuf>,
    /// The recorder's nice value (None: the caller's).
    pub nice: Option<i32>,
    /// The drain thread's scheduling policy.
    pub sched: DrainSched,
}

/// Results of one bench run.
#[derive(Debug, Clone, Default)]
pub struct BenchResult {
    /// getppid calls per CPU second of the storm process.
    pub storm_calls_per_sec: f64,
    pub seconds: f64,
    pub events: u64,
    pub events_per_sec: f64,
    pub kernel_seen: u64,
    pub kernel_lost: u64,
    pub exit_ns_per_call: f64,
    pub exit_run_cnt: u64,
    pub recorder_cpu_perc: f64,
    pub file_bytes: u64,
    pub record_bytes: u64,
}

fn ncpu() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

struct StatsEnabled(Option<String>);
impl StatsEnabled {
    fn on() -> Self {
        let p = "/proc/sys/kernel/bpf_stats_enabled";
        let old = std::fs::read_to_string(p).ok();
        let _ = std::fs::write(p, "1");
        StatsEnabled(old)
    }
}
impl Drop for StatsEnabled {
    fn drop(&mut self) {
        if let Some(o) = &self.0 {
            let _ = std::fs::write("/proc/sys/kernel/bpf_stats_enabled", o.trim());
        }
    }
}

/// A storm child process: getppid in a loop on one CPU, counting its calls
/// in a shared page.
struct Storm {
    /// Some until dropped: reaped before the page it writes is unmapped.
    child: Option<PinnedChild>,
    counter: *mut u64,
}

/// CLOCK_MONOTONIC in ns, through the vDSO (no syscall).
fn mono_ns() -> u64 {
    crate::clock_ns(libc::CLOCK_MONOTONIC)
}

impl Storm {
    fn start(cpu: usize) -> Result<Storm, RecordError> {
        Storm::start_paced(cpu, None)
    }

    /// A storm child; with `rate`, getppid calls are paced to that many
    /// per second (busy-waiting on the vDSO clock between bursts, so its CPU
    /// stays saturated and the only syscalls are the storm's).
    fn start_paced(cpu: usize, rate: Option<u64>) -> Result<Storm, RecordError> {
        // SAFETY: a fresh shared anonymous mapping of one page.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if page == libc::MAP_FAILED {
            return Err(RecordError::msg("mmap failed"));
        }
        let counter = page as *mut u64;
        let child = PinnedChild::start(cpu, move || {
            let mut n: u64 = 0;
            let t0 = mono_ns();
            loop {
                if let Some(rate) = rate {
                    // calls due by now; bursts of at most 64 keep it smooth
                    loop {
                        let due = ((mono_ns() - t0) as u128 * rate as u128 / 1_000_000_000) as u64;
                        if due > n {
                            break;
                        }
                        std::hint::spin_loop();
                    }
                }
                for _ in 0..64 {
                    // SAFETY: getppid has no side effects; the page is mapped.
                    unsafe {
                        libc::syscall(libc::SYS_getppid);
                    }
                }
                n += 64;
                // SAFETY: the page is mapped for the child's life.
                unsafe { std::ptr::write_volatile(counter, n) };
            }
        });
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                // SAFETY: our mapping, unused by anyone.
                unsafe { libc::munmap(page, 4096) };
                return Err(e);
            }
        };
        Ok(Storm {
            child: Some(child),
            counter,
        })
    }

    /// CPU seconds the storm process has used (utime + stime).
    fn cpu_seconds(&self) -> f64 {
        self.child
            .as_ref()
            .map_or(0.0, |c| process_cpu_seconds(c.pid))
    }

    fn count(&self) -> u64 {
        // SAFETY: the shared page stays mapped while self lives.
        unsafe { std::ptr::read_volatile(self.counter) }
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        // The child first: it writes to the page until it is reaped.
        drop(self.child.take());
        // SAFETY: our mapping, no longer written.
        unsafe {
            libc::munmap(self.counter as *mut libc::c_void, 4096);
        }
    }
}

/// A forked child pinned to one CPU running `body` (which loops until the
/// child is killed); killed and reaped when dropped.
struct PinnedChild {
    pid: libc::pid_t,
}

impl PinnedChild {
    fn start(cpu: usize, body: impl FnOnce()) -> Result<PinnedChild, RecordError> {
        // SAFETY: the child pins itself and runs `body`, which never
        // returns (it loops until it is killed).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(RecordError::msg("fork failed"));
        }
        if pid == 0 {
            let _pin = crate::affinity::Pinned::to(&[cpu]);
            body();
            // SAFETY: the child ends here, without running the parent's
            // destructors or atexit handlers.
            unsafe { libc::_exit(0) };
        }
        Ok(PinnedChild { pid })
    }
}

impl Drop for PinnedChild {
    fn drop(&mut self) {
        // SAFETY: our child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

/// A child process that only burns CPU (no syscalls) on one CPU: the
/// unrelated busy neighbour of the contention bench.
struct Spinner {
    child: PinnedChild,
}

impl Spinner {
    fn start(cpu: usize) -> Result<Spinner, RecordError> {
        let child = PinnedChild::start(cpu, || {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        })?;
        Ok(Spinner { child })
    }
}

/// CPU seconds process `pid` has used (utime + stime, /proc/PID/stat).
fn process_cpu_seconds(pid: libc::pid_t) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (t(11) + t(12)) / hz
}

/// What `--bench-contention` measures.
#[derive(Debug, Clone, Default)]
pub struct ContentionResult {
    /// The storm's target rate (getppid calls per second, wall clock).
    pub target_rate: u64,
    /// The storm's achieved rate (calls per wall-clock second).
    pub storm_rate: f64,
    pub seconds: f64,
    pub events: u64,
    pub kernel_seen: u64,
    pub kernel_lost: u64,
    pub drop_markers: u64,
    /// The recorder's CPU use, % of one core.
    pub recorder_cpu_perc: f64,
    /// The spinner's CPU use, % of one core (its share of CPU 0).
    pub spinner_cpu_perc: f64,
    /// The recorder's scheduling policy, as `sched_getscheduler` names it.
    pub recorder_policy: String,
    /// The longest gap between two drain passes, and the longest pass.
    pub max_drain_gap: Duration,
    pub max_drain_pass: Duration,
}

/// What a benchmark recording records: one syscall of the storm, into
/// `output`, for the bench's duration with its ring and scheduling options.
fn storm_options(o: &BenchOptions, output: &Path, syscall: &str) -> RecordOptions {
    RecordOptions {
        output: output.to_path_buf(),
        force: true,
        syscalls: vec![sysreplay_syscalls::number(syscall).unwrap_or(110)],
        buf_size: o.buf_size,
        cpus_for_each_buffer: o.cpus_for_each_buffer,
        duration: Some(Duration::from_secs(o.seconds)),
        nice: o.nice,
        sched: o.sched,
        ..Default::default()
    }
}

/// `--bench-contention`: a storm paced at `rate` getppid/s on the last CPU,
/// a CPU spinner on CPU 0 and the recorder (default settings otherwise)
/// pinned to CPU 0 with it.
pub fn contention(o: &BenchOptions, rate: u64) -> Result<ContentionResult, RecordError> {
    crate::privileges::check()?;
    let n = ncpu();
    if n < 2 {
        return Err(RecordError::msg(
            "--bench-contention needs 2 CPUs (the storm on one, the recorder and a spinner on another)",
        ));
    }
    let (output, temp) = match &o.output {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!("sysreplay-bench-{}.srt", std::process::id())),
            true,
        ),
    };
    let storm = Storm::start_paced(n - 1, Some(rate))?;
    let spinner = Spinner::start(0)?;
    let pin = crate::affinity::Pinned::to(&[0]);
    let opts = storm_options(o, &output, "getppid");
    let stop = AtomicBool::new(false);
    let (c0, t0) = (storm.count(), std::time::Instant::now());
    let spin0 = process_cpu_seconds(spinner.child.pid);
    let res = record(&opts, &stop);
    let wall = t0.elapsed().as_secs_f64();
    let storm_rate = (storm.count() - c0) as f64 / wall.max(1e-3);
    let spinner_cpu_perc =
        100.0 * (process_cpu_seconds(spinner.child.pid) - spin0) / wall.max(1e-3);
    drop(spinner);
    drop(storm);
    drop(pin);
    if temp {
        let _ = std::fs::remove_file(&output);
    }
    let s = res?;
    Ok(ContentionResult {
        target_rate: rate,
        storm_rate,
        seconds: s.wall_seconds,
        events: s.events_written,
        kernel_seen: s.kernel.n_evts,
        kernel_lost: s.kernel.n_drops,
        drop_markers: s.drop_markers,
        recorder_cpu_perc: 100.0 * s.cpu_seconds / s.wall_seconds.max(1e-9),
        spinner_cpu_perc,
        recorder_policy: s.sched_policy.clone(),
        max_drain_gap: s.max_drain_gap,
        max_drain_pass: s.max_drain_pass,
    })
}

/// getppid calls per second without any probe loaded.
pub fn storm_rate_without_probe(seconds: f64) -> Result<f64, RecordError> {
    let storm = Storm::start(ncpu().saturating_sub(1))?;
    std::thread::sleep(Duration::from_millis(200));
    let (c0, cpu0) = (storm.count(), storm.cpu_seconds());
    std::thread::sleep(Duration::from_secs_f64(seconds));
    Ok((storm.count() - c0) as f64 / (storm.cpu_seconds() - cpu0).max(1e-3))
}

/// Run the storm and the recorder for `o.seconds`; with `record_storm`
/// false, getppid is not selected (the probe's cost on syscalls it skips).
pub fn measure(
    o: &BenchOptions,
    record_storm: bool,
    bpf_stats: bool,
) -> Result<BenchResult, RecordError> {
    crate::privileges::check()?;
    let n = ncpu();
    let _stats = bpf_stats.then(StatsEnabled::on);
    let (output, temp) = match &o.output {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!("sysreplay-bench-{}.srt", std::process::id())),
            true,
        ),
    };
    let storm = Storm::start(n.saturating_sub(1))?;
    let pin = crate::affinity::Pinned::to(&[0]);
    let pick = if record_storm { "getppid" } else { "getpgid" };
    let opts = storm_options(o, &output, pick);
    let stop = AtomicBool::new(false);
    let (c0, cpu0) = (storm.count(), storm.cpu_seconds());
    let res = record(&opts, &stop);
    // per CPU second of the storm process: other load on its CPU does not count
    let storm_calls_per_sec = (storm.count() - c0) as f64 / (storm.cpu_seconds() - cpu0).max(1e-3);
    drop(storm);
    drop(pin);
    if temp {
        let _ = std::fs::remove_file(&output);
    }
    let s = res?;
    let exit = s
        .prog_stats
        .iter()
        .find(|p| p.name == "sr_sys_exit")
        .cloned()
        .unwrap_or_default();
    Ok(BenchResult {
        storm_calls_per_sec,
        seconds: s.wall_seconds,
        events: s.events_written,
        events_per_sec: s.events_written as f64 / o.seconds as f64,
        kernel_seen: s.kernel.n_evts,
        kernel_lost: s.kernel.n_drops,
        exit_ns_per_call: if exit.run_cnt > 0 {
            exit.run_time_ns as f64 / exit.run_cnt as f64
        } else {
            0.0
        },
        exit_run_cnt: exit.run_cnt,
        recorder_cpu_perc: 100.0 * s.cpu_seconds / s.wall_seconds.max(1e-9),
        file_bytes: s.file_bytes,
        record_bytes: s.record_bytes,
    })
}

/// What `--bench` measures (the CLI prints it).
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// getppid calls per CPU second with no probe loaded.
    pub no_probe_calls_per_sec: f64,
    /// The probe loaded, the storm's syscall not selected (bpf_stats on).
    pub not_selected: BenchResult,
    /// The probe loaded, the storm's syscall recorded (bpf_stats on).
    pub recorded: BenchResult,
    /// The full run with bpf_stats off: throughput and the recorder's cost.
    pub throughput: BenchResult,
}

/// `--bench`: the four measurements.
pub fn run(o: &BenchOptions) -> Result<BenchReport, RecordError> {
    let short = BenchOptions {
        seconds: o.seconds.div_ceil(3).max(2),
        output: None,
        ..o.clone()
    };
    Ok(BenchReport {
        no_probe_calls_per_sec: storm_rate_without_probe(2.0)?,
        not_selected: measure(&short, false, true)?,
        recorded: measure(&short, true, true)?,
        throughput: measure(o, true, false)?,
    })
}
