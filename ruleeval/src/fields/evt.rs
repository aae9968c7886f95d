//! Event fields (`evt.*`): type, times, result, arguments, buffers.

use super::*;
use sysreplay_format::timefmt;

/// Value `n` of `fld`, an `evt` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    _n: usize,
    buf: &'a mut String,
) -> Option<Val<'a>> {
    let ev = cx.ev;
    match fld.f {
        F::EvtType => {
            let nm = event_type_name(ev);
            if nm.is_empty() {
                None
            } else {
                s(nm)
            }
        }
        F::EvtNum => Some(Val::Int(cx.evt_num as i64)),
        F::EvtTime | F::EvtTimeS | F::EvtTimeIso | F::EvtDatetime => {
            buf.clear();
            let ns = cx.wall_ns();
            match fld.f {
                F::EvtTime => timefmt::write_clock(buf, ns, true),
                F::EvtTimeS => timefmt::write_clock(buf, ns, false),
                F::EvtTimeIso => timefmt::write_iso8601(buf, ns),
                _ => {
                    let iso = timefmt::iso8601_ns(ns);
                    buf.push_str(&iso[..10]);
                    buf.push(' ');
                    buf.push_str(&iso[11..iso.len() - 1]);
                }
            }
            Some(Val::Str(buf.as_bytes()))
        }
        F::EvtRawtime | F::EvtRawtimeNs => Some(Val::Int(cx.wall_ns())),
        F::EvtRawtimeS => Some(Val::Int(cx.wall_ns().div_euclid(1_000_000_000))),
        F::EvtDir => s("<"),
        F::EvtCpu => Some(Val::Int(ev.cpu as i64)),
        F::EvtRes | F::EvtRawres | F::EvtFailed => {
            if !ev.is_syscall() {
                return None;
            }
            match fld.f {
                F::EvtRawres => Some(Val::Int(ev.ret)),
                F::EvtFailed => Some(Val::Bool(ev.ret < 0 && ev.ret > -4096)),
                _ => {
                    if ev.ret < 0 && ev.ret > -4096 {
                        match decode::errno_name(ev.ret) {
                            Some(e) => s(e),
                            None => {
                                buf.clear();
                                let _ = write!(buf, "{}", ev.ret);
                                Some(Val::Str(buf.as_bytes()))
                            }
                        }
                    } else {
                        s("SUCCESS")
                    }
                }
            }
        }
        F::EvtArgs => {
            if !ev.is_syscall() {
                return None;
            }
            buf.clear();
            decode::render_all(ev, buf);
            Some(Val::Str(buf.as_bytes()))
        }
        F::EvtArg | F::EvtRawarg => {
            if !ev.is_syscall() {
                return None;
            }
            // The execve/execveat exit's `flags` (what rules on the exit
            // see): the image's exe flags, which the PROC_EXEC record before
            // it gave the thread. execveat's enter `flags` (AT_*) remain
            // where the trace has no exe flags.
            let name = sc::name(ev.nr);
            let exec_flags = matches!(name, "execve" | "execveat")
                && matches!(&fld.arg, FArg::Name(n) if n == "flags");
            let exe_flags = cx.thread.and_then(|t| t.exe_flags).filter(|_| exec_flags);
            if exec_flags && (name == "execve" || exe_flags.is_some()) {
                let f = exe_flags?;
                if fld.f == F::EvtRawarg && fld.ty == FType::Int {
                    return Some(Val::Int(f as i64));
                }
                buf.clear();
                decode::flags_str(decode::FlagSet::Exe, f as u64, buf);
                return Some(Val::Str(buf.as_bytes()));
            }
            let ps = decode::params(ev.nr)?;
            let p = match &fld.arg {
                FArg::Index(i) => ps.get(*i)?,
                FArg::Name(nm) => ps.iter().find(|p| p.name == nm)?,
                FArg::None => return None,
            };
            // libs master's send/recv events have no flags argument
            // (driver/event_table.c): evt.arg.flags does not exist there.
            if p.name == "flags"
                && matches!(
                    sc::name(ev.nr),
                    "send"
                        | "sendto"
                        | "sendmsg"
                        | "sendmmsg"
                        | "recv"
                        | "recvfrom"
                        | "recvmsg"
                        | "recvmmsg"
                )
            {
                return None;
            }
            let v = decode::arg_value(ev, p);
            if v.is_missing() {
                return None;
            }
            if fld.f == F::EvtRawarg && fld.ty == FType::Int {
                return v.as_i64().map(Val::Int);
            }
            buf.clear();
            if fld.f == F::EvtArg && matches!(p.kind, decode::ParamKind::Path) {
                if let decode::ArgValue::Bytes(b) = v {
                    if resolved_path(cx, ps, p, b, buf) {
                        return Some(Val::Str(buf.as_bytes()));
                    }
                }
            }
            let chmod = matches!(
                sc::name(ev.nr),
                "chmod" | "fchmod" | "fchmodat" | "fchmodat2"
            );
            if chmod && p.name == "mode" {
                chmod_mode_str(v.as_u64().unwrap_or(0), buf);
            } else if matches!(p.kind, decode::ParamKind::Fd) && v.as_i64().is_some_and(|f| f >= 0)
            {
                // sysdig shows fds with their name: 3(<f>/etc/passwd)
                decode::render_value(p, &v, buf);
            } else {
                decode::render_value(p, &v, buf);
            }
            Some(Val::Str(buf.as_bytes()))
        }
        F::EvtIsOpenRead | F::EvtIsOpenWrite | F::EvtIsOpenExec => {
            // false on every event that is not an open, as libsinsp
            let Some((flags, mode)) = cx.state.cur_open else {
                return Some(Val::Bool(false));
            };
            let flags = flags as u64;
            Some(Val::Bool(match fld.f {
                F::EvtIsOpenRead => decode::is_open_read(flags),
                F::EvtIsOpenWrite => decode::is_open_write(flags),
                _ => decode::is_open_exec(flags, mode),
            }))
        }
        F::EvtBuffer | F::EvtBuflen => {
            if !ev.is_syscall() {
                return None;
            }
            let ps = decode::params(ev.nr)?;
            let p = ps
                .iter()
                .find(|p| matches!(p.kind, decode::ParamKind::Buffer))?;
            match decode::arg_value(ev, p) {
                decode::ArgValue::Bytes(b) => Some(if fld.f == F::EvtBuffer {
                    Val::Str(b)
                } else {
                    Val::Int(b.len() as i64)
                }),
                // nothing captured (a read of 0 bytes, a failed call): libs
                // master's data parameter is there, empty
                decode::ArgValue::Missing if fld.f == F::EvtBuffer => Some(Val::Str(b"")),
                _ => None,
            }
        }
        F::EvtHostname => s(&cx.info.hostname),
        F::EvtSource => s("syscall"),
        F::EvtIsIo => {
            let nm = sc::slot_name(ev.nr as usize);
            Some(Val::Bool(
                ev.is_syscall() && sysreplay_syscalls::sets::IGNORED_IO.contains(&nm),
            ))
        }
        F::EvtCategory => None,

        _ => None,
    }
}

/// evt.arg of a relative path, as libsinsp gives it (sinsp_evt::
/// get_param_as_str for PT_FSPATH/PT_FSRELPATH, taken by evt.arg when not
/// empty): resolved against the directory fd that precedes it in the
/// arguments (openat's dirfd, renameat's olddirfd/newdirfd) unless AT_FDCWD,
/// else against the thread's cwd, and normalised (`.` in `/` is `/`).
/// evt.rawarg keeps the raw path. False (nothing written) for absolute or
/// empty paths, link targets (not resolved: PT_CHARBUF in libsinsp), or an
/// unknown base.
fn resolved_path(
    cx: &Ctx<'_>,
    ps: &[decode::Param],
    p: &decode::Param,
    raw: &[u8],
    out: &mut String,
) -> bool {
    if raw.is_empty() || raw[0] == b'/' || p.name == "target" {
        return false;
    }
    let Some(t) = cx.thread else {
        return false;
    };
    let at = ps.iter().position(|q| std::ptr::eq(q, p)).unwrap_or(0);
    let dirfd = ps[..at]
        .iter()
        .rev()
        .find(|q| matches!(q.kind, decode::ParamKind::Dirfd))
        .and_then(|q| decode::arg_value(cx.ev, q).as_i64())
        .filter(|&d| d != -100);
    let base: &str = match dirfd {
        Some(d) => match cx
            .state
            .fdtables
            .get(&t.pid)
            .and_then(|tb| tb.fds.get(&(d as i32)))
        {
            Some(f) if !f.name.is_empty() => &f.name,
            _ => return false,
        },
        None if t.cwd.is_empty() => return false,
        None => &t.cwd,
    };
    let path = String::from_utf8_lossy(raw);
    crate::state::resolve_path_into(base, &path, out);
    true
}
