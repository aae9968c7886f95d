//! From a macro-expanded AST to a fast evaluable form: typed right-hand
//! sides, hash sets for `in`, byte tries for `startswith`/`pmatch`,
//! precompiled substring finders and regexes, constant folding (fields
//! without an offline value, `evt.num=0`, empty lists), and merging of
//! sibling `or` checks on the same field into one set or trie lookup.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use memchr::memmem;

use crate::fields::{self, Ctx, FType, Field, Val, F};
use crate::parser::{Ast, CmpOp, Modifier, Operand, Rhs, Transformer};
use crate::sc::{self, SlotSet};

/// A hasher for byte strings (FNV-1a over 8-byte words).
#[derive(Default, Clone, Copy)]
pub struct BytesHasher(u64);
impl Hasher for BytesHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            h = (h ^ u64::from_le_bytes(c.try_into().unwrap()))
                .wrapping_mul(0x0100_0000_01b3_u64 | 0x9E37_79B9_0000_0000);
            h = h.rotate_left(29);
        }
        for &b in chunks.remainder() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0 ^ i as u64).wrapping_mul(0x0100_0000_01b3);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0 ^ i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_i64(&mut self, i: i64) {
        self.0 = (self.0 ^ i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
pub type FastSet<T> = HashSet<T, BuildHasherDefault<BytesHasher>>;

/// A set of byte strings for `in`/`=` merges: a mask of the members'
/// lengths answers most misses (an fd.name against a list of a few paths)
/// before any hashing.
#[derive(Clone, Debug, Default)]
pub struct StrSet {
    set: FastSet<Vec<u8>>,
    /// Bit `min(len, 63)` set for each member length.
    lens: u64,
}

impl StrSet {
    #[inline]
    fn len_bit(n: usize) -> u64 {
        1u64 << n.min(63)
    }
    #[inline]
    pub fn contains(&self, s: &[u8]) -> bool {
        self.lens & Self::len_bit(s.len()) != 0 && self.set.contains(s)
    }
    pub fn insert(&mut self, s: Vec<u8>) -> bool {
        self.lens |= Self::len_bit(s.len());
        self.set.insert(s)
    }
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl FromIterator<Vec<u8>> for StrSet {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(it: I) -> Self {
        let mut s = StrSet::default();
        s.extend(it);
        s
    }
}

impl Extend<Vec<u8>> for StrSet {
    fn extend<I: IntoIterator<Item = Vec<u8>>>(&mut self, it: I) {
        for x in it {
            self.insert(x);
        }
    }
}

impl IntoIterator for StrSet {
    type Item = Vec<u8>;
    type IntoIter = std::collections::hash_set::IntoIter<Vec<u8>>;
    fn into_iter(self) -> Self::IntoIter {
        self.set.into_iter()
    }
}

/// A byte trie answering "is some member a prefix of this value".
#[derive(Clone, Debug, Default)]
pub struct PrefixTrie {
    nodes: Vec<TrieNode>,
}
#[derive(Clone, Debug, Default)]
struct TrieNode {
    terminal: bool,
    /// (byte, child index), sorted by byte.
    next: Vec<(u8, u32)>,
}

impl PrefixTrie {
    pub fn new() -> Self {
        PrefixTrie {
            nodes: vec![TrieNode::default()],
        }
    }
    pub fn insert(&mut self, s: &[u8]) {
        let mut cur = 0usize;
        for &b in s {
            let pos = self.nodes[cur].next.binary_search_by_key(&b, |e| e.0);
            cur = match pos {
                Ok(i) => self.nodes[cur].next[i].1 as usize,
                Err(i) => {
                    let id = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[cur].next.insert(i, (b, id as u32));
                    id
                }
            };
        }
        self.nodes[cur].terminal = true;
    }
    /// Some member is a prefix of `v`.
    pub fn any_prefix_of(&self, v: &[u8]) -> bool {
        let mut cur = 0usize;
        if self.nodes[0].terminal {
            return true;
        }
        for &b in v {
            let n = &self.nodes[cur];
            match n.next.binary_search_by_key(&b, |e| e.0) {
                Ok(i) => cur = n.next[i].1 as usize,
                Err(_) => return false,
            }
            if self.nodes[cur].terminal {
                return true;
            }
        }
        false
    }
}

/// Path-component prefix set with glob components (Falco's `pmatch`).
#[derive(Clone, Debug, Default)]
pub struct PathSet {
    root: PathNode,
}
#[derive(Clone, Debug, Default)]
struct PathNode {
    terminal: bool,
    exact: std::collections::HashMap<Vec<u8>, PathNode>,
    globs: Vec<(Vec<u8>, PathNode)>,
}

fn components(p: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    p.split(|&c| c == b'/').filter(|c| !c.is_empty())
}

impl PathSet {
    pub fn insert(&mut self, p: &[u8]) {
        let mut cur = &mut self.root;
        for c in components(p) {
            let is_glob = c.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
            cur = if is_glob {
                let pos = cur.globs.iter().position(|(g, _)| g == c);
                let i = match pos {
                    Some(i) => i,
                    None => {
                        cur.globs.push((c.to_vec(), PathNode::default()));
                        cur.globs.len() - 1
                    }
                };
                &mut cur.globs[i].1
            } else {
                cur.exact.entry(c.to_vec()).or_default()
            };
        }
        cur.terminal = true;
    }
    pub fn matches(&self, v: &[u8]) -> bool {
        fn walk<'a>(n: &PathNode, mut comps: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
            if n.terminal {
                return true;
            }
            let Some(c) = comps.next() else { return false };
            if let Some(ch) = n.exact.get(c) {
                if walk(ch, comps.clone()) {
                    return true;
                }
            }
            for (g, ch) in &n.globs {
                if glob_match(g, c, false) && walk(ch, comps.clone()) {
                    return true;
                }
            }
            false
        }
        walk(&self.root, components(v))
    }
}

/// fnmatch(3) without FNM_PATHNAME; `fold` = FNM_CASEFOLD.
pub fn glob_match(pat: &[u8], s: &[u8], fold: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut i) = (0usize, 0usize);
    let (mut star_p, mut star_i) = (usize::MAX, 0usize);
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star_p = p;
                    star_i = i;
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len)) = bracket(&pat[p..], s[i], fold) {
                        if matched {
                            p += len;
                            i += 1;
                            continue;
                        }
                    } else if eq(b'[', s[i]) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() => {
                    if eq(pat[p + 1], s[i]) {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, s[i]) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        if star_p != usize::MAX {
            p = star_p + 1;
            star_i += 1;
            i = star_i;
            continue;
        }
        return false;
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// A bracket expression at the start of `pat`: (matched, length).
fn bracket(pat: &[u8], c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut i = 1;
    let neg = matches!(pat.get(1), Some(b'!') | Some(b'^'));
    if neg {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    let cl = c.to_ascii_lowercase();
    while i < pat.len() {
        let a = pat[i];
        if a == b']' && !first {
            return Some((matched != neg, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            let b = pat[i + 2];
            if (a..=b).contains(&c)
                || fold && ((a..=b).contains(&cl) || (a..=b).contains(&c.to_ascii_uppercase()))
            {
                matched = true;
            }
            i += 3;
        } else {
            if a == c || fold && a.eq_ignore_ascii_case(&c) {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// The left side: a field and the transformers applied to it (innermost first).
#[derive(Clone, Debug)]
pub struct Lhs {
    pub field: Field,
    pub transforms: Vec<Transformer>,
    pub ty: FType,
}

/// A typed right-hand value.
#[derive(Clone, Debug)]
pub enum Value {
    Str(Vec<u8>),
    Int(i64),
    Bool(bool),
    Ip([u8; 16]),
    Net([u8; 16], u8),
}

/// The compiled comparison.
#[derive(Clone, Debug)]
pub enum Cmp {
    Exists,
    StrEq(Vec<u8>),
    StrNe(Vec<u8>),
    StrOrd(CmpOp, Vec<u8>),
    Contains(Box<memmem::Finder<'static>>),
    IContains(Vec<u8>),
    StartsWith(Vec<u8>),
    EndsWith(Vec<u8>),
    Prefixes(PrefixTrie),
    Glob(Vec<u8>, bool),
    Regex(Box<regex::bytes::Regex>),
    StrSet(StrSet),
    PMatch(Box<PathSet>),
    Num(CmpOp, i64),
    NumSet(FastSet<i64>),
    BoolEq(bool, bool),
    IpEq(bool, [u8; 16]),
    IpSet(Vec<[u8; 16]>),
    NetIn(bool, Vec<([u8; 16], u8)>),
    /// Field-to-field: operator and the right operand.
    Val(CmpOp, Box<Lhs>),
    /// A modifier over single comparisons.
    Modified(Modifier, Vec<Cmp>),
    /// `evt.type` checks compiled to a slot bitmask: (expected membership, set).
    Slots(bool, Box<SlotSet>),
}

#[derive(Clone, Debug)]
pub struct Check {
    pub lhs: Lhs,
    pub cmp: Cmp,
}

/// The compiled expression.
#[derive(Clone, Debug)]
pub enum Node {
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check(Box<Check>),
    /// A macro body whose result is cached per event (macro index).
    Memo(u32, Box<Node>),
}

/// A compile error at a condition offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// Offset in the condition text (of the macro, if `macro_id` is set).
    pub pos: usize,
    pub msg: String,
    /// The innermost expanded macro the error is in.
    pub macro_id: Option<usize>,
}

fn err<T>(pos: usize, msg: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError {
        pos,
        macro_id: None,
        msg: msg.into(),
    })
}

fn resolve_operand(o: &Operand) -> Result<Lhs, CompileError> {
    match o {
        Operand::Field(fr) => {
            let field = fields::lookup(&fr.name, fr.arg.as_deref()).map_err(|m| CompileError {
                pos: fr.pos,
                msg: m,
                macro_id: None,
            })?;
            let ty = field.ty;
            Ok(Lhs {
                field,
                transforms: Vec::new(),
                ty,
            })
        }
        Operand::Transform(t, inner, pos) => {
            let mut l = resolve_operand(inner)?;
            if !matches!(l.ty, FType::Str | FType::Buf) {
                return err(
                    *pos,
                    format!(
                        "transformer '{}' cannot be applied to a {} field",
                        t.name(),
                        l.ty.name()
                    ),
                );
            }
            l.ty = if *t == Transformer::Len {
                FType::Int
            } else {
                FType::Str
            };
            l.transforms.push(*t);
            Ok(l)
        }
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    t.parse::<u64>().ok().map(|v| v as i64)
}

fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let t = s.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect()
}

fn value_for(
    ty: FType,
    op: CmpOp,
    v: &str,
    pos: usize,
    fname: &str,
) -> Result<Value, CompileError> {
    match ty {
        FType::Str | FType::Buf => {
            if matches!(op, CmpOp::BContains | CmpOp::BStartsWith) {
                match parse_hex_bytes(v) {
                    Some(b) => Ok(Value::Str(b)),
                    None => err(
                        pos,
                        format!("'{v}' is not a valid hex string for '{}'", op.as_str()),
                    ),
                }
            } else {
                Ok(Value::Str(v.as_bytes().to_vec()))
            }
        }
        FType::Int => parse_int(v).map(Value::Int).ok_or(()).or_else(|_| {
            err(
                pos,
                format!("'{v}' is not a valid number for field '{fname}'"),
            )
        }),
        FType::Bool => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => err(
                pos,
                format!("'{v}' is not a valid boolean for field '{fname}'"),
            ),
        },
        FType::Ip => fields::parse_ip(v).map(Value::Ip).ok_or(()).or_else(|_| {
            err(
                pos,
                format!("'{v}' is not a valid IP address for field '{fname}'"),
            )
        }),
        FType::IpNet => fields::parse_net(v)
            .map(|(n, p)| Value::Net(n, p))
            .ok_or(())
            .or_else(|_| {
                err(
                    pos,
                    format!("'{v}' is not a valid network for field '{fname}'"),
                )
            }),
    }
}

fn op_allowed(ty: FType, op: CmpOp) -> bool {
    use CmpOp::*;
    match ty {
        FType::Str | FType::Buf => true,
        FType::Int => matches!(op, Eq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists),
        FType::Bool => matches!(op, Eq | Ne | In | Intersects | Exists),
        FType::Ip | FType::IpNet => matches!(op, Eq | Ne | In | Intersects | Exists),
    }
}

fn single_cmp(ty: FType, op: CmpOp, v: &str, pos: usize, fname: &str) -> Result<Cmp, CompileError> {
    let val = value_for(ty, op, v, pos, fname)?;
    Ok(match (op, val) {
        (CmpOp::Eq, Value::Str(s)) => Cmp::StrEq(s),
        (CmpOp::Ne, Value::Str(s)) => Cmp::StrNe(s),
        (CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge, Value::Str(s)) => Cmp::StrOrd(op, s),
        (CmpOp::Contains | CmpOp::BContains, Value::Str(s)) => {
            Cmp::Contains(Box::new(memmem::Finder::new(&s).into_owned()))
        }
        (CmpOp::IContains, Value::Str(s)) => Cmp::IContains(s.to_ascii_lowercase()),
        (CmpOp::StartsWith | CmpOp::BStartsWith, Value::Str(s)) => Cmp::StartsWith(s),
        (CmpOp::EndsWith, Value::Str(s)) => Cmp::EndsWith(s),
        (CmpOp::Glob, Value::Str(s)) => Cmp::Glob(s, false),
        (CmpOp::IGlob, Value::Str(s)) => Cmp::Glob(s, true),
        (CmpOp::Regex, Value::Str(s)) => {
            let src = String::from_utf8_lossy(&s).into_owned();
            match regex::bytes::Regex::new(&format!("^(?:{src})$")) {
                Ok(r) => Cmp::Regex(Box::new(r)),
                Err(e) => return err(pos, format!("invalid regular expression '{src}': {e}")),
            }
        }
        (CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge, Value::Int(i)) => {
            Cmp::Num(op, i)
        }
        (CmpOp::Eq, Value::Bool(b)) => Cmp::BoolEq(true, b),
        (CmpOp::Ne, Value::Bool(b)) => Cmp::BoolEq(false, b),
        (CmpOp::Eq, Value::Ip(ip)) => Cmp::IpEq(true, ip),
        (CmpOp::Ne, Value::Ip(ip)) => Cmp::IpEq(false, ip),
        (CmpOp::Eq, Value::Net(n, p)) => Cmp::NetIn(true, vec![(n, p)]),
        (CmpOp::Ne, Value::Net(n, p)) => Cmp::NetIn(false, vec![(n, p)]),
        _ => {
            return err(
                pos,
                format!(
                    "operator '{}' is not supported for field '{fname}'",
                    op.as_str()
                ),
            )
        }
    })
}

fn list_cmp(
    ty: FType,
    op: CmpOp,
    items: &[String],
    pos: usize,
    fname: &str,
) -> Result<Cmp, CompileError> {
    if op == CmpOp::PMatch {
        if !matches!(ty, FType::Str | FType::Buf) {
            return err(
                pos,
                format!("operator 'pmatch' is not supported for field '{fname}'"),
            );
        }
        let mut ps = PathSet::default();
        for i in items {
            ps.insert(i.as_bytes());
        }
        return Ok(Cmp::PMatch(Box::new(ps)));
    }
    Ok(match ty {
        FType::Str | FType::Buf => {
            Cmp::StrSet(items.iter().map(|s| s.as_bytes().to_vec()).collect())
        }
        FType::Int => {
            let mut set = FastSet::default();
            for i in items {
                match parse_int(i) {
                    Some(v) => {
                        set.insert(v);
                    }
                    None => {
                        return err(
                            pos,
                            format!("'{i}' is not a valid number for field '{fname}'"),
                        )
                    }
                }
            }
            Cmp::NumSet(set)
        }
        FType::Bool => {
            let mut has = [false, false];
            for i in items {
                match value_for(ty, CmpOp::Eq, i, pos, fname)? {
                    Value::Bool(b) => has[b as usize] = true,
                    _ => unreachable!(),
                }
            }
            match has {
                [true, true] => Cmp::Exists,
                [false, true] => Cmp::BoolEq(true, true),
                [true, false] => Cmp::BoolEq(true, false),
                [false, false] => Cmp::StrSet(StrSet::default()),
            }
        }
        FType::Ip => {
            let mut v = Vec::new();
            for i in items {
                match fields::parse_net(i) {
                    Some((n, 128)) => v.push(n),
                    Some((n, p)) => {
                        // a network in an IP list: treat as containment
                        let mut nets: Vec<([u8; 16], u8)> = v.iter().map(|x| (*x, 128u8)).collect();
                        nets.push((n, p));
                        for j in items {
                            if let Some(x) = fields::parse_net(j) {
                                if !nets.contains(&x) {
                                    nets.push(x);
                                }
                            }
                        }
                        return Ok(Cmp::NetIn(true, nets));
                    }
                    None => {
                        return err(
                            pos,
                            format!("'{i}' is not a valid IP address for field '{fname}'"),
                        )
                    }
                }
            }
            Cmp::IpSet(v)
        }
        FType::IpNet => {
            let mut v = Vec::new();
            for i in items {
                match fields::parse_net(i) {
                    Some(x) => v.push(x),
                    None => {
                        return err(
                            pos,
                            format!("'{i}' is not a valid network for field '{fname}'"),
                        )
                    }
                }
            }
            Cmp::NetIn(true, v)
        }
    })
}

/// Compile one check.
fn compile_check(
    lhs_o: &Operand,
    op: CmpOp,
    modifier: Option<Modifier>,
    rhs: Option<&Rhs>,
    pos: usize,
) -> Result<Node, CompileError> {
    let lhs = resolve_operand(lhs_o)?;
    let fname = lhs.field.display.clone();
    if !op_allowed(lhs.ty, op) {
        return err(
            pos,
            format!(
                "operator '{}' is not supported for field '{fname}' of type {}",
                op.as_str(),
                lhs.ty.name()
            ),
        );
    }
    if lhs.field.f == F::EvtType && !lhs.transforms.is_empty() {
        return err(pos, "transformers cannot be applied to evt.type");
    }
    let cmp = match (op, rhs) {
        (CmpOp::Exists, _) => Cmp::Exists,
        (_, None) => return err(pos, format!("operator '{}' needs a value", op.as_str())),
        (_, Some(Rhs::Operand(o))) => {
            if matches!(op, CmpOp::PMatch | CmpOp::Regex) {
                return err(
                    pos,
                    format!(
                        "operator '{}' cannot compare with another field",
                        op.as_str()
                    ),
                );
            }
            let r = resolve_operand(o)?;
            let compatible = matches!(
                (lhs.ty, r.ty),
                (FType::Str | FType::Buf, FType::Str | FType::Buf)
                    | (FType::Int, FType::Int)
                    | (FType::Bool, FType::Bool)
                    | (FType::Ip, FType::Ip)
            );
            if !compatible || lhs.ty == FType::IpNet {
                return err(
                    pos,
                    format!(
                        "cannot compare field '{fname}' ({}) with field '{}' ({})",
                        lhs.ty.name(),
                        r.field.display,
                        r.ty.name()
                    ),
                );
            }
            Cmp::Val(op, Box::new(r))
        }
        (_, Some(Rhs::Value(v))) => {
            if op.is_list() {
                list_cmp(lhs.ty, op, std::slice::from_ref(v), pos, &fname)?
            } else {
                single_cmp(lhs.ty, op, v, pos, &fname)?
            }
        }
        (_, Some(Rhs::List(items))) => {
            if let Some(m) = modifier {
                let mut v = Vec::new();
                for i in items {
                    v.push(single_cmp(lhs.ty, op, i, pos, &fname)?);
                }
                // `= anyof` is `in`
                if m == Modifier::AnyOf && op == CmpOp::Eq {
                    list_cmp(lhs.ty, CmpOp::In, items, pos, &fname)?
                } else {
                    Cmp::Modified(m, v)
                }
            } else if op.is_list() {
                list_cmp(lhs.ty, op, items, pos, &fname)?
            } else {
                return err(
                    pos,
                    format!("operator '{}' does not take a list", op.as_str()),
                );
            }
        }
    };
    // evt.type against names: a bitmask test on the event's slot.
    if lhs.field.f == F::EvtType && lhs.transforms.is_empty() {
        let names: Option<(bool, Vec<&String>)> = match (op, rhs) {
            (CmpOp::Eq, Some(Rhs::Value(v))) => Some((true, vec![v])),
            (CmpOp::Ne, Some(Rhs::Value(v))) => Some((false, vec![v])),
            (CmpOp::In | CmpOp::Intersects, Some(Rhs::List(l))) => Some((true, l.iter().collect())),
            (CmpOp::In | CmpOp::Intersects, Some(Rhs::Value(v))) => Some((true, vec![v])),
            _ => None,
        };
        if let Some((member, names)) = names {
            let mut set = SlotSet::EMPTY;
            for n in names {
                match sc::slot_of_name(n) {
                    Ok(Some(s)) => set.insert(s),
                    Ok(None) => {}
                    Err(_) => return err(pos, format!("unknown event type {n}")),
                }
            }
            return Ok(Node::Check(Box::new(Check {
                lhs,
                cmp: Cmp::Slots(member, Box::new(set)),
            })));
        }
    }
    // Constant folding.
    if lhs.field.f == F::Offline {
        return Ok(Node::Const(false));
    }
    if lhs.field.f == F::EvtNum && lhs.transforms.is_empty() {
        if let Cmp::Num(CmpOp::Eq, 0) = cmp {
            return Ok(Node::Const(false));
        }
    }
    match &cmp {
        Cmp::StrSet(s) if s.is_empty() => return Ok(Node::Const(false)),
        Cmp::NumSet(s) if s.is_empty() => return Ok(Node::Const(false)),
        Cmp::IpSet(s) if s.is_empty() => return Ok(Node::Const(false)),
        _ => {}
    }
    Ok(Node::Check(Box::new(Check { lhs, cmp })))
}

/// Compile a macro-expanded AST (no identifiers left).
pub fn compile(ast: &Ast) -> Result<Node, CompileError> {
    let n = match ast {
        Ast::And(v) => Node::And(v.iter().map(compile).collect::<Result<_, _>>()?),
        Ast::Or(v) => Node::Or(v.iter().map(compile).collect::<Result<_, _>>()?),
        Ast::Not(b) => Node::Not(Box::new(compile(b)?)),
        Ast::Ident(name, pos) => {
            return err(*pos, format!("Undefined macro '{name}' used in filter."))
        }
        Ast::Macro(id, b) => match compile(b).map_err(|mut e| {
            e.macro_id.get_or_insert(*id);
            e
        })? {
            n @ (Node::Const(_) | Node::Check(_)) => n,
            n => Node::Memo(*id as u32, Box::new(n)),
        },
        Ast::Unary(o, op, pos) => compile_check(o, *op, None, None, *pos)?,
        Ast::Binary {
            lhs,
            op,
            modifier,
            rhs,
            pos,
        } => compile_check(lhs, *op, *modifier, Some(rhs), *pos)?,
    };
    Ok(simplify(n))
}

fn same_lhs(a: &Lhs, b: &Lhs) -> bool {
    a.field == b.field && a.transforms == b.transforms
}

/// Fold constants and merge `or` siblings on the same field.
pub fn simplify(n: Node) -> Node {
    match n {
        Node::Memo(id, b) => match simplify(*b) {
            n @ (Node::Const(_) | Node::Check(_)) => n,
            n => Node::Memo(id, Box::new(n)),
        },
        Node::Not(b) => match simplify(*b) {
            Node::Const(c) => Node::Const(!c),
            Node::Not(inner) => *inner,
            o => Node::Not(Box::new(o)),
        },
        Node::And(v) => {
            let mut out = Vec::with_capacity(v.len());
            for c in v {
                match simplify(c) {
                    Node::Const(true) => {}
                    Node::Const(false) => return Node::Const(false),
                    Node::And(inner) => out.extend(inner),
                    o => out.push(o),
                }
            }
            match out.len() {
                0 => Node::Const(true),
                1 => out.pop().unwrap(),
                _ => Node::And(out),
            }
        }
        Node::Or(v) => {
            let mut out: Vec<Node> = Vec::with_capacity(v.len());
            for c in v {
                match simplify(c) {
                    Node::Const(false) => {}
                    Node::Const(true) => return Node::Const(true),
                    Node::Or(inner) => out.extend(inner),
                    o => out.push(o),
                }
            }
            let out = merge_or(out);
            match out.len() {
                0 => Node::Const(false),
                1 => out.into_iter().next().unwrap(),
                _ => Node::Or(out),
            }
        }
        o => o,
    }
}

/// Merge `f = a or f = b or f in (c)` into one set, and
/// `f startswith a or f startswith b` into one trie (single-valued string
/// fields only, so the missing-value semantics are unchanged).
fn merge_or(v: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(v.len());
    for n in v {
        let Node::Check(c) = n else {
            out.push(n);
            continue;
        };
        let c = *c;
        let mergeable = !c.lhs.field.multi
            && matches!(c.lhs.ty, FType::Str)
            && matches!(
                c.cmp,
                Cmp::StrEq(_) | Cmp::StrSet(_) | Cmp::StartsWith(_) | Cmp::Prefixes(_)
            );
        if mergeable {
            let is_set = matches!(c.cmp, Cmp::StrEq(_) | Cmp::StrSet(_));
            let target = out.iter_mut().find_map(|o| match o {
                Node::Check(oc)
                    if same_lhs(&oc.lhs, &c.lhs)
                        && if is_set {
                            matches!(oc.cmp, Cmp::StrEq(_) | Cmp::StrSet(_))
                        } else {
                            matches!(oc.cmp, Cmp::StartsWith(_) | Cmp::Prefixes(_))
                        } =>
                {
                    Some(oc)
                }
                _ => None,
            });
            if let Some(oc) = target {
                let old = std::mem::replace(&mut oc.cmp, Cmp::Exists);
                oc.cmp = if is_set {
                    let mut s = match old {
                        Cmp::StrEq(x) => [x].into_iter().collect(),
                        Cmp::StrSet(s) => s,
                        _ => unreachable!(),
                    };
                    match c.cmp {
                        Cmp::StrEq(x) => {
                            s.insert(x);
                        }
                        Cmp::StrSet(s2) => s.extend(s2),
                        _ => unreachable!(),
                    }
                    Cmp::StrSet(s)
                } else {
                    let mut t = match old {
                        Cmp::StartsWith(x) => {
                            let mut t = PrefixTrie::new();
                            t.insert(&x);
                            t
                        }
                        Cmp::Prefixes(t) => t,
                        _ => unreachable!(),
                    };
                    match c.cmp {
                        Cmp::StartsWith(x) => t.insert(&x),
                        Cmp::Prefixes(t2) => {
                            // re-insert: walk is not exposed, so rebuild from terminal paths
                            for p in trie_members(&t2) {
                                t.insert(&p);
                            }
                        }
                        _ => unreachable!(),
                    }
                    Cmp::Prefixes(t)
                };
                continue;
            }
        }
        out.push(Node::Check(Box::new(c)));
    }
    out
}

fn trie_members(t: &PrefixTrie) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![(0usize, Vec::new())];
    while let Some((i, p)) = stack.pop() {
        if t.nodes[i].terminal {
            out.push(p.clone());
        }
        for &(b, c) in &t.nodes[i].next {
            let mut q = p.clone();
            q.push(b);
            stack.push((c as usize, q));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// Scratch buffers reused across evaluations.
#[derive(Default)]
pub struct Scratch {
    pub a: String,
    pub b: String,
    pub t: Vec<u8>,
    /// Event generation for the macro cache (must change per event).
    pub generation: u64,
    /// Per macro: `gen << 1 | result` of its last evaluation.
    pub memo: Vec<u64>,
    /// Counted work of the evaluations run with `COUNT = true` (see
    /// [`work`]); untouched otherwise.
    pub work: u64,
    /// Per macro, with `COUNT = true`: evaluations not answered from the
    /// cache, and their work including nested macros.
    pub macro_evals: Vec<u64>,
    pub macro_work: Vec<u64>,
}

/// Units of the counted-work model (replay's deterministic cost): what one
/// evaluation step costs, independent of the machine.
pub mod work {
    /// One check: a field extraction and a comparison.
    pub const CHECK: u64 = 16;
    /// Per 8 bytes of a string value compared.
    pub const STR_8_BYTES: u64 = 1;
    /// A macro answered from the per-event cache.
    pub const MEMO_HIT: u64 = 1;
}

#[inline(always)]
fn val_work(v: &Val) -> u64 {
    match v {
        Val::Str(s) => s.len() as u64 / 8 * work::STR_8_BYTES,
        _ => 0,
    }
}

fn apply_transforms<'a>(v: Val<'a>, ts: &[Transformer], tbuf: &'a mut Vec<u8>) -> Option<Val<'a>> {
    if ts.is_empty() {
        return Some(v);
    }
    let Val::Str(s) = v else { return Some(v) };
    let mut cur: Vec<u8> = s.to_vec();
    let mut len_result = None;
    for t in ts {
        match t {
            Transformer::ToLower => cur.make_ascii_lowercase(),
            Transformer::ToUpper => cur.make_ascii_uppercase(),
            Transformer::Basename => {
                let start = cur
                    .iter()
                    .rposition(|&c| c == b'/')
                    .map(|p| p + 1)
                    .unwrap_or(0);
                cur.drain(..start);
            }
            Transformer::B64 => cur = b64_decode(&cur)?,
            Transformer::Len => len_result = Some(cur.len() as i64),
        }
    }
    if let Some(l) = len_result {
        return Some(Val::Int(l));
    }
    *tbuf = cur;
    Some(Val::Str(tbuf))
}

fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    }
    let s: Vec<u8> = s
        .iter()
        .copied()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

fn icontains(h: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if h.len() < needle_lower.len() {
        return false;
    }
    h.windows(needle_lower.len()).any(|w| {
        w.iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

fn ord(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        _ => false,
    }
}

fn cmp_value(cmp: &Cmp, v: &Val) -> bool {
    match (cmp, v) {
        (Cmp::Exists, _) => true,
        (Cmp::StrEq(x), Val::Str(s)) => x.as_slice() == *s,
        (Cmp::StrNe(x), Val::Str(s)) => x.as_slice() != *s,
        (Cmp::StrOrd(op, x), Val::Str(s)) => ord(*op, (*s).cmp(x.as_slice())),
        (Cmp::Contains(f), Val::Str(s)) => f.find(s).is_some(),
        (Cmp::IContains(x), Val::Str(s)) => icontains(s, x),
        (Cmp::StartsWith(x), Val::Str(s)) => s.starts_with(x),
        (Cmp::EndsWith(x), Val::Str(s)) => s.ends_with(x),
        (Cmp::Prefixes(t), Val::Str(s)) => t.any_prefix_of(s),
        (Cmp::Glob(p, fold), Val::Str(s)) => glob_match(p, s, *fold),
        (Cmp::Regex(r), Val::Str(s)) => r.is_match(s),
        (Cmp::StrSet(set), Val::Str(s)) => set.contains(s),
        (Cmp::PMatch(ps), Val::Str(s)) => ps.matches(s),
        (Cmp::Num(op, x), Val::Int(i)) => ord(*op, i.cmp(x)),
        (Cmp::NumSet(set), Val::Int(i)) => set.contains(i),
        (Cmp::BoolEq(eq, x), Val::Bool(b)) => (b == x) == *eq,
        (Cmp::IpEq(eq, x), Val::Ip(ip)) => (ip == x) == *eq,
        (Cmp::IpSet(v), Val::Ip(ip)) => v.contains(ip),
        (Cmp::NetIn(inside, nets), Val::Ip(ip)) => {
            nets.iter().any(|(n, p)| fields::ip_in_net(ip, n, *p)) == *inside
        }
        (Cmp::Modified(m, cs), v) => {
            let mut k = 0usize;
            for c in cs {
                if cmp_value(c, v) {
                    k += 1;
                    if *m == Modifier::AnyOf {
                        return true;
                    }
                } else if *m == Modifier::AllOf {
                    return false;
                }
            }
            match m {
                Modifier::AnyOf => false,
                Modifier::AllOf => true,
                Modifier::OneOf => k == 1,
            }
        }
        // numbers compared as strings (a numeric field rendered) etc.
        _ => false,
    }
}

fn cmp_vals(op: CmpOp, a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => match op {
            CmpOp::Eq | CmpOp::In | CmpOp::Intersects => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => ord(op, x.cmp(y)),
            CmpOp::Contains | CmpOp::BContains => memmem::find(x, y).is_some(),
            CmpOp::IContains => icontains(x, &y.to_ascii_lowercase()),
            CmpOp::StartsWith | CmpOp::BStartsWith => x.starts_with(y),
            CmpOp::EndsWith => x.ends_with(y),
            CmpOp::Glob => glob_match(y, x, false),
            CmpOp::IGlob => glob_match(y, x, true),
            _ => false,
        },
        (Val::Int(x), Val::Int(y)) => match op {
            CmpOp::In | CmpOp::Intersects => x == y,
            _ => ord(op, x.cmp(y)),
        },
        (Val::Bool(x), Val::Bool(y)) => match op {
            CmpOp::Ne => x != y,
            _ => x == y,
        },
        (Val::Ip(x), Val::Ip(y)) => match op {
            CmpOp::Ne => x != y,
            _ => x == y,
        },
        _ => false,
    }
}

impl Check {
    /// Evaluate: false when the field has no value (for every operator).
    #[inline]
    pub fn eval<const COUNT: bool>(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        if COUNT {
            sc.work += work::CHECK;
        }
        if let Cmp::Slots(member, set) = &self.cmp {
            return match fields::event_slot(cx.ev) {
                Some(s) => set.contains(s) == *member,
                None => false,
            };
        }
        let f = &self.lhs.field;
        if !f.multi && self.lhs.transforms.is_empty() && !matches!(self.cmp, Cmp::Val(..)) {
            return match f.extract(cx, 0, &mut sc.a) {
                Some(v) => {
                    if COUNT {
                        sc.work += val_work(&v);
                    }
                    cmp_value(&self.cmp, &v)
                }
                None => false,
            };
        }
        self.eval_general::<COUNT>(cx, sc)
    }

    fn eval_general<const COUNT: bool>(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        let Scratch { a, b, t, work, .. } = sc;
        let f = &self.lhs.field;
        // libs master compare_ip/compare_port/compare_net: `!=` on an
        // either-end field (fd.ip, fd.port, fd.net) needs both ends to differ
        let every = matches!(f.f, F::FdIp | F::FdPort | F::FdNet)
            && matches!(
                &self.cmp,
                Cmp::IpEq(false, _) | Cmp::NetIn(false, _) | Cmp::Num(CmpOp::Ne, _)
            );
        let mut n = 0;
        loop {
            let Some(v) = f.extract(cx, n, a) else {
                return every && n > 0;
            };
            let Some(v) = apply_transforms(v, &self.lhs.transforms, t) else {
                if !f.multi {
                    return false;
                }
                n += 1;
                continue;
            };
            if COUNT {
                *work += val_work(&v) + if n > 0 { work::CHECK } else { 0 };
            }
            let hit = match &self.cmp {
                Cmp::Val(op, r) => {
                    let mut tb = Vec::new();
                    match r
                        .field
                        .extract(cx, 0, b)
                        .and_then(|rv| apply_transforms(rv, &r.transforms, &mut tb))
                    {
                        Some(rv) => cmp_vals(*op, &v, &rv),
                        None => false,
                    }
                }
                c => cmp_value(c, &v),
            };
            if every {
                if !hit {
                    return false;
                }
                n += 1;
                continue;
            }
            if hit {
                return true;
            }
            if !f.multi {
                return false;
            }
            n += 1;
        }
    }
}

impl Node {
    pub fn eval(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        self.eval_counted::<false>(cx, sc)
    }

    /// Evaluate; with `COUNT`, add the counted work to `sc.work` (the
    /// `false` instance is the plain evaluator: the counter compiles away).
    pub fn eval_counted<const COUNT: bool>(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        match self {
            Node::Const(c) => *c,
            Node::And(v) => v.iter().all(|n| n.eval_child::<COUNT>(cx, sc)),
            Node::Or(v) => v.iter().any(|n| n.eval_child::<COUNT>(cx, sc)),
            Node::Not(b) => !b.eval_child::<COUNT>(cx, sc),
            Node::Check(c) => c.eval::<COUNT>(cx, sc),
            Node::Memo(id, b) => {
                let i = *id as usize;
                if let Some(&m) = sc.memo.get(i) {
                    if m >> 1 == sc.generation && sc.generation != 0 {
                        if COUNT {
                            sc.work += work::MEMO_HIT;
                        }
                        return m & 1 == 1;
                    }
                } else {
                    sc.memo.resize(i + 1, 0);
                }
                let before = sc.work;
                let r = b.eval_counted::<COUNT>(cx, sc);
                if COUNT {
                    if sc.macro_work.len() <= i {
                        sc.macro_work.resize(i + 1, 0);
                        sc.macro_evals.resize(i + 1, 0);
                    }
                    sc.macro_work[i] += sc.work - before;
                    sc.macro_evals[i] += 1;
                }
                sc.memo[i] = (sc.generation << 1) | r as u64;
                r
            }
        }
    }

    /// [`Node::eval_counted`] of an operand, with the commonest cases (a
    /// check, a macro already evaluated for this event) done in the
    /// caller's loop: no call per leaf, the recursion only for inner nodes.
    #[inline(always)]
    fn eval_child<const COUNT: bool>(&self, cx: &Ctx, sc: &mut Scratch) -> bool {
        match self {
            Node::Check(c) => c.eval::<COUNT>(cx, sc),
            Node::Memo(id, _) if !COUNT => match sc.memo.get(*id as usize) {
                Some(&m) if m >> 1 == sc.generation && sc.generation != 0 => m & 1 == 1,
                _ => self.eval_counted::<COUNT>(cx, sc),
            },
            _ => self.eval_counted::<COUNT>(cx, sc),
        }
    }

    /// Number of checks (for reports).
    pub fn size(&self) -> usize {
        match self {
            Node::Const(_) => 0,
            Node::And(v) | Node::Or(v) => v.iter().map(|n| n.size()).sum(),
            Node::Not(b) | Node::Memo(_, b) => b.size(),
            Node::Check(_) => 1,
        }
    }
}

// ---------------------------------------------------------------------------
// Event-type sets (ppm_codes semantics on the expanded AST)
// ---------------------------------------------------------------------------

/// Event types a condition can match. Names with no event on this arch
/// (e.g. setuid32) are kept in `extra` for syscall-set reporting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeSet {
    pub slots: SlotSet,
    pub extra: std::collections::BTreeSet<String>,
}

impl TypeSet {
    fn all() -> Self {
        TypeSet {
            slots: SlotSet::all(),
            extra: Default::default(),
        }
    }
    fn none() -> Self {
        TypeSet {
            slots: SlotSet::EMPTY,
            extra: Default::default(),
        }
    }
    pub fn is_all(&self) -> bool {
        self.slots == SlotSet::all()
    }
    /// Sorted event names.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .slots
            .iter()
            .map(|s| sc::slot_name(s).to_string())
            .filter(|s| !s.is_empty())
            .collect();
        v.extend(self.extra.iter().cloned());
        v.sort();
        v.dedup();
        v
    }
}

/// Compute the event-type set of an expanded AST. `neg`: under a `not`.
pub fn evttypes(ast: &Ast, neg: bool) -> Result<TypeSet, CompileError> {
    Ok(match ast {
        Ast::And(v) | Ast::Or(v) => {
            let is_and = matches!(ast, Ast::And(_)) != neg;
            let mut acc: Option<TypeSet> = None;
            for c in v {
                let s = evttypes(c, neg)?;
                acc = Some(match acc {
                    None => s,
                    Some(a) => {
                        if is_and {
                            TypeSet {
                                slots: a.slots.intersect(&s.slots),
                                extra: a.extra.intersection(&s.extra).cloned().collect(),
                            }
                        } else {
                            TypeSet {
                                slots: a.slots.union(&s.slots),
                                extra: a.extra.union(&s.extra).cloned().collect(),
                            }
                        }
                    }
                });
            }
            acc.unwrap_or_else(TypeSet::all)
        }
        Ast::Not(b) => evttypes(b, !neg)?,
        Ast::Ident(..) => TypeSet::all(),
        Ast::Macro(_, b) => evttypes(b, neg)?,
        Ast::Unary(..) => TypeSet::all(),
        Ast::Binary {
            lhs, op, rhs, pos, ..
        } => {
            let Operand::Field(fr) = lhs else {
                if let Operand::Transform(_, inner, _) = lhs {
                    if matches!(
                        inner.base_field().name.as_str(),
                        "evt.type" | "syscall.type"
                    ) {
                        return err(*pos, "transformers cannot be applied to evt.type");
                    }
                }
                return Ok(TypeSet::all());
            };
            match fr.name.as_str() {
                "evt.type" | "syscall.type" => {
                    let names: Vec<&String> = match (op, rhs) {
                        (CmpOp::Eq | CmpOp::Ne, Rhs::Value(v)) => vec![v],
                        (CmpOp::In | CmpOp::Intersects, Rhs::List(l)) => l.iter().collect(),
                        (CmpOp::In | CmpOp::Intersects, Rhs::Value(v)) => vec![v],
                        _ => return Ok(TypeSet::all()),
                    };
                    let mut s = TypeSet::none();
                    for n in names {
                        match sc::slot_of_name(n) {
                            Ok(Some(slot)) => s.slots.insert(slot),
                            Ok(None) => {
                                s.extra.insert(n.clone());
                            }
                            Err(_) => return err(*pos, format!("unknown event type {n}")),
                        }
                    }
                    let invert = (*op == CmpOp::Ne) != neg;
                    if invert {
                        TypeSet {
                            slots: s.slots.complement(),
                            extra: Default::default(),
                        }
                    } else {
                        s
                    }
                }
                "evt.num" => {
                    let zero = matches!((op, rhs), (CmpOp::Eq, Rhs::Value(v)) if v.trim() == "0");
                    if zero && !neg {
                        TypeSet::none()
                    } else {
                        TypeSet::all()
                    }
                }
                _ => TypeSet::all(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The length mask only short-cuts misses: membership is the hash
    /// set's, for short, equal-length and long (63+ bytes) strings.
    #[test]
    fn str_set_length_mask_keeps_membership() {
        let long_a = vec![b'a'; 70];
        let long_b = vec![b'a'; 90];
        let set: StrSet = [b"/etc/shadow".to_vec(), b"".to_vec(), long_a.clone()]
            .into_iter()
            .collect();
        assert!(set.contains(b"/etc/shadow"));
        assert!(set.contains(b""));
        assert!(set.contains(&long_a));
        assert!(!set.contains(b"/etc/shadoW"));
        assert!(!set.contains(b"/etc/passwd/"));
        assert!(!set.contains(&long_b));
        assert!(!set.contains(&[b'a'; 63]));
        let mut merged = StrSet::default();
        assert!(merged.is_empty());
        merged.extend(set);
        merged.insert(b"x".to_vec());
        assert!(merged.contains(b"x") && merged.contains(&long_a) && !merged.contains(b"y"));
    }

    #[test]
    fn globbing() {
        assert!(glob_match(b"/home/*/.ssh/*", b"/home/u/.ssh/id_rsa", false));
        assert!(glob_match(b"/proc/*/environ", b"/proc/12/environ", false));
        assert!(!glob_match(b"/proc/*/environ", b"/proc/12/maps", false));
        assert!(glob_match(b"a?c", b"abc", false));
        assert!(glob_match(b"[a-c]x", b"bx", false));
        assert!(!glob_match(b"[!a-c]x", b"bx", false));
        assert!(glob_match(b"*.SO", b"lib.so", true));
        assert!(!glob_match(b"*.SO", b"lib.so", false));
        // no FNM_PATHNAME: * crosses /
        assert!(glob_match(b"/etc/*", b"/etc/a/b", false));
        assert!(glob_match(b"\\*", b"*", false));
    }

    #[test]
    fn tries() {
        let mut t = PrefixTrie::new();
        t.insert(b"/etc/");
        t.insert(b"/usr/bin");
        assert!(t.any_prefix_of(b"/etc/passwd"));
        assert!(t.any_prefix_of(b"/usr/bin"));
        assert!(!t.any_prefix_of(b"/usr/lib"));
        assert!(!t.any_prefix_of(b"/et"));
        let mut p = PathSet::default();
        p.insert(b"/etc");
        p.insert(b"/var/lib/*/data");
        assert!(p.matches(b"/etc"));
        assert!(p.matches(b"/etc/passwd"));
        assert!(!p.matches(b"/etcfoo"));
        assert!(p.matches(b"/var/lib/pg/data/x"));
        assert!(!p.matches(b"/var/lib/pg/other"));
    }

    #[test]
    fn b64() {
        assert_eq!(b64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64_decode(b"aGk=").unwrap(), b"hi");
        assert!(b64_decode(b"!!").is_none());
    }
}
