//! Which syscalls to record. The selection itself is Falco's `base_syscalls`
//! logic in [`sysreplay_syscalls::sets`] (shared with `rules check`);
//! what is the recorder's own is here: an unknown `--syscalls` name is an
//! error (Falco only warns), since a recording cannot be redone.
//!
//! Names without an x86_64 syscall number (`sched_process_exit`, the 32-bit
//! `*32` variants) stay in the printed sets, as Falco prints them, but select
//! nothing; process fork/exec/exit records are always produced.

use std::collections::BTreeSet;

pub use sysreplay_syscalls::sets::{compute, Selection, SelectionRequest};

/// The selection for `record`: `rules` (what loaded rules need), the
/// `--syscalls` entries, `--repair` and `--all`. Err: the unknown names.
pub fn for_record(
    rules: BTreeSet<String>,
    custom: &[String],
    repair: bool,
    all: bool,
) -> Result<Selection, String> {
    let sel = compute(&SelectionRequest {
        rules,
        custom: custom.to_vec(),
        repair,
        all,
    });
    if sel.invalid.is_empty() {
        Ok(sel)
    } else {
        Err(format!(
            "unknown syscall name(s) in --syscalls: {}",
            sel.invalid.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_an_error_for_the_recorder() {
        let e = for_record(
            BTreeSet::new(),
            &["openat".into(), "bogus".into(), "!nope".into()],
            false,
            false,
        )
        .unwrap_err();
        assert_eq!(e, "unknown syscall name(s) in --syscalls: bogus, !nope");
    }

    #[test]
    fn rule_syscalls_in_falco_spelling_are_recorded() {
        // `rules check` names pread64 `pread`: the recorder must still select 17
        let rules: BTreeSet<String> = ["pread".to_string(), "ptrace".to_string()].into();
        let s = for_record(rules, &[], false, true).unwrap();
        assert!(s.numbers.contains(&17) && s.numbers.contains(&101));
        assert!(s.final_set.contains("pread") && !s.final_set.contains("pread64"));
    }
}
