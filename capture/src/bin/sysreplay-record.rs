//! Standalone recorder: the same options as `sysreplay record`.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "sysreplay-record",
    version,
    about = "Record Linux syscalls into a sysreplay trace (eBPF)"
)]
struct Cli {
    #[command(flatten)]
    args: sysreplay_capture::cli::RecordArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match sysreplay_capture::cli::run(&cli.args, Default::default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            sysreplay_format::diag!("sysreplay-record: error: {}", e.msg);
            ExitCode::from(e.code)
        }
    }
}
