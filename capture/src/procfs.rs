//! The /proc snapshot written at the start of every trace file: every thread
//! with its identity, credentials and (for thread-group leaders) open fds,
//! with fd names in Falco's `fd.name` forms.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use sysreplay_format::meta::split_nul_list;
use sysreplay_format::{FdInfo, FdType, ProcessSnapshot, SocketTuple, ThreadInfo};

/// Inode -> socket description, from /proc/net/{tcp,tcp6,udp,udp6,unix,raw,...}.
#[derive(Default)]
pub struct SocketTable {
    inet: HashMap<u64, (bool, SocketTuple)>,
    unix: HashMap<u64, String>,
    netlink: HashMap<u64, ()>,
}

fn hex_ip(s: &str) -> Option<[u8; 16]> {
    // /proc/net prints addresses as host-endian u32 words.
    let mut ip = [0u8; 16];
    match s.len() {
        8 => {
            let w = u32::from_str_radix(s, 16).ok()?;
            ip[10] = 0xff;
            ip[11] = 0xff;
            ip[12..16].copy_from_slice(&w.to_ne_bytes());
        }
        32 => {
            for i in 0..4 {
                let w = u32::from_str_radix(&s[i * 8..i * 8 + 8], 16).ok()?;
                ip[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
            }
        }
        _ => return None,
    }
    Some(ip)
}

fn parse_addr(s: &str) -> Option<([u8; 16], u16)> {
    let (ip, port) = s.split_once(':')?;
    Some((hex_ip(ip)?, u16::from_str_radix(port, 16).ok()?))
}

/// Falco's rendering of an IPv4-mapped or IPv6 address.
pub fn ip_string(ip: &[u8; 16]) -> String {
    if ip[..10].iter().all(|&b| b == 0) && ip[10] == 0xff && ip[11] == 0xff {
        std::net::Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]).to_string()
    } else {
        std::net::Ipv6Addr::from(*ip).to_string()
    }
}

impl SocketTable {
    pub fn read(root: &Path) -> SocketTable {
        let mut t = SocketTable::default();
        for (file, proto, v6) in [
            ("tcp", 6u8, false),
            ("tcp6", 6, true),
            ("udp", 17, false),
            ("udp6", 17, true),
            ("raw", 0, false),
            ("raw6", 0, true),
        ] {
            let Ok(s) = fs::read_to_string(root.join("net").join(file)) else {
                continue;
            };
            for line in s.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 10 {
                    continue;
                }
                let (Some((lip, lport)), Some((rip, rport))) = (parse_addr(f[1]), parse_addr(f[2]))
                else {
                    continue;
                };
                let Ok(ino) = f[9].parse::<u64>() else {
                    continue;
                };
                // TCP_LISTEN = 0x0A; an unconnected UDP socket has no peer either.
                let listening = (proto == 6 && f[3] == "0A") || (proto == 17 && rport == 0);
                t.inet.insert(
                    ino,
                    (
                        v6,
                        SocketTuple {
                            l4proto: proto,
                            local_ip: lip,
                            local_port: lport,
                            remote_ip: rip,
                            remote_port: rport,
                            listening,
                        },
                    ),
                );
            }
        }
        if let Ok(s) = fs::read_to_string(root.join("net/unix")) {
            for line in s.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 7 {
                    continue;
                }
                if let Ok(ino) = f[6].parse::<u64>() {
                    t.unix
                        .insert(ino, f.get(7).map(|s| s.to_string()).unwrap_or_default());
                }
            }
        }
        if let Ok(s) = fs::read_to_string(root.join("net/netlink")) {
            for line in s.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if let Some(ino) = f.last().and_then(|s| s.parse::<u64>().ok()) {
                    t.netlink.insert(ino, ());
                }
            }
        }
        t
    }
}

/// Falco's fd.name of an inet socket: `lip:lport->rip:rport` (or `lip:lport` listening).
pub fn tuple_name(t: &SocketTuple) -> String {
    let l = ip_string(&t.local_ip);
    let fmt = |ip: &str, port: u16| format!("{ip}:{port}");
    if t.listening {
        fmt(&l, t.local_port)
    } else {
        format!(
            "{}->{}",
            fmt(&l, t.local_port),
            fmt(&ip_string(&t.remote_ip), t.remote_port)
        )
    }
}

fn fd_info(fd: i32, link: &str, flags: u32, socks: &SocketTable) -> FdInfo {
    let mut info = FdInfo {
        fd,
        name: link.to_string(),
        open_flags: flags,
        ..Default::default()
    };
    let inode_in = |prefix: &str| -> Option<u64> {
        link.strip_prefix(prefix)?
            .strip_suffix(']')?
            .parse::<u64>()
            .ok()
    };
    if let Some(ino) = inode_in("socket:[") {
        info.ino = ino;
        if let Some((v6, t)) = socks.inet.get(&ino) {
            info.fd_type = if *v6 {
                FdType::Ipv6Socket
            } else {
                FdType::Ipv4Socket
            };
            info.name = tuple_name(t);
            info.socket = Some(t.clone());
        } else if let Some(path) = socks.unix.get(&ino) {
            info.fd_type = FdType::UnixSocket;
            info.name = path.clone();
        } else if socks.netlink.contains_key(&ino) {
            info.fd_type = FdType::Netlink;
            info.name = String::new();
        } else {
            info.fd_type = FdType::Other;
        }
    } else if let Some(ino) = inode_in("pipe:[") {
        info.ino = ino;
        info.fd_type = FdType::Pipe;
    } else if let Some(kind) = link.strip_prefix("anon_inode:") {
        let kind = kind.trim_start_matches('[').trim_end_matches(']');
        info.fd_type = match kind {
            "eventfd" => FdType::Event,
            "signalfd" => FdType::Signalfd,
            "inotify" => FdType::Inotify,
            "timerfd" => FdType::Timerfd,
            "bpf-map" | "bpf-prog" | "bpf_link" | "bpf-link" => FdType::Bpf,
            "userfaultfd" => FdType::Userfaultfd,
            "io_uring" => FdType::IoUring,
            _ => FdType::Other,
        };
        info.name = String::new();
    } else if let Some(name) = link.strip_prefix("/memfd:") {
        info.fd_type = FdType::Memfd;
        info.name = format!("memfd:{}", name.trim_end_matches(" (deleted)"));
    } else if link.starts_with('/') {
        info.fd_type = if fs::metadata(link).map(|m| m.is_dir()).unwrap_or(false) {
            FdType::Directory
        } else {
            FdType::File
        };
    } else {
        info.fd_type = FdType::Other;
    }
    info
}

fn read_fds(dir: &Path, socks: &SocketTable) -> Vec<FdInfo> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir.join("fd")) else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(fd) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(link) = fs::read_link(e.path()) else {
            continue;
        };
        let link = link.to_string_lossy().into_owned();
        let flags = fs::read_to_string(dir.join("fdinfo").join(fd.to_string()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("flags:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            })
            .unwrap_or(0);
        out.push(fd_info(fd, &link, flags, socks));
    }
    out.sort_by_key(|f| f.fd);
    out
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim())
}

fn ids(v: Option<&str>) -> [u32; 4] {
    let mut o = [0u32; 4];
    if let Some(v) = v {
        for (i, x) in v.split_whitespace().take(4).enumerate() {
            o[i] = x.parse().unwrap_or(0);
        }
    }
    o
}

/// The last id of an `NSpid:`/`NStgid:` line: the id in the task's own
/// (innermost) pid namespace; 0 when the line is missing (kernels < 4.1).
fn innermost_id(v: Option<&str>) -> u32 {
    v.and_then(|v| v.split_whitespace().last())
        .and_then(|x| x.parse().ok())
        .unwrap_or(0)
}

fn hex_cap(v: Option<&str>) -> u64 {
    v.and_then(|v| u64::from_str_radix(v, 16).ok()).unwrap_or(0)
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// One thread from /proc/<pid>/task/<tid>.
fn read_thread(
    proc_dir: &Path,
    tdir: &Path,
    pid: u32,
    tid: u32,
    leader: Option<&ThreadInfo>,
    with_env: bool,
    socks: &SocketTable,
) -> Option<ThreadInfo> {
    let status = fs::read_to_string(tdir.join("status")).ok()?;
    let stat = fs::read_to_string(tdir.join("stat")).ok()?;
    // comm may contain spaces and parens: fields start after the last ')'.
    let rp = stat.rfind(')')?;
    let comm = stat[stat.find('(')? + 1..rp].to_string();
    let f: Vec<&str> = stat[rp + 2..].split_whitespace().collect();
    // f[0]=state f[1]=ppid f[2]=pgrp f[3]=session f[4]=tty_nr ... f[19]=starttime
    let ppid: u32 = f.get(1)?.parse().ok()?;
    let pgid: u32 = f.get(2)?.parse().unwrap_or(0);
    let sid: u32 = f.get(3)?.parse().unwrap_or(0);
    let tty: u32 = f.get(4)?.parse::<i64>().unwrap_or(0) as u32;
    let start_ticks: u64 = f.get(19).and_then(|s| s.parse().ok()).unwrap_or(0);
    let uid = ids(status_field(&status, "Uid:"));
    let gid = ids(status_field(&status, "Gid:"));
    let mut t = ThreadInfo {
        tid,
        pid,
        ppid,
        comm,
        uid: uid[0],
        euid: uid[1],
        gid: gid[0],
        egid: gid[1],
        tty,
        sid,
        pgid,
        start_ns: start_ticks.saturating_mul(1_000_000_000) / clock_ticks(),
        cap_effective: hex_cap(status_field(&status, "CapEff:")),
        cap_permitted: hex_cap(status_field(&status, "CapPrm:")),
        cap_inheritable: hex_cap(status_field(&status, "CapInh:")),
        // libsinsp's vtid/vpid (proc.vpid: 1 for a container's init)
        vtid: innermost_id(status_field(&status, "NSpid:")),
        vpid: innermost_id(status_field(&status, "NStgid:")),
        loginuid: fs::read_to_string(tdir.join("loginuid"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(u32::MAX),
        ..Default::default()
    };
    if let Some(l) = leader {
        t.exe = l.exe.clone();
        t.args = l.args.clone();
        t.cgroup = l.cgroup.clone();
        t.env = l.env.clone();
    } else {
        t.exe = fs::read_link(proc_dir.join("exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        t.args = fs::read(proc_dir.join("cmdline"))
            .map(|b| split_nul_list(&b))
            .unwrap_or_default();
        // Falco's proc.args excludes argv[0]; keep the full argv here (args[0] = argv0).
        t.cgroup = fs::read_to_string(proc_dir.join("cgroup"))
            .ok()
            .and_then(|s| s.lines().next().map(|l| l.to_string()))
            .unwrap_or_default();
        if with_env {
            t.env = fs::read(proc_dir.join("environ"))
                .ok()
                .map(|b| split_nul_list(&b));
        }
        t.fds = read_fds(proc_dir, socks);
    }
    t.cwd = fs::read_link(tdir.join("cwd"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(t)
}

/// Snapshot every thread under `root` (normally /proc).
pub fn snapshot_at(root: &Path, with_env: bool, taken_at_ns: u64) -> ProcessSnapshot {
    let socks = SocketTable::read(root);
    let mut threads = Vec::new();
    let Ok(rd) = fs::read_dir(root) else {
        return ProcessSnapshot {
            taken_at_ns,
            threads,
            ..Default::default()
        };
    };
    let mut pids: Vec<u32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let pdir = root.join(pid.to_string());
        let Some(leader) = read_thread(&pdir, &pdir, pid, pid, None, with_env, &socks) else {
            continue; // exited meanwhile
        };
        let mut tids: Vec<u32> = fs::read_dir(pdir.join("task"))
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
                    .filter(|&t| t != pid)
                    .collect()
            })
            .unwrap_or_default();
        tids.sort_unstable();
        let mut others = Vec::new();
        for tid in tids {
            let tdir = pdir.join("task").join(tid.to_string());
            if let Some(t) = read_thread(&pdir, &tdir, pid, tid, Some(&leader), with_env, &socks) {
                others.push(t);
            }
        }
        threads.push(leader);
        threads.extend(others);
    }
    ProcessSnapshot {
        taken_at_ns,
        threads,
        ..Default::default()
    }
}

/// Snapshot of the live system.
pub fn snapshot(with_env: bool) -> ProcessSnapshot {
    snapshot_since(with_env, crate::boottime_ns())
}

/// Snapshot /proc, stamped `taken_at_ns`: a rotation reads the clock before
/// it starts the snapshot thread and keeps every record from that instant
/// on, so the stamp must be that same instant, not one the thread reads
/// later (or earlier: a new thread may run before its spawner returns).
pub fn snapshot_since(with_env: bool, taken_at_ns: u64) -> ProcessSnapshot {
    let mut snap = snapshot_at(Path::new("/proc"), with_env, taken_at_ns);
    // Falco's user and group tables: names for user.name and group.name.
    let read = |p: &str| fs::read_to_string(p).unwrap_or_default();
    snap.users = sysreplay_format::meta::parse_passwd(&read("/etc/passwd"));
    snap.groups = sysreplay_format::meta::parse_group(&read("/etc/group"));
    snap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_addresses() {
        let (ip, port) = parse_addr("0100007F:1F90").unwrap();
        assert_eq!(ip_string(&ip), "127.0.0.1");
        assert_eq!(port, 8080);
        let (ip, _) = parse_addr("00000000000000000000000001000000:0016").unwrap();
        assert_eq!(ip_string(&ip), "::1");
        let t = SocketTuple {
            l4proto: 6,
            local_ip: parse_addr("0100007F:0").unwrap().0,
            local_port: 40000,
            remote_ip: parse_addr("0100007F:0").unwrap().0,
            remote_port: 80,
            listening: false,
        };
        assert_eq!(tuple_name(&t), "127.0.0.1:40000->127.0.0.1:80");
    }

    /// A container's init seen from the host: NSpid lists the host's id,
    /// then its own; the last one is libsinsp's vtid/vpid.
    #[test]
    fn namespace_ids_are_the_innermost() {
        let status = "Name:\tnginx\nNStgid:\t25754\t1\nNSpid:\t25755\t7\n";
        assert_eq!(innermost_id(status_field(status, "NSpid:")), 7);
        assert_eq!(innermost_id(status_field(status, "NStgid:")), 1);
        assert_eq!(innermost_id(status_field("Name:\tx\n", "NSpid:")), 0);
    }

    #[test]
    fn snapshot_of_this_process_has_its_fds() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let cport = c.local_addr().unwrap().port();
        let f = std::fs::File::open("/proc/self/status").unwrap();
        let snap = snapshot(false);
        let me = std::process::id();
        let t = snap
            .threads
            .iter()
            .find(|t| t.tid == me)
            .expect("own thread");
        assert_eq!(t.pid, me);
        assert_eq!(t.ppid, std::os::unix::process::parent_id());
        assert!(t.exe.len() > 1);
        let names: Vec<&str> = t.fds.iter().map(|f| f.name.as_str()).collect();
        assert!(
            names.contains(&format!("127.0.0.1:{port}").as_str()),
            "{names:?}"
        );
        assert!(
            names.contains(&format!("127.0.0.1:{cport}->127.0.0.1:{port}").as_str()),
            "{names:?}"
        );
        assert!(names.iter().any(|n| n.ends_with("/status")), "{names:?}");
        // our ids in our own pid namespace, as /proc/self/status has them
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let ns = innermost_id(status_field(&status, "NStgid:"));
        assert!(ns != 0, "NStgid in {status}");
        assert_eq!((t.vtid, t.vpid), (ns, ns));
        let sock = t
            .fds
            .iter()
            .find(|f| f.name == format!("127.0.0.1:{port}"))
            .unwrap();
        assert_eq!(sock.fd_type, FdType::Ipv4Socket);
        assert!(sock.socket.as_ref().unwrap().listening);
        drop((l, c, f));
    }
}
