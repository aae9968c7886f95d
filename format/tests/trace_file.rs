//! Writer/reader round trips, crash tolerance and corruption handling.

use std::ops::ControlFlow;
use std::path::Path;
use sysreplay_format::container::BlockEntry;
use sysreplay_format::meta::UserInfo;
use sysreplay_format::record::{push_item, tag, DropCounts, Kind};
use sysreplay_format::*;

fn header() -> TraceHeader {
    TraceHeader {
        tool_version: "test".into(),
        hostname: "h".into(),
        arch: "x86_64".into(),
        num_cpus: 2,
        boot_to_wall_ns: 1_700_000_000_000_000_000,
        source: "test".into(),
        ..Default::default()
    }
}

fn snapshot() -> ProcessSnapshot {
    ProcessSnapshot {
        taken_at_ns: 5,
        threads: vec![ThreadInfo {
            tid: 1,
            pid: 1,
            comm: "init".into(),
            exe: "/sbin/init".into(),
            args: vec!["/sbin/init".into()],
            fds: vec![FdInfo {
                fd: 0,
                fd_type: FdType::File,
                name: "/dev/null".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        users: vec![UserInfo {
            uid: 1000,
            gid: 1000,
            name: "alice".into(),
            home: "/home/alice".into(),
            shell: "/bin/bash".into(),
        }],
        ..Default::default()
    }
}

/// Deterministic events: opens with a path item, reads, and a drop marker.
fn events(n: usize) -> Vec<OwnedEvent> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let mut data = Vec::new();
        let mut h = RecordHeader {
            ts_ns: 1_000_000 + i * 1_000,
            tid: 100 + (i % 13) as u32,
            pid: 100,
            kind: Kind::Syscall as u16,
            cpu: (i % 2) as u16,
            nr: 0,
            data_len: 0,
            ret: 10,
            args: [3, 0x7ffd_1234_0000 + (i % 4) * 64, 4096, 0, 0, 0],
        };
        if i % 10 == 0 {
            h.nr = 257;
            h.ret = if i % 30 == 0 { -2 } else { 3 };
            h.args = [(-100i64) as u64, 0x5555_0000, 0, 0, 0, 0];
            push_item(
                &mut data,
                tag::ARG1,
                0,
                format!("/etc/file{}\0", i % 17).as_bytes(),
            );
        }
        if i % 997 == 0 {
            h.kind = Kind::Drop as u16;
            h.args = [h.ts_ns - 500, 7, 100, 0, 0, 0];
            let mut dc = DropCounts::default();
            dc.n[5] = 3;
            dc.n_other = 4;
            push_item(&mut data, tag::DROP_COUNTS, 0, &dc.encode());
        }
        h.data_len = data.len() as u16;
        v.push(OwnedEvent { header: h, data });
    }
    v
}

fn small_blocks() -> WriterOptions {
    WriterOptions {
        block_events: 500,
        ..Default::default()
    }
}

fn write(path: &Path, evs: &[OwnedEvent], opts: WriterOptions) -> WriterStats {
    let mut w = TraceWriter::create(path, &header(), &snapshot(), opts).unwrap();
    for e in evs {
        w.write_event(&e.as_event()).unwrap();
    }
    w.finish().unwrap()
}

fn read_all(r: &TraceReader) -> Vec<OwnedEvent> {
    let mut out = Vec::new();
    r.for_each_event(|e| {
        out.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap();
    out
}

#[test]
fn round_trip_mmap_and_stream() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(10_000);
    let stats = write(&p, &evs, small_blocks());
    assert_eq!(stats.events, 10_000);
    assert_eq!(stats.blocks, 20);

    let r = TraceReader::open(&p).unwrap();
    assert!(r.truncation().is_none());
    assert_eq!(r.header(), &header());
    assert_eq!(r.snapshot(), &snapshot());
    assert_eq!(r.blocks().len(), 20);
    assert_eq!(r.event_count(), 10_000);
    assert_eq!(read_all(&r), evs);

    let f = std::fs::File::open(&p).unwrap();
    let mut s = StreamReader::new(std::io::BufReader::new(f), &p).unwrap();
    let mut got = Vec::new();
    while let Some(b) = s.next_block().unwrap() {
        got.extend(b.events().map(|e| e.to_owned_event()));
    }
    assert!(s.truncation().is_none());
    assert_eq!(got, evs);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "traces hold sensitive data");
    }
}

#[test]
fn refuses_to_overwrite_without_permission() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(10), small_blocks());
    let err = TraceWriter::create(&p, &header(), &snapshot(), WriterOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    // the kind decides the exit code; its text would only repeat the reason
    assert!(err.to_string().ends_with("(use --force)"), "{err}");
    let o = WriterOptions {
        overwrite: true,
        ..Default::default()
    };
    write(&p, &events(20), o);
    assert_eq!(TraceReader::open(&p).unwrap().event_count(), 20);
}

/// Two writers replacing one path (`--force` twice): they never share an
/// inode, the file left is complete, and the writer whose file was replaced
/// does not report success.
#[test]
fn two_overwriting_writers_do_not_interleave_or_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(5), small_blocks());
    let o = WriterOptions {
        overwrite: true,
        ..small_blocks()
    };
    let mut a = TraceWriter::create(&p, &header(), &snapshot(), o.clone()).unwrap();
    let mut b = TraceWriter::create(&p, &header(), &snapshot(), o).unwrap();
    let evs = events(300);
    for (i, e) in evs.iter().enumerate() {
        a.write_event(&e.as_event()).unwrap();
        if i % 2 == 0 {
            b.write_event(&e.as_event()).unwrap();
        }
    }
    let ra = a.finish();
    let rb = b.finish();
    let e = ra.expect_err("the replaced writer must not report success");
    assert!(e.to_string().contains("replaced by another writer"), "{e}");
    rb.unwrap();
    let r = TraceReader::open(&p).unwrap();
    assert!(r.truncation().is_none());
    assert_eq!(r.event_count(), 150);
}

/// A full disk: the file ends with the blocks that fit, a drop marker for
/// every event that could not be written (when it fits) and the index; the
/// final error and the stats say so. Needs root (a 1 MiB tmpfs).
#[test]
fn a_full_disk_ends_with_a_drop_marker_for_what_could_not_be_written() {
    let name = "a_full_disk_ends_with_a_drop_marker_for_what_could_not_be_written";
    sysreplay_testkit::require!(sysreplay_testkit::root(), name);
    let dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        sysreplay_testkit::skip(name, "cannot mount a tmpfs");
        return;
    }
    struct Umount<'a>(&'a Path);
    impl Drop for Umount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _u = Umount(dir.path());
    let p = dir.path().join("full.srt");
    let opts = WriterOptions {
        block_events: 64,
        ..Default::default()
    };
    let mut w = TraceWriter::create(&p, &header(), &snapshot(), opts).unwrap();
    // incompressible data: the disk fills after a few blocks
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut accepted = 0u64;
    let mut failed = false;
    for i in 0..20_000u64 {
        let mut data = Vec::new();
        let bytes: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        push_item(&mut data, 1, 0, &bytes);
        let h = RecordHeader {
            ts_ns: 1_000 + i,
            tid: 1,
            pid: 1,
            kind: Kind::Syscall as u16,
            nr: 0,
            data_len: data.len() as u16,
            ..Default::default()
        };
        accepted += 1;
        if w.write_record(&h, &data).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "the 1 MiB disk filled");
    let (stats, r) = w.finish_with_stats();
    let e = r.expect_err("a full disk is not a success");
    let msg = e.to_string();
    assert!(
        msg.contains("disk full") && msg.contains("drop marker"),
        "{msg}"
    );
    assert!(
        stats.events_not_written > 0 && stats.not_written_marked,
        "{stats:?}"
    );
    let rd = TraceReader::open(&p).unwrap();
    assert!(rd.index().is_some(), "the index fits");
    let evs = read_all(&rd);
    let last = evs.last().unwrap();
    assert_eq!(
        last.header.kind,
        Kind::Drop as u16,
        "ends with a drop marker"
    );
    let written = evs
        .iter()
        .filter(|e| e.header.kind != Kind::Drop as u16)
        .count() as u64;
    // no drop markers among them: records and events are the same
    assert_eq!(last.header.args[1], stats.events_not_written);
    assert_eq!(
        written + last.header.args[1],
        accepted,
        "every event accounted"
    );
    assert_eq!(
        last.as_event().drop_counts().unwrap().n_other,
        accepted - written
    );
}

#[test]
fn seek_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(5_000);
    write(&p, &evs, small_blocks());
    let r = TraceReader::open(&p).unwrap();
    let (from, to) = (1_000_000 + 2_345 * 1_000, 1_000_000 + 3_210 * 1_000);
    let mut got = Vec::new();
    r.for_each_event_between(from, to, |e| {
        got.push(e.ts_ns);
        ControlFlow::Continue(())
    })
    .unwrap();
    let want: Vec<u64> = evs
        .iter()
        .map(|e| e.header.ts_ns)
        .filter(|&t| t >= from && t < to)
        .collect();
    assert_eq!(got, want);
    assert_eq!(r.block_for_time(from), 4);
}

#[test]
fn unsorted_input_is_delivered_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let mut evs = events(400);
    // Two CPUs' rings drained one after the other within a block.
    evs.sort_by_key(|e| (e.header.cpu, e.header.ts_ns));
    write(&p, &evs, small_blocks());
    let got = read_all(&TraceReader::open(&p).unwrap());
    assert!(got
        .windows(2)
        .all(|w| w[0].header.ts_ns <= w[1].header.ts_ns));
    assert_eq!(got.len(), 400);
}

/// Cut the file at every offset inside the last block (and in its index):
/// always readable up to the last complete block, and flagged truncated.
#[test]
fn truncated_at_every_offset_of_the_last_block() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(2_000);
    write(&p, &evs, small_blocks());
    let full = std::fs::read(&p).unwrap();
    let r = TraceReader::open(&p).unwrap();
    let blocks: Vec<BlockEntry> = r.blocks().to_vec();
    let last = *blocks.last().unwrap();
    let per_block = 500;
    let cut_path = dir.path().join("cut.srt");
    for cut in last.offset as usize..full.len() {
        std::fs::write(&cut_path, &full[..cut]).unwrap();
        let r = TraceReader::open(&cut_path).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let t = r
            .truncation()
            .unwrap_or_else(|| panic!("cut at {cut} not flagged truncated"));
        let complete = if cut < last.end() as usize { 3 } else { 4 };
        assert_eq!(t.complete_blocks, complete, "cut at {cut}");
        let got = read_all(&r);
        assert_eq!(got.len(), complete * per_block, "cut at {cut}");
        assert_eq!(got[..], evs[..complete * per_block]);

        // The streaming reader agrees.
        let mut s = StreamReader::new(&full[..cut], &cut_path).unwrap();
        let mut n = 0;
        while let Some(b) = s.next_block().unwrap() {
            n += b.len();
        }
        assert_eq!(n, complete * per_block, "stream cut at {cut}");
        assert!(s.truncation().is_some());
    }
}

/// A cut index and a damaged one are told apart; both keep every event.
#[test]
fn a_cut_index_and_a_damaged_index_say_which() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(1_000);
    write(&p, &evs, small_blocks());
    let full = std::fs::read(&p).unwrap();
    let end_of_blocks = TraceReader::open(&p)
        .unwrap()
        .blocks()
        .last()
        .unwrap()
        .end() as usize;
    let reason = |bytes: &[u8]| {
        let q = dir.path().join("x.srt");
        std::fs::write(&q, bytes).unwrap();
        let r = TraceReader::open(&q).unwrap();
        assert_eq!(read_all(&r), evs, "every event is still read");
        let mut s = StreamReader::new(bytes, &q).unwrap();
        while s.next_block().unwrap().is_some() {}
        (
            r.truncation().unwrap().reason.clone(),
            s.truncation().unwrap().reason.clone(),
        )
    };
    let (file, stream) = reason(&full[..full.len() - 3]);
    assert!(
        file.starts_with("the file ends inside the index ("),
        "{file}"
    );
    assert!(
        stream.starts_with("the stream ends inside the index ("),
        "{stream}"
    );
    let mut damaged = full.clone();
    damaged[end_of_blocks + 10] ^= 0x40; // inside the index body
    let (file, stream) = reason(&damaged);
    assert!(
        file.contains("index at the end of the file is damaged"),
        "{file}"
    );
    assert!(
        stream.contains("index at the end of the stream is damaged"),
        "{stream}"
    );
}

#[test]
fn cut_inside_the_header_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(10), small_blocks());
    let full = std::fs::read(&p).unwrap();
    let r = TraceReader::open(&p).unwrap();
    let first_block = r.blocks()[0].offset as usize;
    let cut_path = dir.path().join("cut.srt");
    for cut in 0..first_block {
        std::fs::write(&cut_path, &full[..cut]).unwrap();
        let e = TraceReader::open(&cut_path)
            .err()
            .unwrap_or_else(|| panic!("cut at {cut} opened"));
        let msg = e.to_string();
        assert!(msg.contains("cut.srt"), "{msg}");
    }
    // A cut right after the snapshot: no events, but a valid truncated trace.
    std::fs::write(&cut_path, &full[..first_block]).unwrap();
    let r = TraceReader::open(&cut_path).unwrap();
    assert_eq!(r.event_count(), 0);
    assert!(r.truncation().is_some());
}

/// Flip bits all over the file: every read either succeeds with the right
/// events (flip in a place nothing reads) or fails with an error naming an
/// offset. Never a panic, never wrong events.
#[test]
fn bit_flips_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(1_500);
    write(&p, &evs, small_blocks());
    let full = std::fs::read(&p).unwrap();
    let fp = dir.path().join("flip.srt");
    let mut x = 0x2545F4914F6CDD1Du64;
    let mut errors = 0;
    for _ in 0..600 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = full.clone();
        let i = (x as usize) % b.len();
        b[i] ^= 1 << ((x >> 32) % 8);
        std::fs::write(&fp, &b).unwrap();
        let res = TraceReader::open(&fp).and_then(|r| {
            let mut got = Vec::new();
            r.for_each_event(|e| {
                got.push(e.to_owned_event());
                ControlFlow::Continue(())
            })?;
            Ok((got, r.truncation().cloned()))
        });
        match res {
            Ok((got, None)) => assert_eq!(got, evs, "flip at byte {i} changed events silently"),
            Ok((got, Some(_))) => assert_eq!(got[..], evs[..got.len()], "flip at byte {i}"),
            Err(e) => {
                errors += 1;
                assert!(e.offset.is_some(), "error without an offset: {e}");
            }
        }
    }
    assert!(errors > 300, "most flips hit checked bytes ({errors})");
}

#[test]
fn a_valid_zstd_stream() {
    // Metadata sits in skippable frames: zstd tools read through a trace.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(1_000), small_blocks());
    let bytes = std::fs::read(&p).unwrap();
    let payloads = zstd::stream::decode_all(&bytes[..]).unwrap();
    let r = TraceReader::open(&p).unwrap();
    let total: usize = (0..r.blocks().len())
        .map(|i| r.decode_block(i).unwrap().payload_len())
        .sum();
    assert_eq!(payloads.len(), total);
}

#[test]
fn dropped_writer_still_completes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    {
        let mut w = TraceWriter::create(&p, &header(), &snapshot(), small_blocks()).unwrap();
        for e in events(777) {
            w.write_event(&e.as_event()).unwrap();
        }
    }
    let r = TraceReader::open(&p).unwrap();
    assert!(r.truncation().is_none());
    assert_eq!(r.event_count(), 777);
}

/// Codec tables carry a per-block generation that wraps after 256 blocks:
/// files with more blocks than that decode exactly too.
#[test]
fn more_blocks_than_the_codec_generation_counter() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(600 * 25);
    let opts = WriterOptions {
        block_events: 25,
        ..Default::default()
    };
    let stats = write(&p, &evs, opts);
    assert_eq!(stats.blocks, 600);
    let r = TraceReader::open(&p).unwrap();
    assert_eq!(read_all(&r), evs);
}

/// A metadata frame this version does not know (SPEC §9) between the last
/// block and the index: skipped, and the file still reads as complete.
#[test]
fn unknown_skippable_frames_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(1_200);
    write(&p, &evs, small_blocks());
    let mut bytes = std::fs::read(&p).unwrap();
    let r = TraceReader::open(&p).unwrap();
    let index_at = r.blocks().last().unwrap().end() as usize;
    let mut frame = Vec::new();
    frame.extend_from_slice(&0x184D_2A5Eu32.to_le_bytes());
    frame.extend_from_slice(&4u32.to_le_bytes());
    frame.extend_from_slice(b"new!");
    bytes.splice(index_at..index_at, frame);
    let q = dir.path().join("future.srt");
    std::fs::write(&q, &bytes).unwrap();
    let r = TraceReader::open(&q).unwrap();
    assert!(r.truncation().is_none(), "{:?}", r.truncation());
    assert_eq!(read_all(&r), evs);
}

#[test]
fn overwriting_makes_the_file_private_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(10), small_blocks());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = WriterOptions {
        overwrite: true,
        ..small_blocks()
    };
    write(&p, &events(10), o);
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn record_kinds_outside_seven_bits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let mut w = TraceWriter::create(&p, &header(), &snapshot(), small_blocks()).unwrap();
    for kind in [0u16, 0x80, 0x1234] {
        let h = RecordHeader {
            kind,
            ..Default::default()
        };
        let e = w.write_record(&h, &[]).unwrap_err();
        assert!(e.to_string().contains("outside 1..=127"), "{e}");
    }
    w.finish().unwrap();
}

/// Container records (format 2.1) keep their kind, time and JSON through the
/// codec, between other records; and a kind this reader does not know still
/// reads (an older reader meets container records this way: the engine and
/// the tools skip kinds they do not know).
#[test]
fn container_records_and_unknown_kinds_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let json = br#"{"container":{"id":"697956520d89","image":"nginx","privileged":false}}"#;
    let mut evs = events(40);
    let mut data = Vec::new();
    push_item(&mut data, tag::CONTAINER_JSON, 0, json);
    let h = RecordHeader {
        ts_ns: evs[3].header.ts_ns,
        tid: 100,
        pid: 100,
        kind: Kind::Container as u16,
        data_len: data.len() as u16,
        ..Default::default()
    };
    evs.insert(4, OwnedEvent { header: h, data });
    let h = RecordHeader {
        ts_ns: evs[9].header.ts_ns,
        tid: 100,
        pid: 100,
        kind: 100,
        ..Default::default()
    };
    evs.insert(
        10,
        OwnedEvent {
            header: h,
            data: Vec::new(),
        },
    );
    write(&p, &evs, small_blocks());
    let r = TraceReader::open(&p).unwrap();
    assert_eq!(r.format_version(), sysreplay_format::meta::FORMAT_VERSION);
    assert_eq!(sysreplay_format::meta::FORMAT_VERSION, (2, 2));
    let got = read_all(&r);
    assert_eq!(got, evs);
    let c = got[4].as_event();
    assert_eq!(c.kind(), Some(Kind::Container));
    assert_eq!(Kind::Container.name(), "container");
    assert_eq!(c.container_json(), Some(&json[..]));
    assert_eq!(got[10].as_event().kind(), None);
}

/// Replace the snapshot frame of a valid trace with `z` (a zstd frame).
fn with_snapshot_frame(full: &[u8], z: &[u8]) -> Vec<u8> {
    let hlen = u32::from_le_bytes(full[4..8].try_into().unwrap()) as usize;
    let so = 8 + hlen;
    let slen = u32::from_le_bytes(full[so + 4..so + 8].try_into().unwrap()) as usize;
    let mut out = full[..so].to_vec();
    out.extend_from_slice(&container::skippable_header(
        container::MAGIC_SNAPSHOT,
        z.len() + 4,
    ));
    out.extend_from_slice(&crc32fast::hash(z).to_le_bytes());
    out.extend_from_slice(z);
    out.extend_from_slice(&full[so + 8 + slen..]);
    out
}

/// A snapshot frame of a few kilobytes that decompresses to more than the
/// snapshot limit (zeros: postcard reads them as an empty snapshot) is
/// refused from its declared size, before anything is decompressed.
#[test]
fn a_snapshot_bomb_is_refused_not_allocated() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(10), small_blocks());
    let full = std::fs::read(&p).unwrap();
    let n = container::MAX_SNAPSHOT + (1 << 20);
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    enc.include_contentsize(true).unwrap();
    enc.set_pledged_src_size(Some(n as u64)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..n >> 20 {
        enc.write_all(&zeros).unwrap();
    }
    let z = enc.finish().unwrap();
    assert!(z.len() < 100_000, "{}", z.len());
    let bomb = dir.path().join("bomb.srt");
    std::fs::write(&bomb, with_snapshot_frame(&full, &z)).unwrap();
    let e = TraceReader::open(&bomb).err().expect("the bomb opened");
    let msg = e.to_string();
    assert!(msg.contains("bomb.srt"), "{msg}");
    assert!(msg.contains("process snapshot"), "{msg}");
    assert!(
        msg.contains(&format!("{} byte limit", container::MAX_SNAPSHOT)),
        "{msg}"
    );
    let f = std::fs::File::open(&bomb).unwrap();
    let e = StreamReader::new(f, &bomb)
        .err()
        .expect("the bomb streamed");
    assert!(e.to_string().contains("byte limit"), "{e}");
}

/// A block copied next to itself in a finished file (the index at the end
/// intact): both readers say so instead of delivering its events twice.
#[test]
fn a_duplicated_block_is_an_error_when_the_index_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    write(&p, &events(3_000), small_blocks());
    let bytes = std::fs::read(&p).unwrap();
    let r = TraceReader::open(&p).unwrap();
    assert!(r.blocks().len() > 4);
    let b2 = r.blocks()[2];
    let block = bytes[b2.offset as usize..b2.end() as usize].to_vec();
    let mut dup = bytes.clone();
    dup.splice(b2.end() as usize..b2.end() as usize, block.iter().copied());
    let q = dir.path().join("dup.srt");
    std::fs::write(&q, &dup).unwrap();
    let e = TraceReader::open(&q).err().expect("the duplicate was read");
    let msg = e.to_string();
    assert!(msg.contains("dup.srt"), "{msg}");
    assert_eq!(e.offset, Some(b2.end()), "{msg}");
    assert!(
        msg.contains("block 3 here is not the index's block 3"),
        "{msg}"
    );
    assert!(msg.contains("duplicated"), "{msg}");
    let mut s = StreamReader::new(std::fs::File::open(&q).unwrap(), &q).unwrap();
    let e = loop {
        match s.next_block() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream read the duplicate"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.offset, Some(b2.end()), "{e}");
    assert!(e.to_string().contains("duplicated"), "{e}");
    // A block removed: the index lists one the file does not hold.
    let mut cut = bytes.clone();
    cut.drain(b2.offset as usize..b2.end() as usize);
    std::fs::write(&q, &cut).unwrap();
    let e = TraceReader::open(&q).err().expect("the gap was read");
    assert!(e.to_string().contains("the file holds"), "{e}");
}

/// Another process cuts the file while a reader holds it open: the reader
/// reports the cut (block, offsets, lengths) instead of dying of SIGBUS.
#[test]
fn a_file_cut_while_it_is_read_is_an_error_not_sigbus() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.srt");
    let evs = events(3_000);
    write(&p, &evs, small_blocks());
    let r = TraceReader::open(&p).unwrap();
    assert!(r.truncation().is_none());
    let n_blocks = r.blocks().len();
    let keep = r.blocks()[2].end() + 10;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(keep)
        .unwrap();
    // blocks before the cut still read
    assert_eq!(r.decode_block(1).unwrap().len(), 500);
    let e = r
        .decode_block(n_blocks - 1)
        .err()
        .expect("read past the cut");
    let msg = e.to_string();
    assert!(msg.contains("t.srt"), "{msg}");
    assert!(msg.contains("cut short while being read"), "{msg}");
    assert!(msg.contains(&format!("is {keep} bytes now")), "{msg}");
    let mut seen = 0;
    let e = r
        .for_each_event(|_| {
            seen += 1;
            ControlFlow::Continue(())
        })
        .expect_err("every event read past the cut");
    assert!(e.to_string().contains("cut short while being read"), "{e}");
    assert_eq!(seen, 1_500, "the three whole blocks before the cut");
    let e = r
        .for_each_block(0..n_blocks, |_| ControlFlow::Continue(()))
        .expect_err("every block read past the cut");
    assert!(e.to_string().contains("block 3"), "{e}");
}

/// Format 2.2: the snapshot's pid-namespace ids (a container's init is
/// vpid 1) survive a write and a read; files without them read as before
/// (ids 0: unknown).
#[test]
fn snapshot_pid_namespace_ids_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = snapshot();
    s.threads[0].vtid = 1;
    s.threads[0].vpid = 1;
    let p = dir.path().join("ns.srt");
    TraceWriter::create(&p, &header(), &s, WriterOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    let r = TraceReader::open(&p).unwrap();
    assert_eq!(r.snapshot(), &s);
    let p2 = dir.path().join("plain.srt");
    write(&p2, &[], WriterOptions::default());
    let r = TraceReader::open(&p2).unwrap();
    assert_eq!(r.snapshot().threads[0].vtid, 0);
}
