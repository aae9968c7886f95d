//! Format stability: the bundled sample (written by format 1.0) must decode
//! to exactly the events the generator makes today. A codec change that
//! breaks existing files fails here and needs a format version bump.

use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::synth::{self, SynthConfig};
use sysreplay_format::{OwnedEvent, TraceReader};

#[test]
fn bundled_sample_decodes_to_the_generated_events() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpora/samples/synth-100k.srt");
    // `sysreplay synth --events 100000 --seed 1 --drop-windows 2`
    let cfg = SynthConfig::new(1, 100_000).with_drop_windows(2);
    let mut want = Vec::new();
    synth::generate::<(), _>(&cfg, |h, d| {
        want.push(OwnedEvent {
            header: *h,
            data: d.to_vec(),
        });
        Ok(())
    })
    .unwrap();

    let r = TraceReader::open(&path).unwrap();
    assert!(r.truncation().is_none());
    assert_eq!(r.snapshot(), &synth::snapshot(&cfg));
    let h = r.header();
    let gen = synth::header(&cfg);
    assert_eq!(
        (h.hostname.as_str(), h.boot_to_wall_ns),
        (gen.hostname.as_str(), gen.boot_to_wall_ns)
    );
    let mut got = Vec::with_capacity(want.len());
    r.for_each_event(|e| {
        got.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(got.len(), want.len());
    // The generator emits in time order and blocks sort stably, so the
    // order is the same too.
    let first_diff = got.iter().zip(&want).position(|(g, w)| g != w);
    assert_eq!(
        first_diff, None,
        "the sample no longer decodes to the generated events"
    );
}
