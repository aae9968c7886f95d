//! Where a trace's bytes go: re-encodes every block of a trace with this
//! build's codec and prints, per column (SPEC §5), the raw and
//! zstd-compressed bytes per event.
//! `cargo run --release -p sysreplay-format --example colsizes -- TRACE [FIXED_LEVEL DATA_LEVEL]`
use std::path::Path;
use sysreplay_format::block::{Encoder, StagedBlock, DATA_COLUMN, NCOLUMNS};
use sysreplay_format::{TraceReader, WriterOptions};

const NAMES: [&str; NCOLUMNS] = [
    "kind", "ts_low", "cpu", "tid", "pid", "nr", "ret", "argmask", "args", "data", "ts_high",
    "argsel", "argdelta",
];

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let path = a
        .get(1)
        .expect("usage: colsizes TRACE [FIXED_LEVEL DATA_LEVEL]");
    let d = WriterOptions::default();
    let level = |i: usize, def: i32| a.get(i).map_or(def, |v| v.parse().expect("a zstd level"));
    let (fixed_level, data_level) = (level(2, d.zstd_level), level(3, d.data_zstd_level));
    let r = TraceReader::open(Path::new(path)).unwrap();
    let mut raw = [0usize; NCOLUMNS];
    let mut comp = [0usize; NCOLUMNS];
    let mut enc = Encoder::new();
    let mut n = 0usize;
    for b in 0..r.blocks().len() {
        let blk = r.decode_block(b).unwrap();
        let mut st = StagedBlock::default();
        for e in blk.events() {
            st.push(e.header(), e.data);
        }
        n += st.len();
        enc.encode_frames(&st);
        for (c, col) in enc.columns().enumerate() {
            raw[c] += col.len();
            let lvl = if c == DATA_COLUMN {
                data_level
            } else {
                fixed_level
            };
            comp[c] += zstd::bulk::compress(col, lvl).unwrap().len();
        }
    }
    let (tr, tc): (usize, usize) = (raw.iter().sum(), comp.iter().sum());
    let per = |b: usize| b as f64 / n as f64;
    println!(
        "{n} events; file {} bytes = {:.3} bytes/event (format {}.{}); levels {fixed_level}/{data_level}",
        r.file_len(),
        per(r.file_len() as usize),
        r.format_version().0,
        r.format_version().1
    );
    println!(
        "{:>8} {:>10} {:>8} {:>10} {:>8}",
        "column", "raw", "raw/ev", "zstd", "zstd/ev"
    );
    for c in 0..NCOLUMNS {
        println!(
            "{:>8} {:>10} {:>8.3} {:>10} {:>8.3}",
            NAMES[c],
            raw[c],
            per(raw[c]),
            comp[c],
            per(comp[c])
        );
    }
    println!(
        "{:>8} {:>10} {:>8.3} {:>10} {:>8.3}",
        "total",
        tr,
        per(tr),
        tc,
        per(tc)
    );
}
