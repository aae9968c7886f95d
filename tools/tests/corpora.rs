//! Corpus cases: every `corpora/<case>/` with an `expected.jsonl` (alerts as
//! `sysreplay eval --json` prints them) or `expected.txt` (as `eval` prints
//! them) is run through `sysreplay eval` and its alerts are compared line by
//! line with the expected ones; a difference fails with a diff.
//!
//! A case directory holds:
//! - the trace: `trace.srt`, or `trace.path` (one path, relative to the case
//!   directory, e.g. `../samples/synth-100k.srt`);
//! - the rules: `rules.yaml`, and/or `rules.path` (one path per line, loaded
//!   in that order after `rules.yaml`);
//! - optionally `args`: more `eval` arguments, one per line;
//! - `README.md`: what the case checks and where its trace comes from.
//!
//! `SYSREPLAY_BLESS=1 cargo test -p sysreplay --test corpora` rewrites the
//! expected files from what `eval` prints now (review the diff).

use std::path::{Path, PathBuf};

fn corpora() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

/// One case, read from its directory.
struct Case {
    dir: PathBuf,
    name: String,
    trace: PathBuf,
    rules: Vec<PathBuf>,
    args: Vec<String>,
    expected: PathBuf,
    json: bool,
}

/// The non-empty lines of `path` (a `#` starts a comment line), or an error
/// naming the file.
fn lines_of(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

fn read_case(dir: &Path) -> Result<Option<Case>, String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let (expected, json) = if dir.join("expected.jsonl").is_file() {
        (dir.join("expected.jsonl"), true)
    } else if dir.join("expected.txt").is_file() {
        (dir.join("expected.txt"), false)
    } else {
        return Ok(None); // not a case (rules/, samples/, synth/)
    };
    let trace = if dir.join("trace.srt").is_file() {
        dir.join("trace.srt")
    } else {
        let p = dir.join("trace.path");
        match lines_of(&p)?.as_slice() {
            [one] => dir.join(one),
            other => {
                return Err(format!(
                    "{}: expected one path to the trace, found {} lines",
                    p.display(),
                    other.len()
                ))
            }
        }
    };
    if !trace.is_file() {
        return Err(format!("case {name}: no trace at {}", trace.display()));
    }
    let mut rules = Vec::new();
    if dir.join("rules.yaml").is_file() {
        rules.push(dir.join("rules.yaml"));
    }
    if dir.join("rules.path").is_file() {
        rules.extend(
            lines_of(&dir.join("rules.path"))?
                .iter()
                .map(|l| dir.join(l)),
        );
    }
    if rules.is_empty() {
        return Err(format!(
            "case {name}: no rules (rules.yaml or rules.path) in {}",
            dir.display()
        ));
    }
    let args = if dir.join("args").is_file() {
        lines_of(&dir.join("args"))?
    } else {
        Vec::new()
    };
    if !dir.join("README.md").is_file() {
        return Err(format!(
            "case {name}: no README.md saying what it checks in {}",
            dir.display()
        ));
    }
    Ok(Some(Case {
        dir: dir.to_path_buf(),
        name,
        trace,
        rules,
        args,
        expected,
        json,
    }))
}

/// The alerts `sysreplay eval` prints for a case.
fn run(case: &Case) -> Result<String, String> {
    let mut cmd = sysreplay_testkit::cli!().command();
    cmd.current_dir(&case.dir).arg("eval").arg(&case.trace);
    for r in &case.rules {
        cmd.arg("-r").arg(r);
    }
    if case.json {
        cmd.arg("--json");
    }
    cmd.args(&case.args);
    let o = cmd
        .output()
        .map_err(|e| format!("case {}: {e}", case.name))?;
    if !o.status.success() {
        return Err(format!(
            "case {}: sysreplay eval failed ({}): {}",
            case.name,
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    String::from_utf8(o.stdout).map_err(|e| format!("case {}: output not UTF-8: {e}", case.name))
}

/// A line diff of `expected` and `got` (`-` expected only, `+` got only,
/// with 1-based line numbers), from a longest common subsequence; for very
/// long outputs, the first difference only (bounded time and memory).
fn diff(expected: &[&str], got: &[&str]) -> Vec<String> {
    let (n, m) = (expected.len(), got.len());
    if n.saturating_mul(m) > 4_000_000 {
        let i = expected.iter().zip(got).take_while(|(a, b)| a == b).count();
        let mut out = vec![format!(
            "(too long for a full diff: first difference at line {})",
            i + 1
        )];
        if let Some(e) = expected.get(i) {
            out.push(format!("-{:>5}: {e}", i + 1));
        }
        if let Some(g) = got.get(i) {
            out.push(format!("+{:>5}: {g}", i + 1));
        }
        return out;
    }
    // lcs[i][j]: common lines of expected[i..] and got[j..]
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == got[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+{:>5}: {}", j + 1, got[j]));
            j += 1;
        } else {
            out.push(format!("-{:>5}: {}", i + 1, expected[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn every_corpus_case_gives_its_expected_alerts() {
    let bless = std::env::var_os("SYSREPLAY_BLESS").is_some_and(|v| v == "1");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpora())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut ran = Vec::new();
    for dir in &dirs {
        let case = match read_case(dir) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        ran.push(case.name.clone());
        let got = match run(&case) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if bless {
            std::fs::write(&case.expected, &got).unwrap();
            eprintln!("blessed {}", case.expected.display());
            continue;
        }
        let expected = std::fs::read_to_string(&case.expected).unwrap();
        let e: Vec<&str> = expected.lines().collect();
        let g: Vec<&str> = got.lines().collect();
        if e != g {
            let file = case
                .expected
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let mut msg = format!(
                "case {}: {} alerts, {} expected; differences from {file} (- expected only, + got only):\n",
                case.name,
                g.len(),
                e.len()
            );
            for l in diff(&e, &g) {
                msg.push_str(&l);
                msg.push('\n');
            }
            msg.push_str(
                "if the change is intended: SYSREPLAY_BLESS=1 cargo test -p sysreplay --test corpora, then review the diff\n",
            );
            failures.push(msg);
        }
    }
    assert!(
        !ran.is_empty(),
        "no corpus case found under {}",
        corpora().display()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_diff_names_lines_missing_and_extra() {
    let d = diff(&["a", "b", "c"], &["a", "c", "d"]);
    assert_eq!(d, vec!["-    2: b", "+    3: d"]);
    assert!(diff(&["x"], &["x"]).is_empty());
}
