//! `--bench`: the probe's cost per recorded syscall and the recorder's
//! throughput. A child process hammers one cheap syscall (getppid) on the
//! last CPU while the recorder runs pinned to CPU 0; kernel.bpf_stats_enabled
//! gives run_time_ns / run_cnt per program.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::recorder::{record, RecordOptions};
use crate::RecordError;

pub struct BenchOptions {
    pub seconds: u64,
    pub buf_size: u32,
    pub cpus_for_each_buffer: u32,
    /// Where to write the trace (a temp file when None; removed afterwards).
    pub output: Option<PathBuf>,
}

/// Results of one bench run.
#[derive(Debug, Clone)]
pub struct BenchResult {
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

fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one bit set, for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
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

/// Run the storm + recorder for `seconds`.
pub fn measure(o: &BenchOptions) -> Result<BenchResult, RecordError> {
    crate::privileges::check()?;
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let storm_cpu = ncpu.saturating_sub(1);
    let _stats = StatsEnabled::on();
    let (output, temp) = match &o.output {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!("sysreplay-bench-{}.srt", std::process::id())),
            true,
        ),
    };
    // SAFETY: the child only pins itself and loops on a raw syscall.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(RecordError::msg("fork failed"));
    }
    if child == 0 {
        pin_to(storm_cpu);
        loop {
            // SAFETY: getppid has no side effects.
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
    }
    pin_to(0);
    let opts = RecordOptions {
        output: output.clone(),
        force: true,
        syscalls: vec![sysreplay_format::syscalls::number("getppid").unwrap_or(110)],
        buf_size: o.buf_size,
        cpus_for_each_buffer: o.cpus_for_each_buffer,
        duration: Some(Duration::from_secs(o.seconds)),
        ..Default::default()
    };
    let stop = AtomicBool::new(false);
    let res = record(&opts, &stop);
    // SAFETY: the child we forked.
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
    }
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
        seconds: s.wall_seconds,
        events: s.events_written,
        events_per_sec: s.events_written as f64 / s.wall_seconds.max(1e-9),
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

/// `--bench`: measure and print.
pub fn run(o: &BenchOptions) -> Result<(), RecordError> {
    let r = measure(o)?;
    println!("bench: {:.1}s, syscall storm (getppid) on the last CPU, recorder pinned to CPU 0, ring {} bytes, cpus_for_each_buffer {}", r.seconds, o.buf_size, o.cpus_for_each_buffer);
    println!(
        "sys_exit program: {:.1} ns per call over {} calls (no enter program runs for these syscalls)",
        r.exit_ns_per_call, r.exit_run_cnt
    );
    println!(
        "recorded {} events ({:.0}/s), kernel seen {} lost {} ({:.3}%)",
        r.events,
        r.events_per_sec,
        r.kernel_seen,
        r.kernel_lost,
        if r.kernel_seen > 0 {
            100.0 * r.kernel_lost as f64 / r.kernel_seen as f64
        } else {
            0.0
        }
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
    Ok(())
}
