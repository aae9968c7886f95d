//! `sysreplay eval TRACE -r RULES...`: replay a trace through Falco rules and
//! print the alerts (Falco's text or JSON lines).

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_replay::drive_trace;
use sysreplay_ruleeval::{
    load_rules, Engine, NoObserver, Priority, RuleMatching, Ruleset, Severity,
};

use crate::Failure;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Matching {
    First,
    All,
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
    /// Rules file(s), loaded in order
    #[arg(short = 'r', long = "rules", required = true, num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// One Falco-shaped JSON alert per line
    #[arg(long)]
    pub json: bool,
    /// Stop at the first matching rule per event (Falco's default) or run all
    #[arg(long = "rule-matching", value_enum, default_value = "first")]
    pub rule_matching: Matching,
    /// Print rules-file warnings too
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Print run statistics to stderr at the end
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub selection: Selection,
}

/// Load rules, print diagnostics; errors are bad input (exit 2).
pub fn load_checked(paths: &[PathBuf], verbose: bool, sel: &Selection) -> Result<Ruleset, Failure> {
    let mut rs = load_rules(paths);
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
        return Err(Failure::input(format!("{nerr} error(s) in rules files")));
    }
    if nwarn > 0 && !verbose {
        let _ = writeln!(
            err,
            "sysreplay: {nwarn} warning(s) in rules files (-v to show them)"
        );
    }
    apply_selection(&mut rs, sel)?;
    Ok(rs)
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
        let p =
            Priority::parse(p).ok_or_else(|| Failure::input(format!("invalid priority '{p}'")))?;
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

pub fn run(a: Args) -> Result<(), Failure> {
    let rs = load_checked(&a.rules, a.verbose, &a.selection)?;
    let reader = crate::open_trace(&a.trace)?;
    warn_missing_syscalls(&rs, &reader);
    let matching = match a.rule_matching {
        Matching::First => RuleMatching::First,
        Matching::All => RuleMatching::All,
    };
    let mut engine = Engine::new(rs, matching);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut io_err: Option<std::io::Error> = None;
    let json = a.json;
    drive_trace(&reader, &mut engine, &mut NoObserver, |h| {
        let alert = h.alert();
        let r = if json {
            writeln!(out, "{}", alert.to_json())
        } else {
            writeln!(out, "{}", alert.output)
        };
        match r {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                io_err.get_or_insert(e);
                ControlFlow::Break(())
            }
        }
    })?;
    // A closed stdout (`| head`) ends the run quietly.
    let flushed = match io_err {
        Some(e) => Err(e),
        None => out.flush(),
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
        for (i, r) in engine.ruleset.rules.iter().enumerate() {
            if s.matches[i] > 0 {
                eprintln!("  {:>8}  {}", s.matches[i], r.name);
            }
        }
    }
    Ok(())
}
