//! `sysreplay`: record syscall traces, inspect them, and replay them through
//! Falco-compatible rules.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

// Diagnostics never panic: a closed stderr (`2>&-`, a dead pipe reader)
// must not kill a recording or a replay, so `eprintln!` in this crate
// drops the line on a write error.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

mod cmd_bench;
mod cmd_cat;
mod cmd_eval;
mod cmd_export;
mod cmd_fields;
mod cmd_import;
mod cmd_info;
mod cmd_record;
mod cmd_replay;
mod cmd_rules;
mod cmd_synth;
mod drop_alerts;
mod falco_config;
mod progress;
mod sniff;

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
    /// Measure sysreplay itself (`bench format`, `bench rules`, `bench replay`)
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
    /// List the fields of filters, conditions and outputs (like `falco --list`, `sysdig -l`)
    Fields(cmd_fields::Args),
    /// Rules files: validate, list event types, show the syscall set (`rules check`)
    Rules(cmd_rules::Args),
    /// Record syscalls with the eBPF probe into a trace (root, or CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH)
    // Boxed: its many options would make every other command as large.
    Record(Box<cmd_record::Args>),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), of sysreplay or of one subcommand
    Man {
        /// A subcommand, e.g. eval (its own page, sysreplay-eval(1)), or
        /// one of its own, e.g. rules check (sysreplay-rules-check(1))
        subcommand: Vec<String>,
    },
}

fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "sysreplay", &mut out);
    Ok(())
}

fn man(path: Vec<String>) -> Result<(), Failure> {
    let mut page = Cli::command();
    for (depth, name) in path.iter().enumerate() {
        let Some(c) = page.find_subcommand(name) else {
            let names: Vec<_> = page.get_subcommands().map(|c| c.get_name()).collect();
            let of = std::iter::once("sysreplay")
                .chain(path[..depth].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(Failure::input(if names.is_empty() {
                format!("man: '{of}' has no subcommands ('{name}' given)")
            } else {
                format!(
                    "man: '{of}' has no subcommand '{name}' (one of {})",
                    names.join(", ")
                )
            }));
        };
        page = c.clone();
    }
    if !path.is_empty() {
        // The page is sysreplay-rules-check(1); its synopsis shows the
        // command as typed. clap names are &'static str without its
        // `string` feature: one page per process, so leaking them is fine.
        let title: &'static str =
            Box::leak(format!("sysreplay-{}", path.join("-")).into_boxed_str());
        let typed: &'static str =
            Box::leak(format!("sysreplay {}", path.join(" ")).into_boxed_str());
        page = page.name(title).bin_name(typed);
    }
    // The footer names the program and its version on every page (a
    // subcommand has no version of its own, nor a -V to show).
    clap_mangen::Man::new(page)
        .source(format!("sysreplay {}", env!("CARGO_PKG_VERSION")))
        .render(&mut std::io::stdout().lock())?;
    Ok(())
}

/// Exit codes, the same for every command (README "Exit codes"):
/// 0 success; 1 a runtime failure (I/O failing mid-way, a full disk, the
/// recorder failing); 2 usage or bad input (clap's own usage errors, a
/// missing, unreadable or invalid input file, an output that exists
/// without `--force`). Interrupted by SIGINT, a command dies of it (the
/// shell reports 130), except `record`, for which SIGINT means stop.
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_INPUT: u8 = 2;

/// A report serialized as JSON, on stdout: `print_json(to_string_pretty(&r))`
/// (a closed stdout ends quietly: a Failure from BrokenPipe, never a panic).
pub fn print_json(json: serde_json::Result<String>) -> Result<(), Failure> {
    use std::io::Write as _;
    let text = json.map_err(|e| Failure::runtime(e.to_string()))?;
    writeln!(std::io::stdout(), "{text}")?;
    Ok(())
}

/// The exit code of an I/O error when opening what the user named: the
/// kinds a user fixes by changing the command are input errors.
pub fn io_exit_code(kind: std::io::ErrorKind) -> u8 {
    use std::io::ErrorKind as K;
    match kind {
        K::NotFound
        | K::AlreadyExists
        | K::PermissionDenied
        | K::IsADirectory
        | K::NotADirectory
        | K::InvalidInput
        | K::InvalidData
        | K::InvalidFilename => EXIT_INPUT,
        _ => EXIT_RUNTIME,
    }
}

/// A failed command: the message, and the exit code.
pub struct Failure {
    pub code: u8,
    pub msg: String,
}

impl Failure {
    pub fn input(msg: impl std::fmt::Display) -> Self {
        Failure {
            code: EXIT_INPUT,
            msg: msg.to_string(),
        }
    }
    pub fn runtime(msg: impl std::fmt::Display) -> Self {
        Failure {
            code: EXIT_RUNTIME,
            msg: msg.to_string(),
        }
    }
    /// An I/O error about `path`, classed by [`io_exit_code`].
    pub fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        Failure {
            code: io_exit_code(e.kind()),
            msg: format!("{}: {e}", path.display()),
        }
    }
}

/// Open a trace; a file that is something else (a scap capture, a pcap,
/// text) is named as such, with what to run instead.
pub fn open_reader(path: &std::path::Path) -> Result<sysreplay_format::TraceReader, Failure> {
    match sysreplay_format::TraceReader::open(path) {
        Ok(r) => Ok(r),
        Err(e) if e.offset.is_some() => Err(match sniff::not_a_trace(path) {
            Some(msg) => Failure::input(msg),
            None => match sniff::describe(path) {
                Some(what) => Failure::input(format!("{e} (this is {what})")),
                None => e.into(),
            },
        }),
        Err(e) => Err(e.into()),
    }
}

/// Open a trace and say on stderr when it was cut short: every command
/// that reads events reads up to the last complete block, never silently.
pub fn open_trace(path: &std::path::Path) -> Result<sysreplay_format::TraceReader, Failure> {
    let r = open_reader(path)?;
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
        let code = match &e.source {
            _ if e.offset.is_some() => EXIT_INPUT,
            Some(s) => io_exit_code(s.kind()),
            None => EXIT_RUNTIME,
        };
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
        Failure {
            code: io_exit_code(e.kind()),
            msg: e.to_string(),
        }
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
        Command::Fields(a) => cmd_fields::run(a),
        Command::Completions { shell } => completions(shell),
        Command::Man { subcommand } => man(subcommand),
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
