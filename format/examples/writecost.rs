//! Writer cost on a real trace, for `valgrind --tool=callgrind` (instruction
//! counts do not depend on what else the machine runs): loads TRACE into
//! memory, then writes it ROUNDS times with the default writer options.
//! With `keep`, the files written stay in OUT_DIR as writecost-N.srt (the
//! same recording in this build's format: `benches/sysdig_side_by_side.sh
//! -t` compares them); a second run into the same OUT_DIR replaces them.
//! `cargo run --release -p sysreplay-format --example writecost -- TRACE OUT_DIR [ROUNDS [keep]]`
use std::ops::ControlFlow;
use std::path::Path;
use sysreplay_format::{OwnedEvent, TraceReader, TraceWriter, WriterOptions};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (trace, dir) = (Path::new(&a[1]), Path::new(&a[2]));
    let rounds: usize = a.get(3).map_or(1, |r| r.parse().unwrap());
    let keep = a.get(4).is_some_and(|k| k == "keep");
    let r = TraceReader::open(trace).unwrap();
    let mut evs: Vec<OwnedEvent> = Vec::new();
    r.for_each_event(|e| {
        evs.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    for i in 0..rounds {
        let p = dir.join(format!("writecost-{i}.srt"));
        let _ = std::fs::remove_file(&p);
        let t = std::time::Instant::now();
        let mut w =
            TraceWriter::create(&p, r.header(), r.snapshot(), WriterOptions::default()).unwrap();
        for e in &evs {
            w.write_event(&e.as_event()).unwrap();
        }
        let st = w.finish().unwrap();
        let s = t.elapsed().as_secs_f64();
        println!(
            "{} events in {:.3} s ({:.2} M events/s), {:.3} bytes/event",
            evs.len(),
            s,
            evs.len() as f64 / s / 1e6,
            st.file_bytes as f64 / evs.len() as f64
        );
        if keep {
            println!("kept {}", p.display());
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }
}
