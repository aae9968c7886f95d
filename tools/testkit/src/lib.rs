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

/// `Ok` as Some; an `Err` reports `test` skipped ([`skip`]) and is None.
pub fn or_skip<T>(r: Result<T, String>, test: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

/// Falco's stable rules (upstream `falco_rules.yaml`), or None after
/// reporting `test` skipped.
pub fn stable_rules(test: &str) -> Option<PathBuf> {
    or_skip(upstream_rules("falco_rules.yaml"), test)
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

/// The bundled sample trace (`corpora/samples/synth-100k.srt`).
pub fn sample_trace() -> PathBuf {
    repo_root().join("corpora/samples/synth-100k.srt")
}

/// The bundled sample rules (`corpora/rules/sample_rules.yaml`).
pub fn sample_rules() -> PathBuf {
    repo_root().join("corpora/rules/sample_rules.yaml")
}

/// A path as a command-line argument.
pub fn arg(p: impl AsRef<Path>) -> String {
    p.as_ref().display().to_string()
}

/// The `sysreplay` binary of the calling test crate (tools' integration
/// tests): `sysreplay_testkit::cli!().run(&["info", "t.srt"])`.
#[macro_export]
macro_rules! cli {
    () => {
        $crate::Cli(::std::path::PathBuf::from(env!("CARGO_BIN_EXE_sysreplay")))
    };
}

/// Runs a command-line binary (see [`cli!`]).
pub struct Cli(pub PathBuf);

impl Cli {
    /// A command for the binary, to add arguments, a directory, stdin...
    pub fn command(&self) -> Command {
        Command::new(&self.0)
    }

    /// Run with `args`; the whole output.
    pub fn output(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().expect("run sysreplay")
    }

    /// Run with `args` in directory `dir`: (exit code, stdout, stderr).
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
        let o = self.command().args(args).current_dir(dir).output();
        split(o.expect("run sysreplay"))
    }

    /// Run with `args`: (exit code, stdout, stderr), as lossy UTF-8.
    pub fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        split(self.output(args))
    }

    /// Run with `args`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, Some(0), "sysreplay {args:?} failed: {err}");
        out
    }
}

/// Run `c`, which must succeed (else a panic naming it, its status and its
/// stderr); (stdout, stderr) as lossy UTF-8.
pub fn run_ok(c: &mut Command) -> (String, String) {
    let o = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    let (_, out, err) = split(o.clone());
    assert!(o.status.success(), "{c:?}: {}\n{err}", o.status);
    (out, err)
}

/// What a one-rule file (condition `cond`, output `X <fmt>`, written beside
/// `trace`) matches when `cli` evaluates `trace`: each alert's text after
/// "X ", in order.
pub fn rule_matches(cli: &Cli, trace: &Path, cond: &str, fmt: &str) -> Vec<String> {
    let rules = trace.with_extension("rules.yaml");
    let rule = format!(
        "- rule: r\n  desc: t\n  condition: {cond}\n  output: \"X {fmt}\"\n  priority: WARNING\n"
    );
    std::fs::write(&rules, rule).unwrap();
    let (out, _) = run_ok(cli.command().arg("eval").arg(trace).arg("-r").arg(&rules));
    out.lines()
        .filter_map(|l| l.split_once(" X ").map(|(_, r)| r.to_string()))
        .collect()
}

/// Every `.scap` capture under `upstream/scap` (the directory
/// [`upstream`] gives), sorted.
pub fn upstream_captures(upstream: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![upstream.join("scap")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for p in rd.flatten().map(|e| e.path()) {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "scap") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines sysdig prints for `scap` with `-p fmt` and, if given, the
/// filter `filter`.
pub fn sysdig_lines(scap: &Path, fmt: &str, filter: Option<&str>) -> Vec<String> {
    let mut c = Command::new("sysdig");
    c.arg("-r").arg(scap).arg("-p").arg(fmt).args(filter);
    run_ok(&mut c).0.lines().map(str::to_string).collect()
}

fn split(o: std::process::Output) -> (Option<i32>, String, String) {
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A `sysreplay record` a test started, once it records.
pub struct Recording {
    pub child: std::process::Child,
    /// Its stderr after the `recording to` line.
    pub stderr: std::io::BufReader<std::process::ChildStderr>,
    /// The `recording to ...` line itself.
    pub started: String,
}

/// Spawn `record` (a `sysreplay record ...` command) with stderr piped and
/// wait for its "recording to" line (the probe is attached); panics with
/// what it said if it exits first.
// The caller waits for the child it gets back (clippy cannot see that).
#[allow(clippy::zombie_processes)]
pub fn start_recording(record: &mut Command) -> Recording {
    use std::io::BufRead;
    let mut child = record
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sysreplay record");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            let st = child.wait().expect("wait for the recorder");
            panic!("recorder exited ({st}) before recording: {seen}");
        }
        seen.push_str(&line);
        if line.starts_with("recording to ") {
            return Recording {
                child,
                stderr,
                started: line,
            };
        }
    }
}
