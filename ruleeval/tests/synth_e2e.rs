//! End to end over the team's synthetic workload (`sysreplay_synth`):
//! the upstream stable rules, the state engine from the snapshot, and the
//! rule that the workload is built to trigger ("Read sensitive file
//! untrusted": `cat /etc/shadow` from a shell) fires once per such read.
//! Each test skips (a SKIP line on stderr; a failure under
//! SYSREPLAY_REQUIRE=all) without ../shared/upstream.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sysreplay_format::{Event, OwnedEvent};
use sysreplay_ruleeval::{load_rules, Engine, RuleMatching};
use sysreplay_synth::{self as synth, SynthConfig};

use sysreplay_testkit::stable_rules;

fn run(
    cfg: &SynthConfig,
    rules: &PathBuf,
) -> (
    BTreeMap<String, u64>,
    Engine,
    synth::SynthSummary,
    Vec<String>,
) {
    let mut events: Vec<OwnedEvent> = Vec::new();
    let summary = synth::generate::<(), _>(cfg, |h, d| {
        events.push(OwnedEvent {
            header: *h,
            data: d.to_vec(),
        });
        Ok(())
    })
    .unwrap();
    let rs = load_rules(&[rules]);
    assert!(!rs.diags.has_errors());
    let mut engine = Engine::new(rs, RuleMatching::All);
    engine.start_trace(&synth::header(cfg), &synth::snapshot(cfg));
    let mut by_rule = BTreeMap::new();
    let mut outputs = Vec::new();
    for e in &events {
        let ev: Event = e.as_event();
        engine.process(&ev, |h| {
            *by_rule.entry(h.rule.name.clone()).or_insert(0u64) += 1;
            if h.rule.name == "Read sensitive file untrusted" && outputs.len() < 3 {
                outputs.push(h.alert().output);
            }
        });
    }
    (by_rule, engine, summary, outputs)
}

#[test]
fn read_sensitive_file_untrusted_fires_for_each_shadow_read() {
    let Some(rules) = stable_rules("read_sensitive_file_untrusted_fires_for_each_shadow_read")
    else {
        return;
    };
    let cfg = SynthConfig::new(11, 300_000);
    let (by_rule, engine, summary, outputs) = run(&cfg, &rules);
    eprintln!("alerts by rule: {by_rule:?}; synth: {summary:?}");
    assert!(summary.sensitive_reads > 0);
    assert_eq!(
        by_rule
            .get("Read sensitive file untrusted")
            .copied()
            .unwrap_or(0),
        summary.sensitive_reads
    );
    let o = &outputs[0];
    assert!(
        o.contains("Warning Sensitive file opened for reading by non-trusted program"),
        "{o}"
    );
    assert!(o.contains("file=/etc/shadow"), "{o}");
    assert!(o.contains("process=cat"), "{o}");
    // the state stays bounded: live threads track the process population
    let snap_threads = synth::snapshot(&cfg).threads.len();
    assert!(
        engine.state.threads.len() < snap_threads + 200,
        "{} threads",
        engine.state.threads.len()
    );
    // nothing was looked up in vain without drops
    assert_eq!(engine.state.stats.n_failed_thread_lookups, 0);
}

#[test]
fn drops_are_counted_and_lookups_after_them_reported() {
    let Some(rules) = stable_rules("drops_are_counted_and_lookups_after_them_reported") else {
        return;
    };
    let cfg = SynthConfig::new(5, 200_000).with_drop_windows(3);
    let (_, engine, summary, _) = run(&cfg, &rules);
    let st = &engine.state.stats;
    assert_eq!(st.n_drop_markers, summary.drop_markers);
    assert_eq!(st.n_dropped_events, summary.lost);
    assert!(st.n_failed_thread_lookups_after_drop <= st.n_failed_thread_lookups);
}
