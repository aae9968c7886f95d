//! `sysreplay fields`: every field of the rule language, like `falco --list`
//! and `sysdig -l`, from ruleeval's one field table.

use std::io::{BufWriter, Write};

use sysreplay_ruleeval::fields;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Only fields whose name starts with this (e.g. proc., fd.)
    pub prefix: Option<String>,
    /// One JSON object per field
    #[arg(long)]
    pub json: bool,
    /// Only fields that have a value offline (in a trace)
    #[arg(long)]
    pub offline_only: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let list: Vec<_> = fields::list()
        .into_iter()
        .filter(|f| a.prefix.as_deref().is_none_or(|p| f.name.starts_with(p)))
        .filter(|f| !a.offline_only || f.has_value_offline)
        .collect();
    if list.is_empty() {
        return Err(Failure::input(format!(
            "no field starts with '{}' (families: evt., proc., thread., user., group., fd., container., k8s.)",
            a.prefix.unwrap_or_default()
        )));
    }
    let mut o = BufWriter::new(std::io::stdout().lock());
    if a.json {
        for f in &list {
            let v = serde_json::json!({
                "name": f.name,
                "type": f.ty,
                "arg": f.arg,
                "desc": f.desc,
                "has_value_offline": f.has_value_offline,
            });
            writeln!(o, "{v}")?;
        }
    } else {
        let w = list
            .iter()
            .map(|f| f.name.len() + f.arg.len())
            .max()
            .unwrap_or(0);
        for f in &list {
            let name = format!("{}{}", f.name, f.arg);
            let off = if f.has_value_offline {
                ""
            } else {
                " [no value offline]"
            };
            writeln!(o, "{name:<w$}  {:<7}  {}{off}", f.ty, f.desc)?;
        }
    }
    o.flush()?;
    Ok(())
}
