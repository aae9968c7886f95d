//! Evaluating rules on an event allocates nothing in the common case: a
//! counting global allocator watches `Engine::process` over events that are
//! evaluated by many rules but change no state (reads, failed execs, failed
//! connects, opens that fail on an fd-less path).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use sysreplay_format::record::{push_item, tag, Kind, RecordHeader};
use sysreplay_format::OwnedEvent;
use sysreplay_ruleeval::{load_rules_str, Engine, RuleMatching};
use sysreplay_syscalls as syscalls;

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
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
    let before = ALLOCS.load(Ordering::Relaxed);
    let mut hits = 0;
    for _ in 0..2_000 {
        for o in &events {
            e.process(&o.as_event(), |_| hits += 1);
        }
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(hits, 0);
    assert!(e.stats.rule_evaluations > 0);
    assert_eq!(allocs, 0, "allocations during evaluation");
}
