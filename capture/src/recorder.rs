//! The recording loop: drain every ring buffer on a short timer, merge the
//! records by timestamp (small reorder window), turn kernel drop-counter
//! changes into drop markers, hand everything to the trace writer (which
//! compresses on its own thread), print live stats, rotate files.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sysreplay_format::record::{
    push_item, tag, CpuCounters, DropCounts, Kind, RecordHeader, DROP_CATEGORIES,
    DROP_CATEGORY_NAMES, KIND_RING_BATCH, RECORD_HEADER_SIZE,
};
use sysreplay_format::{
    ProcessSnapshot, RecordingConfig, TraceHeader, TraceWriter, WriterOptions, WriterStats,
};

use crate::probe::{Probe, ProbeConfig, ProbeFollow};
use crate::RecordError;

pub use sysreplay_syscalls::{
    BUF_SIZE_PRESETS, DEFAULT_BUF_SIZE_PRESET, DEFAULT_CPUS_FOR_EACH_BUFFER,
};

/// Check a ring size: a power of two number of pages.
pub fn check_buf_size(bytes: u64) -> Result<u32, RecordError> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    if bytes < page || !bytes.is_power_of_two() || bytes > (1u64 << 31) {
        return Err(RecordError::msg(format!(
            "--buf-size {bytes}: must be a power of two number of {page}-byte pages, at most 2 GiB"
        )));
    }
    Ok(bytes as u32)
}

/// The name of file `index` of a recording into `output`: `output` itself,
/// then `output` with the index appended (`t.srt`, `t.srt1`, `t.srt2`, ...).
pub fn rotation_path(output: &Path, index: u64) -> PathBuf {
    if index == 0 {
        return output.to_path_buf();
    }
    let mut s = output.as_os_str().to_owned();
    s.push(index.to_string());
    PathBuf::from(s)
}

/// What the recorder tells its caller while it runs ([`record_with`]'s
/// callback, on the drain thread: it must return quickly). The caller
/// decides what to print: this crate prints nothing.
#[derive(Debug)]
pub enum Notice<'a> {
    /// The probe is recording into its first file.
    Recording {
        path: &'a Path,
        syscalls: usize,
        rings: usize,
        buf_size: u32,
        cpus: usize,
    },
    /// About once a second, from the first file on.
    Progress(Progress),
    /// A `--stats-interval` sample: Falco's metric names (`scap.*`) and
    /// ours (`sysreplay.*`), with their values.
    Stats(&'a [(String, serde_json::Value)]),
    /// A problem that does not stop the recording (one line).
    Warning(String),
    /// Rotation works again after `Warning`s that it could not.
    RotationResumed(&'a Path),
}

/// What a running recording has done so far ([`Notice::Progress`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Since the first file opened.
    pub elapsed: Duration,
    /// Events written (records and drop markers).
    pub events_written: u64,
    /// Kernel counters summed over CPUs: events seen, events dropped.
    pub kernel_events: u64,
    pub kernel_drops: u64,
    /// Bytes written to the files so far (compressed).
    pub file_bytes: u64,
}

/// Rotation like sysdig's -C / -G / -W.
#[derive(Clone, Debug, Default)]
pub struct Rotation {
    /// Start a new file when the current one reaches this many bytes (-C MB).
    pub size_bytes: Option<u64>,
    /// Start a new file every this long (-G seconds).
    pub every: Option<Duration>,
    /// Keep at most this many files, deleting the oldest (-W N).
    pub keep: Option<u32>,
}

impl Rotation {
    pub fn enabled(&self) -> bool {
        self.size_bytes.is_some() || self.every.is_some()
    }
}

/// Everything `record` needs.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    pub output: PathBuf,
    pub force: bool,
    /// Syscall numbers to record.
    pub syscalls: Vec<u16>,
    pub buf_size: u32,
    pub cpus_for_each_buffer: u32,
    pub snaplen: u32,
    pub capture_env: bool,
    pub duration: Option<Duration>,
    pub max_events: Option<u64>,
    /// How often the rings are drained.
    pub drain_interval: Duration,
    pub stats_interval: Option<Duration>,
    pub stats_json: Option<PathBuf>,
    pub rotation: Rotation,
    pub zstd_level: i32,
    /// Stop cleanly when free space on the output's file system falls below this.
    pub min_free_bytes: u64,
    /// Extra key=value notes for the trace header.
    pub notes: Vec<(String, String)>,
    /// Record only some processes (`--pid`, `-- COMMAND`).
    pub follow: Option<FollowSpec>,
    /// Nice value for the recorder's threads (None: the caller's).
    pub nice: Option<i32>,
    /// The drain thread's scheduling policy (the other threads stay
    /// SCHED_OTHER at `nice`).
    pub sched: DrainSched,
}

/// The drain thread's scheduling policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainSched {
    /// SCHED_OTHER, at the recorder's nice value, like every thread.
    Other,
    /// SCHED_FIFO at this priority (1..=99): the drain thread runs as soon
    /// as it wakes, ahead of every SCHED_OTHER thread of its CPU. Without
    /// the privilege (CAP_SYS_NICE, an RT budget in its cgroup) it stays
    /// SCHED_OTHER, with a warning.
    Fifo(i32),
}

/// The default: SCHED_FIFO at the lowest real-time priority.
pub const DEFAULT_DRAIN_SCHED: DrainSched = DrainSched::Fifo(1);

/// Set the calling thread's policy (nice is kept: SCHED_OTHER threads keep
/// their nice value across policy changes).
fn set_sched(s: DrainSched) -> std::io::Result<()> {
    let (policy, prio) = match s {
        DrainSched::Other => (libc::SCHED_OTHER, 0),
        DrainSched::Fifo(p) => (libc::SCHED_FIFO, p),
    };
    let param = libc::sched_param {
        sched_priority: prio,
    };
    // SAFETY: sched_setscheduler on the calling thread (0) with a valid param.
    if unsafe { libc::sched_setscheduler(0, policy, &param) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Makes the calling thread SCHED_OTHER again when dropped (if `.0`).
struct OrdinaryOnDrop(bool);

impl Drop for OrdinaryOnDrop {
    fn drop(&mut self) {
        if self.0 {
            let _ = set_sched(DrainSched::Other);
        }
    }
}

/// Run `f` (which starts a thread) with the calling thread at SCHED_OTHER
/// when it is real-time, so the new thread is an ordinary one (threads
/// inherit their creator's policy): only the drain thread is real-time.
fn as_ordinary<T>(rt: bool, f: impl FnOnce() -> T) -> T {
    if !rt {
        return f();
    }
    // SAFETY: sched_getparam fills `p` for the calling thread.
    let mut p = libc::sched_param { sched_priority: 0 };
    unsafe { libc::sched_getparam(0, &mut p) };
    let _ = set_sched(DrainSched::Other);
    let r = f();
    let _ = set_sched(DrainSched::Fifo(p.sched_priority));
    r
}

/// Which processes to record: a process (all its threads), with its
/// descendants when `children`; or a command the recorder starts (always
/// with its descendants), the recording stopping when it exits.
#[derive(Clone, Debug)]
pub enum FollowSpec {
    Pid { pid: u32, children: bool },
    Command(Vec<String>),
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            output: PathBuf::new(),
            force: false,
            syscalls: Vec::new(),
            buf_size: BUF_SIZE_PRESETS[DEFAULT_BUF_SIZE_PRESET - 1] as u32,
            cpus_for_each_buffer: DEFAULT_CPUS_FOR_EACH_BUFFER,
            snaplen: 80,
            capture_env: false,
            duration: None,
            max_events: None,
            drain_interval: Duration::from_millis(10),
            stats_interval: None,
            stats_json: None,
            rotation: Rotation::default(),
            zstd_level: WriterOptions::default().zstd_level,
            min_free_bytes: 32 << 20,
            notes: Vec::new(),
            follow: None,
            nice: None,
            sched: DEFAULT_DRAIN_SCHED,
        }
    }
}

/// Why the recording stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    Signal,
    /// The followed process tree is gone, or the command exited (its
    /// status, as `ExitStatus` displays it).
    Exited(String),
    Duration,
    MaxEvents,
    DiskFull(String),
    WriteError(String),
}

/// The outcome of a recording.
#[derive(Clone, Debug)]
pub struct RecordSummary {
    /// The files of the recording that exist at its end, oldest first
    /// (rotation with a limit deleted the others).
    pub files: Vec<PathBuf>,
    /// Events written (syscall/process records plus drop markers).
    pub events_written: u64,
    pub drop_markers: u64,
    /// Kernel counters summed over CPUs at the end.
    pub kernel: CpuCounters,
    /// Sum of `lost` over all drop markers written.
    pub marker_lost: u64,
    /// Records that could not be written (disk full), and whether drop
    /// markers at the ends of the files count them all.
    pub not_written: u64,
    pub not_written_marked: bool,
    /// Records a CPU staged that could not be read at the end (drop
    /// markers count them).
    pub unread: u64,
    /// Events of processes not followed, left out by the probe (not in
    /// `kernel`, which then counts the followed processes only).
    pub skipped: u64,
    pub stop: StopReason,
    pub file_bytes: u64,
    pub record_bytes: u64,
    pub cpu_seconds: f64,
    pub wall_seconds: f64,
    /// Records that arrived after their reorder window (written slightly out of order).
    pub late_records: u64,
    /// The longest time between the starts of two drain passes (the drain
    /// interval when the drain thread gets the CPU on time), and the
    /// longest pass: what a ring must hold at the recording's rate.
    pub max_drain_gap: Duration,
    pub max_drain_pass: Duration,
    /// The drain thread's scheduling policy ("SCHED_OTHER nice 0", ...).
    pub sched_policy: String,
    /// Program bpf_stats read just before detaching.
    pub prog_stats: Vec<crate::probe::ProgStats>,
}

fn uname() -> (String, String, String) {
    // SAFETY: uname fills the struct.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let s = |f: &[libc::c_char]| {
        let b: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&b).into_owned()
    };
    (s(&u.nodename), s(&u.release), s(&u.machine))
}

/// Wall time minus boot time, measured tightly.
pub fn boot_to_wall_ns() -> i64 {
    let mut best = (u64::MAX, 0i64);
    for _ in 0..5 {
        let a = crate::boottime_ns();
        let w = crate::clock_ns(libc::CLOCK_REALTIME);
        let b = crate::boottime_ns();
        if b - a < best.0 {
            best = (b - a, w as i64 - ((a + b) / 2) as i64);
        }
    }
    best.1
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the struct.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

fn sum_counters(v: &[CpuCounters]) -> CpuCounters {
    let mut t = CpuCounters::default();
    for c in v {
        t.n_evts += c.n_evts;
        t.n_drops += c.n_drops;
        for i in 0..DROP_CATEGORIES {
            t.n_drops_cat[i] += c.n_drops_cat[i];
        }
        t.n_drops_other += c.n_drops_other;
    }
    t
}

/// Call `f(cpu, record)` for the record in a ring item, or for each record
/// of a batch (SR_KIND_RING_BATCH: an 80-byte header, then whole records).
fn for_each_ring_record(item: &[u8], mut f: impl FnMut(usize, &[u8])) {
    if item.len() < RECORD_HEADER_SIZE {
        return;
    }
    let kind = u16::from_le_bytes([item[16], item[17]]);
    let cpu = u16::from_le_bytes([item[18], item[19]]) as usize;
    if kind != KIND_RING_BATCH {
        f(cpu, item);
        return;
    }
    for rec in item[RECORD_HEADER_SIZE..].chunks_exact(RECORD_HEADER_SIZE) {
        f(cpu, rec);
    }
}

/// Records waiting in the reorder window.
struct Pending {
    arena: Vec<u8>,
    /// (ts, offset, len); offsets are usize: one drain of many large rings
    /// can exceed 4 GiB.
    idx: Vec<(u64, usize, u32)>,
}

impl Pending {
    fn push(&mut self, rec: &[u8]) {
        if rec.len() < RECORD_HEADER_SIZE {
            return;
        }
        let ts = u64::from_le_bytes(rec[..8].try_into().unwrap());
        self.idx.push((ts, self.arena.len(), rec.len() as u32));
        self.arena.extend_from_slice(rec);
    }
}

/// `pid` and, with `children`, its descendants now (from /proc).
fn process_tree(pid: u32, children: bool) -> std::collections::HashSet<u32> {
    let mut set = std::collections::HashSet::from([pid]);
    if !children {
        return set;
    }
    let mut parent_of = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and ')'
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            if let Some(pp) = rest.split_whitespace().nth(1).and_then(|x| x.parse().ok()) {
                parent_of.push((p, pp));
            }
        }
    }
    loop {
        let before = set.len();
        for &(p, pp) in &parent_of {
            if set.contains(&pp) {
                set.insert(p);
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// Have the probe follow `pid` and, with `children`, its descendants: the
/// root first, then what /proc shows below the followed processes, again
/// until a scan finds nothing new (a process forked before its parent was
/// in the map is in /proc by the next scan; one forked after is added by the
/// probe). Processes already gone (or zombies: their exit went by) are taken
/// out again so they do not keep the recording waiting for them.
fn follow_tree(probe: &mut Probe, pid: u32, children: bool) -> Result<(), RecordError> {
    let mut done = std::collections::HashSet::new();
    loop {
        let tree = process_tree(pid, children);
        let new: Vec<u32> = tree.difference(&done).copied().collect();
        if new.is_empty() {
            break;
        }
        for t in new {
            probe.follow(t)?;
            if !alive(t) {
                probe.unfollow(t);
            }
            done.insert(t);
        }
    }
    Ok(())
}

/// Whether process `pid` exists and has not exited (not a zombie).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": the state follows the last ')'
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next());
    !matches!(state, None | Some("Z") | Some("X") | Some("x"))
}

/// One open output file.
struct Output {
    writer: TraceWriter,
    opened: Instant,
}

/// The next output file while its /proc snapshot is taken on a thread of
/// its own (the drain loop keeps draining: a snapshot of a big host takes
/// long enough to fill the rings).
struct NextFile {
    snapshot: std::thread::JoinHandle<ProcessSnapshot>,
    /// When the snapshot began: records from then on that go to the
    /// previous file are copied here and also start the new one, so the new
    /// file's events cover everything after its snapshot.
    since_ns: u64,
    overlap: Vec<u8>,
    /// The overlap outgrew MAX_BUFFERED_BYTES and was given up.
    overlap_dropped: bool,
}

/// A rotated-out file whose writer a background thread is finishing.
struct Finishing {
    path: PathBuf,
    /// (writer finished, delete wanted): when rotation's `-W` limit wants the
    /// file gone before it is complete, the finishing thread deletes it, so
    /// the drain loop never waits. One lock orders the two flags.
    state: std::sync::Arc<std::sync::Mutex<(bool, bool)>>,
    handle: std::thread::JoinHandle<(WriterStats, Result<(), sysreplay_format::TraceError>)>,
}

struct Recorder<'a> {
    notify: &'a mut dyn FnMut(Notice<'_>),
    opts: &'a RecordOptions,
    probe: Probe,
    header: TraceHeader,
    out: Option<Output>,
    next: Option<NextFile>,
    files: VecDeque<PathBuf>,
    all_files: Vec<PathBuf>,
    file_index: u64,
    /// Files being finished by background threads.
    finishing: Vec<Finishing>,
    /// A rotation failed to create its file: no new attempt before this.
    rotate_after: Option<Instant>,
    pending: Pending,
    spare: Pending,
    last_ctr: Vec<CpuCounters>,
    window_start: Vec<u64>,
    /// Per possible CPU: records received from the rings.
    delivered: Vec<u64>,
    /// CPUs whose stage could not be flushed (reported once).
    flush_failed: Vec<usize>,
    events_written: u64,
    drop_markers: u64,
    marker_lost: u64,
    late: u64,
    last_emitted_ts: u64,
    closed_stats: WriterStats,
    /// Some file's unwritten events have no drop marker (no room left).
    not_written_unmarked: bool,
    /// Records left in a CPU's staging that could not be read (drop
    /// markers count them).
    unread: u64,
    /// The writer failed (disk full): records are still handed to it, and
    /// it counts them in the drop marker that ends the file.
    writer_failed: bool,
    /// This (the drain) thread runs SCHED_FIFO: threads it starts are made
    /// ordinary ones.
    rt: bool,
    stats: StatsState,
}

struct StatsState {
    next: Option<Instant>,
    prev_t: Instant,
    prev_total: CpuCounters,
    prev_cpu: Vec<CpuCounters>,
    prev_cpu_time: f64,
    json: Option<std::fs::File>,
    samples: u64,
}

/// Seal the open block at least this often.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Records held in memory while a file's snapshot is taken (before the
/// first file opens, and as the overlap of a rotation) at most.
const MAX_BUFFERED_BYTES: usize = 512 << 20;

/// Max bytes drained from one ring in one pass (keeps the loop ticking).
const MAX_DRAIN_BYTES_PER_RING: usize = 64 << 20;

impl<'a> Recorder<'a> {
    /// File `index` of a recording: the first is FILE as asked (so a
    /// recording that never rotates is exactly FILE), the next ones FILE1,
    /// FILE2, ... (tcpdump's and sysdig's rotation suffix).
    fn path_for(&self, index: u64) -> PathBuf {
        rotation_path(&self.opts.output, index)
    }

    /// Start the next file: its snapshot runs on a thread; `finish_opening`
    /// switches to it when the snapshot is ready.
    fn begin_file(&mut self) {
        if self.next.is_some() {
            return;
        }
        let env = self.opts.capture_env;
        // Tests slow the snapshot down to exercise the overlap.
        let delay = std::env::var("SYSREPLAY_TEST_SNAPSHOT_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis);
        let since_ns = crate::boottime_ns();
        let snapshot = as_ordinary(self.rt, || {
            std::thread::spawn(move || {
                let snap = crate::procfs::snapshot_since(env, since_ns);
                if let Some(d) = delay {
                    std::thread::sleep(d);
                }
                snap
            })
        });
        self.next = Some(NextFile {
            since_ns,
            snapshot,
            overlap: Vec::new(),
            overlap_dropped: false,
        });
    }

    /// Switch to the next file if its snapshot is ready (or wait for it):
    /// the current file is finished on a background thread, the new one
    /// starts with the snapshot and the records emitted since it began.
    /// Returns whether it switched.
    fn finish_opening(&mut self, wait: bool) -> Result<bool, RecordError> {
        match &self.next {
            Some(n) if wait || n.snapshot.is_finished() => {}
            _ => return Ok(false),
        }
        let next = self.next.take().unwrap();
        let snap = next
            .snapshot
            .join()
            .map_err(|_| RecordError::msg("the /proc snapshot thread panicked"))?;
        // open the new file before letting the current one go: a rotation
        // that cannot create its file must not end the recording
        let (path, w) = match self.create_file(&snap) {
            Ok(x) => x,
            Err(e) if self.out.is_some() => {
                if self.rotate_after.is_none() {
                    (self.notify)(Notice::Warning(format!(
                        "cannot rotate: {e}; recording goes on into {} (retrying every second)",
                        self.out.as_ref().unwrap().writer.path().display()
                    )));
                }
                self.rotate_after = Some(Instant::now() + Duration::from_secs(1));
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        if self.rotate_after.take().is_some() {
            (self.notify)(Notice::RotationResumed(&path));
        }
        self.close_current();
        self.install_file(path, w);
        if let Some(o) = &mut self.out {
            // whole records back to back, each 80 bytes + its data_len
            let mut rest = &next.overlap[..];
            while rest.len() >= RECORD_HEADER_SIZE {
                let len = RECORD_HEADER_SIZE + u16::from_le_bytes([rest[22], rest[23]]) as usize;
                let Some(rec) = rest.get(..len) else { break };
                o.writer.write_raw(rec)?;
                rest = &rest[len..];
            }
        }
        Ok(true)
    }

    /// Create the next file. A rotation's name that is already taken (a
    /// file, a symlink or anything else someone created first, or any
    /// existing file without --force) is skipped for the next free index,
    /// so nobody can stop a recording by creating its next file name. The
    /// first file is never skipped: its name is the one the user asked for.
    fn create_file(
        &mut self,
        snap: &ProcessSnapshot,
    ) -> Result<(PathBuf, TraceWriter), sysreplay_format::TraceError> {
        const MAX_SKIPPED: u64 = 1000;
        let first = self.file_index;
        loop {
            let path = self.path_for(self.file_index);
            let mut header = self.header.clone();
            header.created_unix_ns = crate::clock_ns(libc::CLOCK_REALTIME) as i64;
            if self.opts.rotation.enabled() {
                header
                    .config
                    .notes
                    .push(("rotation_index".into(), self.file_index.to_string()));
            }
            // the writer's compression thread is an ordinary thread
            let r = as_ordinary(self.rt, || {
                TraceWriter::create(
                    &path,
                    &header,
                    snap,
                    WriterOptions {
                        overwrite: self.opts.force,
                        zstd_level: self.opts.zstd_level,
                        queue_blocks: 64, // up to ~2M events of burst while zstd catches up
                        ..Default::default()
                    },
                )
            });
            match r {
                Ok(w) => {
                    if self.file_index != first {
                        let msg = format!(
                            "{} taken by another file: recording into {} instead",
                            self.path_for(first).display(),
                            path.display()
                        );
                        (self.notify)(Notice::Warning(msg));
                    }
                    self.file_index += 1;
                    return Ok((path, w));
                }
                Err(e)
                    if !self.all_files.is_empty()
                        && self.file_index - first < MAX_SKIPPED
                        && e.source.as_ref().map(|s| s.kind())
                            == Some(std::io::ErrorKind::AlreadyExists) =>
                {
                    self.file_index += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn install_file(&mut self, path: PathBuf, writer: TraceWriter) {
        self.out = Some(Output {
            writer,
            opened: Instant::now(),
        });
        self.files.push_back(path.clone());
        self.all_files.push(path);
        if let Some(keep) = self.opts.rotation.keep {
            while self.files.len() > keep.max(1) as usize {
                if let Some(old) = self.files.pop_front() {
                    self.delete_when_finished(old);
                }
            }
        }
    }

    /// Delete a rotated-out file: now if its writer is done, otherwise by
    /// the thread finishing it (never blocking the drain loop).
    fn delete_when_finished(&mut self, path: PathBuf) {
        if let Some(f) = self.finishing.iter().find(|f| f.path == path) {
            let mut st = f.state.lock().unwrap();
            if !st.0 {
                st.1 = true; // the finishing thread deletes it when done
                return;
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Collect finished background writers (all of them when `wait`).
    fn reap(&mut self, wait: bool) {
        let mut i = 0;
        while i < self.finishing.len() {
            if wait || self.finishing[i].handle.is_finished() {
                let h = self.finishing.swap_remove(i).handle;
                if let Ok((st, r)) = h.join() {
                    self.add_closed(&st);
                    if let Err(e) = r {
                        // a rotated-out file that could not be completed
                        (self.notify)(Notice::Warning(e.to_string()));
                    }
                }
            } else {
                i += 1;
            }
        }
    }

    /// Add a finished file's stats to the totals.
    fn add_closed(&mut self, st: &WriterStats) {
        let c = &mut self.closed_stats;
        c.events += st.events;
        c.record_bytes += st.record_bytes;
        c.file_bytes += st.file_bytes;
        c.blocks += st.blocks;
        c.events_written += st.events_written;
        c.events_not_written += st.events_not_written;
        if st.events_not_written > 0 {
            self.not_written_unmarked |= !st.not_written_marked;
        }
    }

    /// Rotate: start the next file (the current one goes on until the next
    /// one's snapshot is ready).
    fn rotate(&mut self) {
        self.begin_file();
    }

    /// Hand the current file to a background thread to finish.
    fn close_current(&mut self) {
        if let Some(o) = self.out.take() {
            // finishing waits for compression: do it off the drain thread
            let path = o.writer.path().to_path_buf();
            let state = std::sync::Arc::new(std::sync::Mutex::new((false, false)));
            let (p, st) = (path.clone(), state.clone());
            let handle = as_ordinary(self.rt, || {
                std::thread::spawn(move || {
                    let r = o.writer.finish_with_stats();
                    let mut st = st.lock().unwrap();
                    st.0 = true;
                    if st.1 {
                        let _ = std::fs::remove_file(&p);
                    }
                    r
                })
            });
            self.finishing.push(Finishing {
                path,
                state,
                handle,
            });
        }
    }

    fn writer_stats(&self) -> WriterStats {
        let mut s = self.closed_stats;
        if let Some(o) = &self.out {
            let c = o.writer.stats();
            s.events += c.events;
            s.record_bytes += c.record_bytes;
            s.file_bytes += c.file_bytes;
            s.blocks += c.blocks;
            s.events_written += c.events_written;
        }
        s
    }

    /// Drain every ring into the pending window, unpacking batches (at
    /// most MAX_DRAIN_BYTES_PER_RING of each); returns the bytes taken.
    fn drain(&mut self) -> usize {
        let pending = &mut self.pending;
        let delivered = &mut self.delivered;
        let mut taken = 0;
        for ring in self.probe.rings.iter_mut() {
            taken += ring.drain(MAX_DRAIN_BYTES_PER_RING, |item| {
                for_each_ring_record(item, |cpu, rec| {
                    pending.push(rec);
                    if let Some(d) = delivered.get_mut(cpu) {
                        *d += 1;
                    }
                })
            });
        }
        taken
    }

    /// After detach: drain until the rings are empty (a recorder far behind
    /// holds more than one pass's worth; what stays in a ring is lost).
    fn drain_all(&mut self) {
        while self.drain() > 0 {}
    }

    /// Flush every CPU that holds records the rings have not delivered yet
    /// (its kernel `n_evts - n_drops` is above what it sent), then drain:
    /// every record stamped before this tick began is then in `pending`, so
    /// the reorder window orders them all. One IPI per such CPU per tick.
    /// A CPU that cannot be flushed (it went offline) is reported once and
    /// skipped; whatever it still holds at the end becomes a drop marker
    /// (`mark_unflushed`).
    fn flush_owing_cpus(&mut self, cur: &[CpuCounters]) {
        if self.flush_cpus(cur) {
            self.drain();
        }
    }

    /// Flush every CPU owing records; returns whether any was flushed.
    fn flush_cpus(&mut self, cur: &[CpuCounters]) -> bool {
        let mut flushed = false;
        for (cpu, c) in cur.iter().enumerate() {
            let got = self.delivered.get(cpu).copied().unwrap_or(0);
            if c.n_evts.saturating_sub(c.n_drops) > got {
                match self.probe.flush_cpu(cpu as u32) {
                    Ok(()) => flushed = true,
                    Err(e) => {
                        if !self.flush_failed.contains(&cpu) {
                            (self.notify)(Notice::Warning(e.to_string()));
                            self.flush_failed.push(cpu);
                        }
                    }
                }
            }
        }
        flushed
    }

    /// After the last flush: records the kernel counted as neither sent nor
    /// lost on some CPU (it could not be flushed) are lost too; say so with
    /// a drop marker per CPU (category "other") so the trace is honest.
    fn mark_unflushed(&mut self, cur: &[CpuCounters], now: u64) {
        for (cpu, c) in cur.iter().enumerate() {
            let got = self.delivered.get(cpu).copied().unwrap_or(0);
            let owed = c.n_evts.saturating_sub(c.n_drops).saturating_sub(got);
            if owed > 0 {
                (self.notify)(Notice::Warning(format!(
                    "{owed} records staged on CPU {cpu} could not be read; a drop marker says so"
                )));
                self.unread += owed;
                let dc = DropCounts {
                    n_other: owed,
                    ..Default::default()
                };
                self.push_drop_marker(cpu, now, &dc, owed, owed);
            }
        }
    }

    /// Queue a drop marker for `cpu`: its window started at the last change
    /// of that CPU's counters and ends `now`.
    fn push_drop_marker(&mut self, cpu: usize, now: u64, dc: &DropCounts, lost: u64, seen: u64) {
        let mut data = Vec::with_capacity(96);
        push_item(&mut data, tag::DROP_COUNTS, 0, &dc.encode());
        let h = RecordHeader {
            ts_ns: now,
            tid: 0,
            pid: 0,
            kind: Kind::Drop as u16,
            cpu: cpu as u16,
            nr: 0,
            data_len: data.len() as u16,
            ret: 0,
            args: [self.window_start[cpu], lost, seen, 0, 0, 0],
        };
        let mut rec = Vec::with_capacity(RECORD_HEADER_SIZE + data.len());
        h.encode(&mut rec);
        rec.extend_from_slice(&data);
        self.pending.push(&rec);
        self.drop_markers += 1;
        self.marker_lost += lost;
    }

    /// Compare the kernel counters with the last read; add a drop marker per
    /// CPU whose drop count changed.
    fn drop_markers(&mut self, now: u64) -> Result<Vec<CpuCounters>, RecordError> {
        let cur = self.probe.counters()?;
        for (cpu, c) in cur.iter().enumerate() {
            let p = self.last_ctr.get(cpu).copied().unwrap_or_default();
            if c.n_drops != p.n_drops {
                let mut dc = DropCounts::default();
                for i in 0..DROP_CATEGORIES {
                    dc.n[i] = c.n_drops_cat[i].wrapping_sub(p.n_drops_cat[i]);
                }
                dc.n_other = c.n_drops_other.wrapping_sub(p.n_drops_other);
                let lost = c.n_drops.wrapping_sub(p.n_drops);
                // The kernel bumps n_evts before n_drops, and a per-CPU value
                // is copied while the kernel updates it: a window may see a
                // drop whose n_evts increment fell in the previous read. The
                // totals stay exact; a window's `seen` is at least its `lost`.
                let seen = c.n_evts.wrapping_sub(p.n_evts).max(lost);
                self.push_drop_marker(cpu, now, &dc, lost, seen);
            }
            if c != &p {
                self.window_start[cpu] = now;
            }
        }
        self.last_ctr = cur.clone();
        Ok(cur)
    }

    /// Write every pending record older than `cutoff` (all with u64::MAX).
    fn emit(&mut self, cutoff: u64, budget: &mut Option<u64>) -> Result<bool, RecordError> {
        let idx = &mut self.pending.idx;
        idx.sort_by_key(|e| e.0);
        let n = idx.partition_point(|e| e.0 <= cutoff);
        let mut hit_max = false;
        let Some(out) = self.out.as_mut() else {
            return Ok(false); // the first file's snapshot is still running
        };
        let mut failed = None;
        // records taken out of the window
        let mut written = 0u64;
        for &(ts, off, len) in &idx[..n] {
            if budget.is_some_and(|b| written >= b) {
                break;
            }
            let rec = &self.pending.arena[off..off + len as usize];
            written += 1;
            if ts < self.last_emitted_ts {
                self.late += 1;
            } else {
                self.last_emitted_ts = ts;
            }
            match out.writer.write_raw(rec) {
                Ok(()) => {}
                // a failed writer still counts what it is given (its drop
                // marker); other records are not lost without a word
                Err(_) if self.writer_failed => {}
                Err(e) => {
                    // the writer took this record (it counts it if it
                    // cannot write it): it leaves the window with the others
                    failed = Some(e);
                    break;
                }
            }
            if let Some(next) = self
                .next
                .as_mut()
                .filter(|n| ts >= n.since_ns && !n.overlap_dropped)
            {
                if next.overlap.len() + rec.len() > MAX_BUFFERED_BYTES {
                    // too long a snapshot: the next file starts at the switch
                    next.overlap = Vec::new();
                    next.overlap_dropped = true;
                } else {
                    next.overlap.extend_from_slice(rec);
                }
            }
        }
        let n = written as usize;
        self.events_written += written;
        if let Some(b) = budget {
            *b -= written;
            hit_max = *b == 0;
        }
        if n == 0 {
            return Ok(hit_max); // nothing left the window: keep it as it is
        }
        // keep the rest
        self.spare.arena.clear();
        self.spare.idx.clear();
        for &(ts, off, len) in &self.pending.idx[n..] {
            self.spare.idx.push((ts, self.spare.arena.len(), len));
            self.spare
                .arena
                .extend_from_slice(&self.pending.arena[off..off + len as usize]);
        }
        std::mem::swap(&mut self.pending, &mut self.spare);
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(hit_max),
        }
    }

    fn stats(&mut self, cur: &[CpuCounters], force: bool) {
        let Some(next) = self.stats.next else { return };
        let now = Instant::now();
        if now < next && !force {
            return;
        }
        let interval = self.opts.stats_interval.unwrap_or(Duration::from_secs(1));
        self.stats.next = Some(next + interval);
        let dt = now
            .duration_since(self.stats.prev_t)
            .as_secs_f64()
            .max(1e-9);
        let total = sum_counters(cur);
        let prev = self.stats.prev_total;
        let d_evts = total.n_evts - prev.n_evts;
        let d_drops = total.n_drops - prev.n_drops;
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let ws = self.writer_stats();
        let cpu_t = cpu_seconds();
        let mut m: Vec<(String, serde_json::Value)> = vec![
            ("scap.n_evts".into(), total.n_evts.into()),
            ("scap.n_evts_prev".into(), prev.n_evts.into()),
            ("scap.n_drops".into(), total.n_drops.into()),
            ("scap.n_drops_prev".into(), prev.n_drops.into()),
            ("scap.n_drops_buffer_total".into(), total.n_drops.into()),
            (
                "scap.evts_rate_sec".into(),
                round1(d_evts as f64 / dt).into(),
            ),
            (
                "scap.evts_drop_rate_sec".into(),
                round1(d_drops as f64 / dt).into(),
            ),
            (
                "scap.n_drops_perc".into(),
                (if d_evts > 0 {
                    100.0 * d_drops as f64 / d_evts as f64
                } else {
                    0.0
                })
                .into(),
            ),
        ];
        for (i, name) in DROP_CATEGORY_NAMES.iter().enumerate() {
            m.push((
                format!("scap.n_drops_buffer_{name}"),
                total.n_drops_cat[i].into(),
            ));
        }
        for (cpu, c) in cur.iter().enumerate() {
            let p = self.stats.prev_cpu.get(cpu).copied().unwrap_or_default();
            m.push((format!("scap.n_evts_cpu_{cpu}"), c.n_evts.into()));
            m.push((format!("scap.n_drops_cpu_{cpu}"), c.n_drops.into()));
            m.push((
                format!("scap.evts_rate_sec_cpu_{cpu}"),
                round1((c.n_evts - p.n_evts) as f64 / dt).into(),
            ));
        }
        let ratio = if ws.file_bytes > 0 {
            ws.record_bytes as f64 / ws.file_bytes as f64
        } else {
            0.0
        };
        m.push((
            "sysreplay.events_written".into(),
            self.events_written.into(),
        ));
        m.push(("sysreplay.drop_markers".into(), self.drop_markers.into()));
        m.push(("sysreplay.late_records".into(), self.late.into()));
        m.push(("sysreplay.bytes_written".into(), ws.file_bytes.into()));
        m.push(("sysreplay.record_bytes".into(), ws.record_bytes.into()));
        m.push(("sysreplay.compression_ratio".into(), round1(ratio).into()));
        m.push((
            "sysreplay.recorder_cpu_perc".into(),
            round1(100.0 * (cpu_t - self.stats.prev_cpu_time) / dt).into(),
        ));
        (self.notify)(Notice::Stats(&m));
        if let Some(f) = &mut self.stats.json {
            let mut obj = serde_json::Map::new();
            obj.insert("sample".into(), self.stats.samples.into());
            obj.insert("ts_ns".into(), crate::boottime_ns().into());
            for (k, v) in m {
                obj.insert(k, v);
            }
            let _ = writeln!(f, "{}", serde_json::Value::Object(obj));
        }
        self.stats.samples += 1;
        self.stats.prev_t = now;
        self.stats.prev_total = total;
        self.stats.prev_cpu = cur.to_vec();
        self.stats.prev_cpu_time = cpu_t;
    }
}

/// The calling thread's scheduling policy and priority, as a phrase.
pub fn sched_description() -> String {
    // SAFETY: plain queries about the calling thread (0).
    unsafe {
        let policy = libc::sched_getscheduler(0) & !libc::SCHED_RESET_ON_FORK;
        let mut p = libc::sched_param { sched_priority: 0 };
        libc::sched_getparam(0, &mut p);
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        match policy {
            libc::SCHED_FIFO => format!("SCHED_FIFO priority {}", p.sched_priority),
            libc::SCHED_RR => format!("SCHED_RR priority {}", p.sched_priority),
            libc::SCHED_BATCH => format!("SCHED_BATCH nice {nice}"),
            libc::SCHED_IDLE => "SCHED_IDLE".to_string(),
            _ => format!("SCHED_OTHER nice {nice}"),
        }
    }
}

/// Record until `stop` is set, the duration elapses or max events are
/// written, telling nobody (see [`record_with`]).
pub fn record(opts: &RecordOptions, stop: &AtomicBool) -> Result<RecordSummary, RecordError> {
    record_with(opts, stop, &mut |_| {})
}

/// How often [`record_with`] sends [`Notice::Progress`].
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// [`record`], handing `notify` what happens while it runs: the first
/// file, progress about once a second, stats samples, warnings.
pub fn record_with(
    opts: &RecordOptions,
    stop: &AtomicBool,
    notify: &mut dyn FnMut(Notice<'_>),
) -> Result<RecordSummary, RecordError> {
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    // The recorder runs under SCHED_OTHER like any process; `--nice` sets
    // its priority. Linux keeps nice per thread and new threads inherit the
    // creator's: set here, before any recorder thread starts, it covers the
    // drain loop, the snapshot and the compression threads alike.
    if let Some(n) = opts.nice {
        // SAFETY: setpriority on the calling thread (who = 0).
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, n) } != 0 {
            return Err(RecordError::msg(format!(
                "--nice {n}: {} (a negative value needs root or CAP_SYS_NICE)",
                std::io::Error::last_os_error()
            )));
        }
    }
    // fail before loading the probe (the writer checks again)
    if !opts.rotation.enabled() {
        sysreplay_format::outfile::check_target(&opts.output, opts.force)?;
    }
    if let Some(p) = &opts.stats_json {
        sysreplay_format::outfile::check_target(p, opts.force)?;
    }
    let pcfg = ProbeConfig {
        syscalls: opts.syscalls.clone(),
        buf_size: opts.buf_size,
        cpus_for_each_buffer: opts.cpus_for_each_buffer.max(1),
        snaplen: opts.snaplen,
        capture_env: opts.capture_env,
        exclude_tgid: std::process::id(),
        // the probe itself filters: other processes' events never reach the
        // rings (no ring space, no drops caused by them)
        follow: opts.follow.as_ref().map(|f| match f {
            FollowSpec::Pid { children, .. } => ProbeFollow {
                children: *children,
                self_children: false,
            },
            FollowSpec::Command(_) => ProbeFollow {
                children: true,
                self_children: true,
            },
        }),
    };
    let (hostname, release, machine) = uname();
    let possible = crate::probe::possible_cpus()?;
    let mut notes = opts.notes.clone();
    notes.push(("probe".into(), crate::probe::PROBE_SOURCE.into()));
    let header = TraceHeader {
        tool_version: format!("sysreplay {}", env!("CARGO_PKG_VERSION")),
        created_unix_ns: 0,
        hostname,
        kernel_release: release,
        arch: machine,
        num_cpus: possible as u32,
        boot_to_wall_ns: boot_to_wall_ns(),
        source: "ebpf".into(),
        config: RecordingConfig {
            syscalls: opts.syscalls.clone(),
            buf_size_bytes: opts.buf_size as u64,
            cpus_for_each_buffer: pcfg.cpus_for_each_buffer,
            snaplen: opts.snaplen.min(4096),
            capture_env: opts.capture_env,
            notes,
        },
    };
    if let Some(FollowSpec::Pid { pid, .. }) = &opts.follow {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return Err(RecordError::msg(format!("--pid {pid}: no such process")));
        }
    }
    // Load before creating the file: a missing privilege leaves nothing behind.
    let mut probe = Probe::load(&pcfg)?;
    // Start following once the probe is attached: from then on the probe
    // adds every child a followed process forks, so nothing of the tree's
    // life from here on is missed.
    let mut command = None;
    match &opts.follow {
        None => {}
        Some(FollowSpec::Pid { pid, children }) => follow_tree(&mut probe, *pid, *children)?,
        Some(FollowSpec::Command(argv)) => {
            let (prog, args) = argv
                .split_first()
                .ok_or_else(|| RecordError::msg("no command after --"))?;
            // the probe follows the recorder's children (this one) from
            // their first instruction: nothing to add here
            let child = std::process::Command::new(prog)
                .args(args)
                .spawn()
                .map_err(|e| RecordError::msg(format!("cannot run {prog}: {e}")))?;
            command = Some(child);
        }
    }
    let following = opts.follow.is_some();
    // The drain thread real-time (after the command started: it must not
    // inherit it). Under CPU contention an ordinary drain thread, preempted
    // in the middle of a pass, waited 30-60 ms behind the other runnable
    // threads of its CPU each time: passes of 1-17 ms of CPU took up to
    // 224 ms, longer than the default ring holds at 1M events/s (capture/BENCH.md).
    let rt = match opts.sched {
        DrainSched::Other => false,
        DrainSched::Fifo(p) => match set_sched(DrainSched::Fifo(p)) {
            Ok(()) => true,
            Err(e) => {
                notify(Notice::Warning(format!(
                    "cannot run the drain thread SCHED_FIFO ({e}; needs CAP_SYS_NICE and a real-time budget): it stays SCHED_OTHER, and may fall behind when its CPU is busy"
                )));
                false
            }
        },
    };
    // the caller's thread is an ordinary one again when the recording ends
    let _rt_guard = OrdinaryOnDrop(rt);
    let start_ns = crate::boottime_ns();
    let initial = probe.counters()?;
    let json = match &opts.stats_json {
        // the same rules as the trace: it holds the same host's activity
        Some(p) => Some(sysreplay_format::outfile::create_private(p, opts.force)?.file),
        None => None,
    };
    let mut r = Recorder {
        notify,
        opts,
        probe,
        header,
        out: None,
        next: None,
        files: VecDeque::new(),
        all_files: Vec::new(),
        file_index: 0,
        finishing: Vec::new(),
        rotate_after: None,
        pending: Pending {
            arena: Vec::with_capacity(4 << 20),
            idx: Vec::with_capacity(1 << 16),
        },
        spare: Pending {
            arena: Vec::with_capacity(4 << 20),
            idx: Vec::with_capacity(1 << 16),
        },
        window_start: vec![start_ns; initial.len()],
        delivered: vec![0; initial.len()],
        flush_failed: Vec::new(),
        // the counters start at zero when the probe is loaded: compare from
        // there so every drop gets a marker
        last_ctr: vec![CpuCounters::default(); initial.len()],
        events_written: 0,
        drop_markers: 0,
        marker_lost: 0,
        late: 0,
        last_emitted_ts: 0,
        closed_stats: WriterStats::default(),
        not_written_unmarked: false,
        unread: 0,
        writer_failed: false,
        rt,
        stats: StatsState {
            next: opts.stats_interval.map(|i| Instant::now() + i),
            prev_t: Instant::now(),
            prev_total: sum_counters(&initial),
            prev_cpu: initial.clone(),
            prev_cpu_time: cpu_seconds(),
            json,
            samples: 0,
        },
    };
    // The first file's snapshot runs on its own thread while this one
    // drains the rings (the probe is already recording).
    r.begin_file();
    while !r.finish_opening(stop.load(Ordering::Relaxed))? {
        // held in memory until the file opens, up to a limit: past it the
        // rings fill and the kernel counts drops (drop markers say where)
        if r.pending.arena.len() < MAX_BUFFERED_BYTES {
            r.drain();
            let cur = r.drop_markers(crate::boottime_ns())?;
            r.flush_owing_cpus(&cur);
        }
        std::thread::sleep(opts.drain_interval);
    }
    let rings = r.probe.rings.len();
    (r.notify)(Notice::Recording {
        path: &r.all_files[0],
        syscalls: opts.syscalls.len(),
        rings,
        buf_size: opts.buf_size,
        cpus: possible,
    });
    let mut last_flush = Instant::now();
    let reorder_ns = (opts.drain_interval.as_nanos() as u64).max(5_000_000);
    let mut budget = opts.max_events;
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut stop_reason = StopReason::Signal;
    let mut next_tick = Instant::now();
    let mut ticks: u64 = 0;
    let started = Instant::now();
    let mut next_progress = started;
    let sched_policy = sched_description();
    let (mut last_pass, mut max_gap, mut max_pass) =
        (Instant::now(), Duration::ZERO, Duration::ZERO);
    let result: Result<(), RecordError> = (|| {
        loop {
            let pass_start = Instant::now();
            max_gap = max_gap.max(pass_start - last_pass);
            last_pass = pass_start;
            let now_ns = crate::boottime_ns();
            r.drain();
            let cur = r.drop_markers(now_ns)?;
            r.flush_owing_cpus(&cur);
            r.finish_opening(false)?;
            if r.emit(now_ns.saturating_sub(reorder_ns), &mut budget)? {
                stop_reason = StopReason::MaxEvents;
                return Ok(());
            }
            r.stats(&cur, false);
            if Instant::now() >= next_progress {
                next_progress += PROGRESS_EVERY;
                let k = sum_counters(&cur);
                let file_bytes = r.writer_stats().file_bytes;
                (r.notify)(Notice::Progress(Progress {
                    elapsed: started.elapsed(),
                    events_written: r.events_written,
                    kernel_events: k.n_evts,
                    kernel_drops: k.n_drops,
                    file_bytes,
                }));
            }
            ticks += 1;
            if last_flush.elapsed() >= FLUSH_EVERY {
                // seal the block on a timer so a crash loses at most this much
                if let Some(o) = &mut r.out {
                    o.writer.flush_block()?;
                }
                last_flush = Instant::now();
            }
            if stop.load(Ordering::Relaxed) {
                stop_reason = StopReason::Signal;
                return Ok(());
            }
            if let Some(c) = &mut command {
                if let Ok(Some(st)) = c.try_wait() {
                    stop_reason = StopReason::Exited(format!("the command exited ({st})"));
                    return Ok(());
                }
            } else if following && !r.probe.following_any() {
                stop_reason = StopReason::Exited("the followed processes exited".into());
                return Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                stop_reason = StopReason::Duration;
                return Ok(());
            }
            {
                if let Some(free) = free_bytes(&opts.output) {
                    if free < opts.min_free_bytes {
                        stop_reason = StopReason::DiskFull(format!(
                            "only {free} bytes left on the file system of {} (minimum {}): recording stopped",
                            opts.output.display(),
                            opts.min_free_bytes
                        ));
                        return Ok(());
                    }
                }
                if ticks.is_multiple_of(16) {
                    r.reap(false);
                }
            }
            if let Some(o) = &r.out {
                let rot = &opts.rotation;
                let size_hit = rot
                    .size_bytes
                    .is_some_and(|s| o.writer.stats().file_bytes >= s);
                let time_hit = rot.every.is_some_and(|g| o.opened.elapsed() >= g);
                let retry_ok = r.rotate_after.is_none_or(|t| Instant::now() >= t);
                if (size_hit || time_hit) && retry_ok {
                    r.rotate();
                }
            }
            next_tick += opts.drain_interval;
            let now = Instant::now();
            max_pass = max_pass.max(now - pass_start);
            if next_tick > now {
                std::thread::sleep(next_tick - now);
            } else {
                next_tick = now;
            }
        }
    })();
    if let Err(e) = result {
        stop_reason = if e.is_disk_full() {
            StopReason::DiskFull(e.what.clone())
        } else {
            StopReason::WriteError(e.what.clone())
        };
    }
    // A rotation still waiting for its snapshot is dropped (its thread is
    // left to end on its own): the current file takes the rest.
    drop(r.next.take());
    // Stop producing, then take everything left (records and counters).
    let prog_stats = r.probe.program_stats();
    r.probe.detach();
    // programs already running finish under RCU: let them land before the last read
    std::thread::sleep(Duration::from_millis(20));
    let mut finish_err = None;
    r.writer_failed = r.out.as_ref().is_some_and(|o| o.writer.has_failed());
    if matches!(
        stop_reason,
        StopReason::Signal | StopReason::Duration | StopReason::MaxEvents | StopReason::Exited(_)
    ) || (matches!(stop_reason, StopReason::DiskFull(_)) || r.writer_failed) && r.out.is_some()
    {
        let now_ns = crate::boottime_ns();
        // everything: the rings, then what the CPUs still stage
        r.drain_all();
        if let Ok(cur) = r.probe.counters() {
            r.flush_cpus(&cur);
            r.drain_all();
        }
        let cur = r.drop_markers(now_ns + 1);
        if let Ok(cur) = &cur {
            r.mark_unflushed(cur, now_ns + 1);
        }
        if stop_reason != StopReason::MaxEvents {
            if let Err(e) = r.emit(u64::MAX, &mut budget) {
                finish_err = Some(e);
            }
        } else {
            // the limit is reached: the rest is not written, but drop
            // markers still are so the trace says where it is incomplete
            r.pending.idx.retain(|&(_, off, _)| {
                let k = u16::from_le_bytes(r.pending.arena[off + 16..off + 18].try_into().unwrap());
                k == Kind::Drop as u16
            });
            let mut unlimited = None;
            if let Err(e) = r.emit(u64::MAX, &mut unlimited) {
                finish_err = Some(e);
            }
        }
        if let Ok(cur) = cur {
            r.stats(&cur, true);
        }
    }
    let kernel = sum_counters(&r.probe.counters().unwrap_or_default());
    if let Some(o) = r.out.take() {
        let (st, res) = o.writer.finish_with_stats();
        r.add_closed(&st);
        if let Err(e) = res {
            // the writer's final word (what the file holds, the drop marker
            // for what it could not write) replaces its first error
            finish_err = Some(RecordError::from(e));
        }
    }
    r.reap(true);
    if let Some(e) = finish_err {
        stop_reason = if e.is_disk_full() {
            StopReason::DiskFull(e.what)
        } else {
            StopReason::WriteError(e.what)
        };
    }
    Ok(RecordSummary {
        files: r.files.iter().cloned().collect(),
        // in the files (the ones a failed writer could not write are not)
        events_written: r
            .events_written
            .saturating_sub(r.closed_stats.events_not_written),
        not_written: r.closed_stats.events_not_written,
        not_written_marked: !r.not_written_unmarked,
        unread: r.unread,
        skipped: r.probe.skipped(),
        drop_markers: r.drop_markers,
        kernel,
        marker_lost: r.marker_lost,
        stop: stop_reason,
        file_bytes: r.closed_stats.file_bytes,
        record_bytes: r.closed_stats.record_bytes,
        cpu_seconds: cpu_seconds() - cpu0,
        wall_seconds: t0.elapsed().as_secs_f64(),
        late_records: r.late,
        max_drain_gap: max_gap,
        max_drain_pass: max_pass,
        sched_policy,
        prog_stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ts: u64, cpu: u16, kind: u16, data: &[u8]) -> Vec<u8> {
        let h = RecordHeader {
            ts_ns: ts,
            tid: 7,
            pid: 7,
            kind,
            cpu,
            nr: 110,
            data_len: data.len() as u16,
            ret: 1,
            args: [ts, 0, 0, 0, 0, 0],
        };
        let mut v = Vec::new();
        h.encode(&mut v);
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn ring_batches_unpack_into_their_records() {
        let recs: Vec<Vec<u8>> = (0..3)
            .map(|i| record(100 + i, 1, Kind::Syscall as u16, &[]))
            .collect();
        let mut batch = record(100, 1, KIND_RING_BATCH, &recs.concat());
        batch[32..40].copy_from_slice(&5u64.to_le_bytes()); // args[0]: sequence number
        batch[40..48].copy_from_slice(&3u64.to_le_bytes()); // args[1]: records
        let mut got = Vec::new();
        for_each_ring_record(&batch, |cpu, r| got.push((cpu, r.to_vec())));
        assert_eq!(got, recs.iter().map(|r| (1, r.clone())).collect::<Vec<_>>());

        // a plain record (with data) is handed over whole
        let single = record(9, 0, Kind::Syscall as u16, &[1, 0, 2, 0, b'a', 0]);
        got.clear();
        for_each_ring_record(&single, |cpu, r| got.push((cpu, r.to_vec())));
        assert_eq!(got, vec![(0, single.clone())]);

        // a runt item is ignored, not a panic
        got.clear();
        for_each_ring_record(&single[..10], |cpu, r| got.push((cpu, r.to_vec())));
        assert!(got.is_empty());
    }
}
