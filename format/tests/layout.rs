//! The Rust mirror of `include/sysreplay_record.h` must match the C layout
//! byte for byte: compile the header with the host C compiler, print every
//! size and offset, and compare with `offset_of!`.

use std::mem::{offset_of, size_of};
use std::process::Command;
use sysreplay_format::record::*;

const PROBE: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include "sysreplay_record.h"
#define S(t) printf(#t " %zu\n", sizeof(struct t));
#define O(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f));
int main(void) {
  S(sr_record) O(sr_record, ts_ns) O(sr_record, tid) O(sr_record, pid) O(sr_record, kind)
  O(sr_record, cpu) O(sr_record, nr) O(sr_record, data_len) O(sr_record, ret) O(sr_record, args)
  S(sr_item_hdr) O(sr_item_hdr, tag) O(sr_item_hdr, flags) O(sr_item_hdr, len)
  S(sr_creds) O(sr_creds, uid) O(sr_creds, loginuid) O(sr_creds, tty) O(sr_creds, ppid)
  O(sr_creds, cap_effective) O(sr_creds, cap_permitted) O(sr_creds, cap_inheritable)
  S(sr_drop_counts) O(sr_drop_counts, n) O(sr_drop_counts, n_other)
  S(sr_cpu_counters) O(sr_cpu_counters, n_evts) O(sr_cpu_counters, n_drops)
  O(sr_cpu_counters, n_drops_cat) O(sr_cpu_counters, n_drops_other)
  printf("SR_DROP_NCATEGORIES %d\n", SR_DROP_NCATEGORIES);
  printf("SR_KIND_DROP %d\n", SR_KIND_DROP);
  printf("SR_KIND_RING_BATCH %d\n", SR_KIND_RING_BATCH);
  printf("SR_TAG_FDS %d\n", SR_TAG_FDS);
  printf("SR_TAG_LOCAL_ADDR %d\n", SR_TAG_LOCAL_ADDR);
  printf("SR_TAG_CGROUPS %d\n", SR_TAG_CGROUPS);
  printf("SR_TAG_EXE_FLAGS %d\n", SR_TAG_EXE_FLAGS);
  printf("SR_KIND_CONTAINER %d\n", SR_KIND_CONTAINER);
  printf("SR_TAG_CONTAINER_JSON %d\n", SR_TAG_CONTAINER_JSON);
  printf("SR_EXE_WRITABLE %d\n", SR_EXE_WRITABLE);
  printf("SR_EXE_UPPER_LAYER %d\n", SR_EXE_UPPER_LAYER);
  printf("SR_EXE_FROM_MEMFD %d\n", SR_EXE_FROM_MEMFD);
  printf("SR_EXE_LOWER_LAYER %d\n", SR_EXE_LOWER_LAYER);
  printf("SR_PLAN_NONE %d\n", SR_PLAN_NONE);
  printf("SR_PLAN_S0 %d\n", SR_PLAN_S0);
  printf("SR_PLAN_S1 %d\n", SR_PLAN_S1);
  printf("SR_PLAN_S0S1 %d\n", SR_PLAN_S0S1);
  printf("SR_PLAN_S1S3 %d\n", SR_PLAN_S1S3);
  printf("SR_PLAN_S0S2 %d\n", SR_PLAN_S0S2);
  printf("SR_PLAN_S0S1S2 %d\n", SR_PLAN_S0S1S2);
  printf("SR_PLAN_SA1 %d\n", SR_PLAN_SA1);
  printf("SR_PLAN_WBUF %d\n", SR_PLAN_WBUF);
  printf("SR_PLAN_RBUF %d\n", SR_PLAN_RBUF);
  printf("SR_PLAN_SENDTO %d\n", SR_PLAN_SENDTO);
  printf("SR_PLAN_RECVFROM %d\n", SR_PLAN_RECVFROM);
  printf("SR_PLAN_RADDR1 %d\n", SR_PLAN_RADDR1);
  printf("SR_PLAN_FDS0 %d\n", SR_PLAN_FDS0);
  printf("SR_PLAN_FDS3 %d\n", SR_PLAN_FDS3);
  printf("SR_PLAN_EXEC %d\n", SR_PLAN_EXEC);
  printf("SR_PLAN_RECVMSG %d\n", SR_PLAN_RECVMSG);
  printf("SR_PLAN_CONNECT %d\n", SR_PLAN_CONNECT);
  printf("SR_PLAN_ACCEPT %d\n", SR_PLAN_ACCEPT);
  printf("SR_NPLANS %d\n", SR_NPLANS);
  return 0;
}
"#;

fn c_layout() -> Option<Vec<(String, usize)>> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("probe.c");
    let exe = dir.path().join("probe");
    std::fs::write(&src, PROBE).unwrap();
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = match Command::new(&cc)
        .args(["-I", include, "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            sysreplay_testkit::skip(
                "rust_layout_matches_the_c_header",
                &format!("needs a C compiler ({cc}: {e})"),
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "header does not compile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    Some(
        String::from_utf8(run.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect(),
    )
}

#[test]
fn rust_layout_matches_the_c_header() {
    let Some(c) = c_layout() else { return };
    let rust: Vec<(&str, usize)> = vec![
        ("sr_record", size_of::<RecordHeader>()),
        ("sr_record.ts_ns", offset_of!(RecordHeader, ts_ns)),
        ("sr_record.tid", offset_of!(RecordHeader, tid)),
        ("sr_record.pid", offset_of!(RecordHeader, pid)),
        ("sr_record.kind", offset_of!(RecordHeader, kind)),
        ("sr_record.cpu", offset_of!(RecordHeader, cpu)),
        ("sr_record.nr", offset_of!(RecordHeader, nr)),
        ("sr_record.data_len", offset_of!(RecordHeader, data_len)),
        ("sr_record.ret", offset_of!(RecordHeader, ret)),
        ("sr_record.args", offset_of!(RecordHeader, args)),
        ("sr_item_hdr", size_of::<ItemHeader>()),
        ("sr_item_hdr.tag", offset_of!(ItemHeader, tag)),
        ("sr_item_hdr.flags", offset_of!(ItemHeader, flags)),
        ("sr_item_hdr.len", offset_of!(ItemHeader, len)),
        ("sr_creds", size_of::<Creds>()),
        ("sr_creds.uid", offset_of!(Creds, uid)),
        ("sr_creds.loginuid", offset_of!(Creds, loginuid)),
        ("sr_creds.tty", offset_of!(Creds, tty)),
        ("sr_creds.ppid", offset_of!(Creds, ppid)),
        ("sr_creds.cap_effective", offset_of!(Creds, cap_effective)),
        ("sr_creds.cap_permitted", offset_of!(Creds, cap_permitted)),
        (
            "sr_creds.cap_inheritable",
            offset_of!(Creds, cap_inheritable),
        ),
        ("sr_drop_counts", size_of::<DropCounts>()),
        ("sr_drop_counts.n", offset_of!(DropCounts, n)),
        ("sr_drop_counts.n_other", offset_of!(DropCounts, n_other)),
        ("sr_cpu_counters", size_of::<CpuCounters>()),
        ("sr_cpu_counters.n_evts", offset_of!(CpuCounters, n_evts)),
        ("sr_cpu_counters.n_drops", offset_of!(CpuCounters, n_drops)),
        (
            "sr_cpu_counters.n_drops_cat",
            offset_of!(CpuCounters, n_drops_cat),
        ),
        (
            "sr_cpu_counters.n_drops_other",
            offset_of!(CpuCounters, n_drops_other),
        ),
        ("SR_DROP_NCATEGORIES", DROP_CATEGORIES),
        ("SR_KIND_DROP", Kind::Drop as usize),
        ("SR_KIND_RING_BATCH", KIND_RING_BATCH as usize),
        ("SR_TAG_FDS", tag::FDS as usize),
        ("SR_TAG_LOCAL_ADDR", tag::LOCAL_ADDR as usize),
        ("SR_TAG_CGROUPS", tag::CGROUPS as usize),
        ("SR_TAG_EXE_FLAGS", tag::EXE_FLAGS as usize),
        ("SR_KIND_CONTAINER", Kind::Container as usize),
        ("SR_TAG_CONTAINER_JSON", tag::CONTAINER_JSON as usize),
        ("SR_EXE_WRITABLE", exe_flags::WRITABLE as usize),
        ("SR_EXE_UPPER_LAYER", exe_flags::UPPER_LAYER as usize),
        ("SR_EXE_FROM_MEMFD", exe_flags::FROM_MEMFD as usize),
        ("SR_EXE_LOWER_LAYER", exe_flags::LOWER_LAYER as usize),
        ("SR_PLAN_NONE", plan::NONE as usize),
        ("SR_PLAN_S0", plan::S0 as usize),
        ("SR_PLAN_S1", plan::S1 as usize),
        ("SR_PLAN_S0S1", plan::S0S1 as usize),
        ("SR_PLAN_S1S3", plan::S1S3 as usize),
        ("SR_PLAN_S0S2", plan::S0S2 as usize),
        ("SR_PLAN_S0S1S2", plan::S0S1S2 as usize),
        ("SR_PLAN_SA1", plan::SA1 as usize),
        ("SR_PLAN_WBUF", plan::WBUF as usize),
        ("SR_PLAN_RBUF", plan::RBUF as usize),
        ("SR_PLAN_SENDTO", plan::SENDTO as usize),
        ("SR_PLAN_RECVFROM", plan::RECVFROM as usize),
        ("SR_PLAN_RADDR1", plan::RADDR1 as usize),
        ("SR_PLAN_FDS0", plan::FDS0 as usize),
        ("SR_PLAN_FDS3", plan::FDS3 as usize),
        ("SR_PLAN_EXEC", plan::EXEC as usize),
        ("SR_PLAN_RECVMSG", plan::RECVMSG as usize),
        ("SR_PLAN_CONNECT", plan::CONNECT as usize),
        ("SR_PLAN_ACCEPT", plan::ACCEPT as usize),
        ("SR_NPLANS", plan::COUNT as usize),
    ];
    assert_eq!(c.len(), rust.len(), "C probe printed {c:?}");
    for ((ck, cv), (rk, rv)) in c.iter().zip(&rust) {
        assert_eq!(ck, rk);
        assert_eq!(cv, rv, "{ck}: C says {cv}, Rust says {rv}");
    }
    // The byte-level constants used by the decoders agree too.
    assert_eq!(RECORD_HEADER_SIZE, size_of::<RecordHeader>());
    assert_eq!(ITEM_HEADER_SIZE, size_of::<ItemHeader>());
    assert_eq!(CREDS_SIZE, size_of::<Creds>());
    assert_eq!(DROP_COUNTS_SIZE, size_of::<DropCounts>());
    assert_eq!(CPU_COUNTERS_SIZE, size_of::<CpuCounters>());
}
