//! The bytes Falco's driver writes to its ring for each trace record, and
//! the drop category each written event counts under.
//!
//! Sizes come from the scap exporter (`sysreplay_scap::Exporter`),
//! which writes each record as the 2022 enter+exit events libscap reads: one
//! source for every event layout. The exporter runs on every process
//! lifecycle record and on clone/exec syscalls (their events carry argv,
//! cwd and cgroups), and once per (syscall, success/failure) for the rest;
//! later records of that kind reuse the learned sizes plus the difference in
//! their variable data (paths, buffers, addresses), which is what varies
//! between calls. From the 2022 pairs two layouts follow:
//!
//! - [`Layout::ExitOnly`], libs >= 0.22 (Falco >= 0.41): one exit event per
//!   call carrying the former enter parameters (`exit + enter - 26`, the
//!   enter header dropped), plus the TOCTOU enter event for open, openat,
//!   openat2, creat and connect (the TOCTOU-mitigation enter programs of
//!   libs' `driver/modern_bpf`);
//! - [`Layout::EnterExit`], older libs (Falco 0.38 and before): the pair.
//!
//! A ring record is `roundup8(len + 8)` bytes on modern_ebpf (the BPF ring
//! header) and exactly `len` on kmod (§g.4).

use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::record::{Kind, DROP_CATEGORY_NAMES};
use sysreplay_format::Event;
use sysreplay_scap::Exporter;
use sysreplay_syscalls as syscalls;

/// The scap event header (ts, tid, len, type, nparams).
const EVENT_HEADER: u32 = 26;

/// Which events the driver writes per syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// libs >= 0.22: exit events only, enter events for TOCTOU syscalls.
    ExitOnly,
    /// libs before 0.22 (Falco 0.38 and earlier): enter and exit events.
    EnterExit,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::ExitOnly => "exit-only",
            Layout::EnterExit => "enter-exit",
        }
    }
}

/// Falco's kernel driver: how rings are laid out, padded and drained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    ModernEbpf,
    Kmod,
}

impl Driver {
    pub fn name(self) -> &'static str {
        match self {
            Driver::ModernEbpf => "modern_ebpf",
            Driver::Kmod => "kmod",
        }
    }
    /// Bytes a `len`-byte event takes in this driver's ring.
    pub fn record_bytes(self, len: u32) -> u32 {
        match self {
            Driver::ModernEbpf => (len + 8 + 7) & !7,
            Driver::Kmod => len,
        }
    }
}

/// One event the driver writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingEvent {
    /// Bytes in the ring (driver padding included).
    pub bytes: u32,
    /// Index into [`DROP_CATEGORY_NAMES`], or None (counts only in the total).
    pub category: Option<u8>,
    pub is_enter: bool,
}

/// Syscalls whose enter event the current drivers still write.
fn is_toctou(name: &str) -> bool {
    matches!(name, "open" | "openat" | "openat2" | "creat" | "connect")
}

fn category_index(name: &str) -> Option<u8> {
    DROP_CATEGORY_NAMES
        .iter()
        .position(|&c| c == name)
        .map(|i| i as u8)
}

fn enter_category(name: &str) -> Option<u8> {
    match name {
        "open" | "openat" | "openat2" | "creat" => category_index("open_enter"),
        "connect" => category_index("connect_enter"),
        _ => None,
    }
}

/// scap event codes: enter events are even, exit events odd.
fn code_is_enter(code: u16) -> bool {
    code.is_multiple_of(2)
}

/// What sizing needs of each syscall, looked up by number on the hot path.
#[derive(Clone, Copy, Default)]
struct NrInfo {
    /// clone/exec: sized by the exporter every time (argv, cwd, cgroups).
    exact: bool,
    toctou: bool,
    exit_cat: Option<u8>,
    enter_cat: Option<u8>,
}

fn nr_table() -> Vec<NrInfo> {
    let mut t = vec![NrInfo::default(); syscalls::MAX_SYSCALLS];
    for &(nr, name) in syscalls::X86_64_SYSCALLS {
        t[nr as usize] = NrInfo {
            exact: matches!(
                name,
                "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat"
            ),
            toctou: is_toctou(name),
            exit_cat: syscalls::drop_category(name).map(|i| i as u8),
            enter_cat: enter_category(name),
        };
    }
    t
}

/// A syscall's ring events learned from its first record.
struct Learned {
    tmpl: Vec<Tmpl>,
    /// That record's variable data length.
    data_len: i64,
}

/// Sizes trace records as ring events. Feed it every record in order.
pub struct Sizer {
    exporter: Exporter<std::io::Sink>,
    /// By `nr * 2 + failed`.
    learned: Vec<Option<Learned>>,
    scratch: Vec<(u16, u32)>,
    scratch_tmpl: Vec<Tmpl>,
    nr_info: Vec<NrInfo>,
    procexit: Option<Vec<(u16, u32)>>,
    layout: Layout,
    driver: Driver,
}

impl Sizer {
    pub fn new(
        header: &TraceHeader,
        snapshot: &ProcessSnapshot,
        layout: Layout,
        driver: Driver,
    ) -> std::io::Result<Sizer> {
        Ok(Sizer {
            exporter: Exporter::new(std::io::sink(), header, snapshot)?,
            learned: Vec::new(),
            scratch: Vec::new(),
            scratch_tmpl: Vec::new(),
            nr_info: nr_table(),
            procexit: None,
            layout,
            driver,
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    fn export(&mut self, ev: &Event) -> Vec<(u16, u32)> {
        // Writing to a sink cannot fail.
        let _ = self.exporter.record(ev);
        self.exporter.last_events().to_vec()
    }

    fn export_into(&mut self, ev: &Event, out: &mut Vec<(u16, u32)>) {
        let _ = self.exporter.record(ev);
        out.clear();
        out.extend_from_slice(self.exporter.last_events());
    }

    /// How many ring events `ev` makes, without their sizes (for
    /// `--speed max`, where no ring can fill): learned once per syscall and
    /// result sign; PROC_FORK/PROC_EXEC make none of their own.
    #[inline(always)]
    pub fn count(&mut self, ev: &Event) -> u32 {
        if ev.kind == Kind::Syscall as u16 {
            let key = ev.nr as usize * 2 + (ev.ret < 0) as usize;
            match self.learned.get(key) {
                Some(Some(l)) => l.tmpl.len() as u32,
                _ => self.learn_count(ev),
            }
        } else if ev.kind == Kind::ProcExit as u16 {
            if self.procexit.is_none() {
                self.procexit = Some(self.export(ev));
            }
            self.procexit.as_ref().map_or(0, |v| v.len() as u32)
        } else {
            0
        }
    }

    #[cold]
    fn learn_count(&mut self, ev: &Event) -> u32 {
        let info = self.info(ev.nr);
        self.learned(ev, info).tmpl.len() as u32
    }

    /// The ring events of `ev`, appended to `out` (none for records that
    /// only feed a later event, such as PROC_FORK/PROC_EXEC, and for drop
    /// markers).
    pub fn size(&mut self, ev: &Event, out: &mut Vec<RingEvent>) {
        match ev.kind() {
            Some(Kind::ProcFork) | Some(Kind::ProcExec) => {
                // Folded by the exporter into the clone/execve events.
                let _ = self.exporter.record(ev);
            }
            Some(Kind::ProcExit) => {
                if self.procexit.is_none() {
                    self.procexit = Some(self.export(ev));
                }
                let cat = category_index("proc_exit");
                for &(_, len) in self.procexit.as_deref().unwrap_or(&[]) {
                    out.push(RingEvent {
                        bytes: self.driver.record_bytes(len),
                        category: cat,
                        is_enter: false,
                    });
                }
            }
            Some(Kind::Syscall) => self.size_syscall(ev, out),
            // container metadata comes from the runtime, not the rings
            Some(Kind::Drop) | Some(Kind::Container) | None => {}
        }
    }

    fn size_syscall(&mut self, ev: &Event, out: &mut Vec<RingEvent>) {
        let info = self.info(ev.nr);
        if info.exact {
            let mut events = std::mem::take(&mut self.scratch);
            self.export_into(ev, &mut events);
            let mut t = std::mem::take(&mut self.scratch_tmpl);
            t.clear();
            templates(&events, self.layout, info, &mut t);
            self.materialize(&t, 0, out);
            self.scratch = events;
            self.scratch_tmpl = t;
            return;
        }
        let driver = self.driver;
        let l = self.learned(ev, info);
        // What varies between calls is the record's variable data (paths,
        // buffers, addresses); its item headers are the same for a syscall.
        let delta = ev.data.len() as i64 - l.data_len;
        for t in &l.tmpl {
            out.push(t.event(delta, driver));
        }
    }

    fn info(&self, nr: u16) -> NrInfo {
        self.nr_info.get(nr as usize).copied().unwrap_or_default()
    }

    /// The ring events of `ev`'s syscall and result sign, learned from the
    /// exporter at their first record.
    fn learned(&mut self, ev: &Event, info: NrInfo) -> &Learned {
        let key = ev.nr as usize * 2 + (ev.ret < 0) as usize;
        if self.learned.len() <= key {
            self.learned.resize_with(key + 1, || None);
        }
        if self.learned[key].is_none() {
            let events = self.export(ev);
            let mut tmpl = Vec::new();
            templates(&events, self.layout, info, &mut tmpl);
            self.learned[key] = Some(Learned {
                tmpl,
                data_len: ev.data.len() as i64,
            });
        }
        self.learned[key].as_ref().unwrap()
    }

    fn materialize(&self, t: &[Tmpl], delta: i64, out: &mut Vec<RingEvent>) {
        for x in t {
            out.push(x.event(delta, self.driver));
        }
    }
}

/// One ring event of a syscall before its variable data is known.
#[derive(Clone, Copy, Debug)]
struct Tmpl {
    /// Event length for the learned record.
    len: u32,
    category: Option<u8>,
    is_enter: bool,
    /// Whether the record's variable data is in this event.
    varies: bool,
}

impl Tmpl {
    #[inline]
    fn event(&self, delta: i64, driver: Driver) -> RingEvent {
        let len = if self.varies {
            (self.len as i64 + delta).max(EVENT_HEADER as i64) as u32
        } else {
            self.len
        };
        RingEvent {
            bytes: driver.record_bytes(len),
            category: self.category,
            is_enter: self.is_enter,
        }
    }
}

/// The ring events of one syscall in `layout`, from the 2022 enter+exit
/// events the exporter wrote for it.
fn templates(events: &[(u16, u32)], layout: Layout, info: NrInfo, out: &mut Vec<Tmpl>) {
    match layout {
        Layout::EnterExit => {
            for &(code, len) in events {
                let enter = code_is_enter(code);
                out.push(Tmpl {
                    len,
                    category: if enter { info.enter_cat } else { info.exit_cat },
                    is_enter: enter,
                    // The variable data is in the exit event, and in the
                    // enter event too for the TOCTOU syscalls (path, address).
                    varies: !enter || info.toctou,
                });
            }
        }
        Layout::ExitOnly => {
            let merged: u32 = events
                .iter()
                .filter(|(c, _)| code_is_enter(*c))
                .map(|(_, l)| l.saturating_sub(EVENT_HEADER))
                .sum();
            for &(code, len) in events {
                if code_is_enter(code) {
                    if info.toctou {
                        out.push(Tmpl {
                            len,
                            category: info.enter_cat,
                            is_enter: true,
                            varies: true,
                        });
                    }
                } else {
                    out.push(Tmpl {
                        len: len + merged,
                        category: info.exit_cat,
                        is_enter: false,
                        varies: true,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::synth_events;

    #[test]
    fn modern_records_are_padded_to_8_with_the_ring_header() {
        assert_eq!(Driver::ModernEbpf.record_bytes(46), 56);
        assert_eq!(Driver::ModernEbpf.record_bytes(134), 144);
        assert_eq!(Driver::Kmod.record_bytes(46), 46);
    }

    /// Every syscall of a synthetic trace gets ring events whose sizes match
    /// what the exporter writes for that very record (learned sizes plus the
    /// variable-data difference stay exact for the synthetic workload's
    /// syscalls, whose fixed parameters do not vary).
    #[test]
    fn learned_sizes_match_the_exporter_record_by_record() {
        let (h, snap, evs) = synth_events(5, 20_000);
        let mut sizer = Sizer::new(&h, &snap, Layout::EnterExit, Driver::Kmod).unwrap();
        let mut reference = Exporter::new(std::io::sink(), &h, &snap).unwrap();
        let (mut n, mut off) = (0, 0);
        let mut out = Vec::new();
        for e in &evs {
            let ev = e.as_event();
            out.clear();
            sizer.size(&ev, &mut out);
            reference.record(&ev).unwrap();
            if ev.kind() != Some(Kind::Syscall) {
                continue;
            }
            let want: u32 = reference.last_events().iter().map(|(_, l)| l).sum();
            let got: u32 = out.iter().map(|r| r.bytes).sum();
            n += 1;
            if want != got {
                off += 1;
            }
        }
        assert!(n > 10_000, "{n} syscalls");
        // Sockaddr conversion can shift a few bytes between families.
        assert!(off * 100 <= n, "{off} of {n} records sized differently");
    }

    #[test]
    fn exit_only_keeps_toctou_enters_and_merges_the_rest() {
        let (h, snap, evs) = synth_events(5, 5_000);
        let mut legacy = Sizer::new(&h, &snap, Layout::EnterExit, Driver::Kmod).unwrap();
        let mut modern = Sizer::new(&h, &snap, Layout::ExitOnly, Driver::Kmod).unwrap();
        let (mut saw_open, mut saw_read) = (false, false);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for e in &evs {
            let ev = e.as_event();
            a.clear();
            b.clear();
            legacy.size(&ev, &mut a);
            modern.size(&ev, &mut b);
            match syscalls::name(ev.nr).filter(|_| ev.is_syscall()) {
                Some("openat") => {
                    saw_open = true;
                    assert_eq!(b.len(), 2);
                    assert!(b[0].is_enter);
                    assert_eq!(
                        b[0].category.map(|c| DROP_CATEGORY_NAMES[c as usize]),
                        Some("open_enter")
                    );
                    assert_eq!(
                        b[1].category.map(|c| DROP_CATEGORY_NAMES[c as usize]),
                        Some("open_exit")
                    );
                }
                Some("read") => {
                    saw_read = true;
                    assert_eq!(a.len(), 2);
                    assert_eq!(b.len(), 1, "one exit event");
                    assert!(!b[0].is_enter);
                    // exit + enter's parameters - one header
                    assert_eq!(b[0].bytes, a[0].bytes + a[1].bytes - EVENT_HEADER);
                }
                _ => {}
            }
        }
        assert!(saw_open && saw_read);
    }
}
