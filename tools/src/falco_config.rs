//! A user's real `falco.yaml` (`-c FILE`, `-o key=value` overrides as
//! Falco's): the keys sysreplay can use, and the list of those a command
//! ignores. Any command can load it (`eval`, `rules check`, `replay`
//! today; `record` can call [`FalcoConfig::load`] the same way).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Failure;

/// Options shared by the commands that read a Falco config.
#[derive(clap::Args, Clone, Default)]
pub struct ConfigArgs {
    /// A Falco configuration file (falco.yaml): rules_files, priority,
    /// rule_matching, base_syscalls, engine.*, json_output, ... (the keys
    /// a command does not use are listed on stderr)
    #[arg(short = 'c', long = "config", value_name = "FALCO_YAML")]
    pub config: Option<PathBuf>,
    /// Override a config key, as Falco's -o: key=value, a.b.c=value,
    /// list[]=item (appends); repeatable
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
}

/// One `append_output` entry (Falco >= 0.39): text added to the output of
/// the rules it matches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendOutput {
    pub source: Option<String>,
    pub rule: Option<String>,
    pub tags: Vec<String>,
    pub extra_output: String,
    /// Field names whose values join `output_fields`.
    pub extra_fields: Vec<String>,
    /// Fixed `name: value` pairs (`${VAR}` expanded from the environment).
    pub extra_static: Vec<(String, String)>,
}

/// `${VAR}` from the environment, as Falco expands config values.
fn expand_env(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i + 2..].find('}') {
            Some(j) => {
                out.push_str(&std::env::var(&rest[i + 2..i + 2 + j]).unwrap_or_default());
                rest = &rest[i + 3 + j..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// What sysreplay takes from a Falco config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FalcoConfig {
    pub path: PathBuf,
    pub rules_files: Vec<PathBuf>,
    pub priority: Option<String>,
    pub rule_matching: Option<String>,
    pub json_output: Option<bool>,
    pub json_include_output_property: Option<bool>,
    pub time_format_iso_8601: Option<bool>,
    pub append_output: Vec<AppendOutput>,
    pub base_custom_set: Vec<String>,
    pub base_repair: Option<bool>,
    pub base_all: Option<bool>,
    pub engine_kind: Option<String>,
    pub buf_size_preset: Option<u64>,
    pub cpus_for_each_buffer: Option<u64>,
    /// syscall_event_drops: threshold, actions, rate, max_burst
    pub drop_threshold: Option<f64>,
    pub drop_actions: Option<Vec<String>>,
    pub drop_rate: Option<f64>,
    pub drop_max_burst: Option<f64>,
    /// Top-level keys present in the file.
    pub present: Vec<String>,
}

fn yaml_to_json(y: &saphyr::Yaml) -> Value {
    use saphyr::{Scalar, Yaml};
    match y {
        Yaml::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::from(*i),
            Scalar::FloatingPoint(f) => Value::from(f.into_inner()),
            Scalar::String(s) => Value::from(s.as_ref()),
        },
        Yaml::Representation(s, ..) => Value::from(s.as_ref()),
        Yaml::Sequence(v) => Value::Array(v.iter().map(yaml_to_json).collect()),
        Yaml::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let k = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(_, inner) => yaml_to_json(inner),
        Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

/// A `-o` value: YAML scalar or flow collection (`true`, `4`, `[a, b]`).
fn parse_value(s: &str) -> Value {
    use saphyr::LoadableYamlNode;
    match saphyr::Yaml::load_from_str(s) {
        Ok(docs) if docs.len() == 1 => yaml_to_json(&docs[0]),
        _ => Value::from(s),
    }
}

/// Apply one `-o key=value` to the document.
fn apply_override(doc: &mut Value, kv: &str) -> Result<(), String> {
    let (key, val) = kv
        .split_once('=')
        .ok_or_else(|| format!("-o {kv}: expected KEY=VALUE"))?;
    let (path, append) = match key.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (key, false),
    };
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("-o {kv}: bad key '{key}'"));
    }
    let mut cur = doc;
    for part in path.split('.') {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry(part.to_string())
            .or_insert(Value::Null);
    }
    let v = parse_value(val);
    if append {
        match cur {
            Value::Array(a) => a.push(v),
            other => *other = Value::Array(vec![v]),
        }
    } else {
        *cur = v;
    }
    Ok(())
}

fn bool_at(doc: &Value, key: &str) -> Result<Option<bool>, String> {
    match doc.pointer(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(v) => Err(format!(
            "{}: expected true or false, found {v}",
            &key[1..].replace('/', ".")
        )),
    }
}

fn uint_at(doc: &Value, key: &str) -> Result<Option<u64>, String> {
    match doc.pointer(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "{}: expected a number, found {v}",
                    &key[1..].replace('/', ".")
                )
            }),
    }
}

fn str_at(doc: &Value, key: &str) -> Result<Option<String>, String> {
    match doc.pointer(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Some(v) => Err(format!(
            "{}: expected a string, found {v}",
            &key[1..].replace('/', ".")
        )),
    }
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("{what}: expected strings, found {other}")),
            })
            .collect(),
        other => Err(format!("{what}: expected a list of strings, found {other}")),
    }
}

impl FalcoConfig {
    /// Read `args.config` (if any) and apply `args.options`. `None` when
    /// neither is given.
    pub fn load(args: &ConfigArgs) -> Result<Option<FalcoConfig>, Failure> {
        if args.config.is_none() && args.options.is_empty() {
            return Ok(None);
        }
        let (path, mut doc) = match &args.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| Failure::io(p, &e))?;
                (p.clone(), Self::parse_doc(p, &text)?)
            }
            None => (PathBuf::from("-o"), Value::Object(Default::default())),
        };
        for o in &args.options {
            apply_override(&mut doc, o).map_err(Failure::input)?;
        }
        Self::from_doc(&path, &doc)
            .map(Some)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))
    }

    fn parse_doc(p: &Path, text: &str) -> Result<Value, Failure> {
        use saphyr::LoadableYamlNode;
        let docs = saphyr::Yaml::load_from_str(text).map_err(|e| {
            Failure::input(format!(
                "{}:{}:{}: not valid YAML: {}",
                p.display(),
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ))
        })?;
        match docs.first().map(yaml_to_json) {
            None | Some(Value::Null) => Ok(Value::Object(Default::default())),
            Some(v @ Value::Object(_)) => Ok(v),
            Some(_) => Err(Failure::input(format!(
                "{}: expected a mapping of Falco settings at the top",
                p.display()
            ))),
        }
    }

    /// Extract the keys sysreplay uses from a parsed document.
    pub fn from_doc(path: &Path, doc: &Value) -> Result<FalcoConfig, String> {
        let mut c = FalcoConfig {
            path: path.to_path_buf(),
            present: doc
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            ..Default::default()
        };
        // rules_files (rules_file before Falco 0.36); entries may be dirs
        let rf = doc
            .get("rules_files")
            .filter(|v| !v.is_null())
            .or_else(|| doc.get("rules_file"))
            .cloned()
            .unwrap_or(Value::Null);
        c.rules_files = strings(&rf, "rules_files")?
            .into_iter()
            .map(PathBuf::from)
            .collect();
        c.priority = str_at(doc, "/priority")?;
        c.rule_matching = str_at(doc, "/rule_matching")?;
        if let Some(m) = &c.rule_matching {
            if m != "first" && m != "all" {
                return Err(format!("rule_matching: expected first or all, found '{m}'"));
            }
        }
        c.json_output = bool_at(doc, "/json_output")?;
        c.json_include_output_property = bool_at(doc, "/json_include_output_property")?;
        c.time_format_iso_8601 = bool_at(doc, "/time_format_iso_8601")?;
        if let Some(v) = doc.get("base_syscalls") {
            c.base_custom_set = strings(
                v.get("custom_set").unwrap_or(&Value::Null),
                "base_syscalls.custom_set",
            )?;
            c.base_repair = bool_at(doc, "/base_syscalls/repair")?;
            c.base_all = bool_at(doc, "/base_syscalls/all")?;
        }
        // engine.kind and its section; older configs: top-level keys
        c.engine_kind = str_at(doc, "/engine/kind")?;
        let kind = c.engine_kind.clone().unwrap_or("modern_ebpf".into());
        c.buf_size_preset = uint_at(doc, &format!("/engine/{kind}/buf_size_preset"))?
            .or(uint_at(doc, "/syscall_buf_size_preset")?);
        c.cpus_for_each_buffer = uint_at(doc, &format!("/engine/{kind}/cpus_for_each_buffer"))?
            .or(uint_at(doc, "/modern_bpf/cpus_for_each_syscall_buffer")?);
        if let Some(p) = c.buf_size_preset {
            if !(1..=10).contains(&p) {
                return Err(format!("buf_size_preset: expected 1..10, found {p}"));
            }
        }
        let f64_at = |k: &str| -> Result<Option<f64>, String> {
            match doc.pointer(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(Some)
                    .ok_or_else(|| {
                        format!(
                            "{}: expected a number >= 0, found {v}",
                            &k[1..].replace('/', ".")
                        )
                    }),
            }
        };
        c.drop_threshold = f64_at("/syscall_event_drops/threshold")?;
        c.drop_rate = f64_at("/syscall_event_drops/rate")?;
        c.drop_max_burst = f64_at("/syscall_event_drops/max_burst")?;
        if let Some(a) = doc.pointer("/syscall_event_drops/actions") {
            c.drop_actions = Some(strings(a, "syscall_event_drops.actions")?);
        }
        if let Some(Value::Array(items)) = doc.get("append_output") {
            for it in items {
                let m = it.get("match");
                let s = |k: &str| {
                    m.and_then(|m| m.get(k))
                        .and_then(|v| v.as_str())
                        .map(String::from)
                };
                let tags = match m.and_then(|m| m.get("tags")) {
                    Some(t) => strings(t, "append_output.match.tags")?,
                    None => Vec::new(),
                };
                let (mut extra_fields, mut extra_static) = (Vec::new(), Vec::new());
                if let Some(Value::Array(ef)) = it.get("extra_fields") {
                    for e in ef {
                        match e {
                            Value::String(f) => extra_fields.push(f.clone()),
                            Value::Object(m) => {
                                for (k, v) in m {
                                    let v = match v {
                                        Value::String(t) => t.clone(),
                                        other => other.to_string(),
                                    };
                                    extra_static.push((k.clone(), expand_env(&v)));
                                }
                            }
                            other => {
                                return Err(format!(
                                    "append_output.extra_fields: expected a field name or name: value, found {other}"
                                ))
                            }
                        }
                    }
                }
                c.append_output.push(AppendOutput {
                    extra_fields,
                    extra_static,
                    source: s("source"),
                    rule: s("rule"),
                    tags,
                    extra_output: it
                        .get("extra_output")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                });
            }
        }
        Ok(c)
    }

    /// Say on stderr which of the file's top-level keys `used` leaves out.
    pub fn report_ignored(&self, command: &str, used: &[&str]) {
        let ignored: Vec<&str> = self
            .present
            .iter()
            .map(String::as_str)
            .filter(|k| !used.contains(k))
            .collect();
        if !ignored.is_empty() {
            eprintln!(
                "sysreplay {command}: {}: ignoring keys this command does not use: {}",
                self.path.display(),
                ignored.join(", ")
            );
        }
    }

    /// The rules paths: the command line's if any, else the config's.
    pub fn rules_or(&self, cli: &[PathBuf]) -> Vec<PathBuf> {
        if cli.is_empty() {
            self.rules_files.clone()
        } else {
            cli.to_vec()
        }
    }
}

/// Append `append_output` texts to the outputs of the rules they match.
pub fn apply_append_output(
    rs: &mut sysreplay_ruleeval::Ruleset,
    items: &[AppendOutput],
) -> Result<(), Failure> {
    use sysreplay_ruleeval::output::OutputFormat;
    for it in items {
        let mut extra = OutputFormat::default();
        for f in &it.extra_fields {
            let one = OutputFormat::parse(&format!("%{f}")).map_err(|e| {
                Failure::input(format!("append_output: extra_fields '{f}': {}", e.msg))
            })?;
            extra.pieces.extend(one.pieces);
        }
        for r in &mut rs.rules {
            let hit = it.source.as_deref().is_none_or(|s| s == r.source)
                && it.rule.as_deref().is_none_or(|n| n == r.name)
                && it.tags.iter().all(|t| r.tags.contains(t));
            if !hit {
                continue;
            }
            r.extra_fields.pieces.extend(extra.pieces.iter().cloned());
            r.extra_static.extend(it.extra_static.iter().cloned());
            if !it.extra_output.is_empty() {
                r.output_text = format!("{} {}", r.output_text.trim_end(), it.extra_output);
                r.output = sysreplay_ruleeval::output::OutputFormat::parse(&r.output_text)
                    .map_err(|e| {
                        Failure::input(format!(
                            "append_output: extra_output '{}': {}",
                            it.extra_output, e.msg
                        ))
                    })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(yaml: &str, opts: &[&str]) -> Result<FalcoConfig, String> {
        let mut doc = FalcoConfig::parse_doc(Path::new("f.yaml"), yaml).map_err(|f| f.msg)?;
        for o in opts {
            apply_override(&mut doc, o)?;
        }
        FalcoConfig::from_doc(Path::new("f.yaml"), &doc)
    }

    #[test]
    fn reads_current_and_old_keys() {
        let c = cfg(
            "rules_files:\n  - /etc/falco/falco_rules.yaml\n  - /etc/falco/rules.d\npriority: notice\nrule_matching: all\njson_output: true\nengine:\n  kind: modern_ebpf\n  modern_ebpf:\n    buf_size_preset: 6\n    cpus_for_each_buffer: 1\nbase_syscalls:\n  custom_set: [openat, '!close']\n  repair: true\ntime_format_iso_8601: true\nstdout_output:\n  enabled: true\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.rules_files.len(), 2);
        assert_eq!(c.priority.as_deref(), Some("notice"));
        assert_eq!(c.rule_matching.as_deref(), Some("all"));
        assert_eq!(c.json_output, Some(true));
        assert_eq!(c.buf_size_preset, Some(6));
        assert_eq!(c.cpus_for_each_buffer, Some(1));
        assert_eq!(c.base_custom_set, vec!["openat", "!close"]);
        assert_eq!(c.base_repair, Some(true));
        assert_eq!(c.time_format_iso_8601, Some(true));
        assert!(c.present.contains(&"stdout_output".to_string()));
        let old = cfg(
            "rules_file: [a.yaml]\nsyscall_buf_size_preset: 2\nmodern_bpf:\n  cpus_for_each_syscall_buffer: 4\n",
            &[],
        )
        .unwrap();
        assert_eq!(old.rules_files, vec![PathBuf::from("a.yaml")]);
        assert_eq!(old.buf_size_preset, Some(2));
        assert_eq!(old.cpus_for_each_buffer, Some(4));
    }

    #[test]
    fn overrides_set_and_append() {
        let c = cfg(
            "rules_files: [a.yaml]\nengine:\n  kind: kmod\n  kmod:\n    buf_size_preset: 4\n",
            &[
                "engine.kmod.buf_size_preset=7",
                "rules_files[]=b.yaml",
                "json_output=true",
            ],
        )
        .unwrap();
        assert_eq!(c.buf_size_preset, Some(7));
        assert_eq!(c.engine_kind.as_deref(), Some("kmod"));
        assert_eq!(
            c.rules_files,
            vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]
        );
        assert_eq!(c.json_output, Some(true));
        assert!(cfg("", &["novalue"]).is_err());
        assert!(cfg("priority: [1, 2]\n", &[])
            .unwrap_err()
            .contains("priority"));
        assert!(cfg("engine:\n  modern_ebpf:\n    buf_size_preset: 11\n", &[]).is_err());
    }
}
