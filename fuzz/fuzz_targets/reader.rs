//! Any byte string handed to the trace readers gives events or an error,
//! never a panic, an abort or a huge allocation.
#![no_main]

use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use sysreplay_format::{StreamReader, TraceReader};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("sysreplay-fuzz-{}.srt", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        if let Ok(r) = TraceReader::open(&path) {
            let _ = r.for_each_event(|e| {
                let _ = e.items().count();
                ControlFlow::Continue(())
            });
        }
    }
    if let Ok(mut s) = StreamReader::new(data, &path) {
        while let Ok(Some(b)) = s.next_block() {
            let _ = b.events().count();
        }
    }
});
