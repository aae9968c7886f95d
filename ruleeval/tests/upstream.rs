//! The three upstream Falco rules files load and compile with no error.
//! Skipped (with one printed line) when `<repo>/../shared/upstream` is absent.

use std::path::PathBuf;

use sysreplay_ruleeval::{load_rules, Ruleset};

fn upstream_rules_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream/rules");
    if d.join("falco_rules.yaml").is_file() {
        Some(d)
    } else {
        skip_once(format!(
            "skipped: upstream rules not found at {} (needs ../shared/upstream)",
            d.display()
        ));
        None
    }
}

fn load(files: &[&str]) -> Option<Ruleset> {
    let d = upstream_rules_dir()?;
    let paths: Vec<PathBuf> = files.iter().map(|f| d.join(f)).collect();
    let rs = load_rules(&paths);
    for e in rs.diags.errors() {
        eprintln!("{e}");
    }
    Some(rs)
}

#[test]
fn stable_rules_compile_without_errors() {
    let Some(rs) = load(&["falco_rules.yaml"]) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 25);
    assert_eq!(rs.enabled_rules().count(), 25);
    assert_eq!(rs.required_engine_version, Some((0, 57, 0)));
    // the syscall sets of Falco's dry run (falco-facts.md section e)
    let rules_sc = rs.rule_syscalls();
    assert_eq!(rules_sc.len(), 19, "{rules_sc:?}");
    assert_eq!(rs.syscall_selection(false).final_set.len(), 72);
    assert_eq!(rs.syscall_selection(true).final_set.len(), 41);
    let r = rs
        .rules
        .iter()
        .find(|r| r.name == "Read sensitive file untrusted")
        .unwrap();
    assert_eq!(r.types.names(), vec!["open", "openat", "openat2"]);
}

#[test]
fn incubating_rules_compile_without_errors() {
    let Some(rs) = load(&["falco-incubating_rules.yaml"]) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 31);
    assert_eq!(rs.rule_syscalls().len(), 25, "{:?}", rs.rule_syscalls());
}

#[test]
fn sandbox_rules_compile_without_errors() {
    let Some(rs) = load(&["falco-sandbox_rules.yaml"]) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 37);
    assert_eq!(rs.enabled_rules().count(), 25);
    let enabled: Vec<String> = rs.rule_syscalls().into_iter().collect();
    assert_eq!(
        enabled,
        [
            "execve",
            "execveat",
            "mkdir",
            "mkdirat",
            "open",
            "openat",
            "openat2",
            "rename",
            "renameat",
            "renameat2",
            "rmdir",
            "unlink",
            "unlinkat",
            "userfaultfd"
        ]
    );
}

#[test]
fn all_three_together_compile_without_errors() {
    let Some(rs) = load(&[
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]) else {
        return;
    };
    assert!(!rs.diags.has_errors());
    assert_eq!(rs.rules.len(), 25 + 31 + 37);
    // no rule matches every event type
    assert!(
        rs.rules.iter().all(|r| !r.types.is_all()),
        "a rule has no evt.type restriction"
    );
}

/// Print the skip notice once per test binary.
fn skip_once(msg: String) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| println!("{msg}"));
}

#[test]
fn damaged_rules_files_give_errors_not_panics() {
    let Some(d) = upstream_rules_dir() else {
        return;
    };
    let text = std::fs::read_to_string(d.join("falco_rules.yaml")).unwrap();
    let mut rng = sysreplay_ruleeval::workload::Rng::new(99);
    for i in 0..60 {
        // cut the file short at a random character boundary
        let mut cut = rng.below(text.len() as u64) as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = sysreplay_ruleeval::load_rules_str(&[("cut.yaml", &text[..cut])]);
        // flip a few bytes to YAML/condition punctuation
        let mut b = text.clone().into_bytes();
        for _ in 0..1 + i % 4 {
            let at = rng.below(b.len() as u64) as usize;
            if b[at].is_ascii() {
                const PUNCT: &[u8] = b"()[]{}:,'\"-= \n!%";
                b[at] = PUNCT[rng.below(PUNCT.len() as u64) as usize];
            }
        }
        let s = String::from_utf8_lossy(&b).into_owned();
        let rs = sysreplay_ruleeval::load_rules_str(&[("flip.yaml", &s)]);
        for e in rs.diags.errors() {
            assert!(e.loc.is_some(), "error without a location: {e}");
        }
    }
}
