//! `--bench`: the probe's cost per recorded syscall and the recorder's
//! throughput. A child process hammers one cheap syscall (getppid) on the
//! last CPU while the recorder runs pinned to CPU 0; kernel.bpf_stats_enabled
//! gives run_time_ns / run_cnt per program.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::recorder::{record, RecordOptions};
use crate::RecordError;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub seconds: u64,
    pub buf_size: u32,
    pub cpus_for_each_buffer: u32,
    /// Where to write the trace (a temp file when None; removed afterwards).
    pub output: Option<PathBuf>,
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
    pid: libc::pid_t,
    counter: *mut u64,
}

impl Storm {
    fn start(cpu: usize) -> Result<Storm, RecordError> {
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
        // SAFETY: the child only pins itself and loops on a raw syscall,
        // storing its count into the shared page; it never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(RecordError::msg("fork failed"));
        }
        if pid == 0 {
            // never dropped: the child loops until it is killed
            let _pin = crate::affinity::Pinned::to(&[cpu]);
            let mut n: u64 = 0;
            loop {
                // SAFETY: getppid has no side effects; the page is mapped.
                unsafe {
                    libc::syscall(libc::SYS_getppid);
                    n += 1;
                    std::ptr::write_volatile(counter, n);
                }
            }
        }
        Ok(Storm { pid, counter })
    }

    /// CPU seconds the storm process has used (utime + stime).
    fn cpu_seconds(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        // after ") ": state=0 ... utime=11 stime=12
        (t(11) + t(12)) / hz
    }

    fn count(&self) -> u64 {
        // SAFETY: the shared page stays mapped while self lives.
        unsafe { std::ptr::read_volatile(self.counter) }
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        // SAFETY: our child and our mapping.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            libc::munmap(self.counter as *mut libc::c_void, 4096);
        }
    }
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
    let opts = RecordOptions {
        output: output.clone(),
        force: true,
        syscalls: vec![sysreplay_syscalls::number(pick).unwrap_or(110)],
        buf_size: o.buf_size,
        cpus_for_each_buffer: o.cpus_for_each_buffer,
        duration: Some(Duration::from_secs(o.seconds)),
        ..Default::default()
    };
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
