//! `sysreplay cat FILE`: one line per event, like sysdig's default output.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::record::{tag, Kind, DROP_CATEGORY_NAMES};
use sysreplay_format::timefmt::{clock_ns, iso8601_ns, parse_offset_ns};
use sysreplay_format::{Event, ProcessSnapshot};
use sysreplay_syscalls as syscalls;
use sysreplay_syscalls::decode;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Trace file
    pub file: PathBuf,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
    /// Only these syscalls (comma-separated or repeated), e.g. -s openat,execve;
    /// `procexit`, `procfork`, `procexec` and `drop` select those records
    #[arg(short = 's', long = "syscall", value_delimiter = ',')]
    pub syscalls: Vec<String>,
    /// Only these processes (pid = thread group id; repeatable)
    #[arg(short = 'p', long = "pid", value_delimiter = ',')]
    pub pids: Vec<u32>,
    /// Only these threads
    #[arg(long = "tid", value_delimiter = ',')]
    pub tids: Vec<u32>,
    /// Start this long after the first event (e.g. 1.5, 250ms, 2m)
    #[arg(long)]
    pub from: Option<String>,
    /// Stop this long after the first event
    #[arg(long)]
    pub to: Option<String>,
    /// Print at most N events
    #[arg(short = 'n', long)]
    pub limit: Option<u64>,
}

/// Thread id -> command name, kept from the snapshot, forks, execs and exits
/// (enough to label lines; the rule engine keeps the full thread table).
struct Names {
    comm: HashMap<u32, String>,
}

impl Names {
    fn new(s: &ProcessSnapshot) -> Self {
        Names {
            comm: s.threads.iter().map(|t| (t.tid, t.comm.clone())).collect(),
        }
    }
    fn update(&mut self, e: &Event<'_>) {
        match e.kind() {
            Some(Kind::ProcFork) => {
                let child = e.args[0] as u32;
                let name = e
                    .item(tag::COMM)
                    .map(|i| String::from_utf8_lossy(i.c_str()).into_owned())
                    .or_else(|| self.comm.get(&e.tid).cloned());
                if let Some(n) = name {
                    self.comm.insert(child, n);
                }
            }
            Some(Kind::ProcExec) => {
                if let Some(i) = e.item(tag::COMM) {
                    self.comm
                        .insert(e.tid, String::from_utf8_lossy(i.c_str()).into_owned());
                }
            }
            _ => {}
        }
    }
    fn forget(&mut self, e: &Event<'_>) {
        if e.kind() == Some(Kind::ProcExit) {
            self.comm.remove(&e.tid);
        }
    }
    fn get(&self, tid: u32) -> &str {
        self.comm.get(&tid).map_or("<NA>", |s| s.as_str())
    }
}

/// What a line is called: the syscall name or the record kind.
fn event_type(e: &Event<'_>) -> std::borrow::Cow<'static, str> {
    match e.kind() {
        Some(Kind::Syscall) => syscalls::display_name(e.nr),
        Some(k) => k.name().into(),
        None => format!("kind_{}", e.kind).into(),
    }
}

/// The argument text: decoded `name=value` pairs where the syscall is known.
fn event_info(e: &Event<'_>, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    match e.kind() {
        Some(Kind::Syscall) => {
            decode::render_all(e, out);
        }
        Some(Kind::ProcExit) => {
            let _ = write!(out, "status={}", e.args[0] as i64);
        }
        Some(Kind::ProcFork) => {
            let _ = write!(out, "child_tid={} child_pid={}", e.args[0], e.args[1]);
        }
        Some(Kind::ProcExec) => {
            if let Some(i) = e.item(tag::EXE) {
                let _ = write!(out, "exe={}", String::from_utf8_lossy(i.c_str()));
            }
            if let Some(i) = e.item(tag::ARGV) {
                let args: Vec<_> = i
                    .bytes
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(String::from_utf8_lossy)
                    .collect();
                let _ = write!(out, " args={}", args.join(" "));
            }
            if let Some(c) = e.creds() {
                let _ = write!(
                    out,
                    " uid={} gid={} loginuid={} ppid={}",
                    c.uid, c.gid, c.loginuid as i32, c.ppid
                );
            }
        }
        Some(Kind::Drop) => {
            let _ = write!(
                out,
                "lost={} seen={} window={}ns",
                e.args[1],
                e.args[2],
                e.ts_ns.saturating_sub(e.args[0])
            );
            if let Some(dc) = e.drop_counts() {
                for (name, n) in DROP_CATEGORY_NAMES.iter().zip(dc.n) {
                    if n > 0 {
                        let _ = write!(out, " {name}={n}");
                    }
                }
                if dc.n_other > 0 {
                    let _ = write!(out, " other={}", dc.n_other);
                }
            }
        }
        None => {}
    }
}

struct Filter {
    nrs: HashSet<u16>,
    kinds: HashSet<u16>,
    any_type: bool,
    pids: HashSet<u32>,
    tids: HashSet<u32>,
}

impl Filter {
    fn new(a: &Args) -> Result<Self, Failure> {
        let mut f = Filter {
            nrs: HashSet::new(),
            kinds: HashSet::new(),
            any_type: a.syscalls.is_empty(),
            pids: a.pids.iter().copied().collect(),
            tids: a.tids.iter().copied().collect(),
        };
        for s in &a.syscalls {
            let k = match s.as_str() {
                "procexit" => Some(Kind::ProcExit),
                "procfork" => Some(Kind::ProcFork),
                "procexec" => Some(Kind::ProcExec),
                "drop" => Some(Kind::Drop),
                _ => None,
            };
            match (k, syscalls::number(s)) {
                (Some(k), _) => {
                    f.kinds.insert(k as u16);
                }
                (None, Some(nr)) => {
                    f.nrs.insert(nr);
                }
                (None, None) => {
                    return Err(Failure::input(format!(
                        "--syscall: unknown syscall '{s}' (expected a syscall name like openat, or procexit/procfork/procexec/drop)"
                    )))
                }
            }
        }
        Ok(f)
    }
    fn wants(&self, e: &Event<'_>) -> bool {
        let type_ok = self.any_type
            || if e.is_syscall() {
                self.nrs.contains(&e.nr)
            } else {
                self.kinds.contains(&e.kind)
            };
        type_ok
            && (self.pids.is_empty() || self.pids.contains(&e.pid))
            && (self.tids.is_empty() || self.tids.contains(&e.tid))
    }
}

pub fn run(a: Args) -> Result<(), Failure> {
    let filter = Filter::new(&a)?;
    let r = crate::open_trace(&a.file)?;
    let start = r.blocks().first().map_or(0, |b| b.header.first_ts);
    let from = match &a.from {
        Some(s) => {
            start + parse_offset_ns(s).map_err(|e| Failure::input(format!("--from: {e}")))?
        }
        None => 0,
    };
    let to = match &a.to {
        Some(s) => start + parse_offset_ns(s).map_err(|e| Failure::input(format!("--to: {e}")))?,
        None => u64::MAX,
    };
    let offset = r.header().boot_to_wall_ns;
    let mut names = Names::new(r.snapshot());
    let stdout = std::io::stdout();
    let mut o = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut info = String::new();
    let mut num = 0u64;
    let mut printed = 0u64;
    let mut io_err = None;
    // Names need every event from the start, so seek only when nothing
    // before `from` can matter: we still scan, but print from `from` on.
    r.for_each_event(|e| {
        num += 1;
        names.update(e);
        if e.ts_ns >= to {
            return ControlFlow::Break(());
        }
        if e.ts_ns >= from && filter.wants(e) {
            event_info(e, &mut info);
            let wall = e.ts_ns as i64 + offset;
            let res = if a.json {
                let v = serde_json::json!({
                    "num": num,
                    "time": iso8601_ns(wall),
                    "ts_ns": e.ts_ns,
                    "cpu": e.cpu,
                    "proc": names.get(e.tid),
                    "pid": e.pid,
                    "tid": e.tid,
                    "type": event_type(e),
                    "res": if e.is_syscall() { Some(e.ret) } else { None },
                    "args": info,
                });
                writeln!(o, "{v}")
            } else {
                // one event, one line: no control character of a path,
                // argv or comm reaches the terminal
                writeln!(
                    o,
                    "{num} {} {} {} ({}) {} {}",
                    clock_ns(wall),
                    e.cpu,
                    decode::printable(names.get(e.tid)),
                    e.tid,
                    event_type(e),
                    decode::printable(&info)
                )
            };
            if let Err(err) = res {
                io_err = Some(err);
                return ControlFlow::Break(());
            }
            printed += 1;
            if a.limit.is_some_and(|l| printed >= l) {
                return ControlFlow::Break(());
            }
        }
        names.forget(e);
        ControlFlow::Continue(())
    })?;
    if let Some(e) = io_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(()); // `| head` closed the pipe
        }
        return Err(e.into());
    }
    match o.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
