//! Checking the privileges the probe needs before trying to load it.

use crate::RecordError;

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

/// Fail with one clear line when the probe cannot be loaded.
pub fn check() -> Result<(), RecordError> {
    if let Some(m) = missing() {
        return Err(RecordError::msg(format!(
            "recording needs root or CAP_BPF+CAP_PERFMON: this process lacks {m} (run as root, or `setcap cap_bpf,cap_perfmon+ep` on the binary)"
        )));
    }
    Ok(())
}
