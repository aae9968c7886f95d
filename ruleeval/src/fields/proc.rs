//! Process and thread fields (`proc.*`, `thread.*`), ancestors included.

use super::*;

/// Value `n` of `fld`, a `proc` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    n: usize,
    buf: &'a mut String,
) -> Option<Val<'a>> {
    let ev = cx.ev;
    let t = cx.thread;
    match fld.f {
        F::ProcName | F::ProcExe | F::ProcExepath | F::ProcCmdline => {
            let t = t?;
            let v = thread_str(t, fld.f);
            // A thread first seen mid-trace, with no name yet: libsinsp's
            // fake entry for a thread it cannot find (libs master
            // sinsp_thread_manager::get_thread) has comm and exe "<NA>" (a
            // value: `exists` and `!=` hold), so cmdline "<NA>", and an
            // empty exepath.
            if t.stub && v.is_empty() && fld.f != F::ProcExepath {
                return s("<NA>");
            }
            s(v)
        }
        F::ProcArgs => s(&t?.args),
        F::ProcPid => Some(Val::Int(t?.pid as i64)),
        // The fake entry's vpid is -1: no value.
        // the pid-namespace id when the trace has it (format 2.2 snapshots)
        F::ProcVpid => {
            let t = t?;
            (!t.stub).then_some(Val::Int(if t.vpid != 0 { t.vpid } else { t.pid } as i64))
        }
        F::ProcPpid => {
            let p = cx.state.parent(t?)?;
            Some(Val::Int(p.pid as i64))
        }
        F::ProcPvpid => {
            let p = cx.state.parent(t?)?;
            Some(Val::Int(if p.vpid != 0 { p.vpid } else { p.pid } as i64))
        }
        F::ProcTty => Some(Val::Int(t?.tty as i64)),
        F::ProcCwd => {
            let t = t?;
            let c: &str = &t.cwd;
            // libs master get_cwd: a thread with no main thread (the fake
            // entry) has "./" (sysdig 0.29.3 ""); an unknown cwd (a process
            // first seen at an execve that carried none) is "", a value.
            if c.is_empty() {
                return s(if t.stub { "./" } else { "" });
            }
            buf.clear();
            buf.push_str(c);
            if !c.ends_with('/') {
                buf.push('/');
            }
            Some(Val::Str(buf.as_bytes()))
        }
        F::ProcEnv => {
            let t = t?;
            let env = t.env.as_deref().unwrap_or(&[]);
            match &fld.arg {
                FArg::Name(k) => {
                    for e in env.iter() {
                        if let Some(v) =
                            e.strip_prefix(k.as_str()).and_then(|r| r.strip_prefix('='))
                        {
                            return s(v);
                        }
                    }
                    None
                }
                // libs master concatenate_all_env: "" (a value) when the
                // environment is empty or unknown (the fake entry's).
                _ => {
                    buf.clear();
                    for (i, e) in env.iter().enumerate() {
                        if i > 0 {
                            buf.push(' ');
                        }
                        buf.push_str(e);
                    }
                    Some(Val::Str(buf.as_bytes()))
                }
            }
        }
        F::ProcPname | F::ProcPcmdline | F::ProcPexe | F::ProcPexepath => {
            let p = cx.state.parent(t?)?;
            s(thread_str(p, fld.f))
        }
        F::ProcAname | F::ProcAexe | F::ProcAexepath | F::ProcApid | F::ProcAcmdline => {
            let idx = match fld.arg {
                FArg::Index(i) => i,
                // every ancestor, bounded (a parent loop cannot hang a filter)
                _ if n >= 256 => return None,
                _ => n + 1,
            };
            let a = cx.state.ancestor(t?, idx)?;
            if fld.f == F::ProcApid {
                Some(Val::Int(a.pid as i64))
            } else {
                s(thread_str(a, fld.f))
            }
        }
        F::ProcSname => {
            // libs master get_oldest_matching_ancestor: the session leader
            // if known, else the oldest ancestor in an unbroken line of the
            // same session, else "" (not NULL).
            let t = t?;
            if t.stub {
                // sid unknown (-1): get_oldest_matching_ancestor finds
                // none, so "" (sysdig 0.29.3 names the fake entry, "<NA>")
                return s("");
            }
            if let Some(l) = cx.state.thread(t.sid) {
                return s(&l.comm);
            }
            let mut leader: Option<&Thread> = None;
            let mut cur = t;
            for _ in 0..64 {
                match cx.state.parent(cur) {
                    Some(p) if p.sid == t.sid => {
                        leader = Some(p);
                        cur = p;
                    }
                    _ => break,
                }
            }
            s(leader.map_or("", |l| &l.comm))
        }
        // The fake entry's sid and vpgid are -1.
        F::ProcSid | F::ProcVpgid => {
            let t = t?;
            let v = if fld.f == F::ProcSid { t.sid } else { t.pgid };
            Some(Val::Int(if t.stub { -1 } else { v as i64 }))
        }
        F::ProcIsVpgidLeader => {
            let t = t?;
            Some(Val::Bool(t.pgid != 0 && t.pid == t.pgid))
        }
        F::ProcIsSidLeader => {
            let t = t?;
            Some(Val::Bool(t.sid != 0 && t.pid == t.sid))
        }
        F::ProcDuration => {
            let t = t?;
            if t.start_ns == 0 {
                return None;
            }
            Some(Val::Int(ev.ts_ns.saturating_sub(t.start_ns) as i64))
        }
        F::ProcStartTs => {
            let t = t?;
            if t.start_ns == 0 {
                return None;
            }
            Some(Val::Int(
                (t.start_ns as i64).wrapping_add(cx.info.boot_to_wall_ns),
            ))
        }
        // libsinsp takes these from the execve exit's flags (PPM_EXE_*).
        // From memfd also holds for a process whose exe path names a memfd
        // (`memfd:NAME` as the drivers write it, `/memfd:NAME (deleted)` as
        // the snapshot reads /proc/PID/exe); the other two have no value
        // where the trace did not record the flags.
        F::ProcIsExeFromMemfd => {
            let t = t?;
            Some(Val::Bool(
                t.exe_flags.is_some_and(|f| f & exe_flags::FROM_MEMFD != 0)
                    || t.exepath.starts_with("memfd:")
                    || t.exepath.starts_with("/memfd:"),
            ))
        }
        // (the fake entry's flags are all false)
        F::ProcIsExeUpperLayer | F::ProcIsExeWritable => {
            let t = t?;
            let bit = if fld.f == F::ProcIsExeWritable {
                exe_flags::WRITABLE
            } else {
                exe_flags::UPPER_LAYER
            };
            let f = if t.stub {
                t.exe_flags.unwrap_or(0)
            } else {
                t.exe_flags?
            };
            Some(Val::Bool(f & bit != 0))
        }
        // Not recorded by the probe: no value, and `rules check` lists the
        // rules that use them.
        F::ProcExeIno
        | F::ProcExeInoCtime
        | F::ProcExeInoMtime
        | F::ProcExeInoCtimeDurationProcStart => None,
        F::ProcNthreads => {
            let pid = t?.pid;
            cx.state
                .fdtables
                .get(&pid)
                .map(|tb| Val::Int(tb.nthreads as i64))
        }
        F::ThreadTid => Some(Val::Int(t?.tid as i64)),
        // The fake entry's vtid is -1: no value.
        F::ThreadVtid => {
            let t = t?;
            (!t.stub).then_some(Val::Int(if t.vtid != 0 { t.vtid } else { t.tid } as i64))
        }
        F::ThreadCapEffective | F::ThreadCapPermitted | F::ThreadCapInheritable => {
            let t = t?;
            let m = match fld.f {
                F::ThreadCapEffective => t.cap_effective,
                F::ThreadCapPermitted => t.cap_permitted,
                _ => t.cap_inheritable,
            };
            buf.clear();
            caps_str(m, buf);
            Some(Val::Str(buf.as_bytes()))
        }
        F::ThreadIsmain => {
            let t = t?;
            Some(Val::Bool(t.tid == t.pid))
        }
        _ => None,
    }
}
