//! Condition parser: the libsinsp filter grammar, hand-written recursive
//! descent. Precedence, tightest first: a check or `( ... )`, `not`, `and`,
//! `or`. `and`/`or` are n-ary. Positions are byte offsets into the condition.

use std::fmt;

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
    Exists,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Contains => "contains",
            CmpOp::IContains => "icontains",
            CmpOp::BContains => "bcontains",
            CmpOp::StartsWith => "startswith",
            CmpOp::BStartsWith => "bstartswith",
            CmpOp::EndsWith => "endswith",
            CmpOp::Glob => "glob",
            CmpOp::IGlob => "iglob",
            CmpOp::Regex => "regex",
            CmpOp::In => "in",
            CmpOp::Intersects => "intersects",
            CmpOp::PMatch => "pmatch",
            CmpOp::Exists => "exists",
        }
    }
    /// Operators taking a list on the right.
    pub fn is_list(self) -> bool {
        matches!(self, CmpOp::In | CmpOp::Intersects | CmpOp::PMatch)
    }
    /// Parse an operator name as used in exception `comps`.
    pub fn from_name(s: &str) -> Option<CmpOp> {
        Some(match s {
            "=" | "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "contains" => CmpOp::Contains,
            "icontains" => CmpOp::IContains,
            "bcontains" => CmpOp::BContains,
            "startswith" => CmpOp::StartsWith,
            "bstartswith" => CmpOp::BStartsWith,
            "endswith" => CmpOp::EndsWith,
            "glob" => CmpOp::Glob,
            "iglob" => CmpOp::IGlob,
            "regex" => CmpOp::Regex,
            "in" => CmpOp::In,
            "intersects" => CmpOp::Intersects,
            "pmatch" => CmpOp::PMatch,
            "exists" => CmpOp::Exists,
            _ => return None,
        })
    }
}

/// `oneof` / `anyof` / `allof` after a string operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modifier {
    OneOf,
    AnyOf,
    AllOf,
}

/// Field transformers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

impl Transformer {
    pub fn name(self) -> &'static str {
        match self {
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
        }
    }
}

/// A field reference such as `proc.aname[2]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    pub name: String,
    pub arg: Option<String>,
    pub pos: usize,
}

/// A field, possibly wrapped in transformers.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Field(FieldRef),
    Transform(Transformer, Box<Operand>, usize),
}

impl Operand {
    pub fn pos(&self) -> usize {
        match self {
            Operand::Field(f) => f.pos,
            Operand::Transform(_, _, p) => *p,
        }
    }
    pub fn base_field(&self) -> &FieldRef {
        match self {
            Operand::Field(f) => f,
            Operand::Transform(_, o, _) => o.base_field(),
        }
    }
}

/// The right-hand side of a binary check.
#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    Value(String),
    List(Vec<String>),
    /// `val(field)` or a transformer.
    Operand(Operand),
}

/// Condition AST.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    And(Vec<Ast>),
    Or(Vec<Ast>),
    Not(Box<Ast>),
    /// A macro reference.
    Ident(String, usize),
    /// An expanded macro (macro index, body): produced by macro resolution,
    /// never by the parser; lets the evaluator reuse a macro's result
    /// across the rules of one event. Every use shares the macro's one
    /// body (copying it per use was a tenth of compiling Falco's rules).
    Macro(usize, std::sync::Arc<Ast>),
    Unary(Operand, CmpOp, usize),
    Binary {
        lhs: Operand,
        op: CmpOp,
        modifier: Option<Modifier>,
        rhs: Rhs,
        pos: usize,
    },
}

/// A syntax error at a byte offset of the condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at condition offset {}", self.msg, self.pos)
    }
}

/// Maximum nesting depth (Falco's compiler raises libsinsp's 100 to 1000).
pub const MAX_DEPTH: usize = 1000;

/// Parse a condition string.
pub fn parse(input: &str) -> Result<Ast, ParseError> {
    let mut p = Parser {
        src: input,
        s: input.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_blanks();
    if p.pos >= p.s.len() {
        return Err(p.err("empty condition"));
    }
    let ast = p.parse_or()?;
    p.skip_blanks();
    // `... and` at the end: the operand is missing, not a token too many
    // (bytes: the position need not be on a char boundary)
    let rest = p.s[p.pos..].trim_ascii_end();
    if rest == b"and" || rest == b"or" {
        let kw = String::from_utf8_lossy(rest);
        return Err(p.err(&format!("expected a condition after '{kw}'")));
    }
    if p.pos < p.s.len() {
        return Err(p.err(&format!(
            "unexpected token after '{}'",
            String::from_utf8_lossy(&p.s[..p.pos]).trim_end()
        )));
    }
    Ok(ast)
}

struct Parser<'a> {
    /// The input, as text (tokens are cut from it) and as bytes.
    src: &'a str,
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}
fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic()
}
fn is_ident_tail(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn is_bare(c: u8) -> bool {
    !(is_blank(c) || matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b','))
}

const STR_OPS: &[(&str, CmpOp)] = &[
    ("==", CmpOp::Eq),
    ("=", CmpOp::Eq),
    ("!=", CmpOp::Ne),
    ("bstartswith", CmpOp::BStartsWith),
    ("bcontains", CmpOp::BContains),
    ("icontains", CmpOp::IContains),
    ("contains", CmpOp::Contains),
    ("startswith", CmpOp::StartsWith),
    ("endswith", CmpOp::EndsWith),
    ("iglob", CmpOp::IGlob),
    ("glob", CmpOp::Glob),
    ("regex", CmpOp::Regex),
];
const NUM_OPS: &[(&str, CmpOp)] = &[
    ("<=", CmpOp::Le),
    ("<", CmpOp::Lt),
    (">=", CmpOp::Ge),
    (">", CmpOp::Gt),
];
const LIST_OPS: &[(&str, CmpOp)] = &[
    ("intersects", CmpOp::Intersects),
    ("in", CmpOp::In),
    ("pmatch", CmpOp::PMatch),
];
const TRANSFORMERS: &[(&str, Transformer)] = &[
    ("tolower(", Transformer::ToLower),
    ("toupper(", Transformer::ToUpper),
    ("b64(", Transformer::B64),
    ("basename(", Transformer::Basename),
    ("len(", Transformer::Len),
];

impl<'a> Parser<'a> {
    fn err(&self, msg: &str) -> ParseError {
        ParseError {
            pos: self.pos,
            msg: msg.to_string(),
        }
    }
    /// Bytes `a..b` of the input as a string: cut from the text (tokens
    /// end at ASCII bytes, so at character boundaries) without checking
    /// its UTF-8 again, which cost a tenth of parsing conditions.
    fn text(&self, a: usize, b: usize) -> String {
        match self.src.get(a..b) {
            Some(t) => t.to_owned(),
            None => String::from_utf8_lossy(&self.s[a..b]).into_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if is_blank(c) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }
    fn starts_with(&self, w: &str) -> bool {
        self.s[self.pos..].starts_with(w.as_bytes())
    }
    /// A keyword followed by a blank or `(` (or, with `end_ok`, the end).
    fn keyword(&mut self, w: &str, end_ok: bool) -> bool {
        if !self.starts_with(w) {
            return false;
        }
        match self.s.get(self.pos + w.len()) {
            Some(&c) if is_blank(c) || c == b'(' => {}
            None if end_ok => {}
            _ => return false,
        }
        self.pos += w.len();
        true
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("exceeded max depth limit"));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Ast, ParseError> {
        self.parse_nary("or", Self::parse_and, Ast::Or)
    }

    fn parse_and(&mut self) -> Result<Ast, ParseError> {
        self.parse_nary("and", Self::parse_not, Ast::And)
    }

    /// `operand (keyword operand)*`, n-ary and left to right as libsinsp
    /// parses `and`/`or`; a single operand is returned as is.
    fn parse_nary(
        &mut self,
        keyword: &str,
        operand: fn(&mut Self) -> Result<Ast, ParseError>,
        make: fn(Vec<Ast>) -> Ast,
    ) -> Result<Ast, ParseError> {
        self.enter()?;
        let mut v = vec![operand(self)?];
        loop {
            self.skip_blanks();
            if self.keyword(keyword, false) {
                v.push(operand(self)?);
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(if v.len() == 1 {
            v.pop().unwrap()
        } else {
            make(v)
        })
    }

    fn parse_not(&mut self) -> Result<Ast, ParseError> {
        self.enter()?;
        let mut neg = false;
        loop {
            self.skip_blanks();
            if self.keyword("not", false) {
                neg = !neg;
            } else {
                break;
            }
        }
        let c = self.parse_check()?;
        self.depth -= 1;
        Ok(if neg { Ast::Not(Box::new(c)) } else { c })
    }

    fn parse_check(&mut self) -> Result<Ast, ParseError> {
        self.skip_blanks();
        let start = self.pos;
        match self.peek() {
            None => {
                return Err(self.err("expected a check, a macro or '('; found end of condition"))
            }
            Some(b'(') => {
                self.pos += 1;
                let e = self.parse_or()?;
                self.skip_blanks();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected ')'"));
                }
                self.pos += 1;
                return Ok(e);
            }
            _ => {}
        }
        let lhs = if let Some(t) = self.lex_transformer() {
            self.parse_transformer_operand(t, start)?
        } else if let Some(f) = self.lex_field() {
            Operand::Field(f)
        } else if let Some(id) = self.lex_identifier() {
            return Ok(Ast::Ident(id, start));
        } else {
            return Err(self.err("expected a field, a macro or '('"));
        };
        self.parse_condition_rest(lhs, start)
    }

    fn parse_condition_rest(&mut self, lhs: Operand, start: usize) -> Result<Ast, ParseError> {
        self.skip_blanks();
        let op_pos = self.pos;
        if self.starts_with("exists")
            && !self
                .s
                .get(self.pos + 6)
                .is_some_and(|&c| is_ident_tail(c) || c == b'.')
        {
            self.pos += 6;
            return Ok(Ast::Unary(lhs, CmpOp::Exists, start));
        }
        for &(w, op) in NUM_OPS {
            if self.starts_with(w) {
                self.pos += w.len();
                let rhs = self.parse_value_or_operand()?;
                return Ok(Ast::Binary {
                    lhs,
                    op,
                    modifier: None,
                    rhs,
                    pos: start,
                });
            }
        }
        for &(w, op) in STR_OPS {
            let symbolic = !w.as_bytes()[0].is_ascii_alphabetic();
            let ok = if symbolic {
                if self.starts_with(w) {
                    self.pos += w.len();
                    true
                } else {
                    false
                }
            } else {
                self.keyword(w, false)
            };
            if ok {
                self.skip_blanks();
                for (mw, m) in [
                    ("oneof", Modifier::OneOf),
                    ("anyof", Modifier::AnyOf),
                    ("allof", Modifier::AllOf),
                ] {
                    if self.keyword(mw, false) {
                        let rhs = self.parse_list_rhs()?;
                        return Ok(Ast::Binary {
                            lhs,
                            op,
                            modifier: Some(m),
                            rhs,
                            pos: start,
                        });
                    }
                }
                let rhs = self.parse_value_or_operand()?;
                return Ok(Ast::Binary {
                    lhs,
                    op,
                    modifier: None,
                    rhs,
                    pos: start,
                });
            }
        }
        for &(w, op) in LIST_OPS {
            if self.keyword(w, false) {
                let rhs = self.parse_list_rhs()?;
                return Ok(Ast::Binary {
                    lhs,
                    op,
                    modifier: None,
                    rhs,
                    pos: start,
                });
            }
        }
        self.pos = op_pos;
        Err(self.err("expected a valid operator"))
    }

    fn lex_transformer(&mut self) -> Option<Transformer> {
        for &(w, t) in TRANSFORMERS {
            if self.starts_with(w) {
                self.pos += w.len();
                return Some(t);
            }
        }
        None
    }

    /// After `name(`: an operand then `)`.
    fn parse_transformer_operand(
        &mut self,
        t: Transformer,
        start: usize,
    ) -> Result<Operand, ParseError> {
        self.enter()?;
        self.skip_blanks();
        let inner_start = self.pos;
        let inner = if let Some(t2) = self.lex_transformer() {
            self.parse_transformer_operand(t2, inner_start)?
        } else if let Some(f) = self.lex_field() {
            Operand::Field(f)
        } else {
            return Err(self.err(&format!("expected a field inside {}()", t.name())));
        };
        self.skip_blanks();
        if self.peek() != Some(b')') {
            return Err(self.err("expected ')'"));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(Operand::Transform(t, Box::new(inner), start))
    }

    fn lex_field(&mut self) -> Option<FieldRef> {
        let start = self.pos;
        let s = self.s;
        let mut i = self.pos;
        let mut parts = 0;
        loop {
            if i >= s.len() || !is_alpha(s[i]) {
                break;
            }
            i += 1;
            while i < s.len() && is_ident_tail(s[i]) {
                i += 1;
            }
            parts += 1;
            if i < s.len() && s[i] == b'.' && i + 1 < s.len() && is_alpha(s[i + 1]) {
                i += 1;
                continue;
            }
            break;
        }
        if parts < 2 {
            return None;
        }
        let name = self.text(start, i);
        let mut arg = None;
        if i < s.len() && s[i] == b'[' {
            let mut j = i + 1;
            if j < s.len() && (s[j] == b'"' || s[j] == b'\'') {
                let save = self.pos;
                self.pos = j;
                if let Ok(q) = self.lex_quoted() {
                    if self.peek() == Some(b']') {
                        arg = Some(q);
                        i = self.pos + 1;
                    }
                }
                self.pos = save;
            } else {
                while j < s.len() && !matches!(s[j], b'[' | b']' | b'"' | b'\'') && !is_blank(s[j])
                {
                    j += 1;
                }
                if j < s.len() && s[j] == b']' && j > i + 1 {
                    arg = Some(self.text(i + 1, j));
                    i = j + 1;
                }
            }
            arg.as_ref()?;
        }
        self.pos = i;
        Some(FieldRef {
            name,
            arg,
            pos: start,
        })
    }

    fn lex_identifier(&mut self) -> Option<String> {
        let s = self.s;
        let start = self.pos;
        if start >= s.len() || !is_alpha(s[start]) {
            return None;
        }
        let mut i = start + 1;
        while i < s.len() && is_ident_tail(s[i]) {
            i += 1;
        }
        // An identifier must not run into other bare-string characters
        // (that would be a malformed field or value).
        if i < s.len() && is_bare(s[i]) {
            return None;
        }
        self.pos = i;
        Some(self.text(start, i))
    }

    fn lex_quoted(&mut self) -> Result<String, ParseError> {
        let q = self.s[self.pos];
        let start = self.pos;
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.err("unterminated quoted string"));
            };
            self.pos += 1;
            if c == q {
                break;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(self.err("unterminated escape sequence"));
            };
            self.pos += 1;
            match e {
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'/' => out.push(b'/'),
                b'"' => out.push(b'"'),
                b'\'' => out.push(b'\''),
                b' ' => out.push(b'\\'),
                b'x' => {
                    let h = self.s.get(self.pos..self.pos + 2);
                    let v = h
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match v {
                        Some(v) => {
                            out.push(v);
                            self.pos += 2;
                        }
                        None => return Err(self.err("invalid \\x escape")),
                    }
                }
                _ => {
                    self.pos -= 2;
                    return Err(self.err(&format!("invalid escape sequence '\\{}'", e as char)));
                }
            }
        }
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn lex_value(&mut self) -> Result<String, ParseError> {
        self.skip_blanks();
        match self.peek() {
            Some(b'"') | Some(b'\'') => self.lex_quoted(),
            Some(c) if is_bare(c) => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if is_bare(c) {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                Ok(self.text(start, self.pos))
            }
            _ => Err(self.err("expected a value")),
        }
    }

    fn lex_val_or_transformer(&mut self) -> Result<Option<Operand>, ParseError> {
        let start = self.pos;
        if self.starts_with("val(") {
            self.pos += 4;
            self.skip_blanks();
            let Some(f) = self.lex_field() else {
                return Err(self.err("expected a field inside val()"));
            };
            self.skip_blanks();
            if self.peek() != Some(b')') {
                return Err(self.err("expected ')'"));
            }
            self.pos += 1;
            let _ = start;
            return Ok(Some(Operand::Field(f)));
        }
        if let Some(t) = self.lex_transformer() {
            return Ok(Some(self.parse_transformer_operand(t, start)?));
        }
        Ok(None)
    }

    fn parse_value_or_operand(&mut self) -> Result<Rhs, ParseError> {
        self.skip_blanks();
        if let Some(o) = self.lex_val_or_transformer()? {
            return Ok(Rhs::Operand(o));
        }
        Ok(Rhs::Value(self.lex_value()?))
    }

    fn parse_list_rhs(&mut self) -> Result<Rhs, ParseError> {
        self.skip_blanks();
        if let Some(o) = self.lex_val_or_transformer()? {
            return Ok(Rhs::Operand(o));
        }
        if self.peek() != Some(b'(') {
            if let Some(c) = self.peek() {
                if is_alpha(c) {
                    let p = self.pos;
                    if let Some(id) = self.lex_identifier() {
                        self.pos = p;
                        return Err(self.err(&format!(
                            "undefined list '{id}' (expected a list in parentheses)"
                        )));
                    }
                }
            }
            return Err(self.err("expected a list in parentheses"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_blanks();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(Rhs::List(items));
        }
        loop {
            items.push(self.lex_value()?);
            self.skip_blanks();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                }
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or ')' in list")),
            }
        }
        Ok(Rhs::List(items))
    }
}

/// `a` with every position 0 and, when `inline_macros`, each macro
/// replaced by its body: trees that differ only there compare equal (the
/// tests of the parser and of `unparse`).
#[cfg(test)]
pub(crate) fn strip_positions(a: Ast, inline_macros: bool) -> Ast {
    fn so(o: Operand) -> Operand {
        match o {
            Operand::Field(mut f) => {
                f.pos = 0;
                Operand::Field(f)
            }
            Operand::Transform(t, i, _) => Operand::Transform(t, Box::new(so(*i)), 0),
        }
    }
    let strip = |b: Ast| strip_positions(b, inline_macros);
    match a {
        Ast::And(v) => Ast::And(v.into_iter().map(strip).collect()),
        Ast::Or(v) => Ast::Or(v.into_iter().map(strip).collect()),
        Ast::Not(b) => Ast::Not(Box::new(strip(*b))),
        Ast::Ident(n, _) => Ast::Ident(n, 0),
        Ast::Macro(_, b) if inline_macros => strip(std::sync::Arc::unwrap_or_clone(b)),
        Ast::Macro(i, b) => Ast::Macro(
            i,
            std::sync::Arc::new(strip(std::sync::Arc::unwrap_or_clone(b))),
        ),
        Ast::Unary(o, op, _) => Ast::Unary(so(o), op, 0),
        Ast::Binary {
            lhs,
            op,
            modifier,
            rhs,
            ..
        } => Ast::Binary {
            lhs: so(lhs),
            op,
            modifier,
            rhs: match rhs {
                Rhs::Operand(o) => Rhs::Operand(so(o)),
                r => r,
            },
            pos: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> Operand {
        Operand::Field(FieldRef {
            name: name.into(),
            arg: None,
            pos: 0,
        })
    }

    fn strip(a: Ast) -> Ast {
        strip_positions(a, false)
    }

    fn p(s: &str) -> Ast {
        strip(parse(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn bin(name: &str, op: CmpOp, v: &str) -> Ast {
        Ast::Binary {
            lhs: f(name),
            op,
            modifier: None,
            rhs: Rhs::Value(v.into()),
            pos: 0,
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let a = p("a and b or not c and d");
        assert_eq!(
            a,
            Ast::Or(vec![
                Ast::And(vec![Ast::Ident("a".into(), 0), Ast::Ident("b".into(), 0)]),
                Ast::And(vec![
                    Ast::Not(Box::new(Ast::Ident("c".into(), 0))),
                    Ast::Ident("d".into(), 0)
                ])
            ])
        );
        // double not cancels
        assert_eq!(p("not not a"), Ast::Ident("a".into(), 0));
        assert_eq!(p("not(a)"), Ast::Not(Box::new(Ast::Ident("a".into(), 0))));
    }

    #[test]
    fn operators_and_values() {
        assert_eq!(p("proc.name=bash"), bin("proc.name", CmpOp::Eq, "bash"));
        assert_eq!(
            p("proc.name == 'ba sh'"),
            bin("proc.name", CmpOp::Eq, "ba sh")
        );
        assert_eq!(p("fd.num>=0"), bin("fd.num", CmpOp::Ge, "0"));
        assert_eq!(p("fd.num<=0"), bin("fd.num", CmpOp::Le, "0"));
        assert_eq!(p("fd.num < 3"), bin("fd.num", CmpOp::Lt, "3"));
        assert_eq!(p("proc.name != x"), bin("proc.name", CmpOp::Ne, "x"));
        assert_eq!(
            p("proc.name icontains X"),
            bin("proc.name", CmpOp::IContains, "X")
        );
        assert_eq!(
            p("proc.name contains X"),
            bin("proc.name", CmpOp::Contains, "X")
        );
        assert_eq!(
            p("evt.buffer bcontains 4142"),
            bin("evt.buffer", CmpOp::BContains, "4142")
        );
        assert_eq!(
            p("fd.name glob '/home/*'"),
            bin("fd.name", CmpOp::Glob, "/home/*")
        );
        assert_eq!(p("fd.name iglob /H*"), bin("fd.name", CmpOp::IGlob, "/H*"));
        assert_eq!(p("fd.name regex '.*'"), bin("fd.name", CmpOp::Regex, ".*"));
        assert_eq!(
            p("fd.name startswith /etc"),
            bin("fd.name", CmpOp::StartsWith, "/etc")
        );
        assert_eq!(
            p("fd.name bstartswith 2f"),
            bin("fd.name", CmpOp::BStartsWith, "2f")
        );
        assert_eq!(
            p("fd.name endswith .so"),
            bin("fd.name", CmpOp::EndsWith, ".so")
        );
        assert_eq!(
            p("container.id exists"),
            Ast::Unary(f("container.id"), CmpOp::Exists, 0)
        );
        assert_eq!(
            p("(container.id exists)"),
            Ast::Unary(f("container.id"), CmpOp::Exists, 0)
        );
        assert_eq!(
            p("evt.type in (open, 'openat', \"a b\")"),
            Ast::Binary {
                lhs: f("evt.type"),
                op: CmpOp::In,
                modifier: None,
                rhs: Rhs::List(vec!["open".into(), "openat".into(), "a b".into()]),
                pos: 0
            }
        );
        assert_eq!(
            p("evt.type in ()"),
            Ast::Binary {
                lhs: f("evt.type"),
                op: CmpOp::In,
                modifier: None,
                rhs: Rhs::List(vec![]),
                pos: 0
            }
        );
        assert!(matches!(
            p("proc.args intersects (a)"),
            Ast::Binary {
                op: CmpOp::Intersects,
                ..
            }
        ));
        assert!(matches!(
            p("fd.name pmatch (/a, /b)"),
            Ast::Binary {
                op: CmpOp::PMatch,
                ..
            }
        ));
        assert!(matches!(
            p("proc.name startswith anyof (a, b)"),
            Ast::Binary {
                op: CmpOp::StartsWith,
                modifier: Some(Modifier::AnyOf),
                ..
            }
        ));
    }

    #[test]
    fn field_args_val_and_transformers() {
        match p("proc.aname[2]=bash") {
            Ast::Binary {
                lhs: Operand::Field(fr),
                ..
            } => {
                assert_eq!(fr.name, "proc.aname");
                assert_eq!(fr.arg.as_deref(), Some("2"));
            }
            a => panic!("{a:?}"),
        }
        match p("container.mount.dest[/etc*] exists") {
            Ast::Unary(Operand::Field(fr), _, _) => assert_eq!(fr.arg.as_deref(), Some("/etc*")),
            a => panic!("{a:?}"),
        }
        match p("evt.arg[0] = x") {
            Ast::Binary {
                lhs: Operand::Field(fr),
                ..
            } => assert_eq!(fr.arg.as_deref(), Some("0")),
            a => panic!("{a:?}"),
        }
        match p("proc.name = val(proc.pname)") {
            Ast::Binary {
                rhs: Rhs::Operand(Operand::Field(fr)),
                ..
            } => assert_eq!(fr.name, "proc.pname"),
            a => panic!("{a:?}"),
        }
        match p("tolower(basename(proc.exe)) = bash") {
            Ast::Binary {
                lhs: Operand::Transform(Transformer::ToLower, inner, _),
                ..
            } => {
                assert!(matches!(
                    *inner,
                    Operand::Transform(Transformer::Basename, _, _)
                ))
            }
            a => panic!("{a:?}"),
        }
        assert!(matches!(
            p("proc.name = toupper(proc.pname)"),
            Ast::Binary {
                rhs: Rhs::Operand(Operand::Transform(Transformer::ToUpper, _, _)),
                ..
            }
        ));
    }

    #[test]
    fn escapes() {
        assert_eq!(
            p(r#"proc.name = "a\"b\x41\n""#),
            bin("proc.name", CmpOp::Eq, "a\"bA\n")
        );
        assert!(parse(r#"proc.name = "a\qb""#).is_err());
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("proc.name = ").unwrap_err();
        assert_eq!(e.pos, 12);
        let e = parse("proc.name foo bar").unwrap_err();
        assert!(e.msg.contains("operator"), "{e}");
        assert_eq!(e.pos, 10);
        assert!(parse("(a and b").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("").is_err());
        assert!(parse("evt.type in open").is_err());
        // a dangling keyword: the missing operand is named, at the keyword
        let e = parse("evt.type=open and").unwrap_err();
        assert_eq!(
            (e.msg.as_str(), e.pos),
            ("expected a condition after 'and'", 14)
        );
        let e = parse("proc.name=x or").unwrap_err();
        assert_eq!(e.msg, "expected a condition after 'or'");
        let deep = "(".repeat(2000) + "a" + &")".repeat(2000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn keywords_need_a_separator() {
        // "andx" is not "and x"
        assert!(parse("a andx").is_err());
        assert_eq!(
            p("a and(b)"),
            Ast::And(vec![Ast::Ident("a".into(), 0), Ast::Ident("b".into(), 0)])
        );
        // macro names that start with a keyword
        assert_eq!(p("order"), Ast::Ident("order".into(), 0));
        assert_eq!(p("notme"), Ast::Ident("notme".into(), 0));
    }
}
