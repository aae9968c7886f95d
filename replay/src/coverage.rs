//! What a trace lacks for a ruleset: syscalls the rules need that the
//! recording did not select, and the rules that depend on them. A trace
//! recorded for one rules file and evaluated with another silently loses
//! every alert of those rules otherwise.

use std::collections::BTreeMap;

use sysreplay_format::TraceHeader;
use sysreplay_ruleeval::sc::SLOT_PROCEXIT;
use sysreplay_ruleeval::Ruleset;

/// Syscalls the enabled rules need and the trace did not record, each with
/// the rules that need it (sorted by syscall name). Empty when the trace
/// recorded every syscall (an empty recorded set).
pub fn missing_syscalls(rs: &Ruleset, header: &TraceHeader) -> Vec<(String, Vec<String>)> {
    let recorded = &header.config.syscalls;
    if recorded.is_empty() {
        return Vec::new();
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rs.enabled_rules() {
        // A rule that applies to every event type needs no one syscall.
        if r.types.is_all() {
            continue;
        }
        for slot in r.types.slots.iter() {
            if slot == SLOT_PROCEXIT {
                continue;
            }
            let nr = slot as u16;
            if !recorded.contains(&nr) {
                let name = sysreplay_syscalls::display_name(nr).into_owned();
                out.entry(name).or_default().push(r.name.clone());
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysreplay_ruleeval::load_rules_str;

    #[test]
    fn names_the_syscalls_and_the_rules_that_need_them() {
        let rs = load_rules_str(&[(
            "r.yaml",
            "- rule: Chmod\n  desc: d\n  condition: evt.type = chmod\n  output: o\n  priority: INFO\n\
             - rule: Open\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: INFO\n",
        )]);
        assert!(!rs.diags.has_errors());
        let mut h = TraceHeader::default();
        assert!(missing_syscalls(&rs, &h).is_empty(), "all recorded");
        h.config.syscalls = vec![sysreplay_syscalls::nr::OPENAT];
        assert_eq!(
            missing_syscalls(&rs, &h),
            vec![("chmod".to_string(), vec!["Chmod".to_string()])]
        );
    }
}
