//! `sysreplay eval TRACE -r RULES...`: replay a trace through Falco rules and
//! print the alerts (Falco's text or JSON lines).

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_replay::drive_trace;
use sysreplay_ruleeval::{
    load_rules_with_filter, Engine, EventFilter, Priority, RuleMatching, Ruleset, Severity,
    FILTER_FILE,
};

use crate::drop_alerts::{DropSettings, DropWatch};
use crate::falco_config::{apply_append_output, ConfigArgs, FalcoConfig};
use crate::progress::Progress;
use crate::Failure;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Matching {
    First,
    All,
}

impl Matching {
    /// Falco's `rule_matching:` setting ("all", otherwise first).
    pub fn of_config(c: &FalcoConfig) -> Option<Matching> {
        c.rule_matching.as_deref().map(|m| match m {
            "all" => Matching::All,
            _ => Matching::First,
        })
    }

    pub fn engine(self) -> RuleMatching {
        match self {
            Matching::First => RuleMatching::First,
            Matching::All => RuleMatching::All,
        }
    }
}

/// Rules to load from `-r` or the config's `rules_files`, or the error
/// saying where they come from.
pub fn require_rules(rules: &[PathBuf]) -> Result<(), Failure> {
    if rules.is_empty() {
        return Err(Failure::input(
            "no rules: give -r FILE|DIR, or -c falco.yaml with rules_files",
        ));
    }
    Ok(())
}

/// Rule selection shared by `eval` and `rules check`.
#[derive(clap::Args, Clone, Default)]
pub struct Selection {
    /// Disable rules whose name matches (wildcards `*` `?`); repeatable
    #[arg(long = "disable", value_name = "RULE")]
    pub disable: Vec<String>,
    /// Enable rules whose name matches (also rules with `enabled: false`); repeatable
    #[arg(long = "enable", value_name = "RULE")]
    pub enable: Vec<String>,
    /// Disable rules with a tag that matches; repeatable
    #[arg(long = "disable-tag", value_name = "TAG")]
    pub disable_tag: Vec<String>,
    /// Enable rules with a tag that matches; repeatable
    #[arg(long = "enable-tag", value_name = "TAG")]
    pub enable_tag: Vec<String>,
    /// Skip rules below this priority (emergency ... debug), as Falco's `priority:`
    #[arg(long = "min-priority", value_name = "PRIORITY")]
    pub min_priority: Option<String>,
}

#[derive(clap::Args)]
pub struct Args {
    /// Trace file
    pub trace: PathBuf,
    /// Rules file(s) or directories (their .yaml files in name order), loaded in order (or rules_files of -c)
    #[arg(short = 'r', long = "rules", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// One Falco-shaped JSON alert per line
    #[arg(long)]
    pub json: bool,
    /// Stop at the first matching rule per event (Falco's default) or run all
    #[arg(long = "rule-matching", value_enum)]
    pub rule_matching: Option<Matching>,
    /// Print rules-file warnings too
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Print run statistics to stderr at the end
    #[arg(long)]
    pub stats: bool,
    /// Falco's syscall_event_drops.threshold: a "syscall event drop" alert
    /// when more than this share of a second's events were lost (default 0.1)
    #[arg(long, value_name = "RATIO")]
    pub drop_threshold: Option<f64>,
    /// No "Falco internal: syscall event drop" alerts
    #[arg(long)]
    pub no_drop_alerts: bool,
    /// Evaluate rules only on events that match this filter expression
    /// (Falco's condition language; the state engine still sees every event)
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Evaluate rules only from this long after the first event (e.g. 1.5, 250ms, 2m)
    #[arg(long)]
    pub from: Option<String>,
    /// Evaluate rules only before this long after the first event
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub selection: Selection,
}

/// `--from`/`--to` offsets (from the first event: `1.5`, `250ms`, `2m`) as
/// a window of trace times (ns, `to` exclusive), for `eval`, `cat` and
/// `replay` alike. A window past the trace's end or ending before it
/// starts is an error, not an empty run with a confident summary.
pub fn window(
    r: &sysreplay_format::TraceReader,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Option<(u64, u64)>, Failure> {
    use sysreplay_format::timefmt::{duration, parse_offset_ns};
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let start = r.blocks().first().map_or(0, |b| b.header.first_ts);
    let end = r.blocks().iter().map(|b| b.header.last_ts).max();
    let parse = |opt: &str, v: Option<&str>| -> Result<Option<u64>, Failure> {
        v.map(|s| {
            parse_offset_ns(s)
                .map(|ns| start.saturating_add(ns))
                .map_err(|e| Failure::input(format!("--{opt}: {e}")))
        })
        .transpose()
    };
    let (f, t) = (
        parse("from", from)?.unwrap_or(start),
        parse("to", to)?.unwrap_or(u64::MAX),
    );
    if let (Some(from), Some(end)) = (from, end) {
        if f > end {
            // (a crafted header may put its end before its start)
            return Err(Failure::input(format!(
                "--from {from} is past the trace's end ({} after its first event)",
                duration(end.saturating_sub(start))
            )));
        }
    }
    if t <= f {
        return Err(Failure::input(match from {
            Some(from) => format!(
                "--to {} is not after --from {from}: the window holds no event",
                to.unwrap_or_default()
            ),
            None => format!(
                "--to {} ends at the first event: the window holds no event",
                to.unwrap_or_default()
            ),
        }));
    }
    Ok(Some((f, t)))
}

/// Load rules, print diagnostics; errors are bad input (exit 2).
pub fn load_checked(paths: &[PathBuf], verbose: bool, sel: &Selection) -> Result<Ruleset, Failure> {
    Ok(load_with_filter(paths, None, verbose, sel)?.0)
}

/// [`load_checked`] with a filter expression compiled with the files'
/// lists and macros.
pub fn load_with_filter(
    paths: &[PathBuf],
    filter: Option<&str>,
    verbose: bool,
    sel: &Selection,
) -> Result<(Ruleset, Option<EventFilter>), Failure> {
    let (mut rs, f) = load_rules_with_filter(paths, filter);
    // A trace or capture given to -r fails YAML at 1:1 as "not UTF-8":
    // when loading failed, name what such a file is instead.
    if rs.diags.errors().next().is_some() {
        if let Some(msg) = paths.iter().find_map(|p| crate::sniff::not_rules(p)) {
            return Err(Failure::input(msg));
        }
    }
    let mut err = std::io::stderr().lock();
    let mut nwarn = 0;
    for d in &rs.diags.list {
        match d.severity {
            Severity::Error => {
                let _ = writeln!(err, "{d}");
            }
            Severity::Warning => {
                nwarn += 1;
                if verbose {
                    let _ = writeln!(err, "{d}");
                }
            }
        }
    }
    let nerr = rs.diags.errors().count();
    if nerr > 0 {
        let in_filter = rs
            .diags
            .errors()
            .any(|d| d.loc.as_ref().is_some_and(|l| &*l.file == FILTER_FILE));
        return Err(Failure::input(if in_filter && nerr == 1 {
            "bad filter expression".to_string()
        } else {
            format!("{nerr} error(s) in rules files or filter")
        }));
    }
    if nwarn > 0 && !verbose {
        let _ = writeln!(
            err,
            "sysreplay: {nwarn} warning(s) in rules files (-v to show them)"
        );
    }
    apply_selection(&mut rs, sel)?;
    Ok((rs, f))
}

/// Say which syscalls the rules need that the trace did not record, and
/// which rules that silences (shared by `eval` and `replay`).
pub fn warn_missing_syscalls(rs: &Ruleset, reader: &sysreplay_format::TraceReader) {
    let missing = sysreplay_replay::coverage::missing_syscalls(rs, reader.header());
    if missing.is_empty() {
        return;
    }
    eprintln!(
        "sysreplay: WARNING: {} did not record {} syscall(s) these rules need; the rules below cannot fire on it (record with `--rules` for these rules, or `--syscalls all`):",
        reader.path().display(),
        missing.len()
    );
    for (sc, rules) in &missing {
        eprintln!("  {sc}: {}", rules.join(", "));
    }
}

pub fn apply_selection(rs: &mut Ruleset, sel: &Selection) -> Result<(), Failure> {
    if let Some(p) = &sel.min_priority {
        let p = Priority::parse(p).ok_or_else(|| {
            Failure::input(format!(
                "--min-priority: invalid priority '{p}' (expected one of emergency, alert, critical, error, warning, notice, informational (or info), debug)"
            ))
        })?;
        rs.apply_min_priority(p);
    }
    for t in &sel.disable_tag {
        rs.set_enabled_by_tag(t, false);
    }
    for t in &sel.enable_tag {
        rs.set_enabled_by_tag(t, true);
    }
    for r in &sel.disable {
        if rs.set_enabled_by_name(r, false) == 0 {
            eprintln!("sysreplay: warning: --disable {r}: no rule matches");
        }
    }
    for r in &sel.enable {
        if rs.set_enabled_by_name(r, true) == 0 {
            eprintln!("sysreplay: warning: --enable {r}: no rule matches");
        }
    }
    Ok(())
}

/// The rules files given, for a message: "a.yaml, rules.d".
pub fn files_named(paths: &[PathBuf]) -> String {
    let names: Vec<_> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// `eval` with no enabled rule would print nothing and look like a clean
/// trace: an input error that says which selection left nothing.
pub fn no_rule_enabled(rs: &Ruleset, sel: &Selection, paths: &[PathBuf]) -> Result<(), Failure> {
    if rs.enabled_rules().next().is_some() {
        return Ok(());
    }
    let mut why = Vec::new();
    for d in &sel.disable {
        why.push(format!("--disable '{d}'"));
    }
    for t in &sel.disable_tag {
        why.push(format!("--disable-tag '{t}'"));
    }
    if let Some(p) = &sel.min_priority {
        why.push(format!("--min-priority {p}"));
    }
    Err(Failure::input(if rs.rules.is_empty() {
        format!("no rule in {}: nothing to evaluate", files_named(paths))
    } else if why.is_empty() {
        format!(
            "all {} rules are disabled (enabled: false in the files): nothing to evaluate; --enable RULE turns one on",
            rs.rules.len()
        )
    } else {
        format!(
            "no rule left enabled after {} (of {} rules): nothing to evaluate",
            why.join(", "),
            rs.rules.len()
        )
    }))
}

/// `eval`'s per-event hooks: Falco's drop manager and the progress bar.
struct EvalObserver<'a> {
    drops: &'a mut DropWatch,
    progress: Progress,
    n: u64,
    total: u64,
}

impl sysreplay_ruleeval::Observer for EvalObserver<'_> {
    // the drop watch reads a drop marker's args only
    const READS_ARGS: bool = false;
    #[inline(always)]
    fn event_begin(&mut self, ev: &sysreplay_format::Event) {
        self.drops.event_begin(ev);
        self.n += 1;
        if self.n.is_multiple_of(1 << 18) {
            self.progress.show("eval", self.n, self.total);
        }
    }
}

/// How alerts are written: Falco's output settings.
#[derive(Clone, Copy)]
pub struct AlertStyle {
    pub json: bool,
    /// json_include_output_property (default true)
    pub include_output: bool,
    /// time_format_iso_8601: the text line starts with the ISO time
    pub iso_time: bool,
}

impl AlertStyle {
    pub fn line(&self, alert: &sysreplay_ruleeval::Alert) -> String {
        if self.json {
            if self.include_output {
                return alert.to_json();
            }
            let mut v = serde_json::to_value(alert).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.remove("output");
            }
            return v.to_string();
        }
        if self.iso_time {
            if let Some((_, rest)) = alert.output.split_once(": ") {
                return format!("{}: {rest}", alert.time);
            }
        }
        alert.output.clone()
    }
}

pub fn run(mut a: Args) -> Result<(), Failure> {
    let mut style = AlertStyle {
        json: a.json,
        include_output: true,
        iso_time: false,
    };
    let mut append = Vec::new();
    let mut drops = DropSettings::default();
    if let Some(c) = FalcoConfig::load(&a.config)? {
        c.report_ignored(
            "eval",
            &[
                "rules_files",
                "rules_file",
                "priority",
                "rule_matching",
                "json_output",
                "json_include_output_property",
                "time_format_iso_8601",
                "append_output",
                "syscall_event_drops",
            ],
        );
        a.rules = c.rules_or(&a.rules);
        a.drop_threshold = a.drop_threshold.or(c.drop_threshold);
        if let Some(r) = c.drop_rate {
            drops.rate = r;
        }
        if let Some(b) = c.drop_max_burst {
            drops.max_burst = b;
        }
        if let Some(acts) = &c.drop_actions {
            drops.alert = acts.iter().any(|x| x == "alert");
        }
        a.selection.min_priority = a.selection.min_priority.take().or(c.priority.clone());
        a.rule_matching = a.rule_matching.or(Matching::of_config(&c));
        style.json |= c.json_output.unwrap_or(false);
        style.include_output = c.json_include_output_property.unwrap_or(true);
        style.iso_time = c.time_format_iso_8601.unwrap_or(false);
        append = c.append_output;
    }
    require_rules(&a.rules)?;
    let (mut rs, filter) =
        load_with_filter(&a.rules, a.filter.as_deref(), a.verbose, &a.selection)?;
    apply_append_output(&mut rs, &append)?;
    let reader = crate::open_trace(&a.trace)?;
    warn_missing_syscalls(&rs, &reader);
    let window = window(&reader, a.from.as_deref(), a.to.as_deref())?;
    let matching = a.rule_matching.unwrap_or(Matching::First).engine();
    no_rule_enabled(&rs, &a.selection, &a.rules)?;
    let mut engine = Engine::new(rs, matching);
    engine.filter = filter;
    engine.window = window;
    if let Some(t) = a.drop_threshold {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Failure::input(format!(
                "--drop-threshold {t}: expected a ratio >= 0"
            )));
        }
        drops.threshold = t;
    }
    drops.alert &= !a.no_drop_alerts;
    let mut watch = DropWatch::new(drops, reader.header().boot_to_wall_ns);
    watch.window = window;
    let pending = watch.pending.clone();
    let host = reader.header().hostname.clone();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut io_err: Option<std::io::Error> = None;
    // Drop alerts come out before the alerts of the event that ran the check.
    let flush_drops = |out: &mut BufWriter<_>| -> std::io::Result<()> {
        for d in pending.borrow_mut().drain(..) {
            writeln!(out, "{}", d.line(style.json, &host))?;
        }
        Ok(())
    };
    let mut obs = EvalObserver {
        drops: &mut watch,
        progress: Progress::new(),
        n: 0,
        total: reader.event_count(),
    };
    drive_trace(&reader, &mut engine, &mut obs, |h| {
        let alert = h.alert();
        let r = flush_drops(&mut out).and_then(|()| writeln!(out, "{}", style.line(&alert)));
        match r {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                io_err.get_or_insert(e);
                ControlFlow::Break(())
            }
        }
    })?;
    obs.progress.done();
    // A closed stdout (`| head`) ends the run quietly.
    let flushed = match io_err {
        Some(e) => Err(e),
        None => flush_drops(&mut out).and_then(|()| out.flush()),
    };
    if let Err(e) = flushed {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        return Err(e.into());
    }
    if a.stats {
        let s = &engine.stats;
        let st = &engine.state.stats;
        let (tmem, fmem) = engine.state.memory_estimate();
        eprintln!(
            "events: {}  evaluated: {}  rule evaluations: {}  alerts: {}",
            s.events, s.events_evaluated, s.rule_evaluations, s.alerts
        );
        if engine.filter.is_some() || engine.window.is_some() {
            eprintln!(
                "filtered out (--filter, --from/--to): {} events (seen by the state engine only)",
                s.events_filtered_out
            );
        }
        eprintln!(
            "state: {} threads (~{} bytes), {} fds (~{} bytes); failed lookups: {} thread, {} fd ({} / {} after drops); drop markers: {} ({} events lost)",
            engine.state.threads.len(),
            tmem,
            engine.state.fd_count(),
            fmem,
            st.n_failed_thread_lookups,
            st.n_failed_fd_lookups,
            st.n_failed_thread_lookups_after_drop,
            st.n_failed_fd_lookups_after_drop,
            st.n_drop_markers,
            st.n_dropped_events
        );
        eprintln!(
            "syscall event drop monitoring: {} occurrences over the threshold, {} alerts",
            watch.detected, watch.actions
        );
        for (i, r) in engine.ruleset.rules.iter().enumerate() {
            if s.matches[i] > 0 {
                eprintln!("  {:>8}  {}", s.matches[i], r.name);
            }
        }
    }
    // The process exits next (main's only call): freeing the rules and the
    // process table node by node cost ~4% of evaluating a tiny trace.
    std::mem::forget(engine);
    Ok(())
}
