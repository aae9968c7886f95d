//! Any text handed to the rules loader, as a rules file or as a condition,
//! gives a ruleset with diagnostics or a parse error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rules = sysreplay_ruleeval::engine::load_rules_str(&[("fuzz.yaml", text)]);
    let _ = rules.diags.has_errors();
    let _ = sysreplay_ruleeval::parser::parse(text);
});
