//! Loading and attaching the eBPF probe (`bpf/probe.bpf.c`) with aya.

use std::os::fd::{FromRawFd, OwnedFd};

use aya::maps::{ArrayOfMaps, HashMap, MapData, PerCpuArray};
use aya::programs::tp_btf::BtfTracePointLinkId;
use aya::programs::trace_point::TracePointLinkId;
use aya::programs::{BtfTracePoint, RawTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use sysreplay_format::record::{plan, CpuCounters, DROP_CATEGORIES, RECORD_HEADER_SIZE};
use sysreplay_syscalls::MAX_SYSCALLS;

use crate::RecordError;

/// The probe object: rebuilt from C by build.rs when clang-19 is installed,
/// otherwise the committed `bpf/probe.bpf.o`.
pub static PROBE_OBJ: &[u8] = aya::include_bytes_aligned!(env!("SR_PROBE_OBJ"));
/// "rebuilt" or "committed".
pub const PROBE_SOURCE: &str = env!("SR_PROBE_SOURCE");

/// `sc_cfg` flag: the syscall is recorded.
pub const CFG_SELECTED: u8 = 0x80;
/// `sc_cfg` flag: the record carries data items (its capture plan is not
/// `SR_PLAN_NONE`).
pub const CFG_ITEMS: u8 = 0x40;
/// `sc_cfg` category value meaning "no Falco drop category".
pub const CFG_CAT_NONE: u8 = 0x0f;

/// How to load the probe.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// Selected syscall numbers.
    pub syscalls: Vec<u16>,
    /// Bytes per ring buffer (power of two pages).
    pub buf_size: u32,
    /// CPUs sharing one ring buffer (>= 1).
    pub cpus_for_each_buffer: u32,
    /// Bytes of I/O buffers captured (<= 4096).
    pub snaplen: u32,
    pub capture_env: bool,
    /// Process (tgid) whose events are not recorded: the recorder itself.
    pub exclude_tgid: u32,
    /// Record only a process tree (the probe filters; see [`Probe::follow`]).
    pub follow: Option<ProbeFollow>,
}

/// How the probe follows a process tree: it records only the thread groups
/// in its `followed` map, which the loader fills ([`Probe::follow`]) and the
/// probe keeps current (fork adds, the last thread's exit removes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeFollow {
    /// Children of followed processes are followed from their fork on.
    pub children: bool,
    /// Children the recorder itself forks (`record -- COMMAND`) are followed.
    pub self_children: bool,
}

/// The attached program names in the object (`attach` has the order).
pub const PROGRAMS: &[&str] = &[
    "sr_sys_exit",
    "sr_proc_fork",
    "sr_proc_exec",
    "sr_proc_exit",
    "sr_enter_execve",
    "sr_enter_execveat",
];

/// A BPF ring buffer read directly through its mappings (like libbpf), with
/// the consumer position published once per batch instead of once per
/// record: the producer then rarely misses on the consumer's cache line.
pub struct Ring {
    consumer: *mut u64,
    producer: *const u64,
    data: *const u8,
    mask: u64,
    size: usize,
    page: usize,
}

// SAFETY: the mappings are owned by the Ring and only read/written through it.
unsafe impl Send for Ring {}

const RB_BUSY: u32 = 1 << 31;
const RB_DISCARD: u32 = 1 << 30;
const RB_HDR: u64 = 8;

impl Ring {
    fn map(fd: &OwnedFd, size: u32) -> std::io::Result<Ring> {
        use std::os::fd::AsRawFd;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let size = size as usize;
        // SAFETY: the kernel's ring buffer layout: one RW consumer page at 0,
        // then the producer page and the data pages mapped twice, read-only.
        unsafe {
            let c = libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            );
            if c == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
            let p = libc::mmap(
                std::ptr::null_mut(),
                page + 2 * size,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                page as libc::off_t,
            );
            if p == libc::MAP_FAILED {
                let e = std::io::Error::last_os_error();
                libc::munmap(c, page);
                return Err(e);
            }
            Ok(Ring {
                consumer: c as *mut u64,
                producer: p as *const u64,
                data: (p as *const u8).add(page),
                mask: size as u64 - 1,
                size,
                page,
            })
        }
    }

    /// Hand every committed record to `f` (at most about `max_bytes`);
    /// returns the bytes consumed.
    pub fn drain(&mut self, max_bytes: usize, mut f: impl FnMut(&[u8])) -> usize {
        use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
        // SAFETY: the positions are u64 words in mapped pages shared with
        // the kernel; records lie within the doubly mapped data area.
        unsafe {
            let cons_a = &*(self.consumer as *const AtomicU64);
            let prod_a = &*(self.producer as *const AtomicU64);
            let start = cons_a.load(Ordering::Acquire);
            let mut cons = start;
            let mut published = start;
            let prod = prod_a.load(Ordering::Acquire);
            while cons < prod {
                let hdr = self.data.add((cons & self.mask) as usize);
                let len = (*(hdr as *const AtomicU32)).load(Ordering::Acquire);
                if len & RB_BUSY != 0 {
                    break;
                }
                let n = (len & !(RB_BUSY | RB_DISCARD)) as u64;
                if len & RB_DISCARD == 0 {
                    f(std::slice::from_raw_parts(
                        hdr.add(RB_HDR as usize),
                        n as usize,
                    ));
                }
                cons += (n + RB_HDR + 7) & !7;
                if cons - published >= (self.size as u64 / 4).max(1 << 16) {
                    cons_a.store(cons, Ordering::Release);
                    published = cons;
                }
                if (cons - start) as usize >= max_bytes {
                    break;
                }
            }
            if cons != published {
                cons_a.store(cons, Ordering::Release);
            }
            (cons - start) as usize
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mappings.
        unsafe {
            libc::munmap(self.consumer as *mut libc::c_void, self.page);
            libc::munmap(
                self.producer as *mut libc::c_void,
                self.page + 2 * self.size,
            );
        }
    }
}

/// bpf_stats of one program.
#[derive(Clone, Debug, Default)]
pub struct ProgStats {
    pub name: String,
    pub run_time_ns: u64,
    pub run_cnt: u64,
    pub jited_bytes: u32,
    pub verified_insns: u32,
}

/// A loaded, attached probe.
pub struct Probe {
    ebpf: Ebpf,
    /// One ring per group of `cpus_for_each_buffer` possible CPUs.
    pub rings: Vec<Ring>,
    counters: PerCpuArray<MapData, [u64; 13]>,
    followed: HashMap<MapData, u32, u8>,
    skipped: PerCpuArray<MapData, u64>,
    /// Number of possible CPUs (counters are per possible CPU).
    pub possible_cpus: usize,
    pub attached: bool,
    btf_links: Vec<(&'static str, BtfTracePointLinkId)>,
    tp_links: Vec<(&'static str, TracePointLinkId)>,
}

/// Possible CPUs, from /sys/devices/system/cpu/possible ("0-3,5").
pub fn possible_cpus() -> Result<usize, RecordError> {
    aya::util::nr_cpus().map_err(|(path, e)| RecordError::msg(format!("cannot read {path}: {e}")))
}

/// The sc_plan byte array the probe reads: each syscall's capture plan.
pub fn capture_plans() -> [u8; MAX_SYSCALLS] {
    std::array::from_fn(|nr| sysreplay_syscalls::capture_plan(nr as u16))
}

/// The sc_cfg byte array the probe reads: selected flag + drop category.
pub fn syscall_config(selected: &[u16]) -> [u8; MAX_SYSCALLS] {
    let mut cfg = [0u8; MAX_SYSCALLS];
    for &nr in selected {
        if (nr as usize) < MAX_SYSCALLS {
            let cat = sysreplay_syscalls::name(nr)
                .and_then(sysreplay_syscalls::drop_category)
                .map(|c| c as u8)
                .unwrap_or(CFG_CAT_NONE);
            let items = if sysreplay_syscalls::capture_plan(nr) != plan::NONE {
                CFG_ITEMS
            } else {
                0
            };
            cfg[nr as usize] = CFG_SELECTED | items | cat;
        }
    }
    cfg
}

fn create_ringbuf(size: u32, name: &str) -> std::io::Result<OwnedFd> {
    // union bpf_attr for BPF_MAP_CREATE: map_type, key_size, value_size,
    // max_entries, map_flags, inner_map_fd, numa_node, map_name[16], ...
    #[repr(C)]
    struct MapCreateAttr {
        map_type: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        map_flags: u32,
        inner_map_fd: u32,
        numa_node: u32,
        map_name: [u8; 16],
        rest: [u8; 76],
    }
    let mut attr = MapCreateAttr {
        map_type: 27, // BPF_MAP_TYPE_RINGBUF
        key_size: 0,
        value_size: 0,
        max_entries: size,
        map_flags: 0,
        inner_map_fd: 0,
        numa_node: 0,
        map_name: [0; 16],
        rest: [0; 76],
    };
    for (d, s) in attr.map_name.iter_mut().zip(name.bytes().take(15)) {
        *d = s;
    }
    // SAFETY: BPF_MAP_CREATE reads `attr` (size passed) and returns a new fd.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            0, // BPF_MAP_CREATE
            &mut attr as *mut MapCreateAttr,
            std::mem::size_of::<MapCreateAttr>(),
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Make sure tracefs is mounted (the execve enter programs are classic
/// tracepoints; aya looks their ids up there).
fn ensure_tracefs() {
    if std::path::Path::new("/sys/kernel/tracing/events").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/events").exists()
    {
        return;
    }
    let src = c"nodev";
    let target = c"/sys/kernel/tracing";
    let fstype = c"tracefs";
    // SAFETY: plain mount(2) with static C strings.
    unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        );
    }
}

impl Probe {
    /// Load the probe with `cfg`, create the ring buffers, attach everything.
    pub fn load(cfg: &ProbeConfig) -> Result<Probe, RecordError> {
        crate::privileges::check()?;
        let possible = possible_cpus()?;
        let per = cfg.cpus_for_each_buffer.max(1);
        let n_rings = (possible as u32).div_ceil(per);
        let sc_cfg = syscall_config(&cfg.syscalls);
        let sc_plan = capture_plans();
        let snaplen = cfg.snaplen.min(4096);
        let capture_env = cfg.capture_env as u32;
        // A staged batch (SR_KIND_RING_BATCH) takes at most 1/16 of a ring.
        let stage_max = (cfg.buf_size as u64 / 16 / RECORD_HEADER_SIZE as u64).clamp(1, 64) as u32;
        let fl = cfg.follow.unwrap_or_default();
        let (follow, follow_children, follow_self_children) = (
            cfg.follow.is_some() as u32,
            fl.children as u32,
            fl.self_children as u32,
        );
        let btf = Btf::from_sys_fs().map_err(|e| {
            RecordError::msg(format!(
                "cannot read the kernel BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF): {e}"
            ))
        })?;
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .override_global("sc_cfg", &sc_cfg, true)
            .override_global("sc_plan", &sc_plan, true)
            .override_global("self_tgid", &cfg.exclude_tgid, true)
            .override_global("snaplen", &snaplen, true)
            .override_global("capture_env", &capture_env, true)
            .override_global("stage_max", &stage_max, true)
            .override_global("follow", &follow, true)
            .override_global("follow_children", &follow_children, true)
            .override_global("follow_self_children", &follow_self_children, true)
            .map_max_entries("rings", possible as u32)
            .load(PROBE_OBJ)
            .map_err(|e| RecordError::bpf("loading the eBPF probe", e))?;

        let mut rings = Vec::with_capacity(n_rings as usize);
        {
            let outer = ebpf
                .map_mut("rings")
                .ok_or_else(|| RecordError::msg("probe object has no `rings` map"))?;
            let mut outer: ArrayOfMaps<&mut MapData, MapData> = ArrayOfMaps::try_from(outer)
                .map_err(|e| RecordError::bpf("opening the ring array", e))?;
            for i in 0..n_rings {
                let fd = create_ringbuf(cfg.buf_size, &format!("sr_ring{i}")).map_err(|e| {
                    RecordError::msg(format!(
                        "cannot create ring buffer {i} of {} bytes: {e}",
                        cfg.buf_size
                    ))
                })?;
                let ring = Ring::map(&fd, cfg.buf_size)
                    .map_err(|e| RecordError::msg(format!("cannot map ring buffer {i}: {e}")))?;
                let md = MapData::from_fd(fd)
                    .map_err(|e| RecordError::bpf("opening a ring buffer", e))?;
                // every possible CPU of this group points at the ring: the
                // probe indexes by CPU, no division on the hot path
                for cpu in i * per..((i + 1) * per).min(possible as u32) {
                    outer
                        .set(cpu, &md, 0)
                        .map_err(|e| RecordError::bpf("installing a ring buffer", e))?;
                }
                rings.push(ring);
            }
        }
        let counters = ebpf
            .take_map("counters")
            .ok_or_else(|| RecordError::msg("probe object has no `counters` map"))?;
        let counters: PerCpuArray<MapData, [u64; 13]> = PerCpuArray::try_from(counters)
            .map_err(|e| RecordError::bpf("opening the counters map", e))?;
        let followed = ebpf
            .take_map("followed")
            .ok_or_else(|| RecordError::msg("probe object has no `followed` map"))?;
        let followed: HashMap<MapData, u32, u8> = HashMap::try_from(followed)
            .map_err(|e| RecordError::bpf("opening the followed map", e))?;
        let skipped = ebpf
            .take_map("skipped")
            .ok_or_else(|| RecordError::msg("probe object has no `skipped` map"))?;
        let skipped: PerCpuArray<MapData, u64> = PerCpuArray::try_from(skipped)
            .map_err(|e| RecordError::bpf("opening the skipped map", e))?;
        let mut p = Probe {
            ebpf,
            rings,
            counters,
            followed,
            skipped,
            possible_cpus: possible,
            attached: false,
            btf_links: Vec::new(),
            tp_links: Vec::new(),
        };
        p.attach(&btf)?;
        // Fail now, not at the first quiet CPU, if flushing cannot work here.
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() };
        p.flush_cpu(cpu.max(0) as u32)?;
        Ok(p)
    }

    /// The program `name` of the probe, as program type `T`.
    fn program<'a, T>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut T, RecordError>
    where
        &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = aya::programs::ProgramError>,
    {
        ebpf.program_mut(name)
            .ok_or_else(|| RecordError::msg(format!("probe has no program {name}")))?
            .try_into()
            .map_err(|e| RecordError::bpf(name, e))
    }

    /// Load and attach a BTF tracepoint program.
    fn attach_btf(&mut self, prog: &'static str, tp: &str, btf: &Btf) -> Result<(), RecordError> {
        let p: &mut BtfTracePoint = Self::program(&mut self.ebpf, prog)?;
        p.load(tp, btf)
            .map_err(|e| RecordError::bpf(&format!("loading {prog}"), e))?;
        let id = p
            .attach()
            .map_err(|e| RecordError::bpf(&format!("attaching {prog}"), e))?;
        self.btf_links.push((prog, id));
        Ok(())
    }

    fn attach(&mut self, btf: &Btf) -> Result<(), RecordError> {
        // Exit first, fork last: a fork recorded while a later program was
        // still loading (sr_proc_exec takes the verifier a while) would have
        // no exit record, and `--pid` would wait for that child forever.
        for (prog, tp) in [
            ("sr_proc_exit", "sched_process_exit"),
            ("sr_proc_exec", "sched_process_exec"),
            ("sr_proc_fork", "sched_process_fork"),
        ] {
            self.attach_btf(prog, tp, btf)?;
        }
        ensure_tracefs();
        for (prog, tp) in [
            ("sr_enter_execve", "sys_enter_execve"),
            ("sr_enter_execveat", "sys_enter_execveat"),
        ] {
            let p: &mut TracePoint = Self::program(&mut self.ebpf, prog)?;
            p.load()
                .map_err(|e| RecordError::bpf(&format!("loading {prog}"), e))?;
            let id = p
                .attach("syscalls", tp)
                .map_err(|e| RecordError::bpf(&format!("attaching {prog} to syscalls/{tp}"), e))?;
            self.tp_links.push((prog, id));
        }
        // sr_flush is loaded, never attached: user space runs it on a CPU.
        let p: &mut RawTracePoint = Self::program(&mut self.ebpf, "sr_flush")?;
        p.load()
            .map_err(|e| RecordError::bpf("loading sr_flush", e))?;
        // sys_exit last: the exec enter programs must be in place first.
        self.attach_btf("sr_sys_exit", "sys_exit", btf)?;
        self.attached = true;
        Ok(())
    }

    /// Detach every program (their links are dropped); maps stay readable.
    pub fn detach(&mut self) {
        // sys_exit first, so no syscall record misses its saved execve args.
        for (name, id) in self.btf_links.drain(..).rev() {
            if let Some(p) = self.ebpf.program_mut(name) {
                let p: Result<&mut BtfTracePoint, _> = p.try_into();
                if let Ok(p) = p {
                    let _ = p.detach(id);
                }
            }
        }
        for (name, id) in self.tp_links.drain(..) {
            if let Some(p) = self.ebpf.program_mut(name) {
                let p: Result<&mut TracePoint, _> = p.try_into();
                if let Ok(p) = p {
                    let _ = p.detach(id);
                }
            }
        }
        self.attached = false;
    }

    /// Send the records `cpu` has staged (the probe batches fixed-size
    /// records per CPU) to its ring now, by running `sr_flush` on that CPU
    /// (BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU: an IPI, synchronous).
    /// Works attached or not, so the last records come out after detach.
    pub fn flush_cpu(&self, cpu: u32) -> Result<(), RecordError> {
        use std::os::fd::{AsFd, AsRawFd};
        /// `union bpf_attr` for BPF_PROG_TEST_RUN (include/uapi/linux/bpf.h).
        #[repr(C)]
        #[derive(Default)]
        struct TestRunAttr {
            prog_fd: u32,
            retval: u32,
            data_size_in: u32,
            data_size_out: u32,
            data_in: u64,
            data_out: u64,
            repeat: u32,
            duration: u32,
            ctx_size_in: u32,
            ctx_size_out: u32,
            ctx_in: u64,
            ctx_out: u64,
            flags: u32,
            cpu: u32,
            batch_size: u32,
            /// Explicit: the kernel rejects non-zero bytes past batch_size.
            pad: u32,
        }
        const BPF_PROG_TEST_RUN: libc::c_long = 10;
        const BPF_F_TEST_RUN_ON_CPU: u32 = 1;
        let p: &RawTracePoint = self
            .ebpf
            .program("sr_flush")
            .ok_or_else(|| RecordError::msg("probe has no program sr_flush"))?
            .try_into()
            .map_err(|e| RecordError::bpf("sr_flush", e))?;
        let fd = p.fd().map_err(|e| RecordError::bpf("sr_flush", e))?;
        let mut attr = TestRunAttr {
            prog_fd: fd.as_fd().as_raw_fd() as u32,
            flags: BPF_F_TEST_RUN_ON_CPU,
            cpu,
            ..Default::default()
        };
        // SAFETY: bpf(2) reads and writes only `attr`, of the size given.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_PROG_TEST_RUN,
                &mut attr as *mut TestRunAttr,
                std::mem::size_of::<TestRunAttr>(),
            )
        };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            return Err(RecordError::msg(format!(
                "cannot flush the records staged on CPU {cpu} (bpf PROG_TEST_RUN): {e}"
            )));
        }
        Ok(())
    }

    /// Follow thread group `tgid` from now on (a probe loaded with
    /// [`ProbeConfig::follow`]); its children too when the probe follows
    /// children.
    pub fn follow(&mut self, tgid: u32) -> Result<(), RecordError> {
        self.followed
            .insert(tgid, 1, 0)
            .map_err(|e| RecordError::bpf(&format!("following process {tgid}"), e))
    }

    /// Stop following `tgid` (a process that is already gone).
    pub fn unfollow(&mut self, tgid: u32) {
        let _ = self.followed.remove(&tgid);
    }

    /// Whether any thread group is followed (false once the followed
    /// processes have all exited).
    pub fn following_any(&self) -> bool {
        self.followed.keys().next().is_some()
    }

    /// Events of processes not followed that the probe left out, summed
    /// over CPUs.
    pub fn skipped(&self) -> u64 {
        self.skipped.get(&0, 0).map(|v| v.iter().sum()).unwrap_or(0)
    }

    /// Kernel counters of every possible CPU.
    pub fn counters(&self) -> Result<Vec<CpuCounters>, RecordError> {
        let v = self
            .counters
            .get(&0, 0)
            .map_err(|e| RecordError::bpf("reading the counters", e))?;
        Ok(v.iter()
            .map(|a| {
                let mut cat = [0u64; DROP_CATEGORIES];
                cat.copy_from_slice(&a[2..2 + DROP_CATEGORIES]);
                CpuCounters {
                    n_evts: a[0],
                    n_drops: a[1],
                    n_drops_cat: cat,
                    n_drops_other: a[12],
                }
            })
            .collect())
    }

    /// Per-program run time and run count (non-zero only while
    /// kernel.bpf_stats_enabled=1).
    pub fn program_stats(&self) -> Vec<ProgStats> {
        let mut v = Vec::new();
        for name in PROGRAMS {
            if let Some(p) = self.ebpf.program(name) {
                if let Ok(info) = p.info() {
                    v.push(ProgStats {
                        name: name.to_string(),
                        run_time_ns: info.run_time().as_nanos() as u64,
                        run_cnt: info.run_count(),
                        jited_bytes: info.size_jitted(),
                        verified_insns: info.verified_instruction_count().unwrap_or(0),
                    });
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_byte_has_selection_items_and_category() {
        let cfg = syscall_config(&[257, 110, 3]);
        assert_eq!(cfg[257], CFG_SELECTED | CFG_ITEMS | 5); // openat: open_exit
        assert_eq!(cfg[110], CFG_SELECTED | CFG_CAT_NONE); // getppid
        assert_eq!(cfg[3], CFG_SELECTED | 8); // close: close_exit
        assert_eq!(cfg[0], 0);
    }
}
