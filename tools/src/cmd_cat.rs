//! `sysreplay cat FILE [FILTER]`: one line per event, like sysdig's default
//! output; a filter expression (Falco's condition language) and `-p FORMAT`
//! output strings run through the rule engine's state (`replay::drive_inspect`).

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::record::{tag, Kind, DROP_CATEGORY_NAMES};
use sysreplay_format::timefmt::{clock_ns, iso8601_ns};
use sysreplay_format::{Event, ProcessSnapshot};
use sysreplay_syscalls as syscalls;
use sysreplay_syscalls::decode;

use sysreplay_replay::drive::drive_inspect;
use sysreplay_ruleeval::output::OutputFormat;
use sysreplay_ruleeval::{Engine, RuleMatching};

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Trace file
    pub file: PathBuf,
    /// A filter expression, sysdig-style (Falco's condition language), e.g.
    /// proc.name=cat and fd.name startswith /etc (the words are joined)
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Rules files whose lists and macros the filter may use
    #[arg(short = 'r', long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Output format, as sysdig's -p: "%evt.num %evt.time %proc.name %fd.name"
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub print: Option<String>,
    /// One JSON object per line (with -p: the format's fields)
    #[arg(long)]
    pub json: bool,
    /// Only these syscalls (comma-separated or repeated), e.g. -s openat,execve;
    /// `procexit`, `procfork`, `procexec`, `drop` and `container` select those records
    #[arg(short = 's', long = "syscall", value_delimiter = ',')]
    pub syscalls: Vec<String>,
    /// Only these processes (pid = thread group id; repeatable)
    #[arg(long = "pid", value_delimiter = ',')]
    pub pids: Vec<u32>,
    /// Only these threads
    #[arg(long = "tid", value_delimiter = ',')]
    pub tids: Vec<u32>,
    /// Start this long after the first event (e.g. 1.5, 250ms, 2m)
    #[arg(long)]
    pub from: Option<String>,
    /// Only events before this long after the first event
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

/// The non-empty strings of a NUL-separated item (argv, cgroups).
fn nul_list(b: &[u8]) -> Vec<std::borrow::Cow<'_, str>> {
    b.split(|&c| c == 0)
        .filter(|a| !a.is_empty())
        .map(String::from_utf8_lossy)
        .collect()
}

/// ` cgroups=a,b` from a CGROUPS item (NUL-separated `subsys=path` entries).
fn write_cgroups(e: &Event<'_>, out: &mut String) {
    if let Some(i) = e.item(tag::CGROUPS) {
        out.push_str(" cgroups=");
        out.push_str(&nul_list(i.bytes).join(","));
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
            write_cgroups(e, out);
        }
        Some(Kind::ProcExec) => {
            if let Some(i) = e.item(tag::EXE) {
                let _ = write!(out, "exe={}", String::from_utf8_lossy(i.c_str()));
            }
            if let Some(i) = e.item(tag::ARGV) {
                let _ = write!(out, " args={}", nul_list(i.bytes).join(" "));
            }
            if let Some(c) = e.creds() {
                let _ = write!(
                    out,
                    " uid={} gid={} loginuid={} ppid={}",
                    c.uid, c.gid, c.loginuid as i32, c.ppid
                );
            }
            if let Some(f) = e.exe_flags() {
                out.push_str(" exe_flags=");
                decode::flags_str(decode::FlagSet::Exe, f as u64, out);
            }
            write_cgroups(e, out);
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
        Some(Kind::Container) => {
            if let Some(j) = e.container_json() {
                let _ = write!(out, "json={}", String::from_utf8_lossy(j));
            }
        }
        None => {}
    }
}

/// The record kinds `-s` selects by name, besides syscalls.
const RECORD_NAMES: [(&str, Kind); 5] = [
    ("procexit", Kind::ProcExit),
    ("procfork", Kind::ProcFork),
    ("procexec", Kind::ProcExec),
    ("drop", Kind::Drop),
    ("container", Kind::Container),
];

/// The closest syscall or record name to a misspelled one.
fn suggest(s: &str) -> Option<String> {
    let names = (0..syscalls::MAX_SYSCALLS as u16)
        .filter_map(syscalls::name)
        .chain(RECORD_NAMES.iter().map(|r| r.0));
    sysreplay_ruleeval::suggest::closest(s, names).map(str::to_string)
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
            let k = RECORD_NAMES.iter().find(|r| r.0 == s).map(|r| r.1);
            match (k, syscalls::number(s)) {
                (Some(k), _) => {
                    f.kinds.insert(k as u16);
                }
                (None, Some(nr)) => {
                    f.nrs.insert(nr);
                }
                (None, None) => {
                    let hint = match suggest(s) {
                        Some(n) => format!("did you mean '{n}'? "),
                        None => String::new(),
                    };
                    return Err(Failure::input(format!(
                        "--syscall: unknown syscall '{s}' ({hint}expected a syscall name like openat, or procexit/procfork/procexec/drop/container)"
                    )));
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

/// JSON of a record's arguments, one key per parameter: numbers where the
/// value prints as a plain number, else the text `cat` prints (real bytes).
fn event_args_json(e: &Event<'_>) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut m = Map::new();
    match e.kind() {
        Some(Kind::Syscall) => {
            if let Some(ps) = decode::params(e.nr) {
                let mut t = String::new();
                for p in ps {
                    t.clear();
                    decode::render(e, p, &mut t);
                    let v = match t.parse::<i64>() {
                        Ok(n) if n.to_string() == t => Value::from(n),
                        _ => Value::from(t.clone()),
                    };
                    m.insert(p.name.to_string(), v);
                }
            }
        }
        Some(Kind::ProcExit) => {
            m.insert("status".into(), json!(e.args[0] as i64));
        }
        Some(Kind::ProcFork) => {
            m.insert("child_tid".into(), json!(e.args[0]));
            m.insert("child_pid".into(), json!(e.args[1]));
        }
        Some(Kind::ProcExec) => {
            if let Some(i) = e.item(tag::EXE) {
                m.insert("exe".into(), json!(String::from_utf8_lossy(i.c_str())));
            }
            if let Some(i) = e.item(tag::ARGV) {
                let args: Vec<_> = i
                    .bytes
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(String::from_utf8_lossy)
                    .collect();
                m.insert("args".into(), json!(args));
            }
            if let Some(c) = e.creds() {
                m.insert("uid".into(), json!(c.uid));
                m.insert("gid".into(), json!(c.gid));
                m.insert("loginuid".into(), json!(c.loginuid as i32));
                m.insert("ppid".into(), json!(c.ppid));
            }
        }
        Some(Kind::Container) => {
            // the JSON itself where it parses, else its text
            if let Some(j) = e.container_json() {
                let v = serde_json::from_slice::<Value>(j)
                    .unwrap_or_else(|_| json!(String::from_utf8_lossy(j)));
                m.insert("json".into(), v);
            }
        }
        Some(Kind::Drop) => {
            m.insert("lost".into(), json!(e.args[1]));
            m.insert("seen".into(), json!(e.args[2]));
            m.insert("window_ns".into(), json!(e.ts_ns.saturating_sub(e.args[0])));
            if let Some(dc) = e.drop_counts() {
                for (name, n) in DROP_CATEGORY_NAMES.iter().zip(dc.n) {
                    if n > 0 {
                        m.insert((*name).to_string(), json!(n));
                    }
                }
                if dc.n_other > 0 {
                    m.insert("other".into(), json!(dc.n_other));
                }
            }
        }
        None => {}
    }
    Value::Object(m)
}

/// Writes the selected events, in `cat`'s line or JSON shape.
struct Printer<W: Write> {
    o: W,
    json: bool,
    offset: i64,
    info: String,
    printed: u64,
    limit: Option<u64>,
}

impl<W: Write> Printer<W> {
    /// One event in the default shape; `Ok(false)` once the limit is reached.
    fn event(&mut self, num: u64, e: &Event<'_>, comm: &str) -> std::io::Result<bool> {
        event_info(e, &mut self.info);
        let wall = e.ts_ns as i64 + self.offset;
        if self.json {
            let v = serde_json::json!({
                "num": num,
                "time": iso8601_ns(wall),
                "ts_ns": e.ts_ns,
                "cpu": e.cpu,
                "proc": comm,
                "pid": e.pid,
                "tid": e.tid,
                "type": event_type(e),
                "res": if e.is_syscall() { Some(e.ret) } else { None },
                "args": event_args_json(e),
                "info": self.info,
            });
            writeln!(self.o, "{v}")?;
        } else {
            // one event, one line: no control character of a path, argv or
            // comm reaches the terminal
            writeln!(
                self.o,
                "{num} {} {} {} ({}) {} {}",
                clock_ns(wall),
                e.cpu,
                decode::printable(comm),
                e.tid,
                event_type(e),
                decode::printable(&self.info)
            )?;
        }
        self.count()
    }
    /// A line already formatted (`-p`).
    fn line(&mut self, text: &str) -> std::io::Result<bool> {
        writeln!(self.o, "{text}")?;
        self.count()
    }
    fn count(&mut self) -> std::io::Result<bool> {
        self.printed += 1;
        Ok(self.limit.is_none_or(|l| self.printed < l))
    }
}

pub fn run(a: Args) -> Result<(), Failure> {
    let filter = Filter::new(&a)?;
    let expr = (!a.filter.is_empty()).then(|| a.filter.join(" "));
    let print = match &a.print {
        Some(p) => Some(OutputFormat::parse(p).map_err(|e| {
            Failure::input(format!(
                "-p: {} (at character {} of \"{p}\")",
                e.msg,
                p[..e.pos].chars().count() + 1
            ))
        })?),
        None => None,
    };
    if let Some(p) = a.print.as_deref().filter(|p| !p.contains('%')) {
        // `-p 1234` meant as a pid prints "1234" on every line
        let pid = if p.trim().parse::<u32>().is_ok() {
            " (--pid selects a process)"
        } else {
            ""
        };
        eprintln!("sysreplay: warning: -p '{p}' has no %field: every line prints it as is{pid}");
    }
    // Rules files only lend their lists and macros to the filter.
    let (rs, expr_filter) = if expr.is_some() || !a.rules.is_empty() {
        crate::cmd_eval::load_with_filter(&a.rules, expr.as_deref(), false, &Default::default())?
    } else {
        Default::default()
    };
    let r = crate::open_trace(&a.file)?;
    let (from, to) =
        crate::cmd_eval::window(&r, a.from.as_deref(), a.to.as_deref())?.unwrap_or((0, u64::MAX));
    let stdout = std::io::stdout();
    let mut p = Printer {
        o: BufWriter::with_capacity(1 << 16, stdout.lock()),
        json: a.json,
        offset: r.header().boot_to_wall_ns,
        info: String::new(),
        printed: 0,
        limit: a.limit,
    };
    let mut num = 0u64;
    let mut io_err = None;
    let mut stop = |res: std::io::Result<bool>| match res {
        Ok(true) => ControlFlow::Continue(()),
        Ok(false) => ControlFlow::Break(()),
        Err(e) => {
            io_err = Some(e);
            ControlFlow::Break(())
        }
    };
    if expr_filter.is_none() && print.is_none() {
        // Plain listing: a light name table is enough, no state engine.
        let mut names = Names::new(r.snapshot());
        r.for_each_event(|e| {
            num += 1;
            names.update(e);
            if e.ts_ns >= to {
                return ControlFlow::Break(());
            }
            if e.ts_ns >= from && filter.wants(e) {
                stop(p.event(num, e, names.get(e.tid)))?;
            }
            names.forget(e);
            ControlFlow::Continue(())
        })?;
    } else {
        // Filters and formats see the state engine's view of the event
        // (proc.name, fd.name, ...), as the rules do.
        let mut engine = Engine::new(rs, RuleMatching::First);
        let mut map = serde_json::Map::new();
        drive_inspect(&r, &mut engine, |cx, sc| {
            num += 1;
            let e = cx.ev;
            if e.ts_ns >= to {
                return ControlFlow::Break(());
            }
            if e.ts_ns < from
                || !filter.wants(e)
                || expr_filter.as_ref().is_some_and(|f| !f.matches(cx, sc))
            {
                return ControlFlow::Continue(());
            }
            let res = match &print {
                Some(fmt) if a.json => {
                    map.clear();
                    fmt.render(cx, sc, Some(&mut map));
                    p.line(&serde_json::Value::Object(std::mem::take(&mut map)).to_string())
                }
                Some(fmt) => p.line(&fmt.render(cx, sc, None)),
                None => p.event(num, e, cx.thread.map_or("<NA>", |t| &t.comm)),
            };
            stop(res)
        })?;
    }
    if let Some(e) = io_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(()); // `| head` closed the pipe
        }
        return Err(e.into());
    }
    match p.o.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
