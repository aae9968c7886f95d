//! What a format could do about light events (README "Against libsinsp",
//! the larger steps measured): re-codes a trace's arguments and data three
//! ways and prints bytes/event (zstd) and decompression time.
//!
//! 1. Where the bytes are: the args (format 1.x coding) and data of the
//!    events `eval` treats as light with these rules, apart from the
//!    others: what a reader that skips light events' frames would not
//!    decompress.
//! 2. Format 2.x's argument coding with the events split in two groups
//!    (heavy, light) each with its own thread table, as such frames need:
//!    what the split costs in size.
//! 3. Format 2.x's coding against one whose clear mask bit means "the
//!    thread's previous register" (the key slot a selector): light events
//!    would then update a thread's registers only for their set bits.
//!
//! `cargo run --release -p sysreplay-replay --example light_events_study -- TRACE RULES.yaml [DISABLED_RULE...]`
//!
//! Predictor tables here are exact maps, not the format's direct-mapped
//! ones (no collisions), and each block starts empty, as in the format.
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use sysreplay_format::record::RecordHeader;
use sysreplay_format::{TraceReader, WriterOptions};
use sysreplay_ruleeval::engine::{load_rules, Engine, RuleMatching};

const LIMIT: u64 = 1 << 28; // SPEC §5: a delta below 2^28 is stored as one

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Compressed size and best-of-5 decompression time of `col`.
fn zstd_cost(col: &[u8], level: i32) -> (usize, f64) {
    if col.is_empty() {
        return (0, 0.0);
    }
    let c = zstd::bulk::compress(col, level).unwrap();
    let mut out = vec![0u8; col.len()];
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        zstd::bulk::decompress_to_buffer(&c, &mut out[..]).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (c.len(), best)
}

/// The argument columns of one coding (mask, selectors, raw values, deltas).
#[derive(Default)]
struct ArgCols {
    mask: Vec<u8>,
    sel: Vec<u8>,
    raw: Vec<u8>,
    delta: Vec<u8>,
}

impl ArgCols {
    fn zstd_bytes(&self) -> usize {
        [&self.mask, &self.sel, &self.raw, &self.delta]
            .iter()
            .map(|c| zstd_cost(c, WriterOptions::default().zstd_level).0)
            .sum()
    }
    /// A value that differs from its prediction `p`: the selector and its
    /// bytes, with `other` the alternative predictor (selector 1).
    fn differs(&mut self, v: u64, p: u64, other: u64) {
        let d = zigzag(v.wrapping_sub(p) as i64);
        if v == other {
            self.sel.push(1);
        } else if d < LIMIT {
            self.sel.push(2);
            put_varint(&mut self.delta, d);
        } else {
            self.sel.push(0);
            put_varint(&mut self.raw, v);
        }
    }
}

type Key = (u32, u16, u16);

/// Format 2.x's coding (SPEC §5) of `evs`, the thread table per `group`.
fn code_v2(evs: &[(RecordHeader, usize)], cols: &mut [ArgCols; 2]) {
    let mut slot: HashMap<Key, [u64; 6]> = HashMap::new();
    let mut thread: HashMap<(u32, usize), [u64; 6]> = HashMap::new();
    for (h, g) in evs {
        let s = slot.entry((h.tid, h.kind & 0xff, h.nr)).or_default();
        let t = thread.entry((h.tid, *g)).or_default();
        let c = &mut cols[*g];
        let mut mask = 0u8;
        for (i, &v) in h.args.iter().enumerate() {
            if v != s[i] {
                mask |= 1 << i;
                c.differs(v, s[i], t[i]);
                s[i] = v;
            }
        }
        *t = h.args;
        c.mask.push(mask);
    }
}

/// A clear mask bit is the thread's previous register; a set one has a
/// selector: 1 the key's last stored value, 2 a delta from it, 0 raw.
fn code_thread_first(evs: &[(RecordHeader, usize)], c: &mut ArgCols) {
    let mut slot: HashMap<Key, [u64; 6]> = HashMap::new();
    let mut thread: HashMap<u32, [u64; 6]> = HashMap::new();
    for (h, _) in evs {
        let s = slot.entry((h.tid, h.kind & 0xff, h.nr)).or_default();
        let t = thread.entry(h.tid).or_default();
        let mut mask = 0u8;
        for (i, &v) in h.args.iter().enumerate() {
            if v != t[i] {
                mask |= 1 << i;
                c.differs(v, s[i], s[i]);
                s[i] = v;
                t[i] = v;
            }
        }
        c.mask.push(mask);
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 3 {
        eprintln!("usage: light_events_study TRACE RULES.yaml [DISABLED_RULE...]");
        std::process::exit(2);
    }
    let mut rules = load_rules(&[a[2].as_str()]);
    for name in &a[3..] {
        rules.set_enabled_by_name(name, false);
    }
    let light = Engine::new(rules, RuleMatching::First).light_set();
    let r = TraceReader::open(Path::new(&a[1])).unwrap();
    // the writer's levels: of the fixed columns, of the data column
    let (level, data_level) = (
        WriterOptions::default().zstd_level,
        WriterOptions::default().data_zstd_level,
    );
    let syscall = sysreplay_format::record::Kind::Syscall as u16;

    let mut n = [0usize; 2];
    // [heavy, light, one column] of the 1.x args and of the data
    let (mut args_b, mut args_t, mut data_b, mut data_t) = ([0; 3], [0.0; 3], [0; 3], [0.0; 3]);
    let (mut v2_one, mut v2_split, mut thread_first) = (0, [0; 2], 0);
    for b in 0..r.blocks().len() {
        let blk = r.decode_block(b).unwrap();
        let evs: Vec<(RecordHeader, usize)> = blk
            .events()
            .map(|e| {
                let g = usize::from(e.kind == syscall && light.contains(e.nr));
                (e.header(), g)
            })
            .collect();
        let datas: Vec<&[u8]> = blk.events().map(|e| e.data).collect();
        let (mut args, mut data): ([Vec<u8>; 3], [Vec<u8>; 3]) = Default::default();
        let mut slot: HashMap<Key, [u64; 6]> = HashMap::new();
        for ((h, g), d) in evs.iter().zip(&datas) {
            n[*g] += 1;
            let s = slot.entry((h.tid, h.kind & 0xff, h.nr)).or_default();
            for (i, &v) in h.args.iter().enumerate() {
                if v != s[i] {
                    for col in [*g, 2] {
                        put_varint(&mut args[col], v);
                    }
                    s[i] = v;
                }
            }
            if !d.is_empty() {
                for col in [*g, 2] {
                    put_varint(&mut data[col], d.len() as u64);
                    data[col].extend_from_slice(d);
                }
            }
        }
        for col in 0..3 {
            let (bytes, t) = zstd_cost(&args[col], level);
            (args_b[col], args_t[col]) = (args_b[col] + bytes, args_t[col] + t);
            let (bytes, t) = zstd_cost(&data[col], data_level);
            (data_b[col], data_t[col]) = (data_b[col] + bytes, data_t[col] + t);
        }
        let mut one: [ArgCols; 2] = Default::default();
        let one_group: Vec<_> = evs.iter().map(|&(h, _)| (h, 0)).collect();
        code_v2(&one_group, &mut one);
        v2_one += one[0].zstd_bytes();
        let mut split: [ArgCols; 2] = Default::default();
        code_v2(&evs, &mut split);
        for g in 0..2 {
            v2_split[g] += split[g].zstd_bytes();
        }
        let mut tf = ArgCols::default();
        code_thread_first(&evs, &mut tf);
        thread_first += tf.zstd_bytes();
    }
    let total = (n[0] + n[1]) as f64;
    let per = |b: usize| b as f64 / total;
    println!(
        "{}: {} events, {} light ({:.1}%)",
        a[1],
        total,
        n[1],
        100.0 * n[1] as f64 / total
    );
    println!("1. format 1.x args (zstd {level}) and data (zstd {data_level}): bytes/event, decompression ms");
    for (col, name) in ["heavy events", "light events", "one column"]
        .iter()
        .enumerate()
    {
        println!(
            "   {name:13} args {:.3} B/ev {:5.2} ms   data {:.3} B/ev {:5.2} ms",
            per(args_b[col]),
            args_t[col] * 1e3,
            per(data_b[col]),
            data_t[col] * 1e3
        );
    }
    println!(
        "2. format 2.x args (mask, selectors, values, deltas): one group {:.3} B/ev; \
         heavy and light apart {:.3} + {:.3} = {:.3} B/ev",
        per(v2_one),
        per(v2_split[0]),
        per(v2_split[1]),
        per(v2_split[0] + v2_split[1])
    );
    println!(
        "3. clear bit = the thread's previous register: {:.3} B/ev (format 2.x: {:.3})",
        per(thread_first),
        per(v2_one)
    );
}
