//! Checking the privileges the probe needs before trying to load it.

use crate::RecordError;

const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The effective capability mask of this process (/proc/self/status CapEff).
pub fn effective_caps() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

/// What is missing to load and attach the probe, or None when permitted.
pub fn missing() -> Option<String> {
    let caps = effective_caps()?;
    let has = |c: u32| caps & (1u64 << c) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return None;
    }
    let mut m = Vec::new();
    if !has(CAP_BPF) {
        m.push("CAP_BPF");
    }
    if !has(CAP_PERFMON) {
        m.push("CAP_PERFMON");
    }
    Some(m.join(" and "))
}

/// The tracefs file aya reads to attach the exec enter tracepoints.
const EXECVE_ID: &str = "events/syscalls/sys_enter_execve/id";

/// What keeps the probe from its tracepoints in tracefs, or None. tracefs
/// is mode 0700 root: a process that is not uid 0 needs CAP_DAC_READ_SEARCH
/// (or CAP_DAC_OVERRIDE) to read it, and mounting it needs CAP_SYS_ADMIN.
pub fn tracefs_problem(roots: &[&str]) -> Option<String> {
    let caps = effective_caps()?;
    let has = |c: u32| caps & (1u64 << c) != 0;
    for root in roots {
        match std::fs::read(format!("{root}/{EXECVE_ID}")) {
            Ok(_) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                let lacks = if has(CAP_DAC_READ_SEARCH) || has(CAP_DAC_OVERRIDE) {
                    String::new() // something else denies it (an LSM): say what we saw
                } else {
                    " and this process lacks CAP_DAC_READ_SEARCH".to_string()
                };
                // SAFETY: getuid has no preconditions.
                let uid = unsafe { libc::getuid() };
                return Some(format!(
                    "recording needs root, or CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH: {root} (tracefs, mode 0700) is not readable by uid {uid}{lacks} (run as root, or `setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep` on the binary): {e}"
                ));
            }
            Err(_) => {}
        }
    }
    if has(CAP_SYS_ADMIN) {
        return None; // the probe mounts tracefs itself
    }
    Some(format!(
        "recording needs tracefs: {}/{EXECVE_ID} does not exist and mounting tracefs needs CAP_SYS_ADMIN, which this process lacks (run as root, or mount it first: `mount -t tracefs nodev {}`)",
        roots[0], roots[0]
    ))
}

/// Fail with one clear line when the probe cannot be loaded: a missing
/// capability, or tracefs out of reach, named exactly.
pub fn check() -> Result<(), RecordError> {
    if let Some(m) = missing() {
        return Err(RecordError::msg(format!(
            "recording needs root or CAP_BPF+CAP_PERFMON (+CAP_DAC_READ_SEARCH when not uid 0): this process lacks {m} (run as root, or `setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep` on the binary)"
        )));
    }
    if let Some(m) = tracefs_problem(&["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]) {
        return Err(RecordError::msg(m));
    }
    Ok(())
}
