//! A sysdig/Falco capture is untrusted input that goes all the way through:
//! import, `cat`'s argument decoding, the state engine and the rules. Any
//! bytes give alerts or an error, never a panic.
#![no_main]

use std::ops::ControlFlow;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sysreplay_format::Event;
use sysreplay_syscalls::decode;
use sysreplay_replay::drive_one;
use sysreplay_ruleeval::{load_rules_str, Engine, NoObserver, RuleMatching, Ruleset};

const RULES: &str = include_str!("../../corpora/rules/sample_rules.yaml");

/// The bundled rules, loaded once (cloning is cheap next to loading).
fn rules() -> Ruleset {
    static RULESET: OnceLock<Ruleset> = OnceLock::new();
    RULESET
        .get_or_init(|| {
            let rs = load_rules_str(&[("sample_rules.yaml", RULES)]);
            assert!(!rs.diags.has_errors(), "the bundled rules load");
            rs
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let Ok(imported) = sysreplay_scap::import(data.to_vec()) else {
        return;
    };
    let mut engine = Engine::new(rules(), RuleMatching::All);
    engine.start_trace(&imported.header, &imported.snapshot);
    let mut line = String::new();
    let _ = imported.for_each_record(|h, d| -> Result<(), ()> {
        let ev = Event::from_record(h, d);
        line.clear();
        decode::render_all(&ev, &mut line);
        let _ = drive_one(&mut engine, &ev, &mut NoObserver, &mut |hit| {
            let _ = hit.alert();
            ControlFlow::Continue(())
        });
        Ok(())
    });
});
