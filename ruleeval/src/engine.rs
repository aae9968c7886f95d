//! Rule compilation (lists, macros, exceptions, conditions, outputs), rule
//! selection, and the runtime that feeds events through the state engine and
//! the rules indexed by event type.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Map;
use sysreplay_format::block::LightSet;
use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::Event;

use crate::compile::{self, evttypes, Node, Scratch, TypeSet};
use crate::diag::{Code, Diags, Loc};
use crate::fields::{self, Ctx, TraceInfo};
use crate::loader::{
    Collected, CondText, ExFields, ExValue, ExceptionDef, Loader, Priority, RuleDef,
};
use crate::output::{Alert, OutputFormat};
use crate::parser::{self, Ast, CmpOp};
use crate::sc::{self, NSLOTS};
use crate::state::{FdRole, State};
use crate::FastMap;
use sysreplay_syscalls::sets::{
    self as syscall_sets, Selection as SyscallSelection, SelectionRequest,
};

/// Falco's `rule_matching`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RuleMatching {
    #[default]
    First,
    All,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    pub name: String,
    pub desc: String,
    pub priority: Priority,
    pub tags: BTreeSet<String>,
    pub source: String,
    /// The `enabled` key of the rules file.
    pub enabled_in_file: bool,
    /// Current selection (file default, then enable/disable calls).
    pub enabled: bool,
    pub types: TypeSet,
    pub node: Node,
    /// The condition as parsed, lists substituted, macros expanded and
    /// exceptions appended (`unparse::filter_text` prints it).
    pub condition: Ast,
    /// [`CompiledRule::parts`], built on first use: only profiles need
    /// them, and building them compiles each root operand again (about a
    /// tenth of loading Falco's rules).
    parts: std::sync::OnceLock<Vec<String>>,
    pub output: OutputFormat,
    pub output_text: String,
    /// Fields added to `output_fields` only (Falco's
    /// `append_output.extra_fields`): field values, then fixed texts.
    pub extra_fields: OutputFormat,
    pub extra_static: Vec<(String, String)>,
    /// Fields used in the expanded condition (display names).
    pub condition_fields: BTreeSet<String>,
    /// Fields with no offline value used by the condition or the output.
    pub offline_fields: BTreeSet<String>,
    pub loc: Loc,
}

impl CompiledRule {
    /// The text of each operand of the compiled root `and`/`or`, in order,
    /// when they map one to one onto the condition's operands (neutral
    /// constants such as `not never_true` folded away); empty otherwise.
    /// Profiles attribute work to these sub-conditions.
    pub fn parts(&self) -> &[String] {
        self.parts
            .get_or_init(|| root_parts(&self.condition, &self.node))
    }
}

/// The compiled rules of one or more files. Cloning is cheap next to
/// loading (one engine per worker thread).
#[derive(Clone, Debug, Default)]
pub struct Ruleset {
    pub rules: Vec<CompiledRule>,
    /// Macro names, indexed by the macro ids of compiled conditions.
    pub macro_names: Vec<String>,
    pub diags: Diags,
    pub required_engine_version: Option<(u64, u64, u64)>,
}

/// Load and compile rules files in order. Never panics on bad input; check
/// `diags.has_errors()`.
pub fn load_rules<P: AsRef<Path>>(paths: &[P]) -> Ruleset {
    let mut l = Loader::new();
    for p in paths {
        load_path(&mut l, p.as_ref());
    }
    compile_loaded(l)
}

/// The files a rules path stands for: a directory is its `.yaml`/`.yml`
/// regular files in name order (as Falco loads a directory of
/// `rules_files`), anything else itself.
pub fn rules_files_of(p: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(p) else {
        return vec![p.to_path_buf()];
    };
    let mut v: Vec<std::path::PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    v.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    v
}

fn load_path(l: &mut Loader, p: &Path) {
    for f in rules_files_of(p) {
        l.load_file(&f);
    }
}

/// The name diagnostics of a filter expression carry as their file.
pub const FILTER_FILE: &str = "filter";
const FILTER_RULE: &str = "sysreplay filter expression";

/// A filter expression (sysdig's filters: Falco's condition language),
/// compiled with the lists and macros of the rules files loaded with it.
#[derive(Clone, Debug)]
pub struct EventFilter {
    pub text: String,
    pub types: TypeSet,
    pub node: Node,
}

impl EventFilter {
    /// Whether the event of `cx` passes. Events with no event-type slot
    /// (fork/exec/drop records) pass only a filter that names no event type.
    pub fn matches(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        let typed = self.types.is_all()
            || fields::event_slot(cx.ev).is_some_and(|s| self.types.slots.contains(s));
        typed && self.node.eval(cx, sc)
    }
}

/// Load rules files in order, then compile `filter` (if any) with their
/// lists and macros. Errors in the filter are in `diags` with the file
/// [`FILTER_FILE`], line 1 and the column in the expression.
pub fn load_rules_with_filter<P: AsRef<Path>>(
    paths: &[P],
    filter: Option<&str>,
) -> (Ruleset, Option<EventFilter>) {
    let mut l = Loader::new();
    for p in paths {
        load_path(&mut l, p.as_ref());
    }
    let Some(expr) = filter else {
        return (compile_loaded(l), None);
    };
    // The expression becomes the condition of one more rule, as a literal
    // block scalar: its text reaches the parser unchanged, and a position
    // in it is (line - 3, column - 4) of this document.
    let mut doc = format!("- rule: {FILTER_RULE}\n  desc: x\n  condition: |-\n");
    for line in expr.trim().lines() {
        doc.push_str("    ");
        doc.push_str(line);
        doc.push('\n');
    }
    doc.push_str("  output: x\n  priority: DEBUG\n  warn_evttypes: false\n");
    l.load_str(FILTER_FILE, doc);
    let mut rs = compile_loaded(l);
    // Diagnostics of the synthetic rule speak of the expression only.
    let item = format!("rule '{FILTER_RULE}'");
    rs.diags.list.retain_mut(|d| {
        let ours = d.item.as_deref() == Some(item.as_str())
            || d.loc.as_ref().is_some_and(|l| &*l.file == FILTER_FILE);
        if !ours {
            return true;
        }
        if d.severity != crate::Severity::Error {
            return false;
        }
        d.item = Some("filter expression".into());
        if let Some(l) = &mut d.loc {
            l.file = FILTER_FILE.into();
            l.line = l.line.saturating_sub(3).max(1);
            l.col = l.col.saturating_sub(4).max(1);
        }
        true
    });
    let f = rs
        .rules
        .iter()
        .position(|r| r.name == FILTER_RULE)
        .map(|i| rs.rules.remove(i))
        .map(|r| EventFilter {
            text: expr.to_string(),
            types: r.types,
            node: r.node,
        });
    (rs, f)
}

/// Compile rules given as strings `(name, text)` (tests, embedding).
pub fn load_rules_str(files: &[(&str, &str)]) -> Ruleset {
    let mut l = Loader::new();
    for (n, t) in files {
        l.load_str(n, t.to_string());
    }
    compile_loaded(l)
}

fn is_boundary(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',' | b'=')
}

/// A condition's text after list substitution, and its offset map.
type Substituted = (String, Vec<(usize, usize)>);

/// Textual list substitution, as Falco does before parsing. Returns the new
/// text and a map (new offset, old offset) of each replaced run, or the
/// offset (in `text`) of a list that cannot be substituted and why.
fn substitute(text: &str, lists: &mut Lists) -> Result<Substituted, (usize, String)> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::new();
    let mut items = 0usize;
    let mut i = 0;
    while i < b.len() {
        if is_boundary(b[i]) {
            out.push(b[i] as char);
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && !is_boundary(b[i]) {
            i += 1;
        }
        let run = &text[s..i];
        let Some(li) = lists.find(run) else {
            if !map.is_empty() {
                map.push((out.len(), s));
            }
            out.push_str(run);
            continue;
        };
        lists.used[li] = true;
        let size = lists.size[li];
        if size.items > MAX_LIST_ITEMS || size.bytes > MAX_LIST_BYTES {
            return Err((s, format!("list '{run}' {}", too_large())));
        }
        items += size.items;
        if items > MAX_EXPANDED_NODES || out.len() + size.bytes > MAX_LIST_BYTES {
            return Err((
                s,
                format!(
                    "condition too large once its lists are expanded (over \
                     {MAX_EXPANDED_NODES} items or {MAX_LIST_BYTES} bytes)"
                ),
            ));
        }
        if size.items == 0 {
            // An empty list also takes one neighbouring comma, as Falco does.
            while out.ends_with(|c: char| c.is_ascii_whitespace()) {
                out.pop();
            }
            if out.ends_with(',') {
                out.pop();
            } else {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && b[j] == b',' {
                    i = j + 1;
                }
            }
            out.push(' ');
            map.push((out.len(), i));
        } else {
            map.push((out.len(), s));
            out.push_str(&lists.expansion(li).map_err(|e| (s, e))?);
            map.push((out.len(), i));
        }
    }
    Ok((out, map))
}

fn map_back(map: &[(usize, usize)], pos: usize) -> usize {
    match map.iter().rev().find(|(n, _)| *n <= pos) {
        Some((n, o)) => o + (pos - n),
        None => pos,
    }
}

fn quote_item(v: &str) -> String {
    if v.contains(' ') && !(v.starts_with('"') || v.starts_with('\'')) {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// Items one list may have once the lists it names are expanded, and items
/// one condition may receive from its lists (the macros' node budget). A
/// list that names an earlier one twice doubles it: without a bound, 28
/// lines of lists would exhaust memory. Upstream's largest list has a few
/// hundred items.
const MAX_LIST_ITEMS: usize = MAX_EXPANDED_NODES;
/// Bytes of the same (a few long items repeated would stay under the item
/// count).
const MAX_LIST_BYTES: usize = 16 << 20;
/// Bytes of list text built for all conditions together: each list used is
/// expanded once and kept, and a chain of lists that each add one item to
/// the one before must not build gigabytes of intermediate texts.
const MAX_LISTS_TEXT: usize = 64 << 20;

fn too_large() -> String {
    format!(
        "is too large once the lists it names are expanded (over {MAX_LIST_ITEMS} items \
         or {MAX_LIST_BYTES} bytes)"
    )
}

/// Expanded size of a list, saturating past the limits.
#[derive(Clone, Copy, Default)]
struct ListSize {
    items: usize,
    bytes: usize,
}

/// One item of a list: literal text (quoted as Falco does) or an earlier list.
enum Part {
    Lit(String),
    List(usize),
}

/// The lists, expanded as Falco's `compile_list_infos` does: an item naming
/// an *earlier* list stands for that list's items (so there are no cycles).
/// Sizes are computed for every list up front from the earlier lists' sizes;
/// the text of a list is built only when a condition uses it, once, from the
/// shared texts of the lists it names.
struct Lists {
    idx: FastMap<String, usize>,
    parts: Vec<Vec<Part>>,
    size: Vec<ListSize>,
    text: Vec<Option<std::rc::Rc<str>>>,
    /// Used by a condition or named by a later list.
    used: Vec<bool>,
    /// Bytes of text built so far (MAX_LISTS_TEXT).
    built: usize,
}

impl Lists {
    fn new(c: &Collected, diags: &mut Diags) -> Lists {
        let n = c.lists.len();
        let mut l = Lists {
            idx: FastMap::with_capacity_and_hasher(n, Default::default()),
            parts: Vec::with_capacity(n),
            size: Vec::with_capacity(n),
            text: vec![None; n],
            used: vec![false; n],
            built: 0,
        };
        for (i, def) in c.lists.iter().enumerate() {
            let mut parts = Vec::with_capacity(def.items.len());
            let mut size = ListSize::default();
            for it in &def.items {
                let add = match l.idx.get(it.as_str()) {
                    Some(&j) => {
                        l.used[j] = true;
                        parts.push(Part::List(j));
                        l.size[j]
                    }
                    None => {
                        let q = quote_item(it);
                        let add = ListSize {
                            items: 1,
                            bytes: q.len(),
                        };
                        parts.push(Part::Lit(q));
                        add
                    }
                };
                if add.items > 0 {
                    let sep = if size.items > 0 { 2 } else { 0 };
                    // saturate just past the limits: sizes stay small numbers
                    size.items = (size.items + add.items).min(MAX_LIST_ITEMS + 1);
                    size.bytes = (size.bytes + sep + add.bytes).min(MAX_LIST_BYTES + 1);
                }
            }
            if size.items > MAX_LIST_ITEMS || size.bytes > MAX_LIST_BYTES {
                diags.error(
                    Code::ErrValidate,
                    Some(def.loc.clone()),
                    Some(format!("list '{}'", def.name)),
                    format!("List {}", too_large()),
                );
            }
            l.idx.insert(def.name.clone(), i);
            l.parts.push(parts);
            l.size.push(size);
        }
        l
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.idx.get(name).copied()
    }

    /// The text of list `i`: its items, comma-separated. Built without
    /// recursion (a chain of 100,000 lists must not overflow the stack).
    /// Every list it names gets its text too, built once from theirs.
    fn expansion(&mut self, i: usize) -> Result<std::rc::Rc<str>, String> {
        let mut stack = vec![(i, 0usize)];
        while let Some(&mut (top, ref mut next)) = stack.last_mut() {
            if self.text[top].is_some() {
                stack.pop();
                continue;
            }
            // the first earlier list this one names that has no text yet
            let parts = &self.parts[top];
            while *next < parts.len() {
                match parts[*next] {
                    Part::List(j) if self.text[j].is_none() && self.size[j].items > 0 => break,
                    _ => *next += 1,
                }
            }
            if let Some(&Part::List(j)) = parts.get(*next) {
                stack.push((j, 0));
                continue;
            }
            self.built += self.size[top].bytes;
            if self.built > MAX_LISTS_TEXT {
                return Err(format!(
                    "the lists used by the rules expand to over {MAX_LISTS_TEXT} bytes \
                     (every list used and every list it names, together)"
                ));
            }
            let mut s = String::with_capacity(self.size[top].bytes);
            let mut first = true;
            for p in parts {
                let piece: &str = match p {
                    Part::Lit(v) => v,
                    Part::List(j) if self.size[*j].items == 0 => continue,
                    Part::List(j) => self.text[*j].as_deref().unwrap_or_default(),
                };
                if !first {
                    s.push_str(", ");
                }
                first = false;
                s.push_str(piece);
            }
            self.text[top] = Some(s.into());
            stack.pop();
        }
        Ok(self.text[i].clone().unwrap_or_default())
    }
}

fn exception_condition(ex: &ExceptionDef, what: &str, diags: &mut Diags) -> Option<String> {
    if ex.values.is_empty() {
        return None;
    }
    let fmt_val = |v: &ExValue, list_op: bool| -> String {
        match v {
            ExValue::List(l) => format!(
                "({})",
                l.iter()
                    .map(|s| quote_item(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExValue::Scalar(s) => {
                if list_op {
                    format!("({})", quote_item(s))
                } else {
                    quote_item(s)
                }
            }
        }
    };
    let bad = |diags: &mut Diags, msg: String| {
        diags.error(
            Code::ErrValidate,
            Some(ex.loc.clone()),
            Some(what.to_string()),
            msg,
        );
        None::<String>
    };
    let check_field = |diags: &mut Diags, f: &str| -> bool {
        let (name, arg) = match f.find('[') {
            Some(i) if f.ends_with(']') => (&f[..i], Some(&f[i + 1..f.len() - 1])),
            _ => (f, None),
        };
        if let Err(m) = fields::lookup(name, arg) {
            diags.error(
                Code::ErrValidate,
                Some(ex.loc.clone()),
                Some(what.to_string()),
                format!("exception '{}': {m}", ex.name),
            );
            return false;
        }
        true
    };
    match &ex.fields {
        None => bad(diags, format!("exception '{}' has no 'fields'", ex.name)),
        Some(ExFields::One(f)) => {
            if !check_field(diags, f) {
                return None;
            }
            let comp = match &ex.comps {
                None => "in".to_string(),
                Some(ExFields::One(c)) => c.clone(),
                Some(ExFields::Many(_)) => return bad(diags, format!("exception '{}': 'comps' must be a single operator when 'fields' is a single field", ex.name)),
            };
            let op = CmpOp::from_name(&comp);
            if !matches!(op, Some(CmpOp::In | CmpOp::PMatch | CmpOp::Intersects)) {
                return bad(diags, format!("exception '{}': invalid comparison operator '{comp}' for a single field (expected in, pmatch or intersects)", ex.name));
            }
            let mut items = Vec::new();
            for row in &ex.values {
                for v in row {
                    match v {
                        ExValue::Scalar(s) => items.push(quote_item(s)),
                        ExValue::List(l) => items.extend(l.iter().map(|s| quote_item(s))),
                    }
                }
            }
            Some(format!("({f} {comp} ({}))", items.join(", ")))
        }
        Some(ExFields::Many(fs)) => {
            for f in fs {
                if !check_field(diags, f) {
                    return None;
                }
            }
            let comps: Vec<String> = match &ex.comps {
                None => vec!["=".to_string(); fs.len()],
                Some(ExFields::Many(c)) => c.clone(),
                Some(ExFields::One(c)) => vec![c.clone(); fs.len()],
            };
            if comps.len() != fs.len() {
                return bad(
                    diags,
                    format!(
                        "exception '{}': fields and comps lists must have equal length",
                        ex.name
                    ),
                );
            }
            for c in &comps {
                if CmpOp::from_name(c).is_none_or(|o| o == CmpOp::Exists) {
                    return bad(
                        diags,
                        format!("exception '{}': invalid comparison operator '{c}'", ex.name),
                    );
                }
            }
            let mut rows = Vec::new();
            for row in &ex.values {
                if row.len() != fs.len() {
                    return bad(
                        diags,
                        format!(
                            "exception '{}': a values entry has {} items but there are {} fields",
                            ex.name,
                            row.len(),
                            fs.len()
                        ),
                    );
                }
                let parts: Vec<String> = fs
                    .iter()
                    .zip(&comps)
                    .zip(row)
                    .map(|((f, c), v)| {
                        let lop = CmpOp::from_name(c).is_some_and(|o| o.is_list());
                        format!("{f} {c} {}", fmt_val(v, lop))
                    })
                    .collect();
                rows.push(format!("( {} )", parts.join(" and ")));
            }
            Some(format!("( {} )", rows.join(" or ")))
        }
    }
}

struct MacroState<'c> {
    ast: Option<std::sync::Arc<Ast>>,
    /// Size of `ast`: nodes and nesting depth, macros expanded.
    nodes: usize,
    depth: usize,
    used: bool,
    name: &'c str,
    cond: &'c CondText,
    /// Offset map of the list substitution of its condition.
    map: Vec<(usize, usize)>,
}

/// Nodes one condition may have once its macros are expanded. Each use of a
/// macro copies its body, so a chain of macros that each use the previous
/// one twice doubles at every link: without a bound, a few dozen lines of
/// rules would exhaust memory. Upstream's rules (all three files) stay
/// under 1000.
const MAX_EXPANDED_NODES: usize = 200_000;

/// What a condition has grown to while its macros are expanded.
#[derive(Default)]
struct Expansion {
    nodes: usize,
    depth: usize,
}

fn resolve_macros(
    ast: Ast,
    visible: usize,
    macros: &mut [MacroState<'_>],
    idx: &FastMap<String, usize>,
) -> Result<(Ast, Expansion), (usize, String)> {
    let mut grown = Expansion::default();
    let a = resolve_within(ast, visible, macros, idx, 1, &mut grown)?;
    Ok((a, grown))
}

/// `resolve_macros` for a node at nesting `depth`. Takes the parsed tree
/// and rebuilds it in place (copying its leaves cost as much as a third
/// of the expansion).
fn resolve_within(
    ast: Ast,
    visible: usize,
    macros: &mut [MacroState<'_>],
    idx: &FastMap<String, usize>,
    depth: usize,
    grown: &mut Expansion,
) -> Result<Ast, (usize, String)> {
    grown.nodes += 1;
    grown.depth = grown.depth.max(depth);
    let mut each = |v: Vec<Ast>, grown: &mut Expansion| {
        v.into_iter()
            .map(|a| resolve_within(a, visible, macros, idx, depth + 1, grown))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match ast {
        Ast::And(v) => Ast::And(each(v, grown)?),
        Ast::Or(v) => Ast::Or(each(v, grown)?),
        Ast::Not(b) => Ast::Not(Box::new(resolve_within(
            *b,
            visible,
            macros,
            idx,
            depth + 1,
            grown,
        )?)),
        Ast::Ident(name, pos) => match idx.get(&name) {
            Some(&i) if i < visible => {
                let m = &mut macros[i];
                m.used = true;
                let Some(body) = &m.ast else {
                    return Err((pos, format!("macro '{name}' has errors")));
                };
                grown.nodes += m.nodes;
                grown.depth = grown.depth.max(depth + m.depth);
                if grown.depth > parser::MAX_DEPTH {
                    return Err((pos, "exceeded max depth limit".into()));
                }
                if grown.nodes > MAX_EXPANDED_NODES {
                    return Err((
                        pos,
                        format!(
                            "condition too large once its macros are expanded \
                             (over {MAX_EXPANDED_NODES} nodes)"
                        ),
                    ));
                }
                Ast::Macro(i, body.clone())
            }
            _ => return Err((pos, format!("Undefined macro '{name}' used in filter."))),
        },
        o => o,
    })
}

fn collect_fields(ast: &Ast, out: &mut BTreeSet<String>) {
    match ast {
        Ast::And(v) | Ast::Or(v) => v.iter().for_each(|a| collect_fields(a, out)),
        Ast::Not(b) => collect_fields(b, out),
        Ast::Ident(..) => {}
        Ast::Macro(_, b) => collect_fields(b, out),
        Ast::Unary(o, ..) => add_field(o.base_field(), out),
        Ast::Binary { lhs, rhs, .. } => {
            add_field(lhs.base_field(), out);
            if let parser::Rhs::Operand(o) = rhs {
                add_field(o.base_field(), out);
            }
        }
    }
}

/// Add a field's display name, copying it only when new (a condition names
/// the same few fields many times).
fn add_field(f: &parser::FieldRef, out: &mut BTreeSet<String>) {
    if f.arg.is_some() || !out.contains(f.name.as_str()) {
        out.insert(disp(f));
    }
}

fn disp(f: &parser::FieldRef) -> String {
    match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    }
}

fn is_offline(display: &str) -> bool {
    let name = display.split('[').next().unwrap_or("");
    fields::is_offline_field(name)
        || name.starts_with("fd.") && name.ends_with(".name") && name != "fd.name"
        // not recorded by the probe: the executable's inode data
        || name.starts_with("proc.exe_ino")
}

#[allow(clippy::too_many_arguments)]
fn cond_error(
    diags: &mut Diags,
    code: Code,
    cond: &CondText,
    map: &[(usize, usize)],
    shift: usize,
    pos: usize,
    item: String,
    msg: String,
) {
    let orig = map_back(map, pos).saturating_sub(shift);
    let loc = cond.locate(orig.min(cond.text.len()));
    diags.error(code, loc, Some(item), msg);
}

fn compile_loaded(l: Loader) -> Ruleset {
    let Loader {
        collected: mut c,
        mut diags,
    } = l;
    let mut lists = Lists::new(&c, &mut diags);
    let macro_idx: FastMap<String, usize> = c
        .macros
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let mut macros: Vec<MacroState> = c
        .macros
        .iter()
        .map(|m| MacroState {
            ast: None,
            nodes: 0,
            depth: 0,
            used: false,
            name: &m.name,
            cond: &m.condition,
            map: Vec::new(),
        })
        .collect();

    // Macros, in order; each sees only the macros before it.
    for (i, m) in c.macros.iter().enumerate() {
        // the item's name, for errors only
        let item = || format!("macro '{}'", m.name);
        let (text, map) = match substitute(&m.condition.text, &mut lists) {
            Ok(x) => x,
            Err((pos, msg)) => {
                let e = Code::ErrCompileCondition;
                cond_error(&mut diags, e, &m.condition, &[], 0, pos, item(), msg);
                continue;
            }
        };
        macros[i].map = map.clone();
        let ast = match parser::parse(&text) {
            Ok(a) => a,
            Err(e) => {
                cond_error(
                    &mut diags,
                    Code::ErrCompileCondition,
                    &m.condition,
                    &map,
                    0,
                    e.pos,
                    item(),
                    e.msg,
                );
                continue;
            }
        };
        match resolve_macros(ast, i, &mut macros, &macro_idx) {
            Ok((a, grown)) => {
                macros[i].ast = Some(std::sync::Arc::new(a));
                macros[i].nodes = grown.nodes;
                macros[i].depth = grown.depth;
            }
            Err((pos, msg)) => cond_error(
                &mut diags,
                Code::ErrCompileCondition,
                &m.condition,
                &map,
                0,
                pos,
                item(),
                msg,
            ),
        }
    }

    let mut rules = Vec::new();
    // each rule's texts move into its compiled form
    for r in std::mem::take(&mut c.rules) {
        if let Some(cr) = compile_rule(r, &mut lists, &mut macros, &macro_idx, &mut diags) {
            rules.push(cr);
        }
    }

    for (i, m) in c.macros.iter().enumerate() {
        if !macros[i].used {
            diags.warn(
                Code::UnusedMacro,
                Some(m.loc.clone()),
                Some(format!("macro '{}'", m.name)),
                "Macro not referred to by any other rule/macro",
            );
        }
    }
    for (l, used) in c.lists.iter().zip(&lists.used) {
        if !used {
            diags.warn(
                Code::UnusedList,
                Some(l.loc.clone()),
                Some(format!("list '{}'", l.name)),
                "List not referred to by any other rule/macro",
            );
        }
    }
    Ruleset {
        rules,
        macro_names: c.macros.iter().map(|m| m.name.clone()).collect(),
        diags,
        required_engine_version: c.required_engine_version,
    }
}

fn compile_rule(
    r: RuleDef,
    lists: &mut Lists,
    macros: &mut [MacroState<'_>],
    macro_idx: &FastMap<String, usize>,
    diags: &mut Diags,
) -> Option<CompiledRule> {
    // the item's name, for messages only
    let item = || format!("rule '{}'", r.name);
    if r.source != "syscall" {
        diags.warn(
            Code::UnknownSource,
            Some(r.loc.clone()),
            Some(item()),
            format!("Unknown source {}, skipping", r.source),
        );
        return None;
    }
    // exceptions
    let mut text = r.condition.text.clone();
    let mut shift = 0;
    let mut ex_conds = Vec::new();
    let mut ex_ok = true;
    for ex in &r.exceptions {
        let before = diags.list.len();
        if let Some(e) = exception_condition(ex, &item(), diags) {
            ex_conds.push(e);
        }
        if diags.list.len() != before {
            ex_ok = false;
        }
    }
    if !ex_ok {
        return None;
    }
    if !ex_conds.is_empty() {
        text = format!("({text})");
        shift = 1;
        for e in ex_conds {
            text.push_str(" and not ");
            text.push_str(&e);
        }
    }
    let skip_unknown = |diags: &mut Diags, msg: &str| -> bool {
        let unknown = msg.contains("unknown field")
            || msg.contains("invalid formatting token")
            || msg.contains("unknown event type")
            || msg.contains("does not take")
            || msg.contains("requires an argument");
        if r.skip_if_unknown_filter && unknown {
            diags.warn(
                Code::UnknownFilter,
                Some(r.loc.clone()),
                Some(format!("rule '{}'", r.name)),
                format!("Rule skipped: {msg}"),
            );
            true
        } else {
            false
        }
    };
    let (text, map) = match substitute(&text, lists) {
        Ok(x) => x,
        Err((pos, msg)) => {
            let e = Code::ErrCompileCondition;
            cond_error(diags, e, &r.condition, &[], shift, pos, item(), msg);
            return None;
        }
    };
    // An error at `pos` of the substituted text, reported in the rule's
    // own condition text.
    let at_rule = |diags: &mut Diags, pos: usize, item: String, msg: String| {
        cond_error(
            diags,
            Code::ErrCompileCondition,
            &r.condition,
            &map,
            shift,
            pos,
            item,
            msg,
        )
    };
    let ast = match parser::parse(&text) {
        Ok(a) => a,
        Err(e) => {
            at_rule(diags, e.pos, item(), e.msg);
            return None;
        }
    };
    let ast = match resolve_macros(ast, usize::MAX, macros, macro_idx) {
        Ok((a, _)) => a,
        Err((pos, msg)) => {
            at_rule(diags, pos, item(), msg);
            return None;
        }
    };
    // Positions inside expanded macros refer to the macro text; report those
    // at the rule's condition.
    let node = match compile::compile(&ast) {
        Ok(n) => n,
        Err(e) => {
            if skip_unknown(diags, &e.msg) {
                return None;
            }
            match e.macro_id.and_then(|id| macros.get(id)) {
                Some(m) => {
                    let msg = format!("{} (in macro '{}')", e.msg, m.name);
                    cond_error(
                        diags,
                        Code::ErrCompileCondition,
                        m.cond,
                        &m.map,
                        0,
                        e.pos,
                        item(),
                        msg,
                    );
                }
                None => at_rule(diags, e.pos, item(), e.msg),
            }
            return None;
        }
    };
    let types = match evttypes(&ast, false) {
        Ok(t) => t,
        Err(e) => {
            if skip_unknown(diags, &e.msg) {
                return None;
            }
            diags.error(
                Code::ErrCompileCondition,
                Some(
                    r.condition
                        .segs
                        .first()
                        .map(|s| s.loc.clone())
                        .unwrap_or(r.loc.clone()),
                ),
                Some(item()),
                e.msg,
            );
            return None;
        }
    };
    if r.warn_evttypes && types.slots.len() > 100 {
        diags.warn(
            Code::NoEvttype,
            Some(r.loc.clone()),
            Some(item()),
            "Rule matches too many evt.type values. This has a significant performance penalty.",
        );
    }
    let output = match OutputFormat::parse(&r.output) {
        Ok(o) => o,
        Err(e) => {
            if skip_unknown(diags, &e.msg) {
                return None;
            }
            // At the bad token when the output is the text as written
            // (less surrounding blanks), else where the output starts.
            let src = &r.output_src;
            let lead = src.text.len() - src.text.trim_start().len();
            let at = if src.text.trim() == r.output {
                src.locate(lead + e.pos)
            } else {
                None
            };
            diags.error(
                Code::ErrCompileOutput,
                Some(at.unwrap_or_else(|| r.output_loc.clone())),
                Some(item()),
                e.msg,
            );
            return None;
        }
    };
    let mut condition_fields = BTreeSet::new();
    collect_fields(&ast, &mut condition_fields);
    let offline_fields = condition_fields
        .iter()
        .map(String::as_str)
        .chain(output.fields().map(|f| f.display.as_str()))
        .filter(|f| is_offline(f))
        .map(str::to_string)
        .collect();
    Some(CompiledRule {
        name: r.name,
        desc: r.desc,
        priority: r.priority,
        tags: r.tags,
        source: r.source,
        enabled_in_file: r.enabled,
        enabled: r.enabled,
        types,
        parts: std::sync::OnceLock::new(),
        node,
        condition: ast,
        output,
        output_text: r.output,
        extra_fields: OutputFormat::default(),
        extra_static: Vec::new(),
        condition_fields,
        offline_fields,
        loc: r.loc,
    })
}

/// The filter texts of the root operands of `node`, compiled from `ast`,
/// when each operand of the root `and`/`or` of the AST compiles to exactly
/// one operand of `node` (see [`CompiledRule::parts`]).
fn root_parts(ast: &Ast, node: &Node) -> Vec<String> {
    let (children, is_and) = match ast {
        Ast::And(v) => (v, true),
        Ast::Or(v) => (v, false),
        _ => return Vec::new(),
    };
    let n = match (node, is_and) {
        (Node::And(w), true) | (Node::Or(w), false) => w.len(),
        _ => return Vec::new(),
    };
    let mut texts = Vec::with_capacity(n);
    for c in children {
        match compile::compile(c) {
            // A neutral operand (`and true`, `or false`) is folded away.
            Ok(Node::Const(b)) if b == is_and => {}
            // Same-kind operands are flattened into the root.
            Ok(Node::And(_)) if is_and => return Vec::new(),
            Ok(Node::Or(_)) if !is_and => return Vec::new(),
            Ok(_) => texts.push(crate::unparse::filter_text(c)),
            Err(_) => return Vec::new(),
        }
    }
    if texts.len() == n {
        texts
    } else {
        Vec::new()
    }
}

/// The match of rule selection by name or tag (`--disable`, `--enable`,
/// `--disable-tag`, ...): fnmatch(3) without FNM_PATHNAME, as Falco's glob
/// matching of its `rules:` selection: `*`, `?`, `[...]` classes and `\`
/// escapes.
pub fn wildcard(pat: &str, s: &str) -> bool {
    compile::glob_match(pat.as_bytes(), s.as_bytes(), false)
}

impl Ruleset {
    /// Enable or disable rules whose name matches `pattern` (wildcards).
    /// Returns how many rules matched.
    pub fn set_enabled_by_name(&mut self, pattern: &str, on: bool) -> usize {
        let mut n = 0;
        for r in &mut self.rules {
            if wildcard(pattern, &r.name) {
                r.enabled = on;
                n += 1;
            }
        }
        n
    }
    /// Enable or disable rules with a tag matching `pattern` (wildcards).
    pub fn set_enabled_by_tag(&mut self, pattern: &str, on: bool) -> usize {
        let mut n = 0;
        for r in &mut self.rules {
            if r.tags.iter().any(|t| wildcard(pattern, t)) {
                r.enabled = on;
                n += 1;
            }
        }
        n
    }
    /// Disable rules below a minimum priority (Falco's `priority:`).
    pub fn apply_min_priority(&mut self, min: Priority) {
        for r in &mut self.rules {
            if r.priority > min {
                r.enabled = false;
            }
        }
    }

    pub fn enabled_rules(&self) -> impl Iterator<Item = &CompiledRule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    /// Syscall names the enabled rules need (Falco's "syscalls in rules").
    pub fn rule_syscalls(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for r in self.enabled_rules() {
            for slot in r.types.slots.iter() {
                if slot == sc::SLOT_PROCEXIT {
                    out.insert("sched_process_exit".to_string());
                } else {
                    let n = sc::slot_name(slot);
                    if !n.is_empty() {
                        out.insert(n.to_string());
                    }
                }
            }
            out.extend(
                r.types
                    .extra
                    .iter()
                    .filter(|n| {
                        sc::slot_of_name(n).is_ok_and(|s| s.is_none())
                            && !matches!(
                                n.as_str(),
                                "switch"
                                    | "signaldeliver"
                                    | "page_fault"
                                    | "container"
                                    | "pluginevent"
                                    | "asyncevent"
                            )
                    })
                    .cloned(),
            );
        }
        out
    }

    /// The syscall selection Falco's dry run would print.
    pub fn syscall_selection(&self, repair: bool) -> SyscallSelection {
        syscall_sets::compute(&SelectionRequest {
            rules: self.rule_syscalls(),
            repair,
            ..Default::default()
        })
    }
}

/// Counters of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub events: u64,
    pub events_evaluated: u64,
    pub rule_evaluations: u64,
    pub alerts: u64,
    /// Events the engine's [`Engine::filter`] or [`Engine::window`] kept
    /// from the rules.
    pub events_filtered_out: u64,
    /// Matches per rule index.
    pub matches: Vec<u64>,
}

/// A rule match, with access to the event context for rendering.
pub struct Hit<'a> {
    pub rule: &'a CompiledRule,
    pub cx: &'a Ctx<'a>,
    scratch: &'a mut Scratch,
}

impl Hit<'_> {
    /// The formatted output line, without the time/priority prefix.
    pub fn message(&mut self) -> String {
        self.rule.output.render(self.cx, self.scratch, None)
    }
    /// The alert in Falco's JSON shape.
    pub fn alert(&mut self) -> Alert {
        let mut fields = Map::new();
        let msg = self
            .rule
            .output
            .render(self.cx, self.scratch, Some(&mut fields));
        if !self.rule.extra_fields.pieces.is_empty() {
            self.rule
                .extra_fields
                .render(self.cx, self.scratch, Some(&mut fields));
        }
        for (k, v) in &self.rule.extra_static {
            fields.insert(k.clone(), serde_json::Value::from(v.as_str()));
        }
        let ns = self.cx.wall_ns();
        let mut t = String::new();
        let f = fields::lookup("evt.time", None).unwrap();
        if let Some(v) = f.extract(self.cx, 0, &mut self.scratch.a) {
            v.render(&mut t);
        }
        Alert {
            hostname: self.cx.info.hostname.clone(),
            output: format!("{t}: {} {msg}", self.rule.priority.as_str()),
            output_fields: fields,
            priority: self.rule.priority.as_str().to_string(),
            rule: self.rule.name.clone(),
            source: self.rule.source.clone(),
            tags: self.rule.tags.iter().cloned().collect(),
            time: sysreplay_format::timefmt::iso8601_ns(ns),
        }
    }
}

/// The evaluation runtime: state engine + rules indexed by event type.
pub struct Engine {
    pub ruleset: Ruleset,
    index: Vec<Vec<u32>>,
    pub state: State,
    pub info: TraceInfo,
    pub matching: RuleMatching,
    pub stats: RunStats,
    scratch: Scratch,
    evt_num: u64,
    /// Only events that pass reach the rules (the state sees every event).
    pub filter: Option<EventFilter>,
    /// Only events in `[from, to)` (trace clock, ns) reach the rules.
    pub window: Option<(u64, u64)>,
}

impl Engine {
    /// An engine over `ruleset`, starting from an empty process table.
    pub fn new(ruleset: Ruleset, matching: RuleMatching) -> Engine {
        let n = ruleset.rules.len();
        let mut e = Engine {
            ruleset,
            index: Vec::new(),
            state: State::new(),
            info: TraceInfo::default(),
            matching,
            stats: RunStats {
                matches: vec![0; n],
                ..Default::default()
            },
            scratch: Scratch::default(),
            evt_num: 0,
            filter: None,
            window: None,
        };
        e.rebuild_index();
        e
    }

    /// Start from a trace's header and process snapshot.
    pub fn start_trace(&mut self, header: &TraceHeader, snapshot: &ProcessSnapshot) {
        self.state = State::from_snapshot(snapshot);
        self.info = TraceInfo {
            hostname: header.hostname.clone(),
            boot_to_wall_ns: header.boot_to_wall_ns,
        };
        self.evt_num = 0;
        // Memo entries are stamped with the event number, which restarts
        // here: results cached during an earlier trace must not match.
        self.scratch.memo.clear();
    }

    /// Rebuild the event-type index (after enabling/disabling rules).
    pub fn rebuild_index(&mut self) {
        let mut idx = vec![Vec::new(); NSLOTS];
        for (i, r) in self.ruleset.rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            for s in r.types.slots.iter() {
                idx[s].push(i as u32);
            }
        }
        self.index = idx;
    }

    pub fn ruleset_mut(&mut self) -> &mut Ruleset {
        &mut self.ruleset
    }

    /// Feed one event; `on_hit` is called for each matching rule.
    #[inline]
    pub fn process(&mut self, ev: &Event, on_hit: impl FnMut(&mut Hit)) {
        self.process_observed(ev, &mut NoObserver, on_hit)
    }

    /// [`Engine::process`] with hooks around the state update and each rule
    /// evaluation: the seam where replay measures per-rule cost.
    #[inline]
    pub fn process_observed<O: Observer>(
        &mut self,
        ev: &Event,
        obs: &mut O,
        mut on_hit: impl FnMut(&mut Hit),
    ) {
        self.stats.events += 1;
        self.evt_num += 1;
        obs.event_begin(ev);
        self.state.pre_event(ev);
        obs.state_done();
        let in_window = self
            .window
            .is_none_or(|(from, to)| ev.ts_ns >= from && ev.ts_ns < to);
        let pass = match &self.filter {
            _ if !in_window => false,
            None => true,
            Some(f) => {
                let cx = Ctx::new(ev, &self.state, &self.info, self.evt_num);
                self.scratch.generation = self.evt_num;
                f.matches(&cx, &mut self.scratch)
            }
        };
        if !pass {
            self.stats.events_filtered_out += 1;
        } else if let Some(slot) = fields::event_slot(ev) {
            let rules = &self.index[slot];
            if !rules.is_empty() {
                self.stats.events_evaluated += 1;
                let cx = Ctx::new(ev, &self.state, &self.info, self.evt_num);
                self.scratch.generation = self.evt_num;
                for &ri in rules {
                    let r = &self.ruleset.rules[ri as usize];
                    self.stats.rule_evaluations += 1;
                    obs.rule_begin(ri);
                    let matched = if O::COUNT_WORK {
                        self.scratch.work = 0;
                        let m = if O::PROFILE_PARTS && !r.parts().is_empty() {
                            eval_parts(&r.node, &cx, &mut self.scratch, |k, w| {
                                obs.part_done(ri, k, w)
                            })
                        } else {
                            r.node.eval_counted::<true>(&cx, &mut self.scratch)
                        };
                        obs.rule_done(ri, m, self.scratch.work);
                        m
                    } else {
                        let m = r.node.eval(&cx, &mut self.scratch);
                        obs.rule_done(ri, m, 0);
                        m
                    };
                    if matched {
                        self.stats.alerts += 1;
                        self.stats.matches[ri as usize] += 1;
                        let mut h = Hit {
                            rule: r,
                            cx: &cx,
                            scratch: &mut self.scratch,
                        };
                        on_hit(&mut h);
                        if self.matching == RuleMatching::First {
                            break;
                        }
                    }
                }
            }
        }
        obs.rules_done();
        self.state.post_event(ev);
        obs.event_done();
    }

    /// The syscalls whose events need only part of their arguments here:
    /// no enabled rule selects them and the state engine has no parser for
    /// them, or only close's or the read/write one with no address, so of
    /// their args it reads only the fd one (`sc::fd_role`) and the result;
    /// and, when no enabled rule reads `evt.cpu`, no event's cpu.
    /// Empty with a `--filter` or a time window (the filter may read any
    /// field of any event). Feed such events to [`Engine::process_light`].
    pub fn light_set(&self) -> LightSet {
        let mut light = LightSet::default();
        if self.filter.is_some() || self.window.is_some() {
            return light;
        }
        for nr in 0..sysreplay_syscalls::MAX_SYSCALLS {
            let n = nr as u16;
            if !self.index[nr].is_empty() {
                continue;
            }
            let role = sc::fd_role(n);
            match sc::parser(n) {
                sc::Parser::None => {}
                // reads and writes with no address, and close: their
                // parser reads only the fd (args[0]) and the result
                // (State::light_event)
                sc::Parser::Rw(sc::RwTuple::None) | sc::Parser::Close if role == FdRole::Arg0 => {}
                _ => continue,
            }
            let arg = match role {
                FdRole::Arg0 => Some(0),
                FdRole::Arg4 => Some(4),
                FdRole::Ret | FdRole::None => None,
            };
            light.insert(n, arg);
        }
        // No condition or output reads evt.cpu: no event needs its cpu, and
        // the decoder leaves the cpu column alone.
        light.no_cpu = !self.ruleset.enabled_rules().any(|r| {
            r.condition_fields.contains("evt.cpu")
                || (r.output.fields().chain(r.extra_fields.fields()))
                    .any(|f| f.f == fields::F::EvtCpu)
        });
        light
    }

    /// A light event (see [`Engine::light_set`]): what
    /// [`Engine::process_observed`] does with it, which is the state
    /// update alone (no rule selects it), without looking for rules.
    #[inline]
    pub fn process_light<O: Observer>(&mut self, ev: &Event, obs: &mut O) {
        self.stats.events += 1;
        self.evt_num += 1;
        obs.event_begin(ev);
        self.state.light_event(ev);
        obs.state_done();
        obs.rules_done();
        obs.event_done();
    }

    /// Feed one event through the state engine alone and call `f` with
    /// its context after the pre-event update (where rules see it): the
    /// seam for sysdig-style inspection (filters, `-p` output formats).
    pub fn inspect<R>(&mut self, ev: &Event, f: impl FnOnce(&Ctx, &mut Scratch) -> R) -> R {
        self.stats.events += 1;
        self.evt_num += 1;
        self.state.pre_event(ev);
        let cx = Ctx::new(ev, &self.state, &self.info, self.evt_num);
        self.scratch.generation = self.evt_num;
        let r = f(&cx, &mut self.scratch);
        self.state.post_event(ev);
        r
    }

    /// Per macro (by [`Ruleset::macro_names`] index): evaluations not
    /// answered from the per-event cache and their counted work, nested
    /// macros included. Filled only by observers with `COUNT_WORK`.
    pub fn macro_work(&self) -> (&[u64], &[u64]) {
        (&self.scratch.macro_evals, &self.scratch.macro_work)
    }
}

/// Evaluate a root `and`/`or` operand by operand with counted work, as its
/// own evaluation would (same order, same short-circuit), telling
/// `part_done` each operand's work.
fn eval_parts(
    node: &Node,
    cx: &Ctx,
    sc: &mut Scratch,
    mut part_done: impl FnMut(u32, u64),
) -> bool {
    let (ops, is_and) = match node {
        Node::And(v) => (v, true),
        Node::Or(v) => (v, false),
        n => return n.eval_counted::<true>(cx, sc),
    };
    for (k, op) in ops.iter().enumerate() {
        let before = sc.work;
        let r = op.eval_counted::<true>(cx, sc);
        part_done(k as u32, sc.work - before);
        if r != is_and {
            return r;
        }
    }
    is_and
}

/// Hooks called by [`Engine::process_observed`], in this order per event:
/// `event_begin`, `state_done` (after the state engine's pre-event update),
/// `rule_begin`/`rule_done` for each rule evaluated, `rules_done`, then
/// `event_done` after the post-event update. All default to nothing.
pub trait Observer {
    /// Whether the hooks read the args of events no rule selects. With
    /// `false`, `drive_trace` feeds those through
    /// [`Engine::process_light`] and the decoder skips their args.
    const READS_ARGS: bool = true;
    /// Count evaluation work ([`crate::compile::work`]) and pass it to
    /// `rule_done`. With `false` the counter is compiled out.
    const COUNT_WORK: bool = false;
    /// With `COUNT_WORK`: evaluate rules with [`CompiledRule::parts`]
    /// operand by operand and report each operand's work to `part_done`.
    const PROFILE_PARTS: bool = false;
    fn event_begin(&mut self, _ev: &Event) {}
    fn state_done(&mut self) {}
    fn rule_begin(&mut self, _rule: u32) {}
    /// `work`: the rule's counted work (0 unless `COUNT_WORK`).
    fn rule_done(&mut self, _rule: u32, _matched: bool, _work: u64) {}
    fn rules_done(&mut self) {}
    fn event_done(&mut self) {}
    /// Operand `part` of rule `rule` took `work` (see `PROFILE_PARTS`).
    fn part_done(&mut self, _rule: u32, _part: u32, _work: u64) {}
}

/// The observer of [`Engine::process`]: every hook is empty and inlined away.
pub struct NoObserver;
impl Observer for NoObserver {
    const READS_ARGS: bool = false;
}

/// Whether a field display name belongs to a family with no offline value.
pub fn field_is_offline(display: &str) -> bool {
    is_offline(display)
}
