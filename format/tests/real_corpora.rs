//! The committed real recordings (corpora/real) are format 1.x files: they
//! must keep reading, and rewritten by today's writer (format 2) they must
//! come back event for event, in at most 6 bytes per event for mixed-all
//! (SPEC §5: argument selectors and deltas; data column at zstd level 3).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use sysreplay_format::block::LightSet;
use sysreplay_format::{Kind, OwnedEvent, TraceReader, TraceWriter, WriterOptions};

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../corpora/real/{name}/trace.srt"))
}

fn events(r: &TraceReader) -> Vec<OwnedEvent> {
    let mut v = Vec::new();
    r.for_each_event(|e| {
        v.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    v
}

/// `events` of `old` written to `path` by today's default writer, read back.
fn write_today(old: &TraceReader, events: &[OwnedEvent], path: &Path) -> TraceReader {
    let mut w =
        TraceWriter::create(path, old.header(), old.snapshot(), WriterOptions::default()).unwrap();
    for e in events {
        w.write_event(&e.as_event()).unwrap();
    }
    w.finish().unwrap();
    let new = TraceReader::open(path).unwrap();
    assert_eq!(new.format_version(), sysreplay_format::meta::FORMAT_VERSION);
    new
}

/// Rewrite `name` with the default writer; returns (old bytes/event, new bytes/event).
fn rewrite(name: &str) -> (f64, f64) {
    let old = TraceReader::open(&real(name)).unwrap();
    assert_eq!(
        old.format_version().0,
        1,
        "the committed traces are format 1.x"
    );
    assert!(old.truncation().is_none());
    let want = events(&old);
    assert_eq!(want.len() as u64, old.event_count());
    let dir = tempfile::tempdir().unwrap();
    let new = write_today(&old, &want, &dir.path().join("new.srt"));
    assert_eq!(new.snapshot(), old.snapshot());
    let got = events(&new);
    assert_eq!(got.len(), want.len());
    // Blocks sort stably by time and the old file's events are in time
    // order, so the order is the same too.
    if let Some(i) = got.iter().zip(&want).position(|(g, w)| g != w) {
        panic!(
            "{name}: event {i} differs after rewriting: {:?} != {:?}",
            got[i], want[i]
        );
    }
    // the columns' frames are exactly the blocks' frames, 11 or 13 of them
    for (r, n) in [(&old, 11), (&new, 13)] {
        let cols = r.column_sizes().unwrap();
        assert_eq!(cols.len(), n);
        let stored: u64 = cols.iter().map(|c| c.stored_bytes).sum();
        let payload: u64 = cols.iter().map(|c| c.payload_bytes).sum();
        let frames: u64 = r.blocks().iter().map(|b| b.header.frame_len as u64).sum();
        let payloads: u64 = r.blocks().iter().map(|b| b.header.payload_len as u64).sum();
        assert_eq!((stored, payload), (frames, payloads), "{name}");
    }
    let per = |r: &TraceReader| r.file_len() as f64 / r.event_count() as f64;
    (per(&old), per(&new))
}

#[test]
fn mixed_all_rewritten_takes_at_most_6_bytes_per_event() {
    let (old, new) = rewrite("mixed-all");
    eprintln!("mixed-all: {old:.3} -> {new:.3} bytes/event");
    assert!(
        new <= 6.0,
        "mixed-all takes {new:.3} bytes/event (format 1: {old:.3})"
    );
}

#[test]
fn mixed_and_burst_rewritten_read_back_smaller() {
    for name in ["mixed", "burst"] {
        let (old, new) = rewrite(name);
        eprintln!("{name}: {old:.3} -> {new:.3} bytes/event");
        assert!(
            new < old,
            "{name}: {new:.3} bytes/event, format 1 took {old:.3}"
        );
    }
}

/// Syscalls made light in `light_events_match_full_ones`, with the one
/// argument kept (x86_64 numbers): newfstatat, mmap, getdents64, close, read.
const LIGHT: [(u16, Option<u8>); 5] = [
    (262, Some(0)),
    (9, Some(4)),
    (217, None),
    (3, Some(5)),
    (0, Some(2)),
];

/// `for_each_event_light` hands over the events of `for_each_event`, the
/// light ones flagged and, in format 1.x, with only the argument asked
/// for (the others 0); format 2 decodes every argument anyway. With
/// `no_cpu` every event's cpu reads 0.
fn check_light(r: &TraceReader, want: &[OwnedEvent], no_cpu: bool) -> usize {
    let mut light = LightSet::default();
    for (nr, arg) in LIGHT {
        light.insert(nr, arg);
    }
    light.no_cpu = no_cpu;
    let mut got = Vec::new();
    r.for_each_event_light(&light, |e, l| {
        got.push((e.to_owned_event(), l));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(got.len(), want.len());
    let v1 = r.format_version().0 == 1;
    let mut n_light = 0;
    for (i, ((g, l), w)) in got.iter().zip(want).enumerate() {
        let keep = LIGHT.iter().find(|(nr, _)| *nr == w.header.nr);
        let is_light = w.header.kind == Kind::Syscall as u16 && keep.is_some();
        assert_eq!(*l, is_light, "event {i}: {w:?}");
        let mut w = w.clone();
        if no_cpu {
            w.header.cpu = 0;
        }
        if is_light {
            n_light += 1;
            if v1 {
                let k = keep.unwrap().1.map(usize::from);
                for (a, v) in w.header.args.iter_mut().enumerate() {
                    if Some(a) != k {
                        *v = 0;
                    }
                }
            }
        }
        assert_eq!(g, &w, "event {i}");
    }
    n_light
}

#[test]
fn light_events_match_full_ones() {
    let old = TraceReader::open(&real("mixed-all")).unwrap();
    let want = events(&old);
    let n = check_light(&old, &want, false);
    assert!(n > 200_000, "only {n} light events");
    assert!(want.iter().any(|e| e.header.cpu != 0));
    assert_eq!(check_light(&old, &want, true), n, "without the cpu column");
    // the same events in format 2
    let dir = tempfile::tempdir().unwrap();
    let new = write_today(&old, &want, &dir.path().join("new.srt"));
    assert_eq!(check_light(&new, &want, false), n);
    assert_eq!(check_light(&new, &want, true), n);
}
