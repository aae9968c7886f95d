//! Falco output formats (`%proc.name`, `%evt.time`, `%proc.aname[2]`) and
//! alerts in Falco's JSON shape.

use serde::Serialize;
use serde_json::{Map, Value as JsonValue};

use crate::compile::Scratch;
use crate::fields::{self, Ctx, Field, Val, F};

/// One piece of an output format.
#[derive(Clone, Debug)]
pub enum Piece {
    Text(String),
    Field(Field),
    /// A token we accept but render empty (e.g. deprecated `%container.info`).
    Empty,
}

/// A parsed output format.
#[derive(Clone, Debug, Default)]
pub struct OutputFormat {
    pub pieces: Vec<Piece>,
}

/// A bad token, at a byte offset of the output string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub pos: usize,
    pub msg: String,
}

impl OutputFormat {
    pub fn parse(s: &str) -> Result<OutputFormat, FormatError> {
        let b = s.as_bytes();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                // the text up to the next '%' in one piece ('%' is ASCII,
                // so the cut is at a char boundary)
                let end = memchr::memchr(b'%', &b[i..]).map_or(b.len(), |p| i + p);
                text.push_str(&s[i..end]);
                i = end;
                continue;
            }
            if b.get(i + 1) == Some(&b'%') {
                text.push('%');
                i += 2;
                continue;
            }
            let start = i;
            let mut j = i + 1;
            let braced = b.get(j) == Some(&b'(') || b.get(j) == Some(&b'{');
            if braced {
                j += 1;
            }
            let ns = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            // trailing dots belong to the text ("%proc.name.")
            let mut ne = j;
            while ne > ns && b[ne - 1] == b'.' {
                ne -= 1;
            }
            let name = &s[ns..ne];
            let mut arg = None;
            let mut k = ne;
            if ne == j && b.get(j) == Some(&b'[') {
                if let Some(close) = s[j..].find(']') {
                    arg = Some(&s[j + 1..j + close]);
                    k = j + close + 1;
                }
            }
            if braced {
                if matches!(b.get(k), Some(b')') | Some(b'}')) {
                    k += 1;
                } else {
                    return Err(FormatError {
                        pos: start,
                        msg: "unterminated field in output".into(),
                    });
                }
            }
            if name.is_empty() || !name.contains('.') {
                return Err(FormatError {
                    pos: start,
                    msg: format!("invalid formatting token '%{}'", &s[ns..k.max(ns)]),
                });
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            if name == "container.info" {
                pieces.push(Piece::Empty);
            } else {
                match fields::lookup(name, arg) {
                    Ok(f) => pieces.push(Piece::Field(f)),
                    Err(m) => {
                        return Err(FormatError {
                            pos: start,
                            msg: format!("invalid formatting token '%{name}': {m}"),
                        })
                    }
                }
            }
            i = k;
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(OutputFormat { pieces })
    }

    /// The fields the format prints.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(f) => Some(f),
            _ => None,
        })
    }

    /// Render the format and collect the typed field values.
    pub fn render(
        &self,
        cx: &Ctx,
        sc: &mut Scratch,
        fields_out: Option<&mut Map<String, JsonValue>>,
    ) -> String {
        let mut out = String::new();
        let mut map = fields_out;
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Empty => {}
                Piece::Field(f) => {
                    let v = extract_all(f, cx, sc);
                    // a value holding a newline must not forge an alert
                    // line (output_fields keep the real value)
                    match &v {
                        None => out.push_str("<NA>"),
                        Some(s) => out.push_str(&sysreplay_syscalls::decode::printable(&s.0)),
                    }
                    if let Some(m) = map.as_deref_mut() {
                        let jv = match v {
                            None => JsonValue::Null,
                            Some((_, j)) => j,
                        };
                        m.insert(f.display.clone(), jv);
                    }
                }
            }
        }
        out
    }
}

/// Ancestors an output walks at most (a parent loop cannot hang it).
const MAX_ANCESTORS: usize = 256;

/// Render a field for outputs: (text, JSON value). Multi-valued fields
/// print their first value, ancestor fields all of them.
fn extract_all(f: &Field, cx: &Ctx, sc: &mut Scratch) -> Option<(String, JsonValue)> {
    // evt.time in output_fields is the raw nanosecond timestamp, as Falco's JSON.
    if f.f == F::EvtTime {
        let mut s = String::new();
        f.extract(cx, 0, &mut sc.a)?.render(&mut s);
        return Some((s, JsonValue::from(cx.wall_ns())));
    }
    // libs master binary_buffer_to_string_dots (the default buffer
    // format): a byte isprint() rejects prints as `.`
    if f.f == F::EvtBuffer {
        let Val::Str(b) = f.extract(cx, 0, &mut sc.a)? else {
            return None;
        };
        let s: String = b
            .iter()
            .map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect();
        let j = JsonValue::from(s.clone());
        return Some((s, j));
    }
    // libs master (sinsp_filtercheck_thread extract, no index): every
    // ancestor's value, from the parent up, joined by spaces
    if f.multi
        && matches!(
            f.f,
            F::ProcAname | F::ProcAexe | F::ProcAexepath | F::ProcAcmdline
        )
    {
        let mut s = String::new();
        // bounded as libsinsp's loop check bounds its walk
        for n in 0..MAX_ANCESTORS {
            let Some(v) = f.extract(cx, n, &mut sc.a) else {
                break;
            };
            if n > 0 {
                s.push(' ');
            }
            v.render(&mut s);
        }
        if s.is_empty() {
            return None;
        }
        let j = JsonValue::from(s.clone());
        return Some((s, j));
    }
    let v = f.extract(cx, 0, &mut sc.a)?;
    let mut s = String::new();
    v.render(&mut s);
    let j = match v {
        Val::Int(i) => JsonValue::from(i),
        Val::Bool(b) => JsonValue::from(b),
        _ => JsonValue::from(s.clone()),
    };
    Some((s, j))
}

/// An alert in Falco's JSON shape (keys sorted, as Falco's JSON writer does).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Alert {
    pub hostname: String,
    pub output: String,
    pub output_fields: Map<String, JsonValue>,
    pub priority: String,
    pub rule: String,
    pub source: String,
    pub tags: Vec<String>,
    pub time: String,
}

impl Alert {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_formats() {
        let f = OutputFormat::parse(
            "File opened (file=%fd.name user=%user.name a2=%proc.aname[2]) %container.info.",
        )
        .unwrap();
        let names: Vec<_> = f.fields().map(|f| f.display.clone()).collect();
        assert_eq!(names, vec!["fd.name", "user.name", "proc.aname[2]"]);
        assert!(matches!(f.pieces.last(), Some(Piece::Text(t)) if t == "."));
        assert!(OutputFormat::parse("x %proc.nosuch").is_err());
        assert!(OutputFormat::parse("100%% sure %evt.arg.flags").is_ok());
        let e = OutputFormat::parse("bad %notafield here").unwrap_err();
        assert_eq!(e.pos, 4);
        // text runs keep multibyte characters and fold `%%`
        let f = OutputFormat::parse("é %% ü%%%proc.name€ z").unwrap();
        let texts: Vec<&str> = f
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["é % ü%", "€ z"]);
        assert_eq!(f.fields().count(), 1);
        assert_eq!(f.pieces.len(), 3);
    }
}
