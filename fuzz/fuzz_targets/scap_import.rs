//! Any byte string handed to the scap importer (plain or gzip) gives records
//! or an error with its offset, never a panic, an abort or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = sysreplay_scap::import(data.to_vec()) {
        let _ = imported.for_each_record(|h, d| -> Result<(), ()> {
            // what every consumer of an import does with a record
            let _ = sysreplay_format::record::validate_items(d);
            let _ = h.ts_ns;
            Ok(())
        });
    }
});
