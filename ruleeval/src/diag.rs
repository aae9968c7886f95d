//! Diagnostics: errors and warnings with file, line, column and item name.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A position in a rules file. Lines and columns are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// The code of a rules-loading diagnostic, printed as Falco prints its
/// load-result codes (`LOAD_ERR_COMPILE_CONDITION`, `LOAD_UNUSED_MACRO`, ...);
/// the names are written here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    DeprecatedItem,
    ErrCompileCondition,
    ErrCompileOutput,
    ErrFileRead,
    ErrOverride,
    ErrOverrideAppend,
    ErrValidate,
    ErrYamlParse,
    ErrYamlValidate,
    InvalidListName,
    InvalidMacroName,
    NoEvttype,
    PluginVersion,
    UnknownFilter,
    UnknownItem,
    UnknownKey,
    UnknownSource,
    UnusedList,
    UnusedMacro,
}

impl Code {
    /// The code as Falco spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::DeprecatedItem => "LOAD_DEPRECATED_ITEM",
            Code::ErrCompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            Code::ErrCompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            Code::ErrFileRead => "LOAD_ERR_FILE_READ",
            Code::ErrOverride => "LOAD_ERR_OVERRIDE",
            Code::ErrOverrideAppend => "LOAD_ERR_OVERRIDE_APPEND",
            Code::ErrValidate => "LOAD_ERR_VALIDATE",
            Code::ErrYamlParse => "LOAD_ERR_YAML_PARSE",
            Code::ErrYamlValidate => "LOAD_ERR_YAML_VALIDATE",
            Code::InvalidListName => "LOAD_INVALID_LIST_NAME",
            Code::InvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            Code::NoEvttype => "LOAD_NO_EVTTYPE",
            Code::PluginVersion => "LOAD_PLUGIN_VERSION",
            Code::UnknownFilter => "LOAD_UNKNOWN_FILTER",
            Code::UnknownItem => "LOAD_UNKNOWN_ITEM",
            Code::UnknownKey => "LOAD_UNKNOWN_KEY",
            Code::UnknownSource => "LOAD_UNKNOWN_SOURCE",
            Code::UnusedList => "LOAD_UNUSED_LIST",
            Code::UnusedMacro => "LOAD_UNUSED_MACRO",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    pub code: Code,
    pub loc: Option<Loc>,
    /// The item, e.g. `rule 'Read sensitive file untrusted'`.
    pub item: Option<String>,
    pub msg: String,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.loc {
            write!(f, "{l}: ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} ({})", self.code)?;
        if let Some(i) = &self.item {
            write!(f, ": {i}")?;
        }
        write!(f, ": {}", self.msg)
    }
}

/// Collected diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Diags {
    pub list: Vec<Diag>,
}

impl Diags {
    pub fn push(
        &mut self,
        severity: Severity,
        code: Code,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.list.push(Diag {
            severity,
            code,
            loc,
            item,
            msg: msg.into(),
        });
    }
    pub fn error(
        &mut self,
        code: Code,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.push(Severity::Error, code, loc, item, msg)
    }
    pub fn warn(
        &mut self,
        code: Code,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.push(Severity::Warning, code, loc, item, msg)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diag> {
        self.list.iter().filter(|d| d.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diag> {
        self.list.iter().filter(|d| d.severity == Severity::Warning)
    }
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_as_falco_spells_them() {
        let d = Diag {
            severity: Severity::Warning,
            code: Code::UnusedMacro,
            loc: Some(Loc {
                file: "r.yaml".into(),
                line: 3,
                col: 1,
            }),
            item: Some("macro 'm'".into()),
            msg: "macro not referred to by any other rule/macro".into(),
        };
        assert_eq!(
            d.to_string(),
            "r.yaml:3:1: warning (LOAD_UNUSED_MACRO): macro 'm': macro not referred to by any other rule/macro"
        );
        assert!(Code::ErrCompileCondition == "LOAD_ERR_COMPILE_CONDITION");
    }
}
