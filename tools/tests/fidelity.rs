//! Differential harness: our rule engine against libsinsp (sysdig 0.29.3)
//! on the same events (issue 10, "How to keep it true").
//!
//! Filters are generated from the fields and operators of the upstream
//! rules (`../shared/reference/falco-rules-analysis.json`), with values
//! drawn from each corpus (sysdig's own rendering of the field), singly and
//! in bracketed and/or/not mixes. Each runs through `sysdig -r CAPTURE` and
//! through `sysreplay eval` (one rule per filter, all matches) on the same
//! events: every upstream capture (we read its import) and the exports of a
//! recorded trace (corpora/real) and of a synthetic one (we read the
//! original). Compared: the events each selects, keyed by time, thread and
//! type, and the printed values of the filter's fields on them; only events
//! both sides show at all (an event only one side has is an enter/exit
//! representation matter, counted apart).
//!
//! Every difference must be classified in `tests/fidelity/known.tsv` (our
//! bug, enter/exit representation, sysdig 0.29.3 older than libs master);
//! an unclassified one fails the test. By default a bounded subset runs
//! (a few captures, one value per field); `SYSREPLAY_FIDELITY=full` runs
//! everything and prints the agreement table (tools/fidelity.sh);
//! `SYSREPLAY_FIDELITY_ONLY=<substring>[,...]` compares only the matching
//! corpora (exports are named `export:<trace>`);
//! `SYSREPLAY_FIDELITY_DUMP=1` prints every differing event of an
//! unclassified difference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use sysreplay_format::TraceWriter;
use sysreplay_synth::{self as synth, SynthConfig};

const SEP: &str = "|~|";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sysreplay"))
}

fn full() -> bool {
    std::env::var("SYSREPLAY_FIDELITY").is_ok_and(|v| v == "full")
}

/// SYSREPLAY_FIDELITY_ONLY=a,b: only the corpora whose name contains one of
/// these (to iterate on a fix; the README's figures come from a whole run).
fn only(name: &str) -> bool {
    std::env::var("SYSREPLAY_FIDELITY_ONLY")
        .map_or(true, |v| v.split(',').any(|p| name.contains(p)))
}

/// One corpus: a capture sysdig reads and the trace we read of the same
/// events.
struct Corpus {
    name: String,
    scap: PathBuf,
    trace: PathBuf,
}

fn run_ok(c: &mut Command, what: &str) -> Vec<u8> {
    let o = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        o.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn corpora(up: &Path, dir: &Path) -> Vec<Corpus> {
    let mut v = Vec::new();
    let caps = sysreplay_testkit::upstream_captures(up);
    let subset = ["cat_write.scap", "curl_google.scap"];
    for scap in caps {
        let file = scap.file_name().unwrap().to_string_lossy().to_string();
        if !full() && !subset.contains(&file.as_str()) {
            continue;
        }
        let rel = scap.strip_prefix(up.join("scap")).unwrap();
        let name = rel.to_string_lossy().to_string();
        if !only(&name) {
            continue;
        }
        // a capture sysdig 0.29.3 cannot read (SOURCES.md lists them) or
        // shows no event of: nothing to compare
        let shown = Command::new("sysdig")
            .arg("-r")
            .arg(&scap)
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
        if !shown {
            println!("{name}: sysdig 0.29.3 shows no event of it, not compared");
            continue;
        }
        let trace = dir.join(format!("{}.srt", v.len()));
        // a capture we cannot import is reported by scap_import's tests
        let o = bin()
            .arg("import")
            .arg(&scap)
            .arg("-o")
            .arg(&trace)
            .output()
            .unwrap();
        if !o.status.success() {
            continue;
        }
        v.push(Corpus { name, scap, trace });
    }
    // a synthetic trace and a recorded one, exported
    let syn = dir.join("synth.srt");
    let cfg = SynthConfig::new(11, if full() { 10_000 } else { 4_000 });
    let mut w = TraceWriter::create(
        &syn,
        &synth::header(&cfg),
        &synth::snapshot(&cfg),
        Default::default(),
    )
    .unwrap();
    synth::generate(&cfg, |h, d| w.write_record(h, d)).unwrap();
    w.finish().unwrap();
    let mut traces = vec![("synthetic".to_string(), syn)];
    // the smallest recorded corpus: a debug-build eval of hundreds of rules
    // on corpora/real/mixed takes minutes
    let real = sysreplay_testkit::repo_root().join("corpora/real/burst/trace.srt");
    if full() && real.is_file() {
        traces.push(("corpora/real/burst".to_string(), real));
    }
    for (name, trace) in traces {
        if !only(&format!("export:{name}")) {
            continue;
        }
        let scap = dir.join(format!("{}.scap", v.len()));
        run_ok(
            bin()
                .arg("export")
                .arg(&trace)
                .arg("-o")
                .arg(&scap)
                .arg("--force"),
            "export",
        );
        v.push(Corpus {
            name: format!("export:{name}"),
            scap,
            trace,
        });
    }
    v
}

/// The fields and operators of the upstream rules (conditions and
/// outputs), as the analysis of ../shared/reference lists them.
fn rule_fields(shared: &Path) -> (Vec<String>, BTreeSet<String>) {
    let j: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shared.join("reference/falco-rules-analysis.json")).unwrap(),
    )
    .unwrap();
    let mut fields = BTreeSet::new();
    let mut ops = BTreeSet::new();
    for f in j["files"].as_array().unwrap() {
        for k in ["expanded_field_occurrences", "output_fields"] {
            for (name, _) in f[k].as_object().unwrap() {
                fields.insert(name.clone());
            }
        }
        for (op, _) in f["expanded_ops"].as_object().unwrap() {
            ops.insert(op.clone());
        }
    }
    // an argument that is a path (container.mount.dest[/proc*]) is not a
    // value we can draw from the data
    let fields = fields
        .into_iter()
        .filter(|f| !f.contains("[/") && f != "evt.num")
        .collect();
    (fields, ops)
}

/// The fields sysdig 0.29.3 knows (`sysdig -l`).
fn sysdig_fields() -> BTreeSet<String> {
    let out = run_ok(Command::new("sysdig").arg("-l"), "sysdig -l");
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            w.contains('.')
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._".contains(c))
        })
        .map(str::to_string)
        .collect()
}

/// The fields sysdig can print (the others are filter only: fd.ip, fd.net,
/// fd.port, ...), probed one by one on a capture.
fn displayable(scap: &Path, fields: &[String]) -> BTreeSet<String> {
    fields
        .iter()
        .filter(|f| {
            Command::new("sysdig")
                .arg("-r")
                .arg(scap)
                .arg("-n")
                .arg("1")
                .arg("-p")
                .arg(format!("%{f}"))
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .cloned()
        .collect()
}

/// Where the values of a filter-only field come from.
fn value_source(f: &str) -> &str {
    match f {
        "fd.ip" | "fd.net" | "fd.snet" => "fd.sip",
        "fd.cnet" => "fd.cip",
        "fd.lnet" => "fd.lip",
        "fd.rnet" => "fd.rip",
        "fd.port" => "fd.sport",
        _ => f,
    }
}

/// The name sysdig lists a field under (`evt.arg.flags` is `evt.arg`).
fn base(f: &str) -> &str {
    let b = f.split('[').next().unwrap();
    if b.starts_with("evt.arg.") {
        "evt.arg"
    } else {
        b
    }
}

/// sysdig's values of `fields` on the exit events of `scap`.
fn values(scap: &Path, fields: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let fmt: Vec<String> = fields.iter().map(|f| format!("%{f}")).collect();
    let out = run_ok(
        Command::new("sysdig")
            .arg("-r")
            .arg(scap)
            .arg("-p")
            // `*`: print events whose fields are not all there too
            .arg(format!("*{}", fmt.join(SEP)))
            .arg("evt.dir=< or evt.type=procexit"),
        "sysdig values",
    );
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in String::from_utf8_lossy(&out).lines() {
        for (f, v) in fields.iter().zip(l.split(SEP)) {
            // `<unknown>` and the like are not values a filter can name
            if !v.is_empty() && !v.starts_with('<') && v.len() < 200 {
                m.entry(f.clone()).or_default().insert(v.to_string());
            }
        }
    }
    m
}

/// A value as a filter operand, quoted if it must be; None if sysdig's
/// grammar cannot say it.
fn operand(v: &str) -> Option<String> {
    if v.contains('"') && v.contains('\'') || v.contains('\\') {
        return None;
    }
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:".contains(c));
    Some(if plain {
        v.to_string()
    } else if v.contains('"') {
        format!("'{v}'")
    } else {
        format!("\"{v}\"")
    })
}

/// One generated predicate.
#[derive(Clone)]
struct Atom {
    field: String,
    text: String,
}

fn pick(vals: &BTreeSet<String>, n: usize, seed: u64) -> Vec<&String> {
    let v: Vec<&String> = vals.iter().collect();
    if v.is_empty() {
        return v;
    }
    (0..n.min(v.len()))
        .map(|i| v[(seed as usize + i * 7919) % v.len()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn atoms(field: &str, vals: &BTreeSet<String>, ops: &BTreeSet<String>, per: usize) -> Vec<Atom> {
    let mut out = Vec::new();
    let mut add = |text: String| {
        out.push(Atom {
            field: field.to_string(),
            text,
        })
    };
    if ops.contains("exists") {
        add(format!("{field} exists"));
    }
    let chosen = pick(vals, per, field.len() as u64);
    let all_num = !vals.is_empty() && vals.iter().all(|v| v.parse::<i64>().is_ok());
    let is_bool = !vals.is_empty() && vals.iter().all(|v| v == "true" || v == "false");
    let is_net = base(field).ends_with("net");
    for v in chosen {
        if is_bool {
            add(format!("{field} = {v}"));
            continue;
        }
        if is_net {
            // a /24 around an address the data has
            if let Some((a, _)) = v.rsplit_once('.') {
                if v.parse::<std::net::Ipv4Addr>().is_ok() {
                    add(format!("{field} = {a}.0/24"));
                }
            }
            continue;
        }
        let Some(q) = operand(v) else { continue };
        add(format!("{field} = {q}"));
        if ops.contains("!=") {
            add(format!("{field} != {q}"));
        }
        if all_num {
            for op in [">=", "<="] {
                if ops.contains(op) {
                    add(format!("{field} {op} {v}"));
                }
            }
            continue;
        }
        if ops.contains("in") {
            let other = vals.iter().find(|w| *w != v).and_then(|w| operand(w));
            add(format!(
                "{field} in ({q}{})",
                other.map(|o| format!(", {o}")).unwrap_or_default()
            ));
        }
        let chars: Vec<char> = v.chars().collect();
        let n = chars.len();
        let part = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
        if n >= 2 {
            let pre = part(0, n.div_ceil(2));
            let suf = part(n / 2, n);
            let mid = part(n / 4, (3 * n).div_ceil(4).max(n / 4 + 1));
            for (op, s) in [("startswith", &pre), ("endswith", &suf), ("contains", &mid)] {
                if let (true, Some(q)) = (ops.contains(op), operand(s)) {
                    add(format!("{field} {op} {q}"));
                }
            }
            if let (true, Some(q)) = (ops.contains("icontains"), operand(&mid.to_uppercase())) {
                add(format!("{field} icontains {q}"));
            }
            if ops.contains("glob") && !mid.contains(['*', '?', '[', ']']) {
                if let Some(q) = operand(&format!("*{mid}*")) {
                    add(format!("{field} glob {q}"));
                }
            }
        }
    }
    out
}

/// What one side selected: event key -> printed values of the fields.
type Sel = BTreeMap<String, String>;

fn key_fmt(fields: &[&str]) -> String {
    let mut s = format!("%evt.rawtime %thread.tid %evt.type{SEP}");
    s.push_str(
        &fields
            .iter()
            .map(|f| format!("%{f}"))
            .collect::<Vec<_>>()
            .join(SEP),
    );
    s
}

fn parse_sel(text: &str) -> Sel {
    text.lines()
        .filter_map(|l| l.split_once(SEP))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sysdig_sel(scap: &Path, filter: &str, fields: &[&str]) -> Result<Sel, String> {
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(scap)
        .arg("-p")
        .arg(format!("*{}", key_fmt(fields)))
        .arg(format!("({filter}) and (evt.dir=< or evt.type=procexit)"))
        .output()
        .unwrap();
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
    }
    Ok(parse_sel(&String::from_utf8_lossy(&o.stdout)))
}

/// Our selections of every filter in one `eval` run (one rule each, all
/// matches); index len() is the unfiltered listing. A filter our engine
/// refuses (an event type it does not know, ...) is None.
fn our_sels(trace: &Path, dir: &Path, filters: &[(String, Vec<&str>)]) -> Vec<Option<Sel>> {
    let all = ("evt.num >= 0".to_string(), vec![]);
    let mut refused = BTreeSet::new();
    loop {
        let mut y = String::new();
        for (i, (f, fields)) in filters.iter().chain([&all]).enumerate() {
            if refused.contains(&i) {
                continue;
            }
            let out = format!("@@{i}@@ {}", key_fmt(fields));
            y.push_str(&format!(
                "- rule: f{i}\n  desc: d\n  condition: {}\n  output: {}\n  priority: WARNING\n  warn_evttypes: false\n",
                serde_json::to_string(f).unwrap(),
                serde_json::to_string(&out).unwrap()
            ));
        }
        let rules = dir.join("fidelity_rules.yaml");
        std::fs::write(&rules, y).unwrap();
        let o = bin()
            .arg("eval")
            .arg(trace)
            .arg("-r")
            .arg(&rules)
            .arg("--rule-matching")
            .arg("all")
            .arg("--no-drop-alerts")
            .output()
            .unwrap();
        if !o.status.success() {
            let err = String::from_utf8_lossy(&o.stderr);
            let bad: Vec<usize> = err
                .split("rule 'f")
                .skip(1)
                .filter_map(|r| r.split('\'').next()?.parse().ok())
                .collect();
            assert!(!bad.is_empty(), "eval: {err}");
            refused.extend(bad);
            continue;
        }
        let mut sels: Vec<Option<Sel>> = (0..=filters.len())
            .map(|i| (!refused.contains(&i)).then(Sel::new))
            .collect();
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            let Some((_, rest)) = l.split_once("@@") else {
                continue;
            };
            let Some((i, line)) = rest.split_once("@@ ") else {
                continue;
            };
            let (Ok(i), Some((k, v))) = (i.parse::<usize>(), line.split_once(SEP)) else {
                continue;
            };
            if let Some(Some(s)) = sels.get_mut(i) {
                s.insert(k.to_string(), v.to_string());
            }
        }
        return sels;
    }
}

/// The checked-in classification: rows of corpus pattern (a substring of
/// the corpus name, or `*`), field (or `*`), event types (comma-separated, or `*`),
/// class, reason. A difference is classified when each event type it
/// involves is covered by a row of one of the fields responsible.
struct Known {
    rows: Vec<[String; 5]>,
    /// Whether each row classified something in this run.
    used: Vec<std::cell::Cell<bool>>,
}

impl Known {
    fn load() -> Known {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fidelity/known.tsv");
        let text = std::fs::read_to_string(&p).unwrap();
        let mut rows = Vec::new();
        for (n, l) in text.lines().enumerate() {
            if l.starts_with('#') || l.trim().is_empty() {
                continue;
            }
            let c: Vec<&str> = l.split('\t').collect();
            assert!(
                c.len() == 5 && ["ours", "representation", "sysdig-older"].contains(&c[3]),
                "{}:{}: expected corpus<TAB>field<TAB>types<TAB>ours|representation|sysdig-older<TAB>reason",
                p.display(),
                n + 1
            );
            rows.push([c[0], c[1], c[2], c[3], c[4]].map(str::to_string));
        }
        let used = rows.iter().map(|_| Default::default()).collect();
        Known { rows, used }
    }
    /// The classes covering event type `ty` of a difference in `corpus`
    /// due to one of `fields`.
    fn class(&self, corpus: &str, fields: &[&str], ty: &str) -> Option<&str> {
        let i = self.rows.iter().position(|[c, f, t, _, _]| {
            (c == "*" || corpus.contains(c.as_str()))
                && (f == "*" || fields.contains(&f.as_str()))
                && (t == "*" || t.split(',').any(|x| x == ty))
        })?;
        self.used[i].set(true);
        Some(self.rows[i][3].as_str())
    }
    /// Rows that classified nothing (only meaningful after a full run of
    /// every corpus).
    fn stale(&self) -> Vec<String> {
        self.rows
            .iter()
            .zip(&self.used)
            .filter(|(_, u)| !u.get())
            .map(|(r, _)| r[..4].join(" "))
            .collect()
    }
}

#[derive(Default)]
struct Tally {
    compared: usize,
    nonempty: usize,
    agree: usize,
    by_class: BTreeMap<String, usize>,
    sysdig_refused: usize,
    unclassified: Vec<String>,
}

#[test]
fn engine_agrees_with_libsinsp_or_the_difference_is_classified() {
    let test = "engine_agrees_with_libsinsp_or_the_difference_is_classified";
    let up = sysreplay_testkit::require!(sysreplay_testkit::upstream(), test);
    let shared = sysreplay_testkit::require!(sysreplay_testkit::shared(), test);
    let _ = sysreplay_testkit::require!(sysreplay_testkit::sysdig(), test);
    let dir = tempfile::tempdir().unwrap();
    let known = Known::load();
    let (fields, ops) = rule_fields(&shared);
    let sd = sysdig_fields();
    let (usable, unknown): (Vec<String>, Vec<String>) =
        fields.into_iter().partition(|f| sd.contains(base(f)));
    let shown = displayable(
        &up.join("scap/falco/test/trace_files/cat_write.scap"),
        &usable,
    );
    let per = if full() { 3 } else { 1 };
    let mixes = if full() { 60 } else { 10 };
    let mut total = Tally::default();
    let mut rows = Vec::new();
    for c in corpora(&up, dir.path()) {
        let mut srcs: Vec<String> = shown.iter().cloned().collect();
        for f in &usable {
            let v = value_source(f).to_string();
            if !srcs.contains(&v) {
                srcs.push(v);
            }
        }
        let vals = values(&c.scap, &srcs);
        let mut filters: Vec<(String, Vec<&str>)> = Vec::new();
        let mut atom_of: Vec<Vec<usize>> = Vec::new();
        let mut all_atoms = Vec::new();
        for f in &usable {
            let empty = BTreeSet::new();
            for a in atoms(f, vals.get(value_source(f)).unwrap_or(&empty), &ops, per) {
                all_atoms.push(a);
            }
        }
        {
            // an even sample: 60 predicates in CI, 400 in a full run
            let most = match (full(), c.name.starts_with("export:corpora")) {
                (true, false) => 400,
                (true, true) => 150,
                _ => 60,
            };
            let stride = all_atoms.len().div_ceil(most).max(1);
            all_atoms = all_atoms.into_iter().step_by(stride).collect();
        }
        for (i, a) in all_atoms.iter().enumerate() {
            let printed = if shown.contains(&a.field) {
                vec![a.field.as_str()]
            } else {
                vec![]
            };
            filters.push((a.text.clone(), printed));
            atom_of.push(vec![i]);
        }
        // bracketed mixes of atoms that select something on their own
        let mut s = 0x9e37_79b9u64;
        let n = all_atoms.len();
        for k in 0..mixes.min(n * n) {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (i, j) = ((s >> 33) as usize % n, (s >> 13) as usize % n);
            if all_atoms[i].field == all_atoms[j].field {
                continue;
            }
            let (a, b) = (&all_atoms[i], &all_atoms[j]);
            let text = match k % 3 {
                0 => format!("({}) and ({})", a.text, b.text),
                1 => format!("({}) or ({})", a.text, b.text),
                _ => format!("not ({}) and ({})", a.text, b.text),
            };
            let printed = [a, b]
                .iter()
                .filter(|x| shown.contains(&x.field))
                .map(|x| x.field.as_str())
                .collect();
            filters.push((text, printed));
            atom_of.push(vec![i, j]);
        }
        let ours = our_sels(&c.trace, dir.path(), &filters);
        let universe_ours = ours[filters.len()].as_ref().unwrap();
        let universe_sd = sysdig_sel(&c.scap, "evt.num >= 0", &[]).unwrap();
        let both: BTreeSet<&String> = universe_ours
            .keys()
            .filter(|k| universe_sd.contains_key(*k))
            .collect();
        let mut t = Tally::default();
        let mut notes = Vec::new();
        // sysdig's selections, two processes at a time
        let theirs_all: Vec<Result<Sel, String>> = {
            let half = filters.len().div_ceil(2);
            let run = |part: &[(String, Vec<&str>)]| -> Vec<Result<Sel, String>> {
                part.iter()
                    .map(|(f, flds)| sysdig_sel(&c.scap, f, flds))
                    .collect()
            };
            std::thread::scope(|s| {
                let (a, b) = filters.split_at(half);
                let h = s.spawn(|| run(b));
                let mut v = run(a);
                v.extend(h.join().unwrap());
                v
            })
        };
        for (i, ((f, _), theirs)) in filters.iter().zip(theirs_all).enumerate() {
            let theirs = match theirs {
                Ok(s) => s,
                Err(_) => {
                    t.sysdig_refused += 1;
                    continue;
                }
            };
            let Some(mine) = &ours[i] else {
                // a filter sysdig takes and our engine refuses: classified
                // as event type `refused`
                let resp: Vec<&str> = atom_of[i]
                    .iter()
                    .map(|&a| all_atoms[a].field.as_str())
                    .collect();
                t.compared += 1;
                match known.class(&c.name, &resp, "refused") {
                    Some(cl) => *t.by_class.entry(cl.to_string()).or_default() += 1,
                    None => {
                        let line = format!("{} · {f} · our engine refuses it", c.name);
                        println!("unclassified: {line}");
                        t.unclassified.push(line);
                    }
                }
                continue;
            };
            t.compared += 1;
            let o: BTreeMap<&String, &String> =
                mine.iter().filter(|(k, _)| both.contains(k)).collect();
            let th: BTreeMap<&String, &String> =
                theirs.iter().filter(|(k, _)| both.contains(k)).collect();
            if !o.is_empty() || !th.is_empty() {
                t.nonempty += 1;
            }
            let only_o = o.keys().filter(|k| !th.contains_key(*k)).count();
            let only_t = th.keys().filter(|k| !o.contains_key(*k)).count();
            let vdiff: Vec<_> = o
                .iter()
                .filter(|(k, v)| th.get(*k).is_some_and(|w| w != *v))
                .collect();
            if only_o + only_t + vdiff.len() == 0 {
                t.agree += 1;
                continue;
            }
            // the fields responsible: the filter's own (a mix of atoms that
            // agree alone may still print a differing value of either)
            let ats = &atom_of[i];
            let resp: Vec<&str> = ats.iter().map(|&a| all_atoms[a].field.as_str()).collect();
            let diff_types: BTreeSet<&str> = o
                .iter()
                .filter(|(k, v)| th.get(*k) != Some(*v))
                .map(|(k, _)| *k)
                .chain(th.keys().filter(|k| !o.contains_key(*k)).copied())
                .filter_map(|k| k.split(' ').nth(2))
                .collect();
            let classes: Vec<Option<&str>> = diff_types
                .iter()
                .map(|ty| known.class(&c.name, &resp, ty))
                .collect();
            let example = vdiff
                .first()
                .map(|(k, v)| format!("{k}: ours {v:?} sysdig {:?}", th[*k]))
                .or_else(|| {
                    o.keys()
                        .find(|k| !th.contains_key(*k))
                        .map(|k| format!("only ours {k}"))
                })
                .or_else(|| {
                    th.keys()
                        .find(|k| !o.contains_key(*k))
                        .map(|k| format!("only sysdig {k}"))
                })
                .unwrap_or_default();
            let line = format!(
                "{} · {f} · ours {} sysdig {} values differ {} · types {} · {example}",
                c.name,
                o.len(),
                th.len(),
                vdiff.len(),
                diff_types.iter().copied().collect::<Vec<_>>().join(",")
            );
            if resp.is_empty() || classes.is_empty() || classes.iter().any(Option::is_none) {
                println!("unclassified: {line}");
                // SYSREPLAY_FIDELITY_DUMP=1: every differing event of it
                if std::env::var("SYSREPLAY_FIDELITY_DUMP").is_ok() {
                    for k in o.keys().chain(th.keys()).collect::<BTreeSet<_>>() {
                        if o.get(k) != th.get(k) {
                            println!("  {k}: ours {:?} sysdig {:?}", o.get(k), th.get(k));
                        }
                    }
                }
                t.unclassified.push(line);
            } else {
                let cl = classes.iter().flatten().copied().collect::<BTreeSet<_>>();
                let cl = cl.into_iter().collect::<Vec<_>>().join("+");
                *t.by_class.entry(cl).or_default() += 1;
                notes.push(line);
            }
        }
        if std::env::var("SYSREPLAY_FIDELITY_VERBOSE").is_ok() {
            for n in &notes {
                println!("classified: {n}");
            }
        }
        println!(
            "{}: {} filters, {} agree, {} classified, {} unclassified",
            c.name,
            t.compared,
            t.agree,
            t.by_class.values().sum::<usize>(),
            t.unclassified.len()
        );
        rows.push(format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.name,
            both.len(),
            t.compared,
            t.agree,
            t.by_class
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            t.unclassified.len(),
            t.sysdig_refused
        ));
        total.compared += t.compared;
        total.nonempty += t.nonempty;
        total.agree += t.agree;
        total.sysdig_refused += t.sysdig_refused;
        for (k, v) in t.by_class {
            *total.by_class.entry(k).or_default() += v;
        }
        total.unclassified.extend(t.unclassified);
    }
    println!(
        "fields not in sysdig 0.29.3 (not compared): {}",
        unknown.join(", ")
    );
    println!("| corpus | events on both sides | filters compared | agree | classified differences | unclassified | refused by sysdig |");
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
    println!(
        "| total | | {} | {} ({:.1}%) | {} | {} | {} |",
        total.compared,
        total.agree,
        100.0 * total.agree as f64 / total.compared.max(1) as f64,
        total
            .by_class
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        total.unclassified.len(),
        total.sysdig_refused
    );
    // a full run of every corpus: rows no difference of its sample needed
    // (CI's subset samples other values: a row may still serve it, so
    // check `tools/fidelity.sh --subset` before removing one)
    if full() && std::env::var("SYSREPLAY_FIDELITY_ONLY").is_err() {
        for r in known.stale() {
            println!("known.tsv row that classified nothing in this run: {r}");
        }
    }
    assert!(
        total.nonempty >= 20,
        "only {} filters selected anything",
        total.nonempty
    );
    assert!(
        total.unclassified.is_empty(),
        "{} unclassified differences (classify them in tools/tests/fidelity/known.tsv or fix them):\n{}",
        total.unclassified.len(),
        total.unclassified.join("\n")
    );
}
