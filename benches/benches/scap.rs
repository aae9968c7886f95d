//! scap import and export throughput on the synthetic mixed workload
//! (default 500k records; set SYSREPLAY_BENCH_EVENTS to change it).
//! Throughput is counted in sysreplay records (export input, import output
//! basis: the same records), for plain and gzip-compressed scap.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sysreplay_format::OwnedEvent;
use sysreplay_scap as scap;
use sysreplay_synth::{self as synth, SynthConfig};

fn records(cfg: &SynthConfig) -> Vec<OwnedEvent> {
    synth::in_memory(cfg).2
}

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("SYSREPLAY_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let cfg = SynthConfig::new(1, n);
    let (header, snap) = (synth::header(&cfg), synth::snapshot(&cfg));
    let recs = records(&cfg);
    let evs = || recs.iter().map(|e| e.as_event());
    let (plain, rep) = scap::export(&header, &snap, evs(), false).unwrap();
    let (gz, _) = scap::export(&header, &snap, evs(), true).unwrap();
    eprintln!(
        "scap bench: {} records -> {} scap events, {} bytes plain ({:.1} B/record), {} bytes gzip",
        recs.len(),
        rep.events,
        plain.len(),
        plain.len() as f64 / recs.len() as f64,
        gz.len()
    );
    let mut g = c.benchmark_group("scap");
    g.sample_size(10);
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("export_plain", |b| {
        b.iter(|| scap::export(&header, &snap, evs(), false).unwrap().0.len())
    });
    g.bench_function("export_gzip", |b| {
        b.iter(|| scap::export(&header, &snap, evs(), true).unwrap().0.len())
    });
    g.bench_function("import_plain", |b| {
        b.iter(|| scap::import(plain.clone()).unwrap().report.records)
    });
    g.bench_function("import_gzip", |b| {
        b.iter(|| scap::import(gz.clone()).unwrap().report.records)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
