//! `sysreplay record -w FILE ...`: record syscalls with the eBPF probe.
//! The options and the recording itself live in `sysreplay_capture::cli`
//! (shared with the standalone `sysreplay-record`).

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub rec: sysreplay_capture::cli::RecordArgs,
}

pub fn run(a: Args) -> Result<(), Failure> {
    sysreplay_capture::cli::run(&a.rec, Default::default()).map_err(|e| Failure {
        code: e.code,
        msg: e.msg,
    })
}
