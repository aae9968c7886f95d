//! `import` streams a capture: the memory it holds does not grow with the
//! capture's length (it read the whole gunzipped capture, and kept every
//! record, before writing anything). Measured with a counting allocator;
//! this file holds one test so no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use sysreplay_scap::blocks::{self, BlockReader};
use sysreplay_scap::events::{code, EventBuilder};
use sysreplay_scap::{import_from, ImportError};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// A capture of `n` syscalls: exit-only openat events, and close as enter
/// + exit pairs (so enter events wait for their exit across blocks).
fn capture(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&blocks::SHB_MAGIC.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&2u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    blocks::write_block(&mut out, blocks::SHB, &shb);
    let mut b = EventBuilder::new();
    let t0 = 1_700_000_000_000_000_000u64;
    for i in 0..n as u64 {
        let tid = 100 + i % 50;
        let ts = t0 + i * 1_000;
        if i % 2 == 0 {
            b.start();
            b.u64(5);
            b.u64((-100i64) as u64);
            b.cstr(format!("/var/lib/file{i}").as_bytes());
            b.u32(1);
            b.u32(0);
            b.u32(0);
            b.u64(42);
            b.finish(1, ts, tid, code::OPENAT_2_X);
            blocks::write_block(&mut out, blocks::EV_V2, &b.buf);
        } else {
            b.start();
            b.u64(5);
            b.finish(1, ts, tid, code::CLOSE_E);
            blocks::write_block(&mut out, blocks::EV_V2, &b.buf);
            b.start();
            b.u64(0);
            b.finish(1, ts + 500, tid, code::CLOSE_X);
            blocks::write_block(&mut out, blocks::EV_V2, &b.buf);
        }
    }
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// Import `bytes` into a sink that only counts; (records, peak bytes held
/// beyond what was live before).
fn import_peak(bytes: Vec<u8>) -> Result<(u64, usize), String> {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let r = BlockReader::open(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let start = |_, _| Ok::<u64, ()>(0);
    let count = |n: &mut u64, _: &_, _: &[u8]| {
        *n += 1;
        Ok(())
    };
    let res = import_from(r, start, count);
    let peak = PEAK.load(Relaxed) - base;
    match res {
        Ok((n, report)) => {
            assert_eq!(n, report.records);
            Ok((n, peak))
        }
        Err(ImportError::Scap(e)) => Err(format!("{e} (peak {peak})")),
        Err(ImportError::Sink(())) => unreachable!(),
    }
}

#[test]
fn import_memory_is_flat_in_the_capture_length() {
    let small = capture(20_000);
    let large = capture(80_000);
    let (small_len, large_len) = (small.len(), large.len());
    assert!(large_len > 4 << 20, "{large_len}");
    let large_gz = gzip(&large);
    let (n_small, peak_small) = import_peak(small).unwrap();
    let (n_large, peak_large) = import_peak(large).unwrap();
    let (n_gz, peak_gz) = import_peak(large_gz).unwrap();
    assert_eq!(n_small, 20_000);
    assert_eq!(n_large, 80_000);
    assert_eq!(n_gz, n_large);
    eprintln!(
        "peak heap: {peak_small} B for {small_len} B, {peak_large} B for {large_len} B, \
         {peak_gz} B gzip"
    );
    // A few hundred KiB of buffers and tables, whatever the length.
    for p in [peak_small, peak_large, peak_gz] {
        assert!(p < 1 << 20, "{p} bytes held");
    }
    assert!(
        peak_large < peak_small + (64 << 10),
        "{peak_small} -> {peak_large}"
    );
    // 4 MiB of gzipped zeros: refused at the first block, nothing buffered.
    let e = import_peak(gzip(&vec![0u8; 4 << 20])).unwrap_err();
    assert!(
        e.contains("at byte 0") && e.contains("total length 0"),
        "{e}"
    );
    // A block claiming 200 MiB in a 1 KiB file: refused or cut, never
    // allocated ahead of the data.
    let mut claim = capture(0); // the section header block
    claim.extend_from_slice(&blocks::EV_V2.to_le_bytes());
    claim.extend_from_slice(&(200u32 << 20).to_le_bytes());
    claim.extend_from_slice(&[0u8; 1000]);
    let e = import_peak(claim).unwrap_err();
    assert!(e.contains("the file ends inside a block"), "{e}");
    let peak: usize = e
        .rsplit("(peak ")
        .next()
        .and_then(|s| s.trim_end_matches(')').parse().ok())
        .unwrap();
    assert!(peak < 4 << 20, "{peak}");
}
