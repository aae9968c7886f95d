//! `sysreplay import` on the upstream Falco/libs captures, checked against
//! sysdig 0.29.3's text output of the same files (the golden files in
//! `../shared/upstream/scap-sysdig-0.29.3/`), and `sysreplay eval` with the
//! three upstream rules files on every imported capture.
//!
//! Expected differences, asserted explicitly:
//! - sysdig prints enter (`>`) and exit (`<`) events; we write one record per
//!   syscall at its exit. Every `>` line of a converted type must be one of
//!   our merged (or orphaned) enter events, and every `<` line one record.
//! - `procexit` is an enter-coded event in scap; it is our PROC_EXIT record.
//! - PROC_FORK / PROC_EXEC records have no sysdig line of their own.
//! - Every syscall event is a record (none is left unconverted). Generic
//!   `syscall` events (PPME_GENERIC) are printed by sysdig under the name its
//!   table gives the event's syscall id (`<unknown>` when it has none, e.g.
//!   fadvise64 in cat_write.scap; `sigreturn` for x86_64's rt_sigreturn); our
//!   record is named after the native syscall number. Enter-only syscalls
//!   (exit_group, rt_sigreturn) are merged+orphaned enters with no record.
//! - Event codes newer than sysdig 0.29.3's table (>= 336) are skipped by
//!   sysdig; the only ones in these captures are the user/group added meta
//!   events (354/358 in sample.scap), which are internal for us.
//! - `container` JSON events: libscap-internal for us; sysdig 0.29.3 prints
//!   some of them.
//! - Our sendto/recvfrom/recvmsg tuples know only the address the syscall
//!   names, so only that end is compared; connect and accept tuples carry
//!   the socket's own end too (LOCAL_ADDR) and are compared whole.
//!
//! Everything else (event counts per type and direction, timestamps, thread
//! ids, process names, fds, results, paths, addresses, sizes) must agree.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use sysreplay_testkit as testkit;

fn bin() -> Command {
    sysreplay_testkit::cli!().command()
}

/// `../shared/upstream` with its captures, or None after reporting `test`
/// skipped.
fn upstream(test: &str) -> Option<PathBuf> {
    let found = sysreplay_testkit::upstream().and_then(|p| {
        if p.join("scap").is_dir() {
            Ok(p)
        } else {
            Err(format!(
                "needs {} (the upstream captures)",
                p.join("scap").display()
            ))
        }
    });
    testkit::or_skip(found, test)
}

fn captures(up: &Path) -> Vec<PathBuf> {
    let out = testkit::upstream_captures(up);
    assert!(out.len() >= 16, "expected the 16 upstream captures");
    out
}

/// One line of sysdig's default output.
#[derive(Debug, Clone)]
struct Line {
    time: String,
    proc_name: String,
    tid: i64,
    dir: char,
    ty: String,
    args: HashMap<String, String>,
}

fn parse_args(s: &str) -> HashMap<String, String> {
    // `k=v` tokens; values never need their spaces for what we compare.
    s.split(' ')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse_sysdig(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for l in text.lines() {
        if l.trim().is_empty() {
            continue;
        }
        // num time cpu proc (tid) dir type info
        let mut it = l.splitn(4, ' ');
        let _num = it.next().unwrap();
        let time = it.next().unwrap().to_string();
        let _cpu = it.next().unwrap();
        let rest = it.next().unwrap();
        // The proc name may contain spaces: find " (<tid>) ".
        let mut found = None;
        for (i, _) in rest.match_indices(" (") {
            let after = &rest[i + 2..];
            if let Some(j) = after.find(") ") {
                if let Ok(tid) = after[..j].parse::<i64>() {
                    found = Some((i, tid, &after[j + 2..]));
                    break;
                }
            }
        }
        let (i, tid, tail) = found.unwrap_or_else(|| panic!("bad sysdig line: {l}"));
        let mut t = tail.splitn(3, ' ');
        let dir = t.next().unwrap().chars().next().unwrap();
        let ty = t.next().unwrap().to_string();
        let info = t.next().unwrap_or("");
        out.push(Line {
            time,
            proc_name: rest[..i].to_string(),
            tid,
            dir,
            ty,
            args: parse_args(info),
        });
    }
    out
}

/// One line of `sysreplay cat --json`.
#[derive(Debug)]
struct Ours {
    time: String,
    proc_name: String,
    tid: i64,
    ty: String,
    args: HashMap<String, String>,
}

fn parse_ours(text: &str) -> Vec<Ours> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let iso = v["time"].as_str().unwrap();
            let time = iso
                .split_once('T')
                .unwrap()
                .1
                .trim_end_matches('Z')
                .to_string();
            Ours {
                time,
                proc_name: v["proc"].as_str().unwrap().to_string(),
                tid: v["tid"].as_i64().unwrap(),
                ty: v["type"].as_str().unwrap().to_string(),
                args: parse_args(v["info"].as_str().unwrap()),
            }
        })
        .collect()
}

/// The sysdig event type of the syscall our record (or report entry) is
/// named after: Falco's spelling (`pread64` -> `pread`), and the names
/// sysdig 0.29.3's tables give (accept4 events are `accept`; its syscall
/// id for x86_64's rt_sigreturn, 15, is named `sigreturn`).
fn sysdig_type(ours: &str) -> String {
    match ours {
        "accept4" => "accept".into(),
        "rt_sigreturn" => "sigreturn".into(),
        other => sysreplay_syscalls::sets::x86_64_number(other)
            .and_then(sysreplay_syscalls::sets::falco_name)
            .unwrap_or(other)
            .to_string(),
    }
}

/// The number at the start of a value (`3(<f>/etc/x)`, `-2(ENOENT)`).
fn num(v: &str) -> Option<i64> {
    let end = v
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(v.len(), |(i, _)| i);
    v[..end].parse().ok()
}

fn tuple_side(v: &str, dst: bool) -> Option<&str> {
    let (a, b) = v.split_once("->")?;
    Some(if dst { b } else { a })
}

fn import(scap: &Path, out: &Path) -> serde_json::Value {
    let mut c = bin();
    c.arg("import").arg(scap).arg("-o").arg(out);
    let (json, _) = testkit::run_ok(c.args(["--force", "--json"]));
    serde_json::from_str(&json).unwrap()
}

fn cat_json(trace: &Path) -> String {
    testkit::run_ok(bin().arg("cat").arg("--json").arg(trace)).0
}

fn map_of(v: &serde_json::Value) -> BTreeMap<String, u64> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// Compare one capture with its golden output; returns the number of
/// syscall records whose arguments were compared.
fn compare(scap: &Path, golden: &Path, dir: &Path) -> usize {
    let name = scap.file_name().unwrap().to_string_lossy().to_string();
    let trace = dir.join(format!("{name}.srt"));
    let report = import(scap, &trace);
    let sysdig = parse_sysdig(&std::fs::read_to_string(golden).unwrap());
    let ours = parse_ours(&cat_json(&trace));
    let converted = map_of(&report["converted"]);
    let merged = map_of(&report["enter_merged"]);
    let orphaned = map_of(&report["enter_orphaned"]);
    let unconverted = map_of(&report["unconverted"]);
    let internal = map_of(&report["internal"]);
    let procs = map_of(&report["process_records"]);

    // --- counts per type and direction ---
    let mut sd: BTreeMap<(String, char), u64> = BTreeMap::new();
    for l in &sysdig {
        *sd.entry((l.ty.clone(), l.dir)).or_default() += 1;
    }
    let by_type = |m: &BTreeMap<String, u64>| {
        m.iter()
            .fold(BTreeMap::new(), |mut m: BTreeMap<String, u64>, (k, v)| {
                *m.entry(sysdig_type(k)).or_default() += v;
                m
            })
    };
    let conv_types = by_type(&converted);
    let merged = by_type(&merged);
    let orphaned = by_type(&orphaned);
    // Generic events whose syscall id sysdig 0.29.3's table lacks: it
    // prints them as `<unknown>`, we name them by their native number. Our
    // records at the time and thread of a sysdig `<unknown>` exit line, by
    // type.
    let unknown_exits: std::collections::HashSet<(&str, i64)> = sysdig
        .iter()
        .filter(|l| l.ty == "<unknown>" && l.dir == '<')
        .map(|l| (l.time.as_str(), l.tid))
        .collect();
    let mut unknown_as: BTreeMap<String, u64> = BTreeMap::new();
    for o in &ours {
        let t = sysdig_type(&o.ty);
        if !sd.contains_key(&(t.clone(), '<')) && unknown_exits.contains(&(o.time.as_str(), o.tid))
        {
            *unknown_as.entry(t).or_default() += 1;
        }
    }
    let enters =
        |ty: &str| merged.get(ty).copied().unwrap_or(0) + orphaned.get(ty).copied().unwrap_or(0);
    for ((ty, d), n) in &sd {
        let ctx = format!("{name}: {ty} {d}");
        if ty == "procexit" {
            assert_eq!(*d, '>', "{ctx}");
            assert_eq!(procs.get("procexit").copied().unwrap_or(0), *n, "{ctx}");
        } else if ty == "container" {
            assert!(
                internal.get("container").copied().unwrap_or(0) >= *n,
                "{ctx}"
            );
        } else if ty == "<unknown>" {
            let ours: u64 = if *d == '<' {
                unknown_as.values().sum()
            } else {
                unknown_as.keys().map(|t| enters(t)).sum()
            };
            assert_eq!(ours, *n, "{ctx}: {unknown_as:?}");
        } else if *d == '<' && conv_types.contains_key(ty) {
            assert_eq!(conv_types[ty], *n, "{ctx}: records vs sysdig exit lines");
        } else if *d == '>' && enters(ty) > 0 {
            // exit_group and sigreturn have no exit
            assert_eq!(
                enters(ty),
                *n,
                "{ctx}: merged+orphaned enters vs sysdig enter lines"
            );
        } else if let Some(u) = unconverted.get(&format!("{ty} {d}")) {
            assert_eq!(u, n, "{ctx}: unconverted count");
        } else {
            panic!("{ctx}: sysdig shows {n} events we neither convert nor count");
        }
    }
    // Nothing we report is missing from sysdig, except events sysdig 0.29.3
    // does not know (codes >= 336).
    for (k, v) in &unconverted {
        let (ty, d) = k.rsplit_once(' ').unwrap();
        let d = d.chars().next().unwrap();
        // Every syscall event is a record (issue 10): only tracepoints
        // (switch, signaldeliver, ...) and syscalls x86_64 lacks stay out.
        assert!(
            ty != "syscall" && sysreplay_syscalls::sets::x86_64_number(ty).is_none(),
            "{name}: {k} x{v} not converted"
        );
        if let Some(code) = ty.strip_prefix("event_") {
            let code: u32 = code.parse().unwrap();
            assert!(code >= 336, "{name}: {k}");
            continue;
        }
        assert_eq!(
            sd.get(&(ty.to_string(), d)),
            Some(v),
            "{name}: unconverted {k}"
        );
    }
    for (k, v) in &converted {
        let t = sysdig_type(k);
        assert_eq!(
            sd.get(&(t.clone(), '<')).copied().unwrap_or(0)
                + unknown_as.get(&t).copied().unwrap_or(0),
            conv_types[&t],
            "{name}: {k} x{v}"
        );
    }

    // --- per event: timestamp, tid, process name, key arguments ---
    let mut exits: HashMap<(String, i64, String), &Line> = HashMap::new();
    for l in &sysdig {
        if l.dir == '<' || l.ty == "procexit" {
            exits.insert((l.time.clone(), l.tid, l.ty.clone()), l);
        }
    }
    let mut compared = 0;
    for o in &ours {
        if matches!(o.ty.as_str(), "procexec" | "procfork" | "container") {
            // our own process records, and container records (sysdig
            // hides container events): no sysdig line
            continue;
        }
        let key = (o.time.clone(), o.tid, sysdig_type(&o.ty));
        let s = exits
            .get(&key)
            .or_else(|| exits.get(&(o.time.clone(), o.tid, "<unknown>".to_string())))
            .unwrap_or_else(|| panic!("{name}: no sysdig line for {o:?}"));
        let ctx = format!("{name}: {} {} {}", o.time, o.tid, o.ty);
        assert_eq!(o.proc_name, s.proc_name, "{ctx}: process name");
        for k in [
            "fd", "res", "size", "name", "path", "filename", "oldpath", "newpath", "addr",
        ] {
            let (Some(a), Some(b)) = (o.args.get(k), s.args.get(k)) else {
                continue;
            };
            match k {
                // addresses (mmap, brk): we print 0x-prefixed hex, sysdig bare hex
                "res" | "addr" if a.starts_with("0x") => {
                    let hex = |v: &str| {
                        let d: String = v.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                        u64::from_str_radix(&d, 16).ok()
                    };
                    assert_eq!(hex(&a[2..]), hex(b), "{ctx}: {k} {a} vs {b}");
                }
                "fd" | "res" | "size" => assert_eq!(num(a), num(b), "{ctx}: {k} {a} vs {b}"),
                _ => {
                    let b = b.split('(').next().unwrap();
                    assert_eq!(a.as_str(), b, "{ctx}: {k}");
                }
            }
        }
        if let (Some(a), Some(b)) = (o.args.get("tuple"), s.args.get("tuple")) {
            if b.contains("->") && a.contains("->") {
                let dst = matches!(o.ty.as_str(), "connect" | "sendto");
                if matches!(o.ty.as_str(), "connect" | "accept" | "accept4") {
                    // both ends: the socket's own end comes through LOCAL_ADDR
                    assert_eq!(a, b, "{ctx}: tuple");
                } else if dst {
                    assert_eq!(tuple_side(a, true), tuple_side(b, true), "{ctx}: tuple");
                } else {
                    assert_eq!(tuple_side(a, false), tuple_side(b, false), "{ctx}: tuple");
                }
            }
        }
        // Buffers: sysdig prints the same printable/dot rendering.
        if let (Some(a), Some(b)) = (o.args.get("data"), s.args.get("data")) {
            if a != "<NA>" {
                assert!(
                    b.starts_with(a.as_str()) || a.starts_with(b.as_str()),
                    "{ctx}: data"
                );
            }
        }
        compared += 1;
    }
    // Every sysdig exit line of a converted type has one record.
    let ours_n = ours
        .iter()
        .filter(|o| !matches!(o.ty.as_str(), "procexec" | "procfork" | "container"))
        .count() as u64;
    let sd_n: u64 = conv_types
        .keys()
        .map(|t| sd.get(&(t.clone(), '<')).copied().unwrap_or(0))
        .sum::<u64>()
        + unknown_as.values().sum::<u64>()
        + sd.get(&("procexit".into(), '>')).copied().unwrap_or(0);
    assert_eq!(
        ours_n, sd_n,
        "{name}: records vs sysdig lines of converted types"
    );
    compared
}

#[test]
fn import_agrees_with_sysdig_on_every_upstream_capture() {
    let Some(up) = upstream("import_agrees_with_sysdig_on_every_upstream_capture") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    let mut files = 0;
    for scap in captures(&up) {
        let rel = scap.strip_prefix(up.join("scap")).unwrap();
        let golden = up
            .join("scap-sysdig-0.29.3")
            .join(format!("{}.txt", rel.display()));
        if std::fs::metadata(&golden).map_or(true, |m| m.len() == 0) {
            continue; // sysdig could not read it, or shows no events
        }
        let n = compare(&scap, &golden, dir.path());
        println!("{}: {n} records matched to sysdig lines", rel.display());
        total += n;
        files += 1;
    }
    assert!(files >= 11, "compared {files} captures");
    assert!(total > 400, "compared only {total} records");
}

#[test]
fn shb_with_options_imports_like_the_same_capture_without() {
    // curl_google_comments.scap = curl_google.scap + 88 bytes of SHB options
    // (sysdig 0.29.3 cannot read it; we skip the options).
    let Some(up) = upstream("shb_with_options_imports_like_the_same_capture_without") else {
        return;
    };
    let d = up.join("scap/libs/test/libsinsp_e2e/resources/captures");
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.srt");
    let b = dir.path().join("b.srt");
    let ra = import(&d.join("curl_google.scap"), &a);
    let rb = import(&d.join("curl_google_comments.scap"), &b);
    assert_eq!(ra["converted"], rb["converted"]);
    assert!(ra["records"].as_u64().unwrap() > 100);
    assert_eq!(cat_json(&a), cat_json(&b));
}

#[test]
fn eval_runs_the_upstream_rules_on_every_imported_capture() {
    let Some(up) = upstream("eval_runs_the_upstream_rules_on_every_imported_capture") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ];
    for scap in captures(&up) {
        let name = scap.file_name().unwrap().to_string_lossy().to_string();
        let trace = dir.path().join(format!("{name}.srt"));
        import(&scap, &trace);
        let mut cmd = bin();
        cmd.arg("eval").arg(&trace);
        for r in rules {
            cmd.arg("-r").arg(up.join("rules").join(r));
        }
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "eval {name}: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn damaged_captures_are_clean_errors_with_offsets() {
    let Some(up) = upstream("damaged_captures_are_clean_errors_with_offsets") else {
        return;
    };
    let src = up.join("scap/libs/userspace/libsinsp/test/resources/sample.scap");
    let good = std::fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (what, bytes) in [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("not scap", b"hello world, this is not a capture".to_vec()),
        ("bad trailer", {
            let mut b = good.clone();
            b[24] ^= 0xff; // the SHB trailer
            b
        }),
    ] {
        let p = dir.path().join("bad.scap");
        std::fs::write(&p, &bytes).unwrap();
        let o = bin()
            .arg("import")
            .arg(&p)
            .arg("-o")
            .arg(dir.path().join("bad.srt"))
            .arg("--force")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains("bad.scap") && err.contains("at byte"),
            "{what}: {err}"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
        // the import streams: a capture found damaged halfway leaves no trace
        assert!(!dir.path().join("bad.srt").exists(), "{what}");
    }
}

/// Whether sysdig is here; if not, `test` is reported skipped.
fn have_sysdig(test: &str) -> bool {
    testkit::or_skip(testkit::sysdig(), test).is_some()
}

/// Our rule engine on the imported capture selects the same syscall events
/// as sysdig's filter on the original capture. Compared: events of the
/// converted types, on main threads (sysdig 0.29.3 takes a thread's creator
/// as its parent; Falco today, and we, take the process's parent).
#[test]
fn our_engine_on_imported_captures_selects_what_sysdig_selects() {
    let Some(up) = upstream("our_engine_on_imported_captures_selects_what_sysdig_selects") else {
        return;
    };
    if !have_sysdig("our_engine_on_imported_captures_selects_what_sysdig_selects") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let caps = [
        "falco/test/trace_files/cat_write.scap",
        "falco/test/trace_files/open-multiple-files.scap",
        "falco/test/trace_files/psp/run_as_user_0_container.scap",
        "libs/test/libsinsp_e2e/resources/captures/curl_google.scap",
        "libs/test/libsinsp_e2e/resources/captures/test_ipv6_client.scap",
        "libs/test/libsinsp_e2e/resources/captures/single_ipv6_conn.scap",
    ];
    let conds = [
        "proc.name=curl",
        "proc.name=cat",
        "proc.pname=bash",
        "evt.type=open and fd.name startswith /etc",
        "evt.type in (open,openat) and fd.name contains lib",
        "evt.type=connect",
        "evt.type=execve",
    ];
    let types = "open,close,read,write,socket,bind,connect,listen,accept,sendto,recvfrom,sendmsg,pipe,execve,clone,procexit";
    let mut nonempty = 0;
    for c in caps {
        let scap = up.join("scap").join(c);
        let trace = dir.path().join("t.srt");
        import(&scap, &trace);
        for cond in conds {
            let fmt = "%evt.rawtime %thread.tid %proc.pid %evt.type %proc.name";
            let ours = testkit::rule_matches(&testkit::cli!(), &trace, cond, fmt);
            let main_thread = |l: &String| {
                let f: Vec<&str> = l.split(' ').collect();
                f.len() > 3 && f[1] == f[2] && types.split(',').any(|t| t == f[3])
            };
            let ours: BTreeMap<String, ()> = ours
                .into_iter()
                // An unknown process name: empty for us, <NA> for sysdig.
                .map(|l| {
                    if l.ends_with(' ') {
                        format!("{l}<NA>")
                    } else {
                        l
                    }
                })
                .filter(main_thread)
                .map(|l| (l, ()))
                .collect();
            let filter = format!("({cond}) and (evt.dir=< or evt.type=procexit)");
            let theirs: BTreeMap<String, ()> = testkit::sysdig_lines(&scap, fmt, Some(&filter))
                .into_iter()
                .filter(main_thread)
                .map(|l| (l, ()))
                .collect();
            let only_ours: Vec<_> = ours
                .keys()
                .filter(|k| !theirs.contains_key(*k))
                .take(4)
                .collect();
            let only_theirs: Vec<_> = theirs
                .keys()
                .filter(|k| !ours.contains_key(*k))
                .take(4)
                .collect();
            assert!(
                only_ours.is_empty() && only_theirs.is_empty(),
                "{c}: {cond}: ours {} sysdig {}; only ours {only_ours:?}; only sysdig {only_theirs:?}",
                ours.len(),
                theirs.len()
            );
            if !ours.is_empty() {
                nonempty += 1;
            }
        }
    }
    assert!(nonempty >= 12, "only {nonempty} non-empty comparisons");
}

/// sysdig on the upstream capture `capture` (a path under the captures'
/// `scap/` folder) and our engine on its import: the lines `fmt` prints for
/// the events `cond` selects and `keep` keeps, (ours, sysdig's). None when
/// the test cannot run (said on stderr).
fn ours_and_sysdigs(
    test: &str,
    capture: &str,
    cond: &str,
    fmt: &str,
    keep: impl Fn(&str) -> bool,
) -> Option<(Vec<String>, Vec<String>)> {
    let up = upstream(test)?;
    if !have_sysdig(test) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let scap = up.join("scap").join(capture);
    let trace = dir.path().join("imported.srt");
    import(&scap, &trace);
    Some(selections(&scap, &trace, cond, fmt, keep))
}

/// What sysdig's filter `cond` selects on `scap` (exit events and procexit)
/// and what our engine selects on its import `trace`, both printed with
/// `fmt`, keeping the lines `keep` accepts.
fn selections(
    scap: &Path,
    trace: &Path,
    cond: &str,
    fmt: &str,
    keep: impl Fn(&str) -> bool,
) -> (Vec<String>, Vec<String>) {
    let mut ours = testkit::rule_matches(&testkit::cli!(), trace, cond, fmt);
    ours.retain(|l| keep(l));
    let filter = format!("({cond}) and (evt.dir=< or evt.type=procexit)");
    let mut theirs = testkit::sysdig_lines(scap, fmt, Some(&filter));
    theirs.retain(|l| keep(l));
    ours.sort();
    theirs.sort();
    (ours, theirs)
}

/// A process already running when the capture started keeps its whole
/// argv: scap's process list has argv[0] as `exe` and the rest as `args`
/// (issue 10: `proc.cmdline="multipathd -d -s"` selected nothing, the
/// import dropped argv[0] so `-d` became proc.exe).
#[test]
fn running_processes_keep_their_command_line() {
    let test = "running_processes_keep_their_command_line";
    let Some(up) = upstream(test) else {
        return;
    };
    if !have_sysdig(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scap = up.join("scap/libs/userspace/libsinsp/test/resources/sample.scap");
    let trace = dir.path().join("sample.srt");
    import(&scap, &trace);
    let fmt = "%evt.rawtime %thread.tid %evt.type %proc.exe %proc.cmdline %proc.args";
    let rw = |l: &str| {
        let ty = l.split(' ').nth(2).unwrap_or("");
        ty == "read" || ty == "write"
    };
    for cond in [
        "proc.cmdline=\"multipathd -d -s\"",
        "proc.exe=/sbin/multipathd",
        "evt.type in (read,write)",
    ] {
        let (ours, theirs) = selections(&scap, &trace, cond, fmt, rw);
        assert!(!theirs.is_empty(), "{cond}");
        assert_eq!(ours, theirs, "{cond}");
    }
}

/// An execve whose exit has an empty `cwd` (run_as_user_0_container: `ls`
/// exec'd in a container) keeps the thread's cwd: exec does not change it,
/// and libsinsp does not take the exit's cwd (issue 10: ours became "").
#[test]
fn exec_with_an_empty_cwd_keeps_the_previous_one() {
    let fmt = "%evt.rawtime %thread.tid %evt.type %proc.name %proc.cwd";
    let types = ["open", "openat", "read", "write", "close", "execve"];
    let keep = |l: &str| types.contains(&l.split(' ').nth(2).unwrap_or(""));
    let Some((ours, theirs)) = ours_and_sysdigs(
        "exec_with_an_empty_cwd_keeps_the_previous_one",
        "falco/test/trace_files/psp/run_as_user_0_container.scap",
        "thread.tid=32052",
        fmt,
        keep,
    ) else {
        return;
    };
    assert!(theirs.len() > 10, "{theirs:?}");
    assert!(theirs.iter().all(|l| l.ends_with(" /")), "{theirs:?}");
    assert_eq!(ours, theirs);
}

/// A process exec'd into a container during the capture is in that
/// container: the execve exit's `cgroups` go into the PROC_EXEC record
/// (item CGROUPS) and the engine takes `container.id` from them, as
/// libsinsp does (issue 10: the import dropped them, so such a process and
/// its children were `host`).
#[test]
fn exec_cgroups_give_the_container_id() {
    let test = "exec_cgroups_give_the_container_id";
    let Some(up) = upstream(test) else {
        return;
    };
    if !have_sysdig(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fmt = "%evt.rawtime %thread.tid %evt.type %proc.name %container.id";
    let types = [
        "open", "openat", "read", "write", "close", "execve", "clone", "socket", "connect",
    ];
    let keep = |l: &str| types.contains(&l.split(' ').nth(2).unwrap_or(""));
    let mut seen = 0;
    for c in [
        "run_as_user_0_container.scap",
        "run_as_user_65534_container.scap",
        "write_tmp_test.scap",
    ] {
        let scap = up.join("scap/falco/test/trace_files/psp").join(c);
        let trace = dir.path().join(format!("{c}.srt"));
        import(&scap, &trace);
        for cond in [
            "container.id!=host",
            "container.id=host and proc.name in (bash,ls,sh)",
        ] {
            let (ours, theirs) = selections(&scap, &trace, cond, fmt, keep);
            assert_eq!(ours, theirs, "{c}: {cond}");
            // every capture has container events of these types
            assert!(cond != "container.id!=host" || !theirs.is_empty(), "{c}");
            seen += theirs.len();
        }
        if c == "run_as_user_65534_container.scap" {
            // `cat` shows the item on the exec record
            let text = cat_json(&trace);
            assert!(
                text.lines().any(|l| l.contains("\"procexec\"")
                    && l.contains("cgroups=cpuset=/docker/697956520d89")),
                "{text}"
            );
        }
    }
    assert!(seen > 40, "{seen}");
}

/// The capture's container JSON events become container records, so the
/// engine knows each container's name, image, privileged flag and mounts as
/// libsinsp does, in the capture's order (run_as_user_0_container describes
/// its container first "incomplete", then complete: the last one counts).
/// Issue 10: the import dropped them, so every such field had no value.
#[test]
fn container_events_give_container_metadata() {
    let test = "container_events_give_container_metadata";
    let Some(up) = upstream(test) else {
        return;
    };
    if !have_sysdig(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fmt = "%evt.rawtime %thread.tid %evt.type %container.name %container.image \
               %container.image.repository %container.image.tag %container.image.id \
               %container.privileged %container.type %container.mounts";
    let types = [
        "open", "openat", "read", "write", "close", "execve", "clone",
    ];
    let keep = |l: &str| types.contains(&l.split(' ').nth(2).unwrap_or(""));
    let mut seen = 0;
    for c in [
        "psp/run_as_user_0_container.scap",
        "psp/privileged.scap",
        "psp/write_tmp_test.scap",
    ] {
        let scap = up.join("scap/falco/test/trace_files").join(c);
        let trace = dir.path().join("c.srt");
        let _ = std::fs::remove_file(&trace);
        import(&scap, &trace);
        for cond in [
            "container.id!=host",
            "container.image.repository exists and container.privileged=true",
            "container.id=host and container.name=host and proc.name in (bash,ls,sh)",
        ] {
            let (ours, theirs) = selections(&scap, &trace, cond, fmt, keep);
            assert_eq!(ours, theirs, "{c}: {cond}");
            seen += theirs.len();
        }
        let (ours, theirs) =
            selections(&scap, &trace, "container.image.repository=nginx", fmt, keep);
        assert_eq!(ours, theirs, "{c}");
        if c.contains("run_as_user_0") {
            assert!(theirs.len() > 10, "{theirs:?}");
            assert!(theirs
                .iter()
                .all(|l| l.contains(" hopeful_taussig nginx nginx latest ")));
            // `cat` shows the records (JSON parsed in --json), `info` counts them
            let text = cat_json(&trace);
            let recs: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("\"container\""))
                .collect();
            assert_eq!(recs.len(), 2, "{text}");
            assert!(recs[1].contains("\"name\":\"hopeful_taussig\""), "{recs:?}");
            let (info, _) = testkit::run_ok(bin().arg("info").arg(&trace));
            assert!(
                info.lines()
                    .any(|l| l.split_whitespace().eq(["container", "2"])),
                "{info}"
            );
        }
    }
    assert!(seen > 40, "{seen}");
}

/// `replay` hands container records to the engine whatever the simulated
/// rings do (Falco gets container metadata from the runtime, not the
/// driver): in run_as_user_0_container every event in a container is in
/// the nginx one, so a rule on the image fires exactly as often as the same
/// rule on `container.id != host`, on the lean `--speed max` path and on
/// the paced one.
#[test]
fn replay_knows_the_containers_of_an_imported_capture() {
    let test = "replay_knows_the_containers_of_an_imported_capture";
    let Some(up) = upstream(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scap = up.join("scap/falco/test/trace_files/psp/run_as_user_0_container.scap");
    let trace = dir.path().join("c.srt");
    import(&scap, &trace);
    let rules = dir.path().join("r.yaml");
    let alerts = |cond: &str, speed: &str| {
        let rule = format!(
            "- rule: r\n  desc: t\n  condition: {cond}\n  output: \"X %proc.name\"\n  priority: WARNING\n"
        );
        std::fs::write(&rules, rule).unwrap();
        let (out, _) = testkit::run_ok(
            bin()
                .arg("replay")
                .arg(&trace)
                .arg("-r")
                .arg(&rules)
                .args(["--json", "--speed", speed]),
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["consumer"]["alerts"].as_u64().unwrap()
    };
    let types = "evt.type in (open, read, close)";
    for speed in ["max", "1"] {
        let by_id = alerts(&format!("{types} and container.id != host"), speed);
        assert!(by_id > 10, "--speed {speed}: {by_id}");
        let by_image = alerts(
            &format!("{types} and container.image.repository = nginx and container.name = hopeful_taussig"),
            speed,
        );
        assert_eq!(by_image, by_id, "--speed {speed}");
    }
}

/// Every syscall event of a capture is a record, so an imported capture
/// replays at its real event rate: `sysreplay replay` counts one record per
/// sysdig exit line (all syscalls here: mmap, fstat, futex, generic
/// events, ...), plus our process records (issue 10: 3,244 of 4,143
/// events were dropped as unconverted).
#[test]
fn imported_captures_replay_every_syscall() {
    let test = "imported_captures_replay_every_syscall";
    let Some(up) = upstream(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for c in [
        "falco/test/trace_files/psp/run_as_user_0_container.scap",
        "libs/test/libsinsp_e2e/resources/captures/curl_google.scap",
        "falco/test/trace_files/cat_write.scap",
    ] {
        let scap = up.join("scap").join(c);
        let golden = up.join("scap-sysdig-0.29.3").join(format!("{c}.txt"));
        let exits = parse_sysdig(&std::fs::read_to_string(&golden).unwrap())
            .iter()
            .filter(|l| l.dir == '<')
            .count() as u64;
        let trace = dir.path().join("t.srt");
        let report = import(&scap, &trace);
        let procs: u64 = map_of(&report["process_records"]).values().sum();
        let records = report["records"].as_u64().unwrap();
        assert_eq!(
            records - procs,
            exits,
            "{c}: syscall records vs sysdig exits"
        );
        let o = bin()
            .arg("replay")
            .arg(&trace)
            .arg("-r")
            .arg(up.join("rules/falco_rules.yaml"))
            .arg("--json")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["trace"]["records"].as_u64(), Some(records), "{c}");
        assert!(v["trace"]["duration_s"].as_f64().unwrap() > 0.0, "{c}");
    }
}

/// Generic scap events have no arguments and no return value: the import
/// writes none for a syscall whose record the rule engine's state reads
/// (its parser, or a new fd from the return value), since ret 0 and zero
/// arguments would make up a change (setreuid(0, 0), a new fd 0).
#[test]
fn generic_events_never_make_up_state_changes() {
    use sysreplay_ruleeval::sc;
    use sysreplay_ruleeval::state::FdRole;
    let mut n = 0;
    for nr in 0..sysreplay_syscalls::MAX_SYSCALLS as u16 {
        // Reads and writes (Parser::Rw) act on their fd argument only, and
        // a generic record's fd is -1 (no fd: `other` in the import), so
        // they are written: an imported capture keeps its read/write rate.
        if matches!(sc::parser(nr), sc::Parser::Rw(_)) {
            continue;
        }
        if sc::parser(nr) != sc::Parser::None || sc::fd_role(nr) == FdRole::Ret {
            assert!(
                sysreplay_scap::import::generic_needs_arguments(nr),
                "{}",
                sysreplay_syscalls::display_name(nr)
            );
            n += 1;
        }
    }
    assert!(n > 40, "{n}");
}

/// Syscall events without a specific conversion keep their fds in the
/// registers our engine reads, so `fd.num` (and `fd.name` where the fd is
/// known) on them equal sysdig's on the original capture (exit events of
/// these types in sysdig's unfiltered output).
#[test]
fn other_syscall_records_keep_their_fds() {
    let test = "other_syscall_records_keep_their_fds";
    let Some(up) = upstream(test) else {
        return;
    };
    if !have_sysdig(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let types = [
        "fstat",
        "mmap",
        "ioctl",
        "fcntl",
        "getdents",
        "ftruncate",
        "brk",
        "munmap",
        "access",
        "stat",
        "mprotect",
        "futex",
        "poll",
        "select",
        "nanosleep",
        "epoll_wait",
    ];
    let fields = "%evt.rawtime %thread.tid %evt.type %proc.name %fd.num";
    let mut seen = 0;
    for c in [
        "falco/test/trace_files/cat_write.scap",
        "libs/test/libsinsp_e2e/resources/captures/curl_google.scap",
        "falco/test/trace_files/psp/run_as_user_0_container.scap",
    ] {
        let scap = up.join("scap").join(c);
        let trace = dir.path().join("t.srt");
        import(&scap, &trace);
        let cond = format!("evt.type in ({})", types.join(","));
        // An unknown fd: <NA> for us, "" for sysdig 0.29.3.
        let mut ours = testkit::rule_matches(&testkit::cli!(), &trace, &cond, fields);
        // `*`: print lines with fields that have no value too
        let sysdig = testkit::sysdig_lines(&scap, &format!("*{fields} %evt.dir"), None);
        // libs master marks mmap EF_USES_FD (fd.num is its fd argument, -1
        // for an anonymous map); sysdig 0.29.3 does not (<NA>): its mmap
        // exit gets the fd of the thread's mmap enter line in the golden
        // output, keyed by (nanoseconds within the second, tid) of the exit.
        let golden = up.join("scap-sysdig-0.29.3").join(format!("{c}.txt"));
        let mut enter_fd: HashMap<i64, i64> = HashMap::new();
        let mut mmap_fd: HashMap<(String, String), i64> = HashMap::new();
        for l in parse_sysdig(&std::fs::read_to_string(&golden).unwrap()) {
            if l.ty != "mmap" {
                continue;
            }
            if l.dir == '>' {
                // mmap's fd is an int; old drivers wrote its 32 bits
                // zero-extended (-1 as 4294967295)
                if let Some(fd) = l.args.get("fd").and_then(|v| num(v)) {
                    enter_fd.insert(l.tid, fd as u32 as i32 as i64);
                }
            } else if let Some(fd) = enter_fd.remove(&l.tid) {
                let ns = l.time.rsplit('.').next().unwrap().to_string();
                mmap_fd.insert((ns, l.tid.to_string()), fd);
            }
        }
        let mut theirs: Vec<String> = Vec::new();
        for l in &sysdig {
            let f: Vec<&str> = l.split(' ').collect();
            if f.len() < 6 || !types.contains(&f[2]) || f[5] != "<" {
                continue;
            }
            let mut f = f[..5].to_vec();
            let fd;
            if f[2] == "mmap" && f[4] == "<NA>" {
                let ns = f[0][f[0].len().saturating_sub(9)..].to_string();
                if let Some(n) = mmap_fd.get(&(ns, f[1].to_string())) {
                    fd = n.to_string();
                    f[4] = &fd;
                }
            }
            theirs.push(f.join(" "));
        }
        // An fd scap does not carry (old epoll_wait, generic ftruncate) is
        // -1 for us (no fd), <NA> for sysdig.
        for l in ours.iter_mut() {
            if let Some(x) = l.strip_suffix(" -1") {
                if !x.contains(" mmap ") {
                    *l = format!("{x} <NA>");
                }
            }
        }
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{c}");
        seen += theirs.len();
    }
    assert!(seen > 200, "{seen}");
}

/// The process list of libs >= 0.10 (PL_BLOCK_TYPE_V9) writes
/// pidns_init_start_ts and tty before loginuid; libs master's reader skips
/// them when more than 29 bytes of the entry remain, and so does the
/// import: sysdig's own thread in sample.scap has loginuid 1000 and a tty,
/// containerd none. sysdig 0.29.3 predates that layout and reads other
/// bytes as loginuid (-420151296), so this follows libs master, not the
/// oracle (known.tsv classifies the difference sysdig-older).
#[test]
fn process_list_loginuid_follows_libs_master_layout() {
    let test = "process_list_loginuid_follows_libs_master_layout";
    let Some(up) = upstream(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scap = up.join("scap/libs/userspace/libsinsp/test/resources/sample.scap");
    let trace = dir.path().join("sample.srt");
    import(&scap, &trace);
    let r = sysreplay_format::TraceReader::open(&trace).unwrap();
    let th = |tid: u32| {
        r.snapshot()
            .threads
            .iter()
            .find(|t| t.tid == tid)
            .unwrap_or_else(|| panic!("no thread {tid} in the snapshot"))
    };
    // sysdig (only switch events in the capture): loginuid and tty read
    assert_eq!(th(2987).loginuid, 1000);
    assert_ne!(th(2987).tty, 0);
    // containerd: no loginuid (UINT32_MAX), as libs master reads it
    assert_eq!(th(762).loginuid, u32::MAX);
    // and the engine prints it as libs master's int64: -1
    let rules = dir.path().join("loginuid.yaml");
    std::fs::write(
        &rules,
        "- rule: L\n  desc: d\n  condition: thread.tid = 762\n  output: \"tid=%thread.tid loginuid=%user.loginuid\"\n  priority: INFO\n",
    )
    .unwrap();
    let out = bin()
        .args(["eval", "-r"])
        .arg(&rules)
        .arg("--")
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let daemon: Vec<&str> = text.lines().filter(|l| l.contains("tid=762 ")).collect();
    assert!(!daemon.is_empty(), "{text}");
    assert!(
        daemon.iter().all(|l| l.ends_with("loginuid=-1")),
        "{daemon:?}"
    );
}

/// proc.exepath where the capture has no path: a process-list entry older
/// than PL_V7 (open-multiple-files.scap's python) and an execve exit with
/// neither trusted_exepath nor its enter (cat_write.scap's cat) leave it
/// empty, as libsinsp does (libs master: sinsp_threadinfo::init takes the
/// entry's exepath as is; parse_execve_exit resolves only a filename it
/// has). Issue 10: ours was argv[0] ("python", "cat").
#[test]
fn exepath_is_empty_where_the_capture_has_no_path() {
    let test = "exepath_is_empty_where_the_capture_has_no_path";
    let Some(up) = upstream(test) else {
        return;
    };
    if !have_sysdig(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fmt = "*%evt.rawtime %thread.tid %proc.exepath";
    for (name, tid) in [
        ("open-multiple-files.scap", 16569),
        ("cat_write.scap", 20072),
    ] {
        let scap = up.join("scap/falco/test/trace_files").join(name);
        let trace = dir.path().join(format!("{name}.srt"));
        import(&scap, &trace);
        let cond = format!("thread.tid={tid}");
        let (ours, theirs) = selections(&scap, &trace, &cond, fmt, |_| true);
        // `*` (print lines with empty fields) is sysdig's, not a field
        let ours: Vec<String> = ours.iter().map(|l| l.replacen('*', "", 1)).collect();
        assert!(theirs.len() > 5, "{name}: {theirs:?}");
        assert!(
            theirs.iter().all(|l| l.ends_with(' ')),
            "{name}: {theirs:?}"
        );
        assert_eq!(ours, theirs, "{name}");
    }
}

/// sendmsg/recvmsg keep the capture's `data` (as item 1, like read's): the
/// engine's evt.buffer is libsinsp's (issue 10: ping_sendto.scap's sendmsg
/// data was dropped, so `evt.buffer exists` selected nothing).
#[test]
fn sendmsg_data_is_kept() {
    let fmt = "%evt.rawtime %thread.tid %evt.type %evt.buffer";
    let cond = "evt.type=sendmsg and evt.buffer exists";
    let Some((ours, theirs)) = ours_and_sysdigs(
        "sendmsg_data_is_kept",
        "falco/test/trace_files/ping_sendto.scap",
        cond,
        fmt,
        |_| true,
    ) else {
        return;
    };
    assert!(theirs.len() >= 5, "{theirs:?}");
    assert_eq!(ours, theirs);
}

/// A container process from the capture's process list keeps its
/// pid-namespace ids (format 2.2 snapshot extension): proc.vpid and
/// thread.vtid are libsinsp's (write_tmp_test.scap's 25754 is vpid 1 in its
/// container; issue 10: ours was the host's pid).
#[test]
fn process_list_vpid_is_kept() {
    let fmt = "%evt.rawtime %thread.tid %proc.pid %proc.vpid %thread.vtid";
    let Some((ours, theirs)) = ours_and_sysdigs(
        "process_list_vpid_is_kept",
        "falco/test/trace_files/psp/write_tmp_test.scap",
        "proc.vpid=1",
        fmt,
        |_| true,
    ) else {
        return;
    };
    assert!(!theirs.is_empty(), "{theirs:?}");
    assert!(
        theirs.iter().any(|l| l.contains(" 25754 25754 1 1")),
        "{theirs:?}"
    );
    assert_eq!(ours, theirs);
}

/// A process forked in a container during the capture has the ids its own
/// clone exit gives (item NS_IDS, format 2.2): run_as_user_0_container's
/// 32052 is vpid 6 there, as in libsinsp (issue 10: ours was the host's pid).
#[test]
fn clone_exit_vpid_is_kept() {
    let fmt = "%evt.rawtime %thread.tid %proc.vpid %thread.vtid";
    let Some((ours, theirs)) = ours_and_sysdigs(
        "clone_exit_vpid_is_kept",
        "falco/test/trace_files/psp/run_as_user_0_container.scap",
        "thread.tid=32052",
        fmt,
        |_| true,
    ) else {
        return;
    };
    assert!(theirs.len() > 10, "{theirs:?}");
    assert!(
        theirs.iter().all(|l| l.ends_with(" 32052 6 6")),
        "{theirs:?}"
    );
    assert_eq!(ours, theirs);
}
