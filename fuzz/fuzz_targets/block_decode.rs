//! The columnar block decoder on arbitrary payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysreplay_format::block;

fuzz_target!(|data: &[u8]| {
    let mut rows = Vec::new();
    if block::decode(data, &mut rows).is_ok() {
        for r in &rows {
            let _ = r.event(data).items().count();
        }
    }
});
