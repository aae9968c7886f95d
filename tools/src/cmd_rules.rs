//! `sysreplay rules check -r RULES... [--repair]`: load and validate rules
//! files, list the rules with their event types, and print the syscall set
//! they need as Falco's dry run does.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use sysreplay_ruleeval::unparse::filter_text;
use sysreplay_ruleeval::Ruleset;

use crate::cmd_eval::{load_checked, Selection};
use crate::falco_config::{ConfigArgs, FalcoConfig};
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Load and validate rules files; list rules, event types and the syscall set
    Check(CheckArgs),
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Rules file(s) or directories (their .yaml files in name order), loaded in order (or rules_files of -c)
    #[arg(short = 'r', long = "rules", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Use Falco's `base_syscalls.repair: true` selection instead of the default state set
    #[arg(long)]
    pub repair: bool,
    /// Print warnings too
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Print each rule's expanded condition (lists substituted, macros
    /// expanded, exceptions appended, every and/or group bracketed), in a
    /// form sysdig accepts as a filter
    #[arg(long)]
    pub expanded: bool,
    /// Print the result as one JSON document on stdout
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub selection: Selection,
}

pub fn run(a: Args) -> Result<(), Failure> {
    match a.command {
        RulesCommand::Check(c) => check(c),
    }
}

fn check(mut a: CheckArgs) -> Result<(), Failure> {
    if let Some(c) = FalcoConfig::load(&a.config)? {
        c.report_ignored(
            "rules check",
            &["rules_files", "rules_file", "priority", "base_syscalls"],
        );
        a.rules = c.rules_or(&a.rules);
        a.selection.min_priority = a.selection.min_priority.take().or(c.priority.clone());
        a.repair |= c.base_repair.unwrap_or(false);
    }
    if a.rules.is_empty() {
        return Err(Failure::input(
            "no rules: give -r FILE|DIR, or -c falco.yaml with rules_files",
        ));
    }
    let rs = load_checked(&a.rules, a.verbose, &a.selection)?;
    if rs.rules.is_empty() {
        eprintln!(
            "sysreplay: warning: no rule in {}",
            crate::cmd_eval::files_named(&a.rules)
        );
    }
    let out = std::io::stdout();
    let mut o = out.lock();
    if a.json {
        return print_json(&rs, &a, &mut o);
    }
    let enabled = rs.enabled_rules().count();
    writeln!(
        o,
        "{} rules loaded from {} file(s), {} enabled; {} warning(s)",
        rs.rules.len(),
        a.rules
            .iter()
            .map(|p| sysreplay_ruleeval::rules_files_of(p).len())
            .sum::<usize>(),
        enabled,
        rs.diags.warnings().count()
    )?;
    writeln!(o)?;
    writeln!(o, "Rules (priority, enabled, event types):")?;
    for r in &rs.rules {
        // A condition with no event type runs on every event: "all", as
        // Falco's rule listing, rather than hundreds of names.
        let types = if r.types.is_all() {
            vec!["all".to_string()]
        } else {
            r.types.names()
        };
        writeln!(
            o,
            "  {} [{}{}] {}",
            r.name,
            r.priority.as_str(),
            if r.enabled { "" } else { ", disabled" },
            if types.is_empty() {
                "(no event type: never matches)".to_string()
            } else {
                types.join(",")
            }
        )?;
        if a.expanded {
            writeln!(o, "    {}", filter_text(&r.condition))?;
        }
    }
    // Fields that have no value offline.
    let mut offline: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rs.enabled_rules() {
        for f in &r.offline_fields {
            offline.entry(f.as_str()).or_default().push(&r.name);
        }
    }
    if !offline.is_empty() {
        writeln!(o)?;
        writeln!(
            o,
            "Fields with no value offline (container/k8s metadata, DNS names and the executable's inode data are not recorded; container.id is derived from the cgroups):"
        )?;
        writeln!(
            o,
            "  checks on them are false (so `not <check>` is true) and outputs print <NA>"
        )?;
        for (f, rules) in &offline {
            writeln!(o, "  {f}: {} rule(s)", rules.len())?;
        }
    }
    // Fields only container records give (imported captures).
    let mut from_records: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rs.enabled_rules() {
        let used: std::collections::BTreeSet<&str> = r
            .condition_fields
            .iter()
            .map(String::as_str)
            .chain(r.output.fields().map(|f| f.display.as_str()))
            .filter(|f| sysreplay_ruleeval::fields::from_container_records(f))
            .collect();
        for f in used {
            *from_records.entry(f).or_default() += 1;
        }
    }
    if !from_records.is_empty() {
        writeln!(o)?;
        writeln!(
            o,
            "Fields with a value only from container records (traces imported from captures with container events; a recording has none, so in a container they are <NA> and checks on them false):"
        )?;
        for (f, n) in &from_records {
            writeln!(o, "  {f}: {n} rule(s)")?;
        }
    }
    writeln!(o)?;
    writeln!(o, "Syscall selection (as `falco --dry-run` computes it):")?;
    for l in rs.syscall_selection(a.repair).lines() {
        writeln!(o, "  {l}")?;
    }
    Ok(())
}

/// `--json`: `{"rules": [{"name", "priority", "enabled", "tags",
/// "event_types", "condition" (with --expanded)}], "warnings": N,
/// "syscall_selection": [lines]}`.
fn print_json(rs: &Ruleset, a: &CheckArgs, o: &mut impl Write) -> Result<(), Failure> {
    let rules: Vec<serde_json::Value> = rs
        .rules
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({
                "name": r.name,
                "priority": r.priority.as_str(),
                "enabled": r.enabled,
                "tags": r.tags,
                "event_types": r.types.names(),
            });
            if a.expanded {
                v["condition"] = filter_text(&r.condition).into();
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "rules": rules,
        "warnings": rs.diags.warnings().count(),
        "syscall_selection": rs.syscall_selection(a.repair).lines(),
    });
    writeln!(o, "{doc:#}")?;
    Ok(())
}
