//! `sysreplay`: record syscall traces, inspect them, and replay them through
//! Falco-compatible rules.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Diagnostics never panic: a closed stderr (`2>&-`, a dead pipe reader)
// must not kill a recording or a replay, so `eprintln!` in this crate is
// `sysreplay_format::diag!`, which drops the line on a write error.
macro_rules! eprintln {
    ($($arg:tt)*) => { sysreplay_format::diag!($($arg)*) };
}

mod cmd_bench;
mod cmd_cat;
mod cmd_eval;
mod cmd_export;
mod cmd_import;
mod cmd_info;
mod cmd_record;
mod cmd_replay;
mod cmd_rules;
mod cmd_synth;

#[derive(Parser)]
#[command(
    name = "sysreplay",
    version,
    about = "Record Linux syscall traces and replay them through Falco-compatible rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure sysreplay itself (`bench format`, `bench rules`)
    Bench(cmd_bench::Args),
    /// Summarize a trace: header, duration, rates, per-syscall counts, drops, sizes
    Info(cmd_info::Args),
    /// Print events one per line, like sysdig/strace
    Cat(cmd_cat::Args),
    /// Write a deterministic synthetic trace (no root needed)
    Synth(cmd_synth::Args),
    /// Convert a sysdig/Falco .scap capture into a trace
    Import(cmd_import::Args),
    /// Write a trace as a sysdig/Falco .scap capture
    Export(cmd_export::Args),
    /// Replay a trace through Falco rules and print the alerts
    Eval(cmd_eval::Args),
    /// Replay a trace through Falco's buffers: drops, per-rule cost, what-if
    Replay(Box<cmd_replay::Args>),
    /// Rules files: validate, list event types, show the syscall set (`rules check`)
    Rules(cmd_rules::Args),
    /// Record syscalls with the eBPF probe into a trace (root, or CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH)
    // Boxed: its many options would make every other command as large.
    Record(Box<cmd_record::Args>),
}

/// A failed command: the message, and the exit code (2 for bad input).
pub struct Failure {
    pub code: u8,
    pub msg: String,
}

impl Failure {
    pub fn input(msg: impl std::fmt::Display) -> Self {
        Failure {
            code: 2,
            msg: msg.to_string(),
        }
    }
    pub fn runtime(msg: impl std::fmt::Display) -> Self {
        Failure {
            code: 1,
            msg: msg.to_string(),
        }
    }
}

/// Open a trace and say on stderr when it was cut short: every command
/// that reads events reads up to the last complete block, never silently.
pub fn open_trace(path: &std::path::Path) -> Result<sysreplay_format::TraceReader, Failure> {
    let r = sysreplay_format::TraceReader::open(path)?;
    if let Some(t) = r.truncation() {
        eprintln!(
            "sysreplay: warning: {}: truncated: {} ({} complete blocks, {} records readable, drop markers included)",
            path.display(),
            t.reason,
            t.complete_blocks,
            r.event_count()
        );
    }
    Ok(r)
}

impl From<sysreplay_format::TraceError> for Failure {
    fn from(e: sysreplay_format::TraceError) -> Self {
        // A trace that cannot be read, or is not there, is bad input; other
        // I/O failures are not.
        let missing = e
            .source
            .as_ref()
            .is_some_and(|s| s.kind() == std::io::ErrorKind::NotFound);
        let code = if e.offset.is_some() || missing { 2 } else { 1 };
        Failure {
            code,
            msg: e.to_string(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        // `sysreplay info t.srt | head` closing the pipe is not a failure.
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure {
                code: 0,
                msg: String::new(),
            };
        }
        Failure::runtime(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Eval(a) => cmd_eval::run(a),
        Command::Rules(a) => cmd_rules::run(a),
        Command::Replay(a) => cmd_replay::run(*a),
        Command::Record(a) => cmd_record::run(*a),
        Command::Bench(a) => cmd_bench::run(a),
        Command::Info(a) => cmd_info::run(a),
        Command::Cat(a) => cmd_cat::run(a),
        Command::Synth(a) => cmd_synth::run(a),
        Command::Import(a) => cmd_import::run(a),
        Command::Export(a) => cmd_export::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.code == 0 => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("sysreplay: error: {}", f.msg);
            ExitCode::from(f.code)
        }
    }
}
