//! File descriptor fields (`fd.*`): names, types, socket ends.

use super::*;

/// Value `n` of `fld`, an `fd` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    n: usize,
    buf: &'a mut String,
) -> Option<Val<'a>> {
    let ev = cx.ev;
    match fld.f {
        F::FdNum => {
            if !ev.is_syscall() {
                return None;
            }
            cx.state.event_fd_num().map(Val::Int)
        }
        F::FdName => s(&cx.fd?.name),
        F::FdNameraw => {
            let fd = cx.fd?;
            s(if fd.nameraw.is_empty() {
                &fd.name
            } else {
                &fd.nameraw
            })
        }
        F::FdType => s(cx.fd?.fd_type.name()),
        F::FdTypechar => {
            let c = cx.fd?.fd_type.typechar();
            buf.clear();
            buf.push(c);
            Some(Val::Str(buf.as_bytes()))
        }
        F::FdDirectory => {
            let fd = cx.fd?;
            if !is_file_like(fd) {
                return None;
            }
            if fd.fd_type == sysreplay_format::FdType::Directory {
                return s(&fd.name);
            }
            s(dirname(&fd.name))
        }
        F::FdFilename => {
            let fd = cx.fd?;
            if !is_file_like(fd) || fd.fd_type == sysreplay_format::FdType::Directory {
                return None;
            }
            // A failed open has fd.name and fd.directory from its path, but
            // no fd.filename (libs master: parse_open_failure).
            if cx.state.transient_fd.is_some() {
                return None;
            }
            s(fd.name.rsplit('/').next().unwrap_or(""))
        }
        F::FdIp
        | F::FdCip
        | F::FdSip
        | F::FdLip
        | F::FdRip
        | F::FdNet
        | F::FdCnet
        | F::FdSnet
        | F::FdLnet
        | F::FdRnet => {
            let so = sock_parts(cx.fd?)?;
            let (cip, cport, sip, sport) = so.client_server();
            let ip = match fld.f {
                F::FdIp | F::FdNet => either_end(n, (cip, cport), (sip, sport))?.0,
                F::FdCip | F::FdCnet => cip,
                F::FdSip | F::FdSnet => sip,
                F::FdLip | F::FdLnet => so.local_ip,
                _ => so.remote_ip,
            };
            Some(Val::Ip(ip))
        }
        F::FdPort | F::FdCport | F::FdSport | F::FdLport | F::FdRport => {
            let so = sock_parts(cx.fd?)?;
            let (cip, cport, sip, sport) = so.client_server();
            let p = match fld.f {
                F::FdPort => either_end(n, (cip, cport), (sip, sport))?.1,
                F::FdCport => cport,
                F::FdSport => sport,
                F::FdLport => so.local_port,
                _ => so.remote_port,
            };
            Some(Val::Int(p as i64))
        }
        F::FdL4proto => {
            let fd = cx.fd?;
            match fd.sock.as_deref().map(|s| s.l4proto) {
                Some(6) => s("tcp"),
                Some(17) => s("udp"),
                Some(255) => s("raw"),
                Some(_) => s("<unknown>"),
                None => None,
            }
        }
        F::FdSockfamily => match cx.fd?.family {
            2 | 10 => s("ip"),
            1 => s("unix"),
            _ => None,
        },
        F::FdIsServer => {
            let fd = cx.fd?;
            fd.sock.as_deref().map(|s| Val::Bool(s.server))
        }
        F::FdConnected => {
            let fd = cx.fd?;
            match fd.sock.as_deref() {
                Some(s) => Some(Val::Bool(s.connected)),
                None => Some(Val::Bool(false)),
            }
        }
        F::FdNameChanged => Some(Val::Bool(cx.fd?.name_changed)),
        F::FdIno => {
            let fd = cx.fd?;
            if fd.ino == 0 {
                None
            } else {
                Some(Val::Int(fd.ino as i64))
            }
        }
        F::FdDnsName => None,
        _ => None,
    }
}
