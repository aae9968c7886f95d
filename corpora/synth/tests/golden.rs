//! Format stability: the bundled samples must decode to exactly the events
//! the generator makes today. A codec change that breaks existing files
//! fails here and needs a format version bump.

use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::record::{push_item, tag, Items};
use sysreplay_format::{OwnedEvent, TraceReader};
use sysreplay_synth::{self as synth, SynthConfig};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples")
        .join(name)
}

/// `sysreplay synth --events 100000 --seed 1 --drop-windows 2`
fn config() -> SynthConfig {
    SynthConfig::new(1, 100_000).with_drop_windows(2)
}

fn generated(cfg: &SynthConfig) -> Vec<OwnedEvent> {
    synth::in_memory(cfg).2
}

/// Open a sample, check its header and snapshot against the generator's, and
/// return its format version and events.
fn read_sample(name: &str, cfg: &SynthConfig) -> ((u16, u16), Vec<OwnedEvent>) {
    let r = TraceReader::open(&sample(name)).unwrap();
    assert!(r.truncation().is_none());
    assert_eq!(r.snapshot(), &synth::snapshot(cfg));
    let h = r.header();
    let gen = synth::header(cfg);
    assert_eq!(
        (h.hostname.as_str(), h.boot_to_wall_ns),
        (gen.hostname.as_str(), gen.boot_to_wall_ns)
    );
    let mut got = Vec::new();
    r.for_each_event(|e| {
        got.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    (r.format_version(), got)
}

/// The index of the first event that differs (None when all are equal).
fn first_difference(got: &[OwnedEvent], want: &[OwnedEvent]) -> Option<usize> {
    assert_eq!(got.len(), want.len());
    // The generator emits in time order and blocks sort stably, so the
    // order is the same too.
    got.iter().zip(want).position(|(g, w)| g != w)
}

#[test]
fn bundled_sample_decodes_to_the_generated_events() {
    let cfg = config();
    let (version, got) = read_sample("synth-100k.srt", &cfg);
    assert_eq!(version, (1, 1));
    let want = generated(&cfg);
    assert!(
        want.iter()
            .any(|e| Items::new(&e.data).any(|i| i.tag == tag::LOCAL_ADDR)),
        "the generator gives connects and accepts their own address"
    );
    assert_eq!(
        first_difference(&got, &want),
        None,
        "the sample no longer decodes to the generated events"
    );
}

/// A file written by format 1.0 (before item tag 25) still reads: it holds
/// the generator's events of that time, which are today's without their
/// LOCAL_ADDR items.
#[test]
fn a_format_1_0_file_still_reads() {
    let cfg = config();
    let (version, got) = read_sample("compat/synth-100k-format-1.0.srt", &cfg);
    assert_eq!(version, (1, 0));
    let want: Vec<OwnedEvent> = generated(&cfg)
        .into_iter()
        .map(|mut e| {
            let mut data = Vec::new();
            for i in Items::new(&e.data).filter(|i| i.tag != tag::LOCAL_ADDR) {
                push_item(&mut data, i.tag, i.flags, i.bytes);
            }
            e.header.data_len = data.len() as u16;
            e.data = data;
            e
        })
        .collect();
    assert_eq!(
        first_difference(&got, &want),
        None,
        "the format 1.0 sample no longer decodes to its events"
    );
}

/// The first format 2.0 file (argument selectors and deltas, SPEC §5): a
/// codec change that would misread it fails here.
/// `sysreplay synth --events 10000 --seed 1 --drop-windows 2`
#[test]
fn a_format_2_0_file_still_reads() {
    let cfg = SynthConfig::new(1, 10_000).with_drop_windows(2);
    let (version, got) = read_sample("compat/synth-10k-format-2.0.srt", &cfg);
    assert_eq!(version, (2, 0));
    assert_eq!(
        first_difference(&got, &generated(&cfg)),
        None,
        "the format 2.0 sample no longer decodes to its events"
    );
}
