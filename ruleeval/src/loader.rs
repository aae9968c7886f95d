//! Rules files: YAML reading and the collector that applies definitions,
//! `append` and `override` in file order, as Falco's rule loader does.

use crate::diag::{Code, Diags, Loc};
use crate::yaml::{MarkedYaml, YamlData};
use crate::FastMap;
use saphyr::Scalar;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The engine version we claim to be compatible with (Falco's engine version).
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 63, 0);

/// Plugins whose fields we provide offline, with the version we present.
pub const BUILTIN_PLUGINS: &[(&str, &str)] = &[("container", "0.4.0")];

/// Rule priorities (Falco's order: lower value = more severe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "info" | "informational" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }
    /// Falco's spelling in alerts ("Warning", "Informational", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

/// A source file kept for mapping condition offsets back to lines/columns.
#[derive(Debug)]
pub struct SourceFile {
    pub name: Arc<str>,
    pub text: String,
    /// Byte offset of each character (YAML markers count characters),
    /// built on first use; None when the text is ASCII (the same numbers).
    char_bytes: std::sync::OnceLock<Option<Vec<usize>>>,
}

impl SourceFile {
    pub fn new(name: Arc<str>, text: String) -> SourceFile {
        SourceFile {
            name,
            text,
            char_bytes: std::sync::OnceLock::new(),
        }
    }

    /// The byte offset of character `index` (None past the end).
    fn byte_of_char(&self, index: usize) -> Option<usize> {
        let table = self.char_bytes.get_or_init(|| {
            let ascii = self.text.is_ascii();
            (!ascii).then(|| self.text.char_indices().map(|(b, _)| b).collect())
        });
        match table {
            None => (index < self.text.len()).then_some(index),
            Some(t) => t.get(index).copied(),
        }
    }
}

/// Walks a source text, keeping the line and column it is at.
struct SourceCursor<'a> {
    rest: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

impl SourceCursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.rest.peek().copied()
    }
    fn bump(&mut self) {
        match self.rest.next() {
            Some('\n') => {
                self.line += 1;
                self.col = 1;
            }
            Some(_) => self.col += 1,
            None => {}
        }
    }
    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
}

/// Where a piece of condition text came from.
#[derive(Clone, Debug)]
pub struct CondSeg {
    /// Byte offset of this piece in the assembled condition.
    pub offset: usize,
    pub src: Arc<SourceFile>,
    /// Character index of the YAML node (saphyr marker index).
    pub node_index: usize,
    pub loc: Loc,
}

/// A condition with its provenance.
#[derive(Clone, Debug, Default)]
pub struct CondText {
    pub text: String,
    pub segs: Vec<CondSeg>,
}

impl CondText {
    fn from_node(text: String, src: &Arc<SourceFile>, node: &MarkedYaml, loc: Loc) -> CondText {
        CondText {
            text,
            segs: vec![CondSeg {
                offset: 0,
                src: src.clone(),
                node_index: node.span.start.index(),
                loc,
            }],
        }
    }
    fn append(&mut self, other: CondText) {
        self.text.push(' ');
        let base = self.text.len();
        self.text.push_str(&other.text);
        for mut s in other.segs {
            s.offset += base;
            self.segs.push(s);
        }
    }
    /// Map a byte offset of the condition to a file position (best effort:
    /// walks the YAML source, folding whitespace the way YAML does).
    pub fn locate(&self, off: usize) -> Option<Loc> {
        let seg = self.segs.iter().rev().find(|s| s.offset <= off)?;
        let rel = off - seg.offset;
        let piece = self.text.get(seg.offset..)?;
        // Walk the source from the node on (its position is seg.loc): work
        // in the length of the condition, not of the file, which matters
        // when a file with thousands of conditions has an error in each.
        let Some(start) = seg.src.byte_of_char(seg.node_index) else {
            return Some(seg.loc.clone());
        };
        let mut src = SourceCursor {
            rest: seg.src.text[start..].chars().peekable(),
            line: seg.loc.line,
            col: seg.loc.col,
        };
        match src.peek() {
            Some('|' | '>') => {
                while src.peek().is_some_and(|c| c != '\n') {
                    src.bump();
                }
            }
            Some('"' | '\'') => src.bump(),
            _ => {}
        }
        let mut chars = piece.char_indices().peekable();
        // skip leading whitespace of the source
        src.skip_whitespace();
        while let Some((b, c)) = chars.next() {
            if b >= rel {
                break;
            }
            if c.is_whitespace() {
                while matches!(chars.peek(), Some((bb, cc)) if cc.is_whitespace() && *bb < rel) {
                    chars.next();
                }
                src.skip_whitespace();
            } else if src.peek() == Some(c) {
                src.bump();
            } else {
                // text does not follow the source (escapes, appended
                // text): stop at the best position found so far
                break;
            }
        }
        Some(Loc {
            file: seg.loc.file.clone(),
            line: src.line,
            col: src.col,
        })
    }
}

#[derive(Clone, Debug)]
pub struct ListDef {
    pub name: String,
    pub items: Vec<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct MacroDef {
    pub name: String,
    pub condition: CondText,
    pub loc: Loc,
}

/// A list or a macro: a named definition that a later one of the same name
/// appends to (`append: true` / `override: append`), replaces (`override:
/// replace`) or redefines (no key).
trait Definition {
    type Value;
    /// "List" or "Macro", for messages.
    const KIND: &'static str;
    fn new(name: String, value: Self::Value, loc: Loc) -> Self;
    fn append(&mut self, value: Self::Value);
    fn set(&mut self, value: Self::Value);
    fn set_loc(&mut self, loc: Loc);
}

impl Definition for ListDef {
    type Value = Vec<String>;
    const KIND: &'static str = "List";
    fn new(name: String, items: Vec<String>, loc: Loc) -> Self {
        ListDef { name, items, loc }
    }
    fn append(&mut self, items: Vec<String>) {
        self.items.extend(items);
    }
    fn set(&mut self, items: Vec<String>) {
        self.items = items;
    }
    fn set_loc(&mut self, loc: Loc) {
        self.loc = loc;
    }
}

impl Definition for MacroDef {
    type Value = CondText;
    const KIND: &'static str = "Macro";
    fn new(name: String, condition: CondText, loc: Loc) -> Self {
        MacroDef {
            name,
            condition,
            loc,
        }
    }
    fn append(&mut self, cond: CondText) {
        self.condition.append(cond);
    }
    fn set(&mut self, cond: CondText) {
        self.condition = cond;
    }
    fn set_loc(&mut self, loc: Loc) {
        self.loc = loc;
    }
}

/// Add a definition, combining it with an earlier one of its name by
/// `mode` (`Some(true)` append, `Some(false)` replace, `None` redefine).
#[allow(clippy::too_many_arguments)]
fn merge_def<T: Definition>(
    defs: &mut Vec<T>,
    idx: &mut FastMap<String, usize>,
    name: String,
    value: T::Value,
    mode: Option<bool>,
    loc: Loc,
    cx: &mut Ctx,
    what: String,
) {
    match (mode, idx.get(&name).copied()) {
        (Some(true), Some(i)) => defs[i].append(value),
        (Some(false), Some(i)) => defs[i].set(value),
        (Some(_), None) => {
            let kind = T::KIND;
            let lower = kind.to_lowercase();
            cx.diags.error(
                Code::ErrValidate,
                Some(loc),
                Some(what),
                format!(
                    "{kind} has 'append' key or an override, but no {lower} by that name already exists"
                ),
            );
        }
        (None, Some(i)) => {
            defs[i].set(value);
            defs[i].set_loc(loc);
        }
        (None, None) => {
            idx.insert(name.clone(), defs.len());
            defs.push(T::new(name, value, loc));
        }
    }
}

/// Exception `fields`: one field, or a tuple of fields.
#[derive(Clone, Debug, PartialEq)]
pub enum ExFields {
    One(String),
    Many(Vec<String>),
}

/// A value in an exception's `values`: a scalar or a list.
#[derive(Clone, Debug, PartialEq)]
pub enum ExValue {
    Scalar(String),
    List(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct ExceptionDef {
    pub name: String,
    pub fields: Option<ExFields>,
    /// Explicit comps (one, or one per field).
    pub comps: Option<ExFields>,
    /// For One fields: flat values. For Many: one row per tuple.
    pub values: Vec<Vec<ExValue>>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct RuleDef {
    pub name: String,
    pub condition: CondText,
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    pub tags: BTreeSet<String>,
    pub enabled: bool,
    pub source: String,
    /// Whether `source` was given explicitly.
    pub explicit_source: bool,
    pub exceptions: Vec<ExceptionDef>,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub capture: bool,
    pub capture_duration: u64,
    pub loc: Loc,
    /// Where the output's text starts (errors in the output point here).
    pub output_loc: Loc,
    /// The output as written, to place an error at its token.
    pub output_src: CondText,
}

/// Everything collected from the rules files, in definition order.
#[derive(Debug, Default)]
pub struct Collected {
    pub lists: Vec<ListDef>,
    pub macros: Vec<MacroDef>,
    pub rules: Vec<RuleDef>,
    pub required_engine_version: Option<(u64, u64, u64)>,
    pub required_plugins: Vec<(String, String)>,
    pub files: Vec<Arc<SourceFile>>,
    list_idx: FastMap<String, usize>,
    macro_idx: FastMap<String, usize>,
    rule_idx: FastMap<String, usize>,
}

impl Collected {
    pub fn list(&self, name: &str) -> Option<&ListDef> {
        self.list_idx.get(name).map(|&i| &self.lists[i])
    }
    pub fn rule(&self, name: &str) -> Option<&RuleDef> {
        self.rule_idx.get(name).map(|&i| &self.rules[i])
    }
}

/// [`scalar_string`], borrowing a string scalar (mapping keys are looked
/// up by text many times: a copy each time cost a few percent of loading).
fn scalar_str<'a>(n: &'a MarkedYaml) -> Option<std::borrow::Cow<'a, str>> {
    match &n.data {
        YamlData::Value(Scalar::String(s)) => Some(std::borrow::Cow::Borrowed(s)),
        YamlData::Tagged(_, inner) => scalar_str(inner),
        _ => scalar_string(n).map(std::borrow::Cow::Owned),
    }
}

fn scalar_string(n: &MarkedYaml) -> Option<String> {
    match &n.data {
        YamlData::Value(s) => Some(match s {
            Scalar::Null => String::new(),
            Scalar::Boolean(b) => b.to_string(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::FloatingPoint(f) => f.to_string(),
            Scalar::String(s) => s.to_string(),
        }),
        YamlData::Tagged(_, inner) => scalar_string(inner),
        _ => None,
    }
}

/// `kind 'name'`, the item of a definition's diagnostics (built without
/// the formatting machinery: every definition makes one).
fn item_name(kind: &str, name: &str) -> String {
    let mut s = String::with_capacity(kind.len() + name.len() + 3);
    s.push_str(kind);
    s.push_str(" '");
    s.push_str(name);
    s.push('\'');
    s
}

fn kind_name(n: &MarkedYaml) -> &'static str {
    match &n.data {
        YamlData::Value(_) => "scalar",
        YamlData::Sequence(_) => "sequence",
        YamlData::Mapping(_) => "mapping",
        YamlData::Tagged(..) => "tagged",
        YamlData::BadValue => "bad value",
    }
}

struct Ctx<'c> {
    src: Arc<SourceFile>,
    diags: &'c mut Diags,
}

impl Ctx<'_> {
    fn loc(&self, n: &MarkedYaml) -> Loc {
        Loc {
            file: self.src.name.clone(),
            line: n.span.start.line(),
            col: n.span.start.col() + 1,
        }
    }
}

/// An item's map, with helpers that report errors at the right node.
struct Item<'n> {
    node: &'n MarkedYaml<'n>,
    entries: Vec<(
        std::borrow::Cow<'n, str>,
        &'n MarkedYaml<'n>,
        &'n MarkedYaml<'n>,
    )>,
}

impl<'n> Item<'n> {
    fn get(&self, k: &str) -> Option<&'n MarkedYaml<'n>> {
        self.entries.iter().find(|e| e.0 == k).map(|e| e.2)
    }
    fn has(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
}

/// Loads rules files in order into a [`Collected`].
pub struct Loader {
    pub collected: Collected,
    pub diags: Diags,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

fn parse_semver(s: &str) -> Option<(u64, u64, u64)> {
    let s = s.trim();
    let core = s.split(['-', '+']).next()?;
    let mut it = core.split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    let c = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

impl Loader {
    pub fn new() -> Loader {
        Loader {
            collected: Collected::default(),
            diags: Diags::default(),
        }
    }

    /// Load one file from disk. I/O errors become diagnostics.
    pub fn load_file(&mut self, path: &std::path::Path) {
        let name: Arc<str> = path.display().to_string().into();
        match std::fs::read(path) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => self.load_str(&name, t),
                Err(e) => self.diags.error(
                    Code::ErrFileRead,
                    Some(Loc {
                        file: name,
                        line: 1,
                        col: 1,
                    }),
                    None,
                    format!("file is not valid UTF-8: {e}"),
                ),
            },
            Err(e) => self.diags.error(
                Code::ErrFileRead,
                Some(Loc {
                    file: name,
                    line: 0,
                    col: 0,
                }),
                None,
                format!("cannot read rules file: {e}"),
            ),
        }
    }

    /// Load rules from a string (named `name` in diagnostics).
    pub fn load_str(&mut self, name: &str, text: String) {
        // The tree borrows the text: converting every node to an owned
        // ('static) tree cost ~5% of evaluating a tiny trace. Only a file
        // that needs the bracket leniency takes the owned, re-parsed path.
        let src = Arc::new(SourceFile::new(name.into(), text));
        let docs = parse_yaml(&src.text);
        if matches!(&docs, Err(e) if e.info() == LENIENT_ERROR) {
            drop(docs);
            let (text, docs) = parse_yaml_lenient(src.text.clone());
            drop(src);
            let src = Arc::new(SourceFile::new(name.into(), text));
            self.load_docs(src, docs);
        } else {
            self.load_docs(src.clone(), docs);
        }
    }

    fn load_docs(
        &mut self,
        src: Arc<SourceFile>,
        docs: Result<Vec<MarkedYaml<'_>>, saphyr::ScanError>,
    ) {
        self.collected.files.push(src.clone());
        let docs = match docs {
            Ok(d) => d,
            Err(e) => {
                let m = e.marker();
                self.diags.error(
                    Code::ErrYamlParse,
                    Some(Loc {
                        file: src.name.clone(),
                        line: m.line(),
                        col: m.col() + 1,
                    }),
                    None,
                    format!("invalid YAML: {}", e.info()),
                );
                return;
            }
        };
        let mut diags = std::mem::take(&mut self.diags);
        {
            let mut cx = Ctx {
                src: src.clone(),
                diags: &mut diags,
            };
            for doc in &docs {
                match &doc.data {
                    YamlData::Sequence(items) => {
                        for it in items {
                            self.read_item(&mut cx, it);
                        }
                    }
                    YamlData::Value(Scalar::Null) => {}
                    _ => {
                        let loc = cx.loc(doc);
                        cx.diags.error(
                            Code::ErrYamlValidate,
                            Some(loc),
                            None,
                            format!(
                                "rules content is not yaml array of objects (found a {})",
                                kind_name(doc)
                            ),
                        );
                    }
                }
            }
        }
        self.diags = diags;
    }

    fn read_item(&mut self, cx: &mut Ctx, node: &MarkedYaml) {
        let YamlData::Mapping(m) = &node.data else {
            let loc = cx.loc(node);
            cx.diags.error(
                Code::ErrYamlValidate,
                Some(loc),
                None,
                format!("unexpected element type: each element should be a yaml associative array (found a {})", kind_name(node)),
            );
            return;
        };
        let mut entries = Vec::new();
        for (k, v) in m.iter() {
            match scalar_str(k) {
                Some(s) => entries.push((s, k, v)),
                None => {
                    let loc = cx.loc(k);
                    cx.diags.error(
                        Code::ErrYamlValidate,
                        Some(loc),
                        None,
                        "mapping keys must be scalars",
                    );
                    return;
                }
            }
        }
        let item = Item { node, entries };
        if item.has("required_engine_version") {
            self.read_engine_version(cx, &item);
        } else if item.has("required_plugin_versions") {
            self.read_plugin_versions(cx, &item);
        } else if item.has("list") {
            self.read_list(cx, &item);
        } else if item.has("macro") {
            self.read_macro(cx, &item);
        } else if item.has("rule") {
            self.read_rule(cx, &item);
        } else {
            let loc = cx.loc(node);
            cx.diags
                .warn(Code::UnknownItem, Some(loc), None, "Unknown top level item");
        }
    }

    fn warn_unknown_keys(cx: &mut Ctx, item: &Item, allowed: &[&str], what: &str) {
        for (k, kn, _) in &item.entries {
            if !allowed.contains(&k.as_ref()) {
                let loc = cx.loc(kn);
                cx.diags.warn(
                    Code::UnknownKey,
                    Some(loc),
                    Some(what.to_string()),
                    format!("Unexpected key '{k}'"),
                );
            }
        }
    }

    fn req_string(cx: &mut Ctx, item: &Item, key: &str, what: &str) -> Option<String> {
        match item.get(key) {
            None => {
                let loc = cx.loc(item.node);
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.to_string()),
                    format!("Item has no mapping for key '{key}'"),
                );
                None
            }
            Some(n) => Self::string_of(cx, n, key, what),
        }
    }

    fn string_of(cx: &mut Ctx, n: &MarkedYaml, key: &str, what: &str) -> Option<String> {
        match scalar_string(n) {
            Some(s) => Some(s),
            None => {
                let loc = cx.loc(n);
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.to_string()),
                    format!(
                        "Value for key '{key}' must be a scalar (found a {})",
                        kind_name(n)
                    ),
                );
                None
            }
        }
    }

    fn bool_of(cx: &mut Ctx, n: &MarkedYaml, key: &str, what: &str) -> Option<bool> {
        match &n.data {
            YamlData::Value(Scalar::Boolean(b)) => Some(*b),
            _ => match scalar_str(n).as_deref() {
                Some("true") | Some("True") | Some("TRUE") => Some(true),
                Some("false") | Some("False") | Some("FALSE") => Some(false),
                _ => {
                    let loc = cx.loc(n);
                    cx.diags.error(
                        Code::ErrYamlValidate,
                        Some(loc),
                        Some(what.to_string()),
                        format!("Value for key '{key}' must be a boolean"),
                    );
                    None
                }
            },
        }
    }

    fn string_seq(cx: &mut Ctx, n: &MarkedYaml, key: &str, what: &str) -> Option<Vec<String>> {
        match &n.data {
            YamlData::Sequence(v) => {
                let mut out = Vec::with_capacity(v.len());
                for e in v {
                    out.push(Self::string_of(cx, e, key, what)?);
                }
                Some(out)
            }
            YamlData::Value(Scalar::Null) => Some(Vec::new()),
            _ => {
                let loc = cx.loc(n);
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.to_string()),
                    format!(
                        "Value for key '{key}' must be a sequence (found a {})",
                        kind_name(n)
                    ),
                );
                None
            }
        }
    }

    /// `override:` map -> key -> append(true)/replace(false).
    fn read_override(
        cx: &mut Ctx,
        item: &Item,
        appendable: &[&str],
        replaceable: &[&str],
        what: &str,
    ) -> Option<Vec<(String, bool)>> {
        let n = item.get("override")?;
        let YamlData::Mapping(m) = &n.data else {
            let loc = cx.loc(n);
            cx.diags.error(
                Code::ErrYamlValidate,
                Some(loc),
                Some(what.into()),
                "'override' must be a mapping",
            );
            return Some(Vec::new());
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let (Some(k), Some(v_s)) = (scalar_string(k), scalar_string(v)) else {
                let loc = cx.loc(k);
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.into()),
                    "'override' entries must be scalars",
                );
                continue;
            };
            let loc = cx.loc(v);
            match v_s.as_str() {
                "append" if appendable.contains(&k.as_str()) => out.push((k, true)),
                "replace" if replaceable.contains(&k.as_str()) => out.push((k, false)),
                "append" | "replace" => cx.diags.error(
                    Code::ErrOverride,
                    Some(loc),
                    Some(what.into()),
                    format!("Key '{k}' cannot be overridden with '{v_s}'"),
                ),
                _ => cx.diags.error(
                    Code::ErrOverride,
                    Some(loc),
                    Some(what.into()),
                    format!("Invalid override operation for key '{k}': '{v_s}' (expected append or replace)"),
                ),
            }
        }
        out.retain(|(k, _)| {
            if item.has(k) {
                true
            } else {
                cx.diags.error(
                    Code::ErrOverride,
                    Some(cx.loc(item.node)),
                    Some(what.into()),
                    format!("An override is defined for '{k}' but the item has no key '{k}'"),
                );
                false
            }
        });
        Some(out)
    }

    fn read_engine_version(&mut self, cx: &mut Ctx, item: &Item) {
        let n = item.get("required_engine_version").unwrap();
        let loc = cx.loc(n);
        let v = match &n.data {
            YamlData::Value(Scalar::Integer(i)) if *i >= 0 => Some((0, *i as u64, 0)),
            _ => scalar_string(n).and_then(|s| parse_semver(&s)),
        };
        let Some(v) = v else {
            cx.diags.error(
                Code::ErrValidate,
                Some(loc),
                None,
                "Value of required_engine_version must be a number or a semver string",
            );
            return;
        };
        if v.0 != ENGINE_VERSION.0 || v > ENGINE_VERSION {
            cx.diags.error(
                Code::ErrValidate,
                Some(loc),
                None,
                format!(
                    "Rules require engine version {}.{}.{}, but engine version is {}.{}.{}",
                    v.0, v.1, v.2, ENGINE_VERSION.0, ENGINE_VERSION.1, ENGINE_VERSION.2
                ),
            );
        }
        let cur = &mut self.collected.required_engine_version;
        if cur.is_none_or(|c| v > c) {
            *cur = Some(v);
        }
    }

    fn read_plugin_versions(&mut self, cx: &mut Ctx, item: &Item) {
        let n = item.get("required_plugin_versions").unwrap();
        let YamlData::Sequence(seq) = &n.data else {
            let loc = cx.loc(n);
            cx.diags.error(
                Code::ErrYamlValidate,
                Some(loc),
                None,
                "required_plugin_versions must be a sequence",
            );
            return;
        };
        for e in seq {
            let YamlData::Mapping(m) = &e.data else {
                let loc = cx.loc(e);
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    None,
                    "plugin version entries must be mappings",
                );
                continue;
            };
            let get = |k: &str| {
                m.iter()
                    .find(|(kk, _)| scalar_str(kk).as_deref() == Some(k))
                    .map(|(_, v)| v)
            };
            let loc = cx.loc(e);
            let (Some(name), Some(ver)) = (
                get("name").and_then(scalar_string),
                get("version").and_then(scalar_string),
            ) else {
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    None,
                    "plugin version entry needs 'name' and 'version'",
                );
                continue;
            };
            let mut candidates = vec![(name.clone(), ver.clone())];
            if let Some(YamlData::Sequence(alts)) = get("alternatives").map(|a| &a.data) {
                for a in alts {
                    if let YamlData::Mapping(am) = &a.data {
                        let g = |k: &str| {
                            am.iter()
                                .find(|(kk, _)| scalar_str(kk).as_deref() == Some(k))
                                .and_then(|(_, v)| scalar_string(v))
                        };
                        if let (Some(n2), Some(v2)) = (g("name"), g("version")) {
                            if candidates.iter().any(|c| c.0 == n2) {
                                cx.diags.error(
                                    Code::ErrValidate,
                                    Some(cx.loc(a)),
                                    None,
                                    format!("Multiple definitions of plugin '{n2}' in one entry"),
                                );
                            }
                            candidates.push((n2, v2));
                        }
                    }
                }
            }
            let mut satisfied = false;
            for (cn, cv) in &candidates {
                let Some(req) = parse_semver(cv) else {
                    cx.diags.error(
                        Code::ErrValidate,
                        Some(loc.clone()),
                        None,
                        format!("Invalid version '{cv}' for plugin '{cn}'"),
                    );
                    satisfied = true;
                    break;
                };
                if let Some((_, have)) = BUILTIN_PLUGINS.iter().find(|(b, _)| b == cn) {
                    let have = parse_semver(have).unwrap();
                    if have.0 == req.0 && have >= req {
                        satisfied = true;
                    } else {
                        // We emulate the plugin offline: a newer requirement is a warning.
                        cx.diags.warn(
                            Code::PluginVersion,
                            Some(loc.clone()),
                            None,
                            format!("Rules require plugin '{cn}' version {cv}; the offline emulation provides {}.{}.{}", have.0, have.1, have.2),
                        );
                        satisfied = true;
                    }
                    break;
                }
            }
            if !satisfied {
                cx.diags.error(
                    Code::ErrValidate,
                    Some(loc),
                    None,
                    format!("Plugin '{name}' required by this rules file is not loaded (sysreplay only provides: {})",
                        BUILTIN_PLUGINS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")),
                );
            }
            self.collected.required_plugins.push((name, ver));
        }
    }

    /// The name, `what` and location of a list or macro item (`kind`,
    /// whose body is under `body`), after the checks both share: unknown
    /// keys and the name's syntax.
    fn def_header(
        cx: &mut Ctx,
        item: &Item,
        kind: &str,
        body: &str,
        valid_name: fn(&str) -> bool,
        (code, message): (Code, &str),
    ) -> Option<(String, String, Loc)> {
        let name = Self::req_string(cx, item, kind, kind)?;
        let what = item_name(kind, &name);
        let loc = cx.loc(item.node);
        Self::warn_unknown_keys(cx, item, &[kind, body, "append", "override"], &what);
        if !valid_name(&name) {
            cx.diags
                .warn(code, Some(loc.clone()), Some(what.clone()), message);
        }
        Some((name, what, loc))
    }

    fn read_list(&mut self, cx: &mut Ctx, item: &Item) {
        let invalid = (Code::InvalidListName, "List has an invalid name. List names should match a regular expression: [^()\"'[:space:]=,]+");
        let Some((name, what, loc)) =
            Self::def_header(cx, item, "list", "items", valid_list_name, invalid)
        else {
            return;
        };
        let Some(items_n) = item.get("items") else {
            cx.diags.error(
                Code::ErrYamlValidate,
                Some(loc),
                Some(what),
                "Item has no mapping for key 'items'",
            );
            return;
        };
        let Some(items) = Self::string_seq(cx, items_n, "items", &what) else {
            return;
        };
        let Ok(mode) = Self::merge_mode(cx, item, "items", &loc, &what) else {
            return;
        };
        let c = &mut self.collected;
        merge_def(
            &mut c.lists,
            &mut c.list_idx,
            name,
            items,
            mode,
            loc,
            cx,
            what,
        );
    }

    fn read_macro(&mut self, cx: &mut Ctx, item: &Item) {
        let invalid = (Code::InvalidMacroName, "Macro has an invalid name. Macro names should match a regular expression: [a-zA-Z]+[a-zA-Z0-9_]*");
        let Some((name, what, loc)) =
            Self::def_header(cx, item, "macro", "condition", valid_macro_name, invalid)
        else {
            return;
        };
        let Some(cond) = Self::req_string(cx, item, "condition", &what) else {
            return;
        };
        let cn = item.get("condition").unwrap();
        let cond = CondText::from_node(cond, &cx.src, cn, cx.loc(cn));
        let Ok(mode) = Self::merge_mode(cx, item, "condition", &loc, &what) else {
            return;
        };
        let c = &mut self.collected;
        merge_def(
            &mut c.macros,
            &mut c.macro_idx,
            name,
            cond,
            mode,
            loc,
            cx,
            what,
        );
    }

    /// How a list or macro item combines with an earlier one of the same
    /// name, from its `append` (deprecated) or `override: {key: ...}`:
    /// Some(true) appends, Some(false) replaces, None defines. Err when both
    /// keys are used (already reported).
    fn merge_mode(
        cx: &mut Ctx,
        item: &Item,
        key: &str,
        loc: &Loc,
        what: &str,
    ) -> Result<Option<bool>, ()> {
        let append_flag = match item.get("append") {
            Some(n) => Self::bool_of(cx, n, "append", what).unwrap_or(false),
            None => false,
        };
        let ov = Self::read_override(cx, item, &[key], &[key], what).unwrap_or_default();
        if append_flag && item.has("override") {
            cx.diags.error(
                Code::ErrOverrideAppend,
                Some(loc.clone()),
                Some(what.to_string()),
                "Keys 'override' and 'append: true' cannot be used together",
            );
            return Err(());
        }
        if append_flag {
            cx.diags.warn(
                Code::DeprecatedItem,
                Some(loc.clone()),
                Some(what.to_string()),
                "The 'append' key is deprecated; use 'override'",
            );
            return Ok(Some(true));
        }
        Ok(ov.iter().find(|o| o.0 == key).map(|o| o.1))
    }

    fn read_exceptions(cx: &mut Ctx, n: &MarkedYaml, what: &str) -> Option<Vec<ExceptionDef>> {
        let YamlData::Sequence(seq) = &n.data else {
            if matches!(n.data, YamlData::Value(Scalar::Null)) {
                return Some(Vec::new());
            }
            let loc = cx.loc(n);
            cx.diags.error(
                Code::ErrYamlValidate,
                Some(loc),
                Some(what.into()),
                "'exceptions' must be a sequence",
            );
            return None;
        };
        let mut out = Vec::new();
        for e in seq {
            let loc = cx.loc(e);
            let YamlData::Mapping(m) = &e.data else {
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.into()),
                    "each exception must be a mapping",
                );
                return None;
            };
            let get = |k: &str| {
                m.iter()
                    .find(|(kk, _)| scalar_str(kk).as_deref() == Some(k))
                    .map(|(_, v)| v)
            };
            for (k, _) in m.iter() {
                let ks = scalar_str(k).unwrap_or_default();
                if !["name", "fields", "comps", "values"].contains(&ks.as_ref()) {
                    let l = cx.loc(k);
                    cx.diags.warn(
                        Code::UnknownKey,
                        Some(l),
                        Some(what.into()),
                        format!("Unexpected key '{ks}' in exception"),
                    );
                }
            }
            let Some(name) = get("name").and_then(scalar_string) else {
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc),
                    Some(what.into()),
                    "Item has no mapping for key 'name' in exception",
                );
                return None;
            };
            let exf = |n: &MarkedYaml| -> Option<ExFields> {
                match &n.data {
                    YamlData::Sequence(v) => {
                        Some(ExFields::Many(v.iter().filter_map(scalar_string).collect()))
                    }
                    _ => scalar_string(n).map(ExFields::One),
                }
            };
            let fields = get("fields").and_then(exf);
            let comps = get("comps").and_then(exf);
            let mut values = Vec::new();
            if let Some(vn) = get("values") {
                match &vn.data {
                    YamlData::Sequence(rows) => {
                        for r in rows {
                            match &r.data {
                                YamlData::Sequence(cells) => {
                                    let mut row = Vec::new();
                                    for c in cells {
                                        match &c.data {
                                            YamlData::Sequence(l) => row.push(ExValue::List(
                                                l.iter().filter_map(scalar_string).collect(),
                                            )),
                                            _ => row.push(ExValue::Scalar(
                                                scalar_string(c).unwrap_or_default(),
                                            )),
                                        }
                                    }
                                    values.push(row);
                                }
                                _ => values.push(vec![ExValue::Scalar(
                                    scalar_string(r).unwrap_or_default(),
                                )]),
                            }
                        }
                    }
                    YamlData::Value(Scalar::Null) => {}
                    _ => {
                        let l = cx.loc(vn);
                        cx.diags.error(
                            Code::ErrYamlValidate,
                            Some(l),
                            Some(what.into()),
                            "exception 'values' must be a sequence",
                        );
                        return None;
                    }
                }
            }
            out.push(ExceptionDef {
                name,
                fields,
                comps,
                values,
                loc,
            });
        }
        Some(out)
    }

    fn read_rule(&mut self, cx: &mut Ctx, item: &Item) {
        let Some(name) = Self::req_string(cx, item, "rule", "rule") else {
            return;
        };
        let what = item_name("rule", &name);
        let loc = cx.loc(item.node);
        const KEYS: &[&str] = &[
            "rule",
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "enabled",
            "source",
            "exceptions",
            "append",
            "override",
            "skip-if-unknown-filter",
            "warn_evttypes",
            "capture",
            "capture_duration",
        ];
        Self::warn_unknown_keys(cx, item, KEYS, &what);
        let append_flag = match item.get("append") {
            Some(n) => Self::bool_of(cx, n, "append", &what).unwrap_or(false),
            None => false,
        };
        if append_flag && item.has("override") {
            cx.diags.error(
                Code::ErrOverrideAppend,
                Some(loc),
                Some(what),
                "Keys 'override' and 'append: true' cannot be used together",
            );
            return;
        }
        let source = match item.get("source") {
            Some(n) => Self::string_of(cx, n, "source", &what),
            None => None,
        };
        let existing = self.collected.rule_idx.get(&name).copied();
        if let (Some(s), Some(i)) = (&source, existing) {
            let prev = &self.collected.rules[i];
            if prev.explicit_source && &prev.source != s {
                cx.diags.error(
                    Code::ErrValidate,
                    Some(loc),
                    Some(what),
                    format!(
                        "Rule redefined with a different source ('{s}' vs '{}')",
                        prev.source
                    ),
                );
                return;
            }
        }

        let cond_of = |cx: &mut Ctx, n: &MarkedYaml| -> Option<CondText> {
            let s = Self::string_of(cx, n, "condition", &what)?;
            let l = cx.loc(n);
            Some(CondText::from_node(s, &cx.src, n, l))
        };

        // The rule an append, override or enabled-only item changes; an
        // error when no rule of that name exists yet.
        let target = |cx: &mut Ctx, how: &str| {
            if existing.is_none() {
                cx.diags.error(
                    Code::ErrValidate,
                    Some(loc.clone()),
                    Some(what.clone()),
                    format!("Rule has {how} but no rule by that name already exists"),
                );
            }
            existing
        };

        if append_flag {
            cx.diags.warn(
                Code::DeprecatedItem,
                Some(loc.clone()),
                Some(what.clone()),
                "The 'append' key is deprecated; use 'override'",
            );
            let Some(i) = target(cx, "'append' key") else {
                return;
            };
            if !item.has("condition") && !item.has("exceptions") {
                cx.diags.error(
                    Code::ErrValidate,
                    Some(loc),
                    Some(what),
                    "Appended rule must have exceptions or condition property",
                );
                return;
            }
            if let Some(n) = item.get("condition") {
                if let Some(c) = cond_of(cx, n) {
                    self.collected.rules[i].condition.append(c);
                }
            }
            if let Some(n) = item.get("exceptions") {
                if let Some(ex) = Self::read_exceptions(cx, n, &what) {
                    merge_exceptions(&mut self.collected.rules[i].exceptions, ex);
                }
            }
            return;
        }

        if item.has("override") {
            const APP: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
            const REP: &[&str] = &[
                "condition",
                "output",
                "desc",
                "priority",
                "capture",
                "capture_duration",
                "tags",
                "exceptions",
                "enabled",
                "warn_evttypes",
                "skip-if-unknown-filter",
            ];
            let ov = Self::read_override(cx, item, APP, REP, &what).unwrap_or_default();
            for (k, kn, _) in &item.entries {
                if k != "rule" && k != "override" && !ov.iter().any(|o| &o.0 == k) {
                    let l = cx.loc(kn);
                    cx.diags.error(
                        Code::ErrOverride,
                        Some(l),
                        Some(what.clone()),
                        format!("Unexpected key '{k}': no corresponding entry under 'override' is defined."),
                    );
                    return;
                }
            }
            let Some(i) = target(cx, "an override") else {
                return;
            };
            for (k, app) in ov {
                let n = item.get(&k).unwrap();
                match k.as_str() {
                    "condition" => {
                        if let Some(c) = cond_of(cx, n) {
                            let r = &mut self.collected.rules[i];
                            if app {
                                r.condition.append(c)
                            } else {
                                r.condition = c
                            }
                        }
                    }
                    "output" | "desc" => {
                        if let Some(s) = Self::string_of(cx, n, &k, &what) {
                            let src = (k == "output")
                                .then(|| CondText::from_node(s.clone(), &cx.src, n, cx.loc(n)));
                            let r = &mut self.collected.rules[i];
                            let t = if k == "output" {
                                &mut r.output
                            } else {
                                &mut r.desc
                            };
                            if app {
                                t.push(' ');
                                t.push_str(&s);
                            } else {
                                *t = s;
                            }
                            if let Some(src) = src {
                                if app {
                                    r.output_src.append(src);
                                } else {
                                    r.output_loc = cx.loc(n);
                                    r.output_src = src;
                                }
                            }
                            if k == "output" {
                                r.output = r.output.trim().to_string();
                            }
                        }
                    }
                    "tags" => {
                        if let Some(t) = Self::string_seq(cx, n, "tags", &what) {
                            let r = &mut self.collected.rules[i];
                            if !app {
                                r.tags.clear();
                            }
                            r.tags.extend(t);
                        }
                    }
                    "exceptions" => {
                        if let Some(ex) = Self::read_exceptions(cx, n, &what) {
                            let r = &mut self.collected.rules[i];
                            if app {
                                merge_exceptions(&mut r.exceptions, ex);
                            } else {
                                r.exceptions = ex;
                            }
                        }
                    }
                    "priority" => {
                        if let Some(p) = Self::priority_of(cx, n, &what) {
                            self.collected.rules[i].priority = p;
                        }
                    }
                    "enabled" | "warn_evttypes" | "skip-if-unknown-filter" | "capture" => {
                        if let Some(b) = Self::bool_of(cx, n, &k, &what) {
                            let r = &mut self.collected.rules[i];
                            match k.as_str() {
                                "enabled" => r.enabled = b,
                                "warn_evttypes" => r.warn_evttypes = b,
                                "capture" => r.capture = b,
                                _ => r.skip_if_unknown_filter = b,
                            }
                        }
                    }
                    "capture_duration" => {
                        if let Some(s) = Self::string_of(cx, n, &k, &what) {
                            self.collected.rules[i].capture_duration = s.parse().unwrap_or(0);
                        }
                    }
                    _ => {}
                }
            }
            return;
        }

        // Enabled-only toggle (deprecated form).
        let defining = ["condition", "output", "desc", "priority"]
            .iter()
            .any(|k| item.has(k));
        if !defining && item.has("enabled") {
            cx.diags.warn(
                Code::DeprecatedItem,
                Some(loc.clone()),
                Some(what.clone()),
                "The rule only sets 'enabled'; use 'override: {enabled: replace}'",
            );
            let Some(i) = target(cx, "'enabled' key") else {
                return;
            };
            if let Some(b) = Self::bool_of(cx, item.get("enabled").unwrap(), "enabled", &what) {
                self.collected.rules[i].enabled = b;
            }
            return;
        }

        // A full definition.
        let mut ok = true;
        for k in ["condition", "output", "desc", "priority"] {
            if !item.has(k) {
                cx.diags.error(
                    Code::ErrYamlValidate,
                    Some(loc.clone()),
                    Some(what.clone()),
                    format!("Item has no mapping for key '{k}'"),
                );
                ok = false;
            }
        }
        if !ok {
            return;
        }
        let Some(condition) = cond_of(cx, item.get("condition").unwrap()) else {
            return;
        };
        let output_node = item.get("output").unwrap();
        let output_loc = cx.loc(output_node);
        let Some(output) = Self::string_of(cx, output_node, "output", &what) else {
            return;
        };
        let output_src =
            CondText::from_node(output.clone(), &cx.src, output_node, output_loc.clone());
        let Some(desc) = Self::string_of(cx, item.get("desc").unwrap(), "desc", &what) else {
            return;
        };
        let Some(priority) = Self::priority_of(cx, item.get("priority").unwrap(), &what) else {
            return;
        };
        let tags = match item.get("tags") {
            Some(n) => match Self::string_seq(cx, n, "tags", &what) {
                Some(t) => t.into_iter().collect(),
                None => return,
            },
            None => BTreeSet::new(),
        };
        let mut b = |k: &str, d: bool| match item.get(k) {
            Some(n) => Self::bool_of(cx, n, k, &what).unwrap_or(d),
            None => d,
        };
        let enabled = b("enabled", true);
        let warn_evttypes = b("warn_evttypes", true);
        let skip = b("skip-if-unknown-filter", false);
        let capture = b("capture", false);
        let capture_duration = item
            .get("capture_duration")
            .and_then(scalar_string)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let exceptions = match item.get("exceptions") {
            Some(n) => match Self::read_exceptions(cx, n, &what) {
                Some(e) => e,
                None => return,
            },
            None => Vec::new(),
        };
        let rule = RuleDef {
            name: name.clone(),
            condition,
            output: output.trim().to_string(),
            desc,
            priority,
            tags,
            enabled,
            explicit_source: source.is_some(),
            source: source.unwrap_or_else(|| "syscall".to_string()),
            exceptions,
            warn_evttypes,
            skip_if_unknown_filter: skip,
            capture,
            capture_duration,
            loc,
            output_loc,
            output_src,
        };
        let c = &mut self.collected;
        match existing {
            Some(i) => c.rules[i] = rule,
            None => {
                c.rule_idx.insert(name, c.rules.len());
                c.rules.push(rule);
            }
        }
    }

    fn priority_of(cx: &mut Ctx, n: &MarkedYaml, what: &str) -> Option<Priority> {
        let s = Self::string_of(cx, n, "priority", what)?;
        match Priority::parse(&s) {
            Some(p) => Some(p),
            None => {
                let loc = cx.loc(n);
                cx.diags.error(
                    Code::ErrValidate,
                    Some(loc),
                    Some(what.into()),
                    format!("Invalid priority '{s}'"),
                );
                None
            }
        }
    }
}

/// Parse YAML from a string. The parser reads the string in place
/// (saphyr's `load_from_str` feeds it one char at a time through a ring
/// buffer, about 4% of parsing Falco's rules) into [`crate::yaml`]'s tree;
/// the trees, spans and errors are saphyr's (test `the_tree_is_saphyrs`).
fn parse_yaml(text: &str) -> Result<Vec<MarkedYaml<'_>>, saphyr::ScanError> {
    crate::yaml::load_from_str(text)
}

/// The parse error [`parse_yaml_lenient`] retries.
const LENIENT_ERROR: &str = "invalid indentation";

type YamlDocs = Result<Vec<MarkedYaml<'static>>, saphyr::ScanError>;

/// Parse YAML, accepting one leniency of the YAML parser Falco uses
/// (yaml-cpp): a flow collection closed by a `]`/`}` line indented no more
/// than its parent key. YAML 1.2 rejects that; upstream rules files use it.
/// Such a line gets one more space at a time (only that line's columns
/// shift), up to MAX_PAD: a line that padding does not fix is reported as
/// written, so a broken file costs a few parses, not thousands.
fn parse_yaml_lenient(text: String) -> (String, YamlDocs) {
    let (text, docs, _parses) = parse_yaml_lenient_counted(text);
    (text, docs)
}

/// Spaces tried before one closing-bracket line.
const MAX_PAD: usize = 16;
/// Parses of one file at most (each pads one line by one space).
const MAX_PARSES: usize = 1000;

/// [`parse_yaml_lenient`], also returning how many parses it took.
fn parse_yaml_lenient_counted(mut text: String) -> (String, YamlDocs, usize) {
    let parse =
        |t: &str| -> YamlDocs { parse_yaml(t).map(|v| v.into_iter().map(into_static).collect()) };
    // (line, spaces inserted) of the line being padded
    let mut padding: Option<(usize, usize)> = None;
    for parses in 1..=MAX_PARSES {
        let r = parse(&text);
        let Err(e) = &r else {
            return (text, r, parses);
        };
        if e.info() != LENIENT_ERROR {
            return (text, r, parses);
        }
        let line_no = e.marker().line();
        let mut start = 0usize;
        for _ in 1..line_no {
            match text[start..].find('\n') {
                Some(p) => start += p + 1,
                None => return (text, r, parses),
            }
        }
        let line_end = text[start..]
            .find('\n')
            .map(|p| start + p)
            .unwrap_or(text.len());
        let trimmed = text[start..line_end].trim_start();
        if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
            return (text, r, parses);
        }
        let pad = match padding {
            Some((l, n)) if l == line_no => n,
            _ => 0,
        };
        if pad == MAX_PAD {
            // padding does not fix this line: report it as it was written
            text.replace_range(start..start + pad, "");
            let r = parse(&text);
            return (text, r, parses + 1);
        }
        text.insert(start, ' ');
        padding = Some((line_no, pad + 1));
    }
    let r = parse(&text);
    (text, r, MAX_PARSES + 1)
}

fn into_static(n: MarkedYaml<'_>) -> MarkedYaml<'static> {
    use std::borrow::Cow;
    let data = match n.data {
        YamlData::Value(s) => YamlData::Value(match s {
            Scalar::Null => Scalar::Null,
            Scalar::Boolean(b) => Scalar::Boolean(b),
            Scalar::Integer(i) => Scalar::Integer(i),
            Scalar::FloatingPoint(f) => Scalar::FloatingPoint(f),
            Scalar::String(s) => Scalar::String(Cow::Owned(s.into_owned())),
        }),
        YamlData::Sequence(v) => YamlData::Sequence(v.into_iter().map(into_static).collect()),
        YamlData::Mapping(m) => YamlData::Mapping(
            m.into_iter()
                .map(|(k, v)| (into_static(k), into_static(v)))
                .collect(),
        ),
        YamlData::Tagged(t, b) => {
            YamlData::Tagged(Cow::Owned(t.into_owned()), Box::new(into_static(*b)))
        }
        YamlData::BadValue => YamlData::BadValue,
    };
    MarkedYaml { span: n.span, data }
}

fn merge_exceptions(into: &mut Vec<ExceptionDef>, new: Vec<ExceptionDef>) {
    for e in new {
        match into.iter_mut().find(|x| x.name == e.name) {
            Some(x) => x.values.extend(e.values),
            None => into.push(e),
        }
    }
}

fn valid_list_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            !(c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b','))
        })
}

fn valid_macro_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_bracket_at_its_keys_indentation_is_accepted() {
        // as in upstream's sandbox rules: quoted items, then `]` at the
        // indentation of `items:`
        let t = "- list: a\n  items: [\n    \"x\",\n    \"y\"\n  ]\n- list: b\n  items: [z]\n";
        let (_, docs, parses) = parse_yaml_lenient_counted(t.to_string());
        assert!(docs.is_ok(), "{docs:?}");
        assert!(parses >= 2, "the ] line was padded ({parses} parses)");
    }

    #[test]
    fn a_bracket_line_padding_cannot_fix_costs_few_parses() {
        // found by the rules_load fuzz target: a CR and alias stars inside a
        // flow sequence made every padded parse fail on the ] line again,
        // 10,000 parses (seconds) before the error came out
        let t = "- list: m\n  items: [\n    a, b,\n    c, \r*****d, e\n    ]\n";
        let (text, docs, parses) = parse_yaml_lenient_counted(t.to_string());
        let e = docs.expect_err("not valid YAML");
        assert!(parses > MAX_PAD, "padding was tried ({parses} parses)");
        assert!(parses <= MAX_PAD + 2, "{parses} parses");
        assert_eq!(text, t, "reported as written");
        let l = load(t);
        assert!(l.diags.has_errors());
        assert!(e.marker().line() >= 4, "{e}");
    }

    #[test]
    fn the_tree_is_saphyrs() {
        // saphyr's load_from_str (its loader, chars through a ring buffer)
        // and parse_yaml (the str input, crate::yaml's tree) must give the
        // same trees, spans and errors: tricky inputs, then deterministic
        // mutations of a rules file.
        let seed = "# c\n- list: a\n  items: [x, 'y z', \"q\\tr\", 22, 1.5, ~, true]\n- macro: m\n  condition: >\n    proc.name in (a)\n    and fd.num >= 0\n- rule: R # trailing\n  desc: |-\n    two\n      lines\n  condition: m and not evt.type in (open, \"ab c\")\n  output: \"%proc.name é ü\"\n  priority: WARNING\n  tags: [t1, t2]\n  exceptions:\n  - name: e\n    fields: [proc.name, fd.name]\n    values:\n    - [bash, /etc/x]\n  override: {condition: append}\n---\n- &a x\n- *a\n- !!str 12\n...\n";
        let mut inputs: Vec<String> = [
            "",
            "\0",
            "a\0b",
            "- a\0\n- b",
            "\u{feff}- a",
            "- a\r\n- b\r",
            "\t- a",
            "- 'open",
            "- \"x\\",
            "- [a, b",
            "- {a: b",
            "key: [\n  x\n]\n",
            "- a: |2\n   x\n",
            "- >+\n\n  x\n\n",
            "- \"\\u00e9\\x41\\U0001F600\"",
            "%YAML 1.2\n---\n- a",
            "- a: b\n  c",
            "- ? a\n  : b",
            "- é: ü\n  ñ: [ö, 'ä']",
            "- a #c\n#d\n- b",
            ":",
            "- -",
            "---\n---\n",
            "- &x [*x]",
            "- \u{2028}a\u{85}b",
            "- a\n\u{3000}- b",
            "\u{1F600}: \u{1F600}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // mappings (duplicate keys, past the keys compared one by one),
        // anchors, aliases and their budget, tags, odd keys
        let many = |n: usize, dup: bool| {
            let mut t: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
            if dup {
                t += "k3: again\n";
            }
            t
        };
        inputs.extend([many(5, true), many(40, false), many(40, true)]);
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let uses = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs += &format!("a{i}: &a{i} [{uses}]\n");
        }
        inputs.push(laughs);
        inputs.extend(
            [
                "a: 1\na: 2\n",
                "{1: a, 1.0: b}",
                "{1: a, '1': b}",
                "{~: a, null: b}",
                "{.nan: a, .NaN: b}",
                "{0x1: a, 1: b}",
                "- !!int abc\n- !!float x\n",
                "{!!int x: 1, y: 2}",
                "{!!int x: 1, y: 2, z: 3}",
                "- *zz",
                "&a a: &b b\n*a : c\n",
                "- &a [1, 2]\n- *a\n- !foo [x]\n- !foo {a: b}\n- !!seq [y]\n- !foo x\n",
                "{? [a, b] : c, ? [a, b] : d}",
                "{? {a: b} : c, ? {a: b} : d}",
                "{? [a] : c, ? [b] : d}",
                "- &m {a: b}\n- *m\n- {*m : x}\n",
                "x: !local &k\n  - 1\n  - *k\n",
                "? \n: v\n? \n: w\n",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        inputs.push(seed.to_string());
        let chars: Vec<char> = seed.chars().collect();
        let pool = [
            '-', ':', ' ', '\n', '\t', '\'', '"', '[', ']', '{', '}', '#', '|', '>', '&', '*', '!',
            '\\', '\0', '\r', 'é', ',', '?', '%',
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..3000 {
            let mut v = chars.clone();
            for _ in 0..1 + next(3) {
                let at = next(v.len() + 1);
                match next(3) {
                    0 if at < v.len() => {
                        v.remove(at);
                    }
                    1 if at < v.len() => v[at] = pool[next(pool.len())],
                    _ => v.insert(at, pool[next(pool.len())]),
                }
            }
            inputs.push(v.into_iter().collect());
        }
        use saphyr::LoadableYamlNode;
        fn ours(n: &MarkedYaml, out: &mut String) {
            use std::fmt::Write;
            let _ = write!(out, "{:?}", n.span);
            match &n.data {
                YamlData::Value(v) => {
                    let _ = write!(out, "V({v:?})");
                }
                YamlData::Sequence(v) => {
                    out.push_str("S[");
                    v.iter().for_each(|c| ours(c, out));
                    out.push(']');
                }
                YamlData::Mapping(m) => {
                    out.push_str("M{");
                    for (k, v) in m {
                        ours(k, out);
                        out.push_str(": ");
                        ours(v, out);
                    }
                    out.push('}');
                }
                YamlData::Tagged(t, b) => {
                    let _ = write!(out, "T({t:?})");
                    ours(b, out);
                }
                YamlData::BadValue => out.push_str("Bad"),
            }
        }
        fn theirs(n: &saphyr::MarkedYaml, out: &mut String) {
            use saphyr::YamlData as D;
            use std::fmt::Write;
            let _ = write!(out, "{:?}", n.span);
            match &n.data {
                D::Value(v) => {
                    let _ = write!(out, "V({v:?})");
                }
                D::Sequence(v) => {
                    out.push_str("S[");
                    v.iter().for_each(|c| theirs(c, out));
                    out.push(']');
                }
                D::Mapping(m) => {
                    out.push_str("M{");
                    for (k, v) in m {
                        theirs(k, out);
                        out.push_str(": ");
                        theirs(v, out);
                    }
                    out.push('}');
                }
                D::Tagged(t, b) => {
                    let _ = write!(out, "T({t:?})");
                    theirs(b, out);
                }
                D::BadValue => out.push_str("Bad"),
                other => panic!("saphyr's loader made {other:?}"),
            }
        }
        let err = |e: saphyr::ScanError| format!("{} at {:?}", e.info(), e.marker());
        let mut errors = 0;
        for t in &inputs {
            let a = parse_yaml(t).map(|d| {
                let mut s = String::new();
                d.iter().for_each(|n| ours(n, &mut s));
                s
            });
            let b = saphyr::MarkedYaml::load_from_str(t).map(|d| {
                let mut s = String::new();
                d.iter().for_each(|n| theirs(n, &mut s));
                s
            });
            errors += usize::from(a.is_err());
            assert_eq!(a.map_err(err), b.map_err(err), "{t:?}");
        }
        // both outcomes were compared
        assert!(errors > 100 && errors < inputs.len() - 100, "{errors}");
    }

    fn load(t: &str) -> Loader {
        let mut l = Loader::new();
        l.load_str("t.yaml", t.to_string());
        l
    }

    #[test]
    fn lists_macros_rules_and_positions() {
        let l = load(
            "- list: a\n  items: [x, 'y z', 22]\n- macro: m\n  condition: proc.name in (a)\n- rule: R\n  desc: d\n  condition: >\n    m and\n    fd.num >= 0\n  output: hi %proc.name\n  priority: warning\n  tags: [t1, t2]\n",
        );
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        let c = &l.collected;
        assert_eq!(c.list("a").unwrap().items, vec!["x", "y z", "22"]);
        let r = c.rule("R").unwrap();
        assert_eq!(r.priority, Priority::Warning);
        assert_eq!(r.loc.line, 5);
        assert_eq!(r.loc.col, 3);
        assert!(r.tags.contains("t2"));
        // offset of "fd.num" maps to line 9 col 5
        let off = r.condition.text.find("fd.num").unwrap();
        let loc = r.condition.locate(off).unwrap();
        assert_eq!((loc.line, loc.col), (9, 5));
    }

    #[test]
    fn lists_and_macros_share_their_header_checks() {
        // unknown keys and bad names are warnings, said for each kind
        let l = load(
            "- list: 'bad name'\n  items: [x]\n  colour: red\n- macro: 9m\n  condition: evt.num=0\n  colour: red\n",
        );
        assert!(!l.diags.has_errors(), "{:#?}", l.diags);
        let codes: Vec<_> = l.diags.warnings().map(|w| w.code).collect();
        assert!(codes.contains(&Code::InvalidListName), "{codes:?}");
        assert!(codes.contains(&Code::InvalidMacroName), "{codes:?}");
        let unknown = l
            .diags
            .warnings()
            .filter(|w| w.code == Code::UnknownKey)
            .count();
        assert_eq!(unknown, 2, "{:#?}", l.diags);
        assert_eq!(l.collected.list("bad name").unwrap().items, vec!["x"]);
    }

    #[test]
    fn append_and_override() {
        let l = load(
            "- list: a\n  items: [x]\n- list: a\n  items: [y]\n  override:\n    items: append\n- macro: m\n  condition: evt.num=0\n- macro: m\n  condition: or evt.num=1\n  append: true\n- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n- rule: R\n  condition: and fd.num=1\n  priority: ERROR\n  override:\n    condition: append\n    priority: replace\n- rule: R\n  enabled: false\n",
        );
        assert!(!l.diags.has_errors(), "{:#?}", l.diags);
        let c = &l.collected;
        assert_eq!(c.list("a").unwrap().items, vec!["x", "y"]);
        assert_eq!(c.macros[0].condition.text, "evt.num=0 or evt.num=1");
        let r = c.rule("R").unwrap();
        assert_eq!(r.condition.text, "evt.type=open and fd.num=1");
        assert_eq!(r.priority, Priority::Error);
        assert!(!r.enabled);
        assert!(l.diags.warnings().any(|w| w.code == Code::DeprecatedItem));
    }

    #[test]
    fn errors_not_panics() {
        for bad in [
            "- rule: R\n  desc: d\n",
            "- list: a\n  items: x\n",
            "not yaml: [",
            "key: value\n",
            "- [1, 2]\n",
            "- rule: R\n  condition: a\n  output: o\n  desc: d\n  priority: loud\n",
            "- rule: X\n  condition: a\n  override:\n    condition: append\n",
            "- macro: m\n  condition: a\n  append: true\n",
            "- rule: R\n  condition: a\n  output: o\n  desc: d\n  priority: info\n  override:\n    output: replace\n",
            "- required_engine_version: 9.0.0\n",
            "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n",
        ] {
            let l = load(bad);
            assert!(l.diags.has_errors(), "no error for {bad:?}");
            for d in l.diags.errors() {
                let loc = d.loc.as_ref().expect("error has a location");
                assert_eq!(&*loc.file, "t.yaml");
                assert!(loc.line >= 1, "{d}");
            }
        }
    }

    #[test]
    fn exceptions_and_versions() {
        let l = load(
            "- required_engine_version: 0.57.0\n- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n  exceptions:\n  - name: e1\n    fields: [proc.name, fd.name]\n    values:\n    - [bash, /etc/x]\n  - name: e2\n    fields: proc.name\n    values: [a, b]\n- rule: R\n  exceptions:\n  - name: e2\n    values: [c]\n  override:\n    exceptions: append\n",
        );
        assert!(!l.diags.has_errors(), "{:#?}", l.diags);
        let r = l.collected.rule("R").unwrap();
        assert_eq!(r.exceptions.len(), 2);
        assert_eq!(r.exceptions[1].values.len(), 3);
        assert_eq!(l.collected.required_engine_version, Some((0, 57, 0)));
    }
}
