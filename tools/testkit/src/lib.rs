//! Test support, for dev-dependencies only: where the shared upstream data
//! is, whether root, sysdig or clang are here, and the skip policy.
//!
//! Skip policy: a test that cannot run calls [`skip`], which writes
//! `SKIP <test>: <why>` straight to the process's stderr (libtest captures
//! `println!`/`eprintln!`, not direct writes, so the line shows in a plain
//! `cargo test`). With `SYSREPLAY_REQUIRE=all` (set by `.ci/run`, where
//! everything is installed) a skip is a failure instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether `SYSREPLAY_REQUIRE=all` turns skips into failures.
pub fn require_all() -> bool {
    std::env::var("SYSREPLAY_REQUIRE").is_ok_and(|v| v == "all")
}

/// Report that `test` cannot run here. Returns normally (the caller then
/// returns) unless `SYSREPLAY_REQUIRE=all`, where it panics.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
    if require_all() {
        panic!("{test} cannot run ({why}) and SYSREPLAY_REQUIRE=all makes a skip a failure");
    }
}

/// Unwrap a requirement or skip the calling test:
/// `let up = testkit::require!(testkit::upstream(), "my_test");`
#[macro_export]
macro_rules! require {
    ($req:expr, $test:expr) => {
        match $req {
            Ok(v) => v,
            Err(why) => {
                $crate::skip($test, &why);
                return;
            }
        }
    };
}

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared` beside the repository.
pub fn shared() -> Result<PathBuf, String> {
    let p = repo_root().join("../shared");
    if p.is_dir() {
        Ok(p)
    } else {
        Err(format!(
            "needs {} (Falco's upstream rules and captures)",
            p.display()
        ))
    }
}

/// `../shared/upstream` (rules/, scap/, scap-sysdig-0.29.3/).
pub fn upstream() -> Result<PathBuf, String> {
    let p = shared()?.join("upstream");
    if p.join("rules").is_dir() {
        Ok(p)
    } else {
        Err(format!(
            "needs {} (Falco's upstream rules and captures)",
            p.display()
        ))
    }
}

/// One upstream rules file, e.g. `falco_rules.yaml`.
pub fn upstream_rules(name: &str) -> Result<PathBuf, String> {
    let p = upstream()?.join("rules").join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("needs {}", p.display()))
    }
}

/// `program`, when `program --version` runs and succeeds; otherwise why not
/// (`needs`).
fn program(program: &str, needs: &str) -> Result<PathBuf, String> {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(PathBuf::from(program))
    } else {
        Err(format!("needs {needs}"))
    }
}

/// sysdig (0.29.3 in CI), the reference reader of .scap files.
pub fn sysdig() -> Result<PathBuf, String> {
    program(
        "sysdig",
        "sysdig (apt-get install --no-install-recommends sysdig)",
    )
}

/// A C compiler (`cc`), for the record-layout test.
pub fn cc() -> Result<PathBuf, String> {
    program("cc", "a C compiler (cc)")
}

/// Whether this process runs as root (uid 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Root, or the reason a test needing it cannot run.
pub fn root() -> Result<(), String> {
    if is_root() {
        Ok(())
    } else {
        Err("needs root".into())
    }
}
