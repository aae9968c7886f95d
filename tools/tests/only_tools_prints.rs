//! ARCHITECTURE.md's invariant: `tools/` is the only crate that prints to
//! the terminal or picks exit codes; the library crates hand their caller
//! values, errors and callbacks (the recorder's `Notice`s).

use std::path::Path;

const LIBRARY_SOURCES: [&str; 7] = [
    "format/src",
    "format/syscalls/src",
    "format/scap/src",
    "corpora/synth/src",
    "capture/src",
    "ruleeval/src",
    "replay/src",
];

const FORBIDDEN: [&str; 7] = [
    "println!(",
    "print!(",
    "eprintln!(",
    "eprint!(",
    "process::exit(",
    "io::stdout()",
    "io::stderr()",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn library_crates_print_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for d in LIBRARY_SOURCES {
        rust_files(&root.join(d), &mut files);
    }
    assert!(files.len() > 40, "found only {} sources", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests (a `#[cfg(test)]` module closes each file) may print.
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if line.trim_start().starts_with("//") {
                continue;
            }
            if let Some(t) = FORBIDDEN.iter().find(|t| line.contains(*t)) {
                found.push(format!("{}:{}: {t}", f.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "printing outside tools/:\n{}",
        found.join("\n")
    );
}
