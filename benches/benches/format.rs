//! Trace format throughput on a synthetic mixed workload (default 10M events;
//! set SYSREPLAY_BENCH_EVENTS to change it), and on the real recordings of
//! corpora/real (written again with today's writer; read both as committed,
//! format 1.x, and as rewritten). Bytes per event are printed once.
//! `sysreplay bench format` prints the synthetic measurements as a table.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sysreplay_benches::{real_trace, RealTrace, REAL_TRACES};
use sysreplay_format::{RecordHeader, TraceReader, TraceWriter, WriterOptions};
use sysreplay_synth::{self as synth, SynthConfig};

struct Events {
    headers: Vec<RecordHeader>,
    offsets: Vec<usize>,
    data: Vec<u8>,
}

fn events(cfg: &SynthConfig) -> Events {
    let mut ev = Events {
        headers: Vec::new(),
        offsets: Vec::new(),
        data: Vec::new(),
    };
    synth::generate::<(), _>(cfg, |h, d| {
        ev.headers.push(*h);
        ev.offsets.push(ev.data.len());
        ev.data.extend_from_slice(d);
        Ok(())
    })
    .unwrap();
    ev
}

fn write(cfg: &SynthConfig, ev: &Events, path: &std::path::Path) -> u64 {
    let opts = WriterOptions {
        overwrite: true,
        ..WriterOptions::default()
    };
    let mut w =
        TraceWriter::create(path, &synth::header(cfg), &synth::snapshot(cfg), opts).unwrap();
    for (i, h) in ev.headers.iter().enumerate() {
        w.write_record(
            h,
            &ev.data[ev.offsets[i]..ev.offsets[i] + h.data_len as usize],
        )
        .unwrap();
    }
    w.finish().unwrap().file_bytes
}

fn read(path: &std::path::Path, threads: Option<usize>) -> u64 {
    let mut r = TraceReader::open(path).unwrap();
    if let Some(t) = threads {
        r.set_decode_threads(t).unwrap();
    }
    let mut n = 0u64;
    r.for_each_event(|e| {
        n += 1;
        std::hint::black_box(e.args[0]);
        ControlFlow::Continue(())
    })
    .unwrap();
    n
}

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("SYSREPLAY_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let cfg = SynthConfig::new(1, n);
    let ev = events(&cfg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.srt");
    let bytes = write(&cfg, &ev, &path);
    let raw: usize =
        ev.headers.len() * sysreplay_format::record::RECORD_HEADER_SIZE + ev.data.len();
    eprintln!(
        "format: {n} events, {:.2} bytes/event on disk vs {:.1} bytes/event as raw records ({:.1}x)",
        bytes as f64 / n as f64,
        raw as f64 / n as f64,
        raw as f64 / bytes as f64
    );

    let mut g = c.benchmark_group("format");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(n));
    g.bench_function("write", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                write(&cfg, &ev, &path);
            }
            t.elapsed()
        })
    });
    g.bench_function("read_all_threads", |b| b.iter(|| read(&path, None)));
    g.bench_function("read_1_thread", |b| b.iter(|| read(&path, Some(1))));
    g.finish();
}

fn write_real(t: &RealTrace, path: &std::path::Path) -> u64 {
    let opts = WriterOptions {
        overwrite: true,
        ..WriterOptions::default()
    };
    let mut w = TraceWriter::create(path, &t.header, &t.snapshot, opts).unwrap();
    for e in &t.events {
        w.write_event(&e.as_event()).unwrap();
    }
    w.finish().unwrap().file_bytes
}

fn bench_real(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for name in REAL_TRACES {
        let t = real_trace(name);
        let n = t.events.len() as u64;
        let path = dir.path().join(format!("{name}.srt"));
        let bytes = write_real(&t, &path);
        let committed = std::fs::metadata(&t.path).unwrap().len();
        eprintln!(
            "format/real/{name}: {n} events, {:.2} bytes/event rewritten ({:.2} as committed)",
            bytes as f64 / n as f64,
            committed as f64 / n as f64
        );
        let mut g = c.benchmark_group(format!("format/real/{name}"));
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(10))
            .throughput(Throughput::Elements(n));
        g.bench_function("write", |b| b.iter(|| write_real(&t, &path)));
        g.bench_function("read_all_threads", |b| b.iter(|| read(&path, None)));
        g.bench_function("read_1_thread", |b| b.iter(|| read(&path, Some(1))));
        g.bench_function("read_committed_1_thread", |b| {
            b.iter(|| read(&t.path, Some(1)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench, bench_real);
criterion_main!(benches);
