//! File descriptor fields (`fd.*`): names, types, socket ends.

use super::*;

/// Value `n` of `fld`, an `fd` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    n: usize,
    _buf: &'a mut String,
) -> Option<Val<'a>> {
    let ev = cx.ev;
    // libsinsp gives fd fields only to the events its table marks as
    // using an fd (sc::libsinsp_fd_event)
    if !ev.is_syscall() || !crate::sc::libsinsp_fd_event(ev.nr) {
        return None;
    }
    // A failed open has no fd info in libsinsp (m_fdinfo NULL): only the
    // fields taken from the event itself have a value.
    if cx.state.transient_fd.is_some()
        && !matches!(
            fld.f,
            F::FdNum | F::FdName | F::FdNameraw | F::FdDirectory | F::FdFilename | F::FdTypechar
        )
    {
        return None;
    }
    match fld.f {
        F::FdNum => cx.state.event_fd_num().map(Val::Int),
        F::FdName => match cx.fd {
            Some(fd) => s(&fd.name),
            // libs master extract_fdname_from_event: an fd the table lacks
            // is named "" (exit events other than open/accept/connect,
            // which always have a table entry or a transient fd here).
            None => missing(cx).then_some(Val::Str(b"")),
        },
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
            let c = match cx.fd {
                Some(_) if cx.state.transient_fd.is_some() => crate::sc::created_typechar(ev.nr),
                Some(fd) => fd.fd_type.typechar() as u8,
                // libs master sinsp_evt::extract_typechar: by syscall.
                None if missing(cx) => crate::sc::created_typechar(ev.nr),
                None => return None,
            };
            Some(Val::Str(ascii_char(c)))
        }
        F::FdDirectory => {
            // libs master: the name "" of a missing fd has directory "/".
            let Some(fd) = cx.fd else {
                return missing(cx).then_some(Val::Str(b"/"));
            };
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
            if so.role_none() {
                // libs master compare_ip/compare_net have no role check:
                // they compare the tuple as stored (zeros before a peer)
                return match fld.f {
                    F::FdIp | F::FdNet if n < 2 => {
                        let ip = if n == 0 { so.local_ip } else { so.remote_ip };
                        Some(Val::Ip(v4_any(so, ip)))
                    }
                    _ => None,
                };
            }
            let (cip, cport, sip, sport) = so.client_server();
            // A server socket with no peer has only its server end (libs
            // master: SERVSOCK has fd.sip/fd.sport, no client or local/remote).
            let srv = so.servsock();
            let ip = match fld.f {
                F::FdIp | F::FdNet => either_end(n, (cip, cport), (sip, sport), srv)?.0,
                F::FdCip | F::FdCnet if !srv => cip,
                F::FdSip | F::FdSnet => sip,
                F::FdLip | F::FdLnet if !srv => so.local_ip,
                F::FdRip | F::FdRnet if !srv => so.remote_ip,
                _ => return None,
            };
            Some(Val::Ip(v4_any(so, ip)))
        }
        F::FdPort | F::FdCport | F::FdSport | F::FdLport | F::FdRport => {
            let so = sock_parts(cx.fd?)?;
            if so.role_none() {
                // libs master compare_port: no role check (see fd.ip)
                return match (fld.f, n) {
                    (F::FdPort, 0) => Some(Val::Int(so.local_port as i64)),
                    (F::FdPort, 1) => Some(Val::Int(so.remote_port as i64)),
                    _ => None,
                };
            }
            let (cip, cport, sip, sport) = so.client_server();
            let srv = so.servsock();
            let p = match fld.f {
                F::FdPort => either_end(n, (cip, cport), (sip, sport), srv)?.1,
                F::FdCport if !srv => cport,
                F::FdSport => sport,
                F::FdLport if !srv => so.local_port,
                F::FdRport if !srv => so.remote_port,
                _ => return None,
            };
            Some(Val::Int(p as i64))
        }
        F::FdL4proto => {
            // libs master sinsp_fdinfo::get_l4proto: `<NA>` (a string, not
            // NULL) for non-inet fds and inet sockets with no role yet.
            let fd = cx.fd?;
            match fd.sock.as_deref() {
                Some(so) if so.l4proto == 255 => s("raw"),
                Some(so) if !so.role_none() => match so.l4proto {
                    6 => s("tcp"),
                    17 => s("udp"),
                    1 | 58 => s("icmp"),
                    _ => s("<NA>"),
                },
                _ => s("<NA>"),
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
                None => Some(Val::Bool(fd.connected)),
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

/// An IPv4 socket's unknown address in the form filters parse `0.0.0.0`
/// to (a new socket's ends are all-zero bytes).
fn v4_any(so: &crate::state::Sock, ip: [u8; 16]) -> [u8; 16] {
    if !so.v6 && ip == [0; 16] {
        std::net::Ipv4Addr::UNSPECIFIED.to_ipv6_mapped().octets()
    } else {
        ip
    }
}

/// Whether the current event refers to an fd its process's table lacks
/// (libs master: extract_fd succeeded, m_fdinfo NULL).
fn missing(cx: &Ctx) -> bool {
    cx.fd.is_none()
        && cx.thread.is_some()
        && (cx.state.event_fd_num().is_some()
            // pipe and pipe2 (libs master add_pipe)
            || crate::sc::created_typechar(cx.ev.nr) == b'p')
}

/// A one-byte string of an ASCII character, borrowed from a static table:
/// a char field (fd.typechar) builds no string per event.
fn ascii_char(c: u8) -> &'static [u8] {
    static ASCII: [u8; 128] = {
        let mut t = [0u8; 128];
        let mut i = 0;
        while i < 128 {
            t[i] = i as u8;
            i += 1;
        }
        t
    };
    let i = (c & 0x7f) as usize;
    &ASCII[i..i + 1]
}
