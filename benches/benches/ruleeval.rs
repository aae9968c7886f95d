//! Events/s evaluating the upstream Falco rules (state engine included) over
//! a realistic synthetic event mix and over the real recordings of
//! corpora/real, single-threaded, and the state engine alone on each.
//! Skips (a SKIP line on stderr; a failure under SYSREPLAY_REQUIRE=all) when
//! `<repo>/../shared/upstream/rules` is absent.

use std::ops::ControlFlow;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sysreplay_benches::{real_trace, REAL_TRACES};
use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::OwnedEvent;
use sysreplay_replay::drive_events;
use sysreplay_ruleeval::{load_rules, Engine, NoObserver, RuleMatching};
use sysreplay_synth::{self as synth, SynthConfig};

/// The upstream rules directory, or None after reporting the bench skipped.
fn rules_dir() -> Option<PathBuf> {
    match sysreplay_testkit::upstream_rules("falco_rules.yaml") {
        Ok(p) => p.parent().map(|d| d.to_path_buf()),
        Err(why) => {
            sysreplay_testkit::skip("ruleeval bench", &why);
            None
        }
    }
}

fn run_with(
    engine: &mut Engine,
    events: &[OwnedEvent],
    h: &TraceHeader,
    snap: &ProcessSnapshot,
) -> u64 {
    engine.start_trace(h, snap);
    let mut alerts = 0u64;
    drive_events(
        engine,
        events.iter().map(OwnedEvent::as_event),
        &mut NoObserver,
        |_| {
            alerts += 1;
            ControlFlow::Continue(())
        },
    );
    alerts
}

fn bench(c: &mut Criterion) {
    let Some(dir) = rules_dir() else {
        return;
    };
    // The synthetic host (sshd, shells, nginx, gunicorn, postgres, cron;
    // fork/exec/exit; a few `cat /etc/shadow`), held in memory.
    let (sh, ss, events) = synth::in_memory(&SynthConfig::new(3, 300_000));
    let run = |engine: &mut Engine, events: &[OwnedEvent]| run_with(engine, events, &sh, &ss);
    let mut g = c.benchmark_group("ruleeval");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(20);
    for (label, files) in [
        ("stable", vec!["falco_rules.yaml"]),
        (
            "stable+incubating+sandbox",
            vec![
                "falco_rules.yaml",
                "falco-incubating_rules.yaml",
                "falco-sandbox_rules.yaml",
            ],
        ),
    ] {
        let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
        let rs = load_rules(&paths);
        assert!(!rs.diags.has_errors());
        let mut engine = Engine::new(rs, RuleMatching::First);
        let alerts = run(&mut engine, &events);
        let (tb, fb) = engine.state.memory_estimate();
        let (nt, nf) = (engine.state.threads.len(), engine.state.fd_count());
        eprintln!(
            "[{label}] {} events, {} alerts; state: {nt} threads ~{} B/thread, {nf} fds ~{} B/fd (fixed parts: Thread {} B, Fd {} B, Sock {} B)",
            events.len(),
            alerts,
            tb / nt.max(1),
            fb / nf.max(1),
            std::mem::size_of::<sysreplay_ruleeval::state::Thread>(),
            std::mem::size_of::<sysreplay_ruleeval::state::Fd>(),
            std::mem::size_of::<sysreplay_ruleeval::state::Sock>()
        );
        g.bench_function(format!("{label}/events"), |b| {
            b.iter(|| run(&mut engine, &events))
        });
    }
    // The state engine alone (no rules): the floor of the per-event cost.
    let mut engine = Engine::new(sysreplay_ruleeval::load_rules_str(&[]), RuleMatching::First);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("state-only/events", |b| {
        b.iter(|| run(&mut engine, &events))
    });
    g.finish();

    // The real recordings: Falco's stable rules, and the state engine alone.
    let stable = || {
        let rs = load_rules(&[dir.join("falco_rules.yaml")]);
        assert!(!rs.diags.has_errors());
        rs
    };
    for name in REAL_TRACES {
        let t = real_trace(name);
        let run = |engine: &mut Engine| run_with(engine, &t.events, &t.header, &t.snapshot);
        let mut g = c.benchmark_group(format!("ruleeval/real/{name}"));
        g.throughput(Throughput::Elements(t.events.len() as u64));
        g.sample_size(20);
        let mut engine = Engine::new(stable(), RuleMatching::First);
        eprintln!(
            "[real/{name}] {} events, {} alerts with the stable rules",
            t.events.len(),
            run(&mut engine)
        );
        g.bench_function("stable/events", |b| b.iter(|| run(&mut engine)));
        let mut engine = Engine::new(sysreplay_ruleeval::load_rules_str(&[]), RuleMatching::First);
        g.bench_function("state-only/events", |b| b.iter(|| run(&mut engine)));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
