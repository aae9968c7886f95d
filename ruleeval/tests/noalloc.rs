//! Evaluating rules on an event allocates nothing in the common case: a
//! counting global allocator watches `Engine::process` over events that are
//! evaluated by many rules but change no state (reads, failed execs, failed
//! connects, opens that fail on an fd-less path), and over the real
//! recordings of corpora/real (opens, closes, dups, sockets: every event
//! but those that create or replace a process image).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::record::{push_item, tag, Kind, RecordHeader};
use sysreplay_format::OwnedEvent;
use sysreplay_format::TraceReader;
use sysreplay_ruleeval::{load_rules, load_rules_str, Engine, NoObserver, RuleMatching, Ruleset};
use sysreplay_syscalls as syscalls;

/// Counts allocations per thread: tests run in parallel, and each counts
/// only its own.
struct Counting;
thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}
fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}
fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: Counting = Counting;

const RULES: &str = r#"
- list: shells
  items: [bash, sh, zsh, dash]
- list: sensitive
  items: [/etc/shadow, /etc/sudoers, /etc/pam.conf]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell by root
  desc: d
  condition: spawned and proc.name in (shells) and user.uid = 0 and proc.aname[2] != sshd and not proc.cmdline contains "-c"
  output: "%proc.cmdline"
  priority: WARNING
- rule: Sensitive read
  desc: d
  condition: evt.type in (open, openat) and evt.is_open_read = true and (fd.name in (sensitive) or fd.name startswith /root/ or fd.directory = /etc/ssh) and fd.typechar = f
  output: "%fd.name"
  priority: WARNING
- rule: Outbound
  desc: d
  condition: evt.type = connect and fd.typechar = 4 and fd.net != 127.0.0.0/8 and fd.sport in (22, 2222) and proc.exe endswith ssh
  output: "%fd.name"
  priority: NOTICE
- rule: Reads
  desc: d
  condition: evt.type = read and fd.name glob '/proc/*/environ' and thread.tid > 0 and proc.pname icontains SSH
  output: "%fd.name"
  priority: NOTICE
"#;

fn ev(name: &str, tid: u32, ret: i64, args: [u64; 6], items: &[(u8, &[u8])]) -> OwnedEvent {
    let mut data = Vec::new();
    for (t, b) in items {
        push_item(&mut data, *t, 0, b);
    }
    OwnedEvent {
        header: RecordHeader {
            ts_ns: 1,
            tid,
            pid: tid,
            kind: Kind::Syscall as u16,
            nr: syscalls::number(name).unwrap(),
            data_len: data.len() as u16,
            ret,
            args,
            ..Default::default()
        },
        data,
    }
}

#[test]
fn evaluation_does_not_allocate() {
    let rs = load_rules_str(&[("t.yaml", RULES)]);
    assert!(!rs.diags.has_errors(), "{:?}", rs.diags);
    let mut e = Engine::new(rs, RuleMatching::All);
    let cfg = sysreplay_synth::SynthConfig::new(1, 0);
    let snap = sysreplay_synth::snapshot(&cfg);
    e.start_trace(&sysreplay_synth::header(&cfg), &snap);
    // Threads that exist in the snapshot: lookups take the common path.
    let t = |i: usize| snap.threads[i * snap.threads.len() / 5].tid;
    let events = [
        ev("read", t(1), 10, [0, 0, 10, 0, 0, 0], &[]),
        ev("read", t(2), 10, [6, 0, 10, 0, 0, 0], &[]),
        ev(
            "execve",
            t(1),
            -2,
            [0; 6],
            &[(0, b"/bin/nope\0"), (tag::ARGV, b"nope\0")],
        ),
        ev(
            "connect",
            t(3),
            -111,
            [1, 0, 16, 0, 0, 0],
            &[(1, &[2, 0, 0, 22, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0])],
        ),
        ev("write", t(4), 10, [2, 0, 10, 0, 0, 0], &[]),
    ];
    // warm up (lazy tables, scratch buffers, the macro cache)
    for o in &events {
        e.process(&o.as_event(), |_| {});
    }
    let before = allocs();
    let mut hits = 0;
    for _ in 0..2_000 {
        for o in &events {
            e.process(&o.as_event(), |_| hits += 1);
        }
    }
    let allocs = allocs() - before;
    assert_eq!(hits, 0);
    assert!(e.stats.rule_evaluations > 0);
    assert_eq!(allocs, 0, "allocations during evaluation");
}

fn real_events(name: &str) -> (TraceReader, Vec<OwnedEvent>) {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../corpora/real/{name}/trace.srt"));
    let r = TraceReader::open(&p).unwrap();
    let mut v = Vec::new();
    r.for_each_event(|e| {
        v.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    (r, v)
}

/// Allocations per (kind, syscall) while `rules` evaluate the second half
/// of a real recording, after the first half warmed the engine up.
fn real_allocations(name: &str, rs: Ruleset) -> (BTreeMap<String, (u64, u64)>, u64) {
    let (r, evs) = real_events(name);
    let mut e = Engine::new(rs, RuleMatching::All);
    e.start_trace(r.header(), r.snapshot());
    // as `eval` drives it: light events (no rule, no parser) apart
    let light = e.light_set();
    let is_light = |ev: &sysreplay_format::Event| ev.kind == 1 && light.contains(ev.nr);
    let half = evs.len() / 2;
    for o in &evs[..half] {
        let ev = o.as_event();
        if is_light(&ev) {
            e.process_light(&ev, &mut NoObserver);
        } else {
            e.process(&ev, |_| {});
        }
    }
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut hits = 0u64;
    for o in &evs[half..] {
        let ev = o.as_event();
        let before = allocs();
        if is_light(&ev) {
            e.process_light(&ev, &mut NoObserver);
        } else {
            e.process(&ev, |_| hits += 1);
        }
        let n = allocs() - before;
        let key = match ev.kind {
            1 => syscalls::name(ev.nr).unwrap_or("?").to_string(),
            k => format!("kind {k}"),
        };
        let x = per.entry(key).or_default();
        x.0 += 1;
        x.1 += n;
    }
    (per, hits)
}

/// Events that create or replace a process image or change its working
/// directory build new state (a thread, an fd table, argv and cwd strings):
/// they may allocate. Every other event must not.
fn builds_state(key: &str) -> bool {
    key.starts_with("kind ")
        || matches!(
            key,
            "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat" | "chdir" | "fchdir"
        )
}

/// Allocations of the second half of `name` outside state-building events:
/// none per event; only the amortized growth of a new process's fd table
/// is left (under one per 1000 events).
fn assert_no_allocation_per_event(name: &str, rs: Ruleset, rules: &str) {
    let (per, hits) = real_allocations(name, rs);
    let (mut events, mut allocs) = (0u64, 0u64);
    let (mut building, mut building_allocs) = (0u64, 0u64);
    let mut report = String::new();
    for (k, &(n, a)) in &per {
        if !builds_state(k) {
            events += n;
            allocs += a;
            if a > 0 {
                report += &format!(" {k}: {a} in {n} events;");
            }
        } else {
            building += n;
            building_allocs += a;
        }
    }
    eprintln!(
        "{name} with {rules}: {allocs} allocations in {events} events, {hits} hits:{report} \
         ({building_allocs} in {building} events that build state)"
    );
    assert!(events > 100_000, "{name}: only {events} events counted");
    assert!(
        allocs * 1000 <= events,
        "{name} with {rules}: {allocs} allocations in {events} events:{report}"
    );
}

#[test]
fn real_recordings_do_not_allocate_per_event() {
    for name in ["mixed", "mixed-all"] {
        let rs = load_rules_str(&[("t.yaml", RULES)]);
        assert_no_allocation_per_event(name, rs, "the test rules");
    }
}

#[test]
fn real_recordings_do_not_allocate_per_event_with_falcos_rules() {
    let p = sysreplay_testkit::require!(
        sysreplay_testkit::upstream_rules("falco_rules.yaml"),
        "real_recordings_do_not_allocate_per_event_with_falcos_rules"
    );
    for name in ["mixed", "mixed-all"] {
        let rs = load_rules(&[&p]);
        assert!(!rs.diags.has_errors());
        assert_no_allocation_per_event(name, rs, "falco_rules.yaml");
    }
}
