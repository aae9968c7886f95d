//! `sysreplay record -w FILE ...`: record syscalls with the eBPF probe.
//! The options and the recording itself live in `sysreplay_capture::cli`
//! (shared with the standalone `sysreplay-record`); this adds `--rules`.

use std::path::PathBuf;

use crate::cmd_eval::{load_checked, Selection};
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Record the syscalls these Falco rules files need, plus Falco's state set (or the repair set with --repair)
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Rule selection for --rules
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub rec: sysreplay_capture::cli::RecordArgs,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let mut rule_syscalls = std::collections::BTreeSet::new();
    if !a.rules.is_empty() {
        let rs = load_checked(&a.rules, false, &a.selection)?;
        rule_syscalls = rs.rule_syscalls();
    }
    sysreplay_capture::cli::run(&a.rec, rule_syscalls).map_err(|e| Failure {
        code: e.code,
        msg: e.msg,
    })
}
