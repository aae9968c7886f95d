//! A condition AST back to filter text, in the form libsinsp's parser
//! (sysdig 0.29.3 included) accepts: every `and`/`or` group in parentheses
//! (libsinsp refuses unbracketed mixes), macros expanded inline, lists
//! written out, and every value double-quoted with `\\`, `\"` and `\'` escaped.
//! Used to time a rule's expanded condition in sysdig
//! (`sysreplay rules check --expanded`, replay/validate/).

use crate::parser::{Ast, Modifier, Operand, Rhs};

/// The filter text of `ast`.
pub fn filter_text(ast: &Ast) -> String {
    let mut s = String::new();
    write_ast(ast, &mut s);
    s
}

fn write_ast(ast: &Ast, out: &mut String) {
    match ast {
        Ast::And(v) => write_group(v, " and ", out),
        Ast::Or(v) => write_group(v, " or ", out),
        Ast::Not(b) => {
            out.push_str("not ");
            match &**b {
                // A group brings its own parentheses.
                Ast::And(_) | Ast::Or(_) => write_ast(b, out),
                _ => {
                    out.push('(');
                    write_ast(b, out);
                    out.push(')');
                }
            }
        }
        // Not produced once macros are resolved; kept readable anyway.
        Ast::Ident(name, _) => out.push_str(name),
        Ast::Macro(_, body) => write_ast(body, out),
        Ast::Unary(lhs, op, _) => {
            write_operand(lhs, out);
            out.push(' ');
            out.push_str(op.as_str());
        }
        Ast::Binary {
            lhs,
            op,
            modifier,
            rhs,
            ..
        } => {
            write_operand(lhs, out);
            out.push(' ');
            out.push_str(op.as_str());
            if let Some(m) = modifier {
                out.push_str(match m {
                    Modifier::OneOf => " oneof",
                    Modifier::AnyOf => " anyof",
                    Modifier::AllOf => " allof",
                });
            }
            out.push(' ');
            match rhs {
                Rhs::Value(v) => quote(v, out),
                Rhs::List(items) => {
                    out.push('(');
                    for (i, it) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        quote(it, out);
                    }
                    out.push(')');
                }
                Rhs::Operand(o @ Operand::Field(_)) => {
                    out.push_str("val(");
                    write_operand(o, out);
                    out.push(')');
                }
                Rhs::Operand(o) => write_operand(o, out),
            }
        }
    }
}

fn write_group(v: &[Ast], sep: &str, out: &mut String) {
    out.push('(');
    for (i, a) in v.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_ast(a, out);
    }
    out.push(')');
}

fn write_operand(o: &Operand, out: &mut String) {
    match o {
        Operand::Field(f) => {
            out.push_str(&f.name);
            if let Some(arg) = &f.arg {
                out.push('[');
                if arg
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"._-/:".contains(&c))
                {
                    out.push_str(arg);
                } else {
                    quote(arg, out);
                }
                out.push(']');
            }
        }
        Operand::Transform(t, inner, _) => {
            out.push_str(t.name());
            out.push('(');
            write_operand(inner, out);
            out.push(')');
        }
    }
}

/// Double quotes, with `\\`, `\"` and `\'` escaped: sysdig 0.29.3's parser
/// refuses a single quote inside a double-quoted string unless escaped.
fn quote(v: &str, out: &mut String) {
    out.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    /// Positions differ between the original and the reprinted text, and
    /// macros print as their bodies: compare without them.
    fn plain(a: &Ast) -> String {
        format!("{:?}", strip(a.clone()))
            .split("pos: ")
            .map(|p| p.trim_start_matches(|c: char| c.is_ascii_digit()))
            .collect::<Vec<_>>()
            .join("pos: ")
    }
    fn strip(a: Ast) -> Ast {
        crate::parser::strip_positions(a, true)
    }

    #[test]
    fn reprinted_conditions_parse_back_to_the_same_tree() {
        for c in [
            "evt.type in (open, openat) and evt.dir=< and fd.name startswith /etc",
            "a.b = 1 or c.d = 2 and not e.f exists",
            "not (proc.name = sh or proc.name = bash) and proc.aname[2] = sudo",
            r#"fd.name = "with \"quotes\" and \\ backslash" and proc.cmdline contains 'x y'"#,
            "fd.name pmatch (/tmp, /var/tmp) and evt.arg.flags contains O_CREAT",
            "tolower(proc.name) = bash and fd.name = val(proc.exepath)",
            "proc.env[\"MY VAR\"] = x and fd.name in ()",
            "fd.name startswith oneof (/a, /b)",
            "not not not proc.name = x",
            r#"proc.cmdline contains "python -c 'import socket" or proc.cmdline contains 'say "hi"'"#,
        ] {
            let a = parse(c).unwrap();
            let text = filter_text(&a);
            let b = parse(&text).unwrap_or_else(|e| panic!("{c}\n-> {text}\n{e}"));
            assert_eq!(plain(&a), plain(&b), "{c}\n-> {text}");
        }
    }

    #[test]
    fn every_group_is_bracketed() {
        let a = parse("a.b = 1 or c.d = 2 and e.f = 3").unwrap();
        assert_eq!(
            filter_text(&a),
            r#"(a.b = "1" or (c.d = "2" and e.f = "3"))"#
        );
        let a = parse("not a.b = 1").unwrap();
        assert_eq!(filter_text(&a), r#"not (a.b = "1")"#);
        let a = parse(r#"a.b = "it's" or a.b = 'say "hi"'"#).unwrap();
        assert_eq!(filter_text(&a), r#"(a.b = "it\'s" or a.b = "say \"hi\"")"#);
    }
}
